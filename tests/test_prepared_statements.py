"""PostgreSQL keeps a page's statements prepared from one request to the next (issue 15).

psycopg forgets its prepared statements at every ROLLBACK, and every read-only request ended
in one: nothing stayed prepared and PostgreSQL parsed and planned each read again. A
transaction that wrote nothing now ends in COMMIT instead; one that wrote still rolls back.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tracker.extensions import db

pytestmark = pytest.mark.commits


def _prepared_count(connection) -> int:
    return connection.scalar(text("SELECT count(*) FROM pg_prepared_statements"))


@pytest.mark.usefixtures("signed_in_admin")
def test_a_page_read_again_runs_on_the_statements_prepared_by_the_requests_before(
        app, client, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no server-side prepared statements")
    db.session.commit()
    db.session.remove()
    for _ in range(8):
        assert client.get("/campaigns/").status_code == 200
        db.session.remove()  # as the request's own app context does when it ends

    # The pool hands back the one connection the requests used.
    with db.engine.connect() as connection:
        assert _prepared_count(connection) > 0


@pytest.fixture
def probe(app, database_url, backend):
    """A connection of its own to PostgreSQL, with an empty table to write to."""
    if backend != "postgresql":
        pytest.skip("SQLite's ROLLBACK costs no prepared statement")
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS prepared_probe (n integer)"))
            connection.commit()
            yield connection
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS prepared_probe"))
        engine.dispose()


def _probe_rows(connection) -> int:
    rows = connection.scalar(text("SELECT count(*) FROM prepared_probe"))
    connection.rollback()
    return rows


def test_a_transaction_that_wrote_still_rolls_back(probe):
    probe.execute(text("SELECT 1"))
    probe.execute(text("insert into prepared_probe values (1)"))
    probe.rollback()
    with_cte = text("WITH added AS (INSERT INTO prepared_probe VALUES (2) RETURNING n) "
                    "SELECT n FROM added")
    assert probe.scalar(with_cte) == 2
    probe.rollback()
    assert _probe_rows(probe) == 0


def test_a_write_through_the_drivers_own_cursor_is_marked_and_rolls_back(probe):
    from tracker.prepared import mark_written

    probe.execute(text("SELECT 1"))
    with probe.connection.cursor() as cursor:
        cursor.execute("INSERT INTO prepared_probe VALUES (3)")
    mark_written(probe)
    probe.rollback()
    assert _probe_rows(probe) == 0
