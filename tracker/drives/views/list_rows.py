"""The drives list's rows, rendered once and kept for as long as what they show holds
(issue 15).

A page of /drives/ is 25 rows, each a title, an organiser, days left, a campaign, a status
badge, a thermometer and four figures: rendering them was most of the page's Python time.
The rows are read for the page anyway, as the columns they show (tracker.drives.listing), so
each row is kept under a key made of exactly what it shows, as read in this request, and of
what it is shown with: the language, the application's root path (its links), today's date
(its days left or until it starts), and the row's columns (the drive's id, slug, titles,
status, whether it is public, goal, currency and dates, its organiser's names, its
campaign's slug and titles, and its roll-up's currency, received, pledged, supporters and
unconverted). A renamed drive, a new payment, another day or another language changes the
key, so a kept row can never show a stale value; keeping only saves rendering a row
identical to one already rendered.

Kept in memory per process (tracker.fragments), at most ROWS_KEPT rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from flask import render_template, request
from markupsafe import Markup

from tracker.drives import inputs
from tracker.drives.listing import drive_list_row
from tracker.fragments import KeptFragments, kept_each, kept_store
from tracker.i18n import current_language
from tracker.urls import link_prefix

ROW_TEMPLATE = "drives/_list_row.html"
EXTENSION = "tracker.drives.list_rows"
# A thousand drives in both languages, with room for rows changed since (rows of about 1 KB).
ROWS_KEPT = 4_096


def kept_rows() -> KeptFragments[Markup]:
    """The application's kept rows of the drives list (one store per app, created on first
    use)."""
    return kept_store(EXTENSION, ROWS_KEPT)


def drive_list_rows(rows: Iterable[Any]) -> list[Markup]:
    """Each row of `page_of_drive_rows` as the drives list's table row, rendered or taken
    from the kept rows."""
    links = {"drive": link_prefix("drives.show", "slug"),
             "campaign": link_prefix("campaigns.show", "slug")}
    # The links' prefixes are the root path's and the routes': the key holds the root.
    # Today, because a row counts its days left (or until it starts) from it.
    page = (current_language(), request.script_root, inputs.today())

    def key(row: Any) -> Hashable:
        return (*page, tuple(row))

    def render(row: Any) -> Markup:
        return Markup(render_template(ROW_TEMPLATE, row=drive_list_row(row), links=links))

    return kept_each(kept_rows(), rows, key, render)
