"""What administrators see of the outbox, and the one thing they do to it: retry."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from tracker.db import utcnow
from tracker.errors import DomainError, found
from tracker.extensions import db
from tracker.jobs import enqueue
from tracker.mail.delivery import deliver
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.paging import Page, page_of

log = logging.getLogger(__name__)

PER_PAGE = 50


def status_counts() -> dict[MessageStatus, int]:
    """How many messages the outbox holds in each status (every status named, 0 included)."""
    counts = dict.fromkeys(MessageStatus, 0)
    for status, count in db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)):
        counts[status] = count
    return counts


def list_messages(status: MessageStatus | None, page: int) -> Page[OutboxMessage]:
    """A page of the outbox, newest first, in one status or all; past the end, the last one."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return page_of(query, page, PER_PAGE)


def get_message(message_id: int) -> OutboxMessage:
    """The outbox message with this id; NotFound if there is none."""
    return found(db.session.get(OutboxMessage, message_id))


def retry_message(message: OutboxMessage) -> None:
    """Give a failed message a fresh series of attempts, starting now (after the commit)."""
    if message.status is not MessageStatus.FAILED:
        raise DomainError(_("Only a failed message can be retried; this one is %(status)s.",
                            status=message.status.label))
    message.status, message.attempts, message.next_attempt_at = (
        MessageStatus.QUEUED, 0, utcnow())
    enqueue(deliver, message.id)
    log.info("Message %s to %s retried by an administrator", message.id, message.recipient)


def retry_failed() -> int:
    """Make every failed message due again for the next sweep; how many there were.

    No job per message: hundreds of them would all run after this request when there is
    no worker. The sweep (every minute) sends them, a bounded number at a time.
    """
    ids = list(db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.status == MessageStatus.FAILED)))
    if not ids:
        return 0
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids),
                                    OutboxMessage.status == MessageStatus.FAILED)
        .values(status=MessageStatus.QUEUED, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.expire_all()
    log.info("%s failed messages retried by an administrator", len(ids))
    return len(ids)
