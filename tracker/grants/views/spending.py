"""Spending screens: the list of a grant's expenditures, recording one with its receipt,
the record with its conversion and history, correcting, approving, returning,
withdrawing, and downloading the receipt.

A partner's lead sees and changes only its own organisation's expenditures: the list is
restricted in the service's query, and each record's page asks `can(...)` with the
expenditure's partner (403 for another partner's).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from tracker.audit.services import history_for
from tracker.auth.permissions import Action, can, require
from tracker.auth.sessions import current_user, login_required, signed_in_user
from tracker.csvfiles import size_label
from tracker.errors import NotFound
from tracker.grants import services
from tracker.grants.forms.spending import DecisionForm, ExpenditureForm, ReturnForm
from tracker.grants.models import Expenditure, ExpenditureStatus, Grant
from tracker.grants.receipts import max_receipt_bytes
from tracker.grants.views import bp
from tracker.i18n import format_money
from tracker.submissions import commit_once
from tracker.views import commit, requested_page

# Room for the multipart envelope and the form's other fields around a receipt.
UPLOAD_ENVELOPE = 64 * 1024
UPLOAD_ENDPOINTS = frozenset({"grants.new_expenditure", "grants.edit_expenditure"})


@bp.url_value_preprocessor
def _allow_receipts(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Let the expenditure forms alone receive a receipt up to RECEIPT_MAX_BYTES.

    It runs before the CSRF check reads the body, which is why it is a URL value
    preprocessor and not a check in the view (as for pledge files).
    """
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = max(
            max_receipt_bytes() + UPLOAD_ENVELOPE,
            current_app.config.get("MAX_CONTENT_LENGTH") or 0)


@bp.app_template_filter("file_size")
def file_size(size: int | None) -> str:
    """A file's size as people say it ('2 MB', '512 KB'), in the reader's language."""
    return size_label(size or 0)



def _seeing(grant: Grant) -> services.Visibility:
    """Whose spending of the grant the user sees; 403 for someone who sees none at all."""
    visibility = services.spending_visibility(current_user, grant)
    require(visibility is not None)
    assert visibility is not None
    return visibility


def _recording(grant: Grant) -> services.Visibility:
    """Whose spending the user may record; 403 for someone who may record none here."""
    visibility = services.spending_visibility(current_user, grant, Action.RECORD_SPENDING)
    require(visibility is not None and not visibility.nothing)
    assert visibility is not None
    return visibility


def _expenditure(grant_id: int, expenditure_id: int,
                 action: Action) -> tuple[Grant, Expenditure]:
    """The grant and its expenditure (404 if elsewhere); 403 unless the user may do this."""
    grant = services.get_grant(grant_id)
    expenditure = services.get_expenditure(grant, expenditure_id)
    require(can(current_user, action, organization=expenditure.partner_org_id))
    return grant, expenditure


def _filters(grant: Grant) -> tuple[services.SpendingFilter, dict[str, Any]]:
    """The list's filters from the query string; a value that names nothing is ignored."""
    try:
        status = ExpenditureStatus(request.args.get("status", ""))
    except ValueError:
        status = None
    partner = request.args.get("partner", type=int)
    number = request.args.get("period", type=int)
    period = None
    if number is not None:
        try:
            period = services.get_period(grant, number)
        except NotFound:
            period = None
    chosen = {"status": status.value if status else None, "partner": partner,
              "period": period.number if period else None}
    return (services.SpendingFilter(status=status, partner_org_id=partner, period=period),
            {key: value for key, value in chosen.items() if value is not None})


@bp.get("/<int:grant_id>/spending")
@login_required
def expenditures(grant_id: int) -> Any:
    """The grant's expenditures, filtered and paged, with their total (a lead: its own)."""
    grant = services.get_grant(grant_id)
    visibility = _seeing(grant)
    filters, chosen = _filters(grant)
    listed = None
    if not visibility.nothing:
        listed = services.list_expenditures(grant, filters,
                                            only_org_id=visibility.only_org_id,
                                            page=requested_page())
    recording = services.spending_visibility(current_user, grant, Action.RECORD_SPENDING)
    return render_template(
        "grants/expenditures.html", grant=grant, listed=listed, visibility=visibility,
        chosen=chosen, statuses=list(ExpenditureStatus),
        partners=services.spending_partners(grant, visibility.only_org_id)
        if not visibility.nothing else [],
        may_record=recording is not None and not recording.nothing)


def _render_form(grant: Grant, form: ExpenditureForm, expenditure: Expenditure | None = None,
                 status: int = 200) -> Any:
    return render_template("grants/expenditure_form.html", grant=grant, form=form,
                           expenditure=expenditure,
                           max_size=max_receipt_bytes()), status


@bp.route("/<int:grant_id>/spending/new", methods=["GET", "POST"])
@login_required
def new_expenditure(grant_id: int) -> Any:
    """Record an expenditure with its receipt (a partner's lead: against its own lines)."""
    grant = services.get_grant(grant_id)
    visibility = _recording(grant)
    form = ExpenditureForm.for_grant(grant, services.spending_lines(grant,
                                                                    visibility.only_org_id))
    if not form.is_submitted():
        return _render_form(grant, form)
    if not form.validate():
        return _render_form(grant, form, status=422)
    data, receipt = form.to_input(), form.receipt_file()
    # The line's partner is the one recording: a lead's choices hold only its own lines.
    require(can(current_user, Action.RECORD_SPENDING, organization=data.partner_org_id))
    done = commit_once(
        form, "expenditure",
        lambda: services.record_expenditure(grant, data, by=signed_in_user(), receipt=receipt),
        lambda spent: url_for("grants.expenditure", grant_id=grant.id,
                              expenditure_id=spent.id))
    if done.repeated:
        return done.redirect()
    if done.refused:
        return _render_form(services.get_grant(grant_id), form, status=422)
    assert done.value is not None
    flash(_("Expenditure of %(amount)s recorded: it waits for the coordinator's approval.",
            amount=format_money(done.value.amount)), "success")
    return redirect(url_for("grants.expenditures", grant_id=grant.id))


@bp.get("/<int:grant_id>/spending/<int:expenditure_id>")
@login_required
def expenditure(grant_id: int, expenditure_id: int) -> Any:
    """An expenditure with its conversion, receipt and history."""
    grant, spent = _expenditure(grant_id, expenditure_id, Action.SEE_SPENDING)
    return render_template(
        "grants/expenditure.html", grant=grant, expenditure=spent,
        return_form=ReturnForm(), decision_form=DecisionForm(),
        may_approve=can(current_user, Action.APPROVE_SPENDING),
        may_record=can(current_user, Action.RECORD_SPENDING,
                       organization=spent.partner_org_id),
        history=history_for("expenditure", spent.id, page=requested_page("history_page")))


@bp.route("/<int:grant_id>/spending/<int:expenditure_id>/edit", methods=["GET", "POST"])
@login_required
def edit_expenditure(grant_id: int, expenditure_id: int) -> Any:
    """Correct an expenditure not yet approved; a returned one is submitted again."""
    grant, spent = _expenditure(grant_id, expenditure_id, Action.RECORD_SPENDING)
    back = url_for("grants.expenditure", grant_id=grant.id, expenditure_id=spent.id)
    if spent.status not in (ExpenditureStatus.SUBMITTED, ExpenditureStatus.RETURNED):
        flash(_("Only an expenditure waiting for approval or returned can be changed."),
              "warning")
        return redirect(back)
    visibility = _recording(grant)
    form = ExpenditureForm.for_expenditure(
        spent, services.spending_lines(grant, visibility.only_org_id))
    if not form.is_submitted():
        return _render_form(grant, form, spent)
    if not form.validate():
        return _render_form(grant, form, spent, status=422)
    data, receipt = form.to_input(), form.receipt_file()
    require(can(current_user, Action.RECORD_SPENDING, organization=data.partner_org_id))
    outcome = commit(lambda: services.update_expenditure(spent, data, by=signed_in_user(),
                                                         receipt=receipt), form)
    if outcome.refused:
        grant = services.get_grant(grant_id)
        return _render_form(grant, form, services.get_expenditure(grant, expenditure_id),
                            status=422)
    flash(_("Expenditure saved."), "success")
    return redirect(back)


def _decide(grant_id: int, expenditure_id: int, action: Action, change: Any,
            done: str) -> Response:
    """Approve, return or withdraw: a refusal is a message on the record's page, not a 500."""
    grant, spent = _expenditure(grant_id, expenditure_id, action)
    outcome = commit(lambda: change(spent))
    if outcome.refused:
        flash(outcome.message, "danger")
    else:
        flash(done, "success")
    return redirect(url_for("grants.expenditure", grant_id=grant.id,
                            expenditure_id=expenditure_id))


@bp.post("/<int:grant_id>/spending/<int:expenditure_id>/approve")
@login_required
def approve_expenditure(grant_id: int, expenditure_id: int) -> Response:
    """Approve an expenditure: it counts against its line from now on."""
    return _decide(grant_id, expenditure_id, Action.APPROVE_SPENDING,
                   lambda spent: services.approve_expenditure(spent, by=signed_in_user()),
                   _("Expenditure approved: it counts against its line."))


@bp.post("/<int:grant_id>/spending/<int:expenditure_id>/return")
@login_required
def return_expenditure(grant_id: int, expenditure_id: int) -> Response:
    """Return an expenditure to its partner with a reason."""
    form = ReturnForm()
    form.validate()  # the reason's length is the service's to refuse, with its message
    reason = form.reason.data or ""
    return _decide(grant_id, expenditure_id, Action.APPROVE_SPENDING,
                   lambda spent: services.return_expenditure(spent, reason,
                                                             by=signed_in_user()),
                   _("Expenditure returned to its partner."))


@bp.post("/<int:grant_id>/spending/<int:expenditure_id>/withdraw")
@login_required
def withdraw_expenditure(grant_id: int, expenditure_id: int) -> Response:
    """Withdraw an expenditure never approved (it stays in the history)."""
    return _decide(grant_id, expenditure_id, Action.RECORD_SPENDING,
                   lambda spent: services.withdraw_expenditure(spent, by=signed_in_user()),
                   _("Expenditure withdrawn."))


@bp.get("/<int:grant_id>/spending/<int:expenditure_id>/receipt")
@login_required
def receipt(grant_id: int, expenditure_id: int) -> Response:
    """The expenditure's receipt as it was uploaded, as a download."""
    _grant, spent = _expenditure(grant_id, expenditure_id, Action.SEE_SPENDING)
    data = services.receipt_bytes(spent)
    if data is None:
        abort(404)
    # send_file writes a Cyrillic name as RFC 6266's filename* (headers travel as Latin-1).
    response = send_file(BytesIO(data), mimetype=spent.receipt_type or "application/octet-stream",
                         as_attachment=True, download_name=spent.receipt_name or "receipt")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
