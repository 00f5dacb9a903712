"""The dashboard's funding sections are kept whole (tracker.dashboard.sections, issue 15):
a kept section must never show a figure, a title or a rate that has changed since, however
the change was written. Each test shows the dashboard, changes what it shows, and reads it
again, in both languages where the figures are formatted."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_payment, make_pledge, make_world
from tests.factories import make_campaign, make_line, make_target
from tests.fragments_support import rendered_templates
from tests.grants_support import make_grant_world, spend
from tests.pages import plain, switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tests.test_funding import dashboard_rows
from tracker.auth.models import Role
from tracker.campaigns.models import CampaignStatus
from tracker.dashboard.sections import SECTIONS_TEMPLATE
from tracker.db import utcnow
from tracker.extensions import db
from tracker.money.services import add_rate


@pytest.fixture
def world(client):
    world = make_world()
    make_line(make_target(world.campaign, currency="RUB"), quantity="1", unit_cost="100000")
    db.session.commit()
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    client.post("/reporting-currency", data={"currency": "RUB"})
    return world


def totals(page: str) -> dict[str, str]:
    section = page.split('id="coalition-totals"', 1)[1].split("</section>", 1)[0]
    return {name: re.sub(r"<[^>]+>", "", plain(value)).strip()
            for name, value in re.findall(r'data-total="(\w+)">(.*?)</dd>', section, re.S)}


def is_roll_up_read(statement: str) -> bool:
    """Whether a statement reads the roll-ups' columns as rows: any but the key's (its union
    of parts casts them)."""
    return ("campaign_funding.awarded_minor" in statement
            and not statement.startswith("SELECT 0 AS part"))


def dashboard_request(client) -> tuple[list[str], bool]:
    """One dashboard request's statements, and whether it rendered the funding sections
    (rather than showing the kept ones)."""
    with rendered_templates(client.application) as rendered:
        statements, _page = statements_of_get(client, "/")  # answered 200
    return statements, SECTIONS_TEMPLATE in rendered


def sections_rendered(client) -> bool:
    """Whether one dashboard request rendered the funding sections anew."""
    return dashboard_request(client)[1]


def test_rendered_anew_the_roll_ups_are_read_only_by_the_key_statement(client, world):
    """The lines are built from the rows the dashboard's key statement read
    (tracker.dashboard.lines): no other statement loads the roll-ups again."""
    statements, rendered = dashboard_request(client)

    assert rendered
    assert [s for s in statements if is_roll_up_read(s)] == []


def test_rendered_anew_no_statement_sends_a_list_of_the_campaigns_ids(client, world):
    statements, rendered = dashboard_request(client)

    assert rendered
    assert [s for s in statements if "campaign_id IN (" in s] == []


def test_an_unchanged_dashboard_is_shown_from_the_kept_sections(client, world):
    assert sections_rendered(client)  # the first request renders the figures
    assert not sections_rendered(client)  # the second reads only the key
    make_payment(make_pledge(make_drive(world), amount="1000"), "250")
    assert sections_rendered(client)  # a payment changes the key: rendered anew


def test_a_payment_shows_at_once_in_the_kept_totals_and_row_in_either_language(client, world):
    pledge = make_pledge(make_drive(world), amount="1000")
    slug = world.campaign.slug
    assert totals(client.get("/").text)["pledged"] == "RUB 1,000.00"
    switch_to_russian(client)
    assert totals(client.get("/").text)["pledged"] == "1 000,00 ₽"

    make_payment(pledge, "400")

    page = client.get("/").text
    assert (totals(page)["secured"], totals(page)["pledged"]) == ("400,00 ₽", "600,00 ₽")
    assert dashboard_rows(page)[slug]["gap"] == "99 600,00 ₽"
    switch_to_english(client)
    page = client.get("/").text
    assert (totals(page)["secured"], totals(page)["gap"]) == ("RUB 400.00", "RUB 99,600.00")


def test_a_roll_up_changed_by_a_delta_alone_is_shown_fresh(client, world):
    """Whatever writes the roll-up (here a bare delta that leaves refreshed_at as it was),
    the key reads the figures themselves."""
    assert totals(client.get("/").text)["secured"] == "RUB 0.00"

    db.session.execute(text("UPDATE campaign_funding SET received_minor = received_minor + 12345"
                            " WHERE campaign_id = :id"), {"id": world.campaign.id})
    db.session.commit()

    assert totals(client.get("/").text)["secured"] == "RUB 123.45"
    switch_to_russian(client)
    assert totals(client.get("/").text)["secured"] == "123,45 ₽"


def test_a_new_rate_converts_the_kept_sections_anew(client, world):
    client.post("/reporting-currency", data={"currency": "KZT"})
    # The latest RUB→KZT rate of make_world is 6.20.
    assert totals(client.get("/").text)["target"] == "KZT 620,000.00"

    add_rate(utcnow().date() - timedelta(days=1), "RUB", "KZT", Decimal("6.50"), "Test rates")
    db.session.commit()

    page = client.get("/").text
    assert totals(page)["target"] == "KZT 650,000.00"
    assert "1 RUB = 6.5 KZT" in plain(page.split('id="totals-rates"', 1)[1].split("</ul>", 1)[0])
    switch_to_russian(client)
    assert totals(client.get("/").text)["target"] == "650 000,00 KZT"


def test_a_renamed_campaign_is_shown_under_its_new_title_in_either_language(client, world):
    client.get("/")
    switch_to_russian(client)
    client.get("/")
    world.campaign.title_en, world.campaign.title_ru = "Clean water and air", "Чистая вода"
    db.session.commit()

    assert "Чистая вода</a>" in client.get("/").text
    switch_to_english(client)
    assert "Clean water and air</a>" in client.get("/").text


def test_an_archived_campaign_leaves_the_kept_sections(client, world):
    page = client.get("/").text
    assert world.campaign.slug in dashboard_rows(page)
    counted = int(totals(page)["campaigns"])

    world.campaign.status = CampaignStatus.ARCHIVED
    db.session.commit()

    page = client.get("/").text
    assert world.campaign.slug not in dashboard_rows(page)
    assert int(totals(page)["campaigns"]) == counted - 1


def test_each_user_sees_the_sections_in_their_own_reporting_currency(client, world, app):
    add_rate(date(2026, 3, 2), "EUR", "RUB", Decimal("100.00"), "Test rates")
    db.session.commit()
    assert totals(client.get("/").text)["target"] == "RUB 100,000.00"

    other = app.test_client()
    login(other, make_user(Role.VIEWER, email="viewer@example.org"))
    other.post("/reporting-currency", data={"currency": "EUR"})

    assert totals(other.get("/").text)["target"] == "€1,000.00"
    assert dashboard_rows(other.get("/").text)[world.campaign.slug]["target"] == "€1,000.00"
    assert totals(client.get("/").text)["target"] == "RUB 100,000.00"


def test_approved_spending_shows_at_once_in_the_kept_row(client):
    world = make_grant_world()
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    client.post("/reporting-currency", data={"currency": "USD"})
    slug = world.campaign.slug
    assert dashboard_rows(client.get("/").text)[slug]["spent"] == "$0.00"
    switch_to_russian(client)
    assert dashboard_rows(client.get("/").text)[slug]["spent"] == "0,00 $"

    spend(world.grant, "2.2", "17.85", "MDL", date(2027, 3, 3))

    assert dashboard_rows(client.get("/").text)[slug]["spent"] == "1,00 $"
    switch_to_english(client)
    assert dashboard_rows(client.get("/").text)[slug]["spent"] == "$1.00"


def test_a_campaign_without_a_roll_up_row_is_shown_from_its_pledges_and_not_kept(
        client, world):
    make_payment(make_pledge(make_drive(world), amount="1000"), "300")
    db.session.execute(text("DELETE FROM campaign_funding WHERE campaign_id = :id"),
                       {"id": world.campaign.id})
    db.session.commit()

    assert totals(client.get("/").text)["secured"] == "RUB 300.00"
    assert sections_rendered(client)  # again: the key cannot see figures computed live
    switch_to_russian(client)
    assert totals(client.get("/").text)["secured"] == "300,00 ₽"


def test_a_pledge_to_one_campaign_leaves_the_others_kept_rows_right_and_the_totals_add_up(
        client, world):
    """Each campaign's line is kept under its own roll-up row (tracker.dashboard.lines): a
    change to one campaign rebuilds that line, and the totals add the kept lines to it."""
    other = make_campaign(title_en="Lead in paint", title_ru="Свинец в красках")
    make_line(make_target(other, currency="RUB"), quantity="1", unit_cost="50000")
    make_pledge(make_drive(world), amount="1000")
    page = client.get("/").text
    assert dashboard_rows(page)[other.slug]["gap"] == "RUB 50,000.00"
    assert totals(page)["gap"] == "RUB 150,000.00"

    make_payment(make_pledge(make_drive(world, slug="second-drive"), amount="4000"), "4000")

    page = client.get("/").text
    assert dashboard_rows(page)[other.slug]["gap"] == "RUB 50,000.00"
    assert dashboard_rows(page)[world.campaign.slug]["gap"] == "RUB 96,000.00"
    assert (totals(page)["secured"], totals(page)["pledged"], totals(page)["gap"]) == (
        "RUB 4,000.00", "RUB 1,000.00", "RUB 146,000.00")
