"""Importing a grant's expenditures from a file: upload, a preview of every row, confirm."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from tracker.auth.permissions import require
from tracker.auth.sessions import login_required, signed_in_user
from tracker.csvfiles import size_label
from tracker.errors import DomainError
from tracker.grants import services
from tracker.grants.forms.imports import (
    ConfirmExpenditureImportForm,
    ExpenditureImportForm,
    KeptFile,
)
from tracker.grants.imports import STANDARD_HEADER
from tracker.grants.models import Grant
from tracker.grants.views import bp
from tracker.i18n import format_money
from tracker.submissions import commit_once, repeat_of
from tracker.views import commit

# Room for the multipart envelope and the form's other fields around the file.
UPLOAD_ENVELOPE = 64 * 1024


@bp.url_value_preprocessor
def _allow_the_kept_copy(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Let the confirmation carry the previewed file back (base64: a third larger).

    Before any before_request function (the CSRF check reads the form), hence here.
    """
    if endpoint == "grants.import_expenditures" and request.method == "POST":
        request.max_form_memory_size = (
            2 * current_app.config["EXPENDITURE_IMPORT_MAX_BYTES"] + UPLOAD_ENVELOPE)


def _grant_to_import(grant_id: int) -> Grant:
    """The grant, if the user may import the spending of any of its organisations (else 403)."""
    grant = services.get_grant(grant_id)
    require(bool(services.importing_for(grant, signed_in_user())))
    return grant


def _render_upload(grant: Grant, form: ExpenditureImportForm,
                   refusal: DomainError | None = None, status: int = 200) -> Any:
    config = current_app.config
    return render_template(
        "grants/import.html", grant=grant, form=form, refusal=refusal, result=None,
        confirm=None, header=STANDARD_HEADER,
        organizations=services.importing_for(grant, signed_in_user()),
        max_size=size_label(config["EXPENDITURE_IMPORT_MAX_BYTES"]),
        max_rows=config["EXPENDITURE_IMPORT_MAX_ROWS"]), status


def _spending_url(grant: Grant) -> str:
    """The grant's spending screen (its slice), or this import page until it exists."""
    endpoint = ("grants.expenditures" if "grants.expenditures" in current_app.view_functions
                else "grants.import_expenditures")
    return url_for(endpoint, grant_id=grant.id)


@bp.route("/<int:grant_id>/spending/import", methods=["GET", "POST"])
@login_required
def import_expenditures(grant_id: int) -> Any:
    """Upload a CSV or XLSX file of expenditures; its preview; the confirmation imports it."""
    grant = _grant_to_import(grant_id)
    if request.method == "POST" and "kept" in request.form:
        return _confirm(grant)
    form = ExpenditureImportForm()
    if not form.is_submitted():
        return _render_upload(grant, form)
    if not form.validate():
        return _render_upload(grant, form, status=422)
    upload = form.file.data
    content = upload.stream.read(current_app.config["EXPENDITURE_IMPORT_MAX_BYTES"] + 1)
    # The name as the browser sent it, without any folder some browsers put before it.
    filename = (upload.filename or "expenditures.csv").replace("\\", "/").rsplit("/", 1)[-1]
    outcome = commit(lambda: services.check_expenditure_file(
        grant, content, filename, form.mapping(), by=signed_in_user()))
    if outcome.refused:
        return _render_upload(grant, form, outcome.error, status=422)
    confirm = ConfirmExpenditureImportForm()
    confirm.keep(grant.id, KeptFile(filename, content, form.mapping()))
    return render_template("grants/import.html", grant=grant, form=form, refusal=None,
                           result=outcome.value, confirm=confirm, header=STANDARD_HEADER)


def _confirm(grant: Grant) -> Response | Any:
    """Import the previewed file carried back by the confirmation, once."""
    form = ConfirmExpenditureImportForm()
    if (repeat := repeat_of(form)) is not None:
        return repeat  # the first post imported the file
    kept = form.kept_file(grant.id) if form.validate() else None
    if kept is None:
        refusal = DomainError(_("The previewed file could not be read back. Upload the file "
                                "again."))
        return _render_upload(grant, ExpenditureImportForm(formdata=None), refusal, status=422)
    outcome = commit_once(form, "expenditure_import", lambda: services.import_expenditures(
        grant, kept.content, kept.filename, kept.mapping, by=signed_in_user()),
        lambda _result: _spending_url(grant))
    if outcome.repeated:
        return outcome.redirect()
    if outcome.refused:
        return _render_upload(grant, ExpenditureImportForm(formdata=None), outcome.error,
                              status=422)
    result = outcome.value
    assert result is not None
    flash(ngettext("%(num)d expenditure imported, waiting for approval: %(total)s.",
                   "%(num)d expenditures imported, waiting for approval: %(total)s.",
                   len(result.new), total=format_money(result.total)), "success")
    return redirect(_spending_url(grant))


@bp.get("/<int:grant_id>/spending/import/template.csv")
@login_required
def import_template(grant_id: int) -> Response:
    """A CSV to fill in: the header and a row for each line the user may spend on."""
    grant = _grant_to_import(grant_id)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", grant.reference)
    return Response(
        services.expenditure_template(grant, signed_in_user()), mimetype="text/csv",
        headers={"Content-Disposition":
                 f'attachment; filename="{name}-expenditures.csv"',
                 "Cache-Control": "no-store"})
