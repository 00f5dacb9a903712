"""Audit events for bulk INSERT, UPDATE and DELETE statements, which skip the mapper events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Insert, Table, UniqueConstraint, select, tuple_
from sqlalchemy.orm import ORMExecuteState

from tracker.audit import registry
from tracker.audit.chain import append_events, complete
from tracker.audit.models import AuditAction, AuditEvent, AuditTrailIsAppendOnly
from tracker.audit.registry import AuditSpec, spec_for_type
from tracker.audit.trail import write_events
from tracker.audit.values import comparable, currency_key, jsonable, recorded_value
from tracker.db import table_of


def on_orm_execute(state: ORMExecuteState) -> Any:
    """Record bulk INSERT, UPDATE and DELETE statements on audited tables; guard the trail."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name == AuditEvent.__tablename__:
        if not state.is_insert:
            raise AuditTrailIsAppendOnly("Audit events cannot be changed or deleted.")
        return _insert_events(state)
    spec = spec_for_type(name) if isinstance(name, str) else None
    if spec is None:
        return None
    connection = state.session.connection(bind_arguments={"mapper": AuditEvent})
    audit_table = table_of(spec.model)
    if state.is_insert:
        params = _bulk_params(state)
        result = state.invoke_statement()
        write_events(connection, _bulk_inserted(connection, spec, audit_table, params))
        return result
    before = _bulk_rows(connection, audit_table, state)
    result = state.invoke_statement()
    if state.is_delete:
        rows = [bulk_event(spec, audit_table, AuditAction.DELETE, values, values, None)
                for values in before]
    else:
        after = _rows_by_key(connection, audit_table, [_key_of(audit_table, v) for v in before])
        rows = []
        for old in before:
            new = after.get(_key_of(audit_table, old))
            if new is not None:
                rows.append(bulk_event(spec, audit_table, AuditAction.UPDATE, new, old, new))
        rows = [row for row in rows if row["changes"]]
    write_events(connection, rows)
    return result


def _insert_events(state: ORMExecuteState) -> Any:
    """`session.execute(insert(AuditEvent), rows)`: the rows join the hash chain like any."""
    if getattr(state.statement, "select", None) is not None:
        raise AuditTrailIsAppendOnly("Audit events cannot be copied with INSERT ... SELECT: "
                                     "each must join the hash chain.")
    rows = [complete(row) for row in _bulk_params(state)]
    return append_events(state.session.connection(bind_arguments={"mapper": AuditEvent}), rows)


def _bulk_params(state: ORMExecuteState) -> list[dict[str, Any]]:
    """The rows a bulk INSERT writes, by column name (attribute keys mapped to columns)."""
    params = state.parameters
    rows = [params] if isinstance(params, Mapping) else list(params or [])
    statement = cast(Insert, state.statement)  # the hook passes bulk INSERTs only
    table = statement.table
    if rows in ([], [{}]) and getattr(statement, "select", None) is None:
        # insert(Model).values(...): the one row's values are bound inside the statement;
        # columns left to their defaults compile as None and are not what was written.
        bound = statement.compile().params
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
                key = tuple(comparable(found_row[name]) for name in key_names)
                ids[key] = dict(found_row)
    events = []
    for row in rows:
        stored = {}
        if key_names is not None:
            stored = ids.get(tuple(comparable(row[name]) for name in key_names), {})
        values = {**row, **stored}
        events.append(bulk_event(spec, table, AuditAction.CREATE, values, None, values))
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


def bulk_event(spec: AuditSpec, table: Table, action: AuditAction, values: Mapping[str, Any],
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
            if jsonable(comparable(before.get(name))) != jsonable(comparable(after.get(name))):
                changes[name] = [recorded_value(spec, name, before.get(name)),
                                 recorded_value(spec, name, after.get(name))]
        for name in list(changes):
            currency = currency_key(names, name)
            if currency and currency not in changes:
                context[currency] = jsonable(after.get(currency))
        if spec.named_by and spec.named_by not in changes:
            context[spec.named_by] = jsonable(after.get(spec.named_by))
    else:
        changes = {name: recorded_value(spec, name, values[name])
                   for name in names if name in values}
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
