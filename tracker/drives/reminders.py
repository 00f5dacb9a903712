"""Reminding supporters of confirmed pledges still unpaid: the drives' part of the daily pass.

A drive's `reminder_days` (0: none) says when: a public pledge confirmed on day C and
still open (pledged, or partly paid) is reminded on C + days, and once more on
C + 2 × days; never more than twice. A reminder whose day the pass missed (the scheduler
was down) still goes out on a later run within CATCH_UP_DAYS; one older than that is
dropped rather than sent late, and the first is dropped once the second is due. So
turning reminders on for a running drive does not write to every supporter of its past,
and nobody gets two reminders on one day. Each reminder's unique key (pledge, number)
makes a rerun, or a second scheduler, queue nothing new.

The daily pass (`flask --app tracker send-reminders`) calls send_unpaid_pledge_reminders
and commits; the messages are sent after that commit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from tracker.drives.messages import remind_supporter
from tracker.drives.models import OPEN, Drive, DriveStatus, Pledge
from tracker.extensions import db

# How many days after its day a missed reminder may still be sent.
CATCH_UP_DAYS = 7
MAX_REMINDERS = 2


def due_reminder(confirmed_on: date, days: int, today: date) -> int | None:
    """Which reminder (1 or 2) of a pledge confirmed on `confirmed_on` is due today, if any."""
    if days <= 0:
        return None
    for number in range(MAX_REMINDERS, 0, -1):
        due = confirmed_on + timedelta(days=days * number)
        if due <= today < due + timedelta(days=CATCH_UP_DAYS):
            return number
    return None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def send_unpaid_pledge_reminders(today: date) -> int:
    """Queue today's reminders of unpaid pledges, in the caller's transaction; how many.

    The caller commits. Pledges whose supporter unsubscribed, or that staff logged or
    imported (no page language), get none (drives.messages).
    """
    queued = 0
    drives = list(db.session.scalars(
        select(Drive).where(Drive.reminder_days > 0, Drive.status != DriveStatus.CANCELLED)
        .order_by(Drive.id)))
    for drive in drives:
        days = drive.reminder_days
        # Only pledges whose first or second reminder can be due today.
        earliest = today - timedelta(days=days * MAX_REMINDERS + CATCH_UP_DAYS - 1)
        latest = today - timedelta(days=days)
        pledges = db.session.scalars(
            select(Pledge)
            .where(Pledge.drive_id == drive.id, Pledge.status.in_(OPEN),
                   Pledge.language.is_not(None), Pledge.contact_email != "",
                   Pledge.confirmed_at >= _start_of(earliest),
                   Pledge.confirmed_at < _start_of(latest + timedelta(days=1)))
            .order_by(Pledge.id))
        for pledge in list(pledges):
            assert pledge.confirmed_at is not None  # the query asked for it
            number = due_reminder(pledge.confirmed_at.date(), days, today)
            if number is not None:
                queued += remind_supporter(pledge, number)
    return queued
