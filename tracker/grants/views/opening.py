"""Screens of opening a grant from an award, its overview, its budget and revisions."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_percent
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.applications import services as applications
from tracker.applications.budget_categories import scheme_for
from tracker.applications.models import Application, ApplicationStatus
from tracker.audit.services import history_for
from tracker.auth.permissions import Action, can, permission_required
from tracker.auth.sessions import current_user, login_required, signed_in_user
from tracker.db import utcnow
from tracker.errors import NotFound
from tracker.forms import optional_whole_number
from tracker.grants import services
from tracker.grants.forms.opening import EditGrantForm, OpenGrantForm, ReviseBudgetForm
from tracker.grants.models import Grant
from tracker.grants.views import bp
from tracker.i18n import current_language
from tracker.submissions import commit_once
from tracker.views import commit, requested_page


def _refusal(application: Application, grant: Grant | None) -> str | None:
    """Why no grant opens from the application (None when one may)."""
    if grant is not None:
        return _("This application's grant is already open.")
    if application.status is not ApplicationStatus.AWARDED or application.awarded is None:
        return _("Only an awarded application opens a grant; this one is “%(status)s”.",
                 status=application.status.label)
    return None


def _render_open(application: Application, form: OpenGrantForm | None, *,
                 refusal: str | None = None, grant: Grant | None = None, status: int = 200):
    return render_template("grants/open.html", application=application, form=form,
                           refusal=refusal, grant=grant), status


@bp.route("/open/<int:application_id>", methods=["GET", "POST"])
@permission_required(Action.MANAGE_GRANTS)
def open_grant(application_id: int):
    """Open the grant of an awarded application: agreement, partners, schedule, budget."""
    application = applications.get_application(application_id)
    existing = services.grant_of_application(application.id)
    refusal = _refusal(application, existing)
    if refusal is not None:
        return _render_open(application, None, refusal=refusal, grant=existing,
                            status=422 if request.method == "POST" else 200)
    defaults = services.opening_defaults(application)
    if request.method == "GET":
        return _render_open(application, OpenGrantForm.prefilled(defaults))
    form = OpenGrantForm(defaults=defaults)
    if not form.validate():
        return _render_open(application, form, status=422)
    outcome = commit(lambda: services.open_grant(application, form.to_input(
        services.schedule_periods(form.starts_on.data, form.ends_on.data,
                                  form.every_months.data, form.due_after_days.data or 0)),
        by=signed_in_user()), form)
    if outcome.refused:
        return _render_open(application, form, status=422)
    grant = outcome.value
    flash(_("Grant %(reference)s is open.", reference=grant.reference), "success")
    return redirect(url_for("grants.show", grant_id=grant.id))


def _share(value: Decimal) -> str:
    return format_percent(value, locale=current_language())


@bp.get("/<int:grant_id>")
@login_required
def show(grant_id: int):
    """A grant at a glance: award, period, holder and partners, spending, reporting schedule."""
    grant = services.get_grant(grant_id)
    today = utcnow().date()
    remaining = grant.awarded - grant.spent
    # The grant's history holds every partner's expenditures and tranches: only those
    # who see every partner's spending see it (a partner's lead sees its own elsewhere).
    history = (history_for("grant_award", grant.id, page=_history_page())
               if can(current_user, Action.SEE_SPENDING) else None)
    return render_template(
        "grants/show.html", grant=grant, remaining=remaining, today=today,
        spent_share=_share(Decimal(grant.spent_minor) / Decimal(grant.awarded_minor)),
        elapsed=_share(services.time_elapsed(grant, today)),
        schedule=services.reporting_schedule(grant), history=history)


def _history_page() -> int:
    return requested_page("history_page")


def _render_edit(grant: Grant, form: EditGrantForm, status: int = 200):
    return render_template("grants/edit.html", grant=grant, form=form), status


@bp.route("/<int:grant_id>/edit", methods=["GET", "POST"])
@permission_required(Action.MANAGE_GRANTS)
def edit(grant_id: int):
    """Change a grant's reference, flexibility, sub-grantees or status."""
    grant = services.get_grant(grant_id)
    form = EditGrantForm.for_grant(grant)
    if not form.is_submitted():
        return _render_edit(grant, form)
    if not form.validate():
        return _render_edit(grant, form, 422)
    if commit(lambda: services.update_grant(grant, form.to_input()), form).refused:
        return _render_edit(grant, form, 422)
    flash(_("Grant %(reference)s saved.", reference=grant.reference), "success")
    return redirect(url_for("grants.show", grant_id=grant.id))


@bp.get("/<int:grant_id>/budget")
@login_required
def budget(grant_id: int):
    """The approved budget by line and donor category; an older version with ?version=N."""
    grant = services.get_grant(grant_id)
    asked = request.args.get("version", "")
    version = None
    if asked:
        number = optional_whole_number(asked)
        if number is None:
            raise NotFound("budget version")
        version = services.get_version(grant, number)
    table = services.budget_table(grant, version)
    return render_template(
        "grants/budget.html", grant=grant, table=table,
        current=table.version is not None and table.version == grant.current_version,
        scheme=scheme_for(grant.application))


def _render_revise(grant: Grant, form: ReviseBudgetForm, status: int = 200):
    return render_template("grants/revise.html", grant=grant, form=form,
                           scheme=scheme_for(grant.application)), status


@bp.route("/<int:grant_id>/budget/revise", methods=["GET", "POST"])
@permission_required(Action.MANAGE_GRANTS)
def revise(grant_id: int):
    """Record a budget revision the donor approved; the lines must add up to the award."""
    grant = services.get_grant(grant_id)
    form = ReviseBudgetForm.for_grant(grant)
    if not form.is_submitted():
        return _render_revise(grant, form)
    if not form.validate():
        return _render_revise(grant, form, 422)
    done = commit_once(form, "budget_revision",
                       lambda: services.revise_budget(grant, form.to_input(),
                                                      by=signed_in_user()),
                       lambda version: url_for("grants.budget", grant_id=grant.id))
    if done.repeated:
        return done.redirect()
    if done.refused:
        return _render_revise(grant, form, 422)
    flash(_("Budget version %(number)d recorded.", number=done.value.number  # type: ignore[union-attr]
            ), "success")
    return redirect(url_for("grants.budget", grant_id=grant.id))
