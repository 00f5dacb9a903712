"""The audit chain's lock is global (one writer at a time in the whole app): a write's
events join the chain as late as possible, after its roll-ups, just before the commit
(issue 15), and the chain stays whole and in the order of the changes."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.drive_support import make_pledge, page_text, recomputed_totals, stored_totals
from tests.test_write_cost import PAGE, chain_locks, org, post_payment, post_pledge
from tracker.audit.chain import verify_chain
from tracker.audit.models import AuditEvent
from tracker.drives import services
from tracker.drives.models import Drive
from tracker.extensions import db

ROLLUPS = ("UPDATE drive_totals", "UPDATE campaign_funding", "UPDATE drive_money_bucket",
           "UPDATE campaign_money_bucket")


def first(statements: list[str], *starts: str) -> int:
    return min(n for n, sql in enumerate(statements) if sql.startswith(starts))


def last(statements: list[str], *starts: str) -> int:
    return max(n for n, sql in enumerate(statements) if sql.startswith(starts))


def chain_steps(statements: list[str]) -> list[int]:
    """Where the chain was locked, its head read and its events inserted."""
    return [n for n, sql in enumerate(statements)
            if sql.startswith("INSERT INTO audit_event") or chain_locks([sql])
            or (sql.startswith("SELECT audit_event.id, audit_event.hash"))]


def assert_chain_after_rollups(statements: list[str]) -> None:
    steps = chain_steps(statements)
    assert steps, statements
    assert min(steps) > last(statements, *ROLLUPS)


def test_a_pledge_posts_events_join_the_chain_after_its_rollups(as_lead, drive):
    statements = post_pledge(as_lead, "Anna")
    assert_chain_after_rollups(statements)
    assert verify_chain(db.session.connection()).broken is None
    shown = page_text(as_lead.get(PAGE).text)
    assert "Pledge of" in shown and "logged." in shown


def test_a_payments_events_join_the_chain_after_its_rollups(as_lead, drive):
    pledge_id = make_pledge(drive, amount="5000", name="Payer").id
    statements = post_payment(as_lead, pledge_id)
    assert_chain_after_rollups(statements)
    # The payment, then its pledge's new paid amount: one insert of both, in that order.
    events = db.session.execute(
        select(AuditEvent.record_type, AuditEvent.action).order_by(AuditEvent.id.desc())
        .limit(2)).all()
    assert [row.record_type for row in reversed(events)] == ["payment", "pledge"]
    assert verify_chain(db.session.connection()).broken is None


def test_the_trail_read_inside_a_transaction_shows_its_own_events(app):
    db.session.add(org("Read back"))
    db.session.flush()
    summaries = db.session.scalars(select(AuditEvent.summary)).all()
    assert any("Read back" in summary for summary in summaries)
    db.session.commit()
    assert verify_chain(db.session.connection()).broken is None


def test_events_before_a_savepoint_are_kept_when_it_is_undone(app):
    db.session.add(org("Before it"))
    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.add(org("Inside it"))
            db.session.flush()
            raise RuntimeError("undo")
    except RuntimeError:
        pass
    db.session.add(org("After it"))
    db.session.commit()
    summaries: list[Any] = [row.summary for row in db.session.execute(
        text("SELECT summary FROM audit_event ORDER BY id"))]
    joined = " | ".join(summaries)
    assert "Inside it" not in joined
    assert joined.index("Before it") < joined.index("After it")
    assert verify_chain(db.session.connection()).broken is None


@pytest.mark.commits
def test_a_writer_mid_transaction_does_not_hold_back_another_writers_commit(
        app, backend, drive):
    """Two pledges to one drive: the first is flushed, not yet committed; the second
    commits meanwhile (the chain's lock is not taken before the first one's commit)."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")
    drive_id = drive.id
    db.session.remove()
    done, errors = threading.Event(), []

    def second_writer() -> None:
        try:
            with app.app_context():
                log("Second")
                db.session.commit()
                db.session.remove()
                done.set()
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    def log(name: str) -> None:
        target = db.session.get(Drive, drive_id)
        assert target is not None
        services.log_pledge(target, services.PledgeInput(
            amount=Decimal("100"), currency="RUB", pledged_on=date(2026, 3, 10),
            pledger_name=name), by=None)

    with app.app_context():
        log("First")
        db.session.flush()  # its events are noted; the chain is not locked yet
        writer = threading.Thread(target=second_writer)
        writer.start()
        committed_meanwhile = done.wait(10)
        db.session.commit()
        writer.join(20)
        assert not errors, errors
        assert committed_meanwhile
        assert verify_chain(db.session.connection()).broken is None
        again = db.session.get(Drive, drive_id)
        assert again is not None
        assert stored_totals(again) == recomputed_totals(again)
        summaries = db.session.scalars(select(AuditEvent.summary).order_by(AuditEvent.id)).all()
        joined = " | ".join(summaries)
        assert joined.index("Second") < joined.index("First")  # the chain's order: commits'
        db.session.remove()
