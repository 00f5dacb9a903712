"""The dashboard's funding sections (coalition totals and a page of campaign rows), rendered once
and kept for as long as what they show is unchanged (issue 15).

Keeping each row (tracker.dashboard.fragments) still cost loading every campaign's roll-up
and some 4,000 amounts through the ORM to build the rows' keys. The two sections are kept
whole instead, under a key read as text by the dashboard's one statement of keys
(tracker.dashboard.state), with no ORM object:

- each campaign shown (not archived): its id, slug, both titles, status and updated_at,
  and every column of its campaign_funding row, the figures themselves as well as
  refreshed_at, so the key is right however the roll-up is updated (recompute or delta);
- the exchange rates' stored version (tracker.versions), which every write of a rate bumps;
- the grants' dated sums the spending figures are converted from (tracker.grants);
- the language, the reporting currency, today's date (the latest rate *to today*), the
  page of campaigns asked for and the application's root path (the pager's links).

The sections are the same for every signed-in user with the same reporting currency: the
dashboard shows every campaign to each of them, with no link or figure that depends on a
permission. A campaign without a roll-up row has its figures computed from its pledges,
which the key cannot see: then the sections are rendered and not kept. What is rendered is
built from the very rows the key is made of (tracker.dashboard.lines), so a write that lands
while the sections render cannot leave other figures under the key. Only the rates are read
again to convert a changed row, and a rate is written with its version bumped in the same
transaction: a rate read then is the key's or a newer one, never an older one.

Kept in memory per process (each gunicorn worker its own), at most SECTIONS_KEPT of them,
the least recently shown going first (tracker.fragments).
"""

from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup

from tracker.dashboard import fragments, lines, services
from tracker.dashboard.state import DashboardState
from tracker.fragments import KeptFragments, digest, kept, kept_store
from tracker.i18n import current_language

SECTIONS_TEMPLATE = "dashboard/_funding.html"
# Two languages times the reporting currencies in use times the pages of campaigns (8 at 200
# campaigns), with room for a new key while the old one is still shown; a page's fragment
# is about 70 KB.
SECTIONS_KEPT = 128
EXTENSION = "tracker.dashboard.sections"


def kept_sections() -> KeptFragments[Markup]:
    """The application's kept sections (one store per app, created on first use)."""
    return kept_store(EXTENSION, SECTIONS_KEPT)


def sections_key(state: DashboardState, currency: str, page: int) -> bytes | None:
    """A digest of everything the funding sections show; None when it cannot be read
    from stored columns (a campaign without a roll-up row)."""
    if not state.funded:  # no roll-up row: figures computed live
        return None
    if state.campaigns and not state.rates:  # no rates' version stored: rendered, not kept
        return None
    seen = (current_language(), currency, state.today, page, request.script_root,
            state.campaigns, state.awarded, state.spent, state.rates)
    return digest(*seen)


def funding_sections(state: DashboardState, currency: str, page: int = 1) -> Markup:
    """The coalition totals and a page of the campaigns' rows (the largest gap first),
    taken from the kept sections when nothing they show has changed, rendered (and kept)
    otherwise."""
    today = state.today

    def render() -> Markup:
        figures = lines.dashboard_figures(state, currency)
        paged = services.campaigns_page(figures.lines, page)
        return Markup(render_template(
            SECTIONS_TEMPLATE,
            paged=paged,
            rows=fragments.campaign_rows(paged.items, figures.spending),
            totals=services.coalition_totals(figures.lines, currency, today),
            spending_total=figures.spending_total,
        ))

    # Built from the state's own rows (tracker.dashboard.lines), the sections are what their
    # key says: no second read of the state is needed to keep them.
    key = sections_key(state, currency, page)
    return kept(kept_sections(), lambda: key, render)
