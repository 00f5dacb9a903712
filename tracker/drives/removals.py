"""Deleting a payment or a pledge recorded by mistake: what the drive's totals become first,
then the deletion with its reason, kept in the audit trail.

The figures a confirmation page shows are the real rule's, not a second copy of it: the
deletion is run inside a savepoint, the drive's totals computed from the rows as they
would be (drives.rollup.compute_drive_totals), and the savepoint rolled back. The reason
is written as a hand-made audit event beside the deletion the trail records by itself: a
payment's under its pledge, a pledge's under its drive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from tracker.audit.hooks import record_event
from tracker.audit.models import AuditAction
from tracker.audit.registry import event_type
from tracker.drives.inputs import MAX_REASON_LENGTH, checked_text
from tracker.drives.models import Drive, Payment, Pledge
from tracker.drives.payments import remove_payment
from tracker.drives.pledges import guard_conflicts
from tracker.drives.rollup import compute_drive_totals
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.value import Money

PAYMENT_REMOVAL = event_type("payment_removal", label=_l("Reason for the deletion"),
                             fields={"reason": _l("Reason")})
PLEDGE_REMOVAL = event_type("pledge_removal", label=_l("Reason for the deletion"),
                            fields={"reason": _l("Reason")})


@dataclass(frozen=True)
class TotalsChange:
    """A drive's received and pledged figures now, and what a change would make them."""

    received_before: Money
    received_after: Money
    pledged_before: Money
    pledged_after: Money


def _totals(drive: Drive) -> tuple[Money, Money]:
    row = compute_drive_totals(drive.id)
    return (Money.stored(row.received_minor, drive.currency),
            Money.stored(row.pledged_minor, drive.currency))


def _what_if(drive: Drive, change: Callable[[], Any]) -> TotalsChange:
    """The drive's totals before and after `change`, which is undone (a savepoint)."""
    received, pledged = _totals(drive)
    savepoint = db.session.begin_nested()
    try:
        change()
        received_after, pledged_after = _totals(drive)
    finally:
        savepoint.rollback()
    db.session.expire_all()  # what the rolled-back change loaded is not the truth
    return TotalsChange(received, received_after, pledged, pledged_after)


def required_reason(reason: str) -> str:
    """The reason for a deletion, which may not be empty."""
    reason = checked_text(reason, MAX_REASON_LENGTH, "reason")
    if not reason:
        raise DomainError(_("Say why, so that others understand later."), field="reason")
    return reason


def has_payments(pledge: Pledge) -> bool:
    """Whether any payment is recorded against the pledge."""
    return bool(db.session.scalar(select(exists().where(Payment.pledge_id == pledge.id))))


def _require_no_payments(pledge: Pledge) -> None:
    if has_payments(pledge):
        raise DomainError(_("This pledge has payments: remove each of them first, with its "
                            "reason."))


def payment_removal_preview(payment: Payment) -> TotalsChange:
    """What the drive's received and pledged would become without this payment."""
    drive = payment.pledge.drive
    return _what_if(drive, lambda: remove_payment(payment))


def pledge_deletion_preview(pledge: Pledge) -> TotalsChange:
    """What the drive's received and pledged would become without this pledge."""
    _require_no_payments(pledge)
    drive = pledge.drive

    def delete() -> None:
        db.session.delete(pledge)
        db.session.flush()

    return _what_if(drive, delete)


def remove_payment_with_reason(payment: Payment, reason: str) -> Pledge:
    """Remove a payment recorded by mistake, keeping why in the pledge's history."""
    reason = required_reason(reason)
    pledge = payment.pledge
    payment_id, amount, paid_on = payment.id, payment.amount, payment.paid_on
    pledge = remove_payment(payment)
    record_event(db.session(), action=AuditAction.DELETE, record_type=PAYMENT_REMOVAL,
                 record_id=str(payment_id), parent_type="pledge", parent_id=str(pledge.id),
                 summary=f"{amount} · {paid_on.isoformat()}",
                 changes={"reason": reason, "amount_minor": amount.minor,
                          "currency": amount.currency})
    return pledge


@guard_conflicts
def delete_pledge(pledge: Pledge, reason: str) -> Drive:
    """Delete a pledge logged by mistake (never one with payments), keeping why on its drive."""
    reason = required_reason(reason)
    _require_no_payments(pledge)
    drive = pledge.drive
    summary = " · ".join(part for part in (pledge.pledger_name, str(pledge.amount)) if part)
    record_event(db.session(), action=AuditAction.DELETE, record_type=PLEDGE_REMOVAL,
                 record_id=str(pledge.id), parent_type="drive", parent_id=str(drive.id),
                 summary=summary,
                 changes={"reason": reason, "amount_minor": pledge.amount_minor,
                          "currency": pledge.currency})
    db.session.delete(pledge)
    db.session.flush()
    return drive
