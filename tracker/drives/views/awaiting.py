"""Rejecting many public pledges at once: those ticked on the drive's page, or all on a page
of the list awaiting confirmation, after a confirmation page. No JavaScript needed."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.auth.permissions import Action
from tracker.drives import services
from tracker.drives.forms import BulkRejectForm
from tracker.drives.models import Drive
from tracker.drives.views import bp
from tracker.drives.views.common import refusal_status, render_drive, require_on
from tracker.views import commit


def _render_confirmation(drive: Drive, form: BulkRejectForm, ids: list[int],
                         status: int = 200) -> Any:
    pledges = services.awaiting_among(drive, ids)
    return render_template("drives/confirm_reject.html", drive=drive, form=form,
                           pledges=pledges), status


@bp.post("/drives/<slug>/awaiting/reject")
def bulk_reject(slug: str):
    """Reject the chosen public pledges, once the confirmation page says which and why."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    form = BulkRejectForm()
    ids = form.chosen()
    if not form.validate() or not ids:
        return render_drive(drive, error=" ".join(map(str, form.reason.errors)) or _(
            "Select the pledges to reject."), status=422)
    if form.confirmed.data != "yes":
        return _render_confirmation(drive, form, ids)
    outcome = commit(lambda: services.reject_awaiting(drive, ids, form.reason.data or ""), form)
    if outcome.refused:
        return _render_confirmation(drive, form, ids, status=refusal_status(outcome.error))
    result = outcome.value
    flash(ngettext("%(num)d pledge rejected.", "%(num)d pledges rejected.", result.rejected),
          "success")
    if result.skipped:
        flash(ngettext("%(num)d pledge was no longer awaiting confirmation and was left as it is.",
                       "%(num)d pledges were no longer awaiting confirmation and were left as "
                       "they are.", result.skipped), "warning")
    return redirect(url_for("drives.show", slug=slug, _anchor="awaiting"))
