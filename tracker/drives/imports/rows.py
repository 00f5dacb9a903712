"""Checking a pledge file's rows one by one, against each other, the drive and the rates."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from tracker.auth.services import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from tracker.csvfiles import RowError
from tracker.drives.imports.files import PledgeImportError, cell_text
from tracker.drives.inputs import MAX_NAME_LENGTH, MAX_REFERENCE_LENGTH, today
from tracker.drives.models import Drive, Pledge
from tracker.extensions import db
from tracker.money.amounts import amount_problem
from tracker.money.conversion import NOT_CONVERTED, Converted, RateBook
from tracker.money.models import Currency
from tracker.money.value import Money, minor_units

PROGRESS_EVERY = 1_000
ERRORS_KEPT = 1_000  # a file of 100,000 bad rows is listed up to here, then counted
PREVIEW_ROWS = 10

# '1500', '1500.50', '1500,50', '1 500,50' (spaces, no-break or narrow no-break spaces
# between groups of three): one decimal mark at most, no thousands commas or dots.
AMOUNT = re.compile(r"([+-]?)(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:([.,])(\d+))?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Progress = Callable[[int], None]


class CheckedPledge(NamedTuple):
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
    text = cell_text(value)
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


class RowChecker:
    """Checks rows one by one against each other, the drive's references and the rates.

    With `emit`, each new pledge is handed over as it is found (the import's second
    reading); without, new pledges are only counted (the check, a dry run, a preview).
    """

    def __init__(self, drive: Drive, positions: dict[str, int], max_rows: int,
                 emit: Callable[[CheckedPledge], None] | None = None,
                 progress: Progress | None = None) -> None:
        self.positions = positions
        self.width = max(positions.values()) + 1
        self.known_currencies = {code: code for code in db.session.scalars(select(Currency.code))}
        self.existing = set(db.session.scalars(
            select(Pledge.external_reference).where(Pledge.drive_id == drive.id,
                                                    Pledge.external_reference.is_not(None))))
        self.today = today()
        self.currency = drive.currency
        self.rates = RateBook.into(drive.currency, until=self.today)
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
            if not any(cell_text(value) for value in values):
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
            text = cell_text(value)
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

        name = cell_text(values[positions["name"]]) if "name" in positions else ""
        if len(name) > MAX_NAME_LENGTH:
            reasons.append(_("The name is longer than %(limit)s characters.",
                             limit=MAX_NAME_LENGTH))
        email = cell_text(values[positions["email"]]) if "email" in positions else ""
        if email and (len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email)):
            reasons.append(_("“%(value)s” is not a valid e-mail address.", value=email[:80]))

        # The currency is read first (the amount's decimals depend on it) but its reason
        # is given after the amount's, in the order of the standard header.
        code = cell_text(values[positions["currency"]]).upper()
        known = self.known_currencies.get(code)
        places = minor_units(known) if known else None
        minor = self._amount(values[positions["amount"]], code, places, reasons)
        if not code:
            reasons.append(_("The currency is missing."))
        elif known is None:
            reasons.append(_("Unknown currency: “%(code)s”.", code=code[:10]))

        reference = cell_text(values[positions["reference"]])
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
            converted: Converted = NOT_CONVERTED
        else:
            self.new += 1
            converted = self.rates.converted(minor, known, self.currency,
                                             pledged_on)  # type: ignore[arg-type]
            if converted.minor is None:
                self.without_rate += 1
            if self.emit is not None:
                self.emit(CheckedPledge(number, pledged_on, name, email,  # type: ignore[arg-type]
                                        minor, known, reference, converted.minor,
                                        converted.rate, converted.rate_on))
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append(PreviewRow(
                number, pledged_on, name, email,  # type: ignore[arg-type]
                Money.from_minor(minor, known),  # type: ignore[arg-type]
                Money.from_minor(converted.minor, self.currency), reference, already))

    @staticmethod
    def _amount(value: Any, code: str, places: int | None, reasons: list[str]) -> int | None:
        """The amount in minor units of the currency, or None with the reason added."""
        parsed = parse_amount(value, places)
        if parsed.__class__ is str:
            reasons.append(parsed)  # type: ignore[arg-type]
            return None
        # The one amount check (money.amounts); trailing zeros ("1500.500") are no decimals.
        problem = amount_problem(parsed.normalize(),  # type: ignore[union-attr]
                                 code if places is not None else None)
        if problem:
            reasons.append(problem)
            return None
        if places is None:
            return None  # the currency's own reason is given next
        return int(parsed.scaleb(places))  # type: ignore[union-attr]
