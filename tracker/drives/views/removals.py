"""Deleting a payment or a pledge recorded by mistake: a confirmation page first (what the
drive's totals become, a required reason), then the deletion. No JavaScript needed."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from tracker.auth.permissions import Action
from tracker.drives import services
from tracker.drives.forms import RemovalForm
from tracker.drives.models import Drive, Payment, Pledge
from tracker.drives.views import bp
from tracker.drives.views.common import refusal_status, require_on
from tracker.errors import DomainError
from tracker.i18n import format_day, format_money
from tracker.views import commit


def _pledger(pledge: Pledge) -> str:
    return pledge.pledger_name if pledge.pledger_name and not pledge.is_anonymous else _(
        "Anonymous")


def _render_payment(drive: Drive, pledge: Pledge, payment: Payment, form: RemovalForm,
                    status: int = 200) -> Any:
    return render_template(
        "drives/confirm_removal.html", drive=drive, pledge=pledge, form=form,
        heading=_("Remove a payment"),
        question=_("Remove the payment of %(amount)s of %(date)s?",
                   amount=format_money(payment.amount), date=format_day(payment.paid_on)),
        totals=services.payment_removal_preview(payment), blocked=None,
        button=_("Remove the payment"),
        back=url_for("drives.pledge", slug=drive.slug, pledge_id=pledge.id, _anchor="payments"),
    ), status


def _render_pledge(drive: Drive, pledge: Pledge, form: RemovalForm, status: int = 200) -> Any:
    totals, blocked = None, None
    try:
        totals = services.pledge_deletion_preview(pledge)
    except DomainError as refusal:
        blocked = refusal.message
    return render_template(
        "drives/confirm_removal.html", drive=drive, pledge=pledge, form=form,
        heading=_("Delete a pledge"),
        question=_("Delete the pledge of %(amount)s by %(pledger)s?",
                   amount=format_money(pledge.amount), pledger=_pledger(pledge)),
        totals=totals, blocked=blocked, button=_("Delete the pledge"),
        back=url_for("drives.pledge", slug=drive.slug, pledge_id=pledge.id),
    ), status


@bp.route("/drives/<slug>/pledges/<int:pledge_id>/payments/<int:payment_id>/remove",
          methods=["GET", "POST"])
def remove_payment(slug: str, pledge_id: int, payment_id: int):
    """Remove a payment recorded by mistake, once confirmed with a reason."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    pledge = services.get_pledge(drive, pledge_id)
    payment = services.get_payment(pledge, payment_id)
    form = RemovalForm()
    if not form.is_submitted():
        return _render_payment(drive, pledge, payment, form)
    if not form.validate():
        return _render_payment(drive, pledge, payment, form, status=422)
    amount = payment.amount
    outcome = commit(lambda: services.remove_payment_with_reason(payment, form.reason.data or ""),
                     form)
    if outcome.refused:
        pledge = services.get_pledge(drive, pledge_id)
        return _render_payment(drive, pledge, services.get_payment(pledge, payment_id), form,
                               status=refusal_status(outcome.error))
    flash(_("Payment of %(amount)s removed.", amount=format_money(amount)), "success")
    return redirect(url_for("drives.pledge", slug=slug, pledge_id=pledge_id, _anchor="payments"))


@bp.route("/drives/<slug>/pledges/<int:pledge_id>/delete", methods=["GET", "POST"])
def delete_pledge(slug: str, pledge_id: int):
    """Delete a pledge logged by mistake (one without payments), once confirmed with a reason."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    pledge = services.get_pledge(drive, pledge_id)
    form = RemovalForm()
    if not form.is_submitted():
        return _render_pledge(drive, pledge, form)
    if not form.validate():
        return _render_pledge(drive, pledge, form, status=422)
    amount = pledge.amount
    outcome = commit(lambda: services.delete_pledge(pledge, form.reason.data or ""), form)
    if outcome.refused:
        return _render_pledge(drive, services.get_pledge(drive, pledge_id), form,
                              status=refusal_status(outcome.error))
    flash(_("Pledge of %(amount)s deleted.", amount=format_money(amount)), "success")
    return redirect(url_for("drives.show", slug=slug, _anchor="pledges"))
