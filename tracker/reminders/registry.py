"""Other areas' daily reminder passes, run by the daily pass after the deadline reminders.

An area registers a function `(today: date) -> int` (messages queued) at app start-up;
the wiring lives where the app is built, so that this package never imports that area
nor that area this package (which would make an import cycle between areas).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

ReminderPass = Callable[[date], int]

# Keyed by the function's full name: building the app twice registers a pass once.
_passes: dict[str, ReminderPass] = {}


def register_reminder_pass(func: ReminderPass) -> ReminderPass:
    """Run `func(today)` in every daily reminder pass; returns it (usable as a decorator)."""
    _passes[f"{func.__module__}.{func.__qualname__}"] = func
    return func


def reminder_passes() -> list[ReminderPass]:
    """The registered passes, in the order they were first registered."""
    return list(_passes.values())
