"""Donor financial reports of a grant: the periods with their due dates, draft PDFs and
workbooks in English or Russian, and final versions kept with their SHA-256.

The report is the holder's document: the hub's staff, fundraisers and viewers read it,
a partner's lead only when its organisation holds the grant (SEE_SPENDING for the holder).
"""

from __future__ import annotations

from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from tracker.auth.permissions import Action, can, require
from tracker.auth.sessions import current_user, login_required, signed_in_user
from tracker.grants import services
from tracker.grants.forms.reports import KeepReportForm
from tracker.grants.models import Grant
from tracker.grants.views import bp
from tracker.i18n import LANGUAGES, current_language
from tracker.views import commit

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_template_filter("report_format_label")
def report_format_label(name: str) -> str:
    """A report format's label in the reader's language ("undp" → "UNDP"), else its key."""
    report_format = services.find_format(name)
    return str(report_format.label) if report_format is not None else name


def _readable_grant(grant_id: int) -> Grant:
    grant = services.get_grant(grant_id)
    require(can(current_user, Action.SEE_SPENDING, organization=grant.holder_org_id))
    return grant


def _asked(grant: Grant) -> tuple[str, services.ReportFormat]:
    """The language and format a download asks for (?lang=, ?format=), else 404."""
    language = request.args.get("lang") or current_language()
    name = request.args.get("format")
    report_format = services.find_format(name) if name else services.format_for(
        grant.application)
    if language not in LANGUAGES or report_format is None:
        abort(404)
    return language, report_format


def _render(grant: Grant, form: KeepReportForm, status: int = 200):
    return render_template("grants/reports.html", grant=grant, form=form,
                           schedule=services.report_schedule(grant),
                           formats=services.FORMATS,
                           default_format=services.format_for(grant.application)), status


@bp.get("/<int:grant_id>/reports")
@login_required
def reports(grant_id: int):
    """The grant's reporting periods, their financial reports' due dates, files and finals."""
    grant = _readable_grant(grant_id)
    return _render(grant, KeepReportForm(formdata=None, grant=grant))


@bp.get("/<int:grant_id>/reports/<int:number>.pdf")
@login_required
def report_pdf(grant_id: int, number: int):
    """A draft PDF of the period's report in the language and format asked for."""
    grant = _readable_grant(grant_id)
    period = services.get_period(grant, number)
    language, report_format = _asked(grant)
    # Committed: with the database storage the draft kept for next time is a row.
    outcome = commit(lambda: services.draft_pdf(grant, period, language=language,
                                                report_format=report_format))
    if outcome.refused:
        flash(outcome.message, "error")
        return redirect(url_for("grants.reports", grant_id=grant.id))
    printed = outcome.value
    return send_file(BytesIO(printed.data), mimetype=PDF, as_attachment=True,
                     download_name=printed.file_name)


@bp.get("/<int:grant_id>/reports/<int:number>.xlsx")
@login_required
def report_xlsx(grant_id: int, number: int):
    """The period's report as an XLSX workbook in the language and format asked for."""
    grant = _readable_grant(grant_id)
    period = services.get_period(grant, number)
    language, report_format = _asked(grant)
    data = services.report_xlsx(grant, period, language=language, report_format=report_format)
    name = services.report_file_name(grant, period, language=language,
                                     report_format=report_format, extension="xlsx")
    return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)


@bp.post("/<int:grant_id>/reports/<int:number>/final")
@login_required
def keep_report(grant_id: int, number: int):
    """Keep the period's report as a final PDF version, with its SHA-256."""
    grant = services.get_grant(grant_id)
    require(can(current_user, Action.MANAGE_GRANTS))
    period = services.get_period(grant, number)
    form = KeepReportForm(grant=grant)
    if not form.validate():
        return _render(grant, form, 422)
    report_format = services.find_format(form.report_format.data)
    assert report_format is not None  # the select accepts only registered names
    outcome = commit(lambda: services.print_final(
        grant, period, language=form.language.data, report_format=report_format,
        by=signed_in_user()), form)
    if outcome.refused:
        return _render(grant, form, 422)
    final = outcome.value.final
    if outcome.value.created:
        flash(_("Final version %(number)s of the report for period %(period)s is kept.",
                number=final.number, period=period.number), "success")
    else:
        flash(_("Nothing has changed since final version %(number)s: it is the one to send.",
                number=final.number), "info")
    return redirect(url_for("grants.reports", grant_id=grant.id))


@bp.get("/<int:grant_id>/reports/<int:number>/finals/<int:version>.pdf")
@login_required
def report_final(grant_id: int, number: int, version: int):
    """Download a kept final version of the period's report."""
    grant = _readable_grant(grant_id)
    period = services.get_period(grant, number)
    final = services.get_final(grant, period.number, version)
    data = services.final_pdf(final)  # NotFound (404) if the file has gone
    return send_file(BytesIO(data), mimetype=PDF, as_attachment=True,
                     download_name=services.final_file_name(grant, period, final))
