"""The dashboard's campaign rows are rendered once and kept (tracker.dashboard.fragments,
issue 15): a kept row must never show a figure that has changed since. Each test shows
the dashboard, changes what a row shows, and reads the row again, in both languages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_payment, make_pledge, make_world
from tests.factories import make_line, make_target
from tests.pages import switch_to_russian
from tests.test_funding import dashboard_rows
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.extensions import db
from tracker.money.services import add_rate


def switch_to_english(client) -> None:
    client.post("/language", data={"language": "en", "next": "/"})


@pytest.fixture
def world(client):
    world = make_world()
    make_line(make_target(world.campaign, currency="RUB"), quantity="1", unit_cost="100000")
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    client.post("/reporting-currency", data={"currency": "RUB"})
    return world


def row(client, slug: str) -> dict[str, str]:
    return dashboard_rows(client.get("/").text)[slug]


def test_a_payment_shows_at_once_in_the_row_kept_in_either_language(client, world):
    pledge = make_pledge(make_drive(world), amount="1000")
    slug = world.campaign.slug
    assert row(client, slug)["pledged"] == "RUB 1,000.00"
    switch_to_russian(client)
    assert row(client, slug)["pledged"] == "1 000,00 ₽"

    make_payment(pledge, "400")

    shown = row(client, slug)  # the Russian row, kept before the payment, is not reused
    assert (shown["secured"], shown["pledged"], shown["gap"]) == (
        "400,00 ₽", "600,00 ₽", "99 600,00 ₽")
    switch_to_english(client)
    shown = row(client, slug)
    assert (shown["secured"], shown["pledged"], shown["gap"]) == (
        "RUB 400.00", "RUB 600.00", "RUB 99,600.00")

    make_payment(pledge, "100")

    assert row(client, slug)["pledged"] == "RUB 500.00"
    switch_to_russian(client)
    assert row(client, slug)["pledged"] == "500,00 ₽"


def test_a_new_rate_converts_the_kept_row_anew(client, world):
    client.post("/reporting-currency", data={"currency": "KZT"})
    slug = world.campaign.slug
    # The latest RUB→KZT rate of make_world is 6.20.
    assert row(client, slug)["target"] == "KZT 620,000.00"

    add_rate(utcnow().date() - timedelta(days=1), "RUB", "KZT", Decimal("6.50"), "Test rates")
    db.session.commit()

    assert row(client, slug)["target"] == "KZT 650,000.00"
    switch_to_russian(client)
    assert row(client, slug)["target"] == "650 000,00 KZT"


def test_a_renamed_campaign_is_shown_under_its_new_title(client, world):
    client.get("/")
    world.campaign.title_en = "Clean water and air"
    db.session.commit()

    page = client.get("/").text

    row_html = page.split(f'data-campaign="{world.campaign.slug}"', 1)[1].split("</tr>", 1)[0]
    assert "Clean water and air</a>" in row_html


def test_the_reporting_currency_changes_every_kept_row(client, world):
    assert row(client, world.campaign.slug)["target"] == "RUB 100,000.00"
    add_rate(date(2026, 3, 2), "EUR", "RUB", Decimal("100.00"), "Test rates")
    db.session.commit()

    client.post("/reporting-currency", data={"currency": "EUR"})

    assert row(client, world.campaign.slug)["target"] == "€1,000.00"
