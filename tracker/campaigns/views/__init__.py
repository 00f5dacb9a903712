"""Screens of the campaigns area: the list with filters, one campaign, add and edit."""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.audit.services import RECORD_HISTORY_LATEST, EventPage, history_for
from tracker.auth.permissions import Action, permission_required
from tracker.campaigns import services
from tracker.campaigns.forms import CampaignForm
from tracker.campaigns.models import Campaign, CampaignStatus, Theme
from tracker.campaigns.views.page import campaign_body
from tracker.campaigns.views.rows import campaign_rows, list_controls
from tracker.db import utcnow
from tracker.i18n import is_country
from tracker.targets import listing
from tracker.views import commit, requested_page

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

Filter = TypeVar("Filter", Theme, CampaignStatus)


def _enum_or_none(enum_class: type[Filter], value: str) -> Filter | None:
    """The member for a query-string value; None (no filter) for anything unknown."""
    try:
        return enum_class(value)
    except ValueError:
        return None


@bp.get("/")
def index():
    """List campaigns with their funding targets, filtered by theme, status and country, paged."""
    theme = _enum_or_none(Theme, request.args.get("theme", ""))
    status = _enum_or_none(CampaignStatus, request.args.get("status", ""))
    country = request.args.get("country", "")
    country = country if is_country(country) else ""
    read = listing.campaign_list(theme, status, country or None, page=requested_page())
    listed = read.listed
    filters_form, pager_links = list_controls(
        listed, theme, status, country, read.countries_version,
        lambda: services.countries_in_campaigns(also=country or None))
    return render_template(
        "campaigns/index.html",
        listed=listed,
        rows=campaign_rows(listed.items),  # kept while what each shows holds
        filters_form=filters_form,  # kept too, as are the count and page links
        pager_links=pager_links,
        filtered=bool(theme or status or country),
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_CAMPAIGN)
def new():
    """Add a campaign with its lead, partners and focus countries."""
    form = CampaignForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("campaigns/form.html", form=form, campaign=None), status
    outcome = commit(lambda: services.create_campaign(form.to_input()), form)
    if outcome.refused:
        return render_template("campaigns/form.html", form=form, campaign=None), 422
    campaign = outcome.value
    flash(_("Campaign %(title)s added.", title=campaign.title), "success")
    return redirect(url_for("campaigns.show", slug=campaign.slug))


@bp.get("/<slug>")
def show(slug: str):
    """Show a campaign: summary, funding gap, participants by country and funding targets
    (?part=history: its History section alone, fetched when its fold opens)."""
    campaign = services.get_campaign(slug)
    if request.args.get("part") == "history":
        return render_template(
            "audit/_history_section.html", history_endpoint="campaigns.show",
            history=history_for("campaign", campaign.id, per_page=RECORD_HISTORY_LATEST))
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        # Details, partners, funding (with grant spending), targets and drives: kept
        # while nothing they show changes (tracker/campaigns/views/page.py).
        body=campaign_body(campaign, utcnow().date()),
        history=_history(campaign),
    )


def _history(campaign: Campaign) -> EventPage | None:
    """The page of the campaign's History the reader asked for; else None: the History is
    folded shut, and read only when the reader opens it (?part=history)."""
    if "history_page" in request.args:
        return history_for("campaign", campaign.id, page=requested_page("history_page"))
    return None


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_CAMPAIGN)
def edit(slug: str):
    """Change a campaign, its partners and focus countries."""
    campaign = services.get_campaign(slug)
    form = CampaignForm.for_campaign(campaign)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("campaigns/form.html", form=form, campaign=campaign), status
    if commit(lambda: services.update_campaign(campaign, form.to_input()), form).refused:
        return render_template("campaigns/form.html", form=form, campaign=campaign), 422
    flash(_("Changes to %(title)s saved.", title=campaign.title), "success")
    return redirect(url_for("campaigns.show", slug=campaign.slug))
