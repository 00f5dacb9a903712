"""The campaigns list keeps each rendered row (tracker/campaigns/views/rows.py, issue 15): a
kept row must never show a title, a status, a lead, a country or a target total that has
changed since, however the change was written, in either language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.auth_support import login, make_user
from tests.factories import make_campaign, make_line, make_org, make_target
from tests.fragments_support import rendered_templates
from tests.pages import plain, switch_to_russian
from tests.test_dashboard_rows import switch_to_english
from tracker.auth.models import Role
from tracker.campaigns.views.rows import ROW_TEMPLATE, kept_rows
from tracker.extensions import db


@pytest.fixture
def campaign(client):
    lead = make_org(name_en="Eco Forum", name_ru="Экофорум")
    campaign = make_campaign(lead=lead, title_en="Lead in paint", title_ru="Свинец в красках")
    make_line(make_target(campaign, currency="RUB", title_en="2027", title_ru="2027 год"),
              quantity="1", unit_cost="1000")
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    return campaign


def row_text(client, slug: str) -> str:
    """The text of the campaign's row in the list."""
    page = client.get("/campaigns/").text
    found = re.search(rf'<tr>\s*<td>\s*<a href="/campaigns/{slug}">.*?</tr>', page, re.S)
    assert found, f"no row for {slug}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", plain(found.group(0)))).strip()


def execute(statement: str, **values) -> None:
    db.session.execute(text(statement), values)
    db.session.commit()


def test_a_renamed_campaign_and_lead_show_at_once_in_either_language(client, campaign):
    assert "Lead in paint" in row_text(client, campaign.slug)
    assert "Eco Forum" in row_text(client, campaign.slug)
    execute("UPDATE campaign SET title_en = 'Lead-free paint', title_ru = 'Краски без свинца'"
            " WHERE id = :id", id=campaign.id)
    execute("UPDATE organization SET name_en = 'Eco Forum KZ', name_ru = 'Экофорум КЗ'"
            " WHERE id = :id", id=campaign.lead_org_id)
    shown = row_text(client, campaign.slug)
    assert "Lead-free paint" in shown and "Eco Forum KZ" in shown
    switch_to_russian(client)
    shown = row_text(client, campaign.slug)
    assert "Краски без свинца" in shown and "Экофорум КЗ" in shown
    switch_to_english(client)


def test_a_target_total_a_status_and_a_country_show_at_once(client, campaign):
    assert "RUB 1,000.00" in row_text(client, campaign.slug)
    assert "Kazakhstan" in row_text(client, campaign.slug)
    execute("UPDATE budget_line SET quantity = 3, total_minor = 300000"
            " WHERE target_id IN (SELECT id FROM funding_target WHERE campaign_id = :id)",
            id=campaign.id)
    execute("UPDATE campaign_country SET country = 'KG' WHERE campaign_id = :id", id=campaign.id)
    execute("UPDATE campaign SET status = 'completed' WHERE id = :id", id=campaign.id)
    shown = row_text(client, campaign.slug)
    assert "RUB 3,000.00" in shown
    assert "Kyrgyzstan" in shown and "Kazakhstan" not in shown
    assert "Completed" in shown
    switch_to_russian(client)
    shown = row_text(client, campaign.slug)
    assert "3 000,00 ₽" in shown and "Кыргызстан" in shown
    switch_to_english(client)


def test_an_unchanged_row_is_rendered_once(client, app, campaign):
    with app.app_context():
        kept_rows().clear()  # as a new process: another test may have shown this row
    with rendered_templates(app) as rendered:
        client.get("/campaigns/")
        client.get("/campaigns/")
    assert rendered.count(ROW_TEMPLATE) == 1
    assert rendered.count("campaigns/index.html") == 2
