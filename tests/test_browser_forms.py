"""Forms in Chromium (issue 14): on a 390 px phone a refused public pledge opens at its error
summary, which has the focus; a lead sees the slug follow a Russian title, a length counter
and a currency filter."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.auth_support import TEST_PASSWORD, make_user
from tests.browser_support import serving
from tests.drive_support import DRIVE_SLUG, make_drive, make_world
from tests.factories import count_rows
from tracker.auth.models import Role
from tracker.drives.models import Pledge

# The live server answers in threads of its own, which must see what the test commits.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize(("locale", "title"), [("en-GB", "Please correct 2 errors"),
                                               ("ru-RU", "Исправьте 2 ошибки")])
def test_a_refused_public_pledge_on_a_phone_opens_at_its_focused_summary(app, browser: Browser,
                                                                         locale, title):
    """The visitor sees the summary at once, focused, and its link takes them to the field."""
    make_drive(make_world())
    context = browser.new_context(locale=locale, viewport=PHONE, is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        with serving(app) as base_url:
            page.goto(f"{base_url}/d/{DRIVE_SLUG}")
            page.fill("#contact_email", "nobody")
            page.locator("#pledge-form [type=submit]").click()

            summary = page.locator("#error-summary")
            expect(summary).to_contain_text(title)
            expect(summary).to_be_focused()
            expect(summary).to_be_in_viewport()
            expect(page.locator("#amount")).to_have_attribute("aria-invalid", "true")

            summary.locator("a[href='#amount']").click()
            expect(page.locator("#amount")).to_be_focused()
            assert count_rows(Pledge) == 0
    finally:
        context.close()


def test_a_lead_sees_the_slug_follow_the_title_a_counter_and_a_currency_filter(app, page: Page):
    """Typing a Russian title fills the address; the counter counts; the filter finds KZT."""
    world = make_world()
    make_user(Role.LEAD, email="lead@example.org", campaigns=[world.campaign])
    with serving(app) as base_url:
        page.goto(f"{base_url}/login")
        page.fill("#email", "lead@example.org")
        page.fill("#password", TEST_PASSWORD)
        page.locator("form:has(#password) [type=submit]").click()
        expect(page.locator("form[action='/logout']")).to_be_visible()

        page.goto(f"{base_url}/campaigns/water-air/drives/new")
        page.locator("#title_ru").press_sequentially("Чистый воздух")
        expect(page.locator("#slug")).to_have_value("chistyi-vozdukh")
        expect(page.locator("#title_ru-count")).to_have_text("13 / 200")

        page.fill("#slug", "my-own")
        page.locator("#title_ru").press_sequentially("!")
        expect(page.locator("#title_ru-count")).to_have_text("14 / 200")
        expect(page.locator("#slug")).to_have_value("my-own")  # edited by hand: kept

        currency_filter = page.locator("#currency-filter")
        expect(currency_filter).to_be_visible()
        currency_filter.fill("tenge")
        expect(page.locator("#currency")).to_have_value("KZT")
        expect(page.locator("#currency option:not([hidden])")).to_have_count(1)
        assert re.search(r"KZT", page.locator("#currency option:not([hidden])").inner_text())
