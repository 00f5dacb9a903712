"""The daily reminder pass: each deadline, N days ahead, to each person who chose N.

Safe to run twice (two schedulers, a rerun by hand): every message carries a unique key
naming the deadline, the recipient and the number of days, and the outbox keeps one
message per key, so a second pass on the same day queues nothing new.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.applications.deadlines import Deadline, open_deadlines
from tracker.auth.models import User
from tracker.extensions import db
from tracker.i18n import format_day
from tracker.mail.outbox import queue_message
from tracker.reminders.following import people_to_remind
from tracker.reminders.preferences import MAX_DAYS_AHEAD, reminder_days_of
from tracker.reminders.registry import reminder_passes
from tracker.urls import external_url

KIND = "deadline_reminder"


def deadline_key(deadline: Deadline, user: User, days: int) -> str:
    """The occasion of one reminder: this deadline, this person, this many days ahead."""
    what = deadline.kind.value
    if deadline.report is not None:  # two reports of a kind may fall due the same day
        what = f"{what}-{deadline.report.id}"
    return (f"deadline:{deadline.application.id}:{what}:{deadline.due_on.isoformat()}"
            f":{user.id}:{days}")


def send_deadline_reminders(today: date) -> int:
    """Queue today's deadline reminders; returns how many messages were queued."""
    deadlines = [deadline for deadline in open_deadlines(
        today, until=today + timedelta(days=MAX_DAYS_AHEAD)) if deadline.days_left >= 0]
    if not deadlines:
        return 0
    people = people_to_remind({deadline.application for deadline in deadlines})
    user_ids = {user_id for reasons in people.values() for user_id in reasons}
    users = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    queued = 0
    for deadline in deadlines:
        application = deadline.application
        for user_id, reason in sorted(people[application.id].items()):
            user = users[user_id]
            if deadline.days_left not in reminder_days_of(user):
                continue
            message = queue_message(
                kind=KIND, recipient=user.email, language=user.language,
                # A lazy label: the subject is rendered in their language.
                subject=_l("Reminder: %(kind)s on %(date)s: %(title)s",
                           kind=deadline.label,
                           date=format_day(deadline.due_on, user.language),
                           title=application.localized("title", user.language)),
                context={"deadline": deadline, "application": application,
                         "reason": reason, "days": deadline.days_left,
                         "link": external_url("applications.show",
                                              application_id=application.id),
                         "account_link": external_url("auth.account", _anchor="reminders")},
                unique_key=deadline_key(deadline, user, deadline.days_left))
            queued += message is not None
    return queued


def run_daily_reminders(today: date) -> int:
    """One daily pass: deadline reminders, then every registered area's pass; messages queued.

    The scheduler's (and the command's) unit of work: it commits after each part, so the
    messages leave then and a failing pass does not take the others' messages with it.
    """
    queued = send_deadline_reminders(today)
    db.session.commit()
    for reminder_pass in reminder_passes():
        queued += reminder_pass(today)
        db.session.commit()
    return queued
