"""The home page: the coordinator's dashboard of every campaign's funding and deadlines."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from tracker.auth.sessions import current_user, signed_in_user
from tracker.dashboard import lists, sections, services
from tracker.dashboard.forms import ReportingCurrencyForm
from tracker.dashboard.state import read_state
from tracker.db import utcnow
from tracker.views import commit, requested_page

bp = Blueprint("dashboard", __name__)


def _render(form: ReportingCurrencyForm, status: int = 200):
    currency = services.reporting_currency_of(current_user)
    # What every kept fragment below is keyed by, read once by one statement.
    state = read_state(utcnow().date())
    return render_template(
        "dashboard/index.html",
        form=form,
        # Totals and a page of rows (with grant spending), kept while nothing they show
        # changes.
        funding=sections.funding_sections(state, currency, requested_page("campaigns_page")),
        # Each list kept while the rows it shows (and the language, today) read the same.
        deadlines=lists.upcoming_deadlines(state),
        pledges=lists.recent_pledges(state),
        collisions=lists.collisions(state, requested_page("collisions_page")),
    ), status


@bp.get("/")
def index():
    """Every campaign's funding bar and gap, coalition totals, deadlines, pledges, collisions."""
    currency = services.reporting_currency_of(current_user)
    form = ReportingCurrencyForm(currency=currency, current=currency)
    return _render(form)


@bp.post("/reporting-currency")
def set_reporting_currency():
    """Remember the currency the user wants the dashboard in, then show the dashboard."""
    form = ReportingCurrencyForm(current=services.reporting_currency_of(current_user))
    if not form.validate_on_submit():
        return _render(form, 422)
    outcome = commit(lambda: services.set_reporting_currency(
        signed_in_user(), form.currency.data))
    if outcome.refused:
        flash(outcome.message, "danger")
        return redirect(url_for("dashboard.index"))
    flash(_("The dashboard now shows every figure in %(currency)s.", currency=form.currency.data),
          "success")
    return redirect(url_for("dashboard.index"))
