"""A real journey in Chromium: a partner's lead, working in Russian, records an expenditure
in lei with its receipt; the coordinator approves it; the budget against actual shows it
in its line and its donor category, converted at the rate of its date."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.auth_support import make_user
from tests.browser_support import log_in, serving
from tests.factories import count_rows
from tests.grants_support import make_grant_world
from tracker.auth.models import Role
from tracker.grants.models import Expenditure

# The live server answers in threads of its own, which must see what the test commits.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

RECEIPT = b"%PDF-1.7\n% a scanned receipt\n"



def log_out(page: Page) -> None:
    page.locator("form[action='/logout'] [type=submit]").click()
    expect(page.locator("#password")).to_be_visible()


def test_a_partner_records_in_russian_the_coordinator_approves_and_the_actual_shows_it(
        app, page: Page):
    world = make_grant_world()
    make_user(Role.LEAD, email="lead@eco-moldova.md", org=world.moldova, language="ru")
    make_user(Role.COORDINATOR, email="coordinator@eco-accord.org")
    grant_id = world.grant.id
    with serving(app) as base_url:
        log_in(page, base_url, "lead@eco-moldova.md")
        page.goto(f"{base_url}/grants/{grant_id}/spending")
        page.locator("#record-expenditure").click()
        expect(page.locator("h2")).to_contain_text("Записать расход")
        page.select_option("#line_code", "2.2")
        page.fill("#spent_on", "2027-03-02")
        page.fill("#amount", "1785")
        page.select_option("#currency", "MDL")
        page.fill("#document_number", "MD-2027-031")
        page.fill("#description", "Зарплата координатора за февраль")
        page.set_input_files("#receipt", files=[{
            "name": "chek.pdf", "mimeType": "application/pdf", "buffer": RECEIPT}])
        page.locator("#expenditure-form [type=submit]").click()

        expect(page.locator(".alert-success")).to_contain_text("записан")
        expect(page.locator("#expenditures-table")).to_contain_text("MD-2027-031")
        assert count_rows(Expenditure) == 1
        log_out(page)

        # The same browser: the language chosen in it (Russian) outlives the logout.
        log_in(page, base_url, "coordinator@eco-accord.org")
        page.goto(f"{base_url}/grants/{grant_id}/spending")
        page.locator("#expenditures-table tbody a").first.click()
        expect(page.locator("#receipt-details")).to_contain_text("chek.pdf")
        page.locator("#approve-form [type=submit]").click()
        expect(page.locator(".alert-success")).to_contain_text("Расход одобрен")

        page.goto(f"{base_url}/grants/{grant_id}/actual?period=1")
        spent = re.compile(r"100,00[\s\u00a0]*\$")  # USD 100 in Russian
        expect(page.locator("#line-2\\.2")).to_contain_text(spent)
        expect(page.locator("#categories-17-00")).to_contain_text(spent)
        expect(page.locator("#actual-total")).to_contain_text(spent)
