"""What the drives screens share: permissions, paging, the drive page and refusal codes."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from tracker.audit.services import (
    RECORD_HISTORY_LATEST,
    EventPage,
    history_for,
    history_shown,
    personal_records,
)
from tracker.auth.permissions import Action, can, may_see_contacts, require
from tracker.auth.sessions import current_user
from tracker.campaigns.models import Campaign
from tracker.drives import services
from tracker.drives.models import Drive, Pledge
from tracker.drives.privacy import CONTACT_FIELDS, record_contacts_viewed
from tracker.drives.selectors import drive_page_pledges
from tracker.drives.sharing import embed_code
from tracker.drives.views.head import drive_head
from tracker.drives.views.rows import awaiting_rows, pledge_rows
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.views import commit, requested_page


def require_on(action: Action, drive_or_campaign: Drive | Campaign) -> None:
    """403 unless the user may do the action on this drive's (or campaign's) records."""
    campaign = (drive_or_campaign.campaign if isinstance(drive_or_campaign, Drive)
                else drive_or_campaign)
    require(can(current_user, action, campaign))


def pledges_in_history(history: EventPage) -> list[int]:
    """Ids of the pledges whose contact data the History section shows (its latest events,
    or the page of it the reader asked for)."""
    shown = history_shown(history, RECORD_HISTORY_LATEST).items
    return [int(record_id) for record_type, record_id in personal_records(shown, CONTACT_FIELDS)
            if record_type == "pledge" and record_id.isdigit()]


def note_contacts_shown(drive: Drive, pledge_ids: list[int], *, page: str,
                        pledge: Pledge | None = None) -> None:
    """Record in the audit trail that this page showed these supporters' contact data."""
    if not pledge_ids:
        return
    # Nothing but the note is committed: the records this request read still hold what the
    # page shows, and expiring them all (50 pledges, 20 events) cost half a millisecond a
    # view, or their reading again when the page is rendered after the note.
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        commit(lambda: record_contacts_viewed(drive, pledge_ids, page=page, pledge=pledge))
    finally:
        session.expire_on_commit = expire


def _history(drive: Drive) -> EventPage | None:
    """The page of the drive's History the reader asked for; else None: the History is
    folded shut, and read only when the reader opens it (render_history_part)."""
    if "history_page" in request.args:
        return history_for("drive", drive.id, page=requested_page("history_page"))
    return None


def render_history_part(drive: Drive) -> str:
    """The drive page's History section alone, its newest few events: what its fold fetches
    when the reader opens it (static/js/history.js), with the page's rights and its note of
    the supporters whose contact data it shows."""
    personal_data = may_see_contacts(current_user, drive.campaign)
    history = history_for("drive", drive.id, per_page=RECORD_HISTORY_LATEST)
    part = render_template("audit/_history_section.html", history=history,
                           personal_data=personal_data, history_endpoint="drives.show")
    if personal_data:
        note_contacts_shown(drive, pledges_in_history(history), page="drive")
    return part


def render_drive(drive: Drive, *, error: str | None = None, status: int = 200) -> Any:
    """The drive's page: figures, pledges, those awaiting confirmation, history.

    Supporters' e-mails and messages show only to those who may see them
    (may_see_contacts), and each page that shows any leaves one event in the audit trail.
    """
    personal_data = may_see_contacts(current_user, drive.campaign)
    # Both lists of pledges in one statement (one round trip fewer on every view).
    pledges, awaiting = drive_page_pledges(drive, page=requested_page("page"),
                                           awaiting_page=requested_page("awaiting_page"))
    history = _history(drive)
    figures = services.drive_figures(drive)
    may_log = can(current_user, Action.LOG_PLEDGES, drive.campaign)
    head = drive_head(
        drive, figures,
        # Named only under the totals' count of what they leave out: no count, no list
        # (and two statements fewer on nearly every view).
        services.missing_rates(drive) if figures.unconverted else [],
        error=error, may_edit=can(current_user, Action.EDIT_DRIVES, drive.campaign),
        may_log=may_log, embed_code=embed_code(drive) if drive.is_public else "")
    page = render_template(
        "drives/show.html",
        drive=drive,
        head=head,  # kept while what it shows holds (tracker/drives/views/head.py)
        pledges=pledges,
        pledge_rows=pledge_rows(drive, pledges.items, personal_data),
        awaiting=awaiting,
        awaiting_rows=awaiting_rows(drive, awaiting.items, personal_data, may_log),
        may_log=may_log,
        history=history,
        personal_data=personal_data,
    )
    # Noted once the page is rendered, before it is sent: the chain's lock, which every
    # writer waits for, is then held for the note alone, never while the page renders.
    if personal_data:
        shown = [item.id for item in awaiting.items if item.contact_email or item.message]
        in_history = pledges_in_history(history) if history is not None else []
        note_contacts_shown(drive, shown + in_history, page="drive")
    return page, status


def refusal_status(error: DomainError | None) -> int:
    """409 when someone else's change got in the way, 422 for every other refusal."""
    return 409 if isinstance(error, services.PledgeConflict) else 422
