"""Writing audit events on a connection, in the transaction of the change they record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tracker.audit.actor import current_actor
from tracker.audit.chain import append_events
from tracker.audit.models import AuditAction, AuditEvent
from tracker.audit.values import jsonable
from tracker.db import utcnow

UNREADABLE = "(values could not be recorded)"


def write_events(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert the events with the current actor and one timestamp, on this connection.

    They join the hash chain (tracker/audit/chain.py), which then stays locked to other
    writers until this transaction ends.
    """
    if not rows:
        return
    stamp_events(connection, rows)
    append_events(connection, rows)


def stamp_events(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Give the events who made the change and when: the current actor, one timestamp."""
    actor_id, actor_label = current_actor(connection)
    occurred_at = utcnow()
    for row in rows:
        row.update(actor_id=actor_id, actor_label=actor_label[:200], occurred_at=occurred_at)


def record_event(session: Session, *, action: AuditAction, record_type: str, record_id: str,
                 changes: Mapping[str, Any], summary: str = "", parent_type: str | None = None,
                 parent_id: str | None = None) -> None:
    """Write one event by hand, in the session's transaction, for a change the hooks miss.

    For rows written in bulk on the connection (a file of pledges imported at once),
    where one event saying what happened serves readers better than one per row. Name
    the record type with registry.event_type so that history screens can show it.
    """
    write_events(session.connection(bind_arguments={"mapper": AuditEvent}), [{
        "action": action, "record_type": record_type, "record_id": record_id,
        "parent_type": parent_type, "parent_id": parent_id,
        "changes": {name: jsonable(value) for name, value in changes.items()},
        "context": None, "summary": summary[:300],
    }])
