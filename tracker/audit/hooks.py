"""ORM hooks that write the audit trail inside the same transaction as each change.

- Mapper events (`after_insert`, `after_update`, `after_delete`) on every model note
  the changes of audited ones while a flush runs, including cascaded and orphaned
  children; `after_flush` writes those notes as `audit_event` rows on the flush's own
  connection, so an event commits or rolls back together with its change.
- `do_orm_execute` covers bulk statements (`session.execute(insert(Model), rows)`,
  `update(Model).where(...)`, `delete(...)`), which skip the mapper events.
- `before_flush` refuses a changed or deleted `AuditEvent`: the trail is append-only.

These hooks run inside every area's flushes, so reading values never raises: an odd
value is stored as text, and a record whose values cannot be read is still recorded,
with a note instead of its values.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import click
from flask import g, has_app_context, has_request_context
from sqlalchemy import (
    Connection,
    Table,
    UniqueConstraint,
    event,
    insert,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.orm import InstanceState, Mapper, ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.exc import ObjectDeletedError

from tracker.audit import registry
from tracker.audit.models import AuditAction, AuditEvent, AuditTrailIsAppendOnly
from tracker.audit.registry import REDACTED, AuditSpec, spec_for, spec_for_type
from tracker.db import Base, utcnow

log = logging.getLogger(__name__)

SYSTEM = "system"
COMMAND_LINE = "command line"
ANONYMOUS = "anonymous"
UNREADABLE = "(values could not be recorded)"

_PENDING = "tracker.audit.pending"
_actor_override: ContextVar[tuple[int | None, str | None] | None] = ContextVar(
    "tracker_audit_actor", default=None
)
_state = {"installed": False}


# --- the actor ----------------------------------------------------------------------


@contextmanager
def acting_as(user_id: int | None, label: str | None = None) -> Iterator[None]:
    """Attribute the changes made inside the block to a user (or a named non-user actor).

    For commands and background jobs; it wins over the request's user, as the
    innermost, most explicit choice.
    """
    token = _actor_override.set((user_id, label))
    try:
        yield
    finally:
        _actor_override.reset(token)


def current_actor(connection: Connection | None = None) -> tuple[int | None, str]:
    """(user id or None, label) of whoever is making the change right now."""
    override = _actor_override.get()
    if override is not None:
        user_id, label = override
        return user_id, label or _user_label(connection, user_id)
    if has_app_context():
        user_id = g.get("audit_actor_id")
        if user_id is not None:
            return user_id, g.get("audit_actor_label") or _user_label(connection, user_id)
    if has_request_context():
        return None, ANONYMOUS
    if click.get_current_context(silent=True) is not None:
        return None, COMMAND_LINE
    return None, SYSTEM


def _user_table() -> Table | None:
    """The accounts area's user table (the `User` model's, with an `email` column), if any."""
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if mapper.class_.__name__ == "User" and isinstance(table, Table) and "email" in table.c:
            return table
    return None


def _user_label(connection: Connection | None, user_id: int | None) -> str:
    """The user's e-mail, read once per request; 'user N' when it cannot be read."""
    if user_id is None:
        return SYSTEM
    cache: dict[int, str] = g.setdefault("_audit_actor_labels", {}) if has_app_context() else {}
    if user_id in cache:
        return cache[user_id]
    label = f"user {user_id}"
    table = _user_table()
    if connection is not None and table is not None and len(table.primary_key.columns) == 1:
        key = next(iter(table.primary_key.columns))
        email = connection.execute(select(table.c.email).where(key == user_id)).scalar()
        if email:
            label = str(email)
    cache[user_id] = label
    return label


# --- values -------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """A JSON-safe form of a column value; never raises (unknown types become text)."""
    try:
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, enum.Enum):
            return jsonable(value.value)
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime | date | time):
            return value.isoformat()
        if isinstance(value, float):
            return repr(value)  # money is never a float; keep whatever it was, exactly
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return f"({len(bytes(value))} bytes)"
        if isinstance(value, Mapping):
            return {str(key): jsonable(item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            items = [jsonable(item) for item in value]
            return sorted(items, key=str) if isinstance(value, set | frozenset) else items
        return str(value)
    except Exception:  # a broken __str__ must not break somebody else's save
        return f"<{type(value).__name__}>"


def _columns(mapper: Mapper[Any], spec: AuditSpec) -> list[tuple[str, str]]:
    """(attribute key, column name) of the columns worth recording, in table order."""
    primary = list(mapper.primary_key)
    single_key = primary[0].name if len(primary) == 1 else None
    found = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        name = getattr(column, "name", prop.key)
        if name in registry.NOISE_COLUMNS or name in spec.exclude or name == single_key:
            continue
        found.append((prop.key, name))
    return found


def _value(spec: AuditSpec, name: str, value: Any) -> Any:
    return REDACTED if spec.is_secret(name) and value is not None else jsonable(value)


def _record_id(mapper: Mapper[Any], values: Mapping[str, Any]) -> str:
    """The primary key as text; a composite key joined with ':' ('12:KZ')."""
    parts = []
    for column in mapper.primary_key:
        prop = mapper.get_property_by_column(column)
        parts.append("" if values.get(prop.key) is None else str(jsonable(values[prop.key])))
    return ":".join(parts)


def _currency_key(columns: Sequence[str], name: str) -> str | None:
    """The currency column that goes with a '<name>_minor' amount column, if any."""
    if not name.endswith("_minor"):
        return None
    own = f"{name.removesuffix('_minor')}_currency"
    if own in columns:
        return own
    return "currency" if "currency" in columns else None


def _snapshot(state: InstanceState[Any], spec: AuditSpec) -> dict[str, Any]:
    """Every recorded column's loaded value (never loads anything: this runs mid-flush)."""
    values = {}
    for key, name in _columns(state.mapper, spec):
        if key in state.dict:
            values[name] = _value(spec, name, state.dict[key])
    return values


def _diff(state: InstanceState[Any], spec: AuditSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """({column: [before, after]} for changed columns only, context for reading them)."""
    changes: dict[str, Any] = {}
    columns = _columns(state.mapper, spec)
    for key, name in columns:
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if jsonable(before) == jsonable(after):
            continue
        changes[name] = [_value(spec, name, before), _value(spec, name, after)]
    names = [name for _, name in columns]
    context = {}
    for name in changes:
        currency = _currency_key(names, name)
        if currency and currency not in changes:
            key = next(key for key, column_name in columns if column_name == currency)
            context[currency] = jsonable(state.dict.get(key))
    return changes, context


def _current_values(state: InstanceState[Any]) -> dict[str, Any]:
    """The loaded attribute values by column name, for the summary and the parent id."""
    values = {}
    for prop in state.mapper.column_attrs:
        if prop.key in state.dict:
            values[getattr(prop.columns[0], "name", prop.key)] = jsonable(state.dict[prop.key])
    return values


def _note(state: InstanceState[Any], action: AuditAction) -> None:
    """Queue an event for an audited instance being inserted, updated or deleted."""
    spec = spec_for(state.class_)
    session = state.session
    if spec is None or session is None:
        return
    try:
        mapper = state.mapper
        current = _current_values(state)
        context: dict[str, Any] = {}
        if action is AuditAction.UPDATE:
            changes, context = _diff(state, spec)
            if not changes:
                return  # only a collection or a noise column changed
            if spec.named_by and spec.named_by not in changes:
                context[spec.named_by] = current.get(spec.named_by)
        else:
            changes = _snapshot(state, spec)
        row = {
            "action": action,
            "record_type": spec.record_type,
            "record_id": _record_id(mapper, state.dict),
            "parent_type": None,
            "parent_id": None,
            "changes": changes,
            "context": context or None,
            "summary": spec.summarize(current),
        }
        parent_type = spec.parent_type
        if parent_type is not None and current.get(spec.parent_column) is not None:
            row["parent_type"] = parent_type
            row["parent_id"] = str(current[spec.parent_column])  # type: ignore[index]
    except Exception:
        # The change itself must go through; the trail still shows that it happened.
        log.exception("audit: could not read the values of %r", state.class_)
        row = {
            "action": action, "record_type": spec.record_type,
            "record_id": ":".join(str(part) for part in state.identity or ()),
            "parent_type": None, "parent_id": None,
            "changes": {}, "context": None, "summary": UNREADABLE,
        }
    session.info.setdefault(_PENDING, []).append(row)


def _after_insert(_mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    _note(inspect(target), AuditAction.CREATE)


def _after_update(_mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    _note(inspect(target), AuditAction.UPDATE)


def _after_delete(_mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    _note(inspect(target), AuditAction.DELETE)


# --- writing ------------------------------------------------------------------------


def _write(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert the events with the current actor and one timestamp, on this connection."""
    if not rows:
        return
    actor_id, actor_label = current_actor(connection)
    occurred_at = utcnow()
    for row in rows:
        row.update(actor_id=actor_id, actor_label=actor_label[:200], occurred_at=occurred_at)
    connection.execute(insert(AuditEvent.__table__), rows)


def record_event(session: Session, *, action: AuditAction, record_type: str, record_id: str,
                 changes: Mapping[str, Any], summary: str = "", parent_type: str | None = None,
                 parent_id: str | None = None) -> None:
    """Write one event by hand, in the session's transaction, for a change the hooks miss.

    For rows written in bulk on the connection (a file of pledges imported at once),
    where one event saying what happened serves readers better than one per row. Name
    the record type with registry.event_type so that history screens can show it.
    """
    _write(session.connection(bind_arguments={"mapper": AuditEvent}), [{
        "action": action, "record_type": record_type, "record_id": record_id,
        "parent_type": parent_type, "parent_id": parent_id,
        "changes": {name: jsonable(value) for name, value in changes.items()},
        "context": None, "summary": summary[:300],
    }])


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Refuse to change or delete audit events; load what deleted records still miss."""
    session.info[_PENDING] = []
    for instance in session.dirty:
        if isinstance(instance, AuditEvent) and session.is_modified(instance):
            raise AuditTrailIsAppendOnly(
                f"Audit event {instance.id} cannot be changed: the audit trail is append-only."
            )
    for instance in session.deleted:
        if isinstance(instance, AuditEvent):
            raise AuditTrailIsAppendOnly(
                f"Audit event {instance.id} cannot be deleted: the audit trail is append-only."
            )
        if spec_for(type(instance)) is not None:
            _load_unloaded(instance)


def _load_unloaded(instance: Any) -> None:
    """Load expired columns of a record about to be deleted, so its last values are kept."""
    state = inspect(instance)
    columns = {prop.key for prop in state.mapper.column_attrs}
    for key in sorted(state.unloaded & columns):
        try:
            getattr(instance, key)
        except ObjectDeletedError:
            return  # already gone from the database: there is nothing left to read


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Write the events noted during this flush, inside the flush's transaction."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        _write(session.connection(bind_arguments={"mapper": AuditEvent}), rows)


def _clear_pending(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


# --- bulk statements ------------------------------------------------------------------


def _on_orm_execute(state: ORMExecuteState) -> Any:
    """Record bulk INSERT, UPDATE and DELETE statements on audited tables; guard the trail."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name == AuditEvent.__tablename__ and not state.is_insert:
        raise AuditTrailIsAppendOnly("Audit events cannot be changed or deleted.")
    spec = spec_for_type(name) if isinstance(name, str) else None
    if spec is None:
        return None
    connection = state.session.connection(bind_arguments={"mapper": AuditEvent})
    audit_table: Table = spec.model.__table__  # type: ignore[attr-defined]
    if state.is_insert:
        params = _bulk_params(state)
        result = state.invoke_statement()
        _write(connection, _bulk_inserted(connection, spec, audit_table, params))
        return result
    before = _bulk_rows(connection, audit_table, state)
    result = state.invoke_statement()
    if state.is_delete:
        rows = [_bulk_event(spec, audit_table, AuditAction.DELETE, values, values, None)
                for values in before]
    else:
        after = _rows_by_key(connection, audit_table, [_key_of(audit_table, v) for v in before])
        rows = []
        for old in before:
            new = after.get(_key_of(audit_table, old))
            if new is not None:
                rows.append(_bulk_event(spec, audit_table, AuditAction.UPDATE, new, old, new))
        rows = [row for row in rows if row["changes"]]
    _write(connection, rows)
    return result


def _bulk_params(state: ORMExecuteState) -> list[dict[str, Any]]:
    """The rows a bulk INSERT writes, by column name (attribute keys mapped to columns)."""
    params = state.parameters
    rows = [params] if isinstance(params, Mapping) else list(params or [])
    table = state.statement.table  # type: ignore[attr-defined]
    if rows in ([], [{}]) and getattr(state.statement, "select", None) is None:
        # insert(Model).values(...): the one row's values are bound inside the statement;
        # columns left to their defaults compile as None and are not what was written.
        bound = state.statement.compile().params
        rows = [{key: value for key, value in bound.items()
                 if value is not None or key not in table.c or table.c[key].default is None}]
    mapper = state.bind_mapper
    if mapper is None:
        return [dict(row) for row in rows]
    names = {prop.key: getattr(prop.columns[0], "name", prop.key) for prop in mapper.column_attrs}
    return [{names.get(str(key), str(key)): value for key, value in row.items()} for row in rows]


def _natural_key(table: Table, rows: list[dict[str, Any]]) -> list[str] | None:
    """Columns of a unique constraint every inserted row gives: how to find their ids."""
    candidates = [list(c.columns.keys()) for c in table.constraints
                  if isinstance(c, UniqueConstraint)]
    candidates += [[column.name] for column in table.columns if column.unique]
    for names in candidates:
        if rows and all(all(name in row for name in names) for row in rows):
            return names
    return None


def _comparable(value: Any) -> Any:
    return value.normalize() if isinstance(value, Decimal) else value


def _bulk_inserted(connection: Connection, spec: AuditSpec, table: Table,
                   rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Create events for bulk-inserted rows, their ids found again through a unique key."""
    if not rows:
        return []
    key_names = _natural_key(table, rows)
    ids: dict[tuple[Any, ...], dict[str, Any]] = {}
    if key_names is not None:
        key_columns = [table.c[name] for name in key_names]
        wanted = [tuple(row[name] for name in key_names) for row in rows]
        for start in range(0, len(wanted), 500):
            found = connection.execute(
                select(*table.primary_key.columns, *key_columns)
                .where(tuple_(*key_columns).in_(wanted[start:start + 500]))
            ).mappings()
            for found_row in found:
                key = tuple(_comparable(found_row[name]) for name in key_names)
                ids[key] = dict(found_row)
    events = []
    for row in rows:
        stored = {}
        if key_names is not None:
            stored = ids.get(tuple(_comparable(row[name]) for name in key_names), {})
        values = {**row, **stored}
        events.append(_bulk_event(spec, table, AuditAction.CREATE, values, None, values))
    return events


def _bulk_rows(connection: Connection, table: Table, state: ORMExecuteState
               ) -> list[dict[str, Any]]:
    """The rows a bulk UPDATE or DELETE is about to touch, as they are now."""
    where = getattr(state.statement, "whereclause", None)
    params = state.parameters
    if where is None and isinstance(params, Sequence) and params and not isinstance(params, str):
        # ORM "bulk update by primary key": each parameter set names its row's key.
        keys = [tuple(row.get(c.key, row.get(c.name)) for c in table.primary_key.columns)
                for row in params if isinstance(row, Mapping)]
        return list(_rows_by_key(connection, table, keys).values())
    query = select(table)
    if where is not None:
        query = query.where(where)
    return [dict(row) for row in connection.execute(query).mappings()]


def _key_of(table: Table, values: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(values.get(column.name) for column in table.primary_key.columns)


def _rows_by_key(connection: Connection, table: Table, keys: list[tuple[Any, ...]]
                 ) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Rows by primary key, read in chunks."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    key_columns = list(table.primary_key.columns)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        if not chunk:
            continue
        rows = connection.execute(select(table).where(tuple_(*key_columns).in_(chunk)))
        for row in rows.mappings():
            values = dict(row)
            found[_key_of(table, values)] = values
    return found


def _bulk_event(spec: AuditSpec, table: Table, action: AuditAction, values: Mapping[str, Any],
                before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
                ) -> dict[str, Any]:
    """An event row for one row changed by a bulk statement (values by column name)."""
    primary = [column.name for column in table.primary_key.columns]
    skip = set(registry.NOISE_COLUMNS) | set(spec.exclude)
    if len(primary) == 1:
        skip.add(primary[0])
    names = [column.name for column in table.columns if column.name not in skip]
    changes: dict[str, Any] = {}
    context: dict[str, Any] = {}
    if action is AuditAction.UPDATE and before is not None and after is not None:
        for name in names:
            if jsonable(_comparable(before.get(name))) != jsonable(_comparable(after.get(name))):
                changes[name] = [_value(spec, name, before.get(name)),
                                 _value(spec, name, after.get(name))]
        for name in list(changes):
            currency = _currency_key(names, name)
            if currency and currency not in changes:
                context[currency] = jsonable(after.get(currency))
        if spec.named_by and spec.named_by not in changes:
            context[spec.named_by] = jsonable(after.get(spec.named_by))
    else:
        changes = {name: _value(spec, name, values[name]) for name in names if name in values}
    shown = {name: jsonable(value) for name, value in values.items()}
    parent_type = spec.parent_type
    parent_id = shown.get(spec.parent_column) if spec.parent_column else None
    return {
        "action": action,
        "record_type": spec.record_type,
        "record_id": ":".join("" if values.get(name) is None else str(jsonable(values[name]))
                              for name in primary),
        "parent_type": parent_type if parent_id is not None else None,
        "parent_id": str(parent_id) if parent_id is not None else None,
        "changes": changes,
        "context": context or None,
        "summary": spec.summarize(shown),
    }


# --- installation ---------------------------------------------------------------------


def install_audit_hooks() -> None:
    """Register the audited models and listen to the ORM; safe to call once per app."""
    registry.register_models()
    registry.activate_history()
    if _state["installed"]:
        return
    event.listen(Base, "after_insert", _after_insert, propagate=True)
    event.listen(Base, "after_update", _after_update, propagate=True)
    event.listen(Base, "after_delete", _after_delete, propagate=True)
    # On the Session class, so every session (Flask-SQLAlchemy's or a script's) is covered.
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_soft_rollback", _clear_pending)
    event.listen(Session, "do_orm_execute", _on_orm_execute)
    _state["installed"] = True
