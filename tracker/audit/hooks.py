"""ORM hooks that write the audit trail inside the same transaction as each change.

- Mapper events (`after_insert`, `after_update`, `after_delete`) on every model note
  the changes of audited ones while a flush runs, including cascaded and orphaned
  children; `after_flush` stamps those notes (actor, time) and keeps them on the flush's
  own connection, and `before_commit` writes them as `audit_event` rows there, after the
  roll-ups: an event commits or rolls back together with its change, and the chain's
  global lock (tracker/audit/chain.py) is held only from then to the commit.
- `do_orm_execute` covers bulk statements (`session.execute(insert(Model), rows)`,
  `update(Model).where(...)`, `delete(...)`), which skip the mapper events.
- `before_flush` refuses a changed or deleted `AuditEvent`: the trail is append-only
  (the database refuses it too); an event added to the session joins the hash chain.

These hooks run inside every area's flushes, so reading values never raises: an odd
value is stored as text, and a record whose values cannot be read is still recorded,
with a note instead of its values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, event, inspect
from sqlalchemy.orm import InstanceState, Mapper, ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.exc import ObjectDeletedError

from tracker.audit import registry
from tracker.audit.actor import ANONYMOUS, COMMAND_LINE, SYSTEM, acting_as, current_actor
from tracker.audit.bulk import bulk_event, on_orm_execute
from tracker.audit.chain import (
    HASHED,
    append_deferred,
    complete,
    defer,
    install_chain_hooks,
    link,
)
from tracker.audit.models import AuditAction, AuditEvent, AuditTrailIsAppendOnly
from tracker.audit.registry import AuditSpec, spec_for
from tracker.audit.trail import UNREADABLE, record_event, stamp_events, write_events
from tracker.audit.values import currency_key, jsonable, recorded_value
from tracker.db import Base

# Other areas import these from here, where the trail's hooks live.
__all__ = [
    "ANONYMOUS",
    "COMMAND_LINE",
    "SYSTEM",
    "UNREADABLE",
    "acting_as",
    "bulk_event",
    "current_actor",
    "install_audit_hooks",
    "jsonable",
    "record_event",
]

log = logging.getLogger(__name__)

_PENDING = "tracker.audit.pending"
_DEFERRED_ON = "tracker.audit.deferred_on"  # the connection holding this session's deferred events
_COMMITTING = "tracker.audit.committing"  # past _before_commit: a flush writes its events at once
_state = {"installed": False}


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


def _record_id(mapper: Mapper[Any], values: Mapping[str, Any]) -> str:
    """The primary key as text; a composite key joined with ':' ('12:KZ')."""
    parts = []
    for column in mapper.primary_key:
        prop = mapper.get_property_by_column(column)
        parts.append("" if values.get(prop.key) is None else str(jsonable(values[prop.key])))
    return ":".join(parts)


def _snapshot(state: InstanceState[Any], spec: AuditSpec) -> dict[str, Any]:
    """Every recorded column's loaded value (never loads anything: this runs mid-flush)."""
    values = {}
    for key, name in _columns(state.mapper, spec):
        if key in state.dict:
            values[name] = recorded_value(spec, name, state.dict[key])
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
        changes[name] = [recorded_value(spec, name, before), recorded_value(spec, name, after)]
    names = [name for _, name in columns]
    context = {}
    for name in changes:
        currency = currency_key(names, name)
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
        parent_type, parent_column = spec.parent_type, spec.parent_column
        if (parent_type is not None and parent_column is not None
                and current.get(parent_column) is not None):
            row["parent_type"] = parent_type
            row["parent_id"] = str(current[parent_column])
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
    added = [instance for instance in session.new if isinstance(instance, AuditEvent)]
    if added:
        _chain_added(session, added)


def _chain_added(session: Session, added: list[AuditEvent]) -> None:
    """Give events added to the session their place in the hash chain, as write_events does."""
    rows = [complete({name: getattr(instance, name) for name in HASHED}) for instance in added]
    link(session.connection(bind_arguments={"mapper": AuditEvent}), rows)
    for instance, row in zip(added, rows, strict=True):
        for name, value in row.items():
            setattr(instance, name, value)


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
    """Stamp the events noted during this flush and keep them for the commit.

    They are linked into the chain (whose lock serialises every writer) only just before
    the commit, after the roll-ups (_before_commit), or earlier when something else
    writes to the chain or reads the trail first; a flush during the commit writes its own.
    """
    rows = session.info.pop(_PENDING, None)
    if not rows:
        return
    connection = session.connection(bind_arguments={"mapper": AuditEvent})
    if session.info.get(_COMMITTING):
        write_events(connection, rows)
        return
    stamp_events(connection, rows)  # who and when are those of the change, not of the commit
    defer(connection, rows)
    session.info[_DEFERRED_ON] = connection


def _append_deferred(session: Session) -> None:
    connection = session.info.pop(_DEFERRED_ON, None)
    if connection is not None and not connection.closed:
        append_deferred(connection)


def _before_commit(session: Session) -> None:
    """Append the deferred events last, after the roll-ups' own hook (funding.rollups),
    so that the chain's lock is held from here to the commit only."""
    if session.in_nested_transaction():
        return  # a savepoint's end is not the commit: its events go with the transaction
    session.flush()
    session.info[_COMMITTING] = True
    _append_deferred(session)


def _before_audit_read(state: ORMExecuteState) -> None:
    """A query of the trail inside the transaction sees the events its flushes noted."""
    if state.is_select and _DEFERRED_ON in state.session.info and any(
            mapper.class_ is AuditEvent for mapper in state.all_mappers):
        _append_deferred(state.session)


def _clear_pending(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_COMMITTING, None)
    session.info.pop(_DEFERRED_ON, None)


def _after_commit(session: Session) -> None:
    session.info.pop(_COMMITTING, None)
    session.info.pop(_DEFERRED_ON, None)


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
    event.listen(Session, "do_orm_execute", on_orm_execute)
    event.listen(Session, "do_orm_execute", _before_audit_read)
    # After every other before_commit hook: funding.rollups inserts its own at the front.
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    install_chain_hooks()
    _state["installed"] = True
