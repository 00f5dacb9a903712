"""The audit trail: every change recorded with its author and values, append-only, searchable."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape

import click
import pytest
from flask import g, render_template_string
from flask.cli import with_appcontext
from sqlalchemy import delete, insert, select, update

from tests.auth_support import login, make_user
from tests.factories import count_rows, make_campaign, make_org, make_target
from tests.history_support import details, details_links
from tracker.audit.hooks import acting_as
from tracker.audit.models import AuditAction, AuditEvent, AuditTrailIsAppendOnly
from tracker.audit.services import describe, history_for, neutralize, search_events
from tracker.auth.models import Role
from tracker.campaigns.models import CampaignStatus, PartnerRole, Theme
from tracker.campaigns.services import CampaignInput, PartnerInput, update_campaign
from tracker.db import utcnow
from tracker.extensions import db
from tracker.money.models import ExchangeRate
from tracker.money.services import import_rates_csv
from tracker.orgs.models import Organization
from tracker.orgs.services import OrganizationInput, create_organization
from tracker.targets.models import BudgetCategory, BudgetLine, FundingTarget
from tracker.targets.services import (
    BudgetLineInput,
    add_line,
    delete_target,
    remove_line,
    update_line,
)


def events(record_type: str | None = None, action: AuditAction | None = None
           ) -> list[AuditEvent]:
    """Recorded events, oldest first, read fresh from the database."""
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if record_type:
        query = query.where(AuditEvent.record_type == record_type)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def only(items: list[AuditEvent]) -> AuditEvent:
    assert len(items) == 1, items
    return items[0]


def campaign_input(campaign, **changes) -> CampaignInput:
    values = {
        "slug": campaign.slug, "title_en": campaign.title_en, "title_ru": campaign.title_ru,
        "theme": campaign.theme, "lead_org_id": campaign.lead_org_id, "status": campaign.status,
        "partners": tuple(PartnerInput(p.organization_id, p.role) for p in campaign.partners),
        "countries": tuple(campaign.country_codes),
    }
    values.update(changes)
    return CampaignInput(**values)


def make_line(target: FundingTarget, quantity: str = "1", unit_cost: str = "100",
              description: str = "Flights") -> BudgetLine:
    line = add_line(target, BudgetLineInput(
        category=BudgetCategory.TRAVEL, quantity=Decimal(quantity),
        unit_cost=Decimal(unit_cost), description_en=description,
    ))
    db.session.commit()
    return line


def line_input(line: BudgetLine, **changes) -> BudgetLineInput:
    values = {
        "category": line.category, "quantity": line.quantity,
        "unit_cost": line.unit_cost.amount, "unit": line.unit,
        "description_en": line.description_en, "description_ru": line.description_ru,
        "partner_org_id": line.partner_org_id,
        "justification_en": line.justification_en, "justification_ru": line.justification_ru,
    }
    values.update(changes)
    return BudgetLineInput(**values)


def history_lines(html: str) -> str:
    """The history's sentences as a reader sees them, one a line, without the times."""
    sentences = re.findall(r'<span class="text-break audit-line">(.*?)</span>', html, re.S)
    return "\n".join(unescape(text).strip() for text in sentences)


def history_html(history) -> str:
    """The history partial as a record's page includes it."""
    return render_template_string(
        '{% with events = history %}{% include "audit/_history.html" %}{% endwith %}',
        history=history,
    )


# --- what is recorded ----------------------------------------------------------------


def test_creating_a_campaign_records_its_values_and_its_partners(app):
    lead = make_org(name_en="Eco-Accord")
    partner = make_org(name_en="Greenwomen", country="KG")
    campaign = make_campaign(lead, [(partner, PartnerRole.CO_LEAD)], title_en="Lead in paint",
                             theme=Theme.LEAD_PAINT, countries=("KZ", "KG"))

    created = only(events("campaign", AuditAction.CREATE))
    assert created.record_id == str(campaign.id)
    assert created.summary == "Lead in paint"
    assert created.changes["title_en"] == "Lead in paint"
    assert created.changes["theme"] == "lead_paint"
    assert created.changes["status"] == "planned"
    assert created.changes["lead_org_id"] == lead.id
    assert "updated_at" not in created.changes
    assert "id" not in created.changes

    joined = only(events("campaign_partner", AuditAction.CREATE))
    assert (joined.parent_type, joined.parent_id) == ("campaign", str(campaign.id))
    assert joined.changes["organization_id"] == partner.id
    assert joined.changes["role"] == "co_lead"
    countries = events("campaign_country", AuditAction.CREATE)
    assert sorted(e.record_id for e in countries) == [f"{campaign.id}:KG", f"{campaign.id}:KZ"]


def test_editing_a_budget_line_records_only_the_changed_fields_before_and_after(app):
    target = make_target(make_campaign(), currency="USD")
    line = make_line(target, quantity="1", unit_cost="100")

    update_line(line, line_input(line, unit_cost=Decimal("150")))
    db.session.commit()

    changed = only(events("budget_line", AuditAction.UPDATE))
    assert changed.changes == {"unit_cost_minor": [10000, 15000], "total_minor": [10000, 15000]}
    assert changed.context == {"currency": "USD"}
    assert (changed.parent_type, changed.parent_id) == ("funding_target", str(target.id))

    shown = describe([changed])[0]
    assert [(f.label, f.before, f.after) for f in shown.fields] == [
        ("Unit cost", "$100.00", "$150.00"), ("Total", "$100.00", "$150.00"),
    ]


def test_saving_without_a_change_records_nothing(app):
    line = make_line(make_target(make_campaign()), unit_cost="100")
    before = count_rows(AuditEvent)

    update_line(line, line_input(line))
    db.session.commit()

    assert count_rows(AuditEvent) == before


def test_a_record_changed_after_a_commit_still_has_its_old_value(app):
    org = make_org(city="Almaty")  # committed: every attribute is expired now

    org.city_en = "Bishkek"  # set without reading it first
    db.session.commit()

    assert only(events("organization", AuditAction.UPDATE)).changes == {
        "city_en": ["Almaty", "Bishkek"]
    }


def test_deleting_records_the_last_values(app):
    target = make_target(make_campaign(), currency="EUR")
    line = make_line(target, quantity="2", unit_cost="40", description="Train tickets")

    remove_line(line)
    db.session.commit()

    gone = only(events("budget_line", AuditAction.DELETE))
    assert gone.record_id == str(line.id)
    assert gone.changes["description_en"] == "Train tickets"
    assert gone.changes["quantity"] == "2.000"
    assert gone.changes["unit_cost_minor"] == 4000
    assert gone.changes["total_minor"] == 8000
    assert gone.changes["currency"] == "EUR"
    fields = {f.label: (f.before, f.after) for f in describe([gone])[0].fields}
    assert fields["Total"] == ("€80.00", None)
    assert fields["Quantity"] == ("2", None)


def test_deleting_a_target_records_each_of_its_lines(app):
    target = make_target(make_campaign())
    make_line(target, description="Flights")
    make_line(target, description="Hotel")

    delete_target(target)
    db.session.commit()

    assert only(events("funding_target", AuditAction.DELETE)).record_id == str(target.id)
    lines = events("budget_line", AuditAction.DELETE)
    assert sorted(e.changes["description_en"] for e in lines) == ["Flights", "Hotel"]


def test_deleting_a_record_read_before_the_last_commit_keeps_its_values(app):
    org = make_org(name_en="Short-lived")  # expired by the factory's commit

    db.session.delete(org)
    db.session.commit()

    assert only(events("organization", AuditAction.DELETE)).changes["name_en"] == "Short-lived"


def test_a_rolled_back_change_leaves_no_event(app):
    before = count_rows(AuditEvent)

    create_organization(OrganizationInput(slug="ghost", name_en="Ghost", name_ru="",
                                          country="AM", kind=make_org().kind))
    db.session.flush()
    db.session.rollback()

    assert count_rows(Organization) == 1  # only the one make_org committed
    assert count_rows(AuditEvent) == before + 1  # that one's creation, nothing of the ghost
    assert not [e for e in events("organization") if e.summary == "Ghost"]


def test_bulk_statements_are_recorded_too(app):
    org = make_org(city="Almaty")
    result = import_rates_csv("date,base,quote,rate,source\n"
                              "2026-03-02,EUR,KZT,540.25,NBK\n"
                              "2026-03-02,USD,KZT,498.5,NBK\n")
    db.session.commit()
    assert result.imported == 2

    rates = {rate.id: rate for rate in db.session.scalars(select(ExchangeRate))}
    created = events("exchange_rate", AuditAction.CREATE)
    assert sorted(int(e.record_id) for e in created) == sorted(rates)
    assert {e.summary for e in created} == {"EUR/KZT 2026-03-02", "USD/KZT 2026-03-02"}

    db.session.execute(insert(ExchangeRate).values(
        on_date=date(2026, 3, 3), base="EUR", quote="KZT", rate=Decimal("541"), source="NBK"))
    assert only([e for e in events("exchange_rate") if e.changes["on_date"] == "2026-03-03"]
                ).summary == "EUR/KZT 2026-03-03"

    db.session.execute(update(Organization).where(Organization.id == org.id)
                       .values(city_en="Osh"))
    db.session.execute(delete(ExchangeRate).where(ExchangeRate.base == "USD"))
    db.session.commit()
    assert only(events("organization", AuditAction.UPDATE)).changes == {
        "city_en": ["Almaty", "Osh"]
    }
    assert only(events("exchange_rate", AuditAction.DELETE)).changes["rate"] == "498.5"


def test_password_hashes_are_never_copied_into_the_trail(app):
    user = make_user(Role.VIEWER, email="viewer@example.org")

    user_events = events("user_account")
    assert {e.record_id for e in user_events} == {str(user.id)}
    for event in user_events:
        for value in event.changes.values():
            assert "argon2" not in str(value)
    changed = [e for e in user_events if "password_hash" in e.changes]
    assert changed and changed[-1].changes["password_hash"][-1] == "[redacted]"
    fields = {f.name: f for f in describe(changed)[-1].fields}
    assert fields["password_hash"].after == "(hidden)"


# --- who ----------------------------------------------------------------------------


def test_without_a_user_the_author_is_the_system(app):
    make_org()
    event = only(events("organization"))
    assert (event.actor_id, event.actor_label) == (None, "system")


def test_acting_as_names_the_author_of_a_commands_changes(app):
    coordinator = make_user(Role.COORDINATOR, email="coordinator@example.org")

    with acting_as(coordinator.id):
        make_org(name_en="By the coordinator")
    with acting_as(None, "nightly rates import"):
        make_org(name_en="By a job")

    by_name = {e.summary: e for e in events("organization")}
    assert by_name["By the coordinator"].actor_id == coordinator.id
    assert by_name["By the coordinator"].actor_label == "coordinator@example.org"
    assert by_name["By a job"].actor_id is None
    assert by_name["By a job"].actor_label == "nightly rates import"


def test_the_request_user_from_g_is_the_author(app):
    lead = make_user(Role.LEAD, email="lead@example.org")

    g.audit_actor_id = lead.id
    try:
        make_org(name_en="Logged by the lead")
    finally:
        g.pop("audit_actor_id")

    event = only([e for e in events("organization") if e.summary == "Logged by the lead"])
    assert (event.actor_id, event.actor_label) == (lead.id, "lead@example.org")


def test_a_logged_in_users_edit_through_the_screen_names_them(client):
    org = make_org(slug="eco-accord", name_en="Eco-Accord", city="Moscow", country="RU")
    admin = make_user(Role.ADMIN, email="admin@example.org")
    login(client, admin)
    name_before = org.name_ru

    response = client.post("/orgs/eco-accord/edit", data={
        "slug": "eco-accord", "name_en": "Eco-Accord", "name_ru": "Эко-Согласие",
        "country": "RU", "city_en": "Moscow", "kind": org.kind.value, "website": "",
    })

    assert response.status_code == 302, response.text
    event = only(events("organization", AuditAction.UPDATE))
    assert (event.actor_id, event.actor_label) == (admin.id, "admin@example.org")
    assert event.changes == {"name_ru": [name_before, "Эко-Согласие"]}


def test_a_command_without_a_user_is_recorded_as_the_command_line(runner):
    @click.command("add-ngo")
    @with_appcontext
    def add_ngo() -> None:
        make_org(name_en="From the shell")

    result = runner.invoke(add_ngo)

    assert result.exit_code == 0, result.output
    event = only(events("organization"))
    assert (event.summary, event.actor_id, event.actor_label) == (
        "From the shell", None, "command line")


# --- append-only ----------------------------------------------------------------------


def test_an_audit_event_cannot_be_changed(app):
    make_org()
    event = only(events("organization"))

    event.summary = "Nothing happened here"
    with pytest.raises(AuditTrailIsAppendOnly, match="append-only"):
        db.session.flush()
    db.session.rollback()

    assert only(events("organization")).summary != "Nothing happened here"


def test_an_audit_event_cannot_be_deleted(app):
    make_org()
    before = count_rows(AuditEvent)

    db.session.delete(only(events("organization")))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(delete(AuditEvent))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(update(AuditEvent).values(actor_label="someone else"))
    db.session.rollback()

    assert count_rows(AuditEvent) == before


# --- history of a record ----------------------------------------------------------------


def test_a_campaigns_history_shows_its_partners_changes(app):
    lead, first, second = make_org(), make_org(name_en="Greenwomen"), make_org(name_en="Armhefa")
    campaign = make_campaign(lead, [(first, PartnerRole.PARTNER)])

    update_campaign(campaign, campaign_input(
        campaign, status=CampaignStatus.ACTIVE,
        partners=(PartnerInput(first.id, PartnerRole.CO_LEAD),
                  PartnerInput(second.id, PartnerRole.ADVISOR)),
    ))
    db.session.commit()
    unrelated = make_campaign()

    history = history_for("campaign", campaign.id)
    kinds = [(e.record_type, e.action) for e in history.items]
    assert ("campaign", AuditAction.UPDATE) in kinds
    assert ("campaign_partner", AuditAction.UPDATE) in kinds
    assert ("campaign_partner", AuditAction.CREATE) in kinds
    assert all(e.record_id != str(unrelated.id) or e.record_type != "campaign"
               for e in history.items)
    assert history.items[0].occurred_at >= history.items[-1].occurred_at  # newest first
    assert {e.record_type for e in history_for("campaign", campaign.id,
                                               include_children=False).items} == {"campaign"}

    with app.test_request_context("/campaigns/x"):
        html = history_html(history)
    lines = history_lines(html)
    assert "System changed the campaign partner “Greenwomen”: role from Partner to Co-lead" \
        in lines
    assert "System created the campaign partner “Armhefa”" in lines
    assert "System changed the campaign “Campaign 4”: status from Planned to Active" \
        in lines.replace(campaign.title_en, "Campaign 4")


def test_a_targets_history_shows_its_budget_line_changes_page_by_page(app):
    target = make_target(make_campaign())
    for number in range(3):
        make_line(target, description=f"Line {number}")

    first_page = history_for("funding_target", target.id, per_page=2)
    assert (first_page.total, first_page.pages) == (4, 2)
    assert [e.summary for e in first_page.items] == ["Line 2", "Line 1"]
    assert history_for("funding_target", target.id, per_page=2, page=2).items[-1].record_type \
        == "funding_target"

    with app.test_request_context(f"/targets/{target.id}"):
        html = history_html(first_page)
    assert "System created the budget line “Line 2”" in history_lines(html) and "Older" in html
    assert f"/targets/{target.id}?history_page=2" in html


# --- the audit screen and its export ------------------------------------------------------


@pytest.mark.usefixtures("signed_in_admin")
def test_the_audit_screen_lists_changes_newest_first(client):
    make_org(name_en="First NGO")
    make_org(name_en="Second NGO")

    page = client.get("/audit/")

    assert page.status_code == 200
    assert page.text.index("Second NGO") < page.text.index("First NGO")
    # Two organisations, and the signed-in admin's account: made, then its password set.
    assert "4 changes" in page.text
    assert "Download CSV" in page.text


@pytest.mark.usefixtures("signed_in_admin")
def test_the_audit_screen_filters_by_record_type(client):
    make_campaign(make_org(name_en="Eco-Forum"), title_en="Women and chemicals")

    page = client.get("/audit/?record_type=organization")

    assert page.status_code == 200
    assert "Eco-Forum" in page.text
    assert "Women and chemicals" not in page.text
    assert "/audit/export.csv?record_type=organization" in page.text


@pytest.mark.usefixtures("signed_in_admin")
def test_the_audit_screen_filters_by_date(client):
    make_org(name_en="Today's NGO")
    db.session.add(AuditEvent(  # appending is allowed: an event from last January
        occurred_at=datetime(2026, 1, 15, 9, 30, tzinfo=UTC), actor_label="system",
        action=AuditAction.CREATE, record_type="organization", record_id="999",
        changes={"name_en": "January NGO"}, summary="January NGO",
    ))
    db.session.commit()

    january = client.get("/audit/?date_from=2026-01-01&date_to=2026-01-31")
    assert "January NGO" in january.text and "Today&#39;s NGO" not in january.text

    today = utcnow().date().isoformat()
    recent = client.get(f"/audit/?date_from={today}&date_to={today}")
    assert "Today&#39;s NGO" in recent.text and "January NGO" not in recent.text

    backwards = client.get("/audit/?date_from=2026-02-01&date_to=2026-01-01")
    assert backwards.status_code == 422
    assert "The end date cannot be before the start date." in backwards.text


@pytest.mark.usefixtures("signed_in_admin")
def test_the_audit_screen_filters_by_user_and_by_record(client):
    coordinator = make_user(Role.COORDINATOR, email="coordinator@example.org")
    with acting_as(coordinator.id):
        org = make_org(name_en="Coordinated NGO")
    make_org(name_en="System NGO")

    mine = client.get(f"/audit/?actor={coordinator.id}")
    assert "Coordinated NGO" in mine.text and "System NGO" not in mine.text
    assert "coordinator@example.org" in mine.text

    one = client.get(f"/audit/?record_type=organization&record_id={org.id}")
    assert "Coordinated NGO" in one.text and "System NGO" not in one.text

    assert client.get("/audit/?record_type=no_such_table").status_code == 422


def test_search_events_pages_and_filters_in_sql(app):
    for number in range(5):
        make_org(name_en=f"NGO {number}")
    page = search_events(record_type="organization", page=2, per_page=2)
    assert (page.total, page.pages, page.page) == (5, 3, 2)
    assert [e.summary for e in page.items] == ["NGO 2", "NGO 1"]
    tomorrow = utcnow().date() + timedelta(days=1)
    assert search_events(date_from=tomorrow).total == 0
    assert search_events(date_to=date(2000, 1, 1)).total == 0


@pytest.mark.usefixtures("signed_in_admin")
def test_csv_export_has_the_rows_and_defuses_formulas(client):
    make_org(name_en='=HYPERLINK("http://evil.example/","Click me")', slug="evil")
    make_campaign(title_en="Lead in paint")

    response = client.get("/audit/export.csv?record_type=organization")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Time (UTC)", "Event", "User id", "User", "Action"]
    assert {row[5] for row in body} == {"organization"}
    evil = """'=HYPERLINK("http://evil.example/","Click me")"""
    assert [row[12] for row in body if row[10] == "name_en" and row[12] == evil] == [evil]
    assert evil in {row[9] for row in body}  # the summary column too
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.usefixtures("signed_in_admin")
def test_csv_export_shows_amounts_with_their_currency(client):
    line = make_line(make_target(make_campaign(), currency="KZT"), unit_cost="1500")
    update_line(line, line_input(line, unit_cost=Decimal("2000")))
    db.session.commit()

    text = client.get("/audit/export.csv?record_type=budget_line").get_data(as_text=True)

    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    changed = [row for row in rows if row[4] == "update" and row[10] == "unit_cost_minor"]
    assert changed[0][11:13] == ["1500.00 KZT", "2000.00 KZT"]


def test_neutralize_prefixes_only_dangerous_text():
    assert neutralize("=1+1") == "'=1+1"
    assert neutralize("-cmd") == "'-cmd"
    assert neutralize("@SUM(A1)") == "'@SUM(A1)"
    assert neutralize("\tx") == "'\tx"
    assert neutralize("Eco-Accord") == "Eco-Accord"
    assert neutralize(-5) == -5


@pytest.mark.usefixtures("signed_in_admin")
def test_the_history_is_shown_in_russian(client):
    line = make_line(make_target(make_campaign(), currency="USD"), unit_cost="100")
    update_line(line, line_input(line, unit_cost=Decimal("1500.5"),
                                 category=BudgetCategory.LAB_TESTING))
    db.session.commit()
    client.post("/language", data={"language": "ru", "next": "/audit/"})

    page = client.get("/audit/?record_type=budget_line")

    assert page.status_code == 200
    # The edit's values are in its details, one link away (issue 15).
    assert "Цена за единицу: 100,00 $ → 1 500,50 $" in details(client, page.text)
    (link,) = details_links(page.text)[:1]
    assert "1\u00a0500,50\u00a0$" in client.get(link).text


def test_a_long_history_is_counted_up_to_a_cap_and_still_pages_on(app, monkeypatch):
    """Past the cap the pager keeps a "next" link, and every event is reachable in order."""
    from tracker.audit import services as audit_services
    from tracker.campaigns.models import PartnerRole

    monkeypatch.setattr(audit_services, "HISTORY_COUNT_CAP", 5)
    lead = make_org(slug="lead-ngo")
    campaign = make_campaign(lead=lead, slug="long-history",
                             partners=[(make_org(slug=f"p{n}"), PartnerRole.PARTNER)
                                       for n in range(6)])
    everything = [event.id for event in audit_services.history_for(
        "campaign", campaign.id, per_page=100).items]

    seen, page = [], 1
    while True:
        events = audit_services.history_for("campaign", campaign.id, page=page, per_page=3)
        seen += [event.id for event in events.items]
        if not events.has_next:
            break
        page += 1
    assert len(everything) > 5
    assert seen == everything
