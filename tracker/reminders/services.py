"""What the reminder screens and commands call: following, preferences and the passes."""

from __future__ import annotations

from tracker.reminders.daily import run_daily_reminders, send_deadline_reminders
from tracker.reminders.digest import send_weekly_digest
from tracker.reminders.following import follow, is_following, unfollow
from tracker.reminders.preferences import (
    MAX_DAYS_AHEAD,
    format_reminder_days,
    parse_reminder_days,
    reminder_days_of,
    set_reminder_days,
)
from tracker.reminders.registry import register_reminder_pass

__all__ = [
    "MAX_DAYS_AHEAD",
    "follow",
    "format_reminder_days",
    "is_following",
    "parse_reminder_days",
    "register_reminder_pass",
    "reminder_days_of",
    "run_daily_reminders",
    "send_deadline_reminders",
    "send_weekly_digest",
    "set_reminder_days",
    "unfollow",
]
