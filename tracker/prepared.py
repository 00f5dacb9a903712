"""PostgreSQL: a transaction that wrote nothing ends in COMMIT, so prepared statements last.

psycopg prepares a statement on a connection once it has run a few times there, which
spares PostgreSQL parsing it and, once a generic plan is chosen, planning it: half of a
page's longest read (issue 15). But psycopg forgets every prepared statement, and sends
DEALLOCATE ALL, on each ROLLBACK, and every read-only request ends in one (the session
closes its transaction), so nothing stayed prepared from one request to the next.

For a transaction that wrote nothing, COMMIT and ROLLBACK leave the database in the same
state, and release the same locks. So, when SQLAlchemy is about to roll back such a
transaction, the connection commits it first; SQLAlchemy's ROLLBACK then finds no
transaction and psycopg keeps its statements. Whatever else was sent, or any doubt (a
failed transaction, a statement that is not a SELECT), keeps the ROLLBACK.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine

_WROTE = "tracker.prepared.wrote"
# A statement reads when it starts as a read and names no write anywhere (a WITH may hold an
# INSERT; "FOR UPDATE" and a column like "last_update " count too, which only costs the
# COMMIT). Anything else (INSERT, UPDATE, DDL, SET, NOTIFY) marks the transaction a write.
_READ_STARTS = ("SELECT", "(", "WITH", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")
_WRITE_WORDS = ("INSERT ", "UPDATE ", "DELETE ", "MERGE ", "NOTIFY", "SET_CONFIG")


def mark_written(connection: Connection) -> None:
    """Note a write that no statement hook sees (a driver's own cursor) on the transaction."""
    connection.info[_WROTE] = True


def _begin(connection: Connection) -> None:
    # Only PostgreSQL's transactions are watched: elsewhere no statement is looked at.
    if connection.dialect.name == "postgresql":
        connection.info[_WROTE] = False


def _reads_only(statement: str) -> bool:
    text = statement.lstrip().upper()
    return text.startswith(_READ_STARTS) and not any(word in text for word in _WRITE_WORDS)


def _before_cursor_execute(connection: Connection, _cursor: Any, statement: str,
                           *_args: Any) -> None:
    if not connection.info.get(_WROTE, True) and not _reads_only(statement):
        connection.info[_WROTE] = True


def _commit_what_wrote_nothing(connection: Connection) -> None:
    """About to roll back: a PostgreSQL transaction that wrote nothing is committed instead."""
    if connection.info.pop(_WROTE, True):
        return
    import psycopg

    raw = connection.connection.driver_connection
    if (isinstance(raw, psycopg.Connection)
            and raw.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS):
        raw.commit()


def install_prepared_statement_hooks() -> None:
    """Track each transaction's writes and commit those without any; safe to call again."""
    if event.contains(Engine, "rollback", _commit_what_wrote_nothing):
        return
    event.listen(Engine, "begin", _begin)
    event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
    event.listen(Engine, "rollback", _commit_what_wrote_nothing)
