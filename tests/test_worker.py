"""The real thing: Redis, `flask --app tracker worker` processes, and two schedulers.

Each test has a database of its own (a SQLite file, or a PostgreSQL database made for it)
that the worker processes open, Redis database REDIS_DB (flushed before and after), and a
real SMTP server (aiosmtpd) in this process that the workers send to.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask_babel import lazy_gettext as _l
from redis import Redis
from sqlalchemy import select

from tests.conftest import (
    BACKENDS,
    TEST_SECRET,
    build_schema,
    drop_postgresql_database,
    fresh_postgresql_database,
    make_test_app,
)
from tests.mail_support import Inbox, free_port
from tracker import ROOT
from tracker.db import utcnow
from tracker.extensions import db
from tracker.jobs.redis import QUEUE_NAME
from tracker.jobs.schedule import SCHEDULE, build_scheduler
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.mail.outbox import queue_message

REDIS_DB = 12  # this file's own Redis database
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
FLASK = Path(sys.executable).parent / "flask"
# Generous: a worker process starts and stops in about 2 s here, much slower on a busy
# machine; a worker that never stops still fails the test.
STOP_SECONDS = 120


class Site:
    """A Tracker on a database of its own, its Redis database, and an SMTP server."""

    def __init__(self, url: str, instance: Path) -> None:
        self.url = url
        self.instance = instance
        self.inbox = Inbox()
        self.smtp_port = free_port()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=self.smtp_port)
        self.app: Flask = make_test_app(url, REDIS_URL=REDIS_URL, MAIL_SERVER="127.0.0.1",
                                        MAIL_PORT=self.smtp_port, MAIL_SWEEP_SECONDS=0)
        self.workers: list[subprocess.Popen[str]] = []

    def env(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("TRACKER_")}
        env.update(TRACKER_ENV="testing", TRACKER_SECRET_KEY=TEST_SECRET,
                   TRACKER_DATABASE_URL=self.url, TRACKER_REDIS_URL=REDIS_URL,
                   TRACKER_MAIL_SERVER="127.0.0.1", TRACKER_MAIL_PORT=str(self.smtp_port),
                   TRACKER_BASE_URL="http://localhost",
                   TRACKER_INSTANCE_PATH=str(self.instance))
        return env

    def start_worker(self, *args: str) -> subprocess.Popen[str]:
        worker = subprocess.Popen([str(FLASK), "--app", "tracker", "worker", *args], cwd=ROOT,
                                  env=self.env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.workers.append(worker)
        return worker

    def queue(self, address: str, *, with_job: bool = True) -> int:
        """A message in the outbox, committed; its job on Redis unless with_job is False."""
        with self.app.app_context():
            message = queue_message(kind="test_message", recipient=address, language="en",
                                    subject=_l("A test message from Tracker"),
                                    context={"server": "smtp", "site_url": "http://localhost/"})
            assert message is not None
            if not with_job:
                db.session.info.clear()
            db.session.commit()
            message_id = message.id
            db.session.remove()
        return message_id

    def statuses(self) -> dict[str, tuple[MessageStatus, int]]:
        with self.app.app_context():
            rows = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.status,
                                             OutboxMessage.attempts)).all()
            db.session.remove()
        return {recipient: (status, attempts) for recipient, status, attempts in rows}

    def wait_for(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while len(self.inbox.messages) < count:
            if time.monotonic() > deadline:
                output = [worker.stdout.read() if worker.poll() is not None and worker.stdout
                          else "(running)" for worker in self.workers]
                raise AssertionError(f"{len(self.inbox.messages)} of {count} arrived; {output}")
            time.sleep(0.05)


@pytest.fixture(params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    url = (f"sqlite:///{tmp_path / 'worker.sqlite'}" if request.param == "sqlite"
           else fresh_postgresql_database("worker"))
    site = Site(url, tmp_path / "instance")
    build_schema(site.app)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    site.smtp.start()
    try:
        yield site
    finally:
        for worker in site.workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
        site.smtp.stop()
        redis.flushdb()
        with site.app.app_context():
            db.engine.dispose()
        if request.param == "postgresql":
            drop_postgresql_database(url)


def test_a_worker_process_delivers_a_committed_message_and_stops_cleanly(site):
    worker = site.start_worker("--name", f"test-{os.getpid()}")

    site.queue("ana@example.org")  # the commit puts its job on Redis

    site.wait_for(1)
    [received] = site.inbox.messages
    assert received["To"] == "ana@example.org"
    assert received["Subject"] == "A test message from Tracker"
    # The server has the message a moment before the worker commits that it was sent.
    deadline = time.monotonic() + 30
    while site.statuses()["ana@example.org"][0] is not MessageStatus.SENT:
        assert time.monotonic() < deadline, site.statuses()
        time.sleep(0.05)
    assert site.statuses() == {"ana@example.org": (MessageStatus.SENT, 1)}

    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=STOP_SECONDS)
    assert worker.returncode == 0, output
    assert "Traceback" not in output
    assert len(site.inbox.messages) == 1


def test_a_job_in_hand_finishes_when_systemd_stops_the_worker(site):
    """SIGTERM to every process of the unit (KillMode=control-group): the job finishes."""
    worker = site.start_worker()
    message_id = site.queue("slow@example.org", with_job=False)
    with site.app.app_context():
        from tracker.jobs.redis import rq_queue

        rq_queue().enqueue("tests.worker_jobs.slow_deliver", message_id, 2.0)
    deadline = time.monotonic() + 60
    while not _busy(worker.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _busy(worker.pid), "the worker never started the job"

    for pid in [worker.pid, *_children(worker.pid)]:
        os.kill(pid, signal.SIGTERM)

    output, _ = worker.communicate(timeout=STOP_SECONDS)
    assert worker.returncode == 0, output
    assert [m["To"] for m in site.inbox.messages] == ["slow@example.org"]
    assert site.statuses() == {"slow@example.org": (MessageStatus.SENT, 1)}


def _children(pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                            check=False)
    return [int(line) for line in result.stdout.split()]


def _busy(pid: int) -> bool:
    """The worker has forked a work horse (a child process) for a job."""
    return bool(_children(pid))


def test_two_schedulers_and_two_workers_send_each_message_once(site):
    addresses = [f"person{number}@example.org" for number in range(20)]
    for address in addresses:
        site.queue(address, with_job=False)  # waiting for a sweep, like after a lost job
    with site.app.app_context():
        stuck = OutboxMessage(kind="test_message", recipient="stuck@example.org",
                              language="en", subject="Stuck", text_body="Stuck",
                              html_body="<p>Stuck</p>", status=MessageStatus.SENDING,
                              claimed_at=utcnow() - timedelta(hours=1))
        db.session.add(stuck)
        db.session.commit()
        db.session.remove()

    schedulers = [build_scheduler(site.app), build_scheduler(site.app)]
    for scheduler in schedulers:
        for cron_job in scheduler.get_jobs():  # as if every task's time had come
            cron_job.next_enqueue_time = cron_job.next_enqueue_time - timedelta(days=8)
        assert len(scheduler.enqueue_jobs()) == len(SCHEDULE)
    redis = Redis.from_url(REDIS_URL)
    assert redis.llen(f"rq:queue:{QUEUE_NAME}") == 2 * len(SCHEDULE)

    workers = [site.start_worker("--burst"), site.start_worker("--burst")]
    outputs = [worker.communicate(timeout=STOP_SECONDS)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert sorted(m["To"] for m in site.inbox.messages) == sorted(
        [*addresses, "stuck@example.org"])
    assert set(site.statuses().values()) == {(MessageStatus.SENT, 1)}
    combined = "\n".join(outputs)
    # Each task ran once for its time; the second scheduler's copy found it taken (or, for
    # the every-minute task when the clock passed a minute between the two, ran for the next).
    runs = re.findall(r"Periodic task (\S+) for (\S+ \S+) (done|already taken)", combined)
    done = [(name, when) for name, when, outcome in runs if outcome == "done"]
    taken = [(name, when) for name, when, outcome in runs if outcome == "already taken"]
    assert len(runs) == 2 * len(SCHEDULE), combined
    assert len(done) == len(set(done)), combined
    assert set(taken) <= set(done), combined
    assert {name for name, _when in done} == {task.name for task in SCHEDULE}, combined
