"""What the drives screens share: permissions, paging, the drive page and refusal codes."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from tracker.audit.services import history_for
from tracker.auth.permissions import Action, can, require
from tracker.auth.sessions import current_user
from tracker.campaigns.models import Campaign
from tracker.drives import services
from tracker.drives.models import Drive
from tracker.errors import DomainError


def require_on(action: Action, drive_or_campaign: Drive | Campaign) -> None:
    """403 unless the user may do the action on this drive's (or campaign's) records."""
    campaign = (drive_or_campaign.campaign if isinstance(drive_or_campaign, Drive)
                else drive_or_campaign)
    require(can(current_user, action, campaign))


def page_arg(name: str) -> int:
    """A page number from the query string (1 when missing or wrong)."""
    return max(1, request.args.get(name, 1, type=int) or 1)


def render_drive(drive: Drive, *, error: str | None = None, status: int = 200) -> Any:
    """The drive's page: figures, pledges, those awaiting confirmation, history."""
    return render_template(
        "drives/show.html",
        drive=drive,
        figures=services.drive_figures(drive),
        pledges=services.list_pledges(drive, page=page_arg("page")),
        awaiting=services.awaiting_confirmation(drive),
        missing=services.missing_rates(drive),
        error=error,
        history=history_for("drive", drive.id, page=page_arg("history_page")),
    ), status


def refusal_status(error: DomainError | None) -> int:
    """409 when someone else's change got in the way, 422 for every other refusal."""
    return 409 if isinstance(error, services.PledgeConflict) else 422
