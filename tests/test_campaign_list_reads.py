"""What the campaigns list reads and keeps (issue 15): each statement is a round trip that every
view of the list pays, so its targets come with their totals in one statement, and a target
without budget lines still shows its zero total. Its filters and its count with page links are
kept (tracker/campaigns/views/rows.py), and must follow the data and the request at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, text, update

from tests.factories import make_campaign, make_line, make_org, make_target
from tests.fragments_support import rendered_templates
from tests.pages import plain, switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tracker.campaigns.models import Campaign, CampaignCountry, PartnerRole
from tracker.campaigns.views.rows import kept_controls
from tracker.extensions import db
from tracker.orgs.models import Organization

pytestmark = pytest.mark.usefixtures("signed_in_admin")


def test_targets_and_their_totals_are_read_in_one_statement(client):
    lead = make_org()
    for number in range(3):
        campaign = make_campaign(lead=lead, title_en=f"Campaign {number}")
        make_line(make_target(campaign, currency="RUB"), quantity="2", unit_cost="1000")
        make_target(campaign, currency="KZT", title_en="Empty")
    client.get("/campaigns/")
    statements, page = statements_of_get(client, "/campaigns/")
    reads = [s for s in statements if "funding_target" in s or "budget_line" in s]
    assert len(reads) == 1, reads
    assert plain(page).count("RUB 2,000.00") == 3
    assert plain(page).count("KZT 0.00") == 3


def controls(client, query: str = "") -> str:
    page = plain(client.get("/campaigns/" + query).text)
    form = page[page.index('id="filter-theme"'):page.index("</form>", page.index('id="filter'))]
    count = re.search(r'<p class="small text-muted list-count">(.*?)</p>', page, re.S)
    pages = re.findall(r'href="(/campaigns/\?[^"]*page=\d+[^"]*)"', page)
    return " ".join([re.sub(r"\s+", " ", form), count.group(1) if count else "", *pages])


def execute(statement) -> None:
    """A write no service of the application makes: a bare SQLAlchemy statement, which bumps
    the stored versions all the same (tracker.versions)."""
    db.session.execute(statement)
    db.session.commit()


def test_the_kept_filters_and_count_follow_the_data_and_the_request(client, app):
    with app.app_context():
        kept_controls().clear()  # as a new process
    lead = make_org(country="KZ")
    first = make_campaign(lead=lead, title_en="A first")
    for number in range(25):
        make_campaign(lead=lead, title_en=f"Campaign {number:02d}")
    shown = controls(client)
    assert "Showing 1–25 of 26" in shown and "/campaigns/?page=2" in shown
    assert "Armenia" not in shown
    assert 'value="completed" selected' in controls(client, "?status=completed")
    assert 'value="completed" selected' not in controls(client)
    execute(update(Campaign).where(Campaign.id == first.id).values(status="completed"))
    execute(update(CampaignCountry).where(CampaignCountry.campaign_id == first.id)
            .values(country="AM"))
    shown = controls(client, "?status=completed")
    assert "Showing 1–1 of 1" in shown and "page=2" not in shown and "Armenia" in shown
    assert 'value="completed" selected' in shown
    switch_to_russian(client)
    shown = controls(client, "?status=completed")
    assert "Показаны 1–1 из 1" in shown and "Армения" in shown and "Все темы" in shown
    switch_to_english(client)
    with rendered_templates(app) as rendered:
        client.get("/campaigns/?status=completed")
        client.get("/campaigns/?status=completed")
    assert rendered.count("campaigns/_filters.html") == 0
    assert rendered.count("campaigns/_pager.html") == 0


def test_the_page_its_countries_count_and_filters_version_are_one_statement(client):
    lead = make_org(country="KZ")
    for number in range(30):
        make_line(make_target(make_campaign(lead=lead, title_en=f"Campaign {number:02d}")),
                  quantity="1", unit_cost="10")
    client.get("/campaigns/")
    statements, page = statements_of_get(client, "/campaigns/?page=2")
    # The session; the page with its countries, its count and the countries' version; its
    # targets with their totals. No count apart, no read of every country named.
    assert len(statements) == 3, statements
    assert not [s for s in statements if "UNION" in s]
    assert "Showing 26–30 of 30" in plain(page)
    client.get("/campaigns/?theme=lead_paint&country=KZ")  # its filters rendered and kept
    statements, page = statements_of_get(client, "/campaigns/?theme=lead_paint&country=KZ")
    assert len(statements) == 3, statements
    assert "Showing 1–25 of 30" in plain(page)


def test_an_empty_or_past_the_end_page_still_counts_and_offers_the_countries(client):
    lead = make_org(country="GE")
    make_campaign(lead=lead, title_en="Only")
    shown = controls(client, "?page=9")
    assert "Showing 1–1 of 1" in shown and "Georgia" in shown
    shown = controls(client, "?status=completed")
    assert "Georgia" in shown and "Showing" not in shown


def test_the_countries_offered_follow_every_write_at_once(client, app):
    with app.app_context():
        kept_controls().clear()
    lead = make_org(country="KZ")
    campaign = make_campaign(lead=lead, title_en="Lead in paint", countries=())
    assert "Kazakhstan" in controls(client) and "Uzbekistan" not in controls(client)
    partner = make_org(country="UZ")
    assert "Uzbekistan" not in controls(client)  # not in any campaign yet
    make_campaign(lead=make_org(country="AM"), partners=[(partner, PartnerRole.PARTNER)],
                  countries=())
    shown = controls(client)
    assert "Uzbekistan" in shown and "Armenia" in shown
    execute(update(Organization).where(Organization.id == partner.id).values(country="TJ"))
    shown = controls(client)
    assert "Tajikistan" in shown and "Uzbekistan" not in shown
    execute(update(Campaign).where(Campaign.id == campaign.id)
            .values(lead_org_id=make_org(country="MD").id))
    shown = controls(client, "?country=MD")
    assert "Moldova" in shown and "Kazakhstan" not in shown


def test_without_stored_versions_the_filters_are_keyed_by_what_they_offer(client, app):
    """A database whose versions' rows are gone (emptied, or before migration 0023): the
    filters are keyed by the countries and the choices themselves, and still follow writes."""
    from tracker.options import kept_options_store
    from tracker.versions import CoalitionVersion

    with app.app_context():
        kept_controls().clear()
        kept_options_store().clear()
    lead = make_org(country="KZ")
    campaign = make_campaign(lead=lead, title_en="Lead in paint", countries=())
    # The versions' table is not watched: this delete bumps nothing.
    execute(delete(CoalitionVersion))
    assert "Kazakhstan" in controls(client) and "Lead in paint" in client.get("/applications/").text
    db.session.execute(text("UPDATE organization SET country = 'AM' WHERE id = :id"),
                       {"id": lead.id})
    db.session.execute(text("UPDATE campaign SET title_en = 'Mercury' WHERE id = :id"),
                       {"id": campaign.id})
    db.session.commit()
    assert "Armenia" in controls(client) and "Kazakhstan" not in controls(client)
    page = client.get("/applications/").text
    assert "Mercury" in page and "Lead in paint" not in page
