"""Expenditures against a grant's coded lines: recording, converting, approving, returning.

An expenditure is converted into the grant's currency once, when it is recorded or
changed: at the bank's actual rate when one is given (source "bank"), else by the one
conversion rule (tracker.money.conversion: the rate of the expenditure's own date). The
line's and the grant's `spent_minor` move by the approved amount's delta, in the same
transaction, with an UPDATE that adds to the stored value (never a recount).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update

from tracker.auth.models import User
from tracker.db import utcnow
from tracker.extensions import db
from tracker.grants.errors import DuplicateDocument, SpendingRefused
from tracker.grants.models import (
    EXPENDITURE_MACHINE,
    Expenditure,
    ExpenditureStatus,
    Grant,
    GrantLine,
    GrantStatus,
)
from tracker.grants.receipts import ReceiptFile, store_receipt
from tracker.money.conversion import RateBook, RateMissing, apply_rate, convert, storable_rate
from tracker.money.value import Money

BANK_RATE_SOURCE = "bank"
MAX_DOCUMENT_LENGTH = 60
MAX_DESCRIPTION_LENGTH = 500
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class ExpenditureInput:
    """An expenditure as a partner records it (on the web or in an imported file)."""

    line_code: str
    partner_org_id: int
    spent_on: date
    amount: Money
    document_number: str = ""
    description: str = ""
    # The bank's actual rate: units of the grant's currency per unit of the amount's.
    bank_rate: Decimal | None = None


@dataclass(frozen=True)
class Preloaded:
    """What checking many expenditures of one grant reads once (an import of a file).

    `lines` by code and `book` (which converts exactly as the one rule does) stand for a
    look-up per row; the documents are checked by the importer itself, against those
    already recorded and the file's other rows.
    """

    lines: Mapping[str, GrantLine]
    book: RateBook


def preload(grant: Grant, currencies: Iterable[str]) -> Preloaded:
    """The grant's lines and every rate among these currencies (and the pivots)."""
    return Preloaded(lines={line.code: line for line in grant.lines},
                     book=RateBook.load({grant.currency, *currencies}))


@dataclass(frozen=True)
class GrantAmount:
    """An amount converted into the grant's currency, with the rate as stored."""

    minor: int
    rate: Decimal | None
    rate_on: date | None
    source: str


def in_grant_currency(grant: Grant, amount: Money, on: date,
                      bank_rate: Decimal | None = None,
                      book: RateBook | None = None) -> GrantAmount:
    """The amount in the grant's currency: the bank's rate if given, else the one rule
    (from `book` when given: it answers as `convert` does, without a query per amount)."""
    if amount.currency == grant.currency:
        return GrantAmount(amount.minor, None, None, "")
    if bank_rate is not None:
        if bank_rate <= 0:
            raise SpendingRefused(_("The bank's rate must be greater than zero."),
                                  field="bank_rate")
        rate = storable_rate(bank_rate)
        return GrantAmount(apply_rate(amount.amount, rate, grant.currency).minor, rate, on,
                           BANK_RATE_SOURCE)
    try:
        conversion = (convert(amount, grant.currency, on) if book is None
                      else book.convert(amount, grant.currency, on))
        if conversion is None:
            raise RateMissing(amount.currency, grant.currency, on)
    except RateMissing as missing:
        raise SpendingRefused(
            _("%(message)s Enter the bank's rate, or ask the coordinator to add the rate.",
              message=missing.message), field="bank_rate") from None
    return GrantAmount(conversion.converted.minor, storable_rate(conversion.rate),
                       conversion.rate_date, conversion.source[:200])


def find_line(grant: Grant, code: str, lines: Mapping[str, GrantLine] | None = None
              ) -> GrantLine:
    """The grant's line with this code (from `lines` when given), or a refusal naming it."""
    line = (lines.get(code.strip()) if lines is not None else db.session.scalar(
        select(GrantLine).where(GrantLine.grant_id == grant.id,
                                GrantLine.code == code.strip())))
    if line is None:
        raise SpendingRefused(_("The grant's budget has no line %(code)s.", code=code.strip()),
                              field="line_code")
    return line


def check_expenditure(grant: Grant, data: ExpenditureInput,
                      expenditure: Expenditure | None = None,
                      preloaded: Preloaded | None = None) -> GrantLine:
    """Every rule an expenditure must meet before it is written; its line if it does."""
    if grant.status is not GrantStatus.ACTIVE:
        raise SpendingRefused(_("The grant is closed: no more spending is recorded."))
    line = find_line(grant, data.line_code, preloaded.lines if preloaded else None)
    if data.partner_org_id != line.partner_org_id:
        raise SpendingRefused(_("Line %(code)s is spent by %(partner)s.", code=line.code,
                                partner=line.partner.name), field="partner_org_id")
    if not grant.starts_on <= data.spent_on <= grant.ends_on:
        raise SpendingRefused(_("The date must fall within the grant, from %(start)s to "
                                "%(end)s.", start=grant.starts_on.isoformat(),
                                end=grant.ends_on.isoformat()), field="spent_on")
    if data.amount.minor <= 0:
        raise SpendingRefused(_("The amount must be greater than zero."), field="amount")
    if len(data.document_number.strip()) > MAX_DOCUMENT_LENGTH:
        raise SpendingRefused(_("The document number is at most %(n)d characters.",
                                n=MAX_DOCUMENT_LENGTH), field="document_number")
    if len(data.description.strip()) > MAX_DESCRIPTION_LENGTH:
        raise SpendingRefused(_("The description is at most %(n)d characters.",
                                n=MAX_DESCRIPTION_LENGTH), field="description")
    document = data.document_number.strip()
    if document and preloaded is None:
        taken = db.session.scalar(select(Expenditure.id).where(
            Expenditure.grant_id == grant.id,
            Expenditure.partner_org_id == data.partner_org_id,
            Expenditure.document_number == document))
        if taken is not None and (expenditure is None or taken != expenditure.id):
            raise DuplicateDocument(_("Document %(number)s is already recorded for this "
                                      "partner.", number=document), field="document_number")
    return line


def _apply(expenditure: Expenditure, grant: Grant, line: GrantLine,
           data: ExpenditureInput, book: RateBook | None = None) -> None:
    converted = in_grant_currency(grant, data.amount, data.spent_on, data.bank_rate, book)
    expenditure.line = line
    expenditure.partner_org_id = data.partner_org_id
    expenditure.spent_on = data.spent_on
    expenditure.amount = data.amount
    expenditure.grant_currency = grant.currency
    expenditure.grant_amount_minor = converted.minor
    expenditure.rate = converted.rate
    expenditure.rate_on = converted.rate_on
    expenditure.rate_source = converted.source
    expenditure.document_number = data.document_number.strip()
    expenditure.description = data.description.strip()


def record_expenditure(grant: Grant, data: ExpenditureInput, *, by: User | None,
                       receipt: ReceiptFile | None = None,
                       preloaded: Preloaded | None = None) -> Expenditure:
    """Record an expenditure, waiting for the holder's approval."""
    line = check_expenditure(grant, data, preloaded=preloaded)
    expenditure = Expenditure(grant=grant, status=ExpenditureStatus.SUBMITTED,
                              recorded_by=by)
    _apply(expenditure, grant, line, data, preloaded.book if preloaded else None)
    db.session.add(expenditure)
    db.session.flush()
    if receipt is not None:
        store_receipt(expenditure, receipt)
        db.session.flush()
    return expenditure


def update_expenditure(expenditure: Expenditure, data: ExpenditureInput, *,
                       by: User | None, receipt: ReceiptFile | None = None) -> Expenditure:
    """Correct an expenditure not yet approved; a returned one is submitted again."""
    if expenditure.status not in (ExpenditureStatus.SUBMITTED, ExpenditureStatus.RETURNED):
        raise SpendingRefused(_("Only an expenditure waiting for approval or returned can be "
                                "changed."))
    line = check_expenditure(expenditure.grant, data, expenditure)
    _apply(expenditure, expenditure.grant, line, data)
    if receipt is not None:
        store_receipt(expenditure, receipt)
    if expenditure.status is ExpenditureStatus.RETURNED:
        EXPENDITURE_MACHINE.move(expenditure, ExpenditureStatus.SUBMITTED)
    db.session.flush()
    return expenditure


def _add_spent(expenditure: Expenditure, sign: int) -> None:
    """Move the line's and the grant's roll-ups by the approved amount (sign +1 or -1)."""
    delta = sign * expenditure.grant_amount_minor
    db.session.execute(update(GrantLine).where(GrantLine.id == expenditure.line_id)
                       .values(spent_minor=GrantLine.spent_minor + delta))
    db.session.execute(update(Grant).where(Grant.id == expenditure.grant_id)
                       .values(spent_minor=Grant.spent_minor + delta))


def approve_expenditure(expenditure: Expenditure, *, by: User | None) -> Expenditure:
    """Approve an expenditure: it counts against its line from now on."""
    EXPENDITURE_MACHINE.move(expenditure, ExpenditureStatus.APPROVED)
    expenditure.decided_by = by
    expenditure.decided_at = utcnow()
    expenditure.return_reason = ""
    db.session.flush()
    _add_spent(expenditure, +1)
    return expenditure


def return_expenditure(expenditure: Expenditure, reason: str, *,
                       by: User | None) -> Expenditure:
    """Return an expenditure to its partner with a reason (an approval is taken back)."""
    reason = reason.strip()
    if not reason:
        raise SpendingRefused(_("Say why the expenditure is returned."), field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise SpendingRefused(_("The reason is at most %(n)d characters.",
                                n=MAX_REASON_LENGTH), field="reason")
    was_approved = expenditure.status is ExpenditureStatus.APPROVED
    EXPENDITURE_MACHINE.move(expenditure, ExpenditureStatus.RETURNED)
    expenditure.return_reason = reason
    expenditure.decided_by = by
    expenditure.decided_at = utcnow()
    db.session.flush()
    if was_approved:
        _add_spent(expenditure, -1)
    return expenditure


def withdraw_expenditure(expenditure: Expenditure, *, by: User | None) -> Expenditure:
    """Withdraw an expenditure that was never approved (it stays in the history)."""
    EXPENDITURE_MACHINE.move(expenditure, ExpenditureStatus.WITHDRAWN)
    db.session.flush()
    return expenditure
