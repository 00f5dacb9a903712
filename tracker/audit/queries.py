"""Reading the audit trail: a record's history and the filtered list, a page at a time.

Nothing here writes or changes an event: the trail is written only by the ORM hooks
(tracker/audit/hooks.py) and is append-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, union_all
from sqlalchemy import select as sql_select

from tracker.audit.display import record_type_label
from tracker.audit.models import AuditEvent
from tracker.audit.paging import EventPage
from tracker.audit.registry import registered_specs
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.paging import last_page, page_of

PER_PAGE = 50
HISTORY_PER_PAGE = 20
# A History section counts at most this many events of each kind; beyond it, "next" goes on.
HISTORY_COUNT_CAP = 2000


@dataclass(frozen=True)
class EventFilter:
    """What the audit screen and the export narrow the trail down to."""

    actor_id: int | None = None
    without_user: bool = False  # only changes by the system, the command line or visitors
    record_type: str | None = None
    record_id: str | None = None  # with record_type: one record, and its children
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def events_where(filters: EventFilter) -> Select[AuditEvent]:
    """The events matching the filters (dates are whole UTC days, both ends included)."""
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise DomainError(_("The end date cannot be before the start date."), field="date_to")
    query = sql_select(AuditEvent)
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    elif filters.without_user:
        query = query.where(AuditEvent.actor_id.is_(None))
    if filters.record_type and filters.record_id is not None:
        query = query.where(_record_or_children(filters.record_type, filters.record_id))
    elif filters.record_type:
        query = query.where(AuditEvent.record_type == filters.record_type)
    if filters.date_from:
        query = query.where(AuditEvent.occurred_at >= _start_of(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEvent.occurred_at < _start_of(filters.date_to + timedelta(1)))
    return query


def _record_or_children(record_type: str, record_id: str, include_children: bool = True) -> Any:
    own = and_(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
    if not include_children:
        return own
    children = and_(AuditEvent.parent_type == record_type, AuditEvent.parent_id == record_id)
    return or_(own, children)


def newest_first(query: Select[AuditEvent]) -> Select[AuditEvent]:
    """The query ordered newest event first (the order of every screen and the export)."""
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def _page(query: Select[AuditEvent], page: int, per_page: int) -> EventPage:
    """Count in SQL, then fetch one page newest first; a page past the end shows the last one."""
    return page_of(newest_first(query), page, per_page)


def history_for(record_type: str, record_id: str | int, include_children: bool = True,
                page: int = 1, per_page: int = HISTORY_PER_PAGE) -> EventPage:
    """A record's events, newest first; with its children's (a campaign's partners) by default.

    A drive with a hundred thousand pledges has as many child events: its own events and
    its children's are each read newest first through their index, at most as many as
    the page needs, and merged; the count stops at HISTORY_COUNT_CAP.
    """
    record_id = str(record_id)
    own = and_(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
    if not include_children:
        return _page(sql_select(AuditEvent).where(own), page, per_page)
    children = and_(AuditEvent.parent_type == record_type, AuditEvent.parent_id == record_id)

    def newest(condition: Any, limit: int) -> Any:
        return sql_select(sql_select(AuditEvent.id, AuditEvent.occurred_at).where(condition)
                          .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
                          .limit(limit).subquery())

    counted = union_all(newest(own, HISTORY_COUNT_CAP + 1),
                        newest(children, HISTORY_COUNT_CAP + 1)).subquery()
    total = db.session.scalar(sql_select(func.count()).select_from(counted)) or 0
    more = total > HISTORY_COUNT_CAP
    total = min(total, HISTORY_COUNT_CAP)
    if not more:
        page = min(max(1, page), last_page(total, per_page))
    page = max(1, page)
    needed = page * per_page + 1  # one more than the page: is there a next one?
    merged = union_all(newest(own, needed), newest(children, needed)).subquery()
    ids = list(db.session.scalars(
        sql_select(merged.c.id).order_by(merged.c.occurred_at.desc(), merged.c.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page)))
    more = more and len(ids) > per_page
    ids = ids[:per_page]
    by_id = {event.id: event for event in db.session.scalars(
        sql_select(AuditEvent).where(AuditEvent.id.in_(ids)))} if ids else {}
    return EventPage(items=[by_id[event_id] for event_id in ids], page=page, per_page=per_page,
                     total=total, more=more)


def search_events(actor_id: int | None = None, record_type: str | None = None,
                  date_from: date | None = None, date_to: date | None = None, page: int = 1,
                  *, without_user: bool = False, record_id: str | None = None,
                  per_page: int = PER_PAGE) -> EventPage:
    """Events by user, record type and UTC dates (inclusive), newest first, one page."""
    filters = EventFilter(actor_id=actor_id, without_user=without_user, record_type=record_type,
                          record_id=record_id, date_from=date_from, date_to=date_to)
    return _page(events_where(filters), page, per_page)


def record_title(record_type: str, record_id: str) -> str:
    """The record's name as its latest event recorded it ('Lead in paint'), else '#id'."""
    summary = db.session.scalar(
        sql_select(AuditEvent.summary)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id,
               AuditEvent.summary != "")
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return summary or f"#{record_id}"


def actor_choices() -> list[tuple[int, str]]:
    """(user id, latest label) of every user who appears in the trail, by label."""
    latest = (
        sql_select(func.max(AuditEvent.id))
        .where(AuditEvent.actor_id.is_not(None))
        .group_by(AuditEvent.actor_id)
    )
    rows = db.session.execute(
        sql_select(AuditEvent.actor_id, AuditEvent.actor_label).where(AuditEvent.id.in_(latest))
    )
    return sorted(((actor_id, label) for actor_id, label in rows if actor_id is not None),
                  key=lambda pair: pair[1].casefold())


def record_type_choices() -> list[tuple[str, str]]:
    """(record type, its name in the user's language): audited types and any in the trail."""
    types = {spec.record_type for spec in registered_specs()}
    types |= set(db.session.scalars(sql_select(AuditEvent.record_type).distinct()))
    return sorted(((t, record_type_label(t)) for t in types), key=lambda pair: pair[1].casefold())
