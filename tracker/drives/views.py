"""Screens of crowdfunding drives, pledges and payments, and the public drive pages."""

from __future__ import annotations

import math
import tempfile
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from limits import parse
from limits.strategies import MovingWindowRateLimiter
from werkzeug.wrappers import Response

from tracker.audit.services import history_for
from tracker.auth.headers import frameable
from tracker.auth.permissions import Action, can, require
from tracker.auth.sessions import current_user, public
from tracker.campaigns.models import Campaign
from tracker.campaigns.services import find_campaign
from tracker.drives import exports, imports, services
from tracker.drives.forms import (
    ConfirmImportForm,
    DriveForm,
    DriveMoveForm,
    PaymentForm,
    PledgeForm,
    PledgeImportForm,
    PledgeStatusForm,
    PublicPledgeForm,
)
from tracker.drives.models import Drive, DriveStatus, Payment, Pledge, PledgeUpload
from tracker.errors import DomainError
from tracker.extensions import db, limiter
from tracker.forms import apply_domain_error
from tracker.i18n import current_language, format_money
from tracker.money.services import size_label
from tracker.money.value import Money, MoneyError

bp = Blueprint("drives", __name__)

PUBLIC_PLEDGE_LIMIT = "5 per 10 minutes"  # per client address; PUBLIC_PLEDGE_LIMIT in config wins
THANKS_KEY = "drive_thanks"
# Room for the multipart envelope and the form's other fields around an upload.
UPLOAD_ENVELOPE = 64 * 1024


@bp.app_template_global("campaign_drives")
def campaign_drives(campaign: Campaign) -> list[services.DriveRow]:
    """The campaign's drives with their figures, for templates/drives/_campaign_drives.html."""
    return services.drives_of_campaign(campaign)


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


# --- lookups and permissions ---------------------------------------------------------------


def _drive_or_404(slug: str) -> Drive:
    drive = services.find_drive(slug)
    if drive is None:
        abort(404)
    return drive


def _pledge_or_404(drive: Drive, pledge_id: int) -> Pledge:
    pledge = services.find_pledge(drive, pledge_id)
    if pledge is None:
        abort(404)
    return pledge


def _payment_or_404(pledge: Pledge, payment_id: int) -> Payment:
    payment = services.find_payment(pledge, payment_id)
    if payment is None:
        abort(404)
    return payment


def _require(action: Action, drive_or_campaign: Drive | Campaign) -> None:
    """403 unless the user may do the action on this drive's (or campaign's) records."""
    campaign = (drive_or_campaign.campaign if isinstance(drive_or_campaign, Drive)
                else drive_or_campaign)
    require(can(current_user, action, campaign))


def _page_arg(name: str) -> int:
    return max(1, request.args.get(name, 1, type=int) or 1)


# --- rendering -----------------------------------------------------------------------------


def _render_drive(drive: Drive, *, error: str | None = None, status: int = 200):
    return render_template(
        "drives/show.html",
        drive=drive,
        figures=services.drive_figures(drive),
        pledges=services.list_pledges(drive, page=_page_arg("page")),
        awaiting=services.awaiting_confirmation(drive),
        missing=services.missing_rates(drive),
        error=error,
        history=history_for("drive", drive.id, page=_page_arg("history_page")),
    ), status


def _render_drive_form(campaign: Campaign, form: DriveForm, drive: Drive | None = None,
                       status: int = 200):
    return render_template("drives/form.html", campaign=campaign, form=form,
                           drive=drive), status


def _render_pledge_form(drive: Drive, form: PledgeForm, pledge: Pledge | None = None,
                        status: int = 200):
    return render_template("drives/pledge_form.html", drive=drive, form=form,
                           pledge=pledge), status


def _render_pledge(drive: Drive, pledge: Pledge, *, payment_form: PaymentForm | None = None,
                   status_form: PledgeStatusForm | None = None, status: int = 200):
    return render_template(
        "drives/pledge.html",
        drive=drive,
        pledge=pledge,
        payment_form=payment_form or PaymentForm.for_pledge(pledge),
        status_form=status_form or PledgeStatusForm.for_pledge(pledge),
        missing=services.pledge_missing_rates(pledge),
        history=history_for("pledge", pledge.id, page=_page_arg("history_page")),
    ), status


def _refusal_status(error: DomainError) -> int:
    """409 when someone else's change got in the way, 422 for every other refusal."""
    return 409 if isinstance(error, services.PledgeConflict) else 422


# --- staff screens: drives -----------------------------------------------------------------


@bp.get("/drives/")
def index():
    """Every drive with its progress, filtered by campaign and status."""
    campaign_id = request.args.get("campaign", type=int)
    try:
        status = DriveStatus(request.args.get("status", ""))
    except ValueError:
        status = None
    return render_template(
        "drives/index.html",
        rows=services.list_drives(campaign_id=campaign_id, status=status),
        campaigns=services.campaigns_with_drives(),
        campaign_id=campaign_id,
        status=status,
        statuses=DriveStatus,
        filtered=bool(campaign_id or status),
    )


@bp.route("/campaigns/<slug>/drives/new", methods=["GET", "POST"])
def new(slug: str):
    """Start a drive (as a draft) inside a campaign."""
    campaign = find_campaign(slug)
    if campaign is None:
        abort(404)
    _require(Action.EDIT_DRIVES, campaign)
    form = DriveForm(organisers=services.organiser_choices(campaign))
    if not form.is_submitted():
        form.organiser_org_id.data = str(campaign.lead_org_id)
        return _render_drive_form(campaign, form)
    if not form.validate():
        return _render_drive_form(campaign, form, status=422)
    try:
        drive = services.create_drive(campaign, form.to_input())
    except DomainError as err:
        db.session.rollback()
        apply_domain_error(form, err)
        return _render_drive_form(campaign, form, status=422)
    db.session.commit()
    flash(_("Drive “%(title)s” created as a draft. Log pledges, then make it live.",
            title=drive.title), "success")
    return redirect(url_for("drives.show", slug=drive.slug))


@bp.get("/drives/<slug>")
def show(slug: str):
    """A drive: progress against the goal, pledges, pledges awaiting confirmation, history."""
    return _render_drive(_drive_or_404(slug))


@bp.route("/drives/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    """Change a drive's titles, purpose, organiser, goal, dates and public flag."""
    drive = _drive_or_404(slug)
    _require(Action.EDIT_DRIVES, drive)
    form = DriveForm.for_drive(drive, organisers=services.organiser_choices(drive.campaign))
    if not form.is_submitted():
        return _render_drive_form(drive.campaign, form, drive)
    if not form.validate():
        return _render_drive_form(drive.campaign, form, drive, status=422)
    try:
        services.update_drive(drive, form.to_input())
    except DomainError as err:
        db.session.rollback()
        apply_domain_error(form, err)
        return _render_drive_form(drive.campaign, form, drive, status=422)
    db.session.commit()
    flash(_("Drive “%(title)s” saved.", title=drive.title), "success")
    return redirect(url_for("drives.show", slug=drive.slug))


@bp.post("/drives/<slug>/status")
def move(slug: str):
    """Move a drive to another status, as DRIVE_TRANSITIONS allows."""
    drive = _drive_or_404(slug)
    _require(Action.EDIT_DRIVES, drive)
    form = DriveMoveForm()
    if not form.validate():
        return _render_drive(drive, error=" ".join(map(str, form.to.errors)) or _(
            "Reload the page and try again."), status=422)
    try:
        services.move_drive(drive, DriveStatus(form.to.data))
    except DomainError as err:
        db.session.rollback()
        return _render_drive(_drive_or_404(slug), error=err.message, status=422)
    db.session.commit()
    flash(_("The drive is now “%(status)s”.", status=drive.status.label), "success")
    return redirect(url_for("drives.show", slug=slug))


@bp.post("/drives/<slug>/reconvert")
def reconvert(slug: str):
    """Retry the conversions that lacked an exchange rate (after the rate was added)."""
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
    fixed = services.reconvert_missing(drive)
    db.session.commit()
    if fixed:
        flash(ngettext("Converted %(num)d amount that lacked a rate.",
                       "Converted %(num)d amounts that lacked a rate.", fixed), "success")
    else:
        flash(_("Still no rate for these amounts: add the rates first."), "warning")
    return redirect(url_for("drives.show", slug=slug, _anchor="progress"))


# --- staff screens: pledges and payments --------------------------------------------------


@bp.route("/drives/<slug>/pledges/new", methods=["GET", "POST"])
def new_pledge(slug: str):
    """Log a pledge that staff took, in any currency."""
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
    form = PledgeForm.for_drive(drive)
    if not form.is_submitted():
        return _render_pledge_form(drive, form)
    if not form.validate():
        return _render_pledge_form(drive, form, status=422)
    try:
        pledge = services.log_pledge(drive, form.to_input(), by=current_user)  # type: ignore[arg-type]
    except DomainError as err:
        db.session.rollback()
        apply_domain_error(form, err)
        return _render_pledge_form(_drive_or_404(slug), form, status=422)
    db.session.commit()
    flash(_("Pledge of %(amount)s logged.", amount=format_money(pledge.amount)), "success")
    return redirect(url_for("drives.show", slug=slug, _anchor="pledges"))


@bp.get("/drives/<slug>/pledges/<int:pledge_id>")
def pledge(slug: str, pledge_id: int):
    """A pledge with its payments, conversions and history."""
    drive = _drive_or_404(slug)
    return _render_pledge(drive, _pledge_or_404(drive, pledge_id))


@bp.route("/drives/<slug>/pledges/<int:pledge_id>/edit", methods=["GET", "POST"])
def edit_pledge(slug: str, pledge_id: int):
    """Change a pledge; a change someone else saved meanwhile is never overwritten."""
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
    pledge = _pledge_or_404(drive, pledge_id)
    form = PledgeForm.for_pledge(pledge)
    if not form.is_submitted():
        return _render_pledge_form(drive, form, pledge)
    if not form.validate():
        return _render_pledge_form(drive, form, pledge, status=422)
    try:
        services.update_pledge(pledge, form.to_input())
    except DomainError as err:
        db.session.rollback()
        apply_domain_error(form, err)
        drive = _drive_or_404(slug)
        return _render_pledge_form(drive, form, _pledge_or_404(drive, pledge_id),
                                   status=_refusal_status(err))
    db.session.commit()
    flash(_("Pledge saved."), "success")
    return redirect(url_for("drives.pledge", slug=slug, pledge_id=pledge_id))


def _set_status(slug: str, pledge_id: int, change: Any, done: str, back_to_drive: bool):
    """Confirm, reject, cancel or write off a pledge: the four views differ only in words."""
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
    pledge = _pledge_or_404(drive, pledge_id)
    form = PledgeStatusForm()
    error: DomainError | None = None
    if form.validate():
        try:
            change(pledge, form.reason.data or "", form.seen_version)
        except DomainError as err:
            db.session.rollback()
            error = err
    else:
        # Form errors are lazy strings: str() them before joining.
        error = DomainError(" ".join(map(str, form.version.errors))
                            or " ".join(map(str, form.reason.errors)),
                            field="reason" if form.reason.errors else None)
    if error is not None:
        drive = _drive_or_404(slug)
        pledge = _pledge_or_404(drive, pledge_id)
        if back_to_drive:
            return _render_drive(drive, error=error.message, status=_refusal_status(error))
        apply_domain_error(form, error)
        return _render_pledge(drive, pledge, status_form=form, status=_refusal_status(error))
    db.session.commit()
    flash(done, "success")
    if back_to_drive:
        return redirect(url_for("drives.show", slug=slug, _anchor="awaiting"))
    return redirect(url_for("drives.pledge", slug=slug, pledge_id=pledge_id))


@bp.post("/drives/<slug>/pledges/<int:pledge_id>/confirm")
def confirm_pledge(slug: str, pledge_id: int):
    """Confirm a pledge made on the public page."""
    return _set_status(slug, pledge_id,
                       lambda pledge, _reason, version: services.confirm_pledge(pledge, version),
                       _("Pledge confirmed: it now counts towards the drive."), True)


@bp.post("/drives/<slug>/pledges/<int:pledge_id>/reject")
def reject_pledge(slug: str, pledge_id: int):
    """Reject a pledge made on the public page (spam, a duplicate)."""
    return _set_status(slug, pledge_id, services.reject_pledge,
                       _("Pledge rejected."), True)


@bp.post("/drives/<slug>/pledges/<int:pledge_id>/cancel")
def cancel_pledge(slug: str, pledge_id: int):
    """Cancel an open pledge, with a reason."""
    return _set_status(slug, pledge_id, services.cancel_pledge,
                       _("Pledge cancelled."), False)


@bp.post("/drives/<slug>/pledges/<int:pledge_id>/write-off")
def write_off_pledge(slug: str, pledge_id: int):
    """Write off the unpaid rest of an open pledge, with a reason."""
    return _set_status(slug, pledge_id, services.write_off_pledge,
                       _("Unpaid rest written off; what was paid stays received."), False)


@bp.post("/drives/<slug>/pledges/<int:pledge_id>/payments")
def record_payment(slug: str, pledge_id: int):
    """Record a payment against a pledge."""
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
    pledge = _pledge_or_404(drive, pledge_id)
    form = PaymentForm.for_pledge(pledge)
    if not form.validate():
        return _render_pledge(drive, pledge, payment_form=form, status=422)
    try:
        payment = services.record_payment(pledge, form.to_input(), by=current_user)  # type: ignore[arg-type]
    except DomainError as err:
        db.session.rollback()
        apply_domain_error(form, err)
        drive = _drive_or_404(slug)
        return _render_pledge(drive, _pledge_or_404(drive, pledge_id), payment_form=form,
                              status=_refusal_status(err))
    db.session.commit()
    flash(_("Payment of %(amount)s recorded.", amount=format_money(payment.amount)), "success")
    return redirect(url_for("drives.pledge", slug=slug, pledge_id=pledge_id, _anchor="payments"))


@bp.post("/drives/<slug>/pledges/<int:pledge_id>/payments/<int:payment_id>/remove")
def remove_payment(slug: str, pledge_id: int, payment_id: int):
    """Remove a payment recorded by mistake."""
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
    pledge = _pledge_or_404(drive, pledge_id)
    payment = _payment_or_404(pledge, payment_id)
    amount = payment.amount
    try:
        services.remove_payment(payment)
    except DomainError as err:
        db.session.rollback()
        drive = _drive_or_404(slug)
        flash(err.message, "danger")
        return _render_pledge(drive, _pledge_or_404(drive, pledge_id),
                              status=_refusal_status(err))
    db.session.commit()
    flash(_("Payment of %(amount)s removed.", amount=format_money(amount)), "success")
    return redirect(url_for("drives.pledge", slug=slug, pledge_id=pledge_id, _anchor="payments"))


# --- staff screens: importing and exporting pledges ----------------------------------------


def _upload_or_404(drive: Drive, upload_id: int) -> PledgeUpload:
    upload = imports.find_upload(drive, upload_id)
    if upload is None:
        abort(404)
    return upload


def _render_import(drive: Drive, form: PledgeImportForm, error: DomainError | None = None,
                   status: int = 200):
    return render_template(
        "drives/import.html", drive=drive, form=form, refusal=error,
        header=imports.STANDARD_HEADER,
        max_size=size_label(current_app.config["PLEDGE_IMPORT_MAX_BYTES"]),
        max_rows=format_decimal(current_app.config["PLEDGE_IMPORT_MAX_ROWS"],
                                locale=current_language()),
    ), status


@bp.route("/drives/<slug>/import", methods=["GET", "POST"])
def import_pledges(slug: str):
    """Upload a CSV or XLSX file of pledges; a good file goes to its preview."""
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
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
    try:
        imports.check_pledge_file(drive, content, filename, form.mapping())
        stored = imports.store_upload(drive, content, filename, form.mapping(),
                                      by=current_user)  # type: ignore[arg-type]
    except DomainError as err:
        db.session.rollback()
        return _render_import(_drive_or_404(slug), form, err, status=422)
    db.session.commit()
    return redirect(url_for("drives.import_preview", slug=slug, upload_id=stored.id))


def _render_preview(drive: Drive, upload: PledgeUpload, form: ConfirmImportForm,
                    status: int = 200):
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
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
    return _render_preview(drive, _upload_or_404(drive, upload_id), ConfirmImportForm())


@bp.post("/drives/<slug>/import/<int:upload_id>/confirm")
def confirm_import(slug: str, upload_id: int):
    """Import a previewed file in one transaction and forget the upload."""
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
    upload = _upload_or_404(drive, upload_id)
    form = ConfirmImportForm()
    if not form.validate():
        return _render_preview(drive, upload, form, status=422)
    try:
        result = imports.confirm_upload(upload, by=current_user,  # type: ignore[arg-type]
                                        channel=form.channel_value())
    except DomainError as err:
        db.session.rollback()
        drive = _drive_or_404(slug)
        form.form_errors.append(err.message)
        return _render_preview(drive, _upload_or_404(drive, upload_id), form, status=422)
    db.session.commit()
    flash(_import_summary(result), "success")
    if result.without_rate:
        flash(ngettext("%(num)d imported pledge has no exchange rate yet: add the rate, then "
                       "convert again.",
                       "%(num)d imported pledges have no exchange rate yet: add the rates, then "
                       "convert again.", result.without_rate), "warning")
    return redirect(url_for("drives.show", slug=slug, _anchor="pledges"))


def _import_summary(result: imports.ImportResult) -> str:
    if result.imported == 0:
        return ngettext("Nothing new: the pledge in the file was already imported.",
                        "Nothing new: all %(num)d pledges in the file were already imported.",
                        result.skipped)
    if result.skipped == 0:
        return ngettext("%(num)d pledge imported.", "%(num)d pledges imported.",
                        result.imported)
    return ngettext("%(num)d pledge imported, %(skipped)d already imported before.",
                    "%(num)d pledges imported, %(skipped)d already imported before.",
                    result.imported, skipped=result.skipped)


@bp.get("/drives/<slug>/pledges.csv")
def export_csv(slug: str):
    """Download the drive's pledges as CSV, streamed row by row."""
    drive = _drive_or_404(slug)
    # Pledgers' e-mails are personal data: those who manage the pledges may take them out.
    _require(Action.LOG_PLEDGES, drive)
    filename = exports.export_filename(drive, "csv")
    return Response(
        stream_with_context(exports.export_csv(drive)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"},
    )


@bp.get("/drives/<slug>/pledges.xlsx")
def export_xlsx(slug: str):
    """Download the drive's pledges as an Excel workbook."""
    drive = _drive_or_404(slug)
    _require(Action.LOG_PLEDGES, drive)
    # A workbook is a ZIP archive, complete only at its end: built in a temporary file,
    # which the response closes (and so deletes) once it is sent.
    target = tempfile.TemporaryFile()  # noqa: SIM115
    exports.export_xlsx(drive, target)
    target.seek(0)
    response = send_file(
        target, as_attachment=True, download_name=exports.export_filename(drive, "xlsx"),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Cache-Control"] = "no-store"
    return response


# --- public pages --------------------------------------------------------------------------


def _public_drive_or_404(slug: str) -> Drive:
    """A drive the public may see: public and live, funded or closed; 404 otherwise."""
    drive = services.find_drive(slug)
    if drive is None or not drive.is_publicly_visible:
        abort(404)
    return drive


def _render_public(drive: Drive, form: PublicPledgeForm, status: int = 200):
    return render_template(
        "drives/public.html",
        drive=drive,
        figures=services.drive_figures(drive),
        supporters=services.public_supporters(drive),
        form=form,
        share_url=url_for("drives.public_page", slug=drive.slug, _external=True),
    ), status


def _public_pledge_allowed() -> tuple[bool, int]:
    """Count this submission against the client address; (allowed, seconds until allowed)."""
    item = parse(current_app.config.get("PUBLIC_PLEDGE_LIMIT", PUBLIC_PLEDGE_LIMIT))
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    key = f"{prefix}/public-pledges/address/{request.remote_addr or 'unknown'}"
    strategy = MovingWindowRateLimiter(limiter.storage)
    if strategy.hit(item, key):
        return True, 0
    reset = strategy.get_window_stats(item, key).reset_time
    return False, max(1, math.ceil(reset - time.time()))


@bp.get("/d/<slug>")
@public
def public_page(slug: str):
    """The public page of a drive: progress, supporters, a share link and the pledge form."""
    drive = _public_drive_or_404(slug)
    return _render_public(drive, PublicPledgeForm.for_drive(drive))


@bp.post("/d/<slug>")
@public
def public_pledge(slug: str):
    """A pledge from the public page: rate limited, CSRF protected, confirmed later by a lead."""
    drive = _public_drive_or_404(slug)
    allowed, retry_after = _public_pledge_allowed()
    if not allowed:
        response = make_response(render_template("drives/too_many_pledges.html", drive=drive,
                                                 retry_after=retry_after), 429)
        response.headers["Retry-After"] = str(retry_after)
        return response
    form = PublicPledgeForm.for_drive(drive)
    if not form.validate():
        return _render_public(drive, form, status=422)
    try:
        services.submit_public_pledge(drive, form.to_input())
    except DomainError as err:
        db.session.rollback()
        apply_domain_error(form, err)
        return _render_public(_public_drive_or_404(slug), form, status=422)
    db.session.commit()
    session[THANKS_KEY] = {"slug": slug, "amount": str(form.amount.data),
                           "currency": form.currency.data}
    return redirect(url_for("drives.thanks", slug=slug))


def _thanked_amount(slug: str) -> Money | None:
    """The amount of the visitor's last pledge to this drive, kept in their session."""
    thanks = session.get(THANKS_KEY)
    if not isinstance(thanks, dict) or thanks.get("slug") != slug:
        return None
    try:
        return Money(Decimal(str(thanks.get("amount"))), str(thanks.get("currency")))
    except (MoneyError, InvalidOperation, ValueError):
        return None


@bp.get("/d/<slug>/thanks")
@public
def thanks(slug: str):
    """The thank-you page after a public pledge."""
    drive = _public_drive_or_404(slug)
    return render_template("drives/thanks.html", drive=drive, amount=_thanked_amount(slug))


@bp.get("/d/<slug>/widget")
@public
@frameable
def widget(slug: str) -> Response | Any:
    """A small embeddable view of a drive's progress: the one page other sites may frame."""
    drive = _public_drive_or_404(slug)
    return render_template("drives/widget.html", drive=drive,
                           figures=services.drive_figures(drive))
