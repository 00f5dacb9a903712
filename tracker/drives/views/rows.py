"""The staff drive page's pledge rows and awaiting rows, rendered once and kept for as long
as what they show holds (issue 15).

Each page lists 25 pledges and up to 25 pledges awaiting confirmation, every row a date, a
pledger, amounts, a status or contacts, and the awaiting rows two forms: rendering them was
the largest part of the page's rendering that is the same from view to view. The pledges are
read for the page anyway (as the columns the rows show: selectors.ShownPledge), so each row
is kept under a key made of exactly what it shows, as read in this request: the language,
the application's root path and the drive's slug (its links), the drive's currency (a
column's label), whether the reader may see contacts (the pledger's name on an anonymous
pledge, the e-mail and the message) and may log pledges (the checkbox and the forms), and
the pledge's columns the row reads (its version too, but not only: a bare UPDATE leaves it).
Another name, amount, payment, status, contact, reader's rights or language changes the key,
so a kept row can never show a stale value.

An awaiting row's forms hold the request's CSRF token: that row is kept with the token cut
out (tracker.fragments.Holed) and filled in with this request's.

Kept in memory per process (tracker.fragments), at most PLEDGE_ROWS_KEPT and
AWAITING_ROWS_KEPT rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from flask import render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from tracker.drives.models import Drive, Pledge
from tracker.drives.selectors import ShownPledge
from tracker.fragments import Holed, KeptFragments, kept_each, kept_store
from tracker.i18n import current_language

PLEDGE_TEMPLATE = "drives/_pledge_row.html"
AWAITING_TEMPLATE = "drives/_awaiting_row.html"
PLEDGE_ROWS = "tracker.drives.pledge_rows"
AWAITING_ROWS = "tracker.drives.awaiting_rows"
# The pages people look at (a drive's first few, in either language and either set of
# rights) with room for the rows changed since, a few megabytes a process (rows of about
# 1 KB); awaiting pledges are a drive's few.
PLEDGE_ROWS_KEPT = 4_096
AWAITING_ROWS_KEPT = 1_024


def kept_pledge_rows() -> KeptFragments[Markup]:
    """The application's kept pledge rows (one store per app, created on first use)."""
    return kept_store(PLEDGE_ROWS, PLEDGE_ROWS_KEPT)


def kept_awaiting_rows() -> KeptFragments[Holed]:
    """The application's kept awaiting rows, their token cut out (created on first use)."""
    return kept_store(AWAITING_ROWS, AWAITING_ROWS_KEPT)


def _pledge_columns(pledge: Pledge | ShownPledge) -> tuple[object, ...]:
    """The pledge's columns that either row shows, as loaded."""
    return (pledge.id, pledge.version, pledge.updated_at, pledge.status, pledge.pledged_on,
            pledge.pledger_name, pledge.is_anonymous, pledge.amount_minor, pledge.currency,
            pledge.drive_amount_minor, pledge.drive_amount_currency, pledge.paid_minor)


def pledge_rows(drive: Drive, pledges: Sequence[Pledge | ShownPledge],
                personal_data: bool) -> list[Markup]:
    """Each pledge's row of the pledges table, rendered or taken from the kept rows."""
    store = kept_pledge_rows()
    page = (current_language(), request.script_root, drive.slug, drive.currency, personal_data)

    def key(pledge: Pledge | ShownPledge) -> Hashable:
        return (*page, *_pledge_columns(pledge))

    def render(pledge: Pledge | ShownPledge) -> Markup:
        return Markup(render_template(PLEDGE_TEMPLATE, drive=drive, item=pledge,
                                      personal_data=personal_data))

    return kept_each(store, pledges, key, render)


def awaiting_rows(drive: Drive, pledges: Sequence[Pledge | ShownPledge], personal_data: bool,
                  may_log: bool) -> list[Markup]:
    """Each awaiting pledge's row, rendered or taken from the kept rows (its forms' token cut
    out and filled in with this request's)."""
    store = kept_awaiting_rows()
    values = {"csrf": generate_csrf()} if may_log else {}
    page = (current_language(), request.script_root, drive.slug, personal_data, may_log)

    def key(pledge: Pledge | ShownPledge) -> Hashable:
        return (*page, *_pledge_columns(pledge), pledge.contact_email, pledge.message)

    def render(pledge: Pledge | ShownPledge) -> Holed:
        html = render_template(AWAITING_TEMPLATE, drive=drive, item=pledge,
                               personal_data=personal_data, may_log=may_log,
                               csrf=values.get("csrf", ""))
        return Holed.cut(html, values) if values else Holed((html,), ())

    return [row.fill(values) for row in kept_each(store, pledges, key, render)]
