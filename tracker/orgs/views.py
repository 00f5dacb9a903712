"""Screens of the orgs area: the directory of organisations, one organisation, add and edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.audit.services import history_for
from tracker.auth.permissions import Action, permission_required
from tracker.campaigns.services import participations
from tracker.orgs import services
from tracker.orgs.forms import OrganizationForm
from tracker.views import commit, requested_page

bp = Blueprint("orgs", __name__, url_prefix="/orgs")


@bp.get("/")
def index():
    """List organisations, optionally those of one country, a page at a time."""
    countries = services.countries_with_organizations()
    country = request.args.get("country", "")
    if country not in countries:
        country = ""  # an unknown or empty country shows everyone rather than an error
    return render_template(
        "orgs/index.html",
        listed=services.page_of_organizations(country or None, requested_page()),
        countries=countries,
        country=country,
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_ORGS)
def new():
    """Add an organisation."""
    form = OrganizationForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("orgs/form.html", form=form, org=None), status
    outcome = commit(lambda: services.create_organization(form.to_input()), form)
    if outcome.refused:
        return render_template("orgs/form.html", form=form, org=None), 422
    org = outcome.value
    flash(_("Organisation %(name)s added.", name=org.name), "success")
    return redirect(url_for("orgs.show", slug=org.slug))


@bp.get("/<slug>")
def show(slug: str):
    """Show an organisation, the campaigns it leads or partners in, and its history."""
    org = services.get_organization(slug)
    return render_template(
        "orgs/show.html",
        org=org,
        participations=participations(org),
        history=history_for("organization", org.id,
                            page=requested_page("history_page")),
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_ORGS)
def edit(slug: str):
    """Change an organisation's names, country, city, kind or website."""
    org = services.get_organization(slug)
    form = OrganizationForm(obj=org)
    form.slug.current_id = org.id
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("orgs/form.html", form=form, org=org), status
    if commit(lambda: services.update_organization(org, form.to_input()), form).refused:
        return render_template("orgs/form.html", form=form, org=org), 422
    flash(_("Changes to %(name)s saved.", name=org.name), "success")
    return redirect(url_for("orgs.show", slug=org.slug))
