"""The campaigns list's rows, rendered once and kept for as long as what they show holds
(issue 15).

A page of the list is 25 rows, each a title, a theme, a status badge, a lead organisation,
countries by name and every funding target's total: rendering them was half of the page's
Python time. The rows' values are read for the page anyway (tracker.targets.listing, which
reads only those), so each row is kept under a key made of exactly what it shows, as read in
this request: the language, the application's root path (its links), the campaign's id,
slug, title, theme and status, its lead's slug and name, its countries, and each target's
title, dates and total. A renamed campaign, another status, a new budget line or another
language changes the key, so a kept row can never show a stale value; keeping only saves
rendering a row identical to one already rendered.

The list's filters and its count with the page links are kept the same way (`list_controls`),
under everything they show: the language, the root, the filters chosen, and the page's number,
size and count. The countries the filter offers are stood for by the stored version of the
filters' choices (read with the page, tracker.versions.CHOICES: bumped by every write that may
change them), so they are read only when it is new; with no stored version, by the countries
themselves.

Kept in memory per process (tracker.fragments), at most ROWS_KEPT rows and CONTROLS_KEPT
filters and pagers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from functools import partial

from flask import render_template, request
from markupsafe import Markup

from tracker.campaigns.models import CampaignStatus, Theme
from tracker.fragments import KeptFragments, kept, kept_each, kept_store
from tracker.i18n import current_language
from tracker.paging import Page
from tracker.targets.listing import ListedCampaign
from tracker.versions import CHOICES, Version, version_now

ROW_TEMPLATE = "campaigns/_row.html"
EXTENSION = "tracker.campaigns.rows"
# A thousand campaigns in both languages, with room for rows changed since.
ROWS_KEPT = 4_096
FILTERS_TEMPLATE = "campaigns/_filters.html"
PAGER_TEMPLATE = "campaigns/_pager.html"
CONTROLS_EXTENSION = "tracker.campaigns.controls"
# The filters people choose and the pages they visit, in both languages.
CONTROLS_KEPT = 1_024


def kept_rows() -> KeptFragments[Markup]:
    """The application's kept rows (one store per app, created on first use)."""
    return kept_store(EXTENSION, ROWS_KEPT)


def row_key(row: ListedCampaign, language: str, root: str) -> Hashable:
    """Everything templates/campaigns/_row.html shows, as one hashable value."""
    return (language, root, row.id, row.slug, row.title, row.theme, row.status, row.lead_slug,
            row.lead_name, row.country_codes,
            tuple((target.title, target.starts_on, target.ends_on, target.total)
                  for target in row.targets))


def campaign_rows(rows: Iterable[ListedCampaign]) -> list[Markup]:
    """Each campaign's table row, rendered or taken from the kept rows."""
    language, root = current_language(), request.script_root
    return kept_each(kept_rows(), rows, partial(row_key, language=language, root=root),
                     _render)


def _render(row: ListedCampaign) -> Markup:
    return Markup(render_template(ROW_TEMPLATE, row=row))


def kept_controls() -> KeptFragments[Markup]:
    """The application's kept filters and pagers of the campaigns list."""
    return kept_store(CONTROLS_EXTENSION, CONTROLS_KEPT)


def list_controls(listed: Page[ListedCampaign], theme: Theme | None, status: CampaignStatus | None,
                  country: str, countries_version: Version | None,
                  countries_of: Callable[[], list[str]]) -> tuple[Markup, Markup]:
    """The list's filter form and its count with page links, rendered or kept.

    `countries_version`: the stored version of the countries offered, read for the request;
    `countries_of` reads them (the chosen one included), only when no form is kept for it.
    """
    language, root = current_language(), request.script_root
    chosen = {"theme": theme, "status": status, "country": country}
    shown = ("filters", language, root, theme, status, country)
    if countries_version is None:  # no stored version: keyed by the countries themselves
        countries = countries_of()
        countries_of = partial(list, countries)

        def filters_key() -> Hashable:
            return (*shown, tuple(countries))
    else:
        unread = [countries_version]

        def filters_key() -> Hashable:
            # The version read with the page, then (after a rendering) as stored now: countries
            # read after a write that bumped it are never kept under the version before.
            return (*shown, unread.pop() if unread else version_now(CHOICES))

    pager_key = ("pager", language, root, theme, status, country, listed.page,
                 listed.per_page, listed.total, listed.more)
    store = kept_controls()
    filters = kept(store, filters_key, lambda: Markup(render_template(
        FILTERS_TEMPLATE, themes=Theme, statuses=CampaignStatus, countries=countries_of(),
        filtered=bool(theme or status or country), **chosen)))
    pager = kept(store, lambda: pager_key,
                 lambda: Markup(render_template(PAGER_TEMPLATE, listed=listed, **chosen)))
    return filters, pager
