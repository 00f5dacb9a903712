"""The home page: the coordinator's dashboard of every campaign's funding and deadlines."""

from __future__ import annotations

from collections.abc import Hashable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from tracker.auth.sessions import current_user, signed_in_user
from tracker.dashboard import lists, sections, services
from tracker.dashboard.forms import ReportingCurrencyForm
from tracker.dashboard.state import DashboardState, key_from, read_state
from tracker.db import utcnow
from tracker.fragments import digest, kept_store, kept_with_holes
from tracker.i18n import current_language
from tracker.views import commit, requested_page

bp = Blueprint("dashboard", __name__)


FORM_TEMPLATE = "dashboard/_reporting_currency.html"
# Two languages times the reporting currencies in use, with room for a new version's.
FORMS_KEPT = 64


def _reporting_form(state: DashboardState, currency: str,
                    form: ReportingCurrencyForm | None) -> Markup:
    """The reporting-currency form: a refused one as it was posted (its errors shown), else
    kept, its CSRF token cut out, while the language, the currency chosen and the coalition's
    currencies (their stored version: the choices) read the same."""
    if form is not None:
        return Markup(render_template(FORM_TEMPLATE, form=form))
    values = {"csrf": generate_csrf()}

    def key(now: DashboardState) -> Hashable | None:
        if not now.currencies:  # no version stored: rendered, not kept
            return None
        return digest("reporting-currency", current_language(), request.script_root, currency,
                      now.currencies)

    def render() -> str:
        # Built only here: building it reads the coalition's currencies.
        fresh = ReportingCurrencyForm(currency=currency, current=currency)
        return render_template(FORM_TEMPLATE, form=fresh)

    store = kept_store("tracker.dashboard.forms", FORMS_KEPT)
    return kept_with_holes(store, key_from(state, key), render, values)


def _render(form: ReportingCurrencyForm | None = None, status: int = 200):
    currency = services.reporting_currency_of(current_user)
    # What every kept fragment below is keyed by, read once by one statement.
    state = read_state(utcnow().date())
    return render_template(
        "dashboard/index.html",
        reporting_form=_reporting_form(state, currency, form),
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
    return _render()


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
