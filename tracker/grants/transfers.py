"""Tranches from the holder to its sub-grantees: planned, then sent, and each balance.

A tranche's amount is in the grant's currency. What reached the partner may be in its own
currency: when both amounts are given, the rate kept is the bank's (received ÷ sent, to 28
significant digits); when only the currency is given, the amount received is converted by
the one conversion rule at the rate of the day it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from flask_babel import gettext as _
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.grants.errors import TransferRefused
from tracker.grants.models import Grant, Transfer, TransferStatus
from tracker.grants.spending import BANK_RATE_SOURCE
from tracker.money.conversion import RateMissing, convert, storable_rate
from tracker.money.value import Money

MAX_NOTE_LENGTH = 500


@dataclass(frozen=True)
class TransferInput:
    """A tranche as the holder's staff plan or record it."""

    partner_org_id: int
    planned_on: date
    amount: Money
    sent_on: date | None = None
    received: Money | None = None
    received_currency: str | None = None
    note: str = ""
    tranche: int | None = None


def _next_tranche(grant: Grant, partner_org_id: int) -> int:
    latest = db.session.scalar(select(func.max(Transfer.tranche)).where(
        Transfer.grant_id == grant.id, Transfer.partner_org_id == partner_org_id))
    return (latest or 0) + 1


def _check(grant: Grant, data: TransferInput) -> None:
    if data.partner_org_id not in {partner.organization_id for partner in grant.partners}:
        raise TransferRefused(_("Tranches go to the grant's sub-grantees."),
                              field="partner_org_id")
    if data.amount.currency != grant.currency:
        raise TransferRefused(_("A tranche is entered in the grant's currency, %(code)s.",
                                code=grant.currency), field="amount")
    if data.amount.minor <= 0:
        raise TransferRefused(_("The amount must be greater than zero."), field="amount")
    if data.received is not None and data.received.minor <= 0:
        raise TransferRefused(_("The amount received must be greater than zero."),
                              field="received")
    if (data.received is not None or data.received_currency) and data.sent_on is None:
        raise TransferRefused(_("Give the date it was sent with what was received."),
                              field="sent_on")
    if len(data.note.strip()) > MAX_NOTE_LENGTH:
        raise TransferRefused(_("The note is at most %(n)d characters.", n=MAX_NOTE_LENGTH),
                              field="note")


def _apply(transfer: Transfer, grant: Grant, data: TransferInput) -> None:
    transfer.partner_org_id = data.partner_org_id
    transfer.planned_on = data.planned_on
    transfer.amount = data.amount
    transfer.sent_on = data.sent_on
    transfer.status = TransferStatus.SENT if data.sent_on else TransferStatus.PLANNED
    transfer.note = data.note.strip()
    transfer.received_minor = transfer.received_currency = None
    transfer.rate = transfer.rate_on = None
    transfer.rate_source = ""
    if data.sent_on is None:
        return
    if data.received is not None:
        transfer.received_minor = data.received.minor
        transfer.received_currency = data.received.currency
        if data.received.currency != grant.currency:
            transfer.rate = rate_of(data.received.amount, data.amount.amount)
            transfer.rate_on = data.sent_on
            transfer.rate_source = BANK_RATE_SOURCE
    elif data.received_currency and data.received_currency != grant.currency:
        try:
            conversion = convert(data.amount, data.received_currency, data.sent_on)
        except RateMissing as missing:
            raise TransferRefused(_("%(message)s Enter the amount received.",
                                    message=missing.message), field="received") from None
        transfer.received_minor = conversion.converted.minor
        transfer.received_currency = data.received_currency
        transfer.rate = storable_rate(conversion.rate)
        transfer.rate_on = conversion.rate_date
        transfer.rate_source = conversion.source[:200]


def record_transfer(grant: Grant, data: TransferInput) -> Transfer:
    """Plan a tranche to a partner, or record one already sent."""
    _check(grant, data)
    tranche = data.tranche or _next_tranche(grant, data.partner_org_id)
    if db.session.scalar(select(Transfer.id).where(
            Transfer.grant_id == grant.id, Transfer.partner_org_id == data.partner_org_id,
            Transfer.tranche == tranche)) is not None:
        raise TransferRefused(_("This partner already has tranche %(n)d.", n=tranche),
                              field="tranche")
    transfer = Transfer(grant=grant, tranche=tranche)
    _apply(transfer, grant, data)
    db.session.add(transfer)
    db.session.flush()
    return transfer


def update_transfer(transfer: Transfer, data: TransferInput) -> Transfer:
    """Change a tranche: its plan, or record that it was sent and what arrived."""
    _check(transfer.grant, data)
    _apply(transfer, transfer.grant, data)
    db.session.flush()
    return transfer


def remove_transfer(transfer: Transfer) -> None:
    """Remove a planned tranche (a sent one is corrected, never removed)."""
    if transfer.status is TransferStatus.SENT:
        raise TransferRefused(_("A tranche that was sent cannot be removed; correct it."))
    db.session.delete(transfer)
    db.session.flush()


def rate_of(received: Decimal, sent: Decimal) -> Decimal:
    """The bank's rate of a tranche: units received per unit sent."""
    with localcontext() as ctx:
        ctx.prec = 40
        return storable_rate(received / sent)


def list_transfers(grant: Grant, partner_org_id: int | None = None) -> list[Transfer]:
    """The grant's tranches by partner and number (only one organisation's when named)."""
    query = select(Transfer).where(Transfer.grant_id == grant.id)
    if partner_org_id is not None:
        query = query.where(Transfer.partner_org_id == partner_org_id)
    return list(db.session.scalars(query.order_by(Transfer.partner_org_id, Transfer.tranche)))
