"""Exchange rates and conversion.

Conversion rule (the only one in Tracker): an amount is converted at the rate of
its own date, that is the latest rate on or before that date for the pair; if
only the opposite pair is known, its inverse is used. The exact product is then
rounded half away from zero to the target currency's minor unit (value.ROUNDING).

Sums across currencies: the database first adds the amounts that share a currency
and a date (they share a rate, so they are one amount); each such sum is converted
by the rule above, and the rounded results are added (`add_converted`). A sum whose
rate is missing is left out and named by its pair and date, never counted as zero.
The original amounts are always kept beside anything converted from them.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.iso4217 import REGIONAL
from tracker.money.models import Currency, ExchangeRate
from tracker.money.value import Money, MoneyError, minor_units

MAX_RATE = Decimal("100000000")
MAX_RATE_DIGITS = 18
MAX_SOURCE_LENGTH = 200
RATES_PER_PAGE = 50
RATE_ANCHORS = ("USD", "EUR")  # the currency list shows the latest rate against each
CSV_HEADER = ("date", "base", "quote", "rate", "source")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


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
    problem = _rate_problem(rate)
    if problem:
        raise DomainError(problem, field="rate")


def _rate_problem(rate: Decimal) -> str | None:
    """Why a rate cannot be right (not positive, absurdly large or precise), or None."""
    if not rate.is_finite() or rate <= 0:
        return _("The rate must be greater than zero.")
    if rate > MAX_RATE or len(rate.normalize().as_tuple().digits) > MAX_RATE_DIGITS:
        return _("This rate is implausible; check the digits.")
    return None


def _source_problem(source: str) -> str | None:
    """Why a rate's source cannot be accepted (missing or too long), or None."""
    if not source.strip():
        return _("Say where the rate comes from (e.g. ECB, central bank).")
    if len(source.strip()) > MAX_SOURCE_LENGTH:
        return _("Keep the source under %(limit)s characters.", limit=MAX_SOURCE_LENGTH)
    return None


def _already_recorded(base: str, quote: str, on: date) -> DomainError:
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
    problem = _source_problem(source)
    if problem:
        raise DomainError(problem, field="source")
    if find_rate(base, quote, on_date) is not None:
        raise _already_recorded(base, quote, on_date)
    record = ExchangeRate(on_date=on_date, base=base, quote=quote, rate=rate,
                          source=source.strip())
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        # Someone recorded the same pair and date between the check and the insert.
        db.session.rollback()
        raise _already_recorded(base, quote, on_date) from None
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


# Converting many sums at once ----------------------------------------------------------


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


@dataclass(frozen=True)
class Converted:
    """A conversion as records store it: minor units, the rate as stored, its date.

    All three are None when the rate is missing (the record names the pair instead).
    """

    minor: int | None
    rate: Decimal | None
    rate_on: date | None


def storable_rate(rate: Decimal) -> Decimal:
    """The rate as stored beside a converted amount: an inverse is cut to fit its column."""
    with localcontext() as ctx:
        ctx.prec = 28
        return +rate


@dataclass
class RateBook:
    """Every stored rate between some currencies, read in one query, looked up in memory.

    `rate_on` answers exactly as the module's `rate_on` does (latest on or before the
    date, the direct pair preferred on the same day, else the inverse), and `converted`
    as `convert` does; it exists so that converting thousands of dated sums costs one
    query, not thousands.
    """

    currencies: frozenset[str]
    _dates: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    _rates: dict[tuple[str, str], list[Decimal]] = field(default_factory=dict)
    _found: dict[tuple[str, str, date], tuple[Decimal, Decimal, date | None] | None] = field(
        default_factory=dict)

    @classmethod
    def load(cls, currencies: Iterable[str]) -> RateBook:
        """Read the rates among these currencies (one query)."""
        codes = frozenset(currencies)
        book = cls(codes)
        if len(codes) < 2:
            return book
        rows = db.session.execute(
            select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.on_date, ExchangeRate.rate)
            .where(ExchangeRate.base.in_(codes), ExchangeRate.quote.in_(codes))
            .order_by(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.on_date)
        )
        for base, quote, on, rate in rows:
            book._dates.setdefault((base, quote), []).append(on)
            book._rates.setdefault((base, quote), []).append(rate)
        return book

    def _latest(self, base: str, quote: str, on: date) -> tuple[date, Decimal] | None:
        dates = self._dates.get((base, quote))
        if not dates:
            return None
        index = bisect.bisect_right(dates, on)
        if index == 0:
            return None
        return dates[index - 1], self._rates[(base, quote)][index - 1]

    def dated_rate(self, base: str, quote: str, on: date) -> tuple[Decimal, date | None] | None:
        """The rate for a date and the date it was recorded for; None when none is known."""
        if base == quote:
            return Decimal(1), None
        direct = self._latest(base, quote, on)
        inverse = self._latest(quote, base, on)
        if direct is not None and (inverse is None or direct[0] >= inverse[0]):
            return direct[1], direct[0]
        if inverse is None:
            return None
        with localcontext() as ctx:
            ctx.prec = 34
            return Decimal(1) / inverse[1], inverse[0]

    def rate_on(self, base: str, quote: str, on: date) -> Decimal | None:
        """Units of `quote` per unit of `base` on a date, or None when no rate is known."""
        found = self.dated_rate(base, quote, on)
        return None if found is None else found[0]

    def converted(self, minor: int, currency: str, to: str, on: date) -> Converted:
        """Minor units of `currency` as a record stores them converted into `to` on a date.

        Each (pair, date) is looked up once and kept, so many amounts on few dates cost
        few look-ups.
        """
        key = (currency, to, on)
        if key not in self._found:
            dated = self.dated_rate(currency, to, on)
            self._found[key] = (None if dated is None
                                else (dated[0], storable_rate(dated[0]), dated[1]))
        found = self._found[key]
        if found is None:
            return Converted(None, None, None)
        rate, stored, rate_date = found
        if currency == to:
            return Converted(minor, stored, None)
        amount = Decimal(minor).scaleb(-minor_units(currency))
        with localcontext() as ctx:
            ctx.prec = 50
            return Converted(Money.rounded(amount * rate, to).minor, stored, rate_date)


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
        ctx.prec = 50
        for item in sums:
            rate = book.rate_on(item.currency, to, item.on)
            if rate is None:
                unconverted += item.count
                missing.add(MissingPair(item.on, item.currency, to))
                continue
            total += Money.rounded(item.amount * rate, to).amount
    return ConvertedTotal(Money(total, to), unconverted, tuple(sorted(missing)))


# Listing currencies and rates ---------------------------------------------------------


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
    """The coalition's currencies in their usual order, then (if asked) every other by code."""
    regional_order = case({code: index for index, code in enumerate(REGIONAL)},
                          value=Currency.code, else_=len(REGIONAL))
    query = select(Currency).order_by(regional_order, Currency.code)
    if not include_all:
        query = query.where(Currency.code.in_(REGIONAL))
    latest = {anchor: latest_rates_against(anchor) for anchor in RATE_ANCHORS}
    return [
        CurrencyRow(
            code=currency.code,
            minor_units=currency.minor_units,
            regional=currency.code in REGIONAL,
            against={anchor: rates[currency.code] for anchor, rates in latest.items()
                     if currency.code in rates},
        )
        for currency in db.session.scalars(query)
    ]


def latest_rates_against(anchor: str) -> dict[str, LatestRate]:
    """For every currency with a rate against `anchor`, its latest one, in one query.

    The database ranks each currency's rates with the anchor (either direction) by
    date, the anchor-as-base direction first on the same day, and keeps the first.
    """
    other = case((ExchangeRate.base == anchor, ExchangeRate.quote), else_=ExchangeRate.base)
    anchor_first = case((ExchangeRate.base == anchor, 0), else_=1)
    ranked = (
        select(
            ExchangeRate.id,
            func.row_number()
            .over(partition_by=other, order_by=(ExchangeRate.on_date.desc(), anchor_first))
            .label("position"),
        )
        .where(or_(ExchangeRate.base == anchor, ExchangeRate.quote == anchor))
        .subquery()
    )
    records = db.session.scalars(
        select(ExchangeRate).join(ranked, ranked.c.id == ExchangeRate.id)
        .where(ranked.c.position == 1)
    )
    latest: dict[str, LatestRate] = {}
    for record in records:
        if record.base == anchor:
            latest[record.quote] = LatestRate(record.rate, record.on_date, record.source, False)
        else:
            with localcontext() as ctx:
                ctx.prec = 34
                per_anchor = Decimal(1) / record.rate
            latest[record.base] = LatestRate(per_anchor, record.on_date, record.source, True)
    return latest


def list_rates(currency: str | None = None, date_from: date | None = None,
               date_to: date | None = None, page: int = 1,
               per_page: int = RATES_PER_PAGE) -> Pagination:
    """Stored rates, newest first, optionally for one currency (either side) and a date range."""
    query = select(ExchangeRate)
    if currency:
        query = query.where(or_(ExchangeRate.base == currency, ExchangeRate.quote == currency))
    if date_from:
        query = query.where(ExchangeRate.on_date >= date_from)
    if date_to:
        query = query.where(ExchangeRate.on_date <= date_to)
    query = query.order_by(ExchangeRate.on_date.desc(), ExchangeRate.base, ExchangeRate.quote)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


# Importing rates from CSV ---------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """What is wrong with one line of an uploaded file (the header is row 1)."""

    row: int
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        return _("Row %(row)s: %(reason)s", row=self.row, reason=" ".join(self.reasons))

    def __str__(self) -> str:
        return self.message


class RatesImportError(DomainError):
    """A rates file was refused as a whole; `rows` lists every bad row, if the rows were read."""

    def __init__(self, message: str, rows: Iterable[RowError] = ()) -> None:
        super().__init__(message, field="file")
        self.rows = sorted(rows, key=lambda error: error.row)


@dataclass(frozen=True)
class ImportResult:
    """How many rates a file added, and how many it repeated exactly (skipped)."""

    imported: int
    already_recorded: int


@dataclass(frozen=True)
class _RateRow:
    row: int
    on_date: date
    base: str
    quote: str
    rate: Decimal
    source: str

    @property
    def key(self) -> tuple[str, str, date]:
        return self.base, self.quote, self.on_date


def import_rates_csv(source: bytes | str | IO[bytes] | IO[str], *,
                     max_bytes: int | None = None, max_rows: int | None = None) -> ImportResult:
    """Import a `date,base,quote,rate,source` CSV: every row valid, or nothing is written.

    Rows that repeat a stored rate exactly are skipped and counted; a row that
    contradicts a stored rate is an error. Limits default to RATES_CSV_MAX_BYTES and
    RATES_CSV_MAX_ROWS. Raises RatesImportError naming the file's problem or every
    bad row ("Row N: reason").
    """
    if max_bytes is None:
        max_bytes = current_app.config["RATES_CSV_MAX_BYTES"]
    if max_rows is None:
        max_rows = current_app.config["RATES_CSV_MAX_ROWS"]
    text = _read_csv_text(source, max_bytes)
    rows, errors = _parse_rate_rows(text, max_rows)

    stored = _stored_rates(rows)
    new_rows: list[_RateRow] = []
    repeated = 0
    for row in rows:
        existing = stored.get(row.key)
        if existing is None:
            new_rows.append(row)
        elif existing.rate == row.rate:
            repeated += 1
        else:
            errors.append(RowError(row.row, (_(
                "A %(base)s→%(quote)s rate for %(date)s is already recorded as %(stored)s, "
                "not %(rate)s.", base=row.base, quote=row.quote, date=row.on_date.isoformat(),
                stored=_plain(existing.rate), rate=_plain(row.rate)),)))
    if errors:
        raise RatesImportError(
            ngettext("Nothing was imported: %(num)d row has a problem. Correct it and upload "
                     "the file again.",
                     "Nothing was imported: %(num)d rows have problems. Correct them and upload "
                     "the file again.", len(errors)),
            errors,
        )
    if new_rows:
        try:
            db.session.execute(insert(ExchangeRate), [
                {"on_date": row.on_date, "base": row.base, "quote": row.quote, "rate": row.rate,
                 "source": row.source} for row in new_rows
            ])
            db.session.flush()
        except IntegrityError:
            # Another upload stored some of these rates while this one was being checked.
            db.session.rollback()
            raise RatesImportError(_("Some of these rates were recorded by someone else just "
                                     "now. Upload the file again.")) from None
    return ImportResult(imported=len(new_rows), already_recorded=repeated)


def _plain(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def size_label(size: int) -> str:
    """A byte count as people say it: '1 MB', '512 KB', '300 bytes'."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return _("%(size)s MB", size=size // (1024 * 1024))
    if size >= 1024:
        return _("%(size)s KB", size=size // 1024)
    return ngettext("%(num)d byte", "%(num)d bytes", size)


def _read_csv_text(source: bytes | str | IO[bytes] | IO[str], max_bytes: int) -> str:
    """The upload as text: not larger than the limit, UTF-8 (a BOM is dropped), no binary."""
    data = source if isinstance(source, bytes | str) else source.read(max_bytes + 1)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise RatesImportError(_("The file is larger than %(limit)s. Split it into smaller files.",
                                 limit=size_label(max_bytes)))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RatesImportError(_("The file is not UTF-8 text. Save it as CSV (UTF-8) and upload "
                                 "it again.")) from None
    if "\x00" in text:
        raise RatesImportError(_("This is not a CSV text file. Save the rates as CSV (UTF-8) "
                                 "and upload them again."))
    if not text.strip():
        raise RatesImportError(_("The file is empty. Its first line must be the header %(header)s.",
                                 header=",".join(CSV_HEADER)))
    return text


def _parse_rate_rows(text: str, max_rows: int) -> tuple[list[_RateRow], list[RowError]]:
    """Every row checked on its own and against the file's other rows; nothing stored is read."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[_RateRow] = []
    errors: list[RowError] = []
    first_row_of: dict[tuple[str, str, date], int] = {}
    data_rows = 0
    try:
        header = next(reader)
        if tuple(name.strip() for name in header) != CSV_HEADER:
            found = ",".join(header)
            raise RatesImportError(_(
                "The first line must be the header %(header)s; this file starts with "
                "“%(found)s”.", header=",".join(CSV_HEADER),
                found=found if len(found) <= 80 else found[:80] + "…"))
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue  # blank lines (often the last one) carry no rate
            data_rows += 1
            if data_rows > max_rows:
                raise RatesImportError(ngettext(
                    "The file has more than %(num)d rate. Split it into smaller files.",
                    "The file has more than %(num)d rates. Split it into smaller files.",
                    max_rows))
            parsed = _parse_rate_row(line, values)
            if isinstance(parsed, RowError):
                errors.append(parsed)
            elif parsed.key in first_row_of:
                errors.append(RowError(line, (_(
                    "The %(base)s→%(quote)s rate for %(date)s is already on row %(other)s.",
                    base=parsed.base, quote=parsed.quote, date=parsed.on_date.isoformat(),
                    other=first_row_of[parsed.key]),)))
            else:
                first_row_of[parsed.key] = line
                rows.append(parsed)
    except csv.Error:
        raise RatesImportError(
            _("The file could not be read as CSV."),
            [RowError(reader.line_num, (_("This line is not valid CSV; check its quotes."),))],
        ) from None
    if data_rows == 0:
        raise RatesImportError(_("The file has a header but no rates."))
    return rows, errors


def _parse_rate_row(line: int, values: list[str]) -> _RateRow | RowError:
    """One data row as a rate, or every reason it is not one."""
    if len(values) != len(CSV_HEADER):
        return RowError(line, (_(
            "Expected %(expected)s values (%(header)s), found %(found)s.",
            expected=len(CSV_HEADER), header=",".join(CSV_HEADER), found=len(values)),))
    date_text, base, quote, rate_text, source = (value.strip() for value in values)
    base, quote = base.upper(), quote.upper()
    reasons: list[str] = []

    on_date = _iso_date(date_text)
    if on_date is None:
        reasons.append(_("“%(value)s” is not a date in the form YYYY-MM-DD.", value=date_text))

    missing = {0: _("The base currency is missing."), 1: _("The quote currency is missing.")}
    for position, code in enumerate((base, quote)):
        if not code:
            reasons.append(missing[position])
            continue
        try:
            minor_units(code)
        except MoneyError:
            reasons.append(_("Unknown currency: “%(code)s”.", code=code))
    if base and base == quote:
        reasons.append(_("The base and quote currencies are the same (%(code)s).", code=base))

    rate: Decimal | None = None
    if PLAIN_DECIMAL.fullmatch(rate_text):
        try:
            rate = Decimal(rate_text)
        except InvalidOperation:
            rate = None
    if rate is None:
        reasons.append(_("The rate “%(value)s” is not a number; write it with a dot, e.g. "
                         "91.2345.", value=rate_text))
    else:
        problem = _rate_problem(rate)
        if problem:
            reasons.append(problem)

    problem = _source_problem(source)
    if problem:
        reasons.append(problem)

    if reasons or on_date is None or rate is None:
        return RowError(line, tuple(reasons))
    return _RateRow(line, on_date, base, quote, rate, source)


def _iso_date(text: str) -> date | None:
    """A date written exactly as YYYY-MM-DD, or None (fromisoformat alone also takes 20260301)."""
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _stored_rates(rows: list[_RateRow]) -> dict[tuple[str, str, date], ExchangeRate]:
    """Stored rates that share a pair and date with the file's rows, in one query."""
    if not rows:
        return {}
    wanted = {row.key for row in rows}
    candidates = db.session.scalars(
        select(ExchangeRate).where(
            ExchangeRate.on_date.between(min(row.on_date for row in rows),
                                         max(row.on_date for row in rows)),
            ExchangeRate.base.in_({row.base for row in rows}),
            ExchangeRate.quote.in_({row.quote for row in rows}),
        )
    )
    return {(r.base, r.quote, r.on_date): r for r in candidates
            if (r.base, r.quote, r.on_date) in wanted}
