"""Importing a file of pledges (CSV or XLSX) into a drive: every row valid, or nothing.

The standard file is a CSV with the header `date,name,email,amount,currency,reference`:
UTF-8 with or without a byte-order mark, ISO dates, `.` or `,` as the decimal mark
(spaces as thousands separators), an empty name for an anonymous pledge. Other
programs' exports are read through a column mapping (our field -> their header).

Every row is checked before anything is written; one bad row refuses the whole file
and every bad row is named by the row number a spreadsheet shows (the header is row 1).
Rows whose reference the drive already holds are skipped and counted, so importing a
file again adds nothing twice.

A good file is written in one transaction, fast enough for 100,000 rows and in little
memory: the file is read twice, once to check every row and once to write the rows as
they are read, so that they never all sit in memory as objects. The drive's references
and the rates into its currency are read once a reading (one query each), each pledge
is converted in memory by the rule of tracker.money.services.convert and stored
exactly as drives.services.log_pledge stores it, the rows go in through one compiled
Core INSERT (executemany in chunks; COPY on PostgreSQL), and the drive's totals are
refreshed once. Writing on the connection bypasses the per-row audit hooks, so the
import records one audit event on the drive instead: how many pledges came from
which file, and who imported them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Context, Decimal
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from tracker.audit.hooks import record_event
from tracker.audit.models import AuditAction
from tracker.audit.registry import event_type
from tracker.auth.models import User
from tracker.auth.services import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from tracker.db import utcnow
from tracker.drives.models import (
    STAFF_PLEDGEABLE,
    Channel,
    Drive,
    Pledge,
    PledgeSource,
    PledgeStatus,
    PledgeUpload,
)
from tracker.drives.services import (
    MAX_NAME_LENGTH,
    MAX_REFERENCE_LENGTH,
    _storable,
    refresh_drive_totals,
    today,
)
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.models import Currency, ExchangeRate
from tracker.money.services import RowError, size_label
from tracker.money.value import MAX_AMOUNT, ROUNDING, Money, minor_units, quantum

FIELDS = ("date", "name", "email", "amount", "currency", "reference")
REQUIRED = ("date", "amount", "currency", "reference")  # name and email may be left out
STANDARD_HEADER = ",".join(FIELDS)
FIELD_NAMES = {
    "date": _l("date"),
    "name": _l("name"),
    "email": _l("e-mail"),
    "amount": _l("amount"),
    "currency": _l("currency"),
    "reference": _l("reference"),
}
INSERT_CHUNK = 5_000
PROGRESS_EVERY = 1_000
ERRORS_KEPT = 1_000  # a file of 100,000 bad rows is listed up to here, then counted
MAX_COLUMNS = 200
PREVIEW_ROWS = 10
UPLOAD_KEPT_HOURS = 24
XLSX_MAGIC = b"PK\x03\x04"

# '1500', '1500.50', '1500,50', '1 500,50' (spaces, no-break or narrow no-break spaces
# between groups of three): one decimal mark at most, no thousands commas or dots.
AMOUNT = re.compile(r"([+-]?)(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:([.,])(\d+))?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

PLEDGE_IMPORT = event_type("pledge_import", label=_l("Pledge import"), fields={
    "file": _l("File"),
    "pledges_imported": _l("Pledges imported"),
    "pledges_skipped": _l("Already imported (skipped)"),
    "pledges_without_rate": _l("Pledges without an exchange rate"),
    "rows_in_file": _l("Rows in the file"),
})

Progress = Callable[[int], None]


class PledgeImportError(DomainError):
    """A pledge file was refused as a whole; `rows` lists its bad rows (the first ones)."""

    def __init__(self, message: str, rows: Iterable[RowError] = (), more: int = 0) -> None:
        super().__init__(message, field="file")
        self.rows = sorted(rows, key=lambda error: error.row)
        self.more = more  # bad rows beyond those listed


class _Pledge(NamedTuple):
    """A checked row, converted into the drive's currency: what one INSERT row needs."""

    row: int
    pledged_on: date
    name: str
    email: str
    amount_minor: int
    currency: str
    reference: str
    drive_minor: int | None
    rate: Decimal | None
    rate_on: date | None


@dataclass(frozen=True)
class PreviewRow:
    """One of the first rows of a file as it was read, for the preview page."""

    row: int
    pledged_on: date
    name: str
    email: str
    amount: Money
    drive_amount: Money | None
    reference: str
    already_imported: bool

    @property
    def anonymous(self) -> bool:
        return not self.name


@dataclass(frozen=True)
class CheckedFile:
    """A pledge file whose every row passed, with what importing it would do.

    It keeps the file, not its rows: the import reads the file a second time and
    writes each chunk of rows as it goes, so that 100,000 rows never sit in memory.
    """

    drive_id: int
    filename: str
    content: bytes = field(repr=False)
    mapping: Mapping[str, str]
    total_rows: int
    new: int
    skipped: int
    without_rate: int
    preview: list[PreviewRow]


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    imported: int
    skipped: int
    without_rate: int
    total_rows: int
    dry_run: bool = False


# --- the rates -----------------------------------------------------------------------------


class _DriveRates:
    """Every rate into the drive's currency, read in one query, looked up in memory.

    Gives exactly what tracker.money.services.convert gives: the latest rate on or
    before the date, the direct pair before the inverse on the same day, an inverse to
    34 significant digits, the product rounded once, half away from zero (value.ROUNDING).
    """

    def __init__(self, to: str, until: date) -> None:
        self.to = to
        self._quantum = quantum(to)
        self._places = minor_units(to)
        self._context = Context(prec=50)
        chosen: dict[str, dict[date, tuple[bool, Decimal]]] = {}
        records = db.session.execute(
            select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.on_date,
                   ExchangeRate.rate)
            .where((ExchangeRate.base == to) | (ExchangeRate.quote == to),
                   ExchangeRate.on_date <= until)
        )
        for base, quote, on_date, rate in records:
            direct = quote == to
            days = chosen.setdefault(base if direct else quote, {})
            if direct or on_date not in days:
                days[on_date] = (direct, rate)
        self._dates: dict[str, list[date]] = {}
        self._rates: dict[str, list[tuple[Decimal, Decimal, date]]] = {}
        for currency, days in chosen.items():
            ordered = sorted(days)
            self._dates[currency] = ordered
            self._rates[currency] = [self._entry(*days[on_date], on_date) for on_date in ordered]

    @staticmethod
    def _entry(direct: bool, rate: Decimal, on_date: date) -> tuple[Decimal, Decimal, date]:
        """(rate used, rate as stored on the pledge, date of the rate)."""
        if not direct:
            rate = Context(prec=34).divide(Decimal(1), rate)
        return rate, _storable(rate), on_date

    def convert(self, minor: int, currency: str, on: date
                ) -> tuple[int | None, Decimal | None, date | None]:
        """(minor units in the drive's currency, stored rate, its date); all None without one."""
        if currency == self.to:
            return minor, _SAME_CURRENCY_RATE, None
        dates = self._dates.get(currency)
        position = bisect_right(dates, on) - 1 if dates else -1
        if position < 0:
            return None, None, None
        rate, stored, on_date = self._rates[currency][position]
        context = self._context
        amount = Decimal(minor).scaleb(-minor_units(currency))
        converted = context.multiply(amount, rate).quantize(self._quantum, rounding=ROUNDING,
                                                             context=context)
        return int(converted.scaleb(self._places)), stored, on_date


_SAME_CURRENCY_RATE = _storable(Decimal(1))


# --- reading the file -------------------------------------------------------------------


def is_xlsx(content: bytes, filename: str) -> bool:
    """An Excel workbook by its name or its first bytes (a ZIP archive), else CSV."""
    return filename.lower().endswith(".xlsx") or content.startswith(XLSX_MAGIC)


def estimate_rows(content: bytes, filename: str) -> int:
    """About how many data rows a file holds, for a progress bar (before it is read)."""
    if is_xlsx(content, filename):
        try:
            from openpyxl import load_workbook

            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            rows = workbook.worksheets[0].max_row or 0
            workbook.close()
            return max(0, rows - 1)
        except Exception:  # the real read reports what is wrong with the file
            return 0
    return max(0, content.count(b"\n") - 1)


def _csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    """The rows of a CSV file: UTF-8 (a BOM is dropped), commas or semicolons.

    Decoded as it is read, so that the file is never held twice (bytes and text).
    """
    if b"\x00" in content:
        raise PledgeImportError(_("This is neither a CSV text file nor an Excel workbook "
                                  "(.xlsx)."))
    end = content.find(b"\n")
    first_line = content[:end] if end >= 0 else content
    # Spreadsheets set to a comma decimal mark save "CSV" with semicolons.
    delimiter = ";" if first_line.count(b";") > first_line.count(b",") else ","
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    try:
        yield from reader
    except UnicodeDecodeError:
        raise PledgeImportError(_("The file is not UTF-8 text. Save it as CSV (UTF-8) and "
                                  "upload it again.")) from None
    except csv.Error:
        raise PledgeImportError(
            _("The file could not be read as CSV."),
            [RowError(reader.line_num, (_("This line is not valid CSV; check its quotes."),))],
        ) from None


def _xlsx_rows(content: bytes) -> Iterator[Sequence[Any]]:
    """The rows of the first sheet of a workbook, as values (dates as datetimes)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        header = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError):
        raise PledgeImportError(_("The file could not be read as an Excel workbook (.xlsx). "
                                  "Save it as .xlsx or as CSV (UTF-8).")) from None
    try:
        width = max((i + 1 for i, value in enumerate(header) if value not in (None, "")),
                    default=0)
        yield header[:width]
        if width:
            yield from sheet.iter_rows(min_row=2, max_col=width, values_only=True)
    finally:
        workbook.close()


def _header_positions(header: Sequence[Any], mapping: Mapping[str, str]) -> dict[str, int]:
    """Our field -> its column index, by the (mapped) header names; refuse a missing one."""
    names = [str(value or "").strip().lstrip("\ufeff").casefold() for value in header]
    wanted = {name: (mapping.get(name) or name).strip() for name in FIELDS}
    positions: dict[str, int] = {}
    missing = []
    for field_name, column in wanted.items():
        found = [index for index, header_name in enumerate(names)
                 if header_name == column.casefold()]
        if len(found) > 1:
            raise PledgeImportError(_("The file has more than one column “%(name)s”.",
                                      name=column))
        if found:
            positions[field_name] = found[0]
        elif field_name in REQUIRED:
            missing.append(column)
    if missing:
        found_text = ",".join(str(value or "") for value in header)
        raise PledgeImportError(ngettext(
            "The file has no column “%(names)s”. The first line must be the header %(header)s, "
            "or map your columns to these fields; this file starts with “%(found)s”.",
            "The file has no columns “%(names)s”. The first line must be the header "
            "%(header)s, or map your columns to these fields; this file starts with "
            "“%(found)s”.",
            len(missing), names="”, “".join(missing), header=STANDARD_HEADER,
            found=found_text if len(found_text) <= 80 else found_text[:80] + "…"))
    return positions


def check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """A column mapping cleaned up: known fields only, each column used once."""
    cleaned = {}
    for field_name, name in mapping.items():
        if field_name not in FIELDS:
            raise PledgeImportError(_("“%(field)s” is not a field of a pledge file; the fields "
                                      "are %(fields)s.", field=field_name,
                                      fields=", ".join(FIELDS)))
        if name and name.strip():
            cleaned[field_name] = name.strip()
    taken: dict[str, str] = {}
    for field_name in FIELDS:
        name = (cleaned.get(field_name) or field_name).casefold()
        if name in taken:
            raise PledgeImportError(_("The column “%(name)s” cannot be both the %(one)s and the "
                                      "%(other)s.", name=cleaned.get(field_name) or field_name,
                                      one=FIELD_NAMES[taken[name]],
                                      other=FIELD_NAMES[field_name]))
        taken[name] = field_name
    return cleaned


# --- checking one row -------------------------------------------------------------------


def _text(value: Any) -> str:
    if value.__class__ is str:
        return value.strip()  # type: ignore[no-any-return]
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a reference typed as a number in a spreadsheet: 1024, not 1024.0
    return str(value).strip()


def parse_amount(value: Any, places: int | None) -> Decimal | str:
    """The amount as a Decimal, or why it cannot be read (for the row's reasons).

    `places` (the currency's decimals, None when unknown) decides the one ambiguous
    form: '1,500' or '1.500' is 1.5 for a currency with three decimals, but could mean
    either 1500 or 1.5 otherwise, so it is refused with a hint.
    """
    if isinstance(value, bool):
        return _("“%(value)s” is not an amount; write it like 1500.50 or 1 500,50.",
                 value=value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # Excel keeps 15 significant digits: 0.30000000000000004 is the 0.3 it shows.
        return Decimal(format(value, ".15g"))
    if isinstance(value, Decimal):
        return value
    text = _text(value)
    if not text:
        return _("The amount is missing.")
    match = AMOUNT.fullmatch(text)
    if match is None:
        return _("“%(value)s” is not an amount; write it like 1500.50 or 1 500,50.", value=text)
    sign, whole, mark, fraction = match.groups()
    if not mark:
        return Decimal(sign + whole if whole.isdigit() else sign + _digits(whole))
    if (len(fraction) == 3 and len(whole) <= 3 and whole != "0" and whole.isdigit()
            and places != 3):
        return _("“%(value)s” could be read two ways: write %(whole)s%(fraction)s for the "
                 "larger amount, or %(whole)s%(mark)s%(short)s for the smaller one.",
                 value=text, whole=whole, fraction=fraction, mark=mark,
                 short=fraction.rstrip("0") or "0")
    return Decimal(f"{sign}{_digits(whole)}.{fraction}")


def _digits(whole: str) -> str:
    return whole if whole.isdigit() else "".join(ch for ch in whole if ch.isdigit())


class _Checker:
    """Checks rows one by one against each other, the drive's references and the rates.

    With `emit`, each new pledge is handed over as it is found (the import's second
    reading); without, new pledges are only counted (the check, a dry run, a preview).
    """

    def __init__(self, drive: Drive, positions: dict[str, int], max_rows: int,
                 emit: Callable[[_Pledge], None] | None = None,
                 progress: Progress | None = None) -> None:
        self.positions = positions
        self.width = max(positions.values()) + 1
        self.known_currencies = {code: code for code in db.session.scalars(select(Currency.code))}
        self.existing = set(db.session.scalars(
            select(Pledge.external_reference).where(Pledge.drive_id == drive.id,
                                                    Pledge.external_reference.is_not(None))))
        self.today = today()
        self.rates = _DriveRates(drive.currency, self.today)
        self.max_rows = max_rows
        self.emit = emit
        self.progress = progress
        self.first_row_of: dict[str, int] = {}
        self.dates: dict[Any, date | str] = {}  # each date text read once, one object per day
        self.errors: list[RowError] = []
        self.bad_rows = 0
        self.total_rows = 0
        self.skipped = 0
        self.new = 0
        self.without_rate = 0
        self.preview: list[PreviewRow] = []

    def read(self, rows: Iterator[Sequence[Any]]) -> None:
        progress = self.progress
        for number, values in enumerate(rows, start=2):
            if not any(_text(value) for value in values):
                continue  # blank lines (often the last one) carry no pledge
            self.total_rows += 1
            if self.total_rows > self.max_rows:
                raise PledgeImportError(ngettext(
                    "The file has more than %(num)d row. Split it into smaller files.",
                    "The file has more than %(num)d rows. Split it into smaller files.",
                    self.max_rows))
            if len(values) < self.width:
                values = [*values, *([None] * (self.width - len(values)))]
            self.check(number, values)
            if progress is not None and self.total_rows % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
        if progress is not None:
            progress(self.total_rows % PROGRESS_EVERY)

    def _date(self, value: Any) -> date | str:
        """The pledge's date, or why it is not one; cached by the text it was written as."""
        found = self.dates.get(value)
        if found is None:
            found = self._parse_date(value)
            if len(self.dates) < 10_000:
                self.dates[value] = found
        return found

    def _parse_date(self, value: Any) -> date | str:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            day: date | None = value
        else:
            text = _text(value)
            if not text:
                return _("The date is missing.")
            day = None
            if ISO_DATE.fullmatch(text):
                try:
                    day = date.fromisoformat(text)
                except ValueError:
                    day = None
            if day is None:
                return _("“%(value)s” is not a date in the form YYYY-MM-DD.", value=text[:40])
        if day > self.today:
            return _("The date %(date)s is in the future.", date=day.isoformat())
        return day

    def check(self, number: int, values: Sequence[Any]) -> None:
        positions = self.positions
        reasons: list[str] = []
        pledged_on = self._date(values[positions["date"]])
        if pledged_on.__class__ is str:
            reasons.append(pledged_on)  # type: ignore[arg-type]

        name = _text(values[positions["name"]]) if "name" in positions else ""
        if len(name) > MAX_NAME_LENGTH:
            reasons.append(_("The name is longer than %(limit)s characters.",
                             limit=MAX_NAME_LENGTH))
        email = _text(values[positions["email"]]) if "email" in positions else ""
        if email and (len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email)):
            reasons.append(_("“%(value)s” is not a valid e-mail address.", value=email[:80]))

        # The currency is read first (the amount's decimals depend on it) but its reason
        # is given after the amount's, in the order of the standard header.
        code = _text(values[positions["currency"]]).upper()
        known = self.known_currencies.get(code)
        places = minor_units(known) if known else None
        minor = self._amount(values[positions["amount"]], code, places, reasons)
        if not code:
            reasons.append(_("The currency is missing."))
        elif known is None:
            reasons.append(_("Unknown currency: “%(code)s”.", code=code[:10]))

        reference = _text(values[positions["reference"]])
        if not reference:
            reasons.append(_("The reference is missing: every row needs one, so that importing "
                             "the file again adds nothing twice."))
        elif len(reference) > MAX_REFERENCE_LENGTH:
            reasons.append(_("The reference is longer than %(limit)s characters.",
                             limit=MAX_REFERENCE_LENGTH))
        elif reference in self.first_row_of:
            reasons.append(_("The reference %(reference)s is already on row %(other)s.",
                             reference=reference, other=self.first_row_of[reference]))
        else:
            self.first_row_of[reference] = number

        if reasons or minor is None or known is None:
            self.bad_rows += 1
            if len(self.errors) < ERRORS_KEPT:
                self.errors.append(RowError(number, tuple(reasons)))
            return
        if self.bad_rows:
            return  # the file is refused anyway: convert nothing more
        already = reference in self.existing
        if already:
            self.skipped += 1
            converted: tuple[int | None, Decimal | None, date | None] = (None, None, None)
        else:
            self.new += 1
            converted = self.rates.convert(minor, known, pledged_on)  # type: ignore[arg-type]
            if converted[0] is None:
                self.without_rate += 1
            if self.emit is not None:
                self.emit(_Pledge(number, pledged_on, name, email, minor, known,  # type: ignore[arg-type]
                                  reference, *converted))
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append(PreviewRow(
                number, pledged_on, name, email,  # type: ignore[arg-type]
                Money.from_minor(minor, known),  # type: ignore[arg-type]
                Money.from_minor(converted[0], self.rates.to), reference, already))

    @staticmethod
    def _amount(value: Any, code: str, places: int | None, reasons: list[str]) -> int | None:
        """The amount in minor units of the currency, or None with the reason added."""
        parsed = parse_amount(value, places)
        if parsed.__class__ is str:
            reasons.append(parsed)  # type: ignore[arg-type]
            return None
        if not parsed.is_finite() or parsed <= 0:  # type: ignore[union-attr]
            reasons.append(_("The amount must be greater than zero."))
            return None
        if parsed > MAX_AMOUNT:  # type: ignore[operator]
            reasons.append(_("This amount is implausibly large; check the digits."))
            return None
        if places is None:
            return None  # the currency's own reason is given next
        scaled = parsed.scaleb(places)  # type: ignore[union-attr]
        if scaled != scaled.to_integral_value():
            reasons.append(_("%(currency)s allows at most %(places)s decimal places.",
                             currency=code, places=places))
            return None
        return int(scaled)


def _limits(content: bytes, max_bytes: int | None, max_rows: int | None) -> int:
    """Refuse a file over the size limit; the row limit to apply while reading."""
    config = current_app.config
    max_bytes = config["PLEDGE_IMPORT_MAX_BYTES"] if max_bytes is None else max_bytes
    if len(content) > max_bytes:
        raise PledgeImportError(_("The file is larger than %(limit)s. Split it into smaller "
                                  "files.", limit=size_label(max_bytes)))
    return config["PLEDGE_IMPORT_MAX_ROWS"] if max_rows is None else max_rows


def _read(drive: Drive, content: bytes, filename: str, mapping: Mapping[str, str],
          max_rows: int, emit: Callable[[_Pledge], None] | None = None,
          progress: Progress | None = None) -> _Checker:
    """Read every row of the file through a checker; refuse the file if any row is bad."""
    if drive.status not in STAFF_PLEDGEABLE:
        raise DomainError(_("This drive is “%(status)s”: it takes no new pledges.",
                            status=drive.status.label))
    empty = PledgeImportError(_("The file is empty. Its first line must be the header "
                                "%(header)s.", header=STANDARD_HEADER))
    if not content.strip():
        raise empty
    rows = _xlsx_rows(content) if is_xlsx(content, filename) else _csv_rows(content)
    header = next(rows, None)
    if not header or not any(_text(value) for value in header):
        raise empty
    checker = _Checker(drive, _header_positions(header, mapping), max_rows, emit, progress)
    checker.read(rows)
    if checker.bad_rows:
        raise PledgeImportError(
            ngettext("Nothing was imported: %(num)d row has a problem. Correct it and import "
                     "the file again.",
                     "Nothing was imported: %(num)d rows have problems. Correct them and "
                     "import the file again.", checker.bad_rows),
            checker.errors, more=checker.bad_rows - len(checker.errors))
    if checker.total_rows == 0:
        raise PledgeImportError(_("The file has a header but no pledges."))
    return checker


def check_pledge_file(drive: Drive, content: bytes, filename: str,
                      mapping: Mapping[str, str] | None = None, *,
                      max_bytes: int | None = None, max_rows: int | None = None,
                      progress: Progress | None = None) -> CheckedFile:
    """Read and check every row of a pledge file for a drive; write nothing.

    Raises PledgeImportError naming the file's problem, or listing its bad rows
    ("Row N: reason"). Limits default to PLEDGE_IMPORT_MAX_BYTES and _MAX_ROWS.
    """
    max_rows = _limits(content, max_bytes, max_rows)
    mapping = check_mapping(mapping or {})
    checker = _read(drive, content, filename, mapping, max_rows, progress=progress)
    return CheckedFile(drive_id=drive.id, filename=filename, content=content, mapping=mapping,
                       total_rows=checker.total_rows, new=checker.new, skipped=checker.skipped,
                       without_rate=checker.without_rate, preview=checker.preview)


# --- writing ------------------------------------------------------------------------------


class _Inserter:
    """Writes new pledges as they come, bypassing the per-row work of the ORM and of Core.

    The Core INSERT is compiled once and each column's bind processor looked up once;
    the values every row shares (drive, status, source, timestamps) are processed once,
    dates and rates once per distinct value. SQLite runs the INSERT as one executemany
    per chunk of rows. PostgreSQL gets all rows through one COPY that stays open while
    the file is read, so that the server stores rows while Python reads the next ones:
    its driver's executemany sends 100,000 single-row INSERTs (13 s here, against 5).

    It writes on the session's connection, in its transaction, but not through the
    session: the session's bulk-insert hook would write an audit event per row and
    read every row back; the import records one event instead. Use it as a context
    manager: leaving the block sends what is left, or, after an error, abandons it.
    """

    VARYING = ("pledged_on", "pledger_name", "is_anonymous", "contact_email", "amount_minor",
               "currency", "external_reference", "drive_amount_minor", "drive_rate",
               "drive_rate_on", "unpaid_drive_minor")

    def __init__(self, drive: Drive, by: User | None, channel: Channel,
                 progress: Progress | None) -> None:
        now = utcnow()
        table = Pledge.__table__
        given: dict[str, Any] = {
            "drive_id": drive.id, "status": PledgeStatus.PLEDGED, "status_reason": "",
            "channel": channel, "note": "", "message": "", "source": PledgeSource.IMPORT,
            "logged_by_id": by.id if by is not None else None, "paid_minor": 0,
            "drive_amount_currency": drive.currency, "version": 1,
            "created_at": now, "updated_at": now,
        }
        for column in table.columns:  # a column added later with a Python default
            if (column.name not in given and column.name not in self.VARYING
                    and not column.primary_key and column.default is not None):
                default = column.default
                given[column.name] = default.arg(None) if default.is_callable else default.arg
        self.connection = db.session.connection(bind_arguments={"mapper": Pledge})
        dialect = self.connection.dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=[*given, *self.VARYING])
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        self.order = list(compiled.positiontup or [] if self.positional else compiled.params)
        self.copy_sql = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quote = dialect.identifier_preparer.quote
            self.copy_sql = (f"COPY {quote(table.name)} "
                             f"({', '.join(quote(name) for name in self.order)}) FROM STDIN")
        processors = {name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                      for name in self.order}
        self.template = [
            (processors[name](given[name]) if processors[name] else given[name])
            if name in given else None
            for name in self.order
        ]
        slot = {name: self.order.index(name) for name in self.VARYING}
        (self.at_date, self.at_name, self.at_anonymous, self.at_email, self.at_amount,
         self.at_currency, self.at_reference, self.at_drive_amount, self.at_rate,
         self.at_rate_on, self.at_unpaid) = (slot[name] for name in self.VARYING)
        # Dates, flags and rates repeat: each distinct one is processed once.
        self.as_date = self._memoised(processors["pledged_on"])
        self.as_flag = self._memoised(processors["is_anonymous"])
        self.as_rate = self._memoised(processors["drive_rate"])
        self.as_rate_on = self._memoised(processors["drive_rate_on"])
        self.progress = progress
        self.pending: list[list[Any]] = []
        self.written = 0
        self._open = ExitStack()  # the COPY and its cursor, once the first row comes
        self._copy: Any = None

    @staticmethod
    def _memoised(process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
        if process is None:
            return lambda value: value
        done: dict[Any, Any] = {None: None}

        def processed(value: Any) -> Any:
            found = done.get(value, done)
            if found is done:
                found = done[value] = process(value)
            return found

        return processed

    def __enter__(self) -> _Inserter:
        return self

    def _start_copy(self) -> None:
        """Open the COPY with the first row: the connection runs nothing else until it ends."""
        cursor = self.connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self._open.callback(cursor.close)
        self._copy = self._open.enter_context(cursor.copy(self.copy_sql))

    def __exit__(self, exc_type: Any, error: BaseException | None, traceback: Any) -> None:
        dbapi = self.connection.dialect.dbapi
        try:
            # Ends the COPY: sent rows are checked by the server, or abandoned after an error.
            self._open.__exit__(exc_type, error, traceback)
            if error is None and self.copy_sql is None:
                self.flush()
        except dbapi.IntegrityError as failure:  # type: ignore[union-attr]
            # As SQLAlchemy would have wrapped it: the caller handles one kind of error.
            raise IntegrityError(self.copy_sql or self.sql, None, failure) from failure

    def add(self, p: _Pledge) -> None:
        row = self.template.copy()
        row[self.at_date] = self.as_date(p.pledged_on)
        row[self.at_name] = p.name
        row[self.at_anonymous] = self.as_flag(not p.name)
        row[self.at_email] = p.email
        row[self.at_amount] = p.amount_minor
        row[self.at_currency] = p.currency
        row[self.at_reference] = p.reference
        row[self.at_drive_amount] = row[self.at_unpaid] = p.drive_minor
        row[self.at_rate] = self.as_rate(p.rate)
        row[self.at_rate_on] = self.as_rate_on(p.rate_on)
        if self.copy_sql is not None:
            if self._copy is None:
                self._start_copy()
            self._copy.write_row(row)
            self.written += 1
            if self.progress is not None and self.written % INSERT_CHUNK == 0:
                self.progress(INSERT_CHUNK)
            return
        self.pending.append(row)
        if len(self.pending) >= INSERT_CHUNK:
            self.flush()

    def flush(self) -> None:
        """Run the INSERT for the rows collected (executemany); report the progress."""
        if self.copy_sql is not None:
            if self.progress is not None:
                self.progress(self.written % INSERT_CHUNK)
            return
        if not self.pending:
            return
        if self.positional:
            self.connection.exec_driver_sql(self.sql, [tuple(row) for row in self.pending])
        else:
            self.connection.exec_driver_sql(
                self.sql, [dict(zip(self.order, row, strict=True)) for row in self.pending])
        self.written += len(self.pending)
        if self.progress is not None:
            self.progress(len(self.pending))
        self.pending = []


def import_checked(drive: Drive, checked: CheckedFile, *, by: User | None,
                   channel: Channel = Channel.OTHER,
                   progress: Progress | None = None) -> ImportResult:
    """Import a checked file's new pledges, refresh the drive's totals, record one event.

    The file is read again (rows already recorded meanwhile are skipped) and written
    in chunks, all in the caller's transaction (the caller commits).
    """
    if checked.drive_id != drive.id:
        raise ValueError("the file was checked for another drive")
    try:
        with _Inserter(drive, by, channel, progress) as inserter:
            checker = _read(drive, checked.content, checked.filename, checked.mapping,
                            max_rows=max(checked.total_rows, 1), emit=inserter.add)
            inserter.flush()
    except IntegrityError:
        db.session.rollback()
        raise PledgeImportError(_("Some of these pledges were recorded by someone else just now. "
                                  "Import the file again: the pledges already recorded will be "
                                  "skipped.")) from None
    except DomainError:
        db.session.rollback()
        raise
    result = ImportResult(imported=inserter.written, skipped=checker.skipped,
                          without_rate=checker.without_rate, total_rows=checker.total_rows)
    refresh_drive_totals(drive.id)
    if result.imported:
        record_event(
            db.session, action=AuditAction.CREATE, record_type=PLEDGE_IMPORT,
            record_id=str(drive.id), parent_type="drive", parent_id=str(drive.id),
            summary=checked.filename,
            changes={"file": checked.filename, "pledges_imported": result.imported,
                     "pledges_skipped": result.skipped,
                     "pledges_without_rate": result.without_rate,
                     "rows_in_file": result.total_rows},
        )
    return result


def import_pledges(drive: Drive, content: bytes, filename: str,
                   mapping: Mapping[str, str] | None = None, *, by: User | None,
                   channel: Channel = Channel.OTHER, dry_run: bool = False,
                   max_bytes: int | None = None, max_rows: int | None = None) -> ImportResult:
    """Check a pledge file and import its new rows (or, on a dry run, only count them)."""
    checked = check_pledge_file(drive, content, filename, mapping, max_bytes=max_bytes,
                                max_rows=max_rows)
    if dry_run:
        return ImportResult(imported=checked.new, skipped=checked.skipped,
                            without_rate=checked.without_rate, total_rows=checked.total_rows,
                            dry_run=True)
    return import_checked(drive, checked, by=by, channel=channel)


# --- uploads waiting for confirmation (the web import) ---------------------------------


def store_upload(drive: Drive, content: bytes, filename: str, mapping: Mapping[str, str], *,
                 by: User | None) -> PledgeUpload:
    """Keep an uploaded file until it is confirmed; purge uploads older than a day."""
    cutoff = utcnow() - timedelta(hours=UPLOAD_KEPT_HOURS)
    db.session.execute(delete(PledgeUpload).where(PledgeUpload.created_at < cutoff))
    upload = PledgeUpload(drive_id=drive.id, uploaded_by_id=by.id if by is not None else None,
                          filename=filename[-255:], content=content,
                          mapping=check_mapping(mapping))
    db.session.add(upload)
    db.session.flush()
    return upload


def find_upload(drive: Drive, upload_id: int) -> PledgeUpload | None:
    """The drive's pending upload with this id, or None (gone once imported or purged)."""
    return db.session.scalar(select(PledgeUpload).where(
        PledgeUpload.id == upload_id, PledgeUpload.drive_id == drive.id))


def check_upload(upload: PledgeUpload) -> CheckedFile:
    """Check a pending upload against its drive as it is now."""
    return check_pledge_file(upload.drive, upload.content, upload.filename, upload.mapping)


def confirm_upload(upload: PledgeUpload, *, by: User | None,
                   channel: Channel = Channel.OTHER) -> ImportResult:
    """Import a pending upload and delete it."""
    drive = upload.drive
    checked = check_upload(upload)
    result = import_checked(drive, checked, by=by, channel=channel)
    db.session.delete(upload)
    db.session.flush()
    return result
