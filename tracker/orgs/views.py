"""Screens of the orgs area: the directory of organisations, one organisation, add and edit."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from functools import partial

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from tracker.audit.services import history_for
from tracker.auth.permissions import Action, permission_required
from tracker.campaigns.services import participations
from tracker.fragments import KeptFragments, kept, kept_each, kept_store
from tracker.i18n import current_language
from tracker.orgs import services
from tracker.orgs.forms import OrganizationForm
from tracker.orgs.models import Organization
from tracker.views import commit, requested_page

bp = Blueprint("orgs", __name__, url_prefix="/orgs")

# The list's rows are kept (issue 15): rendering 50 of them, each with its names, kind, country
# and city in the reader's language, was most of the page. A row is kept under everything it
# shows, as loaded for the page: a renamed organisation, another kind, country or city, or
# another language changes the key, so a kept row is never stale, however it was written.
ROW_TEMPLATE = "orgs/_row.html"
ROWS_EXTENSION = "tracker.orgs.rows"
ROWS_KEPT = 4_096  # two thousand organisations in both languages
# The country filter and the count with page links, kept under all they show: the language,
# the root, the countries offered (read for the request), the chosen one, the page and count.
FILTERS_TEMPLATE = "orgs/_filters.html"
PAGER_TEMPLATE = "orgs/_pager.html"
CONTROLS_EXTENSION = "tracker.orgs.controls"
CONTROLS_KEPT = 512


def kept_rows() -> KeptFragments[Markup]:
    """The application's kept rows of the organisations list."""
    return kept_store(ROWS_EXTENSION, ROWS_KEPT)


def row_key(org: Organization, language: str, root: str) -> Hashable:
    """Everything templates/orgs/_row.html shows, as one hashable value."""
    return (language, root, org.slug, org.name_en, org.name_ru, org.kind, org.country,
            org.city_en, org.city_ru)


def org_rows(orgs: Iterable[Organization]) -> list[Markup]:
    """Each organisation's table row, rendered or taken from the kept rows."""
    return kept_each(kept_rows(), orgs,
                     partial(row_key, language=current_language(), root=request.script_root),
                     lambda org: Markup(render_template(ROW_TEMPLATE, org=org)))


@bp.get("/")
def index():
    """List organisations, optionally those of one country, a page at a time."""
    countries = services.countries_with_organizations()
    country = request.args.get("country", "")
    if country not in countries:
        country = ""  # an unknown or empty country shows everyone rather than an error
    listed = services.page_of_organizations(country or None, requested_page())
    language, root = current_language(), request.script_root
    store = kept_store(CONTROLS_EXTENSION, CONTROLS_KEPT)
    filters_key = ("filters", language, root, tuple(countries), country)
    pager_key = ("pager", language, root, country, listed.page, listed.per_page, listed.total,
                 listed.more)
    return render_template(
        "orgs/index.html",
        listed=listed,
        rows=org_rows(listed.items),
        filters_form=kept(store, lambda: filters_key, lambda: Markup(render_template(
            FILTERS_TEMPLATE, countries=countries, country=country))),
        pager_links=kept(store, lambda: pager_key, lambda: Markup(render_template(
            PAGER_TEMPLATE, listed=listed, country=country))),
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
