"""Column types keep money, quantities, rates and timestamps exact on both databases."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from tests.factories import make_campaign, make_line, make_target
from tracker.extensions import db
from tracker.money.models import ExchangeRate
from tracker.money.value import CurrencyMismatch, Money, TooManyDecimals, UnknownCurrency
from tracker.targets.models import BudgetLine


def test_money_refuses_floats_unknown_currencies_and_excess_decimals():
    with pytest.raises(TypeError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(UnknownCurrency):
        Money(Decimal("1"), "XXX")
    with pytest.raises(TooManyDecimals):
        Money(Decimal("1.005"), "USD")
    with pytest.raises(TooManyDecimals):
        Money(Decimal("1.5"), "JPY")
    with pytest.raises(CurrencyMismatch):
        Money(Decimal("1"), "RUB") + Money(Decimal("1"), "EUR")
    assert Money(Decimal("1.005"), "KWD").minor == 1005


def test_money_rounds_half_away_from_zero_only_when_asked():
    assert Money.rounded(Decimal("0.125"), "USD").amount == Decimal("0.13")
    assert Money.rounded(Decimal("-0.125"), "USD").amount == Decimal("-0.13")
    assert Money.rounded(Decimal("2.5"), "JPY").amount == Decimal("3")


def test_money_round_trips_through_the_database_as_minor_units(app):
    line = make_line(make_target(make_campaign(), currency="KWD"), quantity="2.125",
                     unit_cost="10.001")
    line_id = line.id
    db.session.expire_all()
    stored = db.session.get(BudgetLine, line_id)
    assert stored.unit_cost_minor == 10001
    assert stored.unit_cost == Money(Decimal("10.001"), "KWD")
    assert stored.quantity == Decimal("2.125")
    # 2.125 × 10.001 = 21.252125 → 21.252 (three decimals for KWD)
    assert stored.total == Money(Decimal("21.252"), "KWD")


def test_timestamps_are_stored_and_read_back_in_utc(app):
    campaign = make_campaign()
    target = make_target(campaign)
    db.session.expire_all()
    assert target.created_at.tzinfo is not None
    assert target.created_at.utcoffset() == timedelta(0)
    plus_five = timezone(timedelta(hours=5))
    rate = ExchangeRate(on_date=date(2026, 1, 1), base="USD", quote="KZT",
                        rate=Decimal("505.12"), source="test",
                        created_at=datetime(2026, 1, 1, 12, 0, tzinfo=plus_five))
    db.session.add(rate)
    db.session.commit()
    db.session.expire_all()
    assert rate.created_at == datetime(2026, 1, 1, 7, 0, tzinfo=UTC)


def test_naive_timestamps_are_refused(app):
    db.session.add(ExchangeRate(on_date=date(2026, 1, 1), base="USD", quote="KZT",
                                rate=Decimal("1"), source="t", created_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()


def test_rates_keep_every_digit(app):
    rate = ExchangeRate(on_date=date(2026, 1, 1), base="UZS", quote="USD",
                        rate=Decimal("0.0000786163522012578616"), source="test")
    db.session.add(rate)
    db.session.commit()
    db.session.expire_all()
    assert rate.rate == Decimal("0.0000786163522012578616")


def test_database_refuses_negative_amounts_and_unknown_currencies(app):
    target = make_target(make_campaign())
    bad_rows = [
        {"unit_cost_minor": -1, "total_minor": 0, "currency": "USD"},
        {"unit_cost_minor": 1, "total_minor": 1, "currency": "XXX"},
    ]
    for row in bad_rows:
        with pytest.raises(IntegrityError):
            db.session.execute(BudgetLine.__table__.insert().values(
                target_id=target.id, category="travel", description_en="x", description_ru="",
                quantity=1000, unit="lump_sum", justification_en="", justification_ru="",
                **row))
        db.session.rollback()


def test_database_refuses_a_budget_unit_outside_the_list(app):
    target = make_target(make_campaign())
    with pytest.raises(IntegrityError):
        db.session.execute(text(
            "INSERT INTO budget_line (target_id, category, description_en, description_ru, "
            "quantity, unit, unit_cost_minor, total_minor, currency, justification_en, "
            "justification_ru) VALUES (:target, 'travel', 'x', '', 1000, 'fortnight', 100, 100, "
            "'USD', '', '')"), {"target": target.id})
    db.session.rollback()
