"""Reminders: deadline reminders to the people following an application, and the
coordinators' weekly digest.

`run_daily_reminders(today)` (tracker/reminders/daily.py) is the daily pass the
scheduler and `flask --app tracker send-reminders` run; other areas add their own
daily passes with `register_reminder_pass` (tracker/reminders/registry.py).
`send_weekly_digest(today)` (tracker/reminders/digest.py) is the weekly one.
"""
