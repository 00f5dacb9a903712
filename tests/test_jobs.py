"""Jobs without a worker: Redis down during a request, the embedded sweep, the schedule.

The worker and scheduler processes on real Redis are in tests/test_worker.py.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask, redirect
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tests.mail_support import free_port
from tracker.auth.sessions import public
from tracker.db import utcnow
from tracker.extensions import db
from tracker.jobs import enqueue, run_ready_jobs
from tracker.jobs.queue import LAST_SWEEP
from tracker.jobs.schedule import SCHEDULE, SWEEP_TASK, find_task, run_periodic
from tracker.mail.delivery import send_due_messages
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.mail.outbox import queue_message


def _queue(address: str = "ana@example.org", **extra):
    return queue_message(kind="test_message", recipient=address, language="en",
                         subject=_l("A test message from Tracker"),
                         context={"server": "smtp.example", "site_url": "http://localhost/"},
                         **extra)


def _add_queueing_route(app: Flask) -> None:
    @app.post("/test/queue-mail")
    @public
    def queue_mail():
        _queue(address="visitor@example.org")
        db.session.commit()
        return redirect("/")


def _closed_port_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


# --- Redis down during a request ------------------------------------------------------------


@pytest.mark.fresh_app
def test_with_redis_down_the_request_succeeds_and_the_sweep_delivers_once(app, smtp_inbox,
                                                                         caplog):
    _add_queueing_route(app)
    app.config["REDIS_URL"] = _closed_port_url()
    client = app.test_client()

    response = client.post("/test/queue-mail")

    assert response.status_code == 302 and response.location == "/"
    assert smtp_inbox.messages == []
    assert "Could not reach Redis" in caplog.text
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.status is MessageStatus.QUEUED and message.attempts == 0

    assert send_due_messages() == 1  # the scheduler's sweep, once Redis is back or not
    assert send_due_messages() == 0
    assert [m["To"] for m in smtp_inbox.messages] == ["visitor@example.org"]


def test_a_failed_redis_enqueue_does_not_undo_the_commit(app, smtp_inbox):
    app.config["REDIS_URL"] = _closed_port_url()
    _queue()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert run_ready_jobs() == 0  # the job went (tried to go) to Redis, not to this process


# --- the embedded sweep ---------------------------------------------------------------------


@pytest.mark.fresh_app
def test_without_redis_a_request_sweeps_what_is_due_at_most_once_a_minute(app, smtp_inbox):
    _add_queueing_route(app)
    app.config["MAIL_SWEEP_SECONDS"] = 60
    smtp_inbox.refuse(times=1)
    _queue(address="retry@example.org")
    db.session.commit()
    run_ready_jobs()  # refused: waits a minute for its retry
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.status is MessageStatus.QUEUED
    client = app.test_client()

    message.next_attempt_at = utcnow() - timedelta(seconds=1)  # the minute has passed
    db.session.commit()
    app.extensions[LAST_SWEEP] = float("-inf")
    client.get("/healthz")
    assert [m["To"] for m in smtp_inbox.messages] == ["retry@example.org"]

    # The next due message waits for the next sweep: not sooner than a minute later.
    smtp_inbox.refuse(times=1)
    client.post("/test/queue-mail")
    [waiting] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == "visitor@example.org")).all()
    waiting.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.get("/healthz")
    assert len(smtp_inbox.messages) == 1
    app.extensions[LAST_SWEEP] -= 61
    client.get("/healthz")
    assert sorted(m["To"] for m in smtp_inbox.messages) == ["retry@example.org",
                                                           "visitor@example.org"]


@pytest.mark.fresh_app
def test_the_embedded_sweep_is_off_with_redis_or_when_set_to_zero(app, smtp_inbox):
    _queue()
    db.session.flush()
    db.session.info.clear()  # as if its job were lost
    db.session.commit()
    client = app.test_client()
    for settings in ({"MAIL_SWEEP_SECONDS": 0},
                     {"MAIL_SWEEP_SECONDS": 60, "REDIS_URL": _closed_port_url()}):
        app.config.update(settings)
        app.extensions.pop(LAST_SWEEP, None)
        client.get("/healthz")
        assert smtp_inbox.messages == []
    app.config["REDIS_URL"] = None
    client.get("/healthz")
    assert len(smtp_inbox.messages) == 1


def test_the_web_gives_up_on_a_silent_mail_server_quickly(app):
    """A server that accepts the connection and never answers: the request waits
    MAIL_WEB_TIMEOUT_SECONDS, not MAIL_TIMEOUT_SECONDS, and the message stays queued."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=listener.getsockname()[1],
                      MAIL_WEB_TIMEOUT_SECONDS=0.5, MAIL_TIMEOUT_SECONDS=30)
    try:
        message = _queue()
        db.session.commit()
        started = time.monotonic()
        with app.test_request_context("/"):
            run_ready_jobs()
        took = time.monotonic() - started
    finally:
        listener.close()
    assert took < 5
    db.session.refresh(message)
    assert message.status is MessageStatus.QUEUED and "timed out" in message.last_error


def test_the_embedded_sweep_stops_starting_deliveries_after_its_budget(app):
    """Five due messages and a server that never answers: a try or two, then the sweep
    leaves the others for later instead of holding the request for each."""
    import socket
    import time

    from tracker.jobs.queue import sweep_now

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=listener.getsockname()[1],
                      MAIL_WEB_TIMEOUT_SECONDS=0.5, MAIL_SWEEP_SECONDS=0)  # no second sweep
    for number in range(5):
        _queue(address=f"person{number}@example.org")
    db.session.info.clear()  # no jobs: the sweep alone tries them
    db.session.commit()
    try:
        started = time.monotonic()
        with app.test_request_context("/"):  # as after a request
            assert sweep_now() == 0
        took = time.monotonic() - started
    finally:
        listener.close()
    attempts = list(db.session.scalars(select(OutboxMessage.attempts)))
    assert 1 <= sum(attempts) <= 2 and took < 1.6, (attempts, took)


# --- the schedule ---------------------------------------------------------------------------


def test_the_schedule_names_importable_functions_and_valid_cron_expressions(app):
    from croniter import croniter
    from werkzeug.utils import import_string

    names = [task.name for task in SCHEDULE]
    assert len(names) == len(set(names))
    assert {SWEEP_TASK, "prune-unconfirmed-pledges"} <= set(names)
    for task in SCHEDULE:
        assert callable(import_string(task.func)), task.func
        assert croniter.is_valid(task.cron), task.cron
        for setting in task.settings.values():
            assert setting in app.config


def test_a_task_runs_for_its_latest_scheduled_time():
    daily = find_task("prune-unconfirmed-pledges")
    assert daily.scheduled_time(datetime(2026, 12, 6, 3, 17, tzinfo=UTC)) == datetime(
        2026, 12, 6, 3, 17, tzinfo=UTC)
    assert daily.scheduled_time(datetime(2026, 12, 6, 3, 16, 59, tzinfo=UTC)) == datetime(
        2026, 12, 5, 3, 17, tzinfo=UTC)
    assert find_task(SWEEP_TASK).scheduled_time(
        datetime(2026, 12, 6, 9, 30, 42, tzinfo=UTC)) == datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def test_run_periodic_passes_today_and_settings(app, monkeypatch):
    from tracker.jobs import schedule

    CALLS.clear()
    task = schedule.Periodic("example", "7 6 * * *", "tests.test_jobs.record_call", today=True,
                             settings={"days": "UNCONFIRMED_PLEDGE_DAYS"})
    monkeypatch.setattr(schedule, "SCHEDULE", (task,))
    app.config["UNCONFIRMED_PLEDGE_DAYS"] = 12

    assert run_periodic("example", datetime(2026, 12, 6, 5, 0, tzinfo=UTC)) == "done"
    assert {"today": date(2026, 12, 5), "days": 12} == CALLS


CALLS: dict = {}


def record_call(**kwargs):
    CALLS.update(kwargs)
    return "done"


def test_the_periodic_prune_removes_stale_public_pledges_as_the_system(app, drive):
    from tests.drive_support import public_pledge
    from tracker.audit.models import AuditEvent
    from tracker.drives.models import Pledge

    stale = public_pledge(drive)
    stale.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    stale_id = stale.id

    assert run_periodic("prune-unconfirmed-pledges") == 1
    db.session.commit()
    assert db.session.get(Pledge, stale_id) is None
    assert run_periodic("prune-unconfirmed-pledges") == 0  # a second run finds nothing
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.changes["pledges"], event.actor_label) == (1, "system")


def test_scheduler_list_prints_the_schedule(runner):
    result = runner.invoke(args=["scheduler", "--list"])
    assert result.exit_code == 0, result.output
    assert "send-due-mail" in result.output and "* * * * *" in result.output
    assert "tracker.supporters.services.prune_unconfirmed_pledges" in result.output


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_worker_and_scheduler_refuse_to_start_without_redis(app, runner, command):
    app.config["REDIS_URL"] = None
    result = runner.invoke(args=[command])
    assert result.exit_code == 1
    assert "TRACKER_REDIS_URL is not set" in result.output


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_worker_and_scheduler_say_when_redis_is_unreachable(app, runner, command):
    app.config["REDIS_URL"] = _closed_port_url()
    result = runner.invoke(args=[command])
    assert result.exit_code == 1
    assert "cannot be reached" in result.output


# --- two sweeps at once -----------------------------------------------------------------------


@pytest.mark.commits
def test_two_sweeps_at_once_send_each_message_once(app, smtp_inbox):
    addresses = [f"person{number}@example.org" for number in range(30)]
    for address in addresses:
        _queue(address=address)
    db.session.info.clear()  # no job: only the sweeps send them
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def sweep() -> None:
        with app.app_context():
            barrier.wait()
            sent.append(send_due_messages())
            db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(sent) == 30
    assert sorted(m["To"] for m in smtp_inbox.messages) == sorted(addresses)
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert set(statuses) == {MessageStatus.SENT}


def test_a_savepoint_released_before_the_commit_does_not_start_the_job(app):
    """SQLAlchemy fires after_commit for a released savepoint too: a job must wait for
    the real commit (a worker would otherwise look for a row nobody can see yet)."""
    CALLS.clear()
    enqueue(record_call, marker="first")
    with db.session.begin_nested():  # e.g. the second of two messages queued in a request
        pass
    assert run_ready_jobs() == 0 and CALLS == {}
    db.session.rollback()
    assert run_ready_jobs() == 0 and CALLS == {}  # rolled back: never runs

    enqueue(record_call, marker="second")
    with db.session.begin_nested():
        pass
    db.session.commit()
    assert run_ready_jobs() == 1 and CALLS == {"marker": "second"}


def test_a_rolled_back_savepoint_drops_only_the_jobs_asked_for_inside_it(app):
    CALLS.clear()
    enqueue(record_call, before="kept")
    try:
        with db.session.begin_nested():
            enqueue(record_call, inside="dropped")
            with db.session.begin_nested():
                enqueue(record_call, deeper="dropped")
            raise ValueError("undo this part")
    except ValueError:
        pass
    enqueue(record_call, after="kept")
    db.session.commit()
    assert run_ready_jobs() == 2
    assert CALLS == {"before": "kept", "after": "kept"}


def test_enqueue_outside_the_schedule_still_runs_after_commit(app):
    enqueue(record_call, marker="after-commit")
    CALLS.clear()
    db.session.commit()
    assert run_ready_jobs() == 1
    assert CALLS == {"marker": "after-commit"}
