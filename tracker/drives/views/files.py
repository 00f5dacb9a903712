"""Staff screens of pledge files: upload, preview and confirm an import; export CSV or XLSX."""

from __future__ import annotations

import tempfile
from typing import Any

from babel.numbers import format_decimal
from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from werkzeug.wrappers import Response

from tracker.auth.permissions import Action
from tracker.auth.sessions import signed_in_user
from tracker.csvfiles import excel_dialect, size_label
from tracker.drives import exports, imports, services
from tracker.drives.forms import ConfirmImportForm, PledgeImportForm
from tracker.drives.models import Drive, PledgeUpload
from tracker.drives.privacy import record_contacts_exported
from tracker.drives.views import bp
from tracker.drives.views.common import require_on
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import current_language
from tracker.submissions import commit_once, repeat_of
from tracker.tasks.models import Task
from tracker.tasks.services import EXPORT_XLSX, start_task
from tracker.views import commit

# Room for the multipart envelope and the form's other fields around an upload.
UPLOAD_ENVELOPE = 64 * 1024


@bp.url_value_preprocessor
def _allow_pledge_files(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Let the import page alone receive files up to PLEDGE_IMPORT_MAX_BYTES.

    MAX_CONTENT_LENGTH keeps every other request small. This runs before any
    before_request function (the CSRF check reads the form, and so the body), which is
    why it is a URL value preprocessor and not a check in the view.
    """
    if endpoint == "drives.import_pledges" and request.method == "POST":
        request.max_content_length = (current_app.config["PLEDGE_IMPORT_MAX_BYTES"]
                                      + UPLOAD_ENVELOPE)


def _render_import(drive: Drive, form: PledgeImportForm, error: DomainError | None = None,
                   status: int = 200) -> Any:
    return render_template(
        "drives/import.html", drive=drive, form=form, refusal=error,
        header=imports.STANDARD_HEADER, payment_header=",".join(imports.PAYMENT_FIELDS),
        max_size=size_label(current_app.config["PLEDGE_IMPORT_MAX_BYTES"]),
        max_rows=format_decimal(current_app.config["PLEDGE_IMPORT_MAX_ROWS"],
                                locale=current_language()),
    ), status


@bp.route("/drives/<slug>/import", methods=["GET", "POST"])
def import_pledges(slug: str):
    """Upload a CSV or XLSX file of pledges; a good file goes to its preview."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    form = PledgeImportForm()
    if not form.is_submitted():
        return _render_import(drive, form)
    if not form.validate():
        return _render_import(drive, form, status=422)
    upload = form.file.data
    limit = current_app.config["PLEDGE_IMPORT_MAX_BYTES"]
    content = upload.stream.read(limit + 1)
    # The name as the browser sent it, without any folder some browsers put before it.
    filename = (upload.filename or "pledges.csv").replace("\\", "/").rsplit("/", 1)[-1]

    def check_and_keep() -> PledgeUpload:
        imports.check_pledge_file(drive, content, filename, form.mapping())
        return imports.store_upload(drive, content, filename, form.mapping(),
                                    by=signed_in_user())

    outcome = commit(check_and_keep)
    if outcome.refused:
        return _render_import(drive, form, outcome.error, status=422)
    assert outcome.value is not None
    return redirect(url_for("drives.import_preview", slug=slug, upload_id=outcome.value.id))


def _render_preview(drive: Drive, upload: PledgeUpload, form: ConfirmImportForm,
                    status: int = 200) -> Any:
    checked, refusal = None, None
    try:
        checked = imports.check_upload(upload)
    except DomainError as err:
        refusal = err
    return render_template("drives/import_preview.html", drive=drive, upload=upload,
                           checked=checked, refusal=refusal, form=form), status


@bp.get("/drives/<slug>/import/<int:upload_id>")
def import_preview(slug: str, upload_id: int):
    """The first rows of an uploaded file as read, what importing it would add, a Confirm."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    return _render_preview(drive, imports.get_upload(drive, upload_id), ConfirmImportForm())


@bp.post("/drives/<slug>/import/<int:upload_id>/confirm")
def confirm_import(slug: str, upload_id: int):
    """Import a previewed file in one transaction and forget the upload."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    form = ConfirmImportForm()
    if (repeat := repeat_of(form)) is not None:
        return repeat  # the first post imported the file and forgot the upload
    upload = imports.get_upload(drive, upload_id)
    if not form.validate():
        return _render_preview(drive, upload, form, status=422)
    if imports.needs_job(upload):
        started = commit_once(form, "pledge_import", lambda: imports.start_import(
            upload, by=signed_in_user(), channel=form.channel_value(),
            language=current_language()),
            lambda task: url_for("tasks.show", task_id=task.id))
        if started.repeated:
            return started.redirect()
        if started.refused:
            return _render_preview(drive, upload, form, status=422)
        assert started.value is not None
        return redirect(url_for("tasks.show", task_id=started.value.id))
    outcome = commit_once(form, "pledge_import", lambda: imports.confirm_upload(
        upload, by=signed_in_user(), channel=form.channel_value()),
        lambda _result: url_for("drives.show", slug=slug, _anchor="pledges"))
    if outcome.repeated:
        return outcome.redirect()
    if outcome.refused:
        return _render_preview(drive, imports.get_upload(drive, upload_id), form, status=422)
    result = outcome.value
    assert result is not None
    flash(imports.import_summary(result), "success")
    if result.without_rate:
        flash(imports.rate_warning(result), "warning")
    return redirect(url_for("drives.show", slug=slug, _anchor="pledges"))


@bp.get("/drives/<slug>/pledges.csv")
def export_csv(slug: str):
    """Download the drive's pledges as CSV, streamed row by row."""
    drive = services.get_drive(slug)
    # Pledgers' e-mails are personal data: only those who may see them take them out, and
    # each export leaves a trace in the audit trail.
    require_on(Action.SEE_CONTACTS, drive)
    filename = exports.export_filename(drive, "csv")
    commit(lambda: record_contacts_exported(drive, file=filename))
    # The commit expired the drive, and the rows are read after the view has returned, when
    # its session is gone: load the drive again now (a 500 in the accessibility crawl).
    db.session.refresh(drive)
    return Response(
        # In the dialect of the user's spreadsheet: semicolons and decimal commas in Russian.
        stream_with_context(exports.export_csv(drive, excel_dialect(current_language()))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"},
    )


@bp.get("/drives/<slug>/pledges.xlsx")
def export_xlsx(slug: str):
    """Download the drive's pledges as an Excel workbook; a large one is made by a job."""
    drive = services.get_drive(slug)
    require_on(Action.SEE_CONTACTS, drive)
    if exports.export_size(drive) >= current_app.config["TASK_EXPORT_MIN_ROWS"]:
        task = commit(lambda: _start_export(drive)).value
        return redirect(url_for("tasks.show", task_id=task.id))
    commit(lambda: record_contacts_exported(drive, file=exports.export_filename(drive, "xlsx")))
    # A workbook is a ZIP archive, complete only at its end: built in a temporary file,
    # which the response closes (and so deletes) once it is sent.
    target = tempfile.TemporaryFile()  # noqa: SIM115
    exports.export_xlsx(drive, target)
    target.seek(0)
    response = send_file(
        target, as_attachment=True, download_name=exports.export_filename(drive, "xlsx"),
        mimetype=exports.XLSX_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _start_export(drive: Drive) -> Task:
    """Record the export (who took the contacts out) and start the job that makes it."""
    record_contacts_exported(drive, file=exports.export_filename(drive, "xlsx"))
    return start_task(exports.xlsx_task, EXPORT_XLSX, signed_in_user(),
                      back_url=url_for("drives.show", slug=drive.slug),
                      params={"drive_id": drive.id}, total=exports.export_size(drive),
                      language=current_language())
