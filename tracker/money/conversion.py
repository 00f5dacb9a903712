"""Conversion between currencies: the one rule of Tracker, and the sums built on it.

The rule: an amount is converted at the rate of its own date, that is the latest rate
on or before that date for the pair; on the same day the direct pair is preferred, and
if only the opposite pair is known its inverse (to 34 significant digits) is used. The
exact product is then rounded once, half away from zero, to the target currency's minor
unit (value.ROUNDING). A rate stored beside a converted amount is cut to 28 significant
digits to fit its column (`storable_rate`).

Through a pivot: when neither the pair nor its opposite has any rate on or before the
date, the amount is converted through a pivot currency, USD first, then EUR (`PIVOTS`):
each leg (currency → pivot, pivot → target) is found by the rule above (latest on or
before the date, direct preferred, else the inverse to 34 digits), the cross rate is the
exact product of the two legs (never rounded: `CROSS_PRECISION` digits hold any product
of two legs), and the amount times the cross rate is rounded once, half away from zero,
to the target's minor unit; the intermediate amount in the pivot is never rounded. A
direct rate (or its inverse), however old, always wins over a pivot. Both legs are named,
with their dates and sources, wherever such a conversion is shown (`RatePath`); a record
that keeps one rate and one date stores the cross rate and the older leg's date. A pair
is missing only when no path exists.

Sums across currencies: the database first adds the amounts that share a currency and
a date (they share a rate, so they are one amount); each such sum is converted by the
rule above, and the rounded results are added (`add_converted`). A sum whose rate is
missing is left out and named by its pair and date, never counted as zero. The original
amounts are always kept beside anything converted from them.

`convert` reads one rate per call (up to five indexed look-ups when it must try the
pivots); `RateBook` reads every rate it needs in one query
and answers exactly as `convert` does, for code that converts thousands of amounts.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Date, bindparam, or_, select, union_all

from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.models import ExchangeRate
from tracker.money.value import Money, minor_units
from tracker.prepared import planned_once

INVERSE_PRECISION = 34  # significant digits of an inverse rate
PRODUCT_PRECISION = 120  # any amount times any (cross) rate, exactly, before the one rounding
CROSS_PRECISION = 80  # two legs of up to 34 significant digits multiply exactly
PIVOTS = ("USD", "EUR")  # tried in this order when a pair has no rate of its own
STORED_PRECISION = 28  # significant digits of a rate stored beside a converted amount


class RateMissing(DomainError):
    """No rate for a currency pair on or before a date: never a silent zero."""

    def __init__(self, base: str, quote: str, on: date) -> None:
        super().__init__(
            _("No exchange rate from %(base)s to %(quote)s on or before %(date)s.",
              base=base, quote=quote, date=on.isoformat())
        )
        self.base, self.quote, self.on = base, quote, on


@dataclass(frozen=True)
class Leg:
    """One stored rate as a conversion uses it: `rate` units of `quote` per `base`.

    `inverse` says the stored rate was for the opposite pair and `rate` is its inverse.
    """

    base: str
    quote: str
    rate: Decimal
    on: date
    source: str
    inverse: bool = False


@dataclass(frozen=True)
class RatePath:
    """How one currency converts into another on a date: one leg, or two through a pivot.

    `rate` is the exact product of the legs (the cross rate); `on` is the oldest leg's
    date, the date a record that keeps one rate stores.
    """

    base: str
    quote: str
    legs: tuple[Leg, ...]

    @property
    def rate(self) -> Decimal:
        return cross_rate(leg.rate for leg in self.legs)

    @property
    def on(self) -> date:
        return min(leg.on for leg in self.legs)

    @property
    def via(self) -> str | None:
        """The pivot currency, or None for a direct (or inverse) rate."""
        return self.legs[0].quote if len(self.legs) > 1 else None

    @property
    def source(self) -> str:
        return "; ".join(dict.fromkeys(leg.source for leg in self.legs))


def cross_rate(rates: Iterable[Decimal]) -> Decimal:
    """The exact product of the legs' rates (CROSS_PRECISION digits hold any product)."""
    with localcontext() as ctx:
        ctx.prec = CROSS_PRECISION
        product = Decimal(1)
        for rate in rates:
            product *= rate
        return product


def find_path(lookup: Callable[[str, str], Leg | None], base: str, quote: str
              ) -> RatePath | None:
    """The pair's own rate if any, else two legs through the first pivot that has both.

    `lookup(base, quote)` finds one leg by the rule of the date (direct, else inverse);
    the database lookup and RateBook's in-memory one share this, so both answer alike.
    """
    direct = lookup(base, quote)
    if direct is not None:
        return RatePath(base, quote, (direct,))
    for pivot in PIVOTS:
        if pivot in (base, quote):
            continue
        first = lookup(base, pivot)
        if first is None:
            continue
        second = lookup(pivot, quote)
        if second is not None:
            return RatePath(base, quote, (first, second))
    return None


@dataclass(frozen=True)
class Conversion:
    """A converted amount with the original and the rate that was used.

    `rate` is the cross rate for a conversion through a pivot; `legs` names every
    stored rate used (empty when nothing was converted).
    """

    original: Money
    converted: Money
    rate: Decimal
    rate_date: date | None
    source: str
    legs: tuple[Leg, ...] = ()

    @property
    def via(self) -> str | None:
        return self.legs[0].quote if len(self.legs) > 1 else None


@dataclass(frozen=True)
class Converted:
    """A conversion as records store it: minor units, the rate as stored, its date.

    All three are None when the rate is missing (the record names the pair instead).
    """

    minor: int | None
    rate: Decimal | None
    rate_on: date | None


NOT_CONVERTED = Converted(None, None, None)


def storable_rate(rate: Decimal) -> Decimal:
    """The rate as stored beside a converted amount: an inverse is cut to fit its column."""
    with localcontext() as ctx:
        ctx.prec = STORED_PRECISION
        return +rate


def inverse(rate: Decimal) -> Decimal:
    """The opposite pair's rate, to INVERSE_PRECISION significant digits."""
    with localcontext() as ctx:
        ctx.prec = INVERSE_PRECISION
        return Decimal(1) / rate


def apply_rate(amount: Decimal, rate: Decimal, to: str) -> Money:
    """The exact product rounded once to the target currency's minor unit."""
    with localcontext() as ctx:
        ctx.prec = PRODUCT_PRECISION
        return Money.rounded(amount * rate, to)


def rate_on(base: str, quote: str, on: date) -> tuple[Decimal, ExchangeRate]:
    """The pair's own rate on a date (direct, else inverse) and the stored rate behind it.

    Never through a pivot: `path_on` applies the whole rule.
    """
    leg = _stored_leg(base, quote, on)
    if leg is None:
        raise RateMissing(base, quote, on)
    return leg


def _stored_leg(base: str, quote: str, on: date) -> tuple[Decimal, ExchangeRate] | None:
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
        return None
    if latest.base == base:
        return latest.rate, latest
    return inverse(latest.rate), latest


def path_on(base: str, quote: str, on: date) -> RatePath:
    """How `base` converts into `quote` on a date, by the whole rule; RateMissing if no path."""

    def lookup(frm: str, to: str) -> Leg | None:
        found = _stored_leg(frm, to, on)
        if found is None:
            return None
        rate, record = found
        return Leg(frm, to, rate, record.on_date, record.source, record.base != frm)

    path = find_path(lookup, base, quote)
    if path is None:
        raise RateMissing(base, quote, on)
    return path


def stored_path(base: str, quote: str, on: date | None, rate: Decimal | None
                ) -> RatePath | None:
    """The two legs behind a stored cross rate, to name them where the record is shown.

    None unless the rate came through a pivot and the rule still gives that rate for
    the date (a rate recorded since would have changed the path: then only the stored
    rate and date can be named).
    """
    if rate is None or on is None or base == quote:
        return None
    try:
        path = path_on(base, quote, on)
    except RateMissing:
        return None
    if path.via is None or storable_rate(path.rate) != rate:
        return None
    return path


def convert(money: Money, to: str, on: date) -> Conversion:
    """Convert at the rate of the date (through a pivot if need be); never guess."""
    if money.currency == to:
        return Conversion(money, money, Decimal(1), None, "")
    path = path_on(money.currency, to, on)
    rate = path.rate
    return Conversion(money, apply_rate(money.amount, rate, to), rate, path.on,
                      path.source, path.legs)


def converted(money: Money, to: str, on: date) -> Converted:
    """The amount as a record stores its conversion (all None when no path exists).

    Through a pivot, the stored rate is the cross rate and its date the older leg's.
    """
    try:
        result = convert(money, to, on)
    except RateMissing:
        return NOT_CONVERTED
    return Converted(result.converted.minor, storable_rate(result.rate), result.rate_date)


# Converting many amounts at once -------------------------------------------------------


@dataclass(frozen=True)
class DatedSum:
    """Amounts in one currency on one date, added by the database; converted as one amount.

    `minor` may carry a fraction of a minor unit (a probability-weighted request);
    `count` is how many records the sum stands for.
    """

    currency: str
    on: date
    minor: int | Decimal
    count: int = 1

    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-minor_units(self.currency))


@dataclass(frozen=True, order=True)
class MissingPair:
    """A rate that was needed and not found: which pair, on which date."""

    on: date
    base: str
    quote: str

    @property
    def message(self) -> str:
        return RateMissing(self.base, self.quote, self.on).message


@dataclass(frozen=True)
class ConvertedTotal:
    """The sum of converted amounts, and what could not be converted."""

    money: Money
    unconverted: int = 0
    missing: tuple[MissingPair, ...] = ()


@dataclass
class RateBook:
    """Every stored rate between some currencies (and the pivots), read in one query,
    looked up in memory.

    `path` answers exactly as `path_on` does (the pair's own rate, latest on or before the
    date, the direct pair preferred on the same day, else the inverse; else through a
    pivot), `rate_on`/`dated_rate` give its cross rate, and `converted` answers exactly
    as `converted` does; it exists so that converting thousands of amounts costs one
    query, not thousands.
    """

    currencies: frozenset[str]
    _dates: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    _rates: dict[tuple[str, str], list[tuple[Decimal, str]]] = field(default_factory=dict)
    _paths: dict[tuple[str, str, date], RatePath | None] = field(default_factory=dict)
    _found: dict[tuple[str, str, date], tuple[Decimal, Decimal, date | None] | None] = field(
        default_factory=dict)

    @classmethod
    def load(cls, currencies: Iterable[str]) -> RateBook:
        """Read the rates among these currencies and the pivots (one query)."""
        codes = frozenset(currencies)
        book = cls(codes)
        if len(codes) < 2:
            return book
        known = codes | set(PIVOTS)
        book._read(select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.on_date,
                          ExchangeRate.rate, ExchangeRate.source)
                   .where(ExchangeRate.base.in_(known), ExchangeRate.quote.in_(known)))
        return book

    @classmethod
    def into(cls, to: str, until: date | None = None) -> RateBook:
        """Read every rate between `to` or a pivot and any other currency, up to a date
        (one query).

        For converting amounts in any currency into one (a drive's), when which
        currencies will come is not known in advance (an imported file).
        """
        ends = (to, *PIVOTS)
        query = (select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.on_date,
                        ExchangeRate.rate, ExchangeRate.source)
                 .where(or_(ExchangeRate.base.in_(ends), ExchangeRate.quote.in_(ends))))
        if until is not None:
            query = query.where(ExchangeRate.on_date <= until)
        book = cls(frozenset({to}))
        book._read(query)
        book.currencies = frozenset(code for pair in book._dates for code in pair) | {to}
        return book

    @classmethod
    def for_day(cls, currencies: Iterable[str], on: date) -> RateBook:
        """Only the rates `load` would use on one date: the latest on or before it of each
        pair among these currencies and the pivots (one query of index look-ups).

        For converting a few sums of one date (a write's buckets, the dashboard at today's
        rates) without reading every rate ever stored; it answers as `load` does, for that
        date.
        """
        return cls.for_days(currencies, [on])

    @classmethod
    def for_days(cls, currencies: Iterable[str], days: Iterable[date]) -> RateBook:
        """for_day for several dates in one query: it answers as `load` does on each of them.

        For each pair and date it holds the latest rate on or before that date, so a look-up
        on one of those dates finds exactly the rate `load` would (any other rate it holds
        for the pair is either that one or older).
        """
        codes = frozenset(currencies)
        book = cls(codes)
        wanted = sorted(set(days))
        if len(codes) < 2 or not wanted:
            return book
        query = _latest_rates_query(tuple(sorted(codes | set(PIVOTS))), len(wanted))
        rows = {tuple(row) for row in db.session.execute(
            query, {f"on_{n}": on for n, on in enumerate(wanted)})}
        book._add(sorted(rows, key=lambda row: (row[0], row[1], row[2])))
        return book

    def _read(self, query: object) -> None:
        # Type check: the query is built up by conditions; mypy loses its type.
        self._add(db.session.execute(query.order_by(  # type: ignore[attr-defined]
            ExchangeRate.base, ExchangeRate.quote, ExchangeRate.on_date)))

    def _add(self, rows: Iterable[Any]) -> None:
        """Take rates ordered by pair and date."""
        for base, quote, on, rate, source in rows:
            self._dates.setdefault((base, quote), []).append(on)
            self._rates.setdefault((base, quote), []).append((rate, source))

    def _latest(self, base: str, quote: str, on: date) -> tuple[date, Decimal, str] | None:
        dates = self._dates.get((base, quote))
        if not dates:
            return None
        index = bisect.bisect_right(dates, on)
        if index == 0:
            return None
        rate, source = self._rates[(base, quote)][index - 1]
        return dates[index - 1], rate, source

    def leg(self, base: str, quote: str, on: date) -> Leg | None:
        """The pair's own rate for a date (direct, else inverse), never through a pivot."""
        direct = self._latest(base, quote, on)
        opposite = self._latest(quote, base, on)
        if direct is not None and (opposite is None or direct[0] >= opposite[0]):
            return Leg(base, quote, direct[1], direct[0], direct[2])
        if opposite is None:
            return None
        return Leg(base, quote, inverse(opposite[1]), opposite[0], opposite[2], True)

    def path(self, base: str, quote: str, on: date) -> RatePath | None:
        """How `base` converts into `quote` on a date by the whole rule, or None (kept)."""
        key = (base, quote, on)
        if key not in self._paths:
            self._paths[key] = find_path(lambda frm, to: self.leg(frm, to, on), base, quote)
        return self._paths[key]

    def dated_rate(self, base: str, quote: str, on: date) -> tuple[Decimal, date | None] | None:
        """The (cross) rate for a date and the date it is for; None when no path exists."""
        if base == quote:
            return Decimal(1), None
        found = self.path(base, quote, on)
        return None if found is None else (found.rate, found.on)

    def rate_on(self, base: str, quote: str, on: date) -> Decimal | None:
        """Units of `quote` per unit of `base` on a date, or None when no path exists."""
        found = self.dated_rate(base, quote, on)
        return None if found is None else found[0]

    def convert(self, money: Money, to: str, on: date) -> Conversion | None:
        """As the module's `convert`, from memory; None when no path exists."""
        if money.currency == to:
            return Conversion(money, money, Decimal(1), None, "")
        found = self.path(money.currency, to, on)
        if found is None:
            return None
        rate = found.rate
        return Conversion(money, apply_rate(money.amount, rate, to), rate, found.on,
                          found.source, found.legs)

    def converted(self, minor: int, currency: str, to: str, on: date) -> Converted:
        """Minor units of `currency` as a record stores them converted into `to` on a date.

        Each (pair, date) is looked up once and kept, so a file of many rows on few
        dates costs few look-ups.
        """
        key = (currency, to, on)
        if key not in self._found:
            dated = self.dated_rate(currency, to, on)
            self._found[key] = (None if dated is None
                                else (dated[0], storable_rate(dated[0]), dated[1]))
        found = self._found[key]
        if found is None:
            return NOT_CONVERTED
        rate, stored, rate_date = found
        if currency == to:
            return Converted(minor, stored, None)
        amount = Decimal(minor).scaleb(-minor_units(currency))
        return Converted(apply_rate(amount, rate, to).minor, stored, rate_date)


def add_converted(sums: Iterable[DatedSum], to: str, book: RateBook | None = None
                  ) -> ConvertedTotal:
    """Convert each dated sum into `to` at its date's rate, round it, and add the results."""
    sums = list(sums)
    if book is None:
        book = RateBook.load({to, *(item.currency for item in sums)})
    total = Decimal(0)
    unconverted = 0
    missing: set[MissingPair] = set()
    with localcontext() as ctx:
        ctx.prec = PRODUCT_PRECISION
        for item in sums:
            rate = book.rate_on(item.currency, to, item.on)
            if rate is None:
                unconverted += item.count
                missing.add(MissingPair(item.on, item.currency, to))
                continue
            total += apply_rate(item.amount, rate, to).amount
    return ConvertedTotal(Money(total, to), unconverted, tuple(sorted(missing)))


@functools.lru_cache(maxsize=64)
def _latest_rates_query(known: tuple[str, ...], days: int) -> Any:
    """RateBook.for_days' query for these currencies and a number of dates (`on_0`, ...).

    Built once per shape and kept: building the union of one look-up per pair and date
    cost a write about 2 ms of Python each time, more than running it. The pairs and limits
    are in its SQL, the dates alone parameters: PostgreSQL then keeps one plan for it
    (tracker.prepared.planned_once), where it planned it again at every write.
    """
    latest = [select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.on_date,
                     ExchangeRate.rate, ExchangeRate.source)
              .where(ExchangeRate.base == base, ExchangeRate.quote == quote,
                     ExchangeRate.on_date <= bindparam(f"on_{n}", type_=Date))
              .order_by(ExchangeRate.on_date.desc()).limit(1).subquery()
              for n in range(days) for base in known for quote in known if base != quote]
    return planned_once(union_all(*(select(part) for part in latest)),
                        keep={f"on_{n}" for n in range(days)})
