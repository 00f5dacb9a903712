"""Writing many rows at once: ids given in advance, chunks through tracker.bulk.bulk_insert,
and the "created" audit event the ORM hooks would have written for each row."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Table, func, select, text

from tracker.audit.chain import link
from tracker.audit.hooks import bulk_event, current_actor, jsonable
from tracker.audit.models import AuditAction, AuditEvent
from tracker.audit.registry import NOISE_COLUMNS, spec_for_type
from tracker.bulk import bulk_insert
from tracker.db import table_of, utcnow
from tracker.extensions import db

CHUNK = 5_000


def next_id(table: Table) -> int:
    """The first id after the table's rows: bulk rows get their ids here, to refer to them."""
    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


def move_sequence(table: Table) -> None:
    """PostgreSQL: move the id sequence past ids that were given explicitly."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"))


def write_in_chunks(connection: Any, events: EventWriter, table: Table,
                    rows: list[dict[str, Any]]) -> None:
    """Insert the rows CHUNK at a time, each chunk with its audit events, then move the ids."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        bulk_insert(connection, table, chunk)
        events.created(table, chunk)
    move_sequence(table)


def at(day: date, rng: random.Random) -> datetime:
    """A moment during the working day (UTC), never later than now."""
    moment = datetime.combine(day, clock(7, 0), tzinfo=UTC) + timedelta(
        seconds=rng.randint(0, 13 * 3600))
    return min(moment, utcnow())


class EventWriter:
    """Audit events for rows written with Core, as the bulk-insert hook records them.

    The hook's own `bulk_event` costs about 90 µs a row, too slow for a million rows;
    the fast path below builds the same event from the columns worked out once per
    table, and each chunk's first row is checked against `bulk_event` so that the two
    cannot drift apart unnoticed.
    """

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.actor_id, self.actor_label = current_actor(connection)
        self.written = 0
        self.now = utcnow()
        self._columns: dict[str, list[str]] = {}

    def created(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Write a "created" event for each of the rows just inserted into the table."""
        spec = spec_for_type(table.name)
        if not rows or spec is None:
            return
        names = self._columns.get(table.name)
        if names is None:
            skip = set(NOISE_COLUMNS) | set(spec.exclude)
            skip |= {column.name for column in table.primary_key.columns}
            names = [column.name for column in table.columns if column.name not in skip]
            if any(spec.is_secret(name) for name in names):
                raise RuntimeError(f"{table.name} has secret columns: use bulk_event")
            self._columns[table.name] = names
        parent = spec.parent_column
        parent_type = spec.parent_type
        events = []
        for row in rows:
            changes = {name: _plain(row[name]) for name in names}
            parent_id = row[parent] if parent else None
            events.append({
                "action": AuditAction.CREATE, "record_type": spec.record_type,
                "record_id": str(row["id"]),
                "parent_type": parent_type if parent_id is not None else None,
                "parent_id": str(parent_id) if parent_id is not None else None,
                "changes": changes, "context": None, "summary": spec.summarize(changes),
                "actor_id": self.actor_id, "actor_label": self.actor_label[:200],
                "occurred_at": row.get("created_at") or self.now,
            })
        reference = bulk_event(spec, table, AuditAction.CREATE, rows[0], None, rows[0])
        if any(events[0][key] != value for key, value in reference.items()):
            raise RuntimeError(f"the generator's audit events of {table.name} differ from "
                               f"the hook's: {events[0]} != {reference}")
        # Chained like every audit row (ids, hashes), then written by tracker.bulk.
        bulk_insert(self.connection, table_of(AuditEvent), link(self.connection, events))
        self.written += len(events)


def _plain(value: Any) -> Any:
    """audit.hooks.jsonable, quicker for the few types a pledge or payment row holds."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is date:
        return value.isoformat()
    if kind is Decimal:
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return jsonable(value)
