"""The dashboard's and the campaign page's kept fragments are keyed by one statement each
(tracker.key_reads, issue 15): a page with every fragment kept reads all its keys at once,
and a key read that way must still never let a kept fragment show anything changed since,
however it was written (here by hand, in SQL), in either language."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import text

from tests.applications_support import make_application
from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_pledge, make_world
from tests.grants_support import make_grant_world, spend
from tests.pages import plain, switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tracker.applications.models import ApplicationStatus
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.extensions import db
from tracker.money.services import add_rate

# The tables only a kept fragment's key reads on a page whose fragments are all kept.
DASHBOARD_KEYS = r"\b(campaign_funding|grant_award|expenditure|application|pledge)\b"
CAMPAIGN_KEYS = (r"\b(campaign_funding|campaign_partner|campaign_country|funding_target|"
                 r"budget_line|drive_totals|grant_award|expenditure)\b")


def key_reads(client, path: str, tables: str) -> list[str]:
    """The statements of one request of a page, its fragments kept, that read these tables."""
    client.get(path)  # warm: every fragment is kept
    db.session.expire_all()
    # The test's app context outlives each request: forget what the last one worked out
    # (the coalition's currencies), as a request of its own would.
    g.pop("coalition_currencies", None)
    statements, _ = statements_of_get(client, path)
    return [s for s in statements if re.search(tables, s)]


@pytest.fixture
def grant_world(client):
    """A campaign with an open grant, a drive with a pledge and an application due soon;
    the coordinator signed in, the dashboard in USD."""
    world = make_grant_world()
    drive_world = SimpleNamespace(campaign=world.campaign, organiser=world.hub)
    make_pledge(make_drive(drive_world), amount="1000", name="Anna Petrova")
    make_application(world.campaign, world.donor, world.hub, ApplicationStatus.DRAFTING,
                     title_en="Fresh idea", submission_deadline=utcnow().date() + timedelta(3))
    db.session.commit()
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    client.post("/reporting-currency", data={"currency": "USD"})
    return world


def test_a_kept_dashboard_reads_every_key_in_one_statement(client, grant_world):
    assert len(key_reads(client, "/", DASHBOARD_KEYS)) == 1


def test_a_kept_campaign_page_reads_its_body_key_in_one_statement(client, grant_world):
    page = f"/campaigns/{grant_world.campaign.slug}"
    assert len(key_reads(client, page, CAMPAIGN_KEYS)) == 1


def spending(html: str, name: str) -> str:
    found = re.search(rf'data-spending="{name}">(.*?)</dd>', html, re.S)
    assert found, f"no spending figure {name}"
    return re.sub(r"<[^>]+>", "", plain(found.group(1))).strip()


def test_a_grant_award_changed_by_hand_shows_at_once_on_the_campaign_page(client, grant_world):
    page = f"/campaigns/{grant_world.campaign.slug}"
    assert spending(client.get(page).text, "awarded") == "$60,000.00"
    db.session.execute(text("UPDATE grant_award SET awarded_minor = 5000000 WHERE id = :id"),
                       {"id": grant_world.grant.id})
    db.session.commit()
    assert spending(client.get(page).text, "awarded") == "$50,000.00"
    switch_to_russian(client)
    assert spending(client.get(page).text, "awarded") == "50 000,00 $"
    db.session.execute(text("UPDATE grant_award SET awarded_minor = 4000000 WHERE id = :id"),
                       {"id": grant_world.grant.id})
    db.session.commit()
    assert spending(client.get(page).text, "awarded") == "40 000,00 $"
    switch_to_english(client)
    assert spending(client.get(page).text, "awarded") == "$40,000.00"


def test_a_partner_renamed_by_hand_shows_at_once_on_the_campaign_page(client, grant_world):
    page = f"/campaigns/{grant_world.campaign.slug}"
    assert "Eco-Moldova" in client.get(page).text
    db.session.execute(text("UPDATE organization SET name_en = 'Moldova Green', "
                            "name_ru = 'Зелёная Молдова' WHERE id = :id"),
                       {"id": grant_world.moldova.id})
    db.session.commit()
    html = client.get(page).text
    assert "Moldova Green" in html and "Eco-Moldova" not in html
    switch_to_russian(client)
    html = client.get(page).text
    assert "Зелёная Молдова" in html and "Эко-Молдова" not in html


def recent(html: str) -> list[str]:
    """The pledgers' names of the dashboard's recent pledges, in their order."""
    start = html.index('id="recent-pledges"')
    section = plain(html[start:html.index("</section>", start)])
    return re.findall(r"(Anna Petrova|Ivan Sidorov)", section)


def test_recent_pledges_reordered_by_hand_show_in_their_new_order(client):
    world = make_world()
    drive = make_drive(world)
    older = make_pledge(drive, amount="1000", name="Anna Petrova")
    make_pledge(drive, amount="2000", name="Ivan Sidorov")
    db.session.execute(text("UPDATE pledge SET created_at = :at WHERE id = :id"),
                       {"at": utcnow() - timedelta(days=1), "id": older.id})
    db.session.commit()
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    assert recent(client.get("/").text) == ["Ivan Sidorov", "Anna Petrova"]

    # Only the order changes: the same rows, the same figures and names.
    db.session.execute(text("UPDATE pledge SET created_at = :at WHERE id = :id"),
                       {"at": utcnow() + timedelta(days=1), "id": older.id})
    db.session.commit()
    assert recent(client.get("/").text) == ["Anna Petrova", "Ivan Sidorov"]
    switch_to_russian(client)
    assert recent(client.get("/").text) == ["Anna Petrova", "Ivan Sidorov"]


def test_an_approved_expenditure_changed_by_hand_shows_at_once_on_the_campaign_page(
        client, grant_world):
    spend(grant_world.grant, "2.2", "17.85", "MDL", date(2027, 3, 3))
    page = f"/campaigns/{grant_world.campaign.slug}"
    assert spending(client.get(page).text, "spent") == "$1.00"
    db.session.execute(text("UPDATE expenditure SET grant_amount_minor = 300 "
                            "WHERE grant_id = :id"), {"id": grant_world.grant.id})
    db.session.commit()
    assert spending(client.get(page).text, "spent") == "$3.00"
    switch_to_russian(client)
    assert spending(client.get(page).text, "spent") == "3,00 $"


def offered(html: str) -> list[str]:
    """The codes the reporting-currency form offers."""
    form = html.split('id="reporting-currency"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<option[^>]*value="([A-Z]{3})"', form)


def form_token(html: str) -> str:
    form = html.split('id="reporting-currency"', 1)[1].split("</form>", 1)[0]
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert found, "no CSRF token in the form"
    return found.group(1)


def test_a_kept_dashboard_reads_the_coalitions_currencies_only_with_its_keys(
        client, grant_world):
    assert len(key_reads(client, "/", r"\bcoalition_version\b")) == 1


def test_the_kept_currency_form_offers_a_new_currency_at_once_in_either_language(
        client, grant_world):
    assert "KGS" not in offered(client.get("/").text)
    add_rate(utcnow().date() - timedelta(days=1), "USD", "KGS", Decimal("87.50"), "Test rates")
    db.session.commit()
    # The test's app context outlives each request: forget what the last one worked out, as
    # a request of its own would.
    g.pop("coalition_currencies", None)
    html = client.get("/").text
    assert "KGS" in offered(html) and "Show every figure in" in html
    switch_to_russian(client)
    html = client.get("/").text
    assert "KGS" in offered(html) and "Show every figure in" not in html


def selected(html: str) -> list[str]:
    form = html.split('id="reporting-currency"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<option selected value="([A-Z]{3})"|<option value="([A-Z]{3})" selected',
                      form)


def test_the_kept_currency_form_shows_each_reader_their_own_choice(app, client, grant_world):
    html = client.get("/").text
    assert form_token(html)  # filled in: the kept form has its token cut out
    assert "USD" in str(selected(html))
    other = app.test_client()
    login(other, make_user(Role.COORDINATOR, email="second@example.org"))
    assert other.post("/reporting-currency", data={"currency": "EUR"}).status_code == 302
    html = other.get("/").text
    assert form_token(html)
    assert "EUR" in str(selected(html)) and "USD" not in str(selected(html))
    assert "USD" in str(selected(client.get("/").text))
    assert client.post("/reporting-currency", data={"currency": "MDL"}).status_code == 302
    assert "MDL" in str(selected(client.get("/").text))


def test_a_refused_currency_is_named_and_the_kept_form_stays_clean(client, grant_world):
    client.get("/")
    response = client.post("/reporting-currency", data={"currency": "XXZ"})
    assert response.status_code == 422
    assert "is-invalid" in response.text.split('id="reporting-currency"', 1)[1]
    html = client.get("/").text
    assert "is-invalid" not in html.split('id="reporting-currency"', 1)[1].split("</form>")[0]
    assert "USD" in str(selected(html))
