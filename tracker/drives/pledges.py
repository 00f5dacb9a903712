"""Pledges: logging, editing and closing them, public pledges, and settling one.

Settling a pledge follows the one conversion rule: its payments are summed in SQL
per currency and date, each sum converted into the pledge's currency at that date's
rate (money.conversion.add_converted); the payment-driven statuses follow the paid
amount along PLEDGE_MACHINE, and the unpaid rest is kept in the drive's currency.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import localcontext
from typing import ParamSpec, TypeVar

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker.auth.models import User
from tracker.db import utcnow
from tracker.drives.conversion import convert_payment, convert_pledge
from tracker.drives.errors import PledgeConflict, TooManyAwaiting, require_staff_pledgeable
from tracker.drives.inputs import (
    MAX_MESSAGE_LENGTH,
    MAX_REASON_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    PledgeInput,
    PublicPledgeInput,
    checked_pledger,
    checked_text,
    not_in_future,
    today,
)
from tracker.drives.messages import (
    notify_leads_of_public_pledge,
    receipt_if_paid,
    thank_supporter,
)
from tracker.drives.models import (
    PAYMENT_DRIVEN,
    PLEDGE_MACHINE,
    Channel,
    Drive,
    Payment,
    Pledge,
    PledgeSource,
    PledgeStatus,
)
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import LANGUAGES, format_money
from tracker.money.amounts import checked_money
from tracker.money.conversion import DatedSum, add_converted
from tracker.money.value import Money

P = ParamSpec("P")
R = TypeVar("R")


# --- settling: paid amount, status, unpaid rest ----------------------------------------


def move_pledge(pledge: Pledge, to: PledgeStatus) -> None:
    """Move a pledge along PLEDGE_MACHINE; staying where it is is no move."""
    if to != pledge.status:
        PLEDGE_MACHINE.move(pledge, to)


def status_from_payments(pledge: Pledge) -> PledgeStatus:
    """The payment-driven status the paid amount calls for."""
    if pledge.paid_minor <= 0:
        return PledgeStatus.PLEDGED
    if pledge.paid_minor >= pledge.amount_minor:
        return PledgeStatus.PAID
    return PledgeStatus.PARTLY_PAID


def unpaid_in_drive_currency(pledge: Pledge, payments_unconverted: bool) -> int | None:
    """The unpaid rest at the pledge's own rate; None when a rate (or a payment's) is missing."""
    if pledge.drive_rate is None or pledge.drive_amount_minor is None or payments_unconverted:
        return None
    unpaid = max(0, pledge.amount_minor - pledge.paid_minor)
    if unpaid == pledge.amount_minor:
        return pledge.drive_amount_minor
    rest = Money.from_minor(unpaid, pledge.currency)
    with localcontext() as ctx:
        ctx.prec = 50
        # Type check: the caller has checked that the pledge has a rate.
        return Money.rounded(rest.amount * pledge.drive_rate,  # type: ignore[union-attr]
                             pledge.drive_amount_currency).minor


def settle_pledge(pledge: Pledge) -> None:
    """Sum the payments in SQL, move a payment-driven status to match, keep the unpaid rest."""
    db.session.flush()
    sums = [DatedSum(currency, on, int(minor), int(count)) for currency, on, minor, count in
            db.session.execute(
                select(Payment.currency, Payment.paid_on, func.sum(Payment.amount_minor),
                       func.count())
                .where(Payment.pledge_id == pledge.id)
                .group_by(Payment.currency, Payment.paid_on))]
    paid = add_converted(sums, pledge.currency)
    pledge.paid_minor = paid.money.minor
    if pledge.status in PAYMENT_DRIVEN:
        move_pledge(pledge, status_from_payments(pledge))
    pledge.unpaid_drive_minor = unpaid_in_drive_currency(pledge, paid.unconverted > 0)
    db.session.flush()  # constraints now, in the service; the drive's totals follow at commit


# --- conflicts between two people's edits ----------------------------------------------


def guard_conflicts(service: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLAlchemy's StaleDataError (a version that moved on) into PledgeConflict."""

    @functools.wraps(service)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except StaleDataError:
            raise PledgeConflict() from None

    return guarded


def check_version(pledge: Pledge, version: int | None) -> None:
    """Refuse with PledgeConflict when the pledge moved on since the form was loaded."""
    if version is not None and version != pledge.version:
        raise PledgeConflict()


# --- staff pledges ---------------------------------------------------------------------


@dataclass(frozen=True)
class _PledgeFields:
    amount: Money
    pledger_name: str
    is_anonymous: bool
    contact_email: str
    external_reference: str | None


def _reference_taken(reference: str | None) -> DomainError:
    return DomainError(_("A pledge with the reference %(reference)s is already recorded for "
                         "this drive.", reference=reference), field="external_reference")


def _validate_pledge(drive: Drive, data: PledgeInput, current: Pledge | None) -> _PledgeFields:
    amount = checked_money(data.amount, data.currency)
    not_in_future(data.pledged_on, "pledged_on")
    name, anonymous, email = checked_pledger(data.pledger_name, data.is_anonymous,
                                             data.contact_email)
    checked_text(data.note, MAX_TEXT_LENGTH, "note")
    reference = (checked_text(data.external_reference, MAX_REFERENCE_LENGTH,
                              "external_reference") or None)
    # A new pledge is not looked up first: its insert finds a taken reference by itself
    # (_flush_new_pledge), and one statement fewer is run on every pledge logged.
    if reference is not None and current is not None:
        clash = _pledge_with_reference(drive.id, reference)
        if clash is not None and clash != current.id:
            raise _reference_taken(reference)
    return _PledgeFields(amount, name, anonymous, email, reference)


def _pledge_with_reference(drive_id: int, reference: str) -> int | None:
    return db.session.scalar(select(Pledge.id).where(
        Pledge.drive_id == drive_id, Pledge.external_reference == reference))


def settle_new_pledge(pledge: Pledge) -> None:
    """settle_pledge for a pledge not yet inserted: nothing is paid, so nothing is summed;
    the whole amount is unpaid, in the drive's currency at the pledge's own rate."""
    pledge.paid_minor = 0
    pledge.unpaid_drive_minor = unpaid_in_drive_currency(pledge, payments_unconverted=False)


def _flush_new_pledge(pledge: Pledge) -> None:
    """Insert a pledge; a reference the drive holds already is a clear refusal.

    A savepoint undoes this insert only; the caller rolls back after the refusal, as
    after any DomainError. The reference's unique index finds the clash (stored before,
    or by someone else meanwhile); only then is the pledge holding it looked up, so that
    an insert refused for another reason is not reported as a taken reference. Without a
    reference no such clash can happen (and a savepoint costs two statements), so the
    pledge is simply flushed.
    """
    reference = pledge.external_reference
    if reference is None:
        db.session.add(pledge)
        db.session.flush()
        return
    try:
        with db.session.begin_nested():
            db.session.add(pledge)
    except IntegrityError:
        if _pledge_with_reference(pledge.drive_id, reference) is None:
            raise
        raise _reference_taken(reference) from None


def log_pledge(drive: Drive, data: PledgeInput, *, by: User | None) -> Pledge:
    """Record a pledge that staff took (by phone, at an event, by transfer) to a drive."""
    require_staff_pledgeable(drive)
    fields = _validate_pledge(drive, data, None)
    pledge = Pledge(
        drive_id=drive.id, amount=fields.amount, pledged_on=data.pledged_on,
        pledger_name=fields.pledger_name, is_anonymous=fields.is_anonymous,
        contact_email=fields.contact_email, channel=data.channel,
        external_reference=fields.external_reference, note=data.note.strip(),
        source=PledgeSource.STAFF, status=PledgeStatus.PLEDGED,
        logged_by_id=by.id if by is not None else None, paid_minor=0,
    )
    convert_pledge(pledge, drive)
    settle_new_pledge(pledge)
    _flush_new_pledge(pledge)
    return pledge


@guard_conflicts
def update_pledge(pledge: Pledge, data: PledgeInput) -> Pledge:
    """Change a pledge; refuse with PledgeConflict when it changed since the form was loaded."""
    check_version(pledge, data.version)
    status_before = pledge.status
    drive = pledge.drive
    fields = _validate_pledge(drive, data, pledge)
    currency_changed = fields.amount.currency != pledge.currency
    pledge.amount = fields.amount
    pledge.pledged_on = data.pledged_on
    pledge.pledger_name, pledge.is_anonymous = fields.pledger_name, fields.is_anonymous
    pledge.contact_email = fields.contact_email
    pledge.channel = data.channel
    pledge.external_reference = fields.external_reference
    pledge.note = data.note.strip()
    convert_pledge(pledge, drive)
    if currency_changed:
        for payment in pledge.payments:
            convert_payment(payment, pledge, drive)
    settle_pledge(pledge)
    if pledge.paid_minor > pledge.amount_minor:
        # Payments cannot overshoot their pledge, from either side (drives.payments).
        raise DomainError(_("The pledge cannot be less than the %(paid)s already paid.",
                            paid=format_money(pledge.paid)), field="amount")
    receipt_if_paid(pledge, status_before)
    return pledge


def _reason(reason: str, required: bool) -> str:
    reason = checked_text(reason, MAX_REASON_LENGTH, "reason")
    if required and not reason:
        raise DomainError(_("Say why, so that others understand later."), field="reason")
    return reason


def _set_by_person(pledge: Pledge, to: PledgeStatus, reason: str, version: int | None) -> Pledge:
    check_version(pledge, version)
    move_pledge(pledge, to)
    pledge.status_reason = reason
    settle_pledge(pledge)
    return pledge


@guard_conflicts
def confirm_pledge(pledge: Pledge, version: int | None = None) -> Pledge:
    """Accept a pledge made on the public page: it counts as pledged; its supporter is thanked."""
    pledge.confirmed_at = utcnow()  # written with the move, in one update
    _set_by_person(pledge, PledgeStatus.PLEDGED, "", version)
    thank_supporter(pledge)
    return pledge


@guard_conflicts
def reject_pledge(pledge: Pledge, reason: str = "", version: int | None = None) -> Pledge:
    """Refuse a pledge made on the public page (spam, a duplicate, a mistake)."""
    return _set_by_person(pledge, PledgeStatus.REJECTED, _reason(reason, False), version)


@guard_conflicts
def cancel_pledge(pledge: Pledge, reason: str, version: int | None = None) -> Pledge:
    """Cancel an open pledge (the pledger withdrew it); a reason is required."""
    return _set_by_person(pledge, PledgeStatus.CANCELLED, _reason(reason, True), version)


@guard_conflicts
def write_off_pledge(pledge: Pledge, reason: str, version: int | None = None) -> Pledge:
    """Give up the unpaid rest of an open pledge; what was paid stays received."""
    return _set_by_person(pledge, PledgeStatus.WRITTEN_OFF, _reason(reason, True), version)


# Most pledges one call rejects: a page of those awaiting confirmation, with room to spare.
MAX_BULK_REJECT = 200


@dataclass(frozen=True)
class BulkRejection:
    """What rejecting several public pledges came to."""

    rejected: int
    skipped: int  # no longer awaiting confirmation: someone confirmed or rejected it meanwhile


@guard_conflicts
def reject_awaiting(drive: Drive, pledge_ids: Sequence[int], reason: str = "") -> BulkRejection:
    """Reject several public pledges of a drive at once (a flood of spam), in one transaction.

    Each pledge moves along PLEDGE_MACHINE like a single rejection, so each one's history
    says who rejected it and why, and the drive's roll-up follows at commit. Pledges of
    other drives are ignored; those no longer awaiting confirmation are skipped.
    """
    wanted = sorted(set(pledge_ids))
    if not wanted:
        raise DomainError(_("Select the pledges to reject."), field="pledge_ids")
    if len(wanted) > MAX_BULK_REJECT:
        raise DomainError(_("Reject at most %(num)d pledges at once.", num=MAX_BULK_REJECT),
                          field="pledge_ids")
    reason = _reason(reason, False)
    pledges = list(db.session.scalars(
        select(Pledge).where(Pledge.drive_id == drive.id, Pledge.id.in_(wanted),
                             Pledge.status == PledgeStatus.UNCONFIRMED)
        .order_by(Pledge.id)))
    for pledge in pledges:
        move_pledge(pledge, PledgeStatus.REJECTED)
        pledge.status_reason = reason
    db.session.flush()
    return BulkRejection(rejected=len(pledges), skipped=len(wanted) - len(pledges))


# --- public pledges --------------------------------------------------------------------


def awaiting_from_last_hour(drive: Drive) -> int:
    """How many public pledges of the drive from the last hour still await confirmation."""
    return db.session.scalar(
        select(func.count()).select_from(Pledge)
        .where(Pledge.drive_id == drive.id, Pledge.status == PledgeStatus.UNCONFIRMED,
               Pledge.source == PledgeSource.PUBLIC_FORM,
               Pledge.created_at >= utcnow() - timedelta(hours=1))) or 0


def submit_public_pledge(drive: Drive, data: PublicPledgeInput, *,
                         hourly_ceiling: int | None = None) -> Pledge | None:
    """Record a pledge from the public page, awaiting a lead's confirmation.

    A filled honeypot (`trap`) is a robot: nothing is written and None is returned, and
    the visitor sees the same thank-you page as everyone else. With `hourly_ceiling`, a
    drive already holding that many unconfirmed public pledges from the last hour refuses
    the pledge (TooManyAwaiting): a flood from many addresses stops there, whatever each
    address's own limit, and the organisers' list stays one they can work through.
    """
    if not drive.accepts_public_pledges:
        raise DomainError(_("This drive does not take pledges at the moment."))
    if data.trap.strip():
        return None
    if hourly_ceiling is not None and awaiting_from_last_hour(drive) >= hourly_ceiling:
        raise TooManyAwaiting()
    amount = checked_money(data.amount, data.currency)
    name, anonymous, email = checked_pledger(data.pledger_name, data.is_anonymous,
                                             data.contact_email, email_required=True)
    message = checked_text(data.message, MAX_MESSAGE_LENGTH, "message")
    pledge = Pledge(
        drive_id=drive.id, amount=amount, pledged_on=today(), pledger_name=name,
        is_anonymous=anonymous, contact_email=email, message=message,
        source=PledgeSource.PUBLIC_FORM, status=PledgeStatus.UNCONFIRMED,
        channel=Channel.OTHER, logged_by_id=None, paid_minor=0,
        language=data.language if data.language in LANGUAGES else None,
    )
    convert_pledge(pledge, drive)
    settle_new_pledge(pledge)
    db.session.add(pledge)
    db.session.flush()
    notify_leads_of_public_pledge(pledge)
    return pledge
