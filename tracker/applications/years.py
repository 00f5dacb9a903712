"""Project years: year 1 is the first twelve months from the project's start, and so on."""

from __future__ import annotations

from datetime import date

from tracker.applications.models import Application

# Project years -------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    # The same day of the month, or the month's last when it is shorter.
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    return date(year, month + 1, min(day.day, 28))


def years_between(starts: date | None, ends: date | None) -> int:
    """How many project years a period spans (a started year counts); 0 without dates."""
    if starts is None or ends is None:
        return 0
    years = 1
    while _add_months(starts, 12 * years) <= ends:
        years += 1
    return years


def project_years(application: Application) -> int:
    """How many project years the application's project spans; 0 without dates."""
    return years_between(application.project_starts_on, application.project_ends_on)


def year_of(application: Application, day: date) -> int:
    """The project year a day falls in (days before the start are year 1)."""
    starts = application.project_starts_on
    if starts is None or day < starts:
        return 1
    year = 1
    while _add_months(starts, 12 * year) <= day:
        year += 1
    return min(year, max(project_years(application), 1))


def year_period(application: Application, year: int) -> tuple[date, date] | None:
    """The first and last day of a project year, or None without project dates."""
    starts, ends = application.project_starts_on, application.project_ends_on
    if starts is None or ends is None:
        return None
    first = _add_months(starts, 12 * (year - 1))
    last = min(ends, date.fromordinal(_add_months(starts, 12 * year).toordinal() - 1))
    return first, last
