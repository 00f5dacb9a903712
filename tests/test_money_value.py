"""Conversion: the dated rate (or its inverse), RateMissing, and the one rounding rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tracker.extensions import db
from tracker.money.services import RateMissing, add_rate, convert, rate_on
from tracker.money.value import Money


def rate(on: str, base: str, quote: str, value: str, source: str = "test") -> None:
    add_rate(date.fromisoformat(on), base, quote, Decimal(value), source)
    db.session.commit()


def test_uses_the_latest_rate_on_or_before_the_amounts_date(app):
    rate("2026-01-01", "USD", "RUB", "90", "CBR January")
    rate("2026-02-01", "USD", "RUB", "95", "CBR February")
    rate("2026-03-01", "USD", "RUB", "99")
    hundred = Money(Decimal("100"), "USD")

    mid_january = convert(hundred, "RUB", date(2026, 1, 15))
    assert mid_january.converted == Money(Decimal("9000"), "RUB")
    assert (mid_january.rate, mid_january.rate_date, mid_january.source) == (
        Decimal("90"), date(2026, 1, 1), "CBR January")
    assert mid_january.original == hundred  # the original amount is kept

    assert convert(hundred, "RUB", date(2026, 2, 1)).converted.amount == Decimal("9500.00")
    assert convert(hundred, "RUB", date(2030, 1, 1)).rate == Decimal("99")


def test_uses_the_inverse_when_only_the_opposite_pair_is_known(app):
    rate("2026-01-01", "USD", "RUB", "80")
    conversion = convert(Money(Decimal("1000"), "RUB"), "USD", date(2026, 1, 2))
    assert conversion.converted == Money(Decimal("12.50"), "USD")
    assert conversion.rate == Decimal("0.0125")


def test_prefers_the_direct_pair_on_the_same_day_and_the_newer_rate_otherwise(app):
    rate("2026-01-01", "EUR", "USD", "1.10")
    rate("2026-01-01", "USD", "EUR", "0.95")
    assert rate_on("USD", "EUR", date(2026, 1, 1))[0] == Decimal("0.95")
    assert rate_on("EUR", "USD", date(2026, 1, 1))[0] == Decimal("1.10")
    rate("2026-01-05", "EUR", "USD", "1.25")
    # A newer inverse beats an older direct rate: the rate of the date is what counts.
    assert rate_on("USD", "EUR", date(2026, 1, 6))[0] == Decimal("0.8")


def test_a_missing_rate_names_the_pair_and_the_date(app):
    rate("2026-03-01", "USD", "KZT", "505")
    with pytest.raises(RateMissing) as missing:
        convert(Money(Decimal("10"), "USD"), "KZT", date(2026, 2, 28))
    assert str(missing.value) == "No exchange rate from USD to KZT on or before 2026-02-28."
    assert (missing.value.base, missing.value.quote) == ("USD", "KZT")
    with pytest.raises(RateMissing, match="from TJS to KGS"):
        convert(Money(Decimal("10"), "TJS"), "KGS", date(2026, 3, 1))


def test_same_currency_needs_no_rate(app):
    amount = Money(Decimal("12.34"), "EUR")
    conversion = convert(amount, "EUR", date(2026, 1, 1))
    assert (conversion.converted, conversion.rate, conversion.rate_date) == (
        amount, Decimal(1), None)


@pytest.mark.parametrize(("amount", "source", "target", "rate_value", "expected"), [
    ("1.00", "USD", "JPY", "150.5", "151"),      # 150.5 → 151: half up, not to even
    ("1.00", "USD", "JPY", "149.5", "150"),
    ("1.00", "USD", "JPY", "149.49", "149"),
    ("1.00", "USD", "KWD", "0.3065", "0.307"),   # three decimals, half up (even would be .306)
    ("1.00", "USD", "KWD", "0.30649", "0.306"),
    ("0.01", "USD", "RUB", "0.5", "0.01"),       # 0.005 → 0.01
    ("1500", "JPY", "USD", "0.006725", "10.09"),  # 10.0875 → 10.09
])
def test_rounds_half_up_to_the_target_currencys_minor_unit(
        app, amount, source, target, rate_value, expected):
    rate("2026-01-01", source, target, rate_value)
    converted = convert(Money(Decimal(amount), source), target, date(2026, 1, 1)).converted
    assert converted == Money(Decimal(expected), target)
    assert str(converted.amount) == expected  # exactly the currency's decimals, no more


def test_inverse_rates_keep_enough_precision_to_round_right(app):
    rate("2026-01-01", "USD", "UZS", "12345.6789")
    converted = convert(Money(Decimal("1000000"), "UZS"), "USD", date(2026, 1, 1)).converted
    # 1 000 000 / 12 345.6789 = 81.00000073…
    assert converted == Money(Decimal("81.00"), "USD")
