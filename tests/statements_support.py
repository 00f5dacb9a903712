"""The SQL statements a request runs, for tests that a page or a write costs the same
number of statements whatever the database holds (issue 15)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tracker.extensions import db

# The test's own transaction: every test runs inside one and rolls it back.
TEST_TRANSACTION = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """The statements run inside the block, in order, on one line each, without the test
    transaction's savepoints."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(TEST_TRANSACTION):
            statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def statements_of_get(client: Any, path: str) -> tuple[list[str], str]:
    """The statements one GET of the path runs and the page it answers (200 required)."""
    with recorded_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return statements, response.text
