"""A History line's details in Chromium: under the line with the script, on their own page
without it (issue 15)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.auth_support import make_user
from tests.browser_support import log_in, serving
from tests.factories import make_campaign, make_line, make_org, make_target
from tracker.auth.models import Role
from tracker.orgs.models import OrgKind

# The live server answers in threads of its own, which must see what the test commits.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def target(app):
    """A target with a budget line, whose creation's History line has details."""
    org = make_org(slug="za-prirodu", name_en="For Nature", country="RU", kind=OrgKind.NGO)
    campaign = make_campaign(org, slug="water-and-air", title_en="Water and air quality")
    target = make_target(campaign, currency="USD", title_en="XRF survey 2027")
    make_line(target, description="XRF operators' flights", unit_cost="900")
    make_user(Role.LEAD, email="lead@example.org", campaigns=[campaign])
    return target


def test_the_details_open_under_the_line_and_close_again(app, page: Page, target):
    with serving(app) as base_url:
        log_in(page, base_url, "lead@example.org")
        page.goto(f"{base_url}/targets/{target.id}?history_page=1")
        line = page.locator("#history li.audit-event",
                            has_text="created the budget line “XRF operators' flights”")
        link = line.get_by_role("link", name="Details")

        link.click()

        details = line.locator(".audit-details-inline")
        expect(details).to_contain_text(re.compile(r"Unit cost: \$900\.00"))
        expect(link).to_have_attribute("aria-expanded", "true")
        expect(page).to_have_url(re.compile(rf"/targets/{target.id}\?history_page=1$"))
        link.click()
        expect(details).to_be_hidden()


def test_without_javascript_the_link_opens_the_details_page(app, browser: Browser, target):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        with serving(app) as base_url:
            log_in(page, base_url, "lead@example.org")
            page.goto(f"{base_url}/targets/{target.id}?history_page=1")
            page.locator("#history li.audit-event",
                         has_text="created the budget line “XRF operators' flights”"
                         ).get_by_role("link", name="Details").click()

            expect(page).to_have_url(re.compile(r"/audit/events/\d+\?h="))
            expect(page.locator("h1")).to_have_text("Details of a change")
            expect(page.locator(".audit-details")).to_contain_text(
                re.compile(r"Unit cost: \$900\.00"))
    finally:
        context.close()


def test_a_campaigns_folded_history_is_read_when_opened_with_or_without_the_script(
        app, browser: Browser, target):
    """Opened, the fold fetches the latest events in place; without the script its link
    opens the page with the whole History; with the session over, the link stays."""
    campaign_page = f"/campaigns/{target.campaign.slug}"
    with serving(app) as base_url:
        for scripted in (True, False):
            context = browser.new_context(java_script_enabled=scripted)
            page = context.new_page()
            try:
                log_in(page, base_url, "lead@example.org")
                page.goto(f"{base_url}{campaign_page}")
                fold = page.locator("#history-fold")
                expect(fold.locator("li.audit-event")).to_have_count(0)
                fold.locator("summary").click()
                if scripted:
                    expect(fold.locator("li.audit-event").first).to_contain_text(
                        "created the campaign membership “lead@example.org”")
                    expect(page).to_have_url(f"{base_url}{campaign_page}")
                else:
                    fold.get_by_role("link", name="Show all changes").click()
                    expect(page).to_have_url(
                        f"{base_url}{campaign_page}?history_page=1#history")
                    expect(page.locator("#history-fold")).to_have_attribute("open", "")
                    expect(page.locator("#history li.audit-event").first).to_be_visible()
            finally:
                context.close()

        context = browser.new_context()
        page = context.new_page()
        try:
            log_in(page, base_url, "lead@example.org")
            page.goto(f"{base_url}{campaign_page}")
            context.clear_cookies()  # the session is over: the part answers with the login
            fold = page.locator("#history-fold")
            with page.expect_response(lambda answer: urlsplit(answer.url).path == "/login"):
                fold.locator("summary").click()
            # The fetch is over when the section is marked unread again, still in place (had
            # the login page been put there instead, the section would be gone).
            expect(fold.locator("[data-history-part]")).not_to_have_attribute(
                "data-history-reading", "1")
            expect(fold.locator("input[type=password]")).to_have_count(0)
            expect(fold.get_by_role("link", name="Show all changes")).to_be_visible()
        finally:
            context.close()
