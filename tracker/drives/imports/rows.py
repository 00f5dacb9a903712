"""Checking a pledge file's rows one by one, against each other, the drive and the rates."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from tracker.auth.services import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from tracker.csvfiles import RowError
from tracker.drives.imports.files import PAYMENT_FIELDS, PledgeImportError, restored_text
from tracker.drives.imports.paid import (
    NO_PAYMENTS,
    CheckedPayment,
    FilePledge,
    PaidFields,
    Settlement,
    read_anonymous,
    read_method,
    read_status,
    settlements,
)
from tracker.drives.inputs import MAX_NAME_LENGTH, MAX_REFERENCE_LENGTH, today
from tracker.drives.models import Channel, Drive, Pledge, PledgeStatus
from tracker.extensions import db
from tracker.i18n import format_money
from tracker.money.amounts import amount_problem
from tracker.money.conversion import NOT_CONVERTED, Converted, RateBook
from tracker.money.models import Currency
from tracker.money.value import Money, minor_units
from tracker.tabular import ISO_DATE, cell_text, parse_amount

PROGRESS_EVERY = 1_000
ERRORS_KEPT = 1_000  # a file of 100,000 bad rows is listed up to here, then counted
PREVIEW_ROWS = 10


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
    status: PledgeStatus = PledgeStatus.PLEDGED
    anonymous: bool = False


@dataclass(frozen=True)
class PreviewRow:
    """One of the first rows of a file as it was read, for the preview page.

    A further payment's row (`further`) has no pledge columns: its date, name and
    amount are None.
    """

    row: int
    pledged_on: date | None
    name: str
    email: str
    amount: Money | None
    drive_amount: Money | None
    reference: str
    already_imported: bool
    paid: Money | None = None
    paid_on: date | None = None
    method: Channel | None = None
    status: PledgeStatus | None = None
    further: bool = False
    is_anonymous: bool = False

    @property
    def anonymous(self) -> bool:
        return self.is_anonymous or not self.name


class RowChecker:
    """Checks rows one by one against each other, the drive's references and the rates.

    With `emit`, each new pledge is handed over as it is found (the import's second
    reading), and each new payment to `emit_payment`; without, they are only counted
    (the check, a dry run, a preview).
    """

    def __init__(self, drive: Drive, positions: dict[str, int], max_rows: int,
                 emit: Callable[[CheckedPledge], None] | None = None,
                 progress: Progress | None = None,
                 emit_payment: Callable[[CheckedPayment], None] | None = None) -> None:
        self.positions = positions
        self.width = max(positions.values()) + 1
        # The pledge's own columns, all required: their cells in C, once a row.
        self._pledge_cells = itemgetter(*(positions[name]
                                          for name in ("date", "amount", "currency")))
        self.payment_columns = any(name in positions for name in PAYMENT_FIELDS)
        self.known_currencies = {code: code for code in db.session.scalars(select(Currency.code))}
        self.existing = set(db.session.scalars(
            select(Pledge.external_reference).where(Pledge.drive_id == drive.id,
                                                    Pledge.external_reference.is_not(None))))
        self.today = today()
        self.currency = drive.currency
        self.rates = RateBook.into(drive.currency, until=self.today)
        # Read before the first row: on PostgreSQL the pledges' pipeline is open meanwhile,
        # and the connection runs nothing else until it ends.
        self._book: RateBook | None = None
        if "paid_amount" in positions:
            self._book = RateBook.load(self.known_currencies)
        self.max_rows = max_rows
        self.emit = emit
        self.emit_payment = emit_payment
        self.progress = progress
        self.pledges: dict[str, FilePledge] = {}
        self.dates: dict[Any, date | str] = {}  # each date text read once, one object per day
        self.errors: list[RowError] = []
        self.bad_rows = 0
        self.total_rows = 0
        self.skipped = 0
        self.new = 0
        self.payments = 0
        self.without_rate = 0
        self.preview: list[PreviewRow] = []

    @property
    def book(self) -> RateBook:
        """Every rate among the known currencies (one query), for payments and settling."""
        if self._book is None:
            self._book = RateBook.load(self.known_currencies)
        return self._book

    def settlements(self) -> Iterator[Settlement]:
        """How each new pledge that has payments in the file is settled.

        A generator: the book of every rate is read only if a pledge needs it (a file
        without payments, the usual one, never does: 43,000 rates read for nothing).
        """
        yield from settlements(self.pledges, self.book)

    def read(self, rows: Iterator[Sequence[Any]]) -> None:
        progress = self.progress
        for number, values in enumerate(rows, start=2):
            if not any(map(cell_text, values)):  # map: no generator frame per row
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
        """The date, or what is wrong with it ('missing', 'future', or the text read);
        cached by the text it was written as."""
        found = self.dates.get(value)
        if found is None:
            found = self._parse_date(value)
            if len(self.dates) < 10_000:
                self.dates[value] = found
        return found

    def _parse_date(self, value: Any) -> date | str:
        if isinstance(value, datetime):
            value = value.date()
        day: date | None
        if isinstance(value, date):
            day = value
        else:
            text = cell_text(value)
            if not text:
                return "missing"
            day = None
            if ISO_DATE.fullmatch(text):
                try:
                    day = date.fromisoformat(text)
                except ValueError:
                    day = None
            if day is None:
                return text[:40]
        if day > self.today:
            return "future:" + day.isoformat()
        return day

    def _pledge_date(self, value: Any, reasons: list[str]) -> date | None:
        found = self._date(value)
        if not isinstance(found, str):
            return found
        if found == "missing":
            reasons.append(_("The date is missing."))
        elif found.startswith("future:"):
            reasons.append(_("The date %(date)s is in the future.", date=found[7:]))
        else:
            reasons.append(_("“%(value)s” is not a date in the form YYYY-MM-DD.", value=found))
        return None

    def _payment_date(self, value: Any, default: date | None, reasons: list[str]) -> date | None:
        found = self._date(value)
        if not isinstance(found, str):
            return found
        if found == "missing":
            return default
        if found.startswith("future:"):
            reasons.append(_("The payment date %(date)s is in the future.", date=found[7:]))
        else:
            reasons.append(_("“%(value)s” is not a payment date in the form YYYY-MM-DD.",
                             value=found))
        return None

    def _cell(self, values: Sequence[Any], name: str) -> Any:
        position = self.positions.get(name)
        return None if position is None else values[position]

    def _is_further(self, values: Sequence[Any], reference: str) -> bool:
        """A row with the pledge's columns left empty: a further payment of an earlier pledge."""
        return bool(reference) and not any(map(cell_text, self._pledge_cells(values)))

    def _bad(self, number: int, reasons: list[str]) -> None:
        self.bad_rows += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(RowError(number, tuple(reasons)))

    def check(self, number: int, values: Sequence[Any]) -> None:
        reference = restored_text(values[self.positions["reference"]])
        if self._is_further(values, reference):
            self.check_further(number, values, reference)
            return
        positions = self.positions
        reasons: list[str] = []
        pledged_on = self._pledge_date(values[positions["date"]], reasons)

        name = restored_text(self._cell(values, "name"))
        if len(name) > MAX_NAME_LENGTH:
            reasons.append(_("The name is longer than %(limit)s characters.",
                             limit=MAX_NAME_LENGTH))
        email = restored_text(self._cell(values, "email"))
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

        pledge = FilePledge(number)
        if not reference:
            reasons.append(_("The reference is missing: every row needs one, so that importing "
                             "the file again adds nothing twice."))
        elif len(reference) > MAX_REFERENCE_LENGTH:
            reasons.append(_("The reference is longer than %(limit)s characters.",
                             limit=MAX_REFERENCE_LENGTH))
        elif reference in self.pledges:
            reasons.append(_("The reference %(reference)s is already on row %(other)s.",
                             reference=reference, other=self.pledges[reference].row))
        else:
            self.pledges[reference] = pledge
        # Optional columns, absent from the usual file: nothing to read then.
        status = (read_status(values[positions["status"]], reasons)
                  if "status" in positions else None)
        anonymous = (read_anonymous(values[positions["anonymous"]], reasons)
                     if "anonymous" in positions else False) or not name
        # A file without payment columns (the usual one) has no payment to read.
        paid = (self._paid(values, reasons, known, pledged_on, None)
                if self.payment_columns else None)

        if reasons or minor is None or known is None or pledged_on is None:
            self._bad(number, reasons)
            return
        pledge.valid = True
        pledge.currency, pledge.amount_minor, pledge.pledged_on = known, minor, pledged_on
        pledge.status, pledge.drive_currency = status, self.currency
        if self.bad_rows:
            return  # the file is refused anyway: convert nothing more
        already = reference in self.existing
        if already:
            self.skipped += 1
            converted: Converted = NOT_CONVERTED
        else:
            self.new += 1
            pledge.is_new = True
            converted = self.rates.converted(minor, known, self.currency, pledged_on)
            pledge.drive_minor, pledge.drive_rate = converted.minor, converted.rate
            if converted.minor is None:
                self.without_rate += 1
            if self.emit is not None:
                self.emit(CheckedPledge(number, pledged_on, name, email, minor, known, reference,
                                        converted.minor, converted.rate, converted.rate_on,
                                        status or PledgeStatus.PLEDGED, anonymous))
        problem = self._pay(number, reference, pledge, paid)
        if problem:
            self._bad(number, [problem])
            return
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append(PreviewRow(
                number, pledged_on, name, email, Money.from_minor(minor, known),
                Money.from_minor(converted.minor, self.currency), reference, already,
                paid=Money.from_minor(paid.minor, paid.currency) if paid else None,
                paid_on=paid.paid_on if paid else None, method=paid.method if paid else None,
                status=pledge.settled(self.book)[1] if pledge.sums else (
                    status or PledgeStatus.PLEDGED),
                is_anonymous=anonymous))

    def check_further(self, number: int, values: Sequence[Any], reference: str) -> None:
        """A row holding only a further payment of a pledge on an earlier row."""
        reasons: list[str] = []
        pledge = self.pledges.get(reference)
        if pledge is None:
            reasons.append(_("The reference %(reference)s is on no earlier row: a row with only "
                             "a payment follows the row of its pledge.", reference=reference))
        paid = self._paid(values, reasons, pledge.currency if pledge else None,
                          pledge.pledged_on if pledge else None, reference)
        if reasons or paid is None or pledge is None:
            self._bad(number, reasons or [_("The amount is missing.")])
            return
        if not pledge.valid or self.bad_rows:
            return  # the pledge's own row is refused: the file is
        problem = self._pay(number, reference, pledge, paid)
        if problem:
            self._bad(number, [problem])
            return
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append(PreviewRow(
                number, None, "", "", None, None, reference, not pledge.is_new,
                paid=Money.from_minor(paid.minor, paid.currency), paid_on=paid.paid_on,
                method=paid.method, further=True))

    def _paid(self, values: Sequence[Any], reasons: list[str], currency: str | None,
              pledged_on: date | None, further_of: str | None) -> PaidFields | None:
        """The row's payment as read, or None (none, or its reasons added)."""
        amount = self._cell(values, "paid_amount")
        code_text = cell_text(self._cell(values, "paid_currency")).upper()
        day, method = self._cell(values, "paid_on"), self._cell(values, "paid_method")
        if not cell_text(amount):
            if further_of is not None:
                reasons.append(_("The amount paid is missing on a further payment of "
                                 "%(reference)s.", reference=further_of))
            elif code_text or cell_text(day) or cell_text(method):
                reasons.append(_("The amount paid is missing, but the payment's other columns "
                                 "are filled."))
            return None
        code = code_text or currency
        known = self.known_currencies.get(code) if code else None
        own: list[str] = []
        minor = self._amount(amount, code or "", minor_units(known) if known else None, own)
        reasons.extend(_("Amount paid: %(problem)s", problem=problem) for problem in own)
        if code_text and known is None:
            reasons.append(_("Unknown currency of the payment: “%(code)s”.", code=code_text[:10]))
        paid_on = self._payment_date(day, pledged_on, reasons)
        chosen = read_method(method, reasons)
        if minor is None or known is None or paid_on is None:
            return None
        return PaidFields(minor, known, paid_on, chosen)

    def _pay(self, number: int, reference: str, pledge: FilePledge,
             paid: PaidFields | None) -> str | None:
        """Add a checked payment to its pledge; why it cannot be (too much, or no payments)."""
        if paid is None:
            return None
        if pledge.status in NO_PAYMENTS:
            return _("A pledge that is “%(status)s” takes no payments.",
                     status=pledge.status.label)
        pledge.add(paid)
        total, _status, _unconverted = pledge.settled(self.book)
        if total > pledge.amount_minor:
            return _("The payments on this pledge (%(paid)s) exceed the pledge (%(amount)s).",
                     paid=format_money(Money.from_minor(total, pledge.currency)),
                     amount=format_money(Money.from_minor(pledge.amount_minor,
                                                          pledge.currency)))
        if pledge.is_new:
            self.payments += 1
            if self.emit_payment is not None:
                book = self.book
                to_pledge = book.converted(paid.minor, paid.currency, pledge.currency,
                                           paid.paid_on)
                to_drive = book.converted(paid.minor, paid.currency, self.currency, paid.paid_on)
                self.emit_payment(CheckedPayment(
                    number, reference, pledge.currency, paid.minor, paid.currency,
                    paid.paid_on, paid.method,
                    to_pledge.minor, to_pledge.rate, to_pledge.rate_on,
                    to_drive.minor, to_drive.rate, to_drive.rate_on))
        return None

    @staticmethod
    def _amount(value: Any, code: str, places: int | None, reasons: list[str]) -> int | None:
        """The amount in minor units of the currency, or None with the reason added."""
        parsed = parse_amount(value, places)
        if isinstance(parsed, str):
            reasons.append(parsed)
            return None
        # The one amount check (money.amounts); trailing zeros ("1500.500") are no decimals.
        problem = amount_problem(parsed.normalize(),
                                 code if places is not None else None)
        if problem:
            reasons.append(problem)
            return None
        if places is None:
            return None  # the currency's own reason is given next
        return int(parsed.scaleb(places))
