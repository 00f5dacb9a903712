"""The audit trail's hash chain: every event carries the hash of the one before it.

An event's `hash` is SHA-256 (hex) over a canonical JSON of all its columns, its id and
`prev_hash` included: a JSON array of the values in the order of HASHED, objects inside
with sorted keys, no spaces, ASCII only, the time as ISO 8601 in UTC with microseconds.
`prev_hash` is the previous event's `hash` (GENESIS for the first).
The chain's order is id order. Ids are given here, not by the database, so that the hash
can cover them even for many rows inserted at once: the next id is the last one plus one,
so ids written from now on have no gaps, and a gap before a broken link means events
were deleted there.

Every way an audit row is written goes through `link` (write_events, record_event, bulk
statements, events added to the session, the benchmark's generator). It runs under one
lock per database, held until the transaction ends, so that two transactions can never
both chain onto the same event: PostgreSQL's transaction-level advisory lock, and on
SQLite the one write lock the database has. The id being the primary key is the second
net: two events given the same place cannot both be stored. Since that lock makes every
writer of the app wait for the one holding it, the events of ORM flushes are deferred
(`defer`) and linked just before the commit, after the roll-ups (audit.hooks); any other
way into the chain appends them first, so the chain's order is still that of the changes.

The chain shows an edit or deletion by someone who does not rebuild it. Whoever can
write the table and knows this file can recompute every hash after an edit, and
removing the newest events leaves a shorter chain that is still whole: `audit-verify
--head ID:HASH` checks against a head recorded elsewhere (README, Audit trail).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, event, insert, select, text
from sqlalchemy.pool import Pool

from tracker.audit.models import AuditEvent
from tracker.db import table_of, utcnow

GENESIS = "0" * 64
# Any fixed 64-bit number names the lock; this one is "audit_ev" in ASCII.
LOCK_KEY = int.from_bytes(b"audit_ev", "big")
HASHED = ("id", "occurred_at", "actor_id", "actor_label", "action", "record_type",
          "record_id", "parent_type", "parent_id", "changes", "context", "summary",
          "prev_hash")
_TEXT = ("actor_label", "action", "record_type", "record_id", "parent_type", "parent_id",
         "summary")


# Sorted keys, no spaces, ASCII only: the same event always gives the same bytes,
# whichever database stored its JSON and in which key order it comes back.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        # The stored precision on both databases: microseconds, in UTC.
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, enum.Enum):
        return value.value
    return value


def event_hash(values: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of one event's columns and its predecessor's hash, canonically."""
    encoded = _ENCODER.encode([_canonical(values.get(name)) for name in HASHED])
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def _take_lock(connection: Connection) -> None:
    """Hold the chain until this transaction ends, so that no other writer reads its head."""
    if connection.dialect.name == "sqlite":
        # A write that matches no row (so no trigger fires) takes SQLite's write lock now,
        # before the head is read, instead of at the INSERT after it.
        connection.exec_driver_sql("UPDATE audit_event SET id = id WHERE 0")
    else:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def _head(connection: Connection) -> tuple[int, str]:
    """The last event's id and hash, or (0, GENESIS) for an empty trail."""
    table = table_of(AuditEvent)
    row = connection.execute(
        select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)).first()
    return (0, GENESIS) if row is None else (row.id, row.hash)


# PostgreSQL's lock and the head's read in one round trip: two statements of one simple
# query. Under READ COMMITTED each statement takes its own snapshot when it starts, so the
# head is read after the lock is granted and sees every event committed before it, as a
# second query would (one statement, `SELECT lock, (SELECT head)`, would not: its snapshot
# is taken before it waits for the lock). No parameters, so that it goes as a simple query.
_LOCK_THEN_HEAD = (f"SELECT pg_advisory_xact_lock({LOCK_KEY}); "
                   "SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")


def _lock_and_head(connection: Connection) -> tuple[int, str]:
    """Take the chain's lock, then read its head: (0, GENESIS) for an empty trail."""
    if (connection.dialect.name, connection.dialect.driver) != ("postgresql", "psycopg"):
        _take_lock(connection)  # (psycopg2 gives back only the last result of a query)
        return _head(connection)
    result = connection.exec_driver_sql(_LOCK_THEN_HEAD)
    try:
        cursor = result.cursor
        if cursor is None or not cursor.nextset():
            raise RuntimeError("the audit chain's head did not come back with its lock")
        row = cursor.fetchone()
    finally:
        result.close()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


# The head this transaction last appended, kept on its connection: while the lock is held
# no one else can move it, so a second flush of the same transaction (a payment, then its
# pledge's new paid amount) neither asks for the lock again nor reads the head again.
_OWN_HEAD = "tracker.audit.own_head"


def _held_head(connection: Connection) -> tuple[int, str] | None:
    """The head this transaction wrote last, if it still holds the lock; taken off the
    connection, so that a link that fails before `_remember` leaves nothing behind."""
    held = connection.info.pop(_OWN_HEAD, None)
    if held is None or held[0] is not connection.get_transaction():
        return None
    return held[1], held[2]


def _remember(connection: Connection, last_id: int, last_hash: str) -> None:
    connection.info[_OWN_HEAD] = (connection.get_transaction(), last_id, last_hash)


def _forget_head(connection: Connection, *_args: Any) -> None:
    """A rollback (of the transaction or of a savepoint) may undo events, and frees the lock
    taken inside it: the head must be read again, under the lock taken again. Events
    deferred since the innermost savepoint began are undone with it (see `defer`)."""
    connection.info.pop(_OWN_HEAD, None)
    connection.info.pop(_DEFERRED, None)


# --- deferring events to the end of the transaction ---------------------------------------

# Events a transaction's ORM flushes noted, complete but not yet linked: the chain's lock
# is global (one writer at a time in the whole app), so they are linked and inserted as
# late as possible, just before the commit and after the roll-ups (audit.hooks), rather
# than at the first flush. Kept on the connection so that every other way into the
# chain (`link`) appends them first and the chain's order stays the order of the changes.
_DEFERRED = "tracker.audit.deferred"


def defer(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Keep complete events (actor and time stamped) to append at the latest before commit."""
    connection.info.setdefault(_DEFERRED, []).extend(rows)


def append_deferred(connection: Connection) -> None:
    """Link and insert the events deferred on this connection, if any (takes the lock)."""
    rows = connection.info.pop(_DEFERRED, None)
    if rows:
        append_events(connection, rows)


def _append_before_savepoint(connection: Connection, *_args: Any) -> None:
    """A savepoint begins: what was deferred before it is written outside it, so that a
    rollback to it drops exactly the events deferred after it (see _forget_head)."""
    append_deferred(connection)


def _refuse_lost_events(connection: Connection) -> None:
    """A commit with events still deferred would lose them: append them before it goes."""
    if connection.info.get(_DEFERRED):
        append_deferred(connection)
    _forget_head(connection)


def _drop_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    """A connection back in the pool keeps its `info`: nothing deferred may outlive its
    transaction (a session dropped without closing) and reach the next one."""
    if record is not None:
        record.info.pop(_DEFERRED, None)
        record.info.pop(_OWN_HEAD, None)


def install_chain_hooks() -> None:
    """Forget the remembered head whenever a transaction or a savepoint is rolled back."""
    if _installed:
        return
    event.listen(Engine, "rollback", _forget_head)
    event.listen(Engine, "rollback_savepoint", _forget_head)
    event.listen(Engine, "savepoint", _append_before_savepoint)
    event.listen(Engine, "commit", _refuse_lost_events)
    event.listen(Pool, "checkin", _drop_on_checkin)
    _installed.append(True)


_installed: list[bool] = []


def link(connection: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give new events, in order, their ids, their predecessor's hash and their own hash.

    Call it on the connection that then inserts the rows, in the same transaction: the
    lock it takes lasts until that transaction commits or rolls back.
    """
    if not rows:
        return rows
    # Events deferred by earlier flushes of this transaction come first in the chain.
    append_deferred(connection)
    held = _held_head(connection)
    if held is None:
        held = _lock_and_head(connection)
    last_id, previous = held
    for row in rows:
        for name in _TEXT:
            # Hashed as they will be read back: a text column gives back text.
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                row[name] = str(value.value if isinstance(value, enum.Enum) else value)
        last_id += 1
        row["id"] = last_id
        row["prev_hash"] = previous
        row["hash"] = previous = event_hash(row)
    return rows


def complete(row: dict[str, Any]) -> dict[str, Any]:
    """Fill in the columns an event written by hand may leave out, as their defaults would.

    The hash covers every column, so each must hold its final value before it is hashed.
    """
    for name in HASHED:
        if row.get(name) is None:
            row[name] = _DEFAULTS[name]() if name in _DEFAULTS else None
    return row


_DEFAULTS: dict[str, Callable[[], Any]] = {
    "occurred_at": utcnow, "actor_label": str, "changes": dict, "summary": str}


def append_events(connection: Connection, rows: list[dict[str, Any]]) -> CursorResult[Any]:
    """Chain the events (complete rows, at least one) and insert them on the connection."""
    if not rows:
        raise ValueError("no audit events to append")
    linked = link(connection, rows)
    result = connection.execute(insert(AuditEvent), linked)
    _remember(connection, linked[-1]["id"], linked[-1]["hash"])
    return result


# --- checking the chain -----------------------------------------------------------------


class Problem(enum.Enum):
    CHANGED = "changed"  # the event's columns no longer give its hash
    UNCHAINED = "unchained"  # written past the chain, without a hash
    MISSING = "missing"  # its predecessor is gone: ids skipped, or the first event
    WRONG_LINK = "wrong_link"  # follows the event before it, but names another
    HEAD_MISSING = "head_missing"  # the recorded head is no longer there
    HEAD_CHANGED = "head_changed"  # the recorded head is there with another hash


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link: at which event, what is wrong, and the event before it."""

    event_id: int
    problem: Problem
    previous_id: int | None = None


@dataclass(frozen=True)
class ChainReport:
    """How many events were checked, the last one, and the first break if any."""

    events: int
    last_id: int | None
    last_hash: str | None
    broken: ChainBreak | None = None


def verify_chain(connection: Connection, *, batch_size: int = 1000,
                 head: tuple[int, str] | None = None, after: int | None = None) -> ChainReport:
    """Walk the trail in id order, `batch_size` rows at a time, up to its first broken link.

    `head` is an (id, hash) recorded earlier: that event must still be there, unchanged.
    `after` starts past an event (a break already found and recorded), taking its hash
    as it is stored; LookupError when there is no such event.
    """
    table = table_of(AuditEvent)
    previous_id, previous_hash, checked = 0, GENESIS, 0
    if after is not None:
        stored = connection.scalar(select(table.c.hash).where(table.c.id == after))
        if stored is None:
            raise LookupError(after)
        previous_id, previous_hash = after, stored
    while True:
        batch = connection.execute(
            select(table).where(table.c.id > previous_id).order_by(table.c.id)
            .limit(batch_size)).mappings().all()
        for row in batch:
            event_id = row["id"]
            if head is not None and previous_id < head[0] < event_id:
                return ChainReport(checked, previous_id, previous_hash,
                                   ChainBreak(head[0], Problem.HEAD_MISSING))
            problem = _problem(row, previous_id, previous_hash)
            if problem is not None:
                return ChainReport(checked, previous_id or None, previous_hash,
                                   ChainBreak(event_id, problem, previous_id or None))
            if head is not None and event_id == head[0] and row["hash"] != head[1]:
                return ChainReport(checked, previous_id, previous_hash,
                                   ChainBreak(event_id, Problem.HEAD_CHANGED))
            previous_id, previous_hash = event_id, row["hash"]
            checked += 1
        if len(batch) < batch_size:
            break
    if head is not None and head[0] > previous_id:
        return ChainReport(checked, previous_id or None, previous_hash,
                           ChainBreak(head[0], Problem.HEAD_MISSING))
    return ChainReport(checked, previous_id or None, previous_hash if checked else None)


def _problem(row: Mapping[Any, Any], previous_id: int, previous_hash: str) -> Problem | None:
    """What is wrong with one event given the one before it, or None."""
    if not row["hash"] or not row["prev_hash"]:
        return Problem.UNCHAINED
    if row["hash"] != event_hash(row):
        return Problem.CHANGED
    if row["prev_hash"] == previous_hash:
        return None
    if row["id"] != previous_id + 1 or previous_id == 0:
        return Problem.MISSING
    return Problem.WRONG_LINK
