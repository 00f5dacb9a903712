"""Financial reports as files: draft PDFs, workbooks, final versions kept with their SHA-256.

A PDF is rendered by the proposals' renderer (tracker/proposals/render.py: the fetcher
that serves only the app's static files, the fonts, page numbering, time and page
limits). A draft is kept in the file storage under the SHA-256 of its HTML, so asking
again for unchanged data is answered with the stored file. A final is kept for good,
numbered per reporting period, with its format, language, SHA-256, author and time;
keeping a final whose HTML has not changed since an earlier final of the period gives
that earlier version back instead of a new one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tracker.applications.models import ReportContent, ReportDue
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.errors import DomainError, NotFound, found
from tracker.extensions import db
from tracker.grants.models import FinancialReportFinal, Grant, ReportingPeriod
from tracker.grants.report_formats import ReportFormat, find_format
from tracker.grants.reports import report_html
from tracker.proposals.render import source_hash
from tracker.proposals.services import render_html
from tracker.storage import file_storage

PDF, XLSX = "pdf", "xlsx"


def report_file_name(grant: Grant, period: ReportingPeriod, *, language: str,
                     report_format: ReportFormat, extension: str,
                     number: int | None = None) -> str:
    """A readable file name: reference, period, format, language, 'draft' or the version."""
    reference = "".join(c if c.isalnum() or c in "-_." else "-" for c in grant.reference)
    suffix = "draft" if number is None else f"v{number}"
    return (f"{reference}-period-{period.number}-{report_format.name.replace('_', '-')}-"
            f"{language}-{suffix}.{extension}")


@dataclass(frozen=True)
class PrintedReport:
    """A report file, its name, and whether the stored draft was served."""

    data: bytes
    file_name: str
    from_storage: bool = False


def draft_pdf(grant: Grant, period: ReportingPeriod, *, language: str,
              report_format: ReportFormat) -> PrintedReport:
    """A draft PDF of the period's report; unchanged data is served from the stored draft."""
    html = report_html(grant, period, language=language, report_format=report_format,
                       draft=True)
    storage = file_storage()
    key = f"grant-reports/drafts/{source_hash(html)}.pdf"
    name = report_file_name(grant, period, language=language, report_format=report_format,
                            extension=PDF)
    stored = storage.get(key)
    if stored is not None:
        return PrintedReport(stored, name, True)
    data = render_html(html)
    storage.put(key, data)
    return PrintedReport(data, name)


def report_pdf(grant: Grant, period: ReportingPeriod, *, language: str,
               report_format: ReportFormat, draft: bool = True) -> bytes:
    """The report as PDF bytes, rendered now (a draft carries its mark)."""
    return render_html(report_html(grant, period, language=language,
                                   report_format=report_format, draft=draft))


@dataclass(frozen=True)
class FinalReport:
    """The final version kept (or the earlier identical one) and whether it is new."""

    final: FinancialReportFinal
    created: bool


def print_final(grant: Grant, period: ReportingPeriod, *, language: str,
                report_format: ReportFormat, by: User | None) -> FinalReport:
    """Render the period's report without the draft mark and keep it as a final version."""
    html = report_html(grant, period, language=language, report_format=report_format,
                       draft=False)
    source = source_hash(html)
    earlier = db.session.scalar(
        select(FinancialReportFinal).where(FinancialReportFinal.grant_id == grant.id,
                                           FinancialReportFinal.period_number == period.number,
                                           FinancialReportFinal.source_sha256 == source)
        .order_by(FinancialReportFinal.number.desc()).limit(1))
    if earlier is not None and file_storage().exists(earlier.storage_key):
        return FinalReport(earlier, False)
    final = keep_final(grant, period, render_html(html), language=language,
                       report_format=report_format, source_sha256=source, by=by)
    return FinalReport(final, True)


def keep_final(grant: Grant, period: ReportingPeriod, data: bytes, *, language: str,
               report_format: ReportFormat, source_sha256: str,
               by: User | None) -> FinancialReportFinal:
    """Store a rendered final PDF and record it as the period's next version."""
    digest = hashlib.sha256(data).hexdigest()
    key = f"grant-reports/finals/{grant.id}/{digest}.pdf"
    file_storage().put(key, data)  # named by its content: a retry or a twin writes the same
    number = (db.session.scalar(
        select(func.max(FinancialReportFinal.number))
        .where(FinancialReportFinal.grant_id == grant.id,
               FinancialReportFinal.period_number == period.number)) or 0) + 1
    final = FinancialReportFinal(
        grant_id=grant.id, period_number=period.number, number=number,
        format=report_format.name, language=language, sha256=digest, size_bytes=len(data),
        storage_key=key, source_sha256=source_sha256,
        author_id=by.id if by is not None else None, created_at=utcnow())
    try:
        # A savepoint: a clash undoes this version only, not the caller's other work.
        with db.session.begin_nested():
            db.session.add(final)
    except IntegrityError:
        raise DomainError(_("Another final version of this report was kept at the same "
                            "moment; keep it again.")) from None
    return final


def get_final(grant: Grant, period_number: int, number: int) -> FinancialReportFinal:
    """The grant's kept final of a period by its version number, or NotFound."""
    return found(db.session.scalar(select(FinancialReportFinal).where(
        FinancialReportFinal.grant_id == grant.id,
        FinancialReportFinal.period_number == period_number,
        FinancialReportFinal.number == number)), "final report")


def final_pdf(final: FinancialReportFinal) -> bytes:
    """The stored PDF of a final version; NotFound if the file has gone from the storage."""
    data = file_storage().get(final.storage_key)
    if data is None:
        raise NotFound(_("The file of version %(number)s is missing from the storage.",
                         number=final.number))
    return data


def final_file_name(grant: Grant, period: ReportingPeriod,
                    final: FinancialReportFinal) -> str:
    report_format = find_format(final.format)
    assert report_format is not None  # only registered formats are kept
    return report_file_name(grant, period, language=final.language,
                            report_format=report_format, extension=PDF, number=final.number)


@dataclass(frozen=True)
class ScheduledReport:
    """A reporting period with its financial report's due date and kept finals."""

    period: ReportingPeriod
    due_on: date | None
    final: bool
    finals: list[FinancialReportFinal]


def report_schedule(grant: Grant) -> list[ScheduledReport]:
    """Each period of the grant, when its financial report is due, and its kept finals."""
    periods = list(grant.periods)
    due = {row.period_id: row.due_on for row in db.session.scalars(
        select(ReportDue).where(ReportDue.period_id.in_([p.id for p in periods]),
                                ReportDue.content.in_((ReportContent.FINANCIAL,
                                                       ReportContent.BOTH))))}
    finals: dict[int, list[FinancialReportFinal]] = {}
    for final in db.session.scalars(
            select(FinancialReportFinal).where(FinancialReportFinal.grant_id == grant.id)
            .order_by(FinancialReportFinal.number.desc())):
        finals.setdefault(final.period_number, []).append(final)
    last = periods[-1].number if periods else 0
    return [ScheduledReport(period, due.get(period.id), period.number == last,
                            finals.get(period.number, [])) for period in periods]
