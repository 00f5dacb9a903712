"""The dashboard's collisions, upcoming deadlines and recent pledges, rendered once and kept
for as long as what they show is unchanged (issue 15).

Each list is read by one statement built once (bound parameters: today, the limit) that
selects only the columns it shows (and those that order them), and its HTML is kept under a
digest of those very rows, read as text by the dashboard's one statement of keys
(tracker.dashboard.state), so the key holds everything the list shows and a change of any
of it (a new deadline, a status, a pledge, a title, an order) renders it anew. Besides the
rows, a key holds:

- the language and the application's root path (the links), for every list;
- today, for the deadlines (which are due, overdue, "in 3 days") and the collisions (calls
  from today on), and the page of collisions asked for;
- for each recent pledge, whether the reader may see its supporters' names (contacts): the
  pledges' list is shared only by readers with the same rights over those pledges.

What is rendered after the key was read is kept only if the key still reads the same
afterwards (tracker.fragments.kept). Kept in memory per process, at most LISTS_KEPT.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import render_template, request
from markupsafe import Markup

from tracker.applications.services import (
    DEADLINE_WINDOW_DAYS,
    collision_rows,
    collisions_of,
    deadline_line,
    deadline_rows,
)
from tracker.auth.permissions import Action, can
from tracker.auth.sessions import current_user
from tracker.dashboard import services
from tracker.dashboard.state import DashboardState, key_from
from tracker.fragments import KeptFragments, digest, kept, kept_store
from tracker.i18n import current_language

DEADLINES_TEMPLATE = "dashboard/_deadlines.html"
COLLISIONS_TEMPLATE = "dashboard/_collisions.html"
PLEDGES_TEMPLATE = "dashboard/_pledges.html"
# Three lists in two languages, a few pages of collisions and rights over the pledges, with
# room for a new key while the old one is still shown; each is a few kilobytes.
LISTS_KEPT = 64
EXTENSION = "tracker.dashboard.lists"


def kept_lists() -> KeptFragments[Markup]:
    """The application's kept lists (one store per app, created on first use)."""
    return kept_store(EXTENSION, LISTS_KEPT)


def _digest(*seen: Any) -> bytes:
    """A digest of what a list shows, with the language and the links' root path."""
    return digest(current_language(), request.script_root, *seen)


def upcoming_deadlines(state: DashboardState) -> Markup:
    """Overdue deadlines, then those of the next 60 days: the first DEADLINES_SHOWN."""
    today = state.today
    until = today + timedelta(days=DEADLINE_WINDOW_DAYS)
    return kept(
        kept_lists(),
        key_from(state, lambda now: _digest("deadlines", now.today, now.deadlines)),
        lambda: Markup(render_template(DEADLINES_TEMPLATE, deadlines=[
            deadline_line(row, today)
            for row in deadline_rows(today, until, services.DEADLINES_SHOWN)])))


def collisions(state: DashboardState, page: int = 1) -> Markup:
    """A page of the collisions of calls whose deadline is today or later, with their count."""
    return kept(
        kept_lists(),
        key_from(state, lambda now: _digest("collisions", now.today, page, now.collisions)),
        lambda: Markup(render_template(
            COLLISIONS_TEMPLATE, collisions=services.page_of_collisions(
                collisions_of(collision_rows(deadline_from=state.today)), page))))


def _rights(campaigns: list[int]) -> list[bool]:
    """Whether the reader may see the supporters' names of each pledge (by its campaign)."""
    return [can(current_user, Action.SEE_CONTACTS, campaign) for campaign in campaigns]


def recent_pledges(state: DashboardState) -> Markup:
    """The newest pledges, each pledger named as far as the reader may see them."""
    def render() -> Markup:
        rows = services.recent_pledge_rows()
        return Markup(render_template(
            PLEDGES_TEMPLATE, pledges=[services.recent_pledge(row) for row in rows],
            contacts=_rights([row.campaign_id for row in rows])))

    return kept(
        kept_lists(),
        key_from(state, lambda now: _digest("pledges", now.pledges,
                                            _rights(now.pledge_campaigns()))),
        render)
