"""The dashboard's funding sections (coalition totals and a page of campaign rows), rendered once
and kept for as long as what they show is unchanged (issue 15).

Keeping each row (tracker.dashboard.fragments) still cost loading every campaign's roll-up
and some 4,000 amounts through the ORM to build the rows' keys. The two sections are kept
whole instead, under a key read by one query over raw columns, with no ORM object:

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
which the key cannot see: then the sections are rendered and not kept. What is rendered
after the key was read is kept only if the key still reads the same afterwards, so a write
that lands while the sections render cannot leave newer figures under an older key.

Kept in memory per process (each gunicorn worker its own), at most SECTIONS_KEPT of them,
the least recently shown going first (tracker.fragments).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, cast

from flask import render_template, request
from markupsafe import Markup
from sqlalchemy import JSON, Select, Text, select, type_coerce
from sqlalchemy import cast as sql_cast
from sqlalchemy.types import NullType

from tracker.campaigns.models import Campaign, CampaignStatus
from tracker.dashboard import fragments, services
from tracker.extensions import db
from tracker.fragments import KeptFragments, digest, kept, kept_store
from tracker.funding.models import CampaignFunding
from tracker.grants.services import spending_sums
from tracker.i18n import current_language
from tracker.versions import RATES, CoalitionVersion

SECTIONS_TEMPLATE = "dashboard/_funding.html"
# Two languages times the reporting currencies in use times the pages of campaigns (8 at 200
# campaigns), with room for a new key while the old one is still shown; a page's fragment
# is about 70 KB.
SECTIONS_KEPT = 128
EXTENSION = "tracker.dashboard.sections"


def kept_sections() -> KeptFragments[Markup]:
    """The application's kept sections (one store per app, created on first use)."""
    return kept_store(EXTENSION, SECTIONS_KEPT)


@cache  # A constant statement, built once: building it cost about as much as running it.
def _key_query() -> tuple[Select[tuple[Any, ...]], int]:
    """The key's one query, and the position of the roll-up's campaign_id in its rows."""
    # The rates' stored version (tracker.versions), bumped by every write of a rate: one
    # indexed read, where counting the rates scanned them (4.7 ms at 1,000,000 pledges).
    version = CoalitionVersion.__table__.c
    rates = [select(column).where(version.name == RATES).scalar_subquery()
             for column in (version.n, version.stamp)]
    funding = list(CampaignFunding.__table__.c)
    columns = (Campaign.id, Campaign.slug, Campaign.title_en, Campaign.title_ru,
               Campaign.status, Campaign.updated_at, *funding)
    funded = next(at for at, column in enumerate(columns)
                  if column is CampaignFunding.__table__.c.campaign_id)
    # As the driver returns them: no JSON, enum or timestamp processing of 200 rows; the
    # key needs only that they differ when the stored values do. JSON as its stored text:
    # psycopg would parse it even so (200 parses a request).
    query = cast("Select[tuple[Any, ...]]", (
        select(*(type_coerce(_as_text(column), NullType()) for column in columns), *rates)
        .outerjoin(CampaignFunding, CampaignFunding.campaign_id == Campaign.id)
        .where(Campaign.status != CampaignStatus.ARCHIVED)
        .order_by(Campaign.id)
    ))
    return query, funded


def _as_text(column: Any) -> Any:
    """A JSON column as its stored text; any other column as it is."""
    return sql_cast(column, Text) if isinstance(column.type, JSON) else column


def sections_key(currency: str, today: date, page: int) -> bytes | None:
    """A digest of everything the funding sections show; None when it cannot be read
    from stored columns (a campaign without a roll-up row)."""
    query, funded = _key_query()
    rows = db.session.execute(query).all()
    if any(row[funded] is None for row in rows):  # no roll-up row: figures computed live
        return None
    if rows and rows[0][-1] is None:  # no rates' version stored: rendered, not kept
        return None
    sums = spending_sums(None)  # every campaign's, archived too: a superset is as exact
    spending = (sorted(sums.awarded.items()), sorted(sums.spent.items()))
    figures = [tuple(row) for row in rows]
    seen = (current_language(), currency, today, page, request.script_root, figures, spending)
    return digest(*seen)


def funding_sections(currency: str, today: date, page: int = 1) -> Markup:
    """The coalition totals and a page of the campaigns' rows (the largest gap first),
    taken from the kept sections when nothing they show has changed, rendered (and kept)
    otherwise."""
    def render() -> Markup:
        figures = services.dashboard_figures(currency, today)
        paged = services.campaigns_page(figures.lines, page)
        return Markup(render_template(
            SECTIONS_TEMPLATE,
            paged=paged,
            rows=fragments.campaign_rows(paged.items, figures.spending),
            totals=services.coalition_totals(figures.lines, currency, today),
            spending_total=figures.spending_total,
        ))

    return kept(kept_sections(), lambda: sections_key(currency, today, page), render)
