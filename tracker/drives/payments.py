"""Payments against pledges: recording one and removing one recorded by mistake."""

from __future__ import annotations

from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.drives.conversion import convert_payment
from tracker.drives.errors import PaymentRefused
from tracker.drives.inputs import (
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    PaymentInput,
    checked_text,
    not_in_future,
)
from tracker.drives.models import Payment, Pledge
from tracker.drives.pledges import guard_conflicts, settle_pledge
from tracker.extensions import db
from tracker.money.amounts import checked_money


@guard_conflicts
def record_payment(pledge: Pledge, data: PaymentInput, *, by: User | None) -> Payment:
    """Record money received against a pledge; its paid amount and status follow."""
    if not pledge.payable:
        raise PaymentRefused(_("Payments cannot be recorded on this pledge: it is “%(status)s”.",
                               status=pledge.status.label))
    amount = checked_money(data.amount, data.currency)
    not_in_future(data.paid_on, "paid_on")
    payment = Payment(
        pledge_id=pledge.id, amount=amount, paid_on=data.paid_on, method=data.method,
        reference=checked_text(data.reference, MAX_REFERENCE_LENGTH, "reference"),
        note=checked_text(data.note, MAX_TEXT_LENGTH, "note"),
        logged_by_id=by.id if by is not None else None,
    )
    convert_payment(payment, pledge, pledge.drive)
    db.session.add(payment)
    db.session.flush()
    db.session.expire(pledge, ["payments"])
    settle_pledge(pledge)
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
