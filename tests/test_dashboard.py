"""The dashboard in one reporting currency: every campaign's figures converted into it
(through a pivot currency when a pair has no rate of its own), the totals adding up the
rows, a campaign left out only when no path exists, and a bar whose pipeline cannot be
mistaken for money in hand.

Issue 10, finding 4: with the demo coalition and KZT chosen, each row stayed in its own
currency ($ and € mixed) and 3 of 7 campaigns were left out ("no rate EUR→KZT") although
EUR and KZT both have rates to USD; the yellow pipeline bar read as progress.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event

from tests.applications_support import make_application
from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_payment, make_pledge, make_world
from tests.factories import make_line, make_org, make_target
from tests.pages import plain, switch_to_russian
from tests.test_funding import dashboard_rows, rates_note, totals_of
from tracker.applications.models import ApplicationStatus
from tracker.auth.models import Role
from tracker.demo import CAMPAIGNS
from tracker.extensions import db
from tracker.money.services import add_rate
from tracker.orgs.models import OrgKind

FIGURES = ("target", "secured", "pledged", "pipeline", "gap")


def amount(text: str) -> Decimal:
    """The number in a figure as shown in English ('KZT 1,234.50' → 1234.50)."""
    return Decimal(re.sub(r"[^\d.\-]", "", text))


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", plain(html)).split())


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.commit()


@pytest.fixture
def viewer(client, app):
    user = make_user(Role.VIEWER, email="viewer@example.org")
    login(client, user)
    return user


def test_with_the_demo_coalition_in_kzt_every_figure_of_all_seven_campaigns_is_in_kzt(
        client, demo, viewer):
    client.post("/reporting-currency", data={"currency": "KZT"})

    page = client.get("/").text

    rows = dashboard_rows(page)
    assert len(rows) == len(CAMPAIGNS) == 7
    for slug, cells in rows.items():
        for name in FIGURES:
            assert cells[name].startswith("KZT "), (slug, name, cells[name])
    assert 'id="totals-left-out"' not in page
    totals = totals_of(plain(page))
    assert totals["campaigns"] == "7"
    # The totals are the sums of the rows as shown, in KZT.
    for name in FIGURES:
        assert amount(totals[name]) == sum(amount(cells[name]) for cells in rows.values())
    # Each row keeps its own currency as a second line: euros and dollars.
    own = [cells["target"] for cells in dashboard_rows(page, own=True).values()]
    assert any(figure.startswith("€") for figure in own)
    assert any(figure.startswith("$") for figure in own)
    # EUR has no rate of its own to KZT: it goes through USD, both legs named.
    note = rates_note(page)
    assert re.search(r"1 EUR = [\d.,]+ KZT \(through USD: 1 EUR = 1\.17 USD, rate of "
                     r"Oct 1, 2026, Demo data \(approximate\); 1 USD = 524\.9 KZT, rate of "
                     r"Oct 1, 2026, Demo data \(approximate\)\)", note), note
    assert re.search(r"1 USD = 524\.9 KZT \(rate of Oct 1, 2026, Demo data", note), note


def test_a_euro_campaign_in_kzt_is_its_figures_times_the_cross_rate_rounded_once(
        client, viewer):
    world = make_world()
    add_rate(date(2026, 1, 5), "EUR", "USD", Decimal("1.172"), "ECB")
    add_rate(date(2026, 1, 6), "USD", "KZT", Decimal("505.2"), "NBK")
    target = make_target(world.campaign, currency="EUR")
    make_line(target, quantity="1", unit_cost="1000.01")
    db.session.commit()
    client.post("/reporting-currency", data={"currency": "KZT"})

    page = client.get("/").text

    # 1 000.01 € × (1.172 × 505.2) = 592 100.320944 KZT: the product of the legs, one rounding.
    rows = dashboard_rows(page)
    assert rows[world.campaign.slug]["target"] == "KZT 592,100.32"
    assert dashboard_rows(page, own=True)[world.campaign.slug]["target"] == "€1,000.01"
    note = rates_note(page)
    assert "1 EUR = 592.094 KZT (through USD:" in note
    assert "1 EUR = 1.172 USD, rate of Jan 5, 2026, ECB" in note
    assert "1 USD = 505.2 KZT, rate of Jan 6, 2026, NBK" in note


def test_a_campaign_with_no_path_at_all_is_named_with_its_pair_and_shown_apart(
        client, viewer):
    world = make_world()  # EUR↔RUB and RUB↔KZT only: no pivot reaches KZT
    add_rate(date(2026, 1, 5), "USD", "EUR", Decimal("0.90"), "Test rates")
    euros = make_target(world.campaign, currency="EUR")
    make_line(euros, quantity="1", unit_cost="900")
    tenge = make_target(world.other_campaign, currency="KZT")
    make_line(tenge, quantity="1", unit_cost="1000000")
    db.session.commit()

    page = client.get("/").text  # in USD, the default

    rows = dashboard_rows(page)
    assert rows[world.campaign.slug]["target"] == "$1,000.00"
    left_out = page.split(f'data-campaign="{world.other_campaign.slug}"', 1)[1].split("</tr>")[0]
    assert "data-left-out" in left_out
    assert rows[world.other_campaign.slug]["target"] == "KZT 1,000,000.00"
    assert re.search(r"No exchange rate from KZT to USD on or before \d{4}-\d{2}-\d{2}\.",
                     text_of(left_out))
    alert = text_of(page.split('id="totals-left-out"', 1)[1].split("</div>", 1)[0])
    assert "1 campaign is left out of these totals:" in alert
    assert re.search(r"Lead in paint: No exchange rate from KZT to USD on or before", alert)
    assert "directly or through USD or EUR" in alert
    assert totals_of(plain(page))["campaigns"] == "1"
    assert totals_of(plain(page))["target"] == "$1,000.00"


@pytest.fixture
def pipeline_page(client, viewer):
    world = make_world()
    target = make_target(world.campaign, currency="RUB")
    make_line(target, quantity="1", unit_cost="1000000")
    donor = make_org(slug="undp", name_en="UNDP", name_ru="ПРООН", country="US",
                     kind=OrgKind.INTERGOVERNMENTAL)
    make_application(world.campaign, donor, world.organiser, ApplicationStatus.SUBMITTED,
                     requested=Decimal("400000"), currency="RUB", probability=50)
    db.session.commit()
    client.post("/reporting-currency", data={"currency": "RUB"})
    return world


def pipeline_rects(page: str) -> list[str]:
    return re.findall(r'<rect [^>]*data-kind="pipeline"[^>]*>', page)


@pytest.mark.parametrize("path", ["/", "/campaigns/{slug}"])
def test_the_pipeline_is_drawn_apart_from_money_in_hand_with_a_legend(
        client, pipeline_page, path):
    page = client.get(path.format(slug=pipeline_page.campaign.slug)).text

    rects = pipeline_rects(page)
    assert rects, "no pipeline segment drawn"
    for rect in rects:
        # An outlined, dashed segment in its own colour: not a solid bar like money in hand.
        assert 'stroke-dasharray="4 2"' in rect and 'stroke="#6f42c1"' in rect
        assert 'fill="#ffcd39"' not in rect
    solid = re.findall(r'<rect [^>]*data-kind="(?:awarded|received|pledged)"[^>]*>', page)
    assert all("stroke-dasharray" not in rect for rect in solid)
    legend = text_of(page.split('class="list-inline small text-muted mb-0 funding-legend"', 1)[1]
                     .split("</ul>", 1)[0])
    assert ("Pipeline (weighted): requests awaiting a decision, times their probability: "
            "not money in hand") in legend
    assert "Awarded grants: grants a donor has decided to give" in legend
    assert "Received: payments that came in" in legend
    assert "Pledged, not yet paid: promised by supporters, not yet paid" in legend
    assert "Gap: what the target still lacks" in legend
    assert "style=" not in page.split('<main', 1)[-1]  # the CSP forbids inline styles


@pytest.mark.parametrize("path", ["/", "/campaigns/{slug}"])
def test_the_legend_reads_in_russian(client, pipeline_page, path):
    switch_to_russian(client)

    page = client.get(path.format(slug=pipeline_page.campaign.slug)).text

    legend = text_of(page.split("funding-legend", 1)[1].split("</ul>", 1)[0])
    assert "не деньги в руках" in legend
    assert "заявки, ожидающие решения" in legend


def test_the_dashboard_reads_every_rate_in_one_query(client, demo, viewer, app):
    client.post("/reporting-currency", data={"currency": "KZT"})
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/")
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert page.status_code == 200
    # The kept sections' key (tracker.dashboard.sections) reads only the rates' count and
    # latest id and date, before and after rendering; the rates themselves are read once.
    rate_queries = [s for s in statements
                    if "exchange_rate" in s and "max(exchange_rate.id)" not in s]
    assert len(rate_queries) == 1, rate_queries
    assert len(statements) < 40, len(statements)


def test_a_pledge_converted_through_a_pivot_names_both_legs_on_its_page(client, viewer):
    world = make_world()  # EUR→RUB 95 on 2026-01-05: no rate between USD and RUB
    add_rate(date(2026, 1, 5), "USD", "EUR", Decimal("0.90"), "ECB")
    db.session.commit()
    drive = make_drive(world)
    pledge = make_pledge(drive, amount="100", currency="USD", pledged_on=date(2026, 2, 1))
    make_payment(pledge, "10", paid_on=date(2026, 2, 2))

    # 100 USD × 0.90 × 95 = 8 550 RUB: the cross rate of the two legs, rounded once.
    assert pledge.drive_amount_minor == 855_000
    page = text_of(client.get(f"/drives/{drive.slug}/pledges/{pledge.id}").text)

    assert "RUB 8,550.00" in page
    assert ("1 USD = 85.5 RUB (through EUR: 1 USD = 0.9 EUR, rate of Jan 5, 2026, ECB; "
            "1 EUR = 95 RUB, rate of Jan 5, 2026, Test rates)") in page.replace(" ,", ",")
    # The payment's conversion into the drive's roubles names its legs too.
    assert page.count("(through EUR:") == 2


def test_the_reporting_currency_offers_the_coalitions_currencies_not_every_iso_code(
        client, demo, viewer):
    """Only a currency the coalition's money or rates are in can be reached by a rate."""
    page = client.get("/").text
    select = re.search(r'<select[^>]*name="currency".*?</select>', page, re.S).group(0)
    offered = set(re.findall(r'<option[^>]*value="([A-Z]{3})"', select))
    assert {"USD", "EUR", "RUB", "KZT"} <= offered
    assert "JPY" not in offered and len(offered) < 20
    refused = client.post("/reporting-currency", data={"currency": "JPY"})
    assert refused.status_code == 422
    assert db.session.get(type(viewer), viewer.id).reporting_currency != "JPY"
