"""Payments against pledges: recording one (never more than is unpaid, unless the supporter
gave more) and removing one recorded by mistake.

The overshoot rule: a payment is compared with the pledge's unpaid rest in the pledge's
currency, converted by the one rule (drives.conversion, at the rate of the payment's
date). A larger payment is refused, naming the unpaid rest, unless the person states that
the supporter gave more and says why: the pledge is then raised to what was paid, in the
same transaction, and the reason is kept on the payment (both show in the pledge's
history). A payment with no rate into the pledge's currency cannot be compared: it is
recorded, as money that came in, but counts towards nothing until its rate exists (the
pledge and drive pages name the missing rate), so it cannot make a pledge look paid.

A payment's drive is its pledge's drive: `payment.drive_id` is stored so that a drive's
received sums read one index instead of joining every payment of the day to its pledge
(issue 15). payments_follow_their_pledges keeps it so for every write through the ORM (a
new payment, a pledge moved to another drive); the bulk writers, which bypass the ORM,
write the drive they write the pledges to.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from tracker.auth.models import User
from tracker.drives.conversion import convert_payment, convert_pledge
from tracker.drives.errors import PaymentRefused
from tracker.drives.inputs import (
    MAX_REASON_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    PaymentInput,
    checked_text,
    not_in_future,
)
from tracker.drives.messages import receipt_if_paid
from tracker.drives.models import Payment, Pledge
from tracker.drives.pledges import guard_conflicts, settle_pledge
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import format_money
from tracker.money.amounts import checked_money
from tracker.money.value import Money


class Overpayment(DomainError):
    """The payment is more than the pledge's unpaid rest; no one said the supporter gave more."""

    def __init__(self, unpaid: Money) -> None:
        super().__init__(_(
            "This is more than the %(unpaid)s still unpaid on the pledge. If the supporter "
            "gave more, tick “The supporter gave more” and say why: the pledge is then raised "
            "to what was paid.", unpaid=format_money(unpaid)), field="amount")


def _gave_more_reason(data: PaymentInput) -> str:
    reason = checked_text(data.gave_more_reason, MAX_REASON_LENGTH, "gave_more_reason")
    if data.gave_more and not reason:
        raise DomainError(_("Say why the supporter gave more than pledged."),
                          field="gave_more_reason")
    return reason


def _no_overshoot(pledge: Pledge, payment: Payment, unpaid_before: Money, gave_more: bool,
                  reason: str) -> None:
    """After settling: refuse a paid amount above the pledge, or raise the pledge to it.

    It compares the paid amount as settle_pledge sums it (the one conversion rule, by
    currency and date), so that a raised pledge is exactly paid, to the minor unit.
    """
    if pledge.paid_minor <= pledge.amount_minor:
        return
    if not gave_more:
        raise Overpayment(unpaid_before)
    payment.gave_more_reason = reason  # already set, unless only the sum's rounding overshot
    pledge.amount_minor = pledge.paid_minor
    convert_pledge(pledge, pledge.drive)
    settle_pledge(pledge)


@guard_conflicts
def record_payment(pledge: Pledge, data: PaymentInput, *, by: User | None) -> Payment:
    """Record money received against a pledge, never beyond it unless the supporter gave more."""
    if not pledge.payable:
        raise PaymentRefused(_("Payments cannot be recorded on this pledge: it is “%(status)s”.",
                               status=pledge.status.label))
    amount = checked_money(data.amount, data.currency)
    not_in_future(data.paid_on, "paid_on")
    reason = _gave_more_reason(data)
    unpaid_before, status_before = pledge.outstanding, pledge.status
    payment = Payment(
        pledge_id=pledge.id, amount=amount, paid_on=data.paid_on, method=data.method,
        reference=checked_text(data.reference, MAX_REFERENCE_LENGTH, "reference"),
        note=checked_text(data.note, MAX_TEXT_LENGTH, "note"),
        logged_by_id=by.id if by is not None else None,
    )
    convert_payment(payment, pledge, pledge.drive)
    towards = payment.pledge_amount_minor
    if data.gave_more and towards is not None and towards > unpaid_before.minor:
        payment.gave_more_reason = reason  # on the new row, rather than an update after it
    db.session.add(payment)
    db.session.flush()
    db.session.expire(pledge, ["payments"])
    settle_pledge(pledge)
    _no_overshoot(pledge, payment, unpaid_before, data.gave_more, reason)
    receipt_if_paid(pledge, status_before)  # after any raise: the receipt shows the final sums
    return payment


@guard_conflicts
def remove_payment(payment: Payment) -> Pledge:
    """Remove a payment recorded by mistake; the pledge's paid amount and status follow."""
    pledge = payment.pledge
    db.session.delete(payment)
    db.session.flush()
    db.session.expire(pledge, ["payments"])
    settle_pledge(pledge)
    return pledge


def payments_follow_their_pledges(session: Session, _context: Any = None,
                                  _instances: Any = None) -> None:
    """Before a flush: a new payment, and every payment of a pledge moved to another
    drive, take their pledge's drive (the one place of that rule for the ORM)."""
    with session.no_autoflush:
        for instance in (*session.new, *session.dirty):
            if isinstance(instance, Payment) and instance in session.new:
                # A pending payment does not load its pledge: the identity map has it.
                pledge = instance.pledge or (session.get(Pledge, instance.pledge_id)
                                             if instance.pledge_id is not None else None)
                if pledge is not None:
                    _follow(instance, pledge)
            elif isinstance(instance, Pledge) and instance not in session.new:
                attrs = inspect(instance).attrs
                if attrs.drive_id.history.has_changes() or attrs.drive.history.has_changes():
                    for payment in instance.payments:
                        _follow(payment, instance)


def _follow(payment: Payment, pledge: Pledge) -> None:
    if inspect(pledge).attrs.drive.history.has_changes():
        payment.drive = pledge.drive  # set through the relationship: its id comes at the flush
    elif payment.drive_id != pledge.drive_id:
        payment.drive_id = pledge.drive_id
