"""Opening a grant from an award, its overview, budget and revisions, through the screens."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.applications_support import make_application
from tests.auth_support import login, make_user
from tests.grants_support import make_grant_world, spend
from tracker.applications import services as application_services
from tracker.applications.models import ApplicationStatus, ReportDue
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.grants.models import BudgetVersion, Grant
from tracker.mail.models import OutboxMessage
from tracker.reminders.services import follow

# The six lines of the world's application, as version 1 codes them (see grants_support).
CODES = ["1.1", "2.1", "2.2", "3.1", "4.1", "5.1"]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def text(response) -> str:
    """The page's text with entities resolved and Babel's spaces as plain ones."""
    return html.unescape(response.text).replace("\u202f", " ").replace("\xa0", " ")


def value_of(response, name: str) -> str:
    """The value an input of the page holds."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', response.text)
    assert found is not None, name
    return found.group(1)


def staff(client, language: str = "en"):
    user = make_user(Role.COORDINATOR, language=language)
    login(client, user)
    return user


def open_form(world, **overrides) -> dict:
    data = {"reference": "UNIDO-2027-014", "holder_org_id": str(world.hub.id),
            "partner_org_ids": [str(world.moldova.id), str(world.kazakh.id)],
            "starts_on": "2027-01-01", "ends_on": "2028-12-31", "flexibility_percent": "10",
            "every_months": "12", "due_after_days": "30"}
    data.update(overrides)
    return data


# Opening --------------------------------------------------------------------------


def test_the_form_is_prefilled_from_the_awarded_application(app, client):
    world = make_grant_world(open_it=False)
    staff(client)
    page = client.get(f"/applications/{world.application.id}")
    assert f'href="/grants/open/{world.application.id}"' in page.text

    response = client.get(f"/grants/open/{world.application.id}")

    assert response.status_code == 200
    assert f'<option selected value="{world.hub.id}">' in response.text
    assert 'value="2027-01-01"' in response.text and 'value="2028-12-31"' in response.text
    for partner in (world.moldova, world.kazakh):
        assert f'<option selected value="{partner.id}">' in response.text
    assert value_of(response, "flexibility_percent") == "10"
    assert '<option selected value="6">' in response.text
    assert value_of(response, "due_after_days") == "30"


def test_opening_codes_the_lines_adds_up_to_the_award_and_schedules_the_reports(app, client):
    world = make_grant_world(open_it=False)
    staff(client)

    response = client.post(f"/grants/open/{world.application.id}", data=open_form(world))

    assert response.status_code == 302
    grant = db.session.scalar(select(Grant))
    assert response.headers["Location"] == f"/grants/{grant.id}"
    assert [line.code for line in grant.lines] == CODES
    assert len(grant.versions) == 1
    assert sum(grants.current_amounts(grant).values()) == grant.awarded_minor == 6_000_000
    reports = db.session.scalars(select(ReportDue).where(ReportDue.period_id.is_not(None))).all()
    assert len(reports) == 4
    assert sorted((r.kind.value, r.content.value, r.due_on) for r in reports) == [
        ("final", "financial", date(2029, 1, 30)), ("final", "narrative", date(2029, 1, 30)),
        ("interim", "financial", date(2028, 1, 30)), ("interim", "narrative", date(2028, 1, 30))]

    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    shown = text(page)
    assert "UNIDO-2027-014" in shown and "Eco-Accord" in shown
    assert "Eco-Moldova" in shown and "Moldova" in shown and "Kazakhstan" in shown
    assert "$60,000.00" in shown and "Time elapsed" in shown
    assert 'id="period-1"' in page.text and 'id="period-2"' in page.text
    application_page = client.get(f"/applications/{world.application.id}")
    assert f'href="/grants/{grant.id}"' in application_page.text
    assert "/grants/open/" not in application_page.text


def test_a_grant_does_not_open_from_an_application_that_is_not_awarded(app, client):
    world = make_grant_world(open_it=False)
    drafting = make_application(world.campaign, world.donor, world.hub,
                                status=ApplicationStatus.DRAFTING)
    staff(client)

    page = client.get(f"/grants/open/{drafting.id}")
    response = client.post(f"/grants/open/{drafting.id}", data=open_form(world))

    assert page.status_code == 200
    assert "Only an awarded application opens a grant" in text(page)
    assert response.status_code == 422
    assert "Only an awarded application opens a grant" in text(response)
    assert count(Grant) == 0 and count(ReportDue) == 0
    assert client.get("/grants/open/999999").status_code == 404


def test_an_application_opens_one_grant_and_the_refusal_links_to_it(app, client):
    world = make_grant_world()
    staff(client)

    response = client.post(f"/grants/open/{world.application.id}", data=open_form(world))

    assert response.status_code == 422
    assert "already open" in text(response)
    assert f'href="/grants/{world.grant.id}"' in response.text
    assert count(Grant) == 1


def test_a_reference_another_grant_has_is_refused_and_nothing_is_written(app, client):
    world = make_grant_world()
    other = make_application(world.campaign, world.donor, world.hub,
                             status=ApplicationStatus.AWARDED,
                             project_starts_on=date(2027, 1, 1),
                             project_ends_on=date(2027, 12, 31))
    staff(client)
    reports_before = count(ReportDue)

    response = client.post(f"/grants/open/{other.id}", data=open_form(
        world, starts_on="2027-01-01", ends_on="2027-12-31", partner_org_ids=[]))

    assert response.status_code == 422
    assert "Another grant already has the reference UNIDO-2027-014" in text(response)
    assert count(Grant) == 1 and count(ReportDue) == reports_before
    assert count(BudgetVersion) == 1


def test_six_month_periods_of_a_two_year_grant_are_four_the_last_ending_with_it(app):
    periods = grants.schedule_periods(date(2027, 1, 1), date(2028, 12, 31), 6, 30)

    assert [(p.starts_on, p.ends_on, p.due_on) for p in periods] == [
        (date(2027, 1, 1), date(2027, 6, 30), date(2027, 7, 30)),
        (date(2027, 7, 1), date(2027, 12, 31), date(2028, 1, 30)),
        (date(2028, 1, 1), date(2028, 6, 30), date(2028, 7, 30)),
        (date(2028, 7, 1), date(2028, 12, 31), date(2029, 1, 30)),
    ]
    cut = grants.schedule_periods(date(2027, 1, 31), date(2027, 9, 15), 6, 0)
    assert [(p.starts_on, p.ends_on) for p in cut] == [
        (date(2027, 1, 31), date(2027, 7, 30)), (date(2027, 7, 31), date(2027, 9, 15))]
    grants.check_periods(cut, date(2027, 1, 31), date(2027, 9, 15))


def test_a_schedule_of_six_month_periods_through_the_form(app, client):
    world = make_grant_world(open_it=False)
    staff(client)

    response = client.post(f"/grants/open/{world.application.id}",
                           data=open_form(world, every_months="6"))

    assert response.status_code == 302
    grant = db.session.scalar(select(Grant))
    assert [p.ends_on for p in grant.periods] == [
        date(2027, 6, 30), date(2027, 12, 31), date(2028, 6, 30), date(2028, 12, 31)]
    assert count(ReportDue) == 8


def test_bad_entries_are_shown_next_to_their_fields_and_nothing_is_written(app, client):
    world = make_grant_world(open_it=False)
    staff(client)

    response = client.post(f"/grants/open/{world.application.id}", data=open_form(
        world, reference="", flexibility_percent="150"))

    assert response.status_code == 422
    assert "Enter the agreement's reference." in text(response)
    response = client.post(f"/grants/open/{world.application.id}", data=open_form(
        world, flexibility_percent="150"))
    assert response.status_code == 422
    assert "The flexibility is a percentage from 0 to 100." in text(response)
    assert count(Grant) == 0 and count(ReportDue) == 0


# Editing ----------------------------------------------------------------------------


def test_editing_changes_the_reference_flexibility_partners_and_status(app, client):
    world = make_grant_world()
    grant = world.grant
    staff(client)

    page = client.get(f"/grants/{grant.id}/edit")
    assert page.status_code == 200
    response = client.post(f"/grants/{grant.id}/edit", data={
        "reference": "UNIDO-2027-014/A", "flexibility_percent": "15",
        "partner_org_ids": [str(world.moldova.id), str(world.kazakh.id), str(world.donor.id)],
        "status": "closed"})

    assert response.status_code == 302, text(response)
    db.session.refresh(grant)
    assert grant.reference == "UNIDO-2027-014/A"
    assert grant.flexibility_percent == Decimal("15")
    assert grant.status.value == "closed"
    assert world.donor.id in {p.organization_id for p in grant.partners}


def test_a_sub_grantee_with_lines_stays_and_nothing_changes(app, client):
    world = make_grant_world()
    grant = world.grant
    staff(client)

    response = client.post(f"/grants/{grant.id}/edit", data={
        "reference": "CHANGED", "flexibility_percent": "15",
        "partner_org_ids": [str(world.kazakh.id)], "status": "active"})

    assert response.status_code == 422
    assert "Eco-Moldova has budget lines, expenditures or transfers" in text(response)
    db.session.refresh(grant)
    assert grant.reference == "UNIDO-2027-014"
    assert world.moldova.id in {p.organization_id for p in grant.partners}


# The budget and its revisions ----------------------------------------------------------


def revision_form(grant, amounts: dict[str, str], **extra) -> dict:
    current = grants.current_amounts(grant)
    data: dict = {"approved_on": "2027-06-01", "donor_reference": "UNIDO letter 42",
                  "note": "Equipment cheaper, more testing"}
    for index, line in enumerate(grant.lines):
        data[f"amounts-{index}-code"] = line.code
        data[f"amounts-{index}-amount"] = amounts.get(
            line.code, str(Decimal(current[line.id]) / 100))
    data.update(extra)
    return data


def test_the_budget_shows_lines_categories_and_a_total_equal_to_the_award(app, client):
    world = make_grant_world()
    staff(client)

    response = client.get(f"/grants/{world.grant.id}/budget")

    assert response.status_code == 200
    shown = text(response)
    assert "Budget version 1" in shown
    for code in CODES:
        assert f'id="line-{code}"' in response.text
    assert "17-00 National experts" in shown and "45-00 Equipment" in shown
    assert "Mercury analyser" in shown and "Eco-Moldova" in shown and "Kazakhstan" in shown
    total = shown[shown.index('id="budget-total"'):]
    assert "$60,000.00" in total


def test_a_revision_that_adds_up_becomes_version_two(app, client):
    world = make_grant_world()
    grant = world.grant
    user = staff(client)
    line = {line.code: line for line in grant.lines}
    current = grants.current_amounts(grant)
    equipment = Decimal(current[line["3.1"].id]) / 100
    form = revision_form(grant, {"3.1": str(equipment - 1000)}, **{
        "new_lines-0-code": "3.2", "new_lines-0-donor_category": "21-00",
        "new_lines-0-partner_org_id": str(world.moldova.id), "new_lines-0-year": "2",
        "new_lines-0-description_en": "Soil testing", "new_lines-0-amount": "1 000,00"})
    page = client.get(f"/grants/{grant.id}/budget/revise")
    assert page.status_code == 200
    assert f'value="{equipment:,}"' in page.text  # as English writes it: 16,363.64

    response = client.post(f"/grants/{grant.id}/budget/revise", data=form)

    assert response.status_code == 302, text(response)
    db.session.refresh(grant)
    assert [version.number for version in grant.versions] == [1, 2]
    assert grant.versions[1].approved_by_id == user.id
    assert sum(grants.current_amounts(grant).values()) == grant.awarded_minor
    budget = client.get(f"/grants/{grant.id}/budget")
    shown = text(budget)
    assert "Budget version 2" in shown and "UNIDO letter 42" in shown
    assert 'id="line-3.2"' in budget.text and "Soil testing" in shown
    older = client.get(f"/grants/{grant.id}/budget?version=1")
    assert "Budget version 1" in text(older) and 'id="line-3.2"' not in older.text
    assert "Not the current version" in text(older)
    assert client.get(f"/grants/{grant.id}/budget?version=9").status_code == 404


def test_a_revision_that_does_not_add_up_changes_nothing_and_says_why(app, client):
    world = make_grant_world()
    grant = world.grant
    staff(client)
    first = grant.lines[0]
    amount = Decimal(grants.current_amounts(grant)[first.id]) / 100

    response = client.post(f"/grants/{grant.id}/budget/revise",
                           data=revision_form(grant, {first.code: str(amount + 1)}))

    assert response.status_code == 422
    assert "The lines add up to $60,001.00, not to the award of $60,000.00." in text(response)
    db.session.refresh(grant)
    assert len(grant.versions) == 1 and count(BudgetVersion) == 1


# The donor's flexibility ----------------------------------------------------------------


def test_a_donors_flexibility_is_set_on_its_form_and_prefills_the_grant(app, client):
    world = make_grant_world(open_it=False)
    staff(client)
    donor_form = {"slug": "unido", "name_en": "UNIDO", "name_ru": "ЮНИДО", "country": "AT",
                  "kind": "intergovernmental", "city_en": "", "city_ru": "", "website": ""}

    refused = client.post("/orgs/unido/edit",
                          data={**donor_form, "budget_flexibility_percent": "150"})
    assert refused.status_code == 422
    assert "The flexibility is a percentage from 0 to 100." in text(refused)
    db.session.refresh(world.donor)
    assert world.donor.budget_flexibility_percent is None

    saved = client.post("/orgs/unido/edit",
                        data={**donor_form, "budget_flexibility_percent": "7,5"})
    assert saved.status_code == 302
    db.session.refresh(world.donor)
    assert world.donor.budget_flexibility_percent == Decimal("7.5")
    assert "7.5 %" in text(client.get("/orgs/unido"))
    assert value_of(client.get("/orgs/unido/edit"), "budget_flexibility_percent") == "7.50"
    assert value_of(client.get(f"/grants/open/{world.application.id}"),
                    "flexibility_percent") == "7.5"

    client.post("/orgs/unido/edit", data={**donor_form, "budget_flexibility_percent": ""})
    db.session.refresh(world.donor)
    assert world.donor.budget_flexibility_percent is None
    ngo = client.post("/orgs/eco-moldova/edit", data={
        "slug": "eco-moldova", "name_en": "Eco-Moldova", "name_ru": "", "country": "MD",
        "kind": "ngo", "budget_flexibility_percent": "5"})
    assert ngo.status_code == 302
    db.session.refresh(world.moldova)
    assert world.moldova.budget_flexibility_percent is None  # only donors have the rule


# Deadlines, the calendar feed and reminders ----------------------------------------------


def test_a_grants_reports_join_the_deadlines_and_the_calendar_feed(app, client):
    world = make_grant_world(open_it=False)
    user = staff(client)
    today = utcnow().date()
    starts_on, ends_on = today - timedelta(days=500), today + timedelta(days=10)
    response = client.post(f"/grants/open/{world.application.id}", data=open_form(
        world, reference="UNIDO-X-1", starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat()))
    assert response.status_code == 302, text(response)

    shown = text(client.get("/deadlines"))

    for label in ("Interim narrative report, period 1 — UNIDO-X-1",
                  "Interim financial report, period 1 — UNIDO-X-1",
                  "Final narrative report, period 2 — UNIDO-X-1",
                  "Final financial report, period 2 — UNIDO-X-1"):
        assert label in shown
    token = application_services.issue_calendar_token(user)
    db.session.commit()
    feed = client.get(f"/deadlines/{token}.ics?lang=en").text.replace("\r\n ", "")
    assert feed.count("UNIDO-X-1") >= 4
    assert "Final financial report\\, period 2 — UNIDO-X-1" in feed


def test_a_grant_report_due_in_seven_days_is_reminded(app, runner):
    world = make_grant_world(open_it=False)
    person = make_user(Role.FUNDRAISER, email="grants@example.org")
    follow(person, world.application)
    grants.open_grant(world.application, grants.GrantInput(
        reference="UNIDO-R-7", holder_org_id=world.hub.id, starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        periods=grants.schedule_periods(date(2026, 1, 1), date(2026, 12, 31), 12, 31)),
        by=None)
    db.session.commit()

    result = runner.invoke(args=["send-reminders", "--today", "2027-01-24"])

    assert result.exit_code == 0, result.output
    subjects = sorted(db.session.scalars(select(OutboxMessage.subject).where(
        OutboxMessage.recipient == "grants@example.org")))
    assert len(subjects) == 2
    assert "Final financial report, period 1 — UNIDO-R-7" in subjects[0]
    assert "Final narrative report, period 1 — UNIDO-R-7" in subjects[1]


# Russian ---------------------------------------------------------------------------------


def test_the_grant_screens_speak_russian(app, client):
    world = make_grant_world()
    staff(client, language="ru")

    overview = text(client.get(f"/grants/{world.grant.id}"))
    budget = text(client.get(f"/grants/{world.grant.id}/budget"))
    revise = text(client.get(f"/grants/{world.grant.id}/budget/revise"))

    assert "График отчётности" in overview and "Гибкость бюджета" in overview
    assert "Версия бюджета 1" in budget and "Итого" in budget
    assert "Пересмотреть бюджет" in revise


def test_every_grant_page_has_tabs_to_its_sections_and_the_list_links_to_it(app, client):
    world = make_grant_world()
    login(client, make_user(Role.VIEWER))
    grant_id = world.grant.id
    sections = ["", "/budget", "/spending", "/actual", "/transfers", "/reports"]
    for section in sections:
        page = client.get(f"/grants/{grant_id}{section}").get_data(as_text=True)
        tabs = re.search(r'<ul class="nav nav-tabs[^"]*">(.*?)</ul>', page, re.S)
        assert tabs, section
        assert re.findall(r'href="([^"]+)"', tabs.group(1)) == [
            f"/grants/{grant_id}{other}" for other in sections], section
    listing = text(client.get("/grants/"))
    assert "UNIDO-2027-014" in listing and "$60,000.00" in listing


def test_the_overview_shows_the_grants_history_to_those_who_see_every_partners_spending(
        app, client):
    world = make_grant_world()
    spend(world.grant, "2.2", "17850", "MDL", date(2027, 3, 2), "M-77")
    login(client, make_user(Role.COORDINATOR))
    page = client.get(f"/grants/{world.grant.id}").get_data(as_text=True)
    assert 'id="history"' in page and "M-77" in page
    client.post("/logout")
    login(client, make_user(Role.LEAD, org=world.kazakh))  # another partner's lead
    page = client.get(f"/grants/{world.grant.id}").get_data(as_text=True)
    assert 'id="history"' not in page and "M-77" not in page
