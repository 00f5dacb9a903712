"""A coordinator on a 390 × 844 phone, in English and in Russian: no page scrolls sideways,
the dashboard keeps each campaign's target, secured and gap on screen and its summary
figures apart, and long record pages fold their sections behind summaries with counts
that open on a click, on Enter, from a link to the section and around a form's errors.

The world is the demo coalition (`make run`'s data) with the XRF drive grown to twenty
pledges, a few of them paid, so that its history holds more than twenty events.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from tests.auth_support import make_user
from tests.browser_support import log_in, serving
from tests.drive_support import make_payment, make_pledge
from tracker.auth.models import Role
from tracker.demo import load_demo
from tracker.demo.drives import DRIVE_SLUG
from tracker.drives.models import Drive, Pledge
from tracker.extensions import db
from tracker.grants.models import Grant
from tracker.proposals.models import ProposalSection
from tracker.targets.models import FundingTarget

# The live server answers in threads of its own, which must see what the test commits.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

PHONE = {"width": 390, "height": 844}
EMAIL = "coordinator@example.org"
SUPPORTERS = ["Aigerim Nurlanovna", "Boris Kuznetsov", "Dilnoza Karimova", "Elena Moroz",
              "Farida Alieva", "Gulnara Sadykova", "Igor Shevchenko", "Kamila Yusupova",
              "Lev Orlov", "Madina Rakhimova", "Nikolai Petrenko", "Olga Sidorenko",
              "Pavel Lebedev"]


@dataclass(frozen=True)
class Coalition:
    campaign_slug: str
    application_id: int
    grant_id: int
    target_id: int
    pledge_id: int


@pytest.fixture
def coalition(app) -> Coalition:
    """The demo coalition; its XRF drive with twenty pledges, three of them paid in part."""
    load_demo()
    db.session.commit()
    drive = db.session.scalar(select(Drive).where(Drive.slug == DRIVE_SLUG))
    assert drive is not None
    for number, name in enumerate(SUPPORTERS):
        pledge = make_pledge(drive, amount=str(1500 + 250 * number), currency="RUB",
                             pledged_on=drive.starts_on + timedelta(days=number), name=name)
        if number % 5 == 0:
            make_payment(pledge, "1000", paid_on=min(date.today(), pledge.pledged_on))
    application_id = db.session.scalar(
        select(ProposalSection.application_id).group_by(ProposalSection.application_id)
        .order_by(func.count().desc()).limit(1))
    return Coalition(
        campaign_slug=drive.campaign.slug, application_id=application_id,
        grant_id=db.session.scalar(select(Grant.id).limit(1)),
        target_id=db.session.scalar(select(FundingTarget.id).limit(1)),
        pledge_id=db.session.scalar(select(Pledge.id).where(Pledge.drive_id == drive.id)
                                    .order_by(Pledge.id).limit(1)))


@pytest.fixture(params=["en", "ru"])
def language(request: pytest.FixtureRequest) -> str:
    """The language the coordinator reads the screens in."""
    return request.param


@pytest.fixture
def phone(browser: Browser, coalition: Coalition, language: str) -> Iterator[Page]:
    """A phone-sized page; the coordinator it logs in as reads the screens in `language`."""
    make_user(Role.COORDINATOR, email=EMAIL, language=language)
    context = browser.new_context(locale="en-GB", viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()



def sideways_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth")


def text_boxes(page: Page, selector: str) -> list[dict]:
    """The box of the text (not of the element) of each match: text that overflows counts."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)].map(el => {
        const range = document.createRange();
        range.selectNodeContents(el);
        const r = range.getBoundingClientRect();
        return {text: el.textContent.trim(), left: r.left, right: r.right, top: r.top,
                bottom: r.bottom};
    })""", selector)


def overlap(a: dict, b: dict) -> bool:
    return (a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5
            and a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5)


def test_no_page_scrolls_sideways_on_a_phone_even_with_its_sections_open(app, phone, coalition):
    """Dashboard, record pages, lists, grant pages and forms fit 390 px, folded and unfolded."""
    world = coalition
    paths = [
        "/", f"/campaigns/{world.campaign_slug}", f"/drives/{DRIVE_SLUG}",
        f"/drives/{DRIVE_SLUG}/pledges/{world.pledge_id}",
        f"/applications/{world.application_id}",
        f"/applications/{world.application_id}/proposal",
        f"/applications/{world.application_id}/budget", f"/targets/{world.target_id}",
        "/campaigns/", "/drives/", "/applications/", "/deadlines", "/grants/",
        f"/grants/{world.grant_id}", f"/grants/{world.grant_id}/spending",
        f"/grants/{world.grant_id}/budget", f"/grants/{world.grant_id}/actual",
        f"/grants/{world.grant_id}/transfers", f"/grants/{world.grant_id}/reports",
        "/campaigns/new", f"/drives/{DRIVE_SLUG}/pledges/new", "/applications/new",
        f"/applications/{world.application_id}/budget/lines/new",
        f"/grants/{world.grant_id}/spending/new",
    ]
    with serving(app) as base_url:
        log_in(phone, base_url, EMAIL)
        wide = {}
        for path in paths:
            response = phone.goto(base_url + path)
            assert response is not None and response.status == 200, path
            folded = sideways_overflow(phone)
            phone.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            unfolded = sideways_overflow(phone)
            if folded > 0 or unfolded > 0:
                wide[path] = (folded, unfolded)
        assert wide == {}


def test_the_dashboard_keeps_each_campaigns_figures_on_screen_and_apart(app, phone, coalition):
    """Target, secured and gap of every campaign inside the window; summary figures disjoint."""
    with serving(app) as base_url:
        log_in(phone, base_url, EMAIL)
        phone.goto(base_url + "/")
        rows = phone.locator("#campaigns tbody tr")
        assert rows.count() == 7
        width = phone.viewport_size["width"]
        for index in range(rows.count()):
            row = rows.nth(index)
            for figure in ("target", "secured", "gap"):
                # Where it is without scrolling anything sideways (the page or the table).
                box = row.locator(f"[data-figure={figure}] .figure").bounding_box()
                assert box is not None
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (index, figure, box)

        # Uzbek soums give the longest amounts of the coalition's currencies.
        phone.select_option("#reporting-currency select", "UZS")
        phone.locator("#reporting-currency [type=submit]").click()
        expect(phone.locator("#coalition-title")).to_contain_text("UZS")
        figures = text_boxes(phone, "#coalition-totals dl > div > dd")
        labels = text_boxes(phone, "#coalition-totals dl > div > dt")
        assert len(figures) >= 6 and any(len(f["text"]) >= 18 for f in figures), figures
        boxes = figures + labels
        clashes = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if overlap(a, b)]
        assert clashes == []
        assert all(f["left"] >= 0 and f["right"] <= width for f in figures), figures


def test_long_record_pages_fold_their_sections_behind_counts(app, phone, coalition, language):
    """The drive page shows "Pledges (19)"; a click, Enter and a link to #pledges open folds."""
    world = coalition
    pledges_word = {"en": "Pledges", "ru": "Обещания"}[language]
    with serving(app) as base_url:
        log_in(phone, base_url, EMAIL)
        phone.goto(f"{base_url}/drives/{DRIVE_SLUG}")
        pledges = phone.locator("#pledges-fold")
        summary = pledges.locator("summary")
        expect(summary).to_have_text(re.compile(rf"^\s*{pledges_word} \(\d+\)\s*$"))
        counted = int(re.findall(r"\d+", summary.inner_text())[0])
        assert counted >= len(SUPPORTERS)
        expect(phone.locator("#pledges-table")).to_be_hidden()
        # Twenty pledges and their history, folded, take less than three screens.
        assert phone.evaluate("document.documentElement.scrollHeight") < 3 * 844

        summary.click()
        expect(phone.locator("#pledges-table")).to_be_visible()
        expect(phone.locator("#pledges-table tbody tr")).to_have_count(counted)
        expect(phone.locator("#pledges-table")).to_contain_text("Pavel Lebedev")

        # The History is read only when opened (issue 15): no count, no line until then.
        history = phone.locator("#history-fold")
        history_word = {"en": "History", "ru": "История изменений"}[language]
        expect(history.locator("summary.fold-summary")).to_have_text(
            re.compile(rf"^\s*{history_word}\s*$"))
        expect(history.locator(".audit-history")).to_have_count(0)
        history.locator("summary.fold-summary").focus()
        phone.keyboard.press("Enter")
        expect(history.locator(".audit-history")).to_be_visible()
        expect(history.locator(".audit-history li.audit-event")).to_have_count(5)
        expect(history.locator("a.audit-show-all")).to_have_attribute(
            "href", re.compile(r"\?history_page=1#history$"))

        # A link to a folded section (as after logging a pledge) lands on it open.
        phone.goto(f"{base_url}/drives/{DRIVE_SLUG}/pledges/{world.pledge_id}")
        phone.goto(f"{base_url}/drives/{DRIVE_SLUG}#pledges")
        expect(phone.locator("#pledges-table")).to_be_visible()
        expect(phone.locator("#history-fold")).not_to_have_attribute("open", "")

        phone.goto(f"{base_url}/applications/{world.application_id}/proposal")
        sections = phone.locator("details.fold-section")
        assert sections.count() >= 5
        expect(sections.first.locator("summary")).to_contain_text(re.compile(r"\d+"))
        expect(sections.first.locator("textarea").first).to_be_hidden()
        sections.first.locator("summary").click()
        expect(sections.first.locator("textarea").first).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollHeight") < 4 * 844


def test_a_folded_section_opens_around_its_forms_errors(app, phone, coalition):
    """A report added without its date comes back with the Reports fold open at the error."""
    world = coalition
    with serving(app) as base_url:
        log_in(phone, base_url, EMAIL)
        phone.goto(f"{base_url}/applications/{world.application_id}")
        reports = phone.locator("#reports-fold")
        expect(reports).not_to_have_attribute("open", "")
        reports.locator("summary").click()
        reports.locator("[type=submit]").last.click()
        expect(phone.locator("#reports-fold")).to_have_attribute("open", "")
        expect(phone.locator("#reports-fold .invalid-feedback").first).to_be_visible()
        expect(phone.locator("#history-fold")).not_to_have_attribute("open", "")

