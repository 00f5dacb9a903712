"""The dashboard's campaign rows, rendered once and kept for as long as their figures hold.

With 200 campaigns, rendering the rows (a funding bar, ten formatted amounts and a dozen
translated labels each) was most of the dashboard's time, while the figures themselves
come from roll-ups in a millisecond. A row is kept under a key made of everything it
shows: the language, the campaign's slug and title, its figures in its own currency and
as shown (roll-ups and conversion alike), the rate that could not be found, its grant
spending and the application's root path. A pledge, a payment, a new rate, a renamed
campaign or another reporting currency changes the key, so a kept row can never show a
stale figure; it only saves rendering a row identical to one already rendered.

Rows are kept in memory, per process (each gunicorn worker has its own), at most
ROWS_KEPT of them, the least recently shown going first (tracker.fragments, the one
machinery of kept fragments). A shared store (Redis) would add a round trip to save what
is rendered in about 0.2 ms, and the key is the row's own content, so each worker's copy
is as fresh as any.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from flask import current_app, request
from markupsafe import Markup

from tracker.dashboard.services import CampaignLine
from tracker.fragments import KeptFragments, kept_store
from tracker.grants.services import CampaignSpending
from tracker.i18n import current_language

ROW_TEMPLATE = "dashboard/_campaign_row.html"
# Enough for a thousand campaigns in both languages and a few reporting currencies.
ROWS_KEPT = 4_096
EXTENSION = "tracker.dashboard.rows"


class RenderedRows(KeptFragments[Markup]):
    """A bounded map from a row's key to its HTML, least recently used first out."""

    def __init__(self, size: int = ROWS_KEPT) -> None:
        super().__init__(size)


def rendered_rows() -> KeptFragments[Markup]:
    """The application's kept rows (one store per app, created on first use)."""
    return kept_store(EXTENSION, ROWS_KEPT)


def row_key(line: CampaignLine, spent: CampaignSpending | None, language: str,
            root: str) -> Hashable:
    """Everything the row template reads, as one hashable value (the figures are frozen)."""
    campaign = line.campaign
    return (language, root, campaign.id, campaign.slug, campaign.title, line.gap, line.shown,
            line.missing, spent)


def campaign_rows(lines: Iterable[CampaignLine],
                  spending: dict[int, CampaignSpending]) -> list[Markup]:
    """Each campaign's table row, rendered or taken from the kept rows if already rendered."""
    language, root = current_language(), request.script_root
    kept = rendered_rows()
    template = None
    rows = []
    for line in lines:
        spent = spending.get(line.campaign.id)
        key = row_key(line, spent, language, root)
        row = kept.get(key)
        if row is None:
            template = template or current_app.jinja_env.get_template(ROW_TEMPLATE)
            row = Markup(template.render(line=line, spent=spent))
            kept.put(key, row)
        rows.append(row)
    return rows
