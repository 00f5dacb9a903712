"""Property tests of the pivot conversion (tracker/money/conversion.py), on random rates.

The model is written from the rule's statement alone: a pair with a rate of its own on or
before the date (direct, else the inverse of the opposite pair to 34 digits) uses it;
otherwise the first pivot (USD, then EUR) with both legs gives the cross rate, the exact
product of the two legs, and the amount times it is rounded once, half away from zero, to
the target's minor unit. The rates named are the stored ones that were used.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tracker.extensions import db
from tracker.money.iso4217 import MINOR_UNITS
from tracker.money.services import (
    RateBook,
    RateMissing,
    add_rate,
    convert,
    converted,
    path_on,
    storable_rate,
)
from tracker.money.value import Money

DAYS = [date(2026, 1, 5), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
# Mostly after every stored rate; sometimes between them, sometimes before all.
ON = [date(2026, 1, 1), date(2026, 2, 15), date(2026, 3, 1), date(2026, 6, 30),
      date(2026, 6, 30), date(2026, 6, 30)]

rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999"), places=4).filter(
    lambda value: value > 0)
# A stored rate for a pair: its date, the direction it was recorded in, and its value.
stored = st.tuples(st.sampled_from(DAYS), st.booleans(), rates)


def sometimes(strategy: st.SearchStrategy, out_of: int) -> st.SearchStrategy:
    """The strategy's value, or None about once in `out_of` draws."""
    return st.tuples(st.integers(1, out_of), strategy).map(
        lambda drawn: None if drawn[0] == 1 else drawn[1])


SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def record(pair: tuple[str, str], found: tuple[date, bool, Decimal] | None, source: str,
           table: dict) -> None:
    if found is None:
        return
    on, flipped, rate = found
    base, quote = (pair[1], pair[0]) if flipped else pair
    add_rate(on, base, quote, rate, source)
    table[(base, quote)] = (on, rate, source)


def model_leg(table: dict, base: str, quote: str, on: date):
    """(rate, date, source, inverse) by the rule of the date, or None."""
    options = []
    if (base, quote) in table and table[(base, quote)][0] <= on:
        day, rate, source = table[(base, quote)]
        options.append((day, 1, rate, source, False))
    if (quote, base) in table and table[(quote, base)][0] <= on:
        day, rate, source = table[(quote, base)]
        with localcontext() as ctx:
            ctx.prec = 34
            options.append((day, 0, Decimal(1) / rate, source, True))
    if not options:
        return None
    day, _, rate, source, inverse = max(options, key=lambda item: (item[0], item[1]))
    return rate, day, source, inverse


def model_path(table: dict, base: str, quote: str, on: date):
    own = model_leg(table, base, quote, on)
    if own is not None:
        return [(base, quote, *own)]
    for pivot in ("USD", "EUR"):
        first, second = model_leg(table, base, pivot, on), model_leg(table, pivot, quote, on)
        if first is not None and second is not None:
            return [(base, pivot, *first), (pivot, quote, *second)]
    return None


def exactly_rounded(minor: int, currency: str, rates: list[Decimal], to: str) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 300
        exact = Decimal(minor).scaleb(-MINOR_UNITS[currency])
        for rate in rates:
            exact *= rate
        return exact.quantize(Decimal(1).scaleb(-MINOR_UNITS[to]), rounding=ROUND_HALF_UP)


@pytest.fixture
def savepoint(app):
    """Each example's rates live in a savepoint that is undone after it."""

    class Scope:
        def __enter__(self):
            self.nested = db.session.begin_nested()

        def __exit__(self, *exc):
            self.nested.rollback()

    return Scope()


@SETTINGS
@given(direct=sometimes(stored, 2),
       rub_usd=sometimes(stored, 3), usd_kzt=sometimes(stored, 3),
       rub_eur=sometimes(stored, 3), eur_kzt=sometimes(stored, 3),
       minor=st.integers(1, 10**12), on=st.sampled_from(ON),
       backwards=st.booleans())
def test_the_pivot_is_the_exact_product_of_the_named_legs_rounded_once(
        savepoint, direct, rub_usd, usd_kzt, rub_eur, eur_kzt, minor, on, backwards):
    with savepoint:
        table: dict = {}
        record(("RUB", "KZT"), direct, "Direct", table)
        record(("RUB", "USD"), rub_usd, "Leg RUB-USD", table)
        record(("USD", "KZT"), usd_kzt, "Leg USD-KZT", table)
        record(("RUB", "EUR"), rub_eur, "Leg RUB-EUR", table)
        record(("EUR", "KZT"), eur_kzt, "Leg EUR-KZT", table)
        base, quote = ("KZT", "RUB") if backwards else ("RUB", "KZT")
        money = Money.from_minor(minor, base)
        assert money is not None
        expected = model_path(table, base, quote, on)
        book = RateBook.load({base, quote})

        event("no path" if expected is None else
              "direct" if len(expected) == 1 else f"through {expected[0][1]}")
        if expected is None:
            # Missing only when no path exists, and then named by the pair itself.
            with pytest.raises(RateMissing) as missing:
                convert(money, quote, on)
            assert (missing.value.base, missing.value.quote) == (base, quote)
            assert book.path(base, quote, on) is None
            assert converted(money, quote, on).minor is None
            return

        result = convert(money, quote, on)
        # The rates named are exactly the ones the rule picks, with dates and sources.
        assert [(leg.base, leg.quote, leg.rate, leg.on, leg.source, leg.inverse)
                for leg in result.legs] == expected
        # A rate of the pair's own, however old, is never bypassed by a pivot.
        if model_leg(table, base, quote, on) is not None:
            assert result.via is None and len(result.legs) == 1
        else:
            assert result.via == expected[0][1]
        # The converted amount is the exact product of the named legs, rounded once.
        leg_rates = [leg[2] for leg in expected]
        assert result.converted.amount == exactly_rounded(minor, base, leg_rates, quote)
        with localcontext() as ctx:
            ctx.prec = 300
            product = Decimal(1)
            for rate in leg_rates:
                product *= rate
        assert result.rate == product
        # The in-memory book answers exactly as the database lookup does.
        assert book.convert(money, quote, on) == result
        assert path_on(base, quote, on) == book.path(base, quote, on)
        stored_as = book.converted(minor, base, quote, on)
        assert stored_as.minor == result.converted.minor
        assert stored_as.rate == storable_rate(result.rate)
        assert stored_as.rate_on == min(leg[3] for leg in expected)

        # Inverse consistency: the way back uses the same stored rates, inverted, and
        # the two cross rates multiply to one within the inverse's 34 digits.
        back = path_on(quote, base, on)
        assert {(leg.on, leg.source) for leg in back.legs} == {
            (leg.on, leg.source) for leg in result.legs}
        with localcontext() as ctx:
            ctx.prec = 100
            assert abs(back.rate * result.rate - 1) < Decimal("1e-30")


def test_usd_is_tried_before_eur_and_eur_serves_when_usd_cannot(app):
    add_rate(date(2026, 1, 5), "RUB", "EUR", Decimal("0.0095"), "ECB")
    add_rate(date(2026, 1, 5), "EUR", "KZT", Decimal("590"), "NBK")
    db.session.commit()
    hundred = Money(Decimal("100000"), "RUB")

    via_eur = convert(hundred, "KZT", date(2026, 2, 1))
    assert via_eur.via == "EUR"
    assert via_eur.converted == Money(Decimal("560500.00"), "KZT")  # 100 000 × 0.0095 × 590

    add_rate(date(2026, 1, 5), "USD", "RUB", Decimal("80"), "CBR")
    add_rate(date(2026, 1, 5), "USD", "KZT", Decimal("505"), "NBK")
    db.session.commit()
    via_usd = convert(hundred, "KZT", date(2026, 2, 1))
    assert via_usd.via == "USD"
    assert [(leg.base, leg.quote, leg.inverse) for leg in via_usd.legs] == [
        ("RUB", "USD", True), ("USD", "KZT", False)]
    # 100 000 RUB × (1/80 to 34 digits) × 505 = 631 250 KZT, never rounding 1 250 USD.
    assert via_usd.converted == Money(Decimal("631250.00"), "KZT")


def test_a_pivot_never_rounds_the_intermediate_amount(app):
    # 1 JPY → USD at 0.006667 gives 0.006667 USD: rounded in between it would be 0.01 USD.
    add_rate(date(2026, 1, 5), "JPY", "USD", Decimal("0.006667"), "BoJ")
    add_rate(date(2026, 1, 5), "USD", "KZT", Decimal("505"), "NBK")
    db.session.commit()

    result = convert(Money(Decimal("1"), "JPY"), "KZT", date(2026, 1, 5))

    assert result.converted == Money(Decimal("3.37"), "KZT")  # 3.366835, rounded once
