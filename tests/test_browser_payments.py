"""A real journey in Chromium: a campaign lead types a payment far larger than the pledge,
is refused with the unpaid amount, ticks "the supporter gave more", gives a reason, and
the pledge shows the raised amount, paid."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.auth_support import make_user
from tests.browser_support import log_in, serving
from tests.drive_support import DRIVE_SLUG, make_drive, make_pledge, make_world
from tests.factories import count_rows
from tracker.auth.models import Role
from tracker.drives.models import Payment

# The live server answers in threads of its own, which must see what the test commits.
pytestmark = [pytest.mark.browser, pytest.mark.commits]



def test_a_too_large_payment_is_refused_then_recorded_as_the_supporter_giving_more(app,
                                                                                   page: Page):
    world = make_world()
    make_user(Role.LEAD, email="lead@example.org", campaigns=[world.campaign])
    pledge_id = make_pledge(make_drive(world), amount="5000").id
    with serving(app) as base_url:
        log_in(page, base_url, "lead@example.org")
        page.goto(f"{base_url}/drives/{DRIVE_SLUG}/pledges/{pledge_id}")
        page.fill("#amount", "999 999")
        page.locator("form:has(#paid_on) [type=submit]").click()

        refusal = page.locator("#amount ~ .invalid-feedback, .invalid-feedback").first
        expect(refusal).to_contain_text(re.compile(
            r"more than the RUB[\s\u00a0]5,000\.00 still unpaid"))
        expect(page.locator("#pledge-paid")).to_contain_text("0.00")
        assert count_rows(Payment) == 0

        # The amount typed is still there: the lead confirms the supporter gave more.
        expect(page.locator("#amount")).to_have_value("999 999")
        page.fill("#amount", "7000")
        page.check("#gave_more")
        page.fill("#gave_more_reason", "Gave 2 000 more at the concert")
        page.locator("form:has(#paid_on) [type=submit]").click()

        expect(page.locator(".alert-success")).to_contain_text("Payment of RUB")
        expect(page.locator("h1")).to_contain_text(re.compile(r"RUB[\s\u00a0]7,000\.00"))
        expect(page.locator("#pledge-paid")).to_contain_text(re.compile(r"RUB[\s\u00a0]7,000\.00"))
        expect(page.locator("#pledge-outstanding")).to_contain_text("0.00")
        expect(page.locator("#payments-table")).to_contain_text("Gave 2 000 more at the concert")
        # The reason is in a History line's details, opened under it (issue 15).
        page.locator("#history-fold > summary").click()
        links = page.locator("#history a.audit-details-link")
        for number in range(links.count()):
            links.nth(number).click()
        expect(page.locator("#history")).to_contain_text("Gave 2 000 more at the concert")
        expect(page.locator(".badge").first).to_contain_text("Paid")
