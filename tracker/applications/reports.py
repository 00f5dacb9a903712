"""The reports a donor expects from an application, and marking them done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from tracker.applications.checks import check_length
from tracker.applications.models import Application, ReportDue, ReportKind
from tracker.dates import check_dates
from tracker.db import utcnow
from tracker.errors import found
from tracker.extensions import db


@dataclass(frozen=True)
class ReportInput:
    kind: ReportKind
    due_on: date
    note: str = ""


def add_report(application: Application, data: ReportInput) -> ReportDue:
    """Add a report the donor expects from an application."""
    check_dates(due_on=data.due_on)
    note = check_length(data.note, 500, "note")
    report = ReportDue(kind=ReportKind(data.kind), due_on=data.due_on, note=note)
    application.reports.append(report)
    db.session.flush()
    return report


def get_report(application: Application, report_id: int) -> ReportDue:
    """The application's report with this id, or NotFound (also for another application's)."""
    return found(db.session.scalar(select(ReportDue).where(
        ReportDue.id == report_id, ReportDue.application_id == application.id)), "report")


def mark_report_done(report: ReportDue, on: date | None = None) -> ReportDue:
    """Record that a report was sent (today unless told); marking it twice keeps the first."""
    if report.done_on is None:
        report.done_on = on or utcnow().date()
        db.session.flush()
    return report
