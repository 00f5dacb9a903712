"""The supporters' data page: find a supporter's pledges, give them as JSON, erase them."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.auth.permissions import Action, permission_required
from tracker.errors import DomainError
from tracker.forms import apply_domain_error
from tracker.supporters import services
from tracker.supporters.forms import EraseForm, SupporterForm
from tracker.views import commit

bp = Blueprint("supporters", __name__, url_prefix="/supporters")


def _render(form: SupporterForm, erase_form: EraseForm | None = None,
            pledges: list[Any] | None = None, status: int = 200) -> Any:
    return render_template("supporters/index.html", form=form, pledges=pledges,
                           erase_form=erase_form or EraseForm(email=form.email.data)), status


def _looked_up(form: SupporterForm) -> list[Any] | None:
    """The pledges of the address in the form, None when it is missing or not an address."""
    if not form.validate():
        return None
    try:
        return services.supporter_pledges(form.email.data or "")
    except DomainError as error:
        apply_domain_error(form, error)
        return None


@bp.get("/")
@permission_required(Action.MANAGE_SUPPORTER_DATA)
def index():
    """Look up a supporter by e-mail: their pledges, a JSON download, the erase button."""
    if "email" not in request.args:
        return _render(SupporterForm(formdata=None))
    form = SupporterForm(formdata=request.args)
    pledges = _looked_up(form)
    if pledges is None:
        return _render(form, status=422)
    # What the page shows is personal data: the look is recorded.
    commit(lambda: services.record_supporter_view(pledges))
    return _render(form, pledges=pledges)


@bp.get("/export.json")
@permission_required(Action.MANAGE_SUPPORTER_DATA)
def export():
    """Download everything Tracker holds about a supporter as JSON (a data-access request)."""
    form = SupporterForm(formdata=request.args)
    pledges = _looked_up(form)
    if pledges is None:
        return _render(form, status=422)
    data = services.supporter_data(form.email.data or "")
    commit(lambda: services.record_supporter_view(pledges, exported=True))
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="tracker-supporter-data.json"',
                 "Cache-Control": "no-store"},
    )


@bp.post("/erase")
@permission_required(Action.MANAGE_SUPPORTER_DATA)
def erase():
    """Erase a supporter's data: anonymise their pledges, keep the money, once confirmed."""
    erase_form = EraseForm()
    form = SupporterForm(data={"email": erase_form.email.data})
    if not erase_form.validate():
        pledges = _looked_up(form) if erase_form.email.data else None
        return _render(form, erase_form, pledges=pledges, status=422)
    outcome = commit(lambda: services.erase_supporter(erase_form.email.data or ""), erase_form)
    if outcome.refused:
        return _render(form, erase_form, pledges=_looked_up(form), status=422)
    erased = outcome.value
    flash(ngettext("The supporter's data was erased from %(num)d pledge; its amount and "
                   "payments stay.",
                   "The supporter's data was erased from %(num)d pledges; their amounts and "
                   "payments stay.", erased.pledges), "success")
    flash(_("The audit trail keeps what it recorded earlier, as the record of who did what; "
            "no screen shows it any more."), "info")
    return redirect(url_for("supporters.index"))
