"""Tranches to partners: the list with every partner's and country's balance, and the form."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from tracker.auth.permissions import Action, can, permission_required, require
from tracker.auth.sessions import current_user, login_required
from tracker.grants import services
from tracker.grants.forms.transfers import TransferForm
from tracker.grants.models import Grant, Transfer
from tracker.grants.views import bp
from tracker.i18n import format_money
from tracker.submissions import commit_once
from tracker.views import commit


def _seen_organisation(grant: Grant) -> int | None:
    """None when the user sees every partner's money; else the one organisation it may see.

    A partner's lead sees its own organisation's tranches and balance, and only on a
    grant its organisation spends; anyone else without SEE_SPENDING gets 403.
    """
    if can(current_user, Action.SEE_SPENDING):
        return None
    org_id = current_user.organization_id
    require(org_id is not None and org_id in grant.organisation_ids
            and can(current_user, Action.SEE_SPENDING, organization=org_id))
    return org_id


@bp.get("/<int:grant_id>/transfers")
@login_required
def transfers(grant_id: int) -> Any:
    """The grant's planned and sent tranches and each partner's and country's balance."""
    grant = services.get_grant(grant_id)
    org_id = _seen_organisation(grant)
    balances = services.partner_balances(grant, org_id)
    return render_template(
        "grants/transfers.html", grant=grant,
        transfers=services.list_transfers(grant, org_id), balances=balances,
        countries=services.country_balances(balances), restricted=org_id is not None)


def _render_form(grant: Grant, form: TransferForm, transfer: Transfer | None = None,
                 status: int = 200) -> Any:
    return render_template("grants/transfer_form.html", grant=grant, form=form,
                           transfer=transfer), status


@bp.route("/<int:grant_id>/transfers/new", methods=["GET", "POST"])
@permission_required(Action.MANAGE_GRANTS)
def new_transfer(grant_id: int) -> Any:
    """Plan a tranche to a partner (or record one already sent); saved once per form."""
    grant = services.get_grant(grant_id)
    form = TransferForm(grant=grant)
    if not form.is_submitted():
        return _render_form(grant, form)
    if not form.validate():
        return _render_form(grant, form, status=422)
    done = commit_once(form, "transfer",
                       lambda: services.record_transfer(grant, form.to_input()),
                       lambda _transfer: url_for("grants.transfers", grant_id=grant_id))
    if done.repeated:
        return done.redirect()
    if done.refused:
        return _render_form(grant, form, status=422)
    assert done.value is not None
    flash(_("Tranche %(n)d of %(amount)s to %(partner)s saved.", n=done.value.tranche,
            amount=format_money(done.value.amount), partner=done.value.partner.name),
          "success")
    return redirect(url_for("grants.transfers", grant_id=grant_id))


@bp.route("/<int:grant_id>/transfers/<int:transfer_id>/edit", methods=["GET", "POST"])
@permission_required(Action.MANAGE_GRANTS)
def edit_transfer(grant_id: int, transfer_id: int) -> Any:
    """Change a tranche's plan, or record that it was sent and what arrived."""
    grant = services.get_grant(grant_id)
    transfer = services.get_transfer(grant, transfer_id)
    form = TransferForm.for_transfer(transfer)
    if not form.is_submitted():
        return _render_form(grant, form, transfer)
    if not form.validate():
        return _render_form(grant, form, transfer, status=422)
    if commit(lambda: services.update_transfer(transfer, form.to_input()), form).refused:
        return _render_form(grant, form, transfer, status=422)
    flash(_("Tranche saved."), "success")
    return redirect(url_for("grants.transfers", grant_id=grant_id))


@bp.post("/<int:grant_id>/transfers/<int:transfer_id>/remove")
@permission_required(Action.MANAGE_GRANTS)
def remove_transfer(grant_id: int, transfer_id: int) -> Any:
    """Remove a planned tranche (a sent one is corrected instead)."""
    grant = services.get_grant(grant_id)
    transfer = services.get_transfer(grant, transfer_id)
    outcome = commit(lambda: services.remove_transfer(transfer))
    if outcome.refused:
        flash(outcome.message, "danger")
    else:
        flash(_("The planned tranche was removed."), "success")
    return redirect(url_for("grants.transfers", grant_id=grant_id))
