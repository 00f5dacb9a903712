"""The drives list's rows, rendered once and kept for as long as what they show holds
(issue 15).

A page of /drives/ is 25 rows, each a title, an organiser, days left, a campaign, a status
badge, a thermometer and four figures: rendering them was most of the page's Python time.
The drives and their roll-up rows are loaded for the page anyway (tracker.drives.selectors),
so each row is kept under a key made of exactly what it shows, as loaded in this request:
the language, the application's root path (its links), the drive's id, slug, titles, status
and whether it is public, its organiser's names, its campaign's slug and titles, and its
figures (goal, received, pledged, supporters, and the days left or until it starts, which
are counted from today). A renamed drive, a new payment, another day or another language
changes the key, so a kept row can never show a stale value; keeping only saves rendering a
row identical to one already rendered.

Kept in memory per process (tracker.fragments), at most ROWS_KEPT rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from flask import render_template, request
from markupsafe import Markup

from tracker.drives.selectors import DriveRow
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


def row_key(row: DriveRow, page: tuple[Hashable, ...]) -> Hashable:
    """Everything templates/drives/_list_row.html shows of the row, as one hashable value."""
    drive, figures = row.drive, row.figures
    organiser, campaign = drive.organiser, drive.campaign
    return (*page, drive.id, drive.slug, drive.title_en, drive.title_ru, drive.status,
            drive.is_public, organiser.name_en, organiser.name_ru, campaign.slug,
            campaign.title_en, campaign.title_ru, figures.goal, figures.received,
            figures.pledged, figures.supporters, figures.days_left, figures.starts_in)


def drive_list_rows(rows: Iterable[DriveRow]) -> list[Markup]:
    """Each drive's row of the drives list, rendered or taken from the kept rows."""
    links = {"drive": link_prefix("drives.show", "slug"),
             "campaign": link_prefix("campaigns.show", "slug")}
    # The links' prefixes are the root path's and the routes': the key holds the root.
    page = (current_language(), request.script_root)

    def key(row: DriveRow) -> Hashable:
        return row_key(row, page)

    def render(row: DriveRow) -> Markup:
        return Markup(render_template(ROW_TEMPLATE, row=row, links=links))

    return kept_each(kept_rows(), rows, key, render)
