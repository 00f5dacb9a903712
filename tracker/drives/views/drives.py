"""Staff screens of drives: the list, a drive, its form, its status, converting again."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.auth.permissions import Action
from tracker.campaigns.models import Campaign
from tracker.campaigns.services import find_campaign
from tracker.drives import services
from tracker.drives.forms import DriveForm, DriveMoveForm
from tracker.drives.listing import page_of_drive_rows
from tracker.drives.models import Drive, DriveStatus
from tracker.drives.views import bp
from tracker.drives.views.common import render_drive, render_history_part, require_on
from tracker.drives.views.list_rows import drive_list_rows
from tracker.errors import found
from tracker.options import option_list
from tracker.views import commit, requested_page


@bp.app_template_global("campaign_drives")
def campaign_drives(campaign: Campaign) -> list[services.DriveRow]:
    """The campaign's drives with their figures, for templates/drives/_campaign_drives.html."""
    return services.drives_of_campaign(campaign)


def _render_form(campaign: Campaign, form: DriveForm, drive: Drive | None = None,
                 status: int = 200) -> Any:
    return render_template("drives/form.html", campaign=campaign, form=form,
                           drive=drive), status


@bp.get("/drives/")
def index():
    """Every drive with its progress, filtered by campaign and status, a page at a time."""
    campaign_id = request.args.get("campaign", type=int)
    try:
        status = DriveStatus(request.args.get("status", ""))
    except ValueError:
        status = None
    listed = page_of_drive_rows(campaign_id=campaign_id, status=status, page=requested_page())
    return render_template(
        "drives/index.html",
        listed=listed,
        rows=drive_list_rows(listed.items),  # kept while what each shows holds
        # The campaigns with drives, their options written once while they read the same.
        campaign_options=option_list(
            [(str(item.id), item.title) for item in services.campaigns_with_drives()],
            selected=str(campaign_id) if campaign_id else None),
        campaign_id=campaign_id,
        status=status,
        statuses=DriveStatus,
        filtered=bool(campaign_id or status),
    )


@bp.route("/campaigns/<slug>/drives/new", methods=["GET", "POST"])
def new(slug: str):
    """Start a drive (as a draft) inside a campaign."""
    campaign = found(find_campaign(slug), f"no campaign {slug}")
    require_on(Action.EDIT_DRIVES, campaign)
    form = DriveForm(organisers=services.organiser_choices(campaign))
    if not form.is_submitted():
        form.organiser_org_id.data = str(campaign.lead_org_id)
        return _render_form(campaign, form)
    if not form.validate():
        return _render_form(campaign, form, status=422)
    outcome = commit(lambda: services.create_drive(campaign, form.to_input()), form)
    if outcome.refused:
        return _render_form(campaign, form, status=422)
    drive = outcome.value
    assert drive is not None
    flash(_("Drive “%(title)s” created as a draft. Log pledges, then make it live.",
            title=drive.title), "success")
    return redirect(url_for("drives.show", slug=drive.slug))


@bp.get("/drives/<slug>")
def show(slug: str):
    """A drive: progress against the goal, pledges, pledges awaiting confirmation, history
    (?part=history: its History section alone, fetched when its fold opens)."""
    drive = services.get_drive(slug)
    if request.args.get("part") == "history":
        return render_history_part(drive)
    return render_drive(drive)


@bp.route("/drives/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    """Change a drive's titles, purpose, organiser, goal, dates and public flag."""
    drive = services.get_drive(slug)
    require_on(Action.EDIT_DRIVES, drive)
    form = DriveForm.for_drive(drive, organisers=services.organiser_choices(drive.campaign))
    if not form.is_submitted():
        return _render_form(drive.campaign, form, drive)
    if not form.validate():
        return _render_form(drive.campaign, form, drive, status=422)
    if commit(lambda: services.update_drive(drive, form.to_input()), form).refused:
        return _render_form(drive.campaign, form, drive, status=422)
    flash(_("Drive “%(title)s” saved.", title=drive.title), "success")
    return redirect(url_for("drives.show", slug=drive.slug))


@bp.post("/drives/<slug>/status")
def move(slug: str):
    """Move a drive to another status, as DRIVE_MACHINE allows."""
    drive = services.get_drive(slug)
    require_on(Action.EDIT_DRIVES, drive)
    form = DriveMoveForm()
    if not form.validate():
        return render_drive(drive, error=" ".join(map(str, form.to.errors)) or _(
            "Reload the page and try again."), status=422)
    outcome = commit(lambda: services.move_drive(drive, DriveStatus(form.to.data)))
    if outcome.refused:
        return render_drive(drive, error=outcome.message, status=422)
    flash(_("The drive is now “%(status)s”.", status=drive.status.label), "success")
    return redirect(url_for("drives.show", slug=slug))


@bp.post("/drives/<slug>/reconvert")
def reconvert(slug: str):
    """Retry the conversions that lacked an exchange rate (after the rate was added)."""
    drive = services.get_drive(slug)
    require_on(Action.LOG_PLEDGES, drive)
    fixed = commit(lambda: services.reconvert_missing(drive)).value
    if fixed:
        flash(ngettext("Converted %(num)d amount that lacked a rate.",
                       "Converted %(num)d amounts that lacked a rate.", fixed), "success")
    else:
        flash(_("Still no rate for these amounts: add the rates first."), "warning")
    return redirect(url_for("drives.show", slug=slug, _anchor="progress"))
