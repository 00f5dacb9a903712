"""The funding gap: a campaign's target, secured, pledged and pipeline money in one currency,
kept in a roll-up by every change, shown on the campaign page and the dashboard.

The world (tests/drive_support.py) has EUR→RUB 95 on 2026-01-05 and 100 on 2026-03-01 and
RUB→KZT rates, but no KZT↔EUR rate; these tests add USD→EUR 0.90 on 2026-01-05. The
campaign's target is in EUR, so RUB amounts of March 2026 convert at 1/100.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.applications_support import make_application
from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_payment, make_pledge, make_world
from tests.factories import make_line, make_org, make_target
from tests.pages import plain, switch_to_russian
from tracker.applications import services as applications
from tracker.applications.models import ApplicationStatus
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.funding.models import CampaignFunding
from tracker.funding.services import compute_gap
from tracker.money.services import add_rate
from tracker.orgs.models import OrgKind


@pytest.fixture
def world(app):
    world = make_world()
    add_rate(date(2026, 1, 5), "USD", "EUR", Decimal("0.90"), "Test rates")
    db.session.commit()
    return world


@pytest.fixture
def target(world):
    """60 000 EUR for 2027: the campaign's funding currency is the euro."""
    target = make_target(world.campaign, currency="EUR", starts_on=date(2027, 1, 1),
                         ends_on=date(2027, 12, 31))
    make_line(target, quantity="2", unit_cost="30000", description="XRF mission")
    return target


@pytest.fixture
def undp(world):
    return make_org(slug="undp", name_en="UNDP", name_ru="ПРООН", country="US",
                    kind=OrgKind.INTERGOVERNMENTAL)


@pytest.fixture
def viewer(client, world):
    user = make_user(Role.VIEWER, email="viewer@example.org")
    login(client, user)
    return user


def figures(page: str) -> dict[str, str]:
    """The figures of the page's first funding section, as a reader sees them."""
    section = page.split('id="funding"', 1)[1]
    return {name: re.sub(r"<[^>]+>", "", plain(value)).strip() for name, value in
            re.findall(r'data-figure="(\w+)">(.*?)</dd>', section, re.S)}


def stored(campaign) -> CampaignFunding:
    db.session.expire_all()
    row = db.session.scalar(select(CampaignFunding)
                            .where(CampaignFunding.campaign_id == campaign.id))
    assert row is not None, "the roll-up row was not written with the change"
    return row


def test_campaign_page_shows_every_part_of_the_gap_in_the_target_currency(
        client, viewer, world, target, undp):
    drive = make_drive(world)  # goal in roubles
    anna = make_pledge(drive, amount="100000", pledged_on=date(2026, 3, 10))
    make_payment(anna, "40000", paid_on=date(2026, 3, 15))
    make_application(world.campaign, undp, world.organiser, ApplicationStatus.AWARDED)
    make_application(world.campaign, undp, world.organiser, ApplicationStatus.SUBMITTED,
                     probability=30)

    page = client.get(f"/campaigns/{world.campaign.slug}").text

    assert figures(page) == {
        "target": "€60,000.00",
        "awarded": "€36,000.00",     # 40 000 USD awarded × 0.90
        "received": "€400.00",       # 40 000 RUB on 2026-03-15 ÷ 100
        "pledged": "€600.00",        # the unpaid 60 000 RUB at the pledge's rate
        "pipeline": "€13,500.00",    # 50 000 USD × 30 % × 0.90
        "gap": "€23,600.00",         # 60 000 − (36 000 + 400)
    }
    assert "Secured (awarded grants and money received): €36,400.00." in plain(page)
    assert "60% of the target." in plain(page)


def test_the_bar_is_inline_svg_with_a_part_per_kind_of_money(client, viewer, world, target,
                                                              undp):
    drive = make_drive(world)
    pledge = make_pledge(drive, amount="1500000", pledged_on=date(2026, 3, 10))  # €15 000
    make_payment(pledge, "600000", paid_on=date(2026, 3, 15))  # €6 000 received

    page = client.get(f"/campaigns/{world.campaign.slug}").text
    bar = page.split('<svg class="funding-bar"', 1)[1].split("</svg>", 1)[0]

    parts = dict(re.findall(r'width="([\d.]+)%"[^>]*fill="[^"]+" data-kind="(\w+)"', bar))
    assert {kind: width for width, kind in parts.items()} == {
        "received": "10.00", "pledged": "15.00"}
    assert 'x="10.00%"' in bar  # pledged starts where received ends
    assert "Received: €6,000.00" in plain(bar)


def test_a_missing_rate_is_named_by_pair_and_date_never_counted_as_zero(
        client, viewer, world, target):
    drive = make_drive(world)
    make_pledge(drive, amount="62000", currency="KZT", pledged_on=date(2026, 3, 10))
    make_pledge(drive, amount="1000", pledged_on=date(2026, 3, 10))

    page = plain(client.get(f"/campaigns/{world.campaign.slug}").text)

    assert figures(page)["pledged"] == "€10.00"  # only the rouble pledge
    assert "1 amount is left out of these figures: it has no exchange rate yet." in page
    assert "No exchange rate from KZT to EUR on or before 2026-03-10." in page
    assert stored(world.campaign).unconverted == 1


def test_adding_the_missing_rate_refreshes_the_gap_in_the_same_transaction(
        client, world, target):
    drive = make_drive(world)
    make_pledge(drive, amount="62000", currency="KZT", pledged_on=date(2026, 3, 10))
    admin = make_user(Role.ADMIN, email="admin@example.org")
    login(client, admin)

    response = client.post("/rates/new", data={
        "on_date": "2026-03-01", "base": "EUR", "quote": "KZT", "rate": "620",
        "source": "Test rates"})

    assert response.status_code == 302
    row = stored(world.campaign)
    assert (row.pledged_minor, row.unconverted, row.missing) == (10000, 0, [])
    assert "No exchange rate" not in client.get(f"/campaigns/{world.campaign.slug}").text


def test_each_write_keeps_the_roll_up_equal_to_a_fresh_computation(world, target, undp):
    drive = make_drive(world)
    pledge = make_pledge(drive, amount="5000", pledged_on=date(2026, 3, 10))
    assert stored(world.campaign).pledged_minor == 5000

    make_payment(pledge, "5000", paid_on=date(2026, 3, 15))
    row = stored(world.campaign)
    assert (row.received_minor, row.pledged_minor) == (5000, 0)

    make_line(target, quantity="1", unit_cost="1000", description="Translation")
    assert stored(world.campaign).target_minor == 6_100_000

    application = make_application(world.campaign, undp, world.organiser,
                                   ApplicationStatus.UNDER_REVIEW, probability=50)
    assert stored(world.campaign).pipeline_minor == 2_250_000  # 25 000 USD × 0.90
    applications.move(application, ApplicationStatus.REJECTED, by=None)
    db.session.commit()
    assert stored(world.campaign).pipeline_minor == 0

    fresh = compute_gap(world.campaign.id)
    row = stored(world.campaign)
    assert (row.target_minor, row.received_minor, row.pledged_minor, row.awarded_minor,
            row.pipeline_minor) == (fresh.target.minor, fresh.received.minor,
                                    fresh.pledged.minor, fresh.awarded.minor,
                                    fresh.pipeline.minor)


def test_moving_an_application_to_another_campaign_refreshes_both(world, target, undp):
    application = make_application(world.campaign, undp, world.organiser,
                                   ApplicationStatus.AWARDED)
    assert stored(world.campaign).awarded_minor == 3_600_000

    data = applications.ApplicationInput(
        campaign_id=world.other_campaign.id, donor_org_id=undp.id,
        applicant_org_id=world.organiser.id, title_en=application.title_en,
        title_ru=application.title_ru, requested=Decimal("50000"), currency="USD")
    applications.update_application(application, data)
    db.session.commit()

    assert stored(world.campaign).awarded_minor == 0
    other = stored(world.other_campaign)
    assert (other.currency, other.awarded_minor) == ("USD", 4_000_000)


def test_a_campaign_without_a_target_shows_its_money_and_no_gap(client, viewer, world):
    drive = make_drive(world)
    make_pledge(drive, amount="1000", pledged_on=date(2026, 3, 10))

    page = client.get(f"/campaigns/{world.campaign.slug}").text

    shown = figures(page)
    assert shown["target"] == "No funding target"
    assert shown["gap"] == "—"
    # Without a target the figures are in the reporting currency. There is no RUB→USD
    # rate: 1 000 RUB go through EUR, at 1/100 then 1/0.90, rounded once.
    assert shown["pledged"] == "$11.11"
    assert "No exchange rate" not in plain(page)


def test_a_campaign_amount_without_any_path_is_named_never_counted_as_zero(
        client, viewer, world):
    drive = make_drive(world)
    make_pledge(drive, amount="5000", currency="KZT", pledged_on=date(2026, 3, 10))

    page = plain(client.get(f"/campaigns/{world.campaign.slug}").text)

    # KZT meets only RUB here, which is no pivot: no path to USD at all.
    assert "No exchange rate from KZT to USD on or before 2026-03-10." in page


def test_the_campaign_gap_reads_in_russian(client, viewer, world, target):
    make_pledge(make_drive(world), amount="100000", pledged_on=date(2026, 3, 10))
    switch_to_russian(client)

    page = client.get(f"/campaigns/{world.campaign.slug}").text

    assert figures(page)["pledged"] == "1 000,00 €"
    assert "Разрыв в финансировании" in page


# --- the dashboard -----------------------------------------------------------------------


def dashboard_rows(page: str, own: bool = False) -> dict[str, dict[str, str]]:
    """Each campaign's figures as shown (in the reporting currency), or with `own` the
    second line in the campaign's own currency."""
    table = page.split('id="campaigns"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for slug, body in re.findall(r'<tr data-campaign="([\w-]+)"[^>]*>(.*?)</tr>', table, re.S):
        cells = {}
        for name, value in re.findall(r'data-figure="(\w+)">(.*?)</td>', body, re.S):
            shown, _, second = value.partition("data-own=")
            text = second.split(">", 1)[1] if own and second else shown if not own else ""
            cells[name] = re.sub(r"<[^>]+>|<div[^>]*$", "", plain(text)).strip()
        rows[slug] = cells
    return rows


def rates_note(page: str) -> str:
    """The note naming the rates the dashboard converted at, as a reader sees it."""
    note = page.split('id="totals-rates"', 1)[1].split("</div>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", plain(note)).split()).replace(" ,", ",").replace(
        "( ", "(").replace(" )", ")")


def totals_of(page: str) -> dict[str, str]:
    section = page.split('id="coalition-totals"', 1)[1].split("</section>", 1)[0]
    return {name: plain(value).strip()
            for name, value in re.findall(r'data-total="(\w+)">(.*?)</dd>', section, re.S)}


def test_the_dashboard_shows_every_campaigns_gap_and_coalition_totals(
        client, viewer, world, target, undp):
    make_pledge(make_drive(world), amount="100000", pledged_on=date(2026, 3, 10))
    other_target = make_target(world.other_campaign, currency="USD")
    make_line(other_target, quantity="1", unit_cost="10000")

    page = client.get("/").text

    # Every row in the reporting currency (USD, the default), its own currency below.
    rows = dashboard_rows(page)
    assert rows[world.campaign.slug]["gap"] == "$66,666.67"
    assert rows[world.campaign.slug]["pledged"] == "$1,111.11"
    assert rows[world.other_campaign.slug]["target"] == "$10,000.00"
    own = dashboard_rows(page, own=True)
    assert own[world.campaign.slug]["gap"] == "€60,000.00"
    assert own[world.campaign.slug]["pledged"] == "€1,000.00"
    assert own[world.other_campaign.slug]["target"] == ""  # already in USD: no second line
    assert page.count('<svg class="funding-bar"') == 2
    # Totals in USD (the default): the euro campaign converted at USD→EUR 0.90 inverted.
    assert totals_of(page) == {
        "target": "$76,666.67", "secured": "$0.00", "pledged": "$1,111.11",
        "pipeline": "$0.00", "gap": "$76,666.67", "campaigns": "2"}
    assert "1 EUR = 1.11111 USD (rate of Jan 5, 2026, Test rates, inverse)" in rates_note(page)


def test_a_user_picks_the_reporting_currency_and_it_is_remembered(client, viewer, world,
                                                                   target):
    other_target = make_target(world.other_campaign, currency="USD")
    make_line(other_target, quantity="1", unit_cost="10000")

    response = client.post("/reporting-currency", data={"currency": "EUR"})
    assert response.status_code == 302
    page = client.get("/").text

    assert totals_of(page)["target"] == "€69,000.00"  # 60 000 € + 10 000 $ × 0.90
    assert "The dashboard now shows every figure in EUR." in page
    db.session.refresh(viewer)
    assert viewer.reporting_currency == "EUR"


def test_an_unknown_reporting_currency_is_refused_and_changes_nothing(client, viewer, world):
    response = client.post("/reporting-currency", data={"currency": "XYZ"})

    assert response.status_code == 422
    assert "Choose a known currency (ISO 4217 code)." in response.text
    db.session.refresh(viewer)
    assert viewer.reporting_currency is None


def test_a_campaign_without_a_rate_to_the_reporting_currency_is_left_out_by_name(
        client, viewer, world, target):
    other_target = make_target(world.other_campaign, currency="KZT")
    make_line(other_target, quantity="1", unit_cost="1000000")
    client.post("/reporting-currency", data={"currency": "EUR"})

    page = plain(client.get("/").text)

    assert totals_of(page)["campaigns"] == "1"
    assert "1 campaign is left out of these totals:" in page
    assert re.search(r"Lead in paint: No exchange rate from KZT to EUR on or before "
                     r"\d{4}-\d{2}-\d{2}\.", page)


def test_the_dashboard_lists_deadlines_recent_pledges_and_collisions(
        client, viewer, world, undp):
    make_pledge(make_drive(world), amount="2500", name="Irina Smirnova")
    from tests.applications_support import make_call
    call = make_call(undp, title_en="Small grants 2027", deadline=date(2099, 3, 1))
    rival = make_org(slug="rival", name_en="Rival NGO", name_ru="Соперник", country="KZ")
    make_application(world.campaign, undp, world.organiser, call_id=call.id,
                     title_en="XRF in Chelyabinsk", submission_deadline=date(2099, 1, 1))
    make_application(world.other_campaign, undp, rival, call_id=call.id,
                     title_en="Paint testing", submission_deadline=date(2099, 2, 1))

    page = plain(client.get("/").text)

    pledges = page.split('id="recent-pledges"', 1)[1]
    assert "Irina Smirnova" in pledges and "RUB 2,500.00" in pledges
    collisions = page.split('id="collisions"', 1)[1]
    assert "Small grants 2027" in collisions
    assert "Rival NGO" in collisions and "For Nature" in collisions
    assert 'id="upcoming-deadlines"' in page


def test_the_dashboard_is_the_home_page_and_needs_a_login(client, world):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_refresh_funding_fills_the_roll_up_of_every_campaign(runner, world, target):
    db.session.execute(CampaignFunding.__table__.delete())
    db.session.commit()

    result = runner.invoke(args=["refresh-funding"])

    assert result.exit_code == 0, result.output
    assert "Funding figures recomputed for 2 campaigns." in result.output
    assert stored(world.campaign).target_minor == 6_000_000
