"""The rows of the applications list and of the deadlines screen, rendered once and kept for
as long as what they show holds (issue 15).

A page of either list is 25 rows, each a title with its campaign, names, a status badge,
amounts or dates: rendering them was most of each page's Python time. The rows are read
for the page anyway, as the columns they show (tracker.applications.pipeline and
.deadlines), so each row is kept under a key made of exactly what it shows, as read in this
request, and of the page's own values:

- an application's row: the language, the application's root path (its links), the row's
  columns (title, status, amounts and currencies, probability, submission deadline, the
  campaign's titles, the donor's, the call's and the applicant's names), whether it is
  overdue (its deadline against today) and whether it takes part in a collision;
- a deadline's row: the language, the root path, the row's columns (what is due and when,
  the report's kind, content, note, period and grant, the application's title and status,
  its campaign's titles and donor's names) and today's date, which its "in 3 days" and
  "overdue" are counted from;
- a donor's section of the donors' list: the language, the root path, today's date (which
  calls are open), whether the reader may add calls (a button), the donor's columns and
  every call's (title, reference, deadline, limits, currency, how many applications).

A renamed donor, another status, a new amount, another day or another language changes the
key, so a kept row can never show a stale value; keeping only saves rendering a row
identical to one already rendered. Kept in memory per process (tracker.fragments).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from datetime import date
from typing import Any

from flask import render_template, request, url_for
from markupsafe import Markup

from tracker.applications.calls import DonorRows, donor_line
from tracker.applications.deadlines import deadline_line
from tracker.applications.pipeline import is_overdue, pipeline_line
from tracker.fragments import KeptFragments, kept_each, kept_store
from tracker.i18n import current_language
from tracker.urls import link_prefix

ROW_TEMPLATE = "applications/_list_row.html"
DEADLINE_TEMPLATE = "applications/_deadline_row.html"
DONOR_TEMPLATE = "applications/_donor_row.html"
EXTENSION = "tracker.applications.list_rows"
DEADLINE_EXTENSION = "tracker.applications.deadline_rows"
DONOR_EXTENSION = "tracker.applications.donor_rows"
# A few thousand applications in both languages, with room for rows changed since (rows of
# about 1 KB); the deadlines are the next 60 days', a few hundred.
ROWS_KEPT = 4_096
DEADLINE_ROWS_KEPT = 2_048
# Donors are a few hundred at most; a section is a few KB with its calls.
DONOR_ROWS_KEPT = 1_024


def kept_rows() -> KeptFragments[Markup]:
    """The application's kept rows of the applications list (created on first use)."""
    return kept_store(EXTENSION, ROWS_KEPT)


def kept_deadline_rows() -> KeptFragments[Markup]:
    """The application's kept rows of the deadlines screen (created on first use)."""
    return kept_store(DEADLINE_EXTENSION, DEADLINE_ROWS_KEPT)


def kept_donor_rows() -> KeptFragments[Markup]:
    """The application's kept sections of the donors' list (created on first use)."""
    return kept_store(DONOR_EXTENSION, DONOR_ROWS_KEPT)


def pipeline_rows(rows: Sequence[Any], colliding: Collection[int], today: date
                  ) -> list[Markup]:
    """Each row of `page_of_pipeline_rows` as the list's table row, rendered or kept."""
    page = (current_language(), request.script_root)
    link = link_prefix("applications.show", "application_id")

    def key(row: Any) -> Hashable:
        return (*page, tuple(row), row.id in colliding, is_overdue(row, today))

    def render(row: Any) -> Markup:
        line = pipeline_line(row)
        return Markup(render_template(ROW_TEMPLATE, application=line, link=link,
                                      colliding=line.id in colliding,
                                      overdue=is_overdue(line, today)))

    return kept_each(kept_rows(), rows, key, render)


def deadline_rows(rows: Sequence[Any], today: date) -> list[Markup]:
    """Each row of `deadline_rows` (tracker.applications.deadlines) as the deadlines screen's
    table row, rendered or kept."""
    page = (current_language(), request.script_root, today)
    link = link_prefix("applications.show", "application_id")

    def key(row: Any) -> Hashable:
        return (*page, tuple(row))

    def render(row: Any) -> Markup:
        return Markup(render_template(DEADLINE_TEMPLATE, deadline=deadline_line(row, today),
                                      link=link))

    return kept_each(kept_deadline_rows(), rows, key, render)


def donor_rows(donors: Sequence[DonorRows], today: date, may_add_calls: bool) -> list[Markup]:
    """Each donor's section of the donors' list, its calls open and closed, rendered or
    kept."""
    page = (current_language(), request.script_root, today, may_add_calls)
    # A slug is [a-z0-9-] (tracker.slugs): it needs no quoting after a prefix.
    links = {"org": link_prefix("orgs.show", "slug"),
             "call": link_prefix("applications.show_call", "call_id"),
             "applications": url_for("applications.index") + "?donor="}

    def key(rows: DonorRows) -> Hashable:
        return (*page, tuple(rows.donor), *map(tuple, rows.calls))

    def render(rows: DonorRows) -> Markup:
        donor = donor_line(rows)
        return Markup(render_template(
            DONOR_TEMPLATE, donor=donor, links=links, may_add_calls=may_add_calls,
            open_calls=[call for call in donor.calls if call.deadline >= today],
            closed_calls=[call for call in donor.calls if call.deadline < today]))

    return kept_each(kept_donor_rows(), donors, key, render)

