"""Real journeys in Chromium: a coordinator builds a budget in Russian; a viewer is kept
from changing anything; a campaign lead's change shows in the target's history; a pledge
and its payment move a drive's thermometer and its campaign's funding gap."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.auth_support import TEST_PASSWORD, make_user
from tests.browser_support import log_in, serving
from tests.factories import count_rows, make_campaign, make_line, make_org, make_target
from tests.pages import plain
from tracker.auth.models import Role
from tracker.drives import services as drive_services
from tracker.drives.models import DriveStatus, Pledge
from tracker.extensions import db
from tracker.money.services import add_rate
from tracker.orgs.models import OrgKind
from tracker.targets.models import BudgetLine

# The live server answers in threads of its own, which must see what the test commits.
pytestmark = [pytest.mark.browser, pytest.mark.commits]



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


@pytest.fixture
def xrf_budget(app):
    """The Chelyabinsk campaign with a 2027 target in US dollars and one budget line."""
    chelyabinsk = make_org(slug="za-prirodu", name_en="For Nature", name_ru="За природу",
                           country="RU", city="Chelyabinsk", kind=OrgKind.NGO)
    campaign = make_campaign(chelyabinsk, slug="water-and-air", title_en="Water and air quality",
                             countries=("RU",))
    target = make_target(campaign, currency="USD", title_en="XRF survey 2027")
    make_line(target, description="XRF operators' flights", unit_cost="900")
    return campaign, target


def test_a_viewer_sees_no_edit_buttons_and_a_direct_post_is_refused(app, page: Page,
                                                                    xrf_budget):
    campaign, target = xrf_budget
    make_user(Role.VIEWER, email="viewer@example.org")
    with serving(app) as base_url:
        log_in(page, base_url, "viewer@example.org")
        page.goto(f"{base_url}/campaigns/{campaign.slug}")
        expect(page.locator("h1")).to_contain_text("Water and air quality")
        main = page.locator("main")
        expect(main.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
        expect(main.get_by_role("link", name="Add a funding target")).to_have_count(0)

        main.get_by_role("link", name="Open budget").click()
        expect(page).to_have_url(f"{base_url}/targets/{target.id}")
        expect(page.locator("#lines")).to_contain_text("XRF operators' flights")
        expect(main.get_by_role("link", name="Edit target")).to_have_count(0)
        expect(main.get_by_role("link", name="Delete target")).to_have_count(0)
        expect(main.get_by_role("link", name=re.compile(r"^(Edit|Remove)\b"))).to_have_count(0)
        expect(page.locator("#add-line")).to_have_count(0)
        expect(main.get_by_role("button", name="Add the line")).to_have_count(0)

        # The form is hidden, not the rule: posting it anyway is refused, with a valid token.
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        response = page.request.post(f"{base_url}/targets/{target.id}/lines", form={
            "csrf_token": token, "category": "travel", "description_en": "Sneaked in",
            "quantity": "1", "unit_cost": "100", "unit": "item",
        })
        assert response.status == 403
        assert count_rows(BudgetLine) == 1
        page.reload()
        expect(page.locator("#lines")).not_to_contain_text("Sneaked in")


def test_a_campaign_lead_changes_a_budget_line_and_finds_it_in_the_history(app, page: Page,
                                                                           xrf_budget):
    campaign, target = xrf_budget
    make_user(Role.LEAD, email="lead@example.org", campaigns=[campaign])
    with serving(app) as base_url:
        log_in(page, base_url, "lead@example.org")
        page.goto(f"{base_url}/campaigns/{campaign.slug}")
        page.locator("main").get_by_role("link", name="Edit budget").click()
        expect(page).to_have_url(f"{base_url}/targets/{target.id}")

        page.fill("#description_en", "XRF analyser transport")
        page.fill("#quantity", "1")
        page.fill("#unit_cost", "100")
        page.locator("form:has(#description_en) [type=submit]").click()
        row = page.locator("#lines tr", has_text="XRF analyser transport")
        expect(row).to_contain_text("$100.00")

        row.get_by_role("link", name=re.compile(r"^Edit\b")).click()
        page.fill("#unit_cost", "150")
        page.locator("form:has(#unit_cost) [type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/targets/{target.id}(#lines)?$"))
        expect(page.locator("#lines tr", has_text="XRF analyser transport")).to_contain_text(
            "$150.00")

        events = page.locator("#history li.audit-event", has_text="XRF analyser transport")
        expect(events.first).to_contain_text(
            "lead@example.org changed the budget line “XRF analyser transport”: "
            "unit cost from $100.00 to $150.00")
        expect(events.nth(1)).to_contain_text(
            "lead@example.org created the budget line “XRF analyser transport”")


def test_a_campaign_lead_logs_a_pledge_and_finds_its_edit_in_the_history(app, page: Page,
                                                                         xrf_budget):
    campaign, _target = xrf_budget
    make_user(Role.LEAD, email="lead@example.org", campaigns=[campaign])
    drive = drive_services.create_drive(campaign, drive_services.DriveInput(
        slug="xrf-team", title_en="Invite the XRF team to Chelyabinsk", title_ru="",
        purpose_en="Soil and product testing.", purpose_ru="",
        organiser_org_id=campaign.lead_org_id, goal=Decimal("350000"), currency="RUB",
        starts_on=date(2026, 1, 10), ends_on=None, is_public=True))
    drive_services.move_drive(drive, DriveStatus.LIVE)
    db.session.commit()
    with serving(app) as base_url:
        log_in(page, base_url, "lead@example.org")
        page.goto(f"{base_url}/drives/xrf-team/pledges/new")
        page.fill("#pledger_name", "Anna Petrova")
        page.fill("#amount", "1000")
        page.select_option("#currency", "RUB")
        page.fill("#pledged_on", "2026-03-10")
        page.locator("form:has(#pledger_name) [type=submit]").click()
        expect(page.locator("main")).to_contain_text("Anna Petrova")

        pledge = db.session.scalar(select(Pledge))
        page.goto(f"{base_url}/drives/xrf-team/pledges/{pledge.id}/edit")
        page.fill("#amount", "1500")
        page.locator("form:has(#amount) [type=submit]").click()

        page.goto(f"{base_url}/drives/xrf-team/pledges/{pledge.id}")
        change = page.locator("#history li.audit-event").first
        expect(change).to_contain_text("lead@example.org changed")
        expect(change).to_contain_text(re.compile(
            r"amount from RUB[\s\u00a0]1,000\.00 to RUB[\s\u00a0]1,500\.00"))


def test_a_rouble_pledge_and_its_partial_payment_move_the_thermometer_and_the_gap(
        app, page: Page, xrf_budget):
    """Issue 4's journey: a lead logs 8 000 ₽ to the XRF drive, then 4 000 ₽ arrive.

    The campaign's target is $900; 80 ₽ buy a dollar from 2026-03-01.
    """
    campaign, _target = xrf_budget
    add_rate(date(2026, 3, 1), "USD", "RUB", Decimal("80"), "Central Bank of Russia")
    make_user(Role.LEAD, email="lead@example.org", campaigns=[campaign])
    drive = drive_services.create_drive(campaign, drive_services.DriveInput(
        slug="xrf-team", title_en="Invite the XRF team to Chelyabinsk", title_ru="",
        purpose_en="Soil and product testing.", purpose_ru="",
        organiser_org_id=campaign.lead_org_id, goal=Decimal("80000"), currency="RUB",
        starts_on=date(2026, 1, 10), ends_on=None, is_public=True))
    drive_services.move_drive(drive, DriveStatus.LIVE)
    db.session.commit()

    def gap_figures() -> dict[str, str]:
        page.goto(f"{base_url}/campaigns/{campaign.slug}")
        section = page.locator("#funding")
        return {name: plain(section.locator(f"[data-figure={name}]").inner_text())
                for name in ("target", "received", "pledged", "gap")}

    def drive_figures(path: str) -> dict[str, str]:
        page.goto(f"{base_url}{path}")
        return {name: plain(page.locator(f"[data-figure={name}]").first.inner_text())
                for name in ("received", "pledged", "goal")}

    with serving(app) as base_url:
        log_in(page, base_url, "lead@example.org")
        assert gap_figures() == {"target": "$900.00", "received": "$0.00", "pledged": "$0.00",
                                 "gap": "$900.00"}

        page.goto(f"{base_url}/drives/xrf-team/pledges/new")
        page.fill("#pledger_name", "Anna Petrova")
        page.fill("#amount", "8000")
        page.select_option("#currency", "RUB")
        page.fill("#pledged_on", "2026-03-10")
        page.locator("form:has(#pledger_name) [type=submit]").click()
        expect(page.locator("main")).to_contain_text("Anna Petrova")
        assert gap_figures()["pledged"] == "$100.00"
        assert drive_figures("/drives/xrf-team")["pledged"] == "RUB 8,000.00"

        pledge = db.session.scalar(select(Pledge))
        page.goto(f"{base_url}/drives/xrf-team/pledges/{pledge.id}")
        payment_form = page.locator("form[action*='/payments']")
        payment_form.locator("#amount").fill("4000")
        payment_form.locator("#currency").select_option("RUB")
        payment_form.locator("#paid_on").fill("2026-03-15")
        payment_form.locator("[type=submit]").click()
        expect(page.locator("#pledge-paid")).to_have_text(re.compile(r"RUB\s4,000\.00"))

        staff = drive_figures("/drives/xrf-team")
        assert staff == {"received": "RUB 4,000.00", "pledged": "RUB 4,000.00",
                         "goal": "RUB 80,000.00"}
        bar = page.locator("svg.thermometer .thermometer-received").first
        assert bar.get_attribute("width") == "5.0%"
        assert gap_figures() == {"target": "$900.00", "received": "$50.00",
                                 "pledged": "$50.00", "gap": "$850.00"}

        page.get_by_role("button", name="Log out").click()
        assert drive_figures("/d/xrf-team") == staff  # the public page, logged out
        expect(page.locator("svg.thermometer .thermometer-received").first).to_have_attribute(
            "width", "5.0%")


def test_text_typed_in_the_editor_survives_a_session_ended_in_another_tab(app, page: Page):
    from tests.proposals_support import make_proposal_world
    from tracker.proposals import services as proposal_services
    from tracker.proposals.models import SectionKind

    world = make_proposal_world()
    make_user(Role.FUNDRAISER, email="writer@example.org")
    risks = "Customs may hold the XRF analyser; we ship it a month ahead."
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    with serving(app) as base_url:
        editor = f"{base_url}/applications/{world.application.id}/proposal"
        log_in(page, base_url, "writer@example.org")
        page.goto(editor)

        # A draft is kept as one types, and leaving with unsaved text asks first.
        page.locator("#section-risks-fold summary").click()  # the sections are folded
        page.locator("#risks_en").fill("First thoughts on risks")
        page.wait_for_timeout(700)
        page.goto(f"{base_url}/deadlines")
        assert "beforeunload" in dialogs
        page.goto(editor)
        expect(page.locator("#draft-notice")).to_contain_text("Restored your unsaved draft from")
        expect(page.locator("#risks_en")).to_have_value("First thoughts on risks")
        page.get_by_role("button", name="Discard the draft").click()
        expect(page.locator("#risks_en")).to_have_value("")
        expect(page.locator("#draft-notice")).to_be_hidden()

        # Type, log out in another tab, then press Save here.
        expect(page.locator("#risks_en")).to_be_visible()  # the restored draft opened its fold
        page.locator("#risks_en").fill(risks)
        page.locator("#risks_ru").fill("Таможня может задержать анализатор.")
        # Let the live preview's request end first: answered after the session ended, it
        # would replace the session cookie under the login form that follows (noted).
        page.wait_for_timeout(800)
        page.wait_for_load_state("networkidle")
        other = page.context.new_page()
        other.goto(f"{base_url}/deadlines")
        other.locator("form[action='/logout'] [type=submit]").click()
        expect(other).to_have_url(f"{base_url}/login")
        other.close()
        page.get_by_role("button", name="Save the narrative").click()

        expect(page.locator("h1")).to_contain_text(
            "Your session ended; log in again to save what you typed")
        page.fill("#email", "writer@example.org")
        page.fill("#password", TEST_PASSWORD)
        page.get_by_role("button", name="Log in and get my text back").click()

        expect(page.locator("#risks_en")).to_have_value(risks)
        expect(page.locator("#risks_ru")).to_have_value("Таможня может задержать анализатор.")
        expect(page.locator("main")).to_contain_text("What you typed before the session ended")
        stored = proposal_services.sections_of(world.application).get(SectionKind.RISKS)
        assert stored is None or stored.body_en != risks
        page.get_by_role("button", name="Save the narrative").click()
        expect(page.locator("main")).to_contain_text("is saved")
        expect(page.locator("#risks_en")).to_have_value(risks)
        assert page.evaluate("Object.keys(localStorage).length") == 0
    db.session.expire_all()
    sections = proposal_services.sections_of(world.application)
    assert sections[SectionKind.RISKS].body_en == risks
