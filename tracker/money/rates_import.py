"""Importing exchange rates from a CSV file: every row valid, or nothing is written.

The file is `date,base,quote,rate,source`, read by the shared helpers of
tracker.csvfiles (UTF-8 with or without a byte-order mark, the size limit, the
messages every import shares).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from tracker.csvfiles import (
    CsvRows,
    FileRefused,
    RowError,
    decode_text,
    empty_file,
    read_limited,
)
from tracker.extensions import db
from tracker.money.models import ExchangeRate
from tracker.money.rates import rate_problem, source_problem
from tracker.money.value import MoneyError, minor_units

CSV_HEADER = ("date", "base", "quote", "rate", "source")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


class RatesImportError(FileRefused):
    """A rates file was refused as a whole; `rows` lists every bad row, if the rows were read."""


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
            # A savepoint: a clash undoes this file's rates only, never the caller's work.
            with db.session.begin_nested():
                db.session.execute(insert(ExchangeRate), [
                    {"on_date": row.on_date, "base": row.base, "quote": row.quote,
                     "rate": row.rate, "source": row.source} for row in new_rows
                ])
        except IntegrityError:
            # Another upload stored some of these rates while this one was being checked.
            raise RatesImportError(_("Some of these rates were recorded by someone else just "
                                     "now. Upload the file again.")) from None
    return ImportResult(imported=len(new_rows), already_recorded=repeated)


def _plain(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _read_csv_text(source: bytes | str | IO[bytes] | IO[str], max_bytes: int) -> str:
    """The upload as text: not larger than the limit, UTF-8 (a BOM is dropped), no binary."""
    text = decode_text(read_limited(source, max_bytes, RatesImportError), RatesImportError)
    if "\x00" in text:
        raise RatesImportError(_("This is not a CSV text file. Save the rates as CSV (UTF-8) "
                                 "and upload them again."))
    if not text.strip():
        raise empty_file(",".join(CSV_HEADER), RatesImportError)
    return text


def _parse_rate_rows(text: str, max_rows: int) -> tuple[list[_RateRow], list[RowError]]:
    """Every row checked on its own and against the file's other rows; nothing stored is read."""
    reader = CsvRows(text, RatesImportError)
    rows: list[_RateRow] = []
    errors: list[RowError] = []
    first_row_of: dict[tuple[str, str, date], int] = {}
    data_rows = 0
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
        problem = rate_problem(rate)
        if problem:
            reasons.append(problem)

    problem = source_problem(source)
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
