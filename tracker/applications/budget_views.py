"""Screens of an application's own budget: the page, a line's form, and taking campaign lines.

Registered on the applications blueprint (imported at the end of applications/views.py).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.applications import services
from tracker.applications.budget_forms import BudgetLineForm, TakeLinesForm
from tracker.applications.models import Application
from tracker.applications.views import bp
from tracker.auth.permissions import Action, permission_required
from tracker.auth.sessions import login_required
from tracker.views import commit


def _budget_url(application: Application) -> str:
    return url_for("applications.budget", application_id=application.id)


@bp.get("/applications/<int:application_id>/budget")
@login_required
def budget(application_id: int):
    """The application's budget by year and donor category, requested and co-financing."""
    application = services.get_application(application_id)
    scheme = services.scheme_for(application)
    lines = services.budget_lines(application)
    grouped: dict[int, dict[str, list]] = {}
    for line in lines:
        grouped.setdefault(line.year, {}).setdefault(line.donor_category, []).append(line)
    return render_template(
        "applications/budget.html", application=application, scheme=scheme, grouped=grouped,
        totals=services.budget_totals(application),
        periods={year: services.year_period(application, year) for year in grouped},
        years=services.project_years(application),
    )


def _render_line_form(application: Application, form: BudgetLineForm, line=None,
                      status: int = 200):
    return render_template("applications/budget_line_form.html", application=application,
                           form=form, line=line), status


@bp.route("/applications/<int:application_id>/budget/lines/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_APPLICATIONS)
def new_budget_line(application_id: int):
    """Add a line to the application's budget, with its split."""
    application = services.get_application(application_id)
    form = BudgetLineForm(application=application)
    if not form.is_submitted():
        return _render_line_form(application, form)
    if not form.validate():
        return _render_line_form(application, form, status=422)
    if commit(lambda: services.add_budget_line(application, form.to_input()), form).refused:
        return _render_line_form(application, form, status=422)
    flash(_("Budget line added."), "success")
    return redirect(_budget_url(application))


@bp.route("/applications/<int:application_id>/budget/lines/<int:line_id>/edit",
          methods=["GET", "POST"])
@permission_required(Action.EDIT_APPLICATIONS)
def edit_budget_line(application_id: int, line_id: int):
    """Change a budget line: its costing, year, category, or its split."""
    application = services.get_application(application_id)
    line = services.get_budget_line(application, line_id)
    form = BudgetLineForm.for_line(line, application)
    if not form.is_submitted():
        return _render_line_form(application, form, line)
    if not form.validate():
        return _render_line_form(application, form, line, 422)
    if commit(lambda: services.update_budget_line(line, form.to_input()), form).refused:
        return _render_line_form(application, form, line, 422)
    flash(_("Budget line saved."), "success")
    return redirect(_budget_url(application))


@bp.post("/applications/<int:application_id>/budget/lines/<int:line_id>/remove")
@permission_required(Action.EDIT_APPLICATIONS)
def remove_budget_line(application_id: int, line_id: int):
    """Remove a line from the application's budget."""
    application = services.get_application(application_id)
    line = services.get_budget_line(application, line_id)
    outcome = commit(lambda: services.remove_budget_line(line))
    if outcome.refused:
        flash(outcome.message, "danger")
    else:
        flash(_("Budget line removed."), "success")
    return redirect(_budget_url(application))


@bp.route("/applications/<int:application_id>/budget/take", methods=["GET", "POST"])
@permission_required(Action.EDIT_APPLICATIONS)
def take_budget_lines(application_id: int):
    """Copy lines of the campaign's funding targets that fall in the project period."""
    application = services.get_application(application_id)
    offered = services.campaign_lines(application)
    form = TakeLinesForm(offered=offered)
    status = 200
    if form.is_submitted():
        if form.validate():
            outcome = commit(lambda: services.take_campaign_lines(
                application, list(form.lines.data or ())), form)
            if not outcome.refused:
                count = len(outcome.value or ())
                flash(ngettext("%(num)d line taken into the budget.",
                               "%(num)d lines taken into the budget.", count), "success")
                return redirect(_budget_url(application))
        status = 422
    return render_template("applications/budget_take.html", application=application, form=form,
                           offered=offered, scheme=services.scheme_for(application),
                           selected=set(request.form.getlist("lines"))), status
