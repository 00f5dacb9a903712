"""The dashboard lists the campaigns a page at a time, the largest gap first (issue 15): with
200 campaigns every row on one page was most of the dashboard's cost (440 KB of HTML). The
coordinator still reaches every campaign's gap through the pages, and the totals still add
up every campaign; a kept page must show a changed gap, and a changed order, at once."""

from __future__ import annotations

import re

import pytest

from tests.auth_support import login, make_user
from tests.factories import make_campaign, make_line, make_target
from tests.pages import plain, switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tests.test_dashboard_sections import totals
from tests.test_funding import dashboard_rows
from tracker.auth.models import Role
from tracker.campaigns.models import Campaign
from tracker.dashboard.services import CAMPAIGNS_PER_PAGE
from tracker.targets.models import FundingTarget


@pytest.fixture
def coordinator(client):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    client.post("/reporting-currency", data={"currency": "USD"})
    return client


def campaigns_with_gaps(count: int) -> list[tuple[Campaign, FundingTarget]]:
    """`count` campaigns, each with a USD target and nothing secured: the n-th's gap is
    n thousand dollars, so the last made has the largest gap."""
    made = []
    for n in range(1, count + 1):
        campaign = make_campaign()
        target = make_target(campaign)
        make_line(target, quantity="1", unit_cost=str(n * 1000))
        made.append((campaign, target))
    return made


def listed(page: str) -> list[str]:
    """The campaigns' slugs in the order the dashboard's table lists them."""
    table = page.split('id="campaigns"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-campaign="([\w-]+)"', table)


def gaps_pager(page: str) -> str:
    """The text of the campaign table's count and pager."""
    section = page.split('id="campaign-gaps"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", plain(section.split("</table>", 1)[1])))


def test_the_largest_gaps_come_first_a_page_at_a_time_and_the_totals_count_every_campaign(
        coordinator):
    campaigns = [campaign for campaign, _ in campaigns_with_gaps(CAMPAIGNS_PER_PAGE + 5)]
    by_gap = [campaign.slug for campaign in reversed(campaigns)]

    first = coordinator.get("/").text
    assert listed(first) == by_gap[:CAMPAIGNS_PER_PAGE]
    assert dashboard_rows(first)[by_gap[0]]["gap"] == f"${len(campaigns)},000.00"
    assert f"Showing 1–{CAMPAIGNS_PER_PAGE} of {len(campaigns)}" in gaps_pager(first)
    assert "Largest gap first" in first
    assert totals(first)["campaigns"] == str(len(campaigns))
    assert totals(first)["gap"] == f"${sum(range(1, len(campaigns) + 1))},000.00"

    second = coordinator.get("/?campaigns_page=2").text
    assert listed(second) == by_gap[CAMPAIGNS_PER_PAGE:]
    assert totals(second)["campaigns"] == str(len(campaigns))
    assert 'href="/?campaigns_page=1#campaign-gaps"' in second


def test_a_grown_gap_moves_its_campaign_to_the_first_page_at_once(coordinator):
    smallest, target = campaigns_with_gaps(CAMPAIGNS_PER_PAGE + 5)[0]
    assert smallest.slug not in listed(coordinator.get("/").text)
    assert smallest.slug in listed(coordinator.get("/?campaigns_page=2").text)

    make_line(target, quantity="1", unit_cost="100000")

    first = coordinator.get("/").text
    assert listed(first)[0] == smallest.slug
    assert dashboard_rows(first)[smallest.slug]["gap"] == "$101,000.00"
    assert smallest.slug not in listed(coordinator.get("/?campaigns_page=2").text)


def test_the_pages_speak_russian(coordinator):
    campaigns_with_gaps(CAMPAIGNS_PER_PAGE + 1)
    switch_to_russian(coordinator)
    page = coordinator.get("/").text
    assert f"Показаны 1–{CAMPAIGNS_PER_PAGE} из {CAMPAIGNS_PER_PAGE + 1}" in gaps_pager(page)
    assert "Сначала самые большие разрывы" in page
    switch_to_english(coordinator)


def test_the_dashboard_costs_the_same_statements_at_5_and_60_campaigns(coordinator):
    campaigns_with_gaps(5)
    rendered_5, page = statements_of_get(coordinator, "/")
    assert len(listed(page)) == 5
    kept_5, _ = statements_of_get(coordinator, "/")

    campaigns_with_gaps(55)
    rendered_60, page = statements_of_get(coordinator, "/")
    assert len(listed(page)) == CAMPAIGNS_PER_PAGE
    kept_60, page = statements_of_get(coordinator, "/")
    assert len(listed(page)) == CAMPAIGNS_PER_PAGE
    assert len(page) < 200_000  # bounded by the page, not by the 60 campaigns

    assert len(rendered_60) == len(rendered_5)
    assert len(kept_60) == len(kept_5)
