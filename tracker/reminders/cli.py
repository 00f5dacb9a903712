"""Reminder commands, for cron users and tests: one daily pass, one weekly digest."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import ngettext

from tracker.db import utcnow
from tracker.reminders.daily import run_daily_reminders
from tracker.reminders.digest import send_weekly_digest

today_option = click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="Run as if today were this day (YYYY-MM-DD); today in UTC by default.")


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else utcnow().date()


@click.command("send-reminders")
@today_option
@with_appcontext
def send_reminders(today: datetime | None) -> None:
    """Run one daily reminder pass and say how many messages it queued."""
    queued = run_daily_reminders(_day(today))
    click.echo(ngettext("%(num)d reminder queued.", "%(num)d reminders queued.", queued))


@click.command("send-digest")
@today_option
@with_appcontext
def send_digest(today: datetime | None) -> None:
    """Queue this week's digest to the coordinators and admins; say how many were queued."""
    queued = send_weekly_digest(_day(today))
    click.echo(ngettext("%(num)d digest queued.", "%(num)d digests queued.", queued))


def register_commands(app: Flask) -> None:
    """Attach the reminder commands to the app's CLI."""
    app.cli.add_command(send_reminders)
    app.cli.add_command(send_digest)
