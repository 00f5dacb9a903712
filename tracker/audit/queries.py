"""Reading the audit trail: a record's history and the filtered list, a page at a time.

Nothing here writes or changes an event: the trail is written only by the ORM hooks
(tracker/audit/hooks.py) and is append-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    true,
    union_all,
)
from sqlalchemy import select as sql_select
from sqlalchemy.orm import aliased

from tracker.audit.display import record_type_label
from tracker.audit.erasures import erased_flag
from tracker.audit.models import AuditEvent
from tracker.audit.paging import EventPage, HistoryPage
from tracker.audit.registry import registered_specs
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.fragments import kept, kept_store
from tracker.paging import COUNT_CAP, last_page

# 25 a page, as every list screen: each event is told in a sentence with its details, the
# screen's main cost (about 1 ms an event), so the page costs what the other lists do.
PER_PAGE = 25
HISTORY_PER_PAGE = 20
# The filters' users and record types, kept per process under the trail's head
# (filter_choices): one entry is current, a few more serve requests that read an older head.
CHOICES_STORE = "tracker.audit.filter_choices"
CHOICES_KEPT = 4
# The audit screen counts at most this many events; beyond, "next" goes on.
HISTORY_COUNT_CAP = COUNT_CAP
# A record's History counts fewer: its page shows the latest five and a link to the rest,
# and a drive of a hundred thousand pledges has as many events (issue 15).
RECORD_HISTORY_COUNT_CAP = 100


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


def filter_branches(filters: EventFilter) -> list[Any]:
    """The filters as disjoint conditions, each served by one index (a record and its
    children are two); an event matches the filters when it matches one of them."""
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise DomainError(_("The end date cannot be before the start date."), field="date_to")
    common = []
    if filters.actor_id is not None:
        common.append(AuditEvent.actor_id == filters.actor_id)
    elif filters.without_user:
        common.append(AuditEvent.actor_id.is_(None))
    if filters.date_from:
        common.append(AuditEvent.occurred_at >= _start_of(filters.date_from))
    if filters.date_to:
        common.append(AuditEvent.occurred_at < _start_of(filters.date_to + timedelta(1)))
    if filters.record_type and filters.record_id is not None:
        own = and_(AuditEvent.record_type == filters.record_type,
                   AuditEvent.record_id == filters.record_id)
        children = and_(AuditEvent.parent_type == filters.record_type,
                        AuditEvent.parent_id == filters.record_id)
        return [and_(own, *common), and_(children, *common)]
    if filters.record_type:
        common.append(AuditEvent.record_type == filters.record_type)
    return [and_(true(), *common)]


def events_where(filters: EventFilter) -> Select[AuditEvent]:
    """The events matching the filters (dates are whole UTC days, both ends included)."""
    return sql_select(AuditEvent).where(or_(*filter_branches(filters)))


def newest_first(query: Select[AuditEvent]) -> Select[AuditEvent]:
    """The query ordered newest event first (the order of every screen and the export)."""
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def _newest(condition: Any) -> Select[int, datetime]:
    """The newest `:page_limit` events matching the condition, read through the index that
    matches it (each filter has one whose last column is the time), newest first."""
    return (sql_select(AuditEvent.id, AuditEvent.occurred_at).where(condition)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(bindparam("page_limit", type_=Integer)))


def _merged(branches: list[Any]) -> Select[Any]:
    """The statement reading a page of the events matching any of the branches: the count,
    the page's events, and whether each one's supporter was erased.

    The count takes each branch's newest `:limit` events (one past the cap) by time alone,
    the order of its index, so that nothing is sorted: which of the events that share a
    time are counted does not change how many. The page takes each branch's newest
    `:page_limit` events (the pages before it and this one, one past), merged. Counting
    them with the page in a window sorted every counted event (2,001 of the trail's) to
    show 25: on SQLite, 3.5 of the audit screen's milliseconds, now 1.0.
    Its bounds are parameters (:limit and :page_limit of each branch, :rows and :offset of
    the page), so a History of any record runs one statement built once (history_for).
    """
    some = [sql_select(AuditEvent.id).where(branch).order_by(AuditEvent.occurred_at.desc())
            .limit(bindparam("limit", type_=Integer))
            .subquery() for branch in branches]
    counted = (sql_select(func.count()).select_from(
        union_all(*(sql_select(each.c.id) for each in some)).subquery()).scalar_subquery())
    merged = union_all(*(sql_select(_newest(branch).subquery())
                         for branch in branches)).subquery()
    shown = (sql_select(merged.c.id, merged.c.occurred_at)
             .order_by(merged.c.occurred_at.desc(), merged.c.id.desc())
             .limit(bindparam("rows", type_=Integer))
             .offset(bindparam("offset", type_=Integer)).subquery())
    return (sql_select(AuditEvent, counted.label("counted"), erased_flag())
            .join(shown, AuditEvent.id == shown.c.id)
            .order_by(shown.c.occurred_at.desc(), shown.c.id.desc()))


@lru_cache(maxsize=1)
def _record_and_children() -> Select[Any]:
    """_merged for a record's own events and its children's, the record a parameter."""
    record_type = bindparam("record_type", type_=String)
    record_id = bindparam("record_id", type_=String)
    return _merged([
        and_(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id),
        and_(AuditEvent.parent_type == record_type, AuditEvent.parent_id == record_id)])


def newest_page(branches: list[Any], page: int, per_page: int, *,
                cap: int | None = None) -> EventPage:
    """One page of the events matching any of the branches (disjoint conditions), newest
    first, at the same cost however long the trail grows.

    Each branch is read newest first through its own index, at most as many events as the
    page or the count needs, and the branches merged; the count stops at `cap` (by default
    HISTORY_COUNT_CAP; `more` then says there are more, and the pager offers the next page
    while there is one). A page past the end shows the last page the count reached, as
    every list does.
    """
    cap = HISTORY_COUNT_CAP if cap is None else cap
    # One branch too: its count, page and erasures in one statement, not three (issue 15).
    return _merged_page(_merged(branches), {}, page, per_page, cap)


@lru_cache(maxsize=1)
def _everything() -> Select[Any]:
    """_merged for the whole trail: the audit screen as it opens, built once."""
    return _merged([true()])


def _merged_page(statement: Select[Any], params: dict[str, Any], page: int, per_page: int,
                 cap: int) -> HistoryPage:
    """newest_page's page of a _merged statement, with these parameters besides its bounds."""
    page = max(1, page)
    offset = (page - 1) * per_page
    # Enough of each branch for the count (one past the cap: are there more?) and for the
    # page (one past it: is there a next one?). A branch cut there already counts past the
    # cap, so the merged count says `more` exactly when there are more than `cap` events.
    rows = db.session.execute(statement, {**params, "limit": cap + 1,
                                          "page_limit": page * per_page + 1,
                                          "rows": per_page + 1, "offset": offset}).all()
    if not rows:
        if page == 1:
            return HistoryPage(items=[], page=1, per_page=per_page, total=0)
        # Past the end: the first page counts what there is, then the last page of it.
        first = _merged_page(statement, params, 1, per_page, cap)
        return _merged_page(statement, params, last_page(first.total, per_page), per_page,
                            cap)
    counted = rows[0].counted
    more = counted > cap
    total = min(counted, cap)
    if more and len(rows) <= per_page:
        total, more = offset + len(rows), False  # the last page: now the whole count is known
    shown_rows = rows[:per_page]
    return HistoryPage(items=[row[0] for row in shown_rows], page=page, per_page=per_page,
                       total=total, more=more,
                       erased=frozenset((event.record_type, event.record_id)
                                        for event, _counted, erased in shown_rows if erased))


def history_for(record_type: str, record_id: str | int, include_children: bool = True,
                page: int = 1, per_page: int = HISTORY_PER_PAGE) -> EventPage:
    """A record's events, newest first; with its children's (a campaign's partners) by default.

    A drive with a hundred thousand pledges has as many child events: its own events and
    its children's are each read through their index and merged (newest_page).
    """
    record_id = str(record_id)
    own = and_(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
    if not include_children:
        return newest_page([own], page, per_page, cap=RECORD_HISTORY_COUNT_CAP)
    return _merged_page(_record_and_children(), {"record_type": record_type,
                                                 "record_id": record_id},
                        page, per_page, RECORD_HISTORY_COUNT_CAP)


def search_events(actor_id: int | None = None, record_type: str | None = None,
                  date_from: date | None = None, date_to: date | None = None, page: int = 1,
                  *, without_user: bool = False, record_id: str | None = None,
                  per_page: int | None = None) -> EventPage:
    """Events by user, record type and UTC dates (inclusive), newest first, one page.

    Counted up to HISTORY_COUNT_CAP and read through an index, as a record's History is:
    the screen costs the same with a thousand events or millions.
    """
    filters = EventFilter(actor_id=actor_id, without_user=without_user, record_type=record_type,
                          record_id=record_id, date_from=date_from, date_to=date_to)
    if filters == EventFilter():
        return _merged_page(_everything(), {}, page, per_page or PER_PAGE, HISTORY_COUNT_CAP)
    return newest_page(filter_branches(filters), page, per_page or PER_PAGE)


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


def _distinct_through_index(column: Any, name: str = "distinct_values") -> Select[Any]:
    """The column's distinct non-null values, one index probe each (a "loose index scan"):
    the next value is the first one above the last, so the cost follows the number of
    values (users, record types), not of events. The column must lead an index."""
    first = (sql_select(column).where(column.is_not(None)).order_by(column).limit(1)
             .scalar_subquery())
    values = sql_select(first.label("value")).cte(name, recursive=True)
    following = (sql_select(column).where(column > values.c.value).order_by(column).limit(1)
                 .scalar_subquery())
    values = values.union_all(sql_select(following).where(values.c.value.is_not(None)))
    return sql_select(values.c.value).where(values.c.value.is_not(None))


def _actors() -> Select[Any]:
    """(user id, latest label) of every user in the trail, through its actor index."""
    actors = _distinct_through_index(AuditEvent.actor_id, "trail_actors").subquery()
    # The newest time first, one probe of (actor, time), then the last event of that time:
    # ordered by time and id at once, the database read and sorted all of a user's events
    # (10,000 of the bench user's: 5 ms, growing with every event they cause).
    theirs = aliased(AuditEvent)
    newest = (sql_select(func.max(theirs.occurred_at))
              .where(theirs.actor_id == actors.c.value).correlate(actors).scalar_subquery())
    latest_label = (sql_select(AuditEvent.actor_label)
                    .where(AuditEvent.actor_id == actors.c.value,
                           AuditEvent.occurred_at == newest)
                    .order_by(AuditEvent.id.desc()).limit(1)
                    .scalar_subquery().label("label"))
    return sql_select(actors.c.value, latest_label)


def _by_label(actors: Iterable[tuple[int | None, str]]) -> list[tuple[int, str]]:
    return sorted(((actor_id, label) for actor_id, label in actors if actor_id is not None),
                  key=lambda pair: pair[1].casefold())


def _labelled_types(found: Iterable[str]) -> list[tuple[str, str]]:
    types = {spec.record_type for spec in registered_specs()} | set(found)
    return sorted(((t, record_type_label(t)) for t in types), key=lambda pair: pair[1].casefold())


def actor_choices() -> list[tuple[int, str]]:
    """(user id, latest label) of every user who appears in the trail, by label."""
    return _by_label(db.session.execute(_actors()).tuples())


@lru_cache(maxsize=1)
def _filter_choices() -> Any:
    """The users and the record types of the trail in one statement, built once."""
    actors = _actors().subquery()
    types = _distinct_through_index(AuditEvent.record_type, "trail_types").subquery()
    return union_all(
        sql_select(literal("actor").label("kind"), cast(actors.c.value, String).label("value"),
                   actors.c.label),
        sql_select(literal("type"), types.c.value, null()))


def filter_choices() -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """actor_choices() and record_type_choices() (the audit screen's filters), read in one
    statement, and kept under the trail's head until an event is added (issue 15).

    The head is the newest event's id and chain hash (tracker/audit/chain.py), which vouches
    for every event before it: the trail only grows, so the same head means the same users,
    labels and types. It is read before them: an event committed in between is then in the
    choices kept under the older head (listed a moment early), never missing from a newer.
    """
    head = db.session.execute(sql_select(AuditEvent.id, AuditEvent.hash)
                              .order_by(AuditEvent.id.desc()).limit(1)).first()
    key = ("empty",) if head is None else tuple(head)
    actors, types = kept(kept_store(CHOICES_STORE, CHOICES_KEPT), lambda: key,
                         _read_filter_choices)
    return actors, _labelled_types(types)


def _read_filter_choices() -> tuple[list[tuple[int, str]], list[str]]:
    actors: list[tuple[int | None, str]] = []
    types: list[str] = []
    for kind, value, label in db.session.execute(_filter_choices()):
        if kind == "actor" and value is not None:
            actors.append((int(value), label))
        elif kind == "type" and value is not None:
            types.append(value)
    return _by_label(actors), types


def record_type_choices() -> list[tuple[str, str]]:
    """(record type, its name in the user's language): audited types and any in the trail."""
    return _labelled_types(db.session.scalars(_distinct_through_index(AuditEvent.record_type)))
