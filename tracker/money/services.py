"""Exchange rates and conversion.

Conversion rule (the only one in Tracker): an amount is converted at the rate of
its own date, that is the latest rate on or before that date for the pair; if
only the opposite pair is known, its inverse is used. The exact product is then
rounded half away from zero to the target currency's minor unit (value.ROUNDING).
Sums across currencies convert each amount first and add the rounded results;
the original amount is always kept beside the converted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from flask_babel import gettext as _
from sqlalchemy import or_, select

from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.models import ExchangeRate
from tracker.money.value import Money, MoneyError, minor_units

MAX_RATE = Decimal("100000000")
MAX_RATE_DIGITS = 18


class RateMissing(DomainError):
    """No rate for a currency pair on or before a date: never a silent zero."""

    def __init__(self, base: str, quote: str, on: date) -> None:
        super().__init__(
            _("No exchange rate from %(base)s to %(quote)s on or before %(date)s.",
              base=base, quote=quote, date=on.isoformat())
        )
        self.base, self.quote, self.on = base, quote, on


@dataclass(frozen=True)
class Conversion:
    """A converted amount with the original and the rate that was used."""

    original: Money
    converted: Money
    rate: Decimal
    rate_date: date | None
    source: str


def check_rate_input(on_date: date, base: str, quote: str, rate: Decimal) -> None:
    """Refuse an unknown currency, a pair of one currency, or a non-positive or absurd rate."""
    for name, code in (("base", base), ("quote", quote)):
        try:
            minor_units(code)
        except MoneyError:
            raise DomainError(_("Unknown currency: %(code)s.", code=code), field=name) from None
    if base == quote:
        raise DomainError(_("Choose two different currencies."), field="quote")
    if not rate.is_finite() or rate <= 0:
        raise DomainError(_("The rate must be greater than zero."), field="rate")
    if rate > MAX_RATE or len(rate.normalize().as_tuple().digits) > MAX_RATE_DIGITS:
        raise DomainError(_("This rate is implausible; check the digits."), field="rate")


def find_rate(base: str, quote: str, on: date) -> ExchangeRate | None:
    """The rate stored for exactly this pair and date, or None."""
    return db.session.scalar(
        select(ExchangeRate).where(
            ExchangeRate.base == base, ExchangeRate.quote == quote, ExchangeRate.on_date == on
        )
    )


def add_rate(on_date: date, base: str, quote: str, rate: Decimal, source: str) -> ExchangeRate:
    """Record a dated rate; a second rate for the same pair and date is refused."""
    check_rate_input(on_date, base, quote, rate)
    if not source.strip():
        raise DomainError(_("Say where the rate comes from (e.g. ECB, central bank)."),
                          field="source")
    if find_rate(base, quote, on_date) is not None:
        raise DomainError(
            _("A %(base)s→%(quote)s rate for %(date)s is already recorded.",
              base=base, quote=quote, date=on_date.isoformat()),
            field="on_date",
        )
    record = ExchangeRate(on_date=on_date, base=base, quote=quote, rate=rate,
                          source=source.strip())
    db.session.add(record)
    db.session.flush()
    return record


def rate_on(base: str, quote: str, on: date) -> tuple[Decimal, ExchangeRate]:
    """Units of `quote` per unit of `base` on a date, and the stored rate it came from."""
    latest = db.session.scalar(
        select(ExchangeRate)
        .where(
            or_(
                (ExchangeRate.base == base) & (ExchangeRate.quote == quote),
                (ExchangeRate.base == quote) & (ExchangeRate.quote == base),
            ),
            ExchangeRate.on_date <= on,
        )
        .order_by(ExchangeRate.on_date.desc(), (ExchangeRate.base == base).desc())
        .limit(1)
    )
    if latest is None:
        raise RateMissing(base, quote, on)
    if latest.base == base:
        return latest.rate, latest
    with localcontext() as ctx:
        ctx.prec = 34
        return Decimal(1) / latest.rate, latest


def convert(money: Money, to: str, on: date) -> Conversion:
    """Convert at the rate of the date; raise RateMissing rather than guess."""
    if money.currency == to:
        return Conversion(money, money, Decimal(1), None, "")
    rate, record = rate_on(money.currency, to, on)
    with localcontext() as ctx:
        ctx.prec = 50
        converted = Money.rounded(money.amount * rate, to)
    return Conversion(money, converted, rate, record.on_date, record.source)
