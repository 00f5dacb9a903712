"""A supporter's data: find it by e-mail, give it out as JSON, erase it; prune stale pledges.

A supporter is known to Tracker only through their pledges: the name, e-mail and message
of a pledge, the notes staff wrote on it and its payments. Erasing a supporter
anonymises those pledges: the personal fields are emptied and the pledge is marked
anonymous, while its money, status, dates and payments stay, so every drive's and
campaign's totals are unchanged. The rows are rewritten with plain SQL on the session's
connection rather than through the ORM, whose audit hooks would copy the values being
erased into the trail; one ERASE event per pledge names the fields erased, never their
values.

The audit trail itself is append-only and tamper-evident: its rows are never rewritten,
so the values that earlier events recorded (the e-mail a pledge was created with) stay
in it, as the record of who did what. History screens stop showing them once a pledge
is erased (tracker.audit.display), the export says so, and so does the README.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from tracker.audit.hooks import record_event
from tracker.audit.models import AuditAction, AuditEvent
from tracker.audit.registry import ERASED, event_type
from tracker.auth.services import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from tracker.changes import mark_drive_changed
from tracker.db import table_of, utcnow
from tracker.drives.models import Drive, Payment, Pledge, PledgeSource, PledgeStatus
from tracker.drives.privacy import PERSONAL_DATA, personal_data_id
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.mail.models import OutboxMessage
from tracker.money.value import Money

# The pledge's columns that hold the supporter's own data or what staff wrote about them.
ERASED_PLEDGE_FIELDS = ("pledger_name", "contact_email", "message", "note")
# Pledges nobody accepted, removed once older than UNCONFIRMED_PLEDGE_DAYS.
STALE_STATUSES = (PledgeStatus.UNCONFIRMED, PledgeStatus.REJECTED)
PLEDGE_RETENTION = event_type(
    "pledge_retention", label=_l("Unconfirmed public pledges removed"),
    fields={"pledges": _l("Pledges"), "older_than_days": _l("Older than (days)"),
            "payment_notes": _l("Notes of its payments")})
AUDIT_TRAIL_NOTE = (
    "Tracker's audit trail is append-only and tamper-evident: its entries are never "
    "changed or deleted, so earlier entries about these pledges (listed under "
    "audit_events) keep the values recorded at the time, including the e-mail address. "
    "Erasing the supporter anonymises the pledges themselves and hides those values on "
    "every screen; the trail keeps them as the record of who did what."
)


@dataclass(frozen=True)
class Erasure:
    """What erasing a supporter came to."""

    pledges: int
    payments: int


def checked_email(email: str) -> str:
    """The address a supporter is looked up by, trimmed and checked; DomainError if not one."""
    email = (email or "").strip()
    if not email:
        raise DomainError(_("Give the supporter's e-mail address."), field="email")
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise DomainError(_("Give a valid e-mail address, e.g. name@example.org."),
                          field="email")
    return email


def _matching(email: str) -> Any:
    # E-mail addresses are compared without case: Anna@Example.org is the same person.
    return func.lower(Pledge.contact_email) == checked_email(email).lower()


def supporter_pledges(email: str) -> list[Pledge]:
    """Every pledge given with this e-mail address, with its drive, oldest first."""
    return list(db.session.scalars(
        select(Pledge).options(joinedload(Pledge.drive).joinedload(Drive.campaign))
        .where(_matching(email)).order_by(Pledge.created_at, Pledge.id)))


def record_supporter_view(pledges: Sequence[Pledge], *, exported: bool = False) -> None:
    """Note in the audit trail that the current user saw (or exported) a supporter's data.

    The event names the pledges, never the address looked up: the trail must not become
    one more copy of what may have to be erased.
    """
    if not pledges:
        return
    ids = [pledge.id for pledge in pledges]
    record_event(db.session(), action=AuditAction.EXPORT if exported else AuditAction.VIEW,
                 record_type=PERSONAL_DATA, record_id=personal_data_id("supporter", ids[0]),
                 summary=f"#{ids[0]}",
                 changes={"supporters": 1, "shown_on": "supporter",
                          "pledge_ids": ", ".join(map(str, ids)),
                          **({"file": "json"} if exported else {})})


def _money(minor: int | None, currency: str | None) -> str | None:
    """An amount as exact text ('1500.00'), the way a person and a program both read it."""
    if minor is None or not currency:
        return None
    return str(Money.stored(minor, currency).amount)


def _pledge_data(pledge: Pledge) -> dict[str, Any]:
    return {
        "id": pledge.id,
        "drive": pledge.drive.slug,
        "pledger_name": pledge.pledger_name,
        "anonymous_on_public_page": pledge.is_anonymous,
        "contact_email": pledge.contact_email,
        "message": pledge.message,
        "note": pledge.note,
        "amount": _money(pledge.amount_minor, pledge.currency),
        "currency": pledge.currency,
        "pledged_on": pledge.pledged_on.isoformat(),
        "status": pledge.status.value,
        "status_reason": pledge.status_reason,
        "channel": pledge.channel.value,
        "source": pledge.source.value,
        "external_reference": pledge.external_reference,
        "paid": _money(pledge.paid_minor, pledge.currency),
        "created_at": pledge.created_at.isoformat(),
        "updated_at": pledge.updated_at.isoformat(),
        "payments": [{
            "id": payment.id,
            "amount": _money(payment.amount_minor, payment.currency),
            "currency": payment.currency,
            "paid_on": payment.paid_on.isoformat(),
            "method": payment.method.value,
            "reference": payment.reference,
            "note": payment.note,
        } for payment in pledge.payments],
    }


def _drive_data(drive: Drive) -> dict[str, Any]:
    return {"slug": drive.slug, "title_en": drive.title_en, "title_ru": drive.title_ru,
            "campaign": drive.campaign.slug, "organiser": drive.organiser.name_en}


def _events_about(pledges: Sequence[Pledge]) -> list[AuditEvent]:
    """The trail's events about these pledges and their payments, oldest first."""
    ids = [str(pledge.id) for pledge in pledges]
    if not ids:
        return []
    return list(db.session.scalars(
        select(AuditEvent).where(or_(
            and_(AuditEvent.record_type == "pledge", AuditEvent.record_id.in_(ids)),
            and_(AuditEvent.parent_type == "pledge", AuditEvent.parent_id.in_(ids))))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)))


def supporter_data(email: str) -> dict[str, Any]:
    """Everything Tracker holds about the supporter with this address, ready for json.dumps."""
    pledges = supporter_pledges(email)
    drives = {pledge.drive.id: pledge.drive for pledge in pledges}
    return {
        "email": checked_email(email),
        "exported_at": utcnow().isoformat(),
        "pledges": [_pledge_data(pledge) for pledge in pledges],
        "drives": [_drive_data(drive) for drive in drives.values()],
        "audit_events": [{
            "id": event.id,
            "occurred_at": event.occurred_at.isoformat(),
            "action": event.action.value,
            "record_type": event.record_type,
            "record_id": event.record_id,
            "by": event.actor_label,
            "changes": event.changes,
            "summary": event.summary,
        } for event in _events_about(pledges)],
        "messages": [{
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            "created_at": message.created_at.isoformat(),
            "kind": message.kind,
            "language": message.language,
            "subject": message.subject,
            "text": message.text_body,
        } for message in _messages_to(email)],
        "audit_trail_note": AUDIT_TRAIL_NOTE,
    }


def _messages_to(email: str) -> list[OutboxMessage]:
    """The e-mails Tracker wrote to this address (thanks, receipts, reminders), oldest first."""
    return list(db.session.scalars(
        select(OutboxMessage)
        .where(func.lower(OutboxMessage.recipient) == checked_email(email).lower())
        .order_by(OutboxMessage.id)))


def erase_supporter(email: str) -> Erasure:
    """Anonymise every pledge given with this address; money, statuses and totals stay.

    Raises DomainError when no pledge has the address (nothing to erase).
    """
    pledges = supporter_pledges(email)
    if not pledges:
        raise DomainError(_("No pledge was given with this e-mail address."), field="email")
    ids = [pledge.id for pledge in pledges]
    noted_payments = {payment.pledge_id for pledge in pledges for payment in pledge.payments
                      if payment.note}
    connection = db.session.connection()
    # Plain SQL on purpose (see the module docstring): the ORM's audit hooks would copy the
    # erased values into the trail. The version moves on, so an edit form still open on
    # one of these pledges is refused rather than writing the old values back.
    pledge_table, payment_table = table_of(Pledge), table_of(Payment)
    connection.execute(
        update(pledge_table).where(pledge_table.c.id.in_(ids))
        .values(pledger_name="", is_anonymous=True, contact_email="", message="", note="",
                version=pledge_table.c.version + 1, updated_at=utcnow()))
    payments = connection.execute(
        update(payment_table).where(payment_table.c.pledge_id.in_(ids),
                                    payment_table.c.note != "")
        .values(note="")).rowcount
    for pledge in pledges:
        erased = {name: ERASED for name in ERASED_PLEDGE_FIELDS if getattr(pledge, name)}
        if pledge.id in noted_payments:
            erased["payment_notes"] = ERASED
        record_event(db.session(), action=AuditAction.ERASE, record_type="pledge",
                     record_id=str(pledge.id), parent_type="drive",
                     parent_id=str(pledge.drive_id),
                     summary=f"{_money(pledge.amount_minor, pledge.currency)} {pledge.currency}",
                     changes=erased)
        mark_drive_changed(db.session(), pledge.drive_id)
    # The outbox keeps the address and what was written to it; a message still waiting is
    # not sent any more. Only the unsubscribe list keeps a hash of the address, so that an
    # erased supporter who unsubscribed stays unsubscribed.
    outbox = table_of(OutboxMessage)
    connection.execute(delete(outbox).where(
        func.lower(outbox.c.recipient) == checked_email(email).lower()))
    db.session.expire_all()  # the session's copies still hold the erased values
    return Erasure(pledges=len(ids), payments=payments or 0)


def prune_unconfirmed_pledges(older_than_days: int) -> int:
    """Remove public pledges nobody confirmed (unconfirmed or rejected) older than N days.

    Contact data no organiser accepted is not kept. Deleted with plain SQL (the ORM's
    audit hooks would copy each e-mail into the trail as the deleted row's last values);
    one event per drive says how many went. Returns how many pledges were removed.
    """
    if older_than_days < 1:
        raise DomainError(_("Keep unconfirmed pledges for at least one day."), field="days")
    cutoff = utcnow() - timedelta(days=older_than_days)
    table = table_of(Pledge)
    stale = and_(table.c.source == PledgeSource.PUBLIC_FORM,
                 table.c.status.in_(STALE_STATUSES),
                 table.c.created_at < cutoff,
                 ~exists().where(table_of(Payment).c.pledge_id == table.c.id))
    connection = db.session.connection()
    counts = connection.execute(
        select(table.c.drive_id, func.count()).where(stale).group_by(table.c.drive_id)).all()
    if not counts:
        return 0
    connection.execute(delete(table).where(stale))
    for drive_id, count in counts:
        record_event(db.session(), action=AuditAction.DELETE, record_type=PLEDGE_RETENTION,
                     record_id=str(drive_id), parent_type="drive", parent_id=str(drive_id),
                     summary=str(count),
                     changes={"pledges": int(count), "older_than_days": older_than_days})
        mark_drive_changed(db.session(), drive_id)
    db.session.expire_all()
    return sum(int(count) for _drive, count in counts)
