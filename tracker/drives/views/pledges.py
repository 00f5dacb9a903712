"""Staff screens of pledges and payments: log, edit, confirm or close, record a payment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from tracker.audit.services import history_for
from tracker.auth.permissions import Action, may_see_contacts
from tracker.auth.sessions import current_user, signed_in_user
from tracker.dates import latest_past_day
from tracker.drives import services
from tracker.drives.forms import PaymentForm, PledgeForm, PledgeStatusForm
from tracker.drives.models import Drive, Pledge
from tracker.drives.views import bp
from tracker.drives.views.common import (
    note_contacts_shown,
    pledges_in_history,
    refusal_status,
    render_drive,
    require_on,
)
from tracker.errors import DomainError
from tracker.forms import apply_domain_error, coalition_currencies
from tracker.fragments import digest, kept_store, kept_with_holes
from tracker.i18n import current_language, format_money
from tracker.money.value import Money
from tracker.submissions import commit_once
from tracker.views import commit, requested_page

FORM_BODY = "drives/_pledge_form_body.html"
NEW_FORMS = "tracker.drives.new_pledge_forms"
# Two languages for each drive that staff log pledges to, with room for the next day's.
NEW_FORMS_KEPT = 512


def _render_form(drive: Drive, form: PledgeForm, pledge: Pledge | None = None,
                 status: int = 200) -> Any:
    if pledge is not None and pledge.contact_email:
        # The edit form shows the supporter's e-mail: a look like any other.
        note_contacts_shown(drive, [pledge.id], page="pledge_form", pledge=pledge)
    return render_template("drives/pledge_form.html", drive=drive, form=form,
                           pledge=pledge), status


def _kept_new_form(drive: Drive, form: PledgeForm) -> Markup:
    """The empty pledge form of a drive, the same for all staff but for the CSRF token and the
    once-only key: kept with those cut out (tracker.fragments) while the language, the drive's
    address and currency, the date's default and bound and the coalition's currencies (the
    choices, read once a request) read the same. Opening it came before each pledge logged,
    and its eleven fields were half the page's time (issue 15)."""
    values = {"csrf": generate_csrf(), "submission": form.submission_key.data}

    def key() -> bytes:
        return digest("new-pledge-form", current_language(), request.script_root, drive.slug,
                      drive.currency, form.pledged_on.data, latest_past_day(),
                      tuple(coalition_currencies()))

    def render() -> str:
        return render_template(FORM_BODY, drive=drive, form=form, pledge=None)

    return kept_with_holes(kept_store(NEW_FORMS, NEW_FORMS_KEPT), key, render, values)


def _render_pledge(drive: Drive, pledge: Pledge, *, payment_form: PaymentForm | None = None,
                   status_form: PledgeStatusForm | None = None, status: int = 200) -> Any:
    personal_data = may_see_contacts(current_user, drive.campaign)
    history = history_for("pledge", pledge.id, page=requested_page("history_page"))
    if personal_data:
        shown = [pledge.id] if pledge.contact_email or pledge.message else []
        note_contacts_shown(drive, shown + pledges_in_history(history), page="pledge",
                            pledge=pledge)
    return render_template(
        "drives/pledge.html",
        drive=drive,
        pledge=pledge,
        payment_form=payment_form or PaymentForm.for_pledge(pledge),
        status_form=status_form or PledgeStatusForm.for_pledge(pledge),
        missing=services.pledge_missing_rates(pledge),
        history=history,
        personal_data=personal_data,
    ), status


@bp.route("/drives/<slug>/pledges/new", methods=["GET", "POST"])
def new_pledge(slug: str):
    """Log a pledge that staff took, in any currency."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    form = PledgeForm.for_drive(drive)
    if not form.is_submitted():
        return render_template("drives/pledge_form.html", drive=drive, form=form, pledge=None,
                               kept_form=_kept_new_form(drive, form))
    if not form.validate():
        return _render_form(drive, form, status=422)
    data = form.to_input()
    done = commit_once(form, "pledge",
                       lambda: services.log_pledge(drive, data, by=signed_in_user()),
                       lambda _pledge: url_for("drives.show", slug=slug, _anchor="pledges"))
    if done.repeated:
        return done.redirect()
    if done.refused:
        return _render_form(drive, form, status=422)
    # The amount as typed and accepted: the committed pledge is not read back for it.
    flash(_("Pledge of %(amount)s logged.",
            amount=format_money(Money(data.amount, data.currency))), "success")
    return redirect(url_for("drives.show", slug=slug, _anchor="pledges"))


@bp.get("/drives/<slug>/pledges/<int:pledge_id>")
def pledge(slug: str, pledge_id: int):
    """A pledge with its payments, conversions and history."""
    drive = services.get_drive(slug)
    return _render_pledge(drive, services.get_pledge(drive, pledge_id))


@bp.route("/drives/<slug>/pledges/<int:pledge_id>/edit", methods=["GET", "POST"])
def edit_pledge(slug: str, pledge_id: int):
    """Change a pledge; a change someone else saved meanwhile is never overwritten."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    pledge = services.get_pledge(drive, pledge_id)
    form = PledgeForm.for_pledge(pledge)
    if not form.is_submitted():
        return _render_form(drive, form, pledge)
    if not form.validate():
        return _render_form(drive, form, pledge, status=422)
    outcome = commit(lambda: services.update_pledge(pledge, form.to_input()), form)
    if outcome.refused:
        return _render_form(drive, form, pledge, status=refusal_status(outcome.error))
    flash(_("Pledge saved."), "success")
    return redirect(url_for("drives.pledge", slug=slug, pledge_id=pledge_id))


def _set_status(slug: str, pledge_id: int, change: Callable[[Pledge, str, int | None], Any],
                done: str, back_to_drive: bool) -> Any:
    """Confirm, reject, cancel or write off a pledge: the four views differ only in words."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    pledge = services.get_pledge(drive, pledge_id)
    form = PledgeStatusForm()
    if form.validate():
        error = commit(lambda: change(pledge, form.reason.data or "", form.seen_version)).error
    else:
        # Form errors are lazy strings: str() them before joining.
        error = DomainError(" ".join(map(str, form.version.errors))
                            or " ".join(map(str, form.reason.errors)),
                            field="reason" if form.reason.errors else None)
    if error is not None:
        if back_to_drive:
            return render_drive(drive, error=error.message, status=refusal_status(error))
        apply_domain_error(form, error)
        return _render_pledge(drive, pledge, status_form=form, status=refusal_status(error))
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
    found = services.find_drive_and_pledge(slug, pledge_id)
    drive = found[0] if found is not None else services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)  # before a missing pledge's 404, as on every page
    pledge = found[1] if found is not None else services.get_pledge(drive, pledge_id)
    form = PaymentForm.for_pledge(pledge)
    if not form.validate():
        return _render_pledge(drive, pledge, payment_form=form, status=422)
    data = form.to_input()
    done = commit_once(
        form, "payment",
        lambda: services.record_payment(pledge, data, by=signed_in_user()),
        lambda _payment: url_for("drives.pledge", slug=slug, pledge_id=pledge_id,
                                 _anchor="payments"))
    if done.repeated:
        return done.redirect()
    if done.refused:
        return _render_pledge(drive, services.get_pledge(drive, pledge_id), payment_form=form,
                              status=refusal_status(done.error))
    # The amount as typed and accepted: the committed payment is not read back for it.
    flash(_("Payment of %(amount)s recorded.",
            amount=format_money(Money(data.amount, data.currency))), "success")
    return redirect(url_for("drives.pledge", slug=slug, pledge_id=pledge_id, _anchor="payments"))

