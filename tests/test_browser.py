"""A real journey in Chromium: a coordinator builds a campaign budget in Russian."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.auth_support import TEST_PASSWORD, make_user
from tests.browser_support import serving
from tests.factories import make_org
from tracker.auth.models import Role
from tracker.orgs.models import OrgKind

pytestmark = pytest.mark.browser


def log_in(page: Page, base_url: str, email: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.locator("form:has(#password) [type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_visible()


def test_campaign_with_a_budget_line_shows_its_total_in_russian(app, page: Page):
    make_user(Role.COORDINATOR, email="coordinator@example.org")
    lead = make_org(slug="za-prirodu", name_en="For Nature", name_ru="За природу", country="RU",
             city="Chelyabinsk", kind=OrgKind.NGO)
    with serving(app) as base_url:
        log_in(page, base_url, "coordinator@example.org")
        page.goto(f"{base_url}/campaigns/")
        expect(page.locator("h1")).to_contain_text("Campaigns")

        page.get_by_role("button", name="Русский").click()
        expect(page.locator("html")).to_have_attribute("lang", "ru")

        page.locator("a[href$='/campaigns/new']").first.click()
        page.fill("#slug", "xrf-chelyabinsk")
        page.fill("#title_en", "Product and soil testing in Chelyabinsk")
        page.fill("#title_ru", "Проверка товаров и почвы в Челябинске")
        page.select_option("#theme", "lead_paint")
        page.select_option("#lead_org_id", str(lead.id))
        page.select_option("#countries", "RU")
        page.locator("form:has(#slug) [type=submit]").click()
        expect(page.locator("h1")).to_contain_text("Проверка товаров и почвы в Челябинске")

        page.locator("a[href$='/targets/new']").first.click()
        page.fill("#starts_on", "2027-01-01")
        page.fill("#ends_on", "2027-12-31")
        page.select_option("#currency", "RUB")
        page.locator("form:has(#currency) [type=submit]").click()
        expect(page).to_have_url(re.compile(r"/targets/\d+$"))

        page.fill("#description_ru", "Выезд команды с XRF-анализатором")
        page.fill("#quantity", "2,5")
        page.fill("#unit_cost", "1 234,50")
        page.locator("form:has(#description_ru) [type=submit]").click()

        # 2.5 × 1 234,50 = 3 086,25, formatted the Russian way with no-break spaces
        total = re.compile(r"3[\s\u00a0\u202f]086,25[\s\u00a0\u202f]₽")
        expect(page.locator("body")).to_contain_text(total)
        expect(page.locator("#lines")).to_contain_text("Выезд команды с XRF-анализатором")
        page.goto(f"{base_url}/campaigns/xrf-chelyabinsk")
        expect(page.locator("body")).to_contain_text(total)
