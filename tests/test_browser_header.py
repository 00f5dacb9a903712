"""The header on a phone and a laptop, with and without JavaScript, in both languages: an
administrator (the most links) opens the menu from the keyboard and follows a link, the
header keeps to one line at 1366 px, and no page is wider than the window."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.auth_support import make_user
from tests.browser_support import log_in, serving
from tracker.auth.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.commits]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
ONE_LINE_HEADER = 70  # px: a second line of links would make it about 110
WIDTHS = (390, 768, 991, 1199, 1200, 1366, 1920)


@pytest.fixture
def admin_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page of a fresh context with the test's viewport, language and JavaScript setting."""
    viewport, language, javascript = request.param
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript,
                                  locale={"en": "en-GB", "ru": "ru-RU"}[language])
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()



def page_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")


CASES = [(viewport, language, javascript) for viewport in (PHONE, LAPTOP)
         for language in ("en", "ru") for javascript in (True, False)]


@pytest.mark.parametrize("admin_page", CASES, indirect=True,
                         ids=[f"{v['width']}-{lang}-{'js' if js else 'nojs'}"
                              for v, lang, js in CASES])
def test_the_menu_opens_from_the_keyboard_and_its_links_lead_on(app, admin_page: Page):
    """An administrator opens the header's menu with Enter and follows the Users link."""
    page = admin_page
    language = page.evaluate("navigator.language.slice(0, 2)")
    make_user(Role.ADMIN, email="a-long-address-for-the-admin@example.org", language=language)
    phone = page.viewport_size == PHONE
    with serving(app) as base_url:
        log_in(page, base_url, "a-long-address-for-the-admin@example.org")
        expect(page).to_have_url(f"{base_url}/")
        assert page_overflow(page) == 0
        if not phone:
            assert page.locator("nav.navbar").bounding_box()["height"] < ONE_LINE_HEADER
        menu = page.locator("nav details.site-menu:visible")
        expect(menu).to_have_count(1)
        users = menu.locator("a[href='/admin/users']")
        expect(users).to_be_hidden()
        menu.locator("summary").focus()
        page.keyboard.press("Enter")
        expect(users).to_be_visible()
        assert page_overflow(page) == 0
        users.click()
        expect(page).to_have_url(f"{base_url}/admin/users")
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert page_overflow(page) == 0
        if not phone:
            assert page.locator("nav.navbar").bounding_box()["height"] < ONE_LINE_HEADER
            # The open page's link is marked where it now sits: inside "More".
            summary = page.locator("nav .site-links details summary")
            expect(summary).to_have_class(re.compile(r"\bactive\b"))
        else:
            page.locator("nav details.site-menu:visible summary").click()
            expect(page.locator("nav a[aria-current=page]:visible")).to_have_attribute(
                "href", "/admin/users")


@pytest.mark.parametrize("admin_page", [(LAPTOP, "ru", True), (LAPTOP, "en", True)],
                         indirect=True, ids=["ru", "en"])
def test_no_width_makes_the_header_or_the_page_scroll_sideways(app, admin_page: Page):
    """From 390 to 1920 px, the administrator's dashboard and users page fit the window."""
    page = admin_page
    language = page.evaluate("navigator.language.slice(0, 2)")
    make_user(Role.ADMIN, email="a-long-address-for-the-admin@example.org", language=language)
    with serving(app) as base_url:
        log_in(page, base_url, "a-long-address-for-the-admin@example.org")
        expect(page).to_have_url(f"{base_url}/")
        for path in ("/", "/admin/users"):
            page.goto(f"{base_url}{path}")
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 800})
                assert page_overflow(page) == 0, f"{path} at {width} px"
                header = page.locator("nav.navbar").bounding_box()
                assert header["height"] < ONE_LINE_HEADER, f"{path} at {width} px"


def test_with_javascript_a_click_elsewhere_or_escape_closes_the_menu(app, page: Page):
    """The enhancement: Escape closes the open menu and gives the focus back to its button."""
    make_user(Role.ADMIN, email="admin@example.org")
    with serving(app) as base_url:
        log_in(page, base_url, "admin@example.org")
        expect(page).to_have_url(f"{base_url}/")
        page.set_viewport_size(LAPTOP)
        menu = page.locator("nav .site-links details")
        menu.locator("summary").click()
        expect(menu).to_have_attribute("open", "")
        page.keyboard.press("Escape")
        expect(menu).not_to_have_attribute("open", "")
        expect(menu.locator("summary")).to_be_focused()
        menu.locator("summary").click()
        page.locator("main h1").click()
        expect(menu).not_to_have_attribute("open", "")
