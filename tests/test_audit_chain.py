"""The audit trail is tamper-evident: the database refuses UPDATE and DELETE on its rows, each
event carries the hash of the one before it, and `audit-verify` finds the first broken link."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import flask_babel
import pytest
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, create_engine, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import empty_tables
from tests.factories import make_org
from tests.test_migrations import _keep_logging, empty_app  # noqa: F401  (fixtures)
from tracker.audit.chain import GENESIS, append_events, event_hash, verify_chain
from tracker.audit.hooks import record_event
from tracker.audit.models import AuditAction, AuditEvent
from tracker.db import Base, table_of, utcnow
from tracker.extensions import db
from tracker.money.services import import_rates_csv

# What a person with the database's password would type to hide their tracks.
DROP_TRIGGERS = {
    "postgresql": ["DROP TRIGGER audit_event_append_only ON audit_event"],
    "sqlite": ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"],
}


def connection() -> Connection:
    return db.session.connection()


def rows() -> list[dict[str, Any]]:
    """Every audit row as stored, in id order (the chain's order)."""
    table = table_of(AuditEvent)
    return [dict(row) for row in
            connection().execute(select(table).order_by(table.c.id)).mappings()]


def some_events(count: int = 5) -> list[int]:
    """`count` committed events (organisations created), their ids in order."""
    for n in range(count):
        make_org(name_en=f"Chained NGO {n}")
    return [row["id"] for row in rows()]


def one_event(summary: str) -> dict[str, Any]:
    """A complete audit row, as write_events hands it on."""
    return {"occurred_at": utcnow(), "actor_id": None, "actor_label": "system",
            "action": AuditAction.VIEW, "record_type": "pledge", "record_id": "1",
            "parent_type": None, "parent_id": None, "changes": {"fields": ["email"]},
            "context": None, "summary": summary}


def refused(sql: str, **params: Any) -> str:
    """Run plain SQL in a savepoint and return the database's refusal (failing when it is not)."""
    with pytest.raises(DBAPIError) as caught, connection().begin_nested():
        connection().execute(text(sql), params)
    return str(caught.value.orig)


def drop_triggers(backend: str) -> None:
    """Remove the append-only triggers inside the test's transaction (rolled back after it)."""
    for statement in DROP_TRIGGERS[backend]:
        connection().exec_driver_sql(statement)


def verify(runner, *args: str):
    return runner.invoke(args=["audit-verify", *args])


# --- the database refuses changes ------------------------------------------------------


def test_plain_sql_cannot_change_an_audit_event(app):
    first, *_ = some_events(2)
    before = rows()

    message = refused("UPDATE audit_event SET summary = 'nothing happened' WHERE id = :id",
                      id=first)
    assert "audit_event is append-only" in message
    assert "UPDATE" in message
    refused("UPDATE audit_event SET actor_label = 'someone else'")

    assert rows() == before


def test_plain_sql_cannot_delete_an_audit_event(app):
    first, *_ = some_events(2)
    before = rows()

    message = refused("DELETE FROM audit_event WHERE id = :id", id=first)
    assert "audit_event is append-only" in message
    assert "DELETE" in message
    refused("DELETE FROM audit_event")

    assert rows() == before


def test_plain_sql_can_still_read_and_the_app_can_still_append(app):
    some_events(1)
    make_org(name_en="Later NGO")

    assert [row["summary"] for row in rows()][-1] == "Later NGO"


# --- the chain ---------------------------------------------------------------------------


def test_each_event_carries_the_hash_of_the_one_before_it(app):
    make_org(name_en="Hooked NGO")  # the ORM hooks
    import_rates_csv("date,base,quote,rate,source\n"  # a bulk INSERT statement
                     "2026-03-02,EUR,KZT,540.25,NBK\n2026-03-02,USD,KZT,498.5,NBK\n")
    record_event(db.session(), action=AuditAction.VIEW, record_type="pledge",  # by hand
                 record_id="1", changes={"fields": ["email"]}, summary="Looked")
    db.session.add(AuditEvent(  # an event added through the ORM
        occurred_at=utcnow(), actor_label="system", action=AuditAction.CREATE,
        record_type="organization", record_id="999", changes={"name_en": "By hand"},
        summary="By hand"))
    db.session.execute(insert(AuditEvent), [  # a bulk INSERT of events through the session
        {"action": AuditAction.VIEW, "record_type": "pledge", "record_id": str(n)}
        for n in (2, 3)])
    db.session.execute(insert(AuditEvent).values(  # and one with its values in the statement
        action=AuditAction.EXPORT, record_type="pledge", record_id="4"))
    db.session.commit()

    stored = rows()
    assert len(stored) == 8
    assert [row["id"] for row in stored] == list(range(stored[0]["id"], stored[0]["id"] + 8))
    # The added event is flushed at the commit, after the statements: it comes last.
    assert [row["summary"] for row in stored][-4:] == ["", "", "", "By hand"]
    assert stored[0]["prev_hash"] == GENESIS
    for before, event in itertools.pairwise(stored):
        assert event["prev_hash"] == before["hash"]
    for event in stored:
        assert len(event["hash"]) == 64
        assert event["hash"] == event_hash(event)


def test_an_event_given_numbers_for_text_columns_is_hashed_as_stored(app, runner):
    record_event(db.session(), action=AuditAction.VIEW, record_type="pledge",
                 record_id=42, parent_type="drive", parent_id=7,  # type: ignore[arg-type]
                 changes={"fields": ["email"]}, summary="Looked")
    db.session.add(AuditEvent(action=AuditAction.CREATE, record_type="organization",
                              record_id=43))  # type: ignore[arg-type]
    db.session.commit()

    assert [row["record_id"] for row in rows()] == ["42", "43"]
    assert "The audit trail is whole: 2 events checked." in verify(runner).output


def test_the_hash_covers_every_column_of_the_event(app):
    some_events(1)
    (event,) = rows()

    for name, other in [("summary", "x"), ("actor_label", "x"), ("changes", {"a": 1}),
                        ("context", {"a": 1}), ("record_id", "2"), ("id", event["id"] + 1),
                        ("occurred_at", utcnow()), ("prev_hash", "1" * 64),
                        ("action", AuditAction.DELETE), ("actor_id", 7)]:
        assert event_hash({**event, name: other}) != event["hash"], name


@pytest.mark.commits
def test_two_writers_at_once_never_chain_onto_the_same_event(app, database_url):
    """Each writer holds its transaction open after writing; the other waits, then follows."""
    engine = create_engine(database_url)
    errors: list[BaseException] = []
    started = threading.Barrier(2)

    def write(label: str) -> None:
        try:
            with engine.connect() as own:
                started.wait()
                for n in range(5):
                    with own.begin():
                        append_events(own, [one_event(f"{label} {n}")])
                        time.sleep(0.02)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    try:
        threads = [threading.Thread(target=write, args=(label,)) for label in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with engine.connect() as own:
            report = verify_chain(own)
        assert report.broken is None
        assert report.events == 10
    finally:
        engine.dispose()


@pytest.mark.commits
def test_emptying_the_tables_after_a_committing_test_keeps_the_triggers(app, database_url):
    """The test suite's own cleanup must get past the triggers without removing them."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as own:
            append_events(own, [one_event("before the cleanup")])
        empty_tables(database_url)
        with engine.begin() as own:
            assert verify_chain(own).events == 0
            append_events(own, [one_event("after the cleanup")])
        with engine.connect() as own:
            with pytest.raises(DBAPIError, match="append-only"):
                own.execute(text("DELETE FROM audit_event"))
            own.rollback()
            with pytest.raises(DBAPIError, match="append-only"):
                own.execute(text("UPDATE audit_event SET summary = ''"))
    finally:
        engine.dispose()


# --- audit-verify --------------------------------------------------------------------------


def test_audit_verify_says_an_empty_trail_is_whole(runner):
    result = verify(runner)

    assert result.exit_code == 0, result.output
    assert "The audit trail is whole: 0 events checked." in result.output


def test_audit_verify_says_the_chain_is_whole_with_its_count_and_head(runner):
    ids = some_events(4)

    result = verify(runner)

    assert result.exit_code == 0, result.output
    assert "The audit trail is whole: 4 events checked." in result.output
    head = rows()[-1]
    assert f"Last event: {ids[-1]}, hash {head['hash']}" in result.output


def test_audit_verify_reads_the_trail_in_batches(runner):
    some_events(5)

    result = verify(runner, "--batch-size", "2")

    assert result.exit_code == 0, result.output
    assert "5 events checked" in result.output


def test_audit_verify_finds_an_event_changed_behind_the_triggers(runner, backend):
    ids = some_events(5)
    drop_triggers(backend)
    connection().execute(text("UPDATE audit_event SET summary = 'Innocent NGO' WHERE id = :id"),
                         {"id": ids[2]})

    result = verify(runner)

    assert result.exit_code == 1
    assert f"The audit trail is broken at event {ids[2]}" in result.output
    assert "was changed after it was written" in result.output
    assert "The audit trail is whole" not in result.output
    assert "2 events before it are whole." in result.output


def test_audit_verify_finds_an_event_deleted_from_the_middle(runner, backend):
    ids = some_events(5)
    drop_triggers(backend)
    connection().execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": ids[2]})

    result = verify(runner)

    assert result.exit_code == 1
    assert f"The audit trail is broken at event {ids[3]}" in result.output
    assert f"event {ids[2]}, is missing" in result.output


def test_audit_verify_finds_the_first_event_deleted(runner, backend):
    ids = some_events(3)
    drop_triggers(backend)
    connection().execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": ids[0]})

    result = verify(runner)

    assert result.exit_code == 1
    assert f"The audit trail is broken at event {ids[1]}" in result.output
    assert "missing" in result.output


def test_audit_verify_finds_a_link_rewritten_with_a_fresh_hash(runner, backend):
    """Someone rehashes one event onto a forged predecessor: its own hash fits, its link not."""
    ids = some_events(4)
    drop_triggers(backend)
    event = next(row for row in rows() if row["id"] == ids[2])
    forged = {**event, "prev_hash": "f" * 64}
    connection().execute(text("UPDATE audit_event SET prev_hash = :prev, hash = :hash "
                              "WHERE id = :id"),
                         {"prev": forged["prev_hash"], "hash": event_hash(forged), "id": ids[2]})

    result = verify(runner)

    assert result.exit_code == 1
    assert f"The audit trail is broken at event {ids[2]}" in result.output
    assert f"does not follow event {ids[1]}" in result.output


def test_audit_verify_with_a_recorded_head_finds_events_deleted_from_the_end(runner, backend):
    ids = some_events(4)
    head = rows()[-1]
    anchor = f"{head['id']}:{head['hash']}"
    assert verify(runner, "--head", anchor).exit_code == 0
    drop_triggers(backend)
    connection().execute(text("DELETE FROM audit_event WHERE id >= :id"), {"id": ids[2]})

    assert verify(runner).exit_code == 0  # a shortened chain is still a chain
    result = verify(runner, "--head", anchor)

    assert result.exit_code == 1
    assert f"event {ids[-1]}, is missing" in result.output


def test_audit_verify_after_a_recorded_break_checks_the_events_past_it(runner, backend):
    ids = some_events(5)
    drop_triggers(backend)
    connection().execute(text("UPDATE audit_event SET summary = 'Innocent NGO' WHERE id = :id"),
                         {"id": ids[1]})
    assert verify(runner).exit_code == 1

    past = verify(runner, "--after", str(ids[1]))
    assert past.exit_code == 0, past.output
    assert "The audit trail is whole: 3 events checked." in past.output

    connection().execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": ids[3]})
    later = verify(runner, "--after", str(ids[1]))
    assert later.exit_code == 1
    assert f"The audit trail is broken at event {ids[4]}." in later.output

    missing = verify(runner, "--after", "999999")
    assert missing.exit_code == 2
    assert "There is no event 999999." in missing.output


def test_audit_verify_refuses_a_malformed_head(runner):
    result = verify(runner, "--head", "twelve")

    assert result.exit_code == 2
    assert "ID:HASH" in result.output


def test_audit_verify_speaks_russian(app, runner, backend):
    app.config["BABEL_DEFAULT_LOCALE"] = "ru"
    flask_babel.refresh()
    ids = some_events(2)

    assert "Журнал аудита цел: проверено 2 события." in verify(runner).output
    drop_triggers(backend)
    connection().execute(text("UPDATE audit_event SET actor_id = 1 WHERE id = :id"),
                         {"id": ids[1]})
    broken = verify(runner)
    assert f"Журнал аудита нарушен на событии {ids[1]}." in broken.output
    assert "изменено после записи" in broken.output
    assert "1 событие до него в порядке." in broken.output


# --- the migration -----------------------------------------------------------------------


@pytest.mark.usefixtures("empty_app")
def test_the_migration_chains_existing_events_and_its_downgrade_removes_the_triggers():
    upgrade(revision="0012-1")
    with db.engine.begin() as own:
        for n in (1, 2, 4):  # 3 was rolled back once: ids can have gaps
            own.execute(text(
                "INSERT INTO audit_event (id, occurred_at, actor_label, action, record_type, "
                "record_id, changes, summary) VALUES (:id, :at, 'system', 'create', "
                "'organization', :id, :changes, :summary)"),
                {"id": n, "at": utcnow().replace(tzinfo=None), "changes": '{"a": [1, "б"]}',
                 "summary": f"Before the chain {n}"})

    upgrade()

    with db.engine.connect() as own:
        report = verify_chain(own)
        assert (report.events, report.broken) == (3, None)
        with pytest.raises(DBAPIError, match="append-only"):
            own.execute(text("DELETE FROM audit_event"))
    result = current_app.test_cli_runner().invoke(args=["audit-verify"])
    assert "The audit trail is whole: 3 events checked." in result.output

    downgrade(revision="0012-1")
    with db.engine.begin() as own:
        own.execute(text("DELETE FROM audit_event WHERE id = 1"))
        assert "hash" not in {c["name"] for c in inspect(own).get_columns("audit_event")}
        if own.dialect.name == "postgresql":
            assert own.scalar(text("SELECT count(*) FROM pg_proc "
                                   "WHERE proname = 'audit_event_refuse_change'")) == 0
        else:
            assert own.scalar(text("SELECT count(*) FROM sqlite_master "
                                   "WHERE type = 'trigger'")) == 0


def test_the_models_schema_creates_the_triggers_and_drop_all_leaves_nothing_behind(
        database_url, tmp_path):
    """create_all (the tests' schema) guards the table as the migration does; drop_all undoes it."""
    tables = [table_of(AuditEvent)]
    postgresql = database_url.startswith("postgresql")
    engine = create_engine(database_url if postgresql else f"sqlite:///{tmp_path / 'x.sqlite'}")
    guards = ("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
              "JOIN pg_namespace n ON n.oid = c.relnamespace "
              "WHERE n.nspname = 'chain_check' AND NOT t.tgisinternal" if postgresql else
              "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
    functions = ("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                 "WHERE n.nspname = 'chain_check'" if postgresql else "SELECT 0")
    try:
        with engine.connect() as own, own.begin() as outer:
            if postgresql:  # a schema of its own, beside the shared test tables, rolled back
                own.execute(text("CREATE SCHEMA chain_check"))
                own.execute(text("SET LOCAL search_path TO chain_check"))
            Base.metadata.create_all(own, tables=tables)
            assert own.scalar(text(guards)) == (1 if postgresql else 2)
            assert own.scalar(text(functions)) == (1 if postgresql else 0)
            append_events(own, [one_event("guarded")])
            with pytest.raises(DBAPIError, match="append-only"), own.begin_nested():
                own.execute(text("DELETE FROM audit_event"))
            Base.metadata.drop_all(own, tables=tables)
            assert (own.scalar(text(guards)), own.scalar(text(functions))) == (0, 0)
            outer.rollback()
    finally:
        engine.dispose()
