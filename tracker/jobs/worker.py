"""The RQ worker: `flask --app tracker worker` runs the jobs web processes put on Redis.

One Flask app per worker process (the one the `flask` command built); RQ forks a work
horse per job, and the horse runs the job inside that app's context, commits what the job
left in the session or rolls it back, and removes the session. The horse ignores SIGTERM:
systemd (KillMode=control-group) signals every process of the unit at once, and the job
in hand should finish while the worker itself stops taking new ones (RQ's warm shutdown);
a second SIGTERM, or systemd's SIGKILL after TimeoutStopSec, ends it anyway.
"""

from __future__ import annotations

import signal
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq.job import Job
from rq.worker import Worker

from tracker.audit.actor import SYSTEM, acting_as
from tracker.extensions import db
from tracker.jobs.redis import QUEUE_NAME

_app: Flask | None = None  # the app of this worker process (set by run_worker)


class AppJob(Job):
    """A job run inside the worker's Flask app: committed if it returns, rolled back if not."""

    def _execute(self) -> Any:
        if _app is None:  # a job fetched outside `flask worker` (rq's own CLI, a test)
            return super()._execute()
        with _app.app_context():
            try:
                # The changes of a job are the system's unless it names someone itself.
                with acting_as(None, SYSTEM):
                    result = super()._execute()
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()


class AppWorker(Worker):
    """RQ's forking worker, with AppJob and a work horse that finishes its job on SIGTERM."""

    job_class = AppJob

    def setup_work_horse_signals(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def main_work_horse(self, job: Job, queue: Any) -> None:
        if _app is not None:
            # The pool's connections, if the parent ever opened one, belong to the parent:
            # the horse opens its own (SQLAlchemy's rule for forked processes).
            with _app.app_context():
                db.engine.dispose(close=False)
        super().main_work_horse(job, queue)


def build_worker(app: Flask, name: str | None = None) -> AppWorker:
    """A worker on the "tracker" queue of TRACKER_REDIS_URL, running jobs in `app`."""
    global _app
    _app = app
    # A connection of its own: RQ lengthens its socket timeout for the blocking dequeue,
    # which the app's connection (used by jobs to enqueue more) should not get.
    connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=5)
    return AppWorker([QUEUE_NAME], connection=connection, name=name, job_class=AppJob)


def run_worker(*, burst: bool = False, name: str | None = None) -> bool:
    """Work the queue until stopped (or, with burst, until it is empty); True if a job ran."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = build_worker(app, name)
    return worker.work(burst=burst, logging_level="INFO")
