"""Periodic work: `flask --app tracker scheduler` puts each task of SCHEDULE on the queue.

RQ's CronScheduler enqueues `run_periodic(name)` at each time the task's cron expression
names (in UTC); a worker runs it. The scheduler holds no lock, so two of them (a second
machine, a restart overlapping the old process) both enqueue every task. Nothing is done
twice all the same, for two reasons:

1. the first run of a task for a scheduled time claims it in Redis (SET NX on
   "tracker:periodic:<name>:<time>"); a second run for the same time does nothing;
2. every task is idempotent in the database, which is the record even if Redis loses the
   claim: the outbox sweep claims each message before sending it (QUEUED -> SENDING in
   one UPDATE), reminders and digests carry a unique key per occasion in the outbox, and
   pruning deletes only what is still there.

A task is a module-level function named by its dotted path (imported when it runs, so this
module depends on no area); it may take `today` (the scheduled day) and keyword arguments
read from settings when it runs.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from croniter import croniter  # type: ignore[import-untyped]  # (no type hints shipped)
from flask import Flask, current_app
from werkzeug.utils import import_string

log = logging.getLogger(__name__)

CLAIM_SECONDS = 2 * 24 * 3600  # how long Redis remembers that a scheduled run was taken


@dataclass(frozen=True)
class Periodic:
    """A task of the schedule: its name, when (cron, UTC), and what it runs."""

    name: str
    cron: str
    func: str  # dotted path of a module-level function
    today: bool = False  # called with today=<the UTC day of the scheduled time>
    settings: Mapping[str, str] = field(default_factory=dict)  # keyword -> setting name

    def arguments(self, when: datetime) -> dict[str, Any]:
        """The keyword arguments of a run scheduled at `when`."""
        values: dict[str, Any] = {keyword: current_app.config[setting]
                                  for keyword, setting in self.settings.items()}
        if self.today:
            values["today"] = when.date()
        return values

    def scheduled_time(self, now: datetime) -> datetime:
        """The latest time at or before `now` the cron expression names (UTC)."""
        naive = now.astimezone(UTC).replace(tzinfo=None)
        if croniter.match(self.cron, naive.replace(second=0, microsecond=0)):
            latest = naive.replace(second=0, microsecond=0)
        else:
            latest = croniter(self.cron, naive).get_prev(datetime)
        return latest.replace(tzinfo=UTC)


SWEEP_TASK = "send-due-mail"  # also run by web processes without Redis (tracker/jobs/queue.py)
# A task added here runs on every scheduler from its next start; `scheduler --list` shows it.
SCHEDULE: tuple[Periodic, ...] = (
    # Every minute: retries that are due, and messages whose job Redis lost.
    Periodic(SWEEP_TASK, "* * * * *", "tracker.mail.delivery.send_due_messages"),
    # Daily: deadline reminders and every area's registered pass (unpaid pledges, ...).
    Periodic("daily-reminders", "5 6 * * *", "tracker.reminders.daily.run_daily_reminders",
             today=True),
    # Monday mornings: the coordinators' digest.
    Periodic("weekly-digest", "15 6 * * 1", "tracker.reminders.digest.send_weekly_digest",
             today=True),
    # Daily: public pledges nobody confirmed, past UNCONFIRMED_PLEDGE_DAYS.
    Periodic("prune-unconfirmed-pledges", "17 3 * * *",
             "tracker.supporters.services.prune_unconfirmed_pledges",
             settings={"older_than_days": "UNCONFIRMED_PLEDGE_DAYS"}),
    # Daily: tasks of slow work past TASK_KEPT_DAYS, and the files they made.
    Periodic("prune-tasks", "27 3 * * *", "tracker.tasks.services.prune_tasks"),
)


def find_task(name: str) -> Periodic:
    """The task of SCHEDULE with this name; KeyError if there is none."""
    for task in SCHEDULE:
        if task.name == name:
            return task
    raise KeyError(name)


def claim_run(name: str, when: datetime) -> bool:
    """Take the run of `name` scheduled at `when`; False if another run already took it."""
    from tracker.jobs.redis import redis_connection

    key = f"{current_app.config['RATELIMIT_KEY_PREFIX']}:periodic:{name}:{when:%Y%m%dT%H%M}"
    return bool(redis_connection().set(key, os.getpid(), nx=True, ex=CLAIM_SECONDS))


def run_periodic(name: str, now: datetime | None = None) -> Any:
    """Run a task of the schedule once for its latest scheduled time (the job the scheduler
    enqueues); None without running it when another run took that time."""
    task = find_task(name)
    when = task.scheduled_time(now or datetime.now(UTC))
    if current_app.config.get("REDIS_URL") and not claim_run(name, when):
        log.info("Periodic task %s for %s already taken by another run", name, when)
        return None
    func = import_string(task.func)
    started = time.monotonic()
    result = func(**task.arguments(when))
    log.info("Periodic task %s for %s done in %.1f s: %r", name, when,
             time.monotonic() - started, result)
    return result


def build_scheduler(app: Flask) -> Any:
    """An RQ CronScheduler with every task of SCHEDULE on the "tracker" queue."""
    from rq.cron import CronScheduler

    from tracker.jobs.redis import QUEUE_NAME, redis_connection

    with app.app_context():
        scheduler = CronScheduler(connection=redis_connection(), logging_level="INFO")
        timeout = int(app.config["JOB_TIMEOUT_SECONDS"])
    for task in SCHEDULE:
        scheduler.register(run_periodic, QUEUE_NAME, args=(task.name,), cron=task.cron,
                           job_timeout=timeout, name=task.name)
    return scheduler


def use_utc() -> None:
    """Make this process's local time UTC: RQ reads cron expressions in local time."""
    os.environ["TZ"] = "UTC"
    time.tzset()


def next_runs(now: datetime) -> list[tuple[Periodic, date | datetime]]:
    """Each task with the next time it is due after `now` (UTC)."""
    naive = now.astimezone(UTC).replace(tzinfo=None)
    return [(task, croniter(task.cron, naive).get_next(datetime).replace(tzinfo=UTC))
            for task in SCHEDULE]
