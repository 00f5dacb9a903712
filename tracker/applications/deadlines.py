"""Deadlines someone must act on: submissions, expected decisions and reports due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, Generic, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    Subquery,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload

from tracker.applications.lines import ApplicationLine
from tracker.applications.models import (
    Application,
    ReportContent,
    ReportDue,
    ReportKind,
)
from tracker.applications.pipeline import AWAITING_DECISION, AWAITING_SUBMISSION
from tracker.campaigns.models import Campaign
from tracker.db import Base, LabeledEnum, utcnow
from tracker.extensions import db
from tracker.i18n import NameLine, TitleLine
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.paging import Page, last_page

DEADLINE_WINDOW_DAYS = 60
# The deadlines screen's page, as long as the applications list's.
DEADLINES_PER_PAGE = 25


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
class ReportLine:
    """What a deadline shows of a report due, with its grant period's number and grant."""

    id: int
    kind: ReportKind
    content: ReportContent
    note: str
    period_id: int | None
    period_number: int | None
    grant_reference: str | None


AnyApplication = TypeVar("AnyApplication", Application, ApplicationLine)


@dataclass(frozen=True)
class Deadline(Generic[AnyApplication]):
    """One date someone must act on: a submission, an expected decision or a report.

    Screens and the feed get an ApplicationLine (the columns they show); mail the record.
    """

    kind: DeadlineKind
    due_on: date
    application: AnyApplication
    report: ReportDue | ReportLine | None
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
        if isinstance(report, ReportLine):
            number, grant = report.period_number, report.grant_reference
        else:
            period = report.period
            number, grant = (period.number, period.grant.reference) if period else (None, None)
        if number is None:
            return name
        return _l("%(report)s, period %(number)d — %(grant)s", report=name,
                  number=number, grant=grant)

    @property
    def uid(self) -> str:
        """A calendar UID that stays the same as long as the deadline exists."""
        if self.report is not None:
            return f"report-{self.report.id}@tracker"
        return f"application-{self.application.id}-{self.kind.value}@tracker"


def _sql_text(value: str):
    return cast(literal_column(f"'{value}'"), String)


def _merged_deadlines(until: Any) -> Subquery:
    """Every open deadline up to `until` as (kind, due_on, application_id, report_id) rows.

    A submission deadline is open until the application is submitted (or withdrawn),
    an expected decision until the donor decides, a report until it is marked done.
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
    if until is not None:
        submissions = submissions.where(Application.submission_deadline <= until)
        decisions = decisions.where(Application.decision_date <= until)
        reports = reports.where(ReportDue.due_on <= until)
    return union_all(submissions, decisions, reports).subquery()


def _in_order(query: Select[Any], merged: Subquery, today: Any) -> Select[Any]:
    """The deadlines' one order: overdue first, then by date, kind, application, report."""
    return query.order_by(case((merged.c.due_on < today, 0), else_=1), merged.c.due_on,
                          merged.c.kind, merged.c.application_id, merged.c.report_id)


def _chosen(today: Any, until: Any, limit: Any = None, offset: Any = 0) -> Select[Any]:
    """(kind, due_on, application_id, report_id) of the deadlines up to `until` in their
    order; with `limit`, only those (from `offset` on)."""
    merged = _merged_deadlines(until)
    query = _in_order(select(merged.c.kind, merged.c.due_on, merged.c.application_id,
                             merged.c.report_id), merged, today)
    return query if limit is None else query.limit(limit).offset(offset)


def open_deadlines(today: date, until: date | None = None, limit: int | None = None
                   ) -> list[Deadline[Application]]:
    """Open deadlines up to `until` (all if None), overdue ones first, with their records.

    For mail (reminders, the digest), which works with the application records.
    The database merges and orders the three kinds; two more queries load the records.
    """
    rows = db.session.execute(_chosen(today, until, limit)).all()
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
                       limit: int | None = None) -> list[Deadline[Application]]:
    """Overdue deadlines, then those of the next `days` days (60 by default); the first `limit`."""
    today = today or utcnow().date()
    return open_deadlines(today, until=today + timedelta(days=days), limit=limit)


def _lines_query(today: date, until: date | None, limit: int | None = None, offset: int = 0
                 ) -> tuple[Select[Any], dict[str, Any]]:
    """Open deadlines up to `until` in their order, with only the columns a screen shows:
    the statement (built once) and its parameters."""
    params: dict[str, Any] = {"today": today}
    if until is not None:
        params["until"] = until
    if limit is not None:
        params |= {"limit": limit, "offset": offset}
    return _lines_statement(until is not None, limit is not None), params


@cache  # Built once: building and compiling it cost as much as running it (issue 15).
def _lines_statement(bounded: bool, limited: bool) -> Select[Any]:
    """The deadlines' screen statement, with `today` (and `until`, `limit`, `offset` when
    bounded, limited) bound at each run.

    The deadlines are chosen (and limited) first, then joined: a dashboard's ten rows do not
    join every open deadline's application, campaign and donor.
    """
    today = bindparam("today", type_=Date)
    until = bindparam("until", type_=Date) if bounded else None
    limit, offset = ((bindparam("limit", type_=Integer), bindparam("offset", type_=Integer))
                     if limited else (None, 0))
    # The grants area builds on this one, so its tables are read by name (once the app has
    # loaded every model): importing its models would make the two areas import each other.
    periods, grants = (Base.metadata.tables[name] for name in ("grant_period", "grant_award"))
    merged = _chosen(today, until, limit, offset).subquery()
    donor = Organization
    query = (
        select(merged.c.kind, merged.c.due_on, merged.c.report_id,
               Application.id.label("application_id"), Application.title_en, Application.title_ru,
               Application.status, Application.requested_minor, Application.currency,
               Application.updated_at, Campaign.title_en.label("campaign_en"),
               Campaign.title_ru.label("campaign_ru"), donor.name_en.label("donor_en"),
               donor.name_ru.label("donor_ru"), ReportDue.kind.label("report_kind"),
               ReportDue.content.label("report_content"), ReportDue.note.label("report_note"),
               ReportDue.period_id, periods.c.number.label("period_number"),
               grants.c.reference.label("grant_reference"))
        .join(Application, Application.id == merged.c.application_id)
        .join(Campaign, Campaign.id == Application.campaign_id)
        .join(donor, donor.id == Application.donor_org_id)
        .outerjoin(ReportDue, ReportDue.id == merged.c.report_id)
        .outerjoin(periods, periods.c.id == ReportDue.period_id)
        .outerjoin(grants, grants.c.id == periods.c.grant_id)
    )
    return _in_order(query, merged, today)


@cache  # Built once, as the lines' statement is.
def _count_statement() -> Select[Any]:
    """How many deadlines are open up to `until` (bound at each run)."""
    # Every deadline has its application, campaign and donor (required keys): the merged
    # deadlines alone count as many rows as the joined query.
    merged = _merged_deadlines(bindparam("until", type_=Date))
    return select(func.count()).select_from(merged)


def deadline_rows(today: date, until: date | None = None, limit: int | None = None,
                  offset: int = 0) -> list[Any]:
    """Open deadlines up to `until` in their order as rows of the shown columns, read as
    stored (what a screen shows of them, and a kept list's key)."""
    statement, params = _lines_query(today, until, limit, offset)
    return list(db.session.execute(statement, params))


def deadline_rows_query(today: date, until: date | None = None, limit: int | None = None
                        ) -> tuple[Select[Any], dict[str, Any]]:
    """`deadline_rows`' statement (built once) and its parameters, for a key to read alike."""
    return _lines_query(today, until, limit)


def deadline_line(row: Any, today: date) -> Deadline[ApplicationLine]:
    """One of `deadline_rows` as a screen shows it."""
    application = ApplicationLine(
        id=row.application_id, title_en=row.title_en, title_ru=row.title_ru, status=row.status,
        campaign=TitleLine(row.campaign_en, row.campaign_ru),
        donor=NameLine(row.donor_en, row.donor_ru),
        requested=Money.stored(row.requested_minor, row.currency), updated_at=row.updated_at)
    report = None if row.report_id is None else ReportLine(
        id=row.report_id, kind=row.report_kind, content=row.report_content,
        note=row.report_note, period_id=row.period_id, period_number=row.period_number,
        grant_reference=row.grant_reference)
    return Deadline(kind=DeadlineKind(row.kind), due_on=row.due_on, application=application,
                    report=report, overdue=row.due_on < today,
                    days_left=(row.due_on - today).days)


def deadline_lines(today: date, until: date | None = None, limit: int | None = None
                   ) -> list[Deadline[ApplicationLine]]:
    """Open deadlines up to `until` in their order, as a screen shows them, in one query."""
    return [deadline_line(row, today) for row in deadline_rows(today, until, limit)]


def upcoming_deadline_lines(today: date | None = None, days: int = DEADLINE_WINDOW_DAYS,
                            limit: int | None = None) -> list[Deadline[ApplicationLine]]:
    """Overdue deadlines, then those of the next `days` days, as a screen shows them."""
    today = today or utcnow().date()
    return deadline_lines(today, until=today + timedelta(days=days), limit=limit)


def page_of_upcoming_deadline_rows(page: int = 1, per_page: int = DEADLINES_PER_PAGE,
                                   today: date | None = None, days: int = DEADLINE_WINDOW_DAYS
                                   ) -> Page[Any]:
    """One page of the upcoming deadlines as `deadline_rows` (what a screen shows of them,
    and a kept row's key; `deadline_line` makes each a Deadline): a count and one query."""
    today = today or utcnow().date()
    until = today + timedelta(days=days)
    total = db.session.scalar(_count_statement(), {"until": until}) or 0
    page = min(max(1, page), last_page(total, per_page))  # past the end: the last page
    rows = deadline_rows(today, until, per_page, (page - 1) * per_page)
    return Page(items=rows, page=page, per_page=per_page, total=total)
