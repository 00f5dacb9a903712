"""PostgreSQL: prepared statements last from one request to the next, and keep one plan.

`planned_once(statement)` is for the reads every view of a busy page runs: see its docstring.
The rest of this module makes a transaction that wrote nothing end in COMMIT:

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

from collections.abc import Collection
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import ExternallyTraversible

Statement = TypeVar("Statement", bound=ExternallyTraversible)

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


def planned_once(statement: Statement, *, keep: Collection[str] = ()) -> Statement:
    """The statement with every bound value but the parameters named in `keep` written into
    its SQL, so that PostgreSQL plans it once on a connection, not at every execution.

    For a prepared statement with parameters, PostgreSQL plans afresh for the values at hand
    (a custom plan) for as long as that looks cheaper than one plan for any value, and a
    status list or a LIMIT as a parameter always does: the dashboard's key read spent 2.7 ms
    planning at each request, longer than it ran, and the public page's state 0.5 ms. With
    only a key (a slug) left as a parameter, or none, it keeps one plan. The values written
    in are the app's own (statuses, limits, names, today's date), rendered as literals by
    the dialect; each distinct value makes a statement of its own, so never a visitor's text.
    Build the result once (SQLAlchemy caches its compiled form like any other statement).
    """

    def written_in(element: Any, **_kw: Any) -> Any:
        if isinstance(element, BindParameter) and element.key not in keep:
            return element.render_literal_execute()
        return None

    traversed = visitors.replacement_traverse(cast(ExternallyTraversible, statement), {},
                                              written_in)
    return cast(Statement, traversed)
