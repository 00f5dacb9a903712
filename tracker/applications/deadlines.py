"""Deadlines someone must act on: submissions, expected decisions and reports due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, case, cast, literal_column, null, select, union_all
from sqlalchemy.orm import joinedload

from tracker.applications.models import Application, ReportContent, ReportDue, ReportKind
from tracker.applications.pipeline import AWAITING_DECISION, AWAITING_SUBMISSION
from tracker.db import LabeledEnum, utcnow
from tracker.extensions import db

DEADLINE_WINDOW_DAYS = 60


class DeadlineKind(LabeledEnum):
    SUBMISSION = "submission"
    DECISION = "decision"
    INTERIM_REPORT = "interim_report"
    FINAL_REPORT = "final_report"

    @classmethod
    def labels(cls):
        return {
            cls.SUBMISSION: _l("Submission deadline"),
            cls.DECISION: _l("Decision expected"),
            cls.INTERIM_REPORT: _l("Interim report due"),
            cls.FINAL_REPORT: _l("Final report due"),
        }


# What a report due is called when the donor wants narrative and financial apart.
REPORT_NAMES = {
    (ReportKind.INTERIM, ReportContent.BOTH): _l("Interim report"),
    (ReportKind.INTERIM, ReportContent.NARRATIVE): _l("Interim narrative report"),
    (ReportKind.INTERIM, ReportContent.FINANCIAL): _l("Interim financial report"),
    (ReportKind.FINAL, ReportContent.BOTH): _l("Final report"),
    (ReportKind.FINAL, ReportContent.NARRATIVE): _l("Final narrative report"),
    (ReportKind.FINAL, ReportContent.FINANCIAL): _l("Final financial report"),
}


@dataclass(frozen=True)
class Deadline:
    """One date someone must act on: a submission, an expected decision or a report."""

    kind: DeadlineKind
    due_on: date
    application: Application
    report: ReportDue | None
    overdue: bool
    days_left: int

    @property
    def label(self) -> Any:
        """What is due, as a lazy string: the kind, or which report of which grant's period.

        "Interim financial report, period 1 — UNIDO-2027-014"; rendered in whatever
        language is active when it is shown (a screen, a feed, a reminder's recipient's).
        """
        report = self.report
        if report is None or (report.content is ReportContent.BOTH and report.period_id is None):
            return type(self.kind).labels()[self.kind]
        name = REPORT_NAMES[(report.kind, report.content)]
        period = report.period
        if period is None:
            return name
        return _l("%(report)s, period %(number)d — %(grant)s", report=name,
                  number=period.number, grant=period.grant.reference)

    @property
    def uid(self) -> str:
        """A calendar UID that stays the same as long as the deadline exists."""
        if self.report is not None:
            return f"report-{self.report.id}@tracker"
        return f"application-{self.application.id}-{self.kind.value}@tracker"


def _sql_text(value: str):
    return cast(literal_column(f"'{value}'"), String)


def open_deadlines(today: date, until: date | None = None, limit: int | None = None
                   ) -> list[Deadline]:
    """Open deadlines up to `until` (all if None): overdue ones first, then by date.

    A submission deadline is open until the application is submitted (or withdrawn),
    an expected decision until the donor decides, a report until it is marked done.
    The database merges and orders the three kinds; two more queries load the records.
    """
    submissions = select(
        _sql_text(DeadlineKind.SUBMISSION.value).label("kind"),
        Application.submission_deadline.label("due_on"),
        Application.id.label("application_id"),
        cast(null(), Integer).label("report_id"),
    ).where(Application.status.in_(AWAITING_SUBMISSION),
            Application.submission_deadline.is_not(None))
    decisions = select(
        _sql_text(DeadlineKind.DECISION.value),
        Application.decision_date,
        Application.id,
        cast(null(), Integer),
    ).where(Application.status.in_(AWAITING_DECISION), Application.decision_date.is_not(None))
    reports = select(
        case((ReportDue.kind == ReportKind.INTERIM, _sql_text(DeadlineKind.INTERIM_REPORT.value)),
             else_=_sql_text(DeadlineKind.FINAL_REPORT.value)),
        ReportDue.due_on,
        ReportDue.application_id,
        ReportDue.id,
    ).where(ReportDue.done_on.is_(None))
    merged = union_all(submissions, decisions, reports).subquery()
    query = select(merged.c.kind, merged.c.due_on, merged.c.application_id, merged.c.report_id)
    if until is not None:
        query = query.where(merged.c.due_on <= until)
    query = query.order_by(case((merged.c.due_on < today, 0), else_=1), merged.c.due_on,
                           merged.c.kind, merged.c.application_id)
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    if not rows:
        return []
    applications = {application.id: application for application in db.session.scalars(
        select(Application).options(joinedload(Application.campaign),
                                    joinedload(Application.donor))
        .where(Application.id.in_({row.application_id for row in rows}))
    )}
    report_ids = {row.report_id for row in rows if row.report_id is not None}
    reports_by_id = {report.id: report for report in db.session.scalars(
        select(ReportDue).where(ReportDue.id.in_(report_ids)))} if report_ids else {}
    return [
        Deadline(kind=DeadlineKind(row.kind), due_on=row.due_on,
                 application=applications[row.application_id],
                 report=reports_by_id.get(row.report_id) if row.report_id else None,
                 overdue=row.due_on < today, days_left=(row.due_on - today).days)
        for row in rows
    ]


def upcoming_deadlines(today: date | None = None, days: int = DEADLINE_WINDOW_DAYS,
                       limit: int | None = None) -> list[Deadline]:
    """Overdue deadlines, then those of the next `days` days (60 by default); the first `limit`."""
    today = today or utcnow().date()
    return open_deadlines(today, until=today + timedelta(days=days), limit=limit)
