"""Exchange rates: recording one, checking one, and listing them.

Converting with them is tracker.money.conversion's job (the one conversion rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, or_, select
from sqlalchemy.exc import IntegrityError

from tracker.dates import check_dates
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.conversion import inverse
from tracker.money.iso4217 import REGIONAL
from tracker.money.models import Currency, ExchangeRate
from tracker.money.value import MoneyError, minor_units
from tracker.paging import Page, capped_page_of

MAX_RATE = Decimal("100000000")
MAX_RATE_DIGITS = 18
MAX_SOURCE_LENGTH = 200
RATES_PER_PAGE = 50
RATE_ANCHORS = ("USD", "EUR")  # the currency list shows the latest rate against each


def check_rate_input(on_date: date, base: str, quote: str, rate: Decimal) -> None:
    """Refuse an unknown currency, a pair of one currency, or a non-positive or absurd rate."""
    for name, code in (("base", base), ("quote", quote)):
        try:
            minor_units(code)
        except MoneyError:
            raise DomainError(_("Unknown currency: %(code)s.", code=code), field=name) from None
    check_dates(on_date=on_date)
    if base == quote:
        raise DomainError(_("Choose two different currencies."), field="quote")
    problem = rate_problem(rate)
    if problem:
        raise DomainError(problem, field="rate")


def rate_problem(rate: Decimal) -> str | None:
    """Why a rate cannot be right (not positive, absurdly large or precise), or None."""
    if not rate.is_finite() or rate <= 0:
        return _("The rate must be greater than zero.")
    if rate > MAX_RATE or len(rate.normalize().as_tuple().digits) > MAX_RATE_DIGITS:
        return _("This rate is implausible; check the digits.")
    return None


def source_problem(source: str) -> str | None:
    """Why a rate's source cannot be accepted (missing or too long), or None."""
    if not source.strip():
        return _("Say where the rate comes from (e.g. ECB, central bank).")
    if len(source.strip()) > MAX_SOURCE_LENGTH:
        return _("Keep the source under %(limit)s characters.", limit=MAX_SOURCE_LENGTH)
    return None


def already_recorded(base: str, quote: str, on: date) -> DomainError:
    return DomainError(
        _("A %(base)s→%(quote)s rate for %(date)s is already recorded.",
          base=base, quote=quote, date=on.isoformat()),
        field="on_date",
    )


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
    problem = source_problem(source)
    if problem:
        raise DomainError(problem, field="source")
    if find_rate(base, quote, on_date) is not None:
        raise already_recorded(base, quote, on_date)
    record = ExchangeRate(on_date=on_date, base=base, quote=quote, rate=rate,
                          source=source.strip())
    try:
        # A savepoint: a clash undoes this insert only, never the caller's other work.
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        # Someone recorded the same pair and date between the check and the insert.
        raise already_recorded(base, quote, on_date) from None
    return record


# --- listing currencies and rates ------------------------------------------------------


@dataclass(frozen=True)
class LatestRate:
    """The latest known rate of a currency against an anchor (USD, EUR), as anchor → currency.

    `per_anchor` is how many units of the currency one unit of the anchor buys; when
    only the opposite pair is stored it is the inverse, and `inverse` says so.
    """

    per_anchor: Decimal
    on_date: date
    source: str
    inverse: bool


@dataclass(frozen=True)
class CurrencyRow:
    """One line of the currency list: code, minor units and the latest rates, if any."""

    code: str
    minor_units: int
    regional: bool
    against: dict[str, LatestRate]


def list_currencies(include_all: bool = False) -> list[CurrencyRow]:
    """The coalition's currencies in their usual order, then (if asked) every other by code.

    The currencies come with the ids of their latest rates in one statement, then those rates
    in a second: each statement is a round trip that every view of the list pays.
    """
    regional_order = case({code: index for index, code in enumerate(REGIONAL)},
                          value=Currency.code, else_=len(REGIONAL))
    query = (select(Currency.code, Currency.minor_units, *_newest_ids(RATE_ANCHORS))
             .order_by(regional_order, Currency.code))
    if not include_all:
        query = query.where(Currency.code.in_(REGIONAL))
    found = db.session.execute(query).all()
    latest = _latest_of(found, RATE_ANCHORS, first=2)
    return [
        CurrencyRow(
            code=code,
            minor_units=minor,
            regional=code in REGIONAL,
            against={anchor: rates[code] for anchor, rates in latest.items() if code in rates},
        )
        for code, minor, *_ids in found
    ]


def latest_rates_against(anchor: str, codes: Iterable[str] | None = None
                         ) -> dict[str, LatestRate]:
    """For each currency (of `codes`, else every known one) with a rate against `anchor`, its
    latest one: the later of the two directions' latest, the anchor-as-base one on a tie."""
    return latest_rates((anchor,), codes)[anchor]


def latest_rates(anchors: Iterable[str], codes: Iterable[str] | None = None
                 ) -> dict[str, dict[str, LatestRate]]:
    """latest_rates_against for several anchors, in two queries whatever their number.

    Each direction's latest rate is one probe of the pair's (base, quote, date) index, so the
    cost follows the number of currencies, not of the rates stored over the years.
    """
    anchors = list(anchors)
    probes = select(Currency.code, *_newest_ids(anchors))
    if codes is not None:
        probes = probes.where(Currency.code.in_(list(codes)))
    return _latest_of(db.session.execute(probes).all(), anchors, first=1)


def _newest_ids(anchors: Iterable[str]) -> list[Any]:
    """For each anchor, the ids of a currency's latest rate from it and to it (two columns)."""

    def newest(base: Any, quote: Any) -> Any:
        return (select(ExchangeRate.id).where(ExchangeRate.base == base,
                                              ExchangeRate.quote == quote)
                .order_by(ExchangeRate.on_date.desc()).limit(1).scalar_subquery())

    return [probe for anchor in anchors for probe in (newest(anchor, Currency.code),
                                                      newest(Currency.code, anchor))]


def _latest_of(found: Sequence[Any], anchors: Sequence[str], first: int
               ) -> dict[str, dict[str, LatestRate]]:
    """The latest rates from rows of a currency code and, from column `first` on, the ids that
    _newest_ids probed: the rates are read in one statement."""
    ids = {rate_id for row in found for rate_id in row[first:] if rate_id is not None}
    by_id = {record.id: record for record in db.session.scalars(
        select(ExchangeRate).where(ExchangeRate.id.in_(ids)))} if ids else {}
    latest: dict[str, dict[str, LatestRate]] = {anchor: {} for anchor in anchors}
    for row in found:
        code = row[0]
        for position, anchor in enumerate(anchors):
            if code == anchor:
                continue
            direct = by_id.get(row[first + 2 * position])
            reverse = by_id.get(row[first + 1 + 2 * position])
            if direct is not None and (reverse is None or direct.on_date >= reverse.on_date):
                latest[anchor][code] = LatestRate(direct.rate, direct.on_date, direct.source,
                                                  False)
            elif reverse is not None:
                latest[anchor][code] = LatestRate(inverse(reverse.rate), reverse.on_date,
                                                  reverse.source, True)
    return latest


def list_rates(currency: str | None = None, date_from: date | None = None,
               date_to: date | None = None, page: int = 1,
               per_page: int | None = None) -> Page[ExchangeRate]:
    """Stored rates, newest first, optionally for one currency (either side) and a date range.

    Rates are added every day for years: the count stops at tracker.paging.COUNT_CAP
    ("more than 2,000 rates") and the page is read by the date's index.
    """
    query = select(ExchangeRate)
    if currency:
        query = query.where(or_(ExchangeRate.base == currency, ExchangeRate.quote == currency))
    if date_from:
        query = query.where(ExchangeRate.on_date >= date_from)
    if date_to:
        query = query.where(ExchangeRate.on_date <= date_to)
    query = query.order_by(ExchangeRate.on_date.desc(), ExchangeRate.base, ExchangeRate.quote)
    # (date, base, quote) is unique: a total order, so each rate is on exactly one page.
    return capped_page_of(query, page, per_page or RATES_PER_PAGE,
                          count_order=[ExchangeRate.on_date.desc()])
