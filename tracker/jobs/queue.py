"""Enqueueing a job after its transaction commits: on RQ, or in this process."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from tracker.extensions import db

log = logging.getLogger(__name__)

PENDING = "tracker.jobs.pending"  # session.info: jobs asked for in the open transaction
READY = "tracker_ready_jobs"  # flask.g: jobs whose transaction committed, to run in-process


@dataclass(frozen=True)
class Job:
    """A module-level function and its arguments (plain values: they may cross to a worker)."""

    func: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def run(self) -> Any:
        return self.func(*self.args, **self.kwargs)


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run func(*args, **kwargs) as a job once the current transaction commits.

    func must be a module-level function (a worker imports it by name) and the
    arguments plain values such as ids. Nothing runs if the transaction rolls back.
    """
    session = db.session()
    # With the savepoint it was asked for in, if any: undoing that savepoint drops it.
    asked_in = session.get_nested_transaction()
    session.info.setdefault(PENDING, []).append((asked_in, Job(func, args, kwargs)))


def _redis_url() -> str | None:
    return current_app.config.get("REDIS_URL") if has_app_context() else None


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy fires after_commit when a savepoint is released too: nothing is
        # committed yet, and the whole transaction may still roll back.
        return
    jobs = [job for _savepoint, job in session.info.pop(PENDING, [])]
    if not jobs or not has_app_context():
        return
    if _redis_url():
        for job in jobs:
            _send_to_redis(job)
    else:
        # The session cannot run SQL inside after_commit: run them once the request or
        # command is done (run_ready_jobs), on a transaction of their own.
        g.setdefault(READY, []).extend(jobs)


def _after_soft_rollback(session: Session, transaction: SessionTransaction) -> None:
    """Drop the jobs asked for in what was rolled back: the whole transaction, or a
    savepoint and the savepoints inside it (the rest still run after the commit)."""
    if not transaction.nested:
        session.info.pop(PENDING, None)
        return
    session.info[PENDING] = [(savepoint, job) for savepoint, job in session.info.get(PENDING, [])
                             if not _inside(savepoint, transaction)]


def _inside(savepoint: SessionTransaction | None, transaction: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is transaction:
            return True
        savepoint = savepoint.parent
    return False


def _send_to_redis(job: Job) -> None:
    """Put the job on the RQ queue; if Redis is down, the periodic sweep finds the work."""
    from tracker.jobs.redis import rq_queue

    try:
        rq_queue().enqueue(job.func, *job.args, **job.kwargs)
    except Exception:  # any Redis failure: the request must still succeed
        log.warning("Could not reach Redis to enqueue %s; the sweep will pick it up",
                    getattr(job.func, "__name__", job.func), exc_info=True)


def run_ready_jobs() -> int:
    """Run, in this process, the jobs whose transactions have committed; how many ran."""
    if not has_app_context():
        return 0
    ran = 0
    while True:
        jobs: list[Job] = g.pop(READY, [])
        if not jobs:
            return ran
        for job in jobs:
            try:
                job.run()
                db.session.commit()
            except Exception:  # one failed job must not stop the others
                db.session.rollback()
                log.exception("Job %s failed", getattr(job.func, "__name__", job.func))
            ran += 1


def install_job_hooks(app: Flask) -> None:
    """Enqueue after commits; in-process jobs run after each request and CLI command."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
    # Flask runs teardown functions last registered first: the request's own jobs, then
    # (without Redis) the sweep.
    app.teardown_request(_sweep_if_due)
    app.teardown_request(_run_after)
    app.teardown_appcontext(_run_after)
    # A command run where an app context is already active (a test's) has no teardown of
    # its own: run its jobs once it returns, while its context is still there.
    app.cli.result_callback()(_run_after_command)


def _run_after_command(*_result: object, **_params: object) -> None:
    run_ready_jobs()


def _run_after(_error: BaseException | None) -> None:
    run_ready_jobs()


LAST_SWEEP = "tracker.jobs.last_sweep"  # app.extensions: time.monotonic() of the last sweep


def _sweep_if_due(_error: BaseException | None) -> None:
    """Embedded mode: after a request, send the mail that is due, at most once a minute.

    Without Redis there is no scheduler: a message whose delivery failed would otherwise
    wait for the next `send-mail`. The check costs one clock reading; the sweep one
    indexed query when nothing is due. With Redis the scheduler's sweep does this.
    """
    interval = float(current_app.config.get("MAIL_SWEEP_SECONDS") or 0)
    if _error is not None or interval <= 0 or _redis_url():
        return
    extensions = current_app.extensions
    now = time.monotonic()
    if now - extensions.get(LAST_SWEEP, float("-inf")) < interval:
        return
    extensions[LAST_SWEEP] = now
    sweep_now()


def sweep_now() -> int:
    """Send the outbox messages that are due, in this process; how many were sent."""
    from werkzeug.utils import import_string

    from tracker.jobs.schedule import SWEEP_TASK, find_task

    # Named by its path in the schedule: the mail package depends on this one, not back.
    send_due_messages = import_string(find_task(SWEEP_TASK).func)
    try:
        # A visitor may be waiting on this process: stop starting deliveries after a while.
        return int(send_due_messages(
            budget_seconds=float(current_app.config["MAIL_WEB_TIMEOUT_SECONDS"])))
    except Exception:  # the request's own work is committed; the next sweep tries again
        db.session.rollback()
        log.exception("The in-process mail sweep failed")
        return 0
