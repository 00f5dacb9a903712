"""Reading the audit trail: a record's history, the filtered list, the CSV export, display.

Nothing here writes or changes an event: the trail is written only by the ORM hooks
(tracker/audit/hooks.py) and is append-only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Numeric,
    Select,
    and_,
    func,
    or_,
    union_all,
)
from sqlalchemy import select as sql_select

from tracker.audit.hooks import ANONYMOUS, COMMAND_LINE, SYSTEM, UNREADABLE
from tracker.audit.models import AuditAction, AuditEvent
from tracker.audit.registry import (
    COUNTRY_SUMMARY,
    EVENT_TYPE_LABELS,
    FIELD_LABELS,
    REDACTED,
    AuditSpec,
    registered_specs,
    spec_for_type,
)
from tracker.db import Base, DecimalString, ScaledDecimal, UTCDateTime
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import (
    LANGUAGE_NAMES,
    country_name,
    current_language,
    format_day,
    format_money,
    format_timestamp,
)
from tracker.money.value import Money

PER_PAGE = 50
HISTORY_PER_PAGE = 20
# A History section counts at most this many events of each kind; beyond it, "next" goes on.
HISTORY_COUNT_CAP = 2000
LONG_TEXT = 300
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ACTOR_NAMES = {
    SYSTEM: _l("System"),
    COMMAND_LINE: _l("Command line"),
    ANONYMOUS: _l("Anonymous visitor"),
}


# --- queries ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, with what a pager needs."""

    items: list[AuditEvent]
    page: int
    per_page: int
    total: int
    # True when counting stopped at a cap: there are more events than `total` says.
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page), self.page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or self.more

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, edge: int = 2, around: int = 2) -> Iterator[int | None]:
        """Page numbers for a pager: the ends and those around the current page, None a gap."""
        previous = 0
        for number in range(1, self.pages + 1):
            near = abs(number - self.page) <= around
            if number <= edge or number > self.pages - edge or near:
                if previous and number - previous > 1:
                    yield None
                yield number
                previous = number


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


def _where(filters: EventFilter) -> Select[tuple[AuditEvent]]:
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


def _newest_first(query: Select[tuple[AuditEvent]]) -> Select[tuple[AuditEvent]]:
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def _page(query: Select[tuple[AuditEvent]], page: int, per_page: int) -> EventPage:
    """Count in SQL, then fetch one page; a page past the end shows the last one."""
    total = db.session.scalar(sql_select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(
        _newest_first(query).limit(per_page).offset((page - 1) * per_page)
    ))
    return EventPage(items=items, page=page, per_page=per_page, total=total)


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
        page = min(max(1, page), max(1, -(-total // per_page)))
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
    return _page(_where(filters), page, per_page)


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
    return sorted(((int(actor_id), label) for actor_id, label in rows),
                  key=lambda pair: pair[1].casefold())


def record_type_choices() -> list[tuple[str, str]]:
    """(record type, its name in the user's language): audited types and any in the trail."""
    types = {spec.record_type for spec in registered_specs()}
    types |= set(db.session.scalars(sql_select(AuditEvent.record_type).distinct()))
    return sorted(((t, record_type_label(t)) for t in types), key=lambda pair: pair[1].casefold())


# --- display --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of an event: its label and the values before and after, ready to show."""

    name: str
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class EventView:
    """An event as a person reads it: who, what record, and each field's change."""

    event: AuditEvent
    actor: str
    record_label: str
    record_name: str
    fields: list[FieldChange]

    @property
    def action(self) -> AuditAction:
        return self.event.action

    @property
    def unreadable(self) -> bool:
        """True when the hooks could record only that the change happened."""
        return self.event.summary == UNREADABLE


def actor_name(label: str) -> str:
    """'System', 'Command line' in the user's language; a user's e-mail as it was recorded."""
    return str(ACTOR_NAMES.get(label, label))


def record_type_label(record_type: str) -> str:
    """The record type's name in the user's language ('Budget line')."""
    spec = spec_for_type(record_type)
    if spec is None and record_type in EVENT_TYPE_LABELS:
        return str(EVENT_TYPE_LABELS[record_type])
    return str(spec.label) if spec else record_type.replace("_", " ").capitalize()


def field_label(spec: AuditSpec | None, name: str) -> str:
    """A column's name for people: the area's own label, the shared one, or the name itself."""
    if spec is not None and name in spec.field_labels:
        return str(spec.field_labels[name])
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    shown = name.removesuffix("_minor").removesuffix("_id").replace("_", " ")
    return shown.capitalize()


def _column(spec: AuditSpec | None, name: str) -> Column[Any] | None:
    if spec is None:
        return None
    return spec.model.__table__.c.get(name)  # type: ignore[attr-defined, no-any-return]


def _referenced_table(column: Column[Any] | None) -> str | None:
    if column is None:
        return None
    for foreign_key in column.foreign_keys:
        return foreign_key.target_fullname.rsplit(".", 1)[0]
    return None


def _values_of(event: AuditEvent) -> Iterator[tuple[str, Any]]:
    """(field, value) for every value an event holds: changes, both sides, and context."""
    for name, value in (event.changes or {}).items():
        if event.action is AuditAction.UPDATE and isinstance(value, list):
            for side in value:
                yield name, side
        else:
            yield name, value
    yield from (event.context or {}).items()


def _object_label(instance: Any) -> str:
    for attribute in ("name", "title", "email", "code", "slug"):
        value = getattr(instance, attribute, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _resolve_references(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """Names of the records the events point at (organisations, users), one query a table."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        spec = spec_for_type(event.record_type)
        for name, value in _values_of(event):
            table = _referenced_table(_column(spec, name))
            if table is not None and isinstance(value, int) and not isinstance(value, bool):
                wanted.setdefault(table, set()).add(value)
    names: dict[tuple[str, str], str] = {}
    for table_name, ids in wanted.items():
        mapper = next((m for m in Base.registry.mappers
                       if getattr(m.local_table, "name", None) == table_name), None)
        if mapper is None or len(mapper.primary_key) != 1:
            continue
        key = mapper.primary_key[0]
        for instance in db.session.scalars(sql_select(mapper.class_).where(key.in_(ids))):
            record_id = getattr(instance, mapper.get_property_by_column(key).key)
            names[(table_name, str(record_id))] = _object_label(instance) or f"#{record_id}"
    return names


def _currency_for(event: AuditEvent, name: str, side: int) -> str | None:
    """The currency of a '<name>_minor' amount in this event (side 0: before, 1: after)."""
    if not name.endswith("_minor"):
        return None
    changes, context = event.changes or {}, event.context or {}
    for key in (f"{name.removesuffix('_minor')}_currency", "currency"):
        if key in changes:
            value = changes[key]
            if event.action is AuditAction.UPDATE and isinstance(value, list):
                return value[side] if len(value) > side else None
            return value
        if key in context:
            return context[key]
    return None


def _shown(spec: AuditSpec | None, name: str, value: Any, currency: str | None,
           references: Mapping[tuple[str, str], str]) -> str | None:
    """A stored value the way the user reads it; the stored text when it cannot be parsed."""
    if value is None:
        return None
    if value == REDACTED:
        return _("(hidden)")
    if value == "":
        return _("(empty)")
    language = current_language()
    try:
        if currency and isinstance(value, int):
            return format_money(Money.from_minor(value, currency), language)
        column = _column(spec, name)
        table = _referenced_table(column)
        if table is not None:
            # A key that names itself (a currency code) is shown as it is; a number as '#7'.
            fallback = f"#{value}" if isinstance(value, int) else str(value)
            return references.get((table, str(value)), fallback)
        column_type = column.type if column is not None else None
        if isinstance(column_type, Enum) and column_type.enum_class is not None:
            member = column_type.enum_class(value)
            return str(getattr(member, "label", member.value))
        if isinstance(column_type, ScaledDecimal | DecimalString | Numeric):
            return format_decimal(Decimal(str(value)), locale=language,
                                  decimal_quantization=False)
        if isinstance(column_type, Boolean) or isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(column_type, UTCDateTime | DateTime):
            return format_timestamp(datetime.fromisoformat(value), language)
        if isinstance(column_type, Date):
            return format_day(date.fromisoformat(value), language)
        if name == "country" or name.endswith("_country"):
            return country_name(str(value), language)
        if name == "language" and value in LANGUAGE_NAMES:
            return LANGUAGE_NAMES[value]
    except (ValueError, TypeError, LookupError, ArithmeticError):
        pass  # an old value that no longer fits today's column: show it as stored
    text = str(value)
    return text if len(text) <= LONG_TEXT else text[:LONG_TEXT] + "…"


def _field_order(spec: AuditSpec | None, names: Iterable[str]) -> list[str]:
    if spec is None:
        return sorted(names)
    order = {name: position for position, name in
             enumerate(spec.model.__table__.columns.keys())}  # type: ignore[attr-defined]
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


def describe(events: Iterable[AuditEvent] | EventPage) -> list[EventView]:
    """Events ready to show: labels and values in the user's language, references named."""
    items = list(events.items if isinstance(events, EventPage) else events)
    references = _resolve_references(items)
    views = []
    for event in items:
        spec = spec_for_type(event.record_type)
        changes = event.changes or {}
        fields = []
        for name in _field_order(spec, changes):
            value = changes[name]
            if event.action is AuditAction.UPDATE and isinstance(value, list) and len(value) == 2:
                before, after = value
            elif event.action is AuditAction.DELETE:
                before, after = value, None
            else:
                before, after = None, value
            if event.action is not AuditAction.UPDATE and value in (None, ""):
                continue  # a new or removed record's blank fields say nothing
            fields.append(FieldChange(
                name=name,
                label=field_label(spec, name),
                before=_shown(spec, name, before, _currency_for(event, name, 0), references),
                after=_shown(spec, name, after, _currency_for(event, name, 1), references),
            ))
        views.append(EventView(
            event=event,
            actor=actor_name(event.actor_label),
            record_label=record_type_label(event.record_type),
            record_name=_record_name(event, spec, references),
            fields=fields,
        ))
    return views


def _record_name(event: AuditEvent, spec: AuditSpec | None,
                 references: Mapping[tuple[str, str], str]) -> str:
    """The event's summary, else the name of the record that names it, else '#id'."""
    if event.summary:
        if spec is not None and spec.summary == COUNTRY_SUMMARY:
            return country_name(event.summary)
        return event.summary
    if spec is not None and spec.named_by:
        value = (event.context or {}).get(spec.named_by)
        if value is None:
            change = (event.changes or {}).get(spec.named_by)
            value = change[-1] if isinstance(change, list) else change
        table = _referenced_table(_column(spec, spec.named_by))
        if table is not None and value is not None and (table, str(value)) in references:
            return references[(table, str(value))]
    return f"#{event.record_id}"


# --- CSV export -----------------------------------------------------------------------


def neutralize(cell: Any) -> Any:
    """Prefix a quote to text a spreadsheet would run as a formula ('=HYPERLINK(...)')."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _csv_value(event: AuditEvent, name: str, value: Any, side: int) -> Any:
    """A stored value for the CSV: exact, with amounts as '150.00 USD' rather than minor units."""
    currency = _currency_for(event, name, side)
    if currency and isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(Money.from_minor(value, currency))
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return str(value)
    return "" if value is None else value


def _csv_rows(event: AuditEvent) -> Iterator[list[Any]]:
    """One row per changed field (one row with no field for an event without values)."""
    head = [
        event.occurred_at.isoformat(), event.id, "" if event.actor_id is None else event.actor_id,
        event.actor_label, event.action.value, event.record_type, event.record_id,
        event.parent_type or "", event.parent_id or "", event.summary,
    ]
    changes = event.changes or {}
    if not changes:
        yield [*head, "", "", ""]
        return
    spec = spec_for_type(event.record_type)
    for name in _field_order(spec, changes):
        value = changes[name]
        if event.action is AuditAction.UPDATE and isinstance(value, list) and len(value) == 2:
            before, after = value
        elif event.action is AuditAction.DELETE:
            before, after = value, None
        else:
            before, after = None, value
        yield [*head, name, _csv_value(event, name, before, 0),
               _csv_value(event, name, after, 1)]


def csv_header() -> list[str]:
    """The export's column titles in the user's language."""
    return [_("Time (UTC)"), _("Event"), _("User id"), _("User"), _("Action"),
            _("Record type"), _("Record id"), _("Parent type"), _("Parent id"), _("Summary"),
            _("Field"), _("Before"), _("After")]


def export_csv(actor_id: int | None = None, record_type: str | None = None,
               date_from: date | None = None, date_to: date | None = None, *,
               without_user: bool = False, record_id: str | None = None) -> Iterator[str]:
    """The filtered events as CSV text chunks, newest first, streamed from the database.

    The filters are checked now (a DomainError is raised before anything is sent); the
    rows are read in batches while the response streams. Text that a spreadsheet would
    treat as a formula is prefixed with a quote.
    """
    query = _newest_first(_where(EventFilter(
        actor_id=actor_id, without_user=without_user, record_type=record_type,
        record_id=record_id, date_from=date_from, date_to=date_to,
    ))).execution_options(yield_per=500)
    return _stream(query)


def _stream(query: Select[tuple[AuditEvent]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # A byte-order mark makes spreadsheet programs read the Cyrillic text as UTF-8.
    buffer.write("\ufeff")
    writer.writerow(csv_header())
    for number, event in enumerate(db.session.scalars(query), start=1):
        for row in _csv_rows(event):
            writer.writerow([neutralize(cell) for cell in row])
        if number % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
