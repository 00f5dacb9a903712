"""A real journey in Chromium: a fundraiser builds an application's budget from the
campaign's lines, splits one line into requested and co-financing, and the proposal's
checklist shows the totals adding up."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.applications_support import make_application, make_coalition
from tests.auth_support import make_user
from tests.browser_support import serving
from tests.factories import make_line, make_target
from tests.test_browser import log_in
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.targets.models import BudgetCategory

# The live server answers in threads of its own, which must see what the test commits.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


def test_a_fundraiser_builds_a_budget_from_the_campaign_and_splits_a_line(app, page: Page):
    make_user(Role.FUNDRAISER, email="fundraiser@example.org")
    coalition = make_coalition()
    target = make_target(coalition.campaign, currency="USD", starts_on=date(2027, 1, 1),
                         ends_on=date(2027, 12, 31))
    make_line(target, quantity="2", unit_cost="720", description="Flights Dushanbe–Almaty",
              partner_org_id=coalition.tajik.id, category=BudgetCategory.TRAVEL)
    make_line(target, quantity="10", unit_cost="95.50", description="Lead analysis of paint",
              partner_org_id=coalition.kazakh.id, category=BudgetCategory.LAB_TESTING)
    application = make_application(coalition.campaign, coalition.undp, coalition.kazakh,
                                   call_id=coalition.undp_call.id,
                                   project_starts_on=date(2027, 3, 1),
                                   project_ends_on=date(2027, 12, 31))
    db.session.commit()
    with serving(app) as base_url:
        log_in(page, base_url, "fundraiser@example.org")
        page.goto(f"{base_url}/applications/{application.id}")
        page.locator("#budget-link").click()
        expect(page.locator("#no-budget")).to_be_visible()

        page.get_by_role("link", name="Take lines from the campaign").click()
        page.locator("#campaign-lines input[type=checkbox]").first.check()
        page.locator("#campaign-lines input[type=checkbox]").nth(1).check()
        page.get_by_role("button", name="Take the chosen lines").click()
        expect(page.locator("#summary-total")).to_have_text("$2,395.00")
        expect(page.locator("#summary-requested")).to_have_text("$2,395.00")
        expect(page.locator("#budget-lines")).to_contain_text("71600 Travel")
        expect(page.locator("#budget-lines")).to_contain_text(
            "72100 Contractual services – companies")

        # Split the lab line: 355.00 from the hub's own funds, the rest requested.
        page.locator("tr:has-text('Lead analysis of paint') a:has-text('Edit')").click()
        page.select_option("#shares-0-source", "own_funds")
        page.fill("#shares-0-amount", "355")
        page.select_option("#shares-0-partner_org_id", str(coalition.hub.id))
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#summary-total")).to_have_text("$2,395.00")
        expect(page.locator("#summary-requested")).to_have_text("$2,040.00")
        expect(page.locator("#summary-cofinancing")).to_have_text("$355.00")
        expect(page.locator("#cofinancing-by-source")).to_contain_text("Eco-Accord")

        # The application asks for the requested column; the checklist shows it adding up.
        page.goto(f"{base_url}/applications/{application.id}")
        expect(page.locator("#requested")).to_contain_text("$2,040.00")
        expect(page.locator("body")).to_contain_text(re.compile(
            r"Total cost \$2,395\.00 = \$2,040\.00 requested \+ \$355\.00 co-financing\."))
