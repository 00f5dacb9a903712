"""Property tests: the database's totals equal Decimal arithmetic on random pledges and
payments in mixed currencies, to the minor unit, on SQLite and on PostgreSQL.

The model below is written from the rule in tracker/money/services.py and nothing else:
amounts sharing a currency and a date are added, each sum is converted at the latest
rate on or before its date (the direct pair preferred, else the inverse of the opposite
pair) and rounded half away from zero to the target's minor unit; the results are added.
When the pair has no rate of its own on or before the date, the sum goes through a pivot
(USD, then EUR): each leg found as above, the cross rate the exact product of the legs,
one rounding at the end. A sum without any path is left out and counted.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.factories import make_campaign, make_line, make_org, make_target
from tracker.drives import services as drives
from tracker.drives.models import DriveStatus, DriveTotals, PledgeStatus
from tracker.extensions import db
from tracker.funding.models import CampaignFunding
from tracker.money.iso4217 import MINOR_UNITS
from tracker.money.services import DatedSum, add_converted, add_rate
from tracker.money.value import Money

# Direct rates as recorded (one unit of the first currency in the second). Dates before
# 2025-02-01 have no rate at all, and KZT meets only RUB, which is no pivot: KZT sums in
# EUR or USD must be reported missing. RUB meets USD directly only from 2025-09-01;
# before that RUB↔USD goes through EUR.
RATES: dict[tuple[str, str], dict[date, Decimal]] = {
    ("EUR", "RUB"): {date(2025, 2, 1): Decimal("98.4512"), date(2025, 9, 1): Decimal("96.1"),
                     date(2026, 2, 1): Decimal("101.0071")},
    ("USD", "EUR"): {date(2025, 2, 1): Decimal("0.9613"), date(2026, 2, 1): Decimal("0.8517")},
    ("RUB", "USD"): {date(2025, 9, 1): Decimal("0.012345")},
    ("RUB", "KZT"): {date(2025, 2, 1): Decimal("5.1234"), date(2026, 2, 1): Decimal("6.2")},
    ("KZT", "RUB"): {date(2026, 2, 1): Decimal("0.16")},  # same day as RUB→KZT: direct wins
}
DAYS = [date(2025, 1, 15), date(2025, 2, 1), date(2025, 6, 30), date(2025, 9, 1),
        date(2026, 1, 31), date(2026, 2, 1), date(2026, 3, 10)]
CURRENCIES = ["RUB", "EUR", "USD", "KZT"]
_serial = itertools.count()


def model_rate(base: str, quote: str, on: date) -> Decimal | None:
    """The pair's own rate, else the exact product of two legs through USD, then EUR."""
    own = model_leg(base, quote, on)
    if own is not None:
        return own
    for pivot in ("USD", "EUR"):
        if pivot in (base, quote):
            continue
        first, second = model_leg(base, pivot, on), model_leg(pivot, quote, on)
        if first is not None and second is not None:
            with localcontext() as ctx:
                ctx.prec = 100
                return first * second
    return None


def model_leg(base: str, quote: str, on: date) -> Decimal | None:
    if base == quote:
        return Decimal(1)
    found: list[tuple[date, int, Decimal]] = []
    for (b, q), by_day in RATES.items():
        days = [day for day in by_day if day <= on]
        if not days:
            continue
        latest = max(days)
        if (b, q) == (base, quote):
            found.append((latest, 1, by_day[latest]))
        elif (b, q) == (quote, base):
            with localcontext() as ctx:
                ctx.prec = 34
                found.append((latest, 0, Decimal(1) / by_day[latest]))
    if not found:
        return None
    return max(found, key=lambda item: (item[0], item[1]))[2]


@dataclass
class Converted:
    minor: int
    missing: int


def model_sum(groups: dict[tuple[str, date], int], to: str,
              counts: dict[tuple[str, date], int] | None = None) -> Converted:
    """Σ round_half_up(sum × rate) over (currency, date) groups, in minor units of `to`;
    `missing` counts the records (per `counts`, else one per group) left without a rate."""
    total, missing = Decimal(0), 0
    places = Decimal(1).scaleb(-MINOR_UNITS[to])
    for (currency, on), minor in groups.items():
        rate = model_rate(currency, to, on)
        if rate is None:
            missing += counts[(currency, on)] if counts else 1
            continue
        amount = Decimal(minor).scaleb(-MINOR_UNITS[currency])
        with localcontext() as ctx:
            ctx.prec = 150
            total += (amount * rate).quantize(places, rounding=ROUND_HALF_UP)
    return Converted(int(total.scaleb(MINOR_UNITS[to])), missing)


@pytest.fixture
def rates(app):
    for (base, quote), by_day in RATES.items():
        for on, rate in by_day.items():
            add_rate(on, base, quote, rate, "Property test")
    db.session.commit()


# (currency, minor units, date, whether the person says the supporter gave more)
payment = st.tuples(st.sampled_from(CURRENCIES), st.integers(1, 10**8), st.sampled_from(DAYS),
                    st.booleans())
pledge = st.tuples(st.sampled_from(CURRENCIES), st.integers(1, 10**9), st.sampled_from(DAYS),
                   st.lists(payment, max_size=3), st.booleans())
# Shrinking replays database writes: keep it short, the first failure is reported anyway.
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                             phases=[Phase.explicit, Phase.generate, Phase.shrink],
                             suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(drive_currency=st.sampled_from(["RUB", "EUR", "KZT"]),
       target_currency=st.sampled_from(["EUR", "USD", "RUB"]),
       pledges=st.lists(pledge, min_size=1, max_size=6))
def test_drive_and_campaign_totals_equal_decimal_sums(rates, drive_currency, target_currency,
                                                      pledges):
    n = next(_serial)
    organiser = make_org(slug=f"organiser-{n}", country="RU")
    campaign = make_campaign(lead=organiser, slug=f"property-{n}")
    target = make_target(campaign, currency=target_currency)
    make_line(target, quantity="3", unit_cost="1000.50")
    drive = drives.create_drive(campaign, drives.DriveInput(
        slug=f"drive-{n}", title_en="Drive", title_ru="Сбор", purpose_en="", purpose_ru="",
        organiser_org_id=organiser.id, goal=Decimal("1000000"), currency=drive_currency,
        starts_on=date(2025, 1, 1), ends_on=None, is_public=False))
    drives.move_drive(drive, DriveStatus.LIVE)
    db.session.commit()

    received: dict[tuple[str, date], int] = defaultdict(int)
    received_count: dict[tuple[str, date], int] = defaultdict(int)
    unpaid: dict[tuple[str, date], int] = defaultdict(int)
    unpaid_count: dict[tuple[str, date], int] = defaultdict(int)
    unknown_rest = 0
    expected_paid: dict[int, int] = {}
    expected_amount: dict[int, int] = {}
    for currency, minor, pledged_on, payments, write_off in pledges:
        made = drives.log_pledge(drive, drives.PledgeInput(
            amount=Money.from_minor(minor, currency).amount, currency=currency,  # type: ignore[union-attr]
            pledged_on=pledged_on, pledger_name="Donor"), by=None)
        db.session.commit()
        own: dict[tuple[str, date], int] = defaultdict(int)
        for pay_currency, pay_minor, paid_on, gave_more in payments:
            with_it = defaultdict(int, own)
            with_it[(pay_currency, paid_on)] += pay_minor
            overshoots = model_sum(with_it, currency).minor > minor
            data = drives.PaymentInput(
                amount=Money.from_minor(pay_minor, pay_currency).amount,  # type: ignore[union-attr]
                currency=pay_currency, paid_on=paid_on, gave_more=gave_more,
                gave_more_reason="Property test")
            if overshoots and not gave_more:
                # Payments cannot overshoot: refused, and nothing of it is kept.
                with pytest.raises(drives.Overpayment):
                    drives.record_payment(made, data, by=None)
                db.session.rollback()
                continue
            drives.record_payment(made, data, by=None)
            db.session.commit()
            if overshoots:
                minor = model_sum(with_it, currency).minor  # raised to what was paid
            received[(pay_currency, paid_on)] += pay_minor
            received_count[(pay_currency, paid_on)] += 1
            own = with_it
        paid = model_sum(own, currency)
        expected_paid[made.id] = paid.minor
        expected_amount[made.id] = minor
        if write_off and made.status in (PledgeStatus.PLEDGED, PledgeStatus.PARTLY_PAID):
            drives.write_off_pledge(made, "Property test")
        elif paid.minor >= minor:
            pass  # paid: nothing left to count
        elif paid.missing:
            unknown_rest += 1  # a payment without a rate: the rest is unknown
        else:
            unpaid[(currency, pledged_on)] += minor - paid.minor
            unpaid_count[(currency, pledged_on)] += 1
        db.session.commit()

    db.session.expire_all()
    for pledge_id, paid_minor in expected_paid.items():
        stored = drives.find_pledge(drive, pledge_id)
        assert stored is not None and stored.paid_minor == paid_minor
        assert stored.amount_minor == expected_amount[pledge_id]
        assert stored.paid_minor <= stored.amount_minor  # never overshoots
        if stored.status is not PledgeStatus.WRITTEN_OFF:
            assert stored.status is (PledgeStatus.PLEDGED if paid_minor <= 0 else
                                     PledgeStatus.PAID if paid_minor >= stored.amount_minor
                                     else PledgeStatus.PARTLY_PAID)

    totals = db.session.get(DriveTotals, drive.id)
    drive_received = model_sum(received, drive_currency, received_count)
    drive_pledged = model_sum(unpaid, drive_currency, unpaid_count)
    assert (totals.received_minor, totals.pledged_minor) == (drive_received.minor,
                                                             drive_pledged.minor)
    assert totals.unconverted == drive_received.missing + drive_pledged.missing + unknown_rest

    funding = db.session.scalar(select(CampaignFunding)
                                .where(CampaignFunding.campaign_id == campaign.id))
    campaign_received = model_sum(received, target_currency, received_count)
    campaign_pledged = model_sum(unpaid, target_currency, unpaid_count)
    assert funding.currency == target_currency
    assert funding.target_minor == 300_150 * 10 ** (MINOR_UNITS[target_currency] - 2)
    assert (funding.received_minor, funding.pledged_minor) == (campaign_received.minor,
                                                               campaign_pledged.minor)
    assert funding.unconverted == (campaign_received.missing + campaign_pledged.missing
                                   + unknown_rest)


@settings(max_examples=300, derandomize=True)
@given(minor=st.integers(1, 10**12), currency=st.sampled_from(CURRENCIES),
       to=st.sampled_from(CURRENCIES), on=st.sampled_from(DAYS))
def test_one_sum_is_rounded_half_away_from_zero_to_the_minor_unit(minor, currency, to, on):
    """The rule on one amount: never more than half a minor unit off, halves go up."""
    rate = model_rate(currency, to, on)
    if rate is None:
        return
    book = _ModelBook()
    result = add_converted([DatedSum(currency, on, minor)], to, book)  # type: ignore[arg-type]
    with localcontext() as ctx:
        ctx.prec = 200
        exact = Decimal(minor).scaleb(-MINOR_UNITS[currency]) * rate
    unit = Decimal(1).scaleb(-MINOR_UNITS[to])
    error = result.money.amount - exact
    assert -unit / 2 < error <= unit / 2


class _ModelBook:
    """The test's own rate table in the shape add_converted asks for."""

    def rate_on(self, base: str, quote: str, on: date) -> Decimal | None:
        return model_rate(base, quote, on)


def test_a_half_minor_unit_rounds_away_from_zero():
    book = _ModelBook()
    # 0.5 kopecks in euros at 1.00 → 0.01 EUR; 1 RUB → EUR at 1/200 = 0.005 → 0.01.
    RATES[("RUB", "EUR")] = {date(2024, 1, 1): Decimal("0.005")}
    try:
        result = add_converted([DatedSum("RUB", date(2024, 6, 1), 100)], "EUR", book)  # type: ignore[arg-type]
    finally:
        del RATES[("RUB", "EUR")]
    assert result.money == Money(Decimal("0.01"), "EUR")
