"""A grant's reporting schedule: periods of N months, and the reports due after each.

A donor asks for reports "every six months, within 30 days of the period's end"; the
schedule is cut into such periods from the grant's start, the last one ending when the
grant ends (it may be shorter). Months are calendar months counted from the start day,
clamped to the month's last day (a grant starting on 31 January has periods ending on
30 July or 31 July, never drifting), so the periods follow each other without a gap.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.applications.models import ReportContent, ReportDue
from tracker.extensions import db
from tracker.grants.budget import MAX_PERIODS, PeriodInput
from tracker.grants.errors import GrantError
from tracker.grants.models import Grant, ReportingPeriod

MAX_EVERY_MONTHS = 120
MAX_DUE_AFTER_DAYS = 366


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, or that month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule_periods(starts_on: date, ends_on: date, every_months: int,
                     due_after_days: int) -> tuple[PeriodInput, ...]:
    """Periods of `every_months` from the start, the last cut at the end; reports due after."""
    if every_months < 1 or every_months > MAX_EVERY_MONTHS:
        raise GrantError(_("Reports are due every 1 to %(n)d months.", n=MAX_EVERY_MONTHS),
                         field="every_months")
    if due_after_days < 0 or due_after_days > MAX_DUE_AFTER_DAYS:
        raise GrantError(_("Reports are due 0 to %(n)d days after a period ends.",
                           n=MAX_DUE_AFTER_DAYS), field="due_after_days")
    if ends_on < starts_on:
        raise GrantError(_("The grant cannot end before it starts."), field="ends_on")
    periods: list[PeriodInput] = []
    start = starts_on
    while start <= ends_on:
        if len(periods) == MAX_PERIODS:
            raise GrantError(_("A grant has at most %(n)d reporting periods.", n=MAX_PERIODS),
                             field="every_months")
        # Counted from the grant's start, not from the previous period's, so that a
        # clamped month end (28 February) does not shift every later period.
        following = add_months(starts_on, every_months * (len(periods) + 1))
        end = min(following - timedelta(days=1), ends_on)
        periods.append(PeriodInput(start, end, end + timedelta(days=due_after_days)))
        start = end + timedelta(days=1)
    return tuple(periods)


@dataclass(frozen=True)
class PeriodReports:
    """A reporting period with the reports due for it (narrative, financial, or both)."""

    period: ReportingPeriod
    reports: tuple[ReportDue, ...]

    @property
    def narrative(self) -> ReportDue | None:
        return next((r for r in self.reports if r.content is ReportContent.NARRATIVE), None)

    @property
    def financial(self) -> ReportDue | None:
        return next((r for r in self.reports if r.content is ReportContent.FINANCIAL), None)


def reporting_schedule(grant: Grant) -> list[PeriodReports]:
    """The grant's periods in order, each with its reports due (done or not)."""
    periods = list(db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.grant_id == grant.id).order_by(ReportingPeriod.number)))
    reports: dict[int, list[ReportDue]] = {}
    if periods:
        for report in db.session.scalars(select(ReportDue).where(
                ReportDue.period_id.in_([period.id for period in periods]))
                .order_by(ReportDue.due_on, ReportDue.id)):
            reports.setdefault(report.period_id or 0, []).append(report)
    return [PeriodReports(period, tuple(reports.get(period.id, ()))) for period in periods]


def time_elapsed(grant: Grant, on: date) -> Decimal:
    """The share of the grant's days gone by the day (0 to 1, four decimals)."""
    days = (grant.ends_on - grant.starts_on).days + 1
    gone = min(max((on - grant.starts_on).days + 1, 0), days)
    return (Decimal(gone) / Decimal(days)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
