"""A real journey in Chromium, with a real SMTP server: a visitor pledges on the public page
in Russian; the campaign lead's message arrives, the lead follows its link, logs in and
confirms; the supporter's thanks with the payment details arrives, in Russian, and its
unsubscribe link works in the browser."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.auth_support import TEST_PASSWORD, make_user
from tests.browser_support import serving
from tests.drive_support import DRIVE_SLUG, make_drive, make_world
from tests.mail_support import Inbox, text_part
from tests.pages import plain
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.mail.suppression import is_suppressed

# The live server answers in threads of its own, which must see what the test commits.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

SUPPORTER = "oleg@example.org"
LEAD = "lead@example.org"
INSTRUCTIONS_RU = "Счёт 40703810000000000001 в Челябинском банке\nили https://pay.example.org/xrf"


def arrived(inbox: Inbox, address: str, count: int) -> list[EmailMessage]:
    """The messages to `address` once `count` have arrived (the server sends after each request)."""
    deadline = time.monotonic() + 10
    while len(inbox.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    messages = inbox.to(address)
    assert len(messages) == count, [m["Subject"] for m in messages]
    return messages


def link_in(text: str, pattern: str) -> str:
    match = re.search(pattern, text)
    assert match, text
    return match.group(0)


def test_a_visitor_pledges_the_lead_is_told_and_confirms_and_the_supporter_is_thanked(
        app, smtp_inbox: Inbox, browser: Browser, page: Page):
    world = make_world()
    make_user(Role.LEAD, email=LEAD, campaigns=[world.campaign])
    drive = make_drive(world)
    drive.payment_instructions_ru = INSTRUCTIONS_RU
    drive.payment_instructions_en = "Account 40703810000000000001 at the Chelyabinsk bank"
    db.session.commit()

    with serving(app) as base_url:
        app.config["BASE_URL"] = base_url  # so that the messages' links reach this server
        visitor = browser.new_context(locale="ru-RU").new_page()
        visitor.goto(f"{base_url}/d/{DRIVE_SLUG}")
        visitor.fill("#pledger_name", "Олег Иванов")
        visitor.fill("#contact_email", SUPPORTER)
        visitor.fill("#amount", "1500")
        visitor.locator("#pledge-form [type=submit]").click()
        expect(visitor.locator("#thanks")).to_contain_text("Спасибо")

        # The lead's message (in the lead's English) leads to the list awaiting confirmation.
        [told] = arrived(smtp_inbox, LEAD, 1)
        assert "awaits your confirmation" in told["Subject"]
        link = link_in(text_part(told), rf"{re.escape(base_url)}/drives/{DRIVE_SLUG}#awaiting")
        assert arrived(smtp_inbox, SUPPORTER, 0) == []

        page.goto(link)  # not logged in yet: the login page, then back to the list
        page.fill("#email", LEAD)
        page.fill("#password", TEST_PASSWORD)
        page.locator("form:has(#password) [type=submit]").click()
        expect(page.locator("form[action='/logout']")).to_be_visible()
        if "/drives/" not in page.url:
            page.goto(link)
        row = page.locator("#awaiting-table tr", has_text="Олег Иванов")
        expect(row).to_contain_text(SUPPORTER)
        row.locator("button", has_text="Confirm").click()
        expect(page.locator(".alert-success")).to_contain_text("Pledge confirmed")

        # The supporter's thanks: Russian, with the payment details and a working unsubscribe.
        [thanks] = arrived(smtp_inbox, SUPPORTER, 1)
        assert thanks["Subject"].startswith("Спасибо за ваше обещание")
        text = plain(text_part(thanks).replace("\r\n", "\n"))
        assert "1 500,00 ₽" in text
        assert INSTRUCTIONS_RU in text
        unsubscribe = link_in(text, rf"{re.escape(base_url)}/unsubscribe/\S+")
        assert thanks["List-Unsubscribe"] == f"<{unsubscribe}>"

        visitor.goto(unsubscribe)
        expect(visitor.locator("#unsubscribe h1")).to_contain_text(
            "Больше не писать о ваших обещаниях?")
        visitor.locator("#unsubscribe button").click()
        expect(visitor.locator("#unsubscribe h1")).to_contain_text("Вы отписались.")
        visitor.context.close()
    assert is_suppressed(SUPPORTER)
