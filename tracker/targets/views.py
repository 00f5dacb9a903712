"""Screens of the targets area: a campaign's funding targets and their budget editor."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from tracker.audit.services import history_for
from tracker.auth.permissions import Action, can, require
from tracker.auth.sessions import current_user
from tracker.campaigns.models import Campaign
from tracker.campaigns.services import get_campaign
from tracker.i18n import current_language, format_day
from tracker.money.value import Money
from tracker.targets import services
from tracker.targets.forms import BudgetLineForm, TargetForm
from tracker.targets.models import BudgetLine, FundingTarget
from tracker.views import commit, requested_page

bp = Blueprint("targets", __name__)


@bp.app_template_filter("target_name")
def target_name(target: FundingTarget) -> str:
    """The target's title, or its period when it has none."""
    return target.title or _("%(start)s – %(end)s", start=format_day(target.starts_on),
                             end=format_day(target.ends_on))


@bp.app_template_filter("quantity")
def format_quantity(value: Decimal | None) -> str:
    """A quantity with only the decimals it needs, in the reader's language ('2,5')."""
    if value is None:
        return ""
    return format_decimal(value.normalize(), locale=current_language(),
                          decimal_quantization=False)


@bp.app_template_filter("share")
def format_share(part: Money, whole: Money) -> str:
    """Part of a whole as a whole percentage in the reader's language ('45 %')."""
    if not whole.amount:
        return ""
    return format_percent(part.amount / whole.amount, locale=current_language())




def _require_edit(campaign: Campaign) -> None:
    """403 unless the user may change this campaign's targets and budget lines."""
    require(can(current_user, Action.EDIT_TARGETS, campaign))


def _editable_target(target_id: int) -> FundingTarget:
    """The target (or 404), when the user may change it (or 403)."""
    target = services.get_target(target_id)
    _require_edit(target.campaign)
    return target


def _line_form(target: FundingTarget, line: BudgetLine | None = None) -> BudgetLineForm:
    members, others = services.partner_candidates(target.campaign)
    if line is None:
        return BudgetLineForm(currency=target.currency, members=members, others=others)
    return BudgetLineForm.for_line(line, currency=target.currency, members=members,
                                   others=others)


def _render_editor(target: FundingTarget, line_form: BudgetLineForm, status: int = 200):
    total = services.target_total(target)
    return render_template(
        "targets/show.html",
        target=target,
        campaign=target.campaign,
        line_form=line_form,
        total=total,
        by_category=services.totals_by_category(target),
        by_country=services.totals_by_country_and_partner(target),
        history=history_for("funding_target", target.id,
                            page=requested_page("history_page")),
    ), status


def _render_target_form(campaign: Campaign, form: TargetForm,
                        target: FundingTarget | None = None, status: int = 200):
    return render_template("targets/target_form.html", campaign=campaign, form=form,
                           target=target), status


@bp.route("/campaigns/<slug>/targets/new", methods=["GET", "POST"])
def new_target(slug: str):
    """Create a funding target for a campaign."""
    campaign = get_campaign(slug)
    _require_edit(campaign)
    form = TargetForm()
    if not form.is_submitted():
        form.starts_on.data = form.starts_on.data or campaign.starts_on
        form.ends_on.data = form.ends_on.data or campaign.ends_on
        return _render_target_form(campaign, form)
    if not form.validate():
        return _render_target_form(campaign, form, status=422)
    outcome = commit(lambda: services.create_target(campaign, form.to_input()), form)
    if outcome.refused:
        return _render_target_form(campaign, form, status=422)
    target = outcome.value
    flash(_("Funding target “%(name)s” created. Add its budget lines below.",
            name=target_name(target)), "success")
    return redirect(url_for("targets.show", target_id=target.id))


@bp.get("/targets/<int:target_id>")
def show(target_id: int):
    """The budget: lines, totals by category and by country and partner, its history."""
    target = services.get_target(target_id, with_lines=True)
    return _render_editor(target, _line_form(target))


@bp.route("/targets/<int:target_id>/edit", methods=["GET", "POST"])
def edit(target_id: int):
    """Change a target's titles, period or (while it has no lines) currency."""
    target = _editable_target(target_id)
    form = TargetForm.for_target(target)
    if not form.is_submitted():
        return _render_target_form(target.campaign, form, target)
    if not form.validate():
        return _render_target_form(target.campaign, form, target, status=422)
    if commit(lambda: services.update_target(target, form.to_input()), form).refused:
        return _render_target_form(target.campaign, form, target, status=422)
    flash(_("Funding target “%(name)s” saved.", name=target_name(target)), "success")
    return redirect(url_for("targets.show", target_id=target.id))


@bp.get("/targets/<int:target_id>/delete")
def confirm_delete(target_id: int):
    """Ask before deleting a target and all its budget lines."""
    target = _editable_target(target_id)
    return render_template("targets/confirm_delete.html", target=target,
                           campaign=target.campaign, total=services.target_total(target))


@bp.post("/targets/<int:target_id>/delete")
def delete(target_id: int):
    """Delete a target with its budget lines and go back to the campaign."""
    target = _editable_target(target_id)
    name, slug = target_name(target), target.campaign.slug
    commit(lambda: services.delete_target(target))
    flash(_("Funding target “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("campaigns.show", slug=slug))


@bp.post("/targets/<int:target_id>/lines")
def add_line(target_id: int):
    """Add a budget line to a target; its total is computed, never typed."""
    target = services.get_target(target_id, with_lines=True)
    _require_edit(target.campaign)
    form = _line_form(target)
    if not form.validate():
        return _render_editor(target, form, status=422)
    outcome = commit(lambda: services.add_line(target, form.to_input()), form)
    if outcome.refused:
        return _render_editor(target, form, status=422)
    line = outcome.value
    flash(_("Budget line “%(description)s” added.", description=line.description), "success")
    return redirect(url_for("targets.show", target_id=target.id, _anchor="lines"))


@bp.route("/targets/<int:target_id>/lines/<int:line_id>/edit", methods=["GET", "POST"])
def edit_line(target_id: int, line_id: int):
    """Change a budget line; its total is recomputed."""
    target = _editable_target(target_id)
    line = services.get_line(target, line_id)
    form = _line_form(target, line)
    if not form.is_submitted():
        return render_template("targets/line_form.html", target=target, line=line, form=form)
    if not form.validate():
        return render_template("targets/line_form.html", target=target, line=line,
                               form=form), 422
    if commit(lambda: services.update_line(line, form.to_input()), form).refused:
        return render_template("targets/line_form.html", target=target, line=line,
                               form=form), 422
    flash(_("Budget line “%(description)s” saved.", description=line.description), "success")
    return redirect(url_for("targets.show", target_id=target.id, _anchor="lines"))


@bp.get("/targets/<int:target_id>/lines/<int:line_id>/remove")
def confirm_remove_line(target_id: int, line_id: int):
    """Ask before removing a budget line."""
    target = _editable_target(target_id)
    line = services.get_line(target, line_id)
    return render_template("targets/confirm_remove_line.html", target=target, line=line)


@bp.post("/targets/<int:target_id>/lines/<int:line_id>/remove")
def remove_line(target_id: int, line_id: int):
    """Remove a budget line from its target."""
    target = _editable_target(target_id)
    line = services.get_line(target, line_id)
    description = line.description
    commit(lambda: services.remove_line(line))
    flash(_("Budget line “%(description)s” removed.", description=description), "success")
    return redirect(url_for("targets.show", target_id=target.id, _anchor="lines"))
