"""The audit chain's lock is global (one writer at a time in the whole app): a write's
events join the chain as late as possible, after its roll-ups, just before the commit
(issue 15), and the chain stays whole and in the order of the changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from tests.drive_support import make_pledge, page_text
from tests.test_write_cost import PAGE, chain_locks, org, post_payment, post_pledge
from tracker.audit.chain import verify_chain
from tracker.audit.models import AuditEvent
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
