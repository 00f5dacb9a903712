"""Job commands: `flask --app tracker worker` and `flask --app tracker scheduler`."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.db import utcnow


def _require_redis() -> None:
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(_(
            "TRACKER_REDIS_URL is not set: the worker and the scheduler need Redis, e.g. "
            "TRACKER_REDIS_URL=redis://127.0.0.1:6379/0. Without it, jobs run in the web "
            "process after each request and no worker is needed."))


def _log_to_stderr() -> None:
    """The app's log records (tracker.*) beside RQ's own, for the journal."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _check_redis() -> None:
    from redis.exceptions import RedisError

    from tracker.jobs.redis import redis_connection

    try:
        redis_connection().ping()
    except RedisError as error:
        raise click.ClickException(_("Redis at TRACKER_REDIS_URL cannot be reached: %(error)s",
                                     error=error)) from error


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
@click.option("--name", default=None, help="The worker's name in Redis (default: random).")
@with_appcontext
def worker(burst: bool, name: str | None) -> None:
    """Run the background jobs queued on Redis (mail, reminders, slow work) until stopped."""
    from tracker.jobs.worker import run_worker

    _require_redis()
    _check_redis()
    _log_to_stderr()
    run_worker(burst=burst, name=name)


@click.command("scheduler")
@click.option("--list", "show", is_flag=True, help="Print the schedule and stop.")
@with_appcontext
def scheduler(show: bool) -> None:
    """Put the periodic tasks (mail sweep, daily passes) on the queue at their times."""
    from tracker.jobs.schedule import build_scheduler, next_runs, use_utc

    if show:
        for task, when in next_runs(utcnow()):
            click.echo(f"{task.name:<28} {task.cron:<14} {task.func}  "
                       + _("next: %(when)s", when=f"{when:%Y-%m-%d %H:%M} UTC"))
        return
    _require_redis()
    _check_redis()
    _log_to_stderr()
    use_utc()
    build_scheduler(current_app._get_current_object()).start()  # type: ignore[attr-defined]


def job_commands(app: Flask) -> None:
    """Attach the job commands to the app's CLI."""
    app.cli.add_command(worker)
    app.cli.add_command(scheduler)
