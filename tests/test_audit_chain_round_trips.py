"""The audit chain's lock and head cost one round trip on PostgreSQL (issue 15), and a writer
that waited for the lock still chains onto the event committed while it waited."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, event

from tests.test_audit_chain import one_event
from tracker.audit.chain import append_events, verify_chain


def _statements_of(engine: Any, work: Any) -> list[str]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


@pytest.mark.commits
def test_a_transactions_first_event_locks_reads_the_head_and_inserts_in_two_statements(
        app, database_url, backend):
    if backend != "postgresql":
        pytest.skip("SQLite runs in the process: its lock and head cost no round trip")
    engine = create_engine(database_url)
    try:
        with engine.connect() as own:
            with own.begin():
                append_events(own, [one_event("first")])

            def second() -> None:
                with own.begin():
                    append_events(own, [one_event("second")])

            statements = _statements_of(engine, second)
            assert len(statements) == 2, statements
            assert "pg_advisory_xact_lock" in statements[0]
            report = verify_chain(own)
        assert report.broken is None and report.events == 2
    finally:
        engine.dispose()


@pytest.mark.commits
def test_a_writer_that_waited_for_the_lock_chains_onto_the_event_committed_meanwhile(
        app, database_url):
    """The first writer holds the lock with its event written; the second asks for the lock
    (and the head with it), waits, and must then read the first's committed event."""
    engine = create_engine(database_url)
    errors: list[BaseException] = []
    asked = threading.Event()

    def second_writer() -> None:
        try:
            with engine.connect() as own, own.begin():
                asked.set()
                append_events(own, [one_event("second")])
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    try:
        with engine.connect() as first:
            with first.begin():
                append_events(first, [one_event("first")])
                waiting = threading.Thread(target=second_writer)
                waiting.start()
                assert asked.wait(10)
                time.sleep(0.3)  # the second writer is now waiting for the lock
            waiting.join(20)
            assert errors == []
            report = verify_chain(first)
        assert report.broken is None and report.events == 2
    finally:
        engine.dispose()
