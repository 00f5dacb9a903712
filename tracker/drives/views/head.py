"""The top of the staff drive page, rendered once and kept for as long as what it shows holds
(issue 15).

Above its folded lists the page shows the breadcrumb, the drive's titles, status and public
flag, the actions the reader may take (the status moves' forms), the progress bar with its
figures, the purpose and the drive's details (campaign, organiser, dates, goal, the public
link and the embed code): about half of the page's rendering, and the same from view to view
until the drive, its roll-up, its campaign or its organiser changes. It is kept under a key
made of exactly what it can show, as loaded in this request: the language, the application's
root path (its links), the error shown, the reader's rights (may edit, may log), every column
of the drive, its roll-up row, its campaign and its organiser, the figures (which hold
today's days left and days to start) and the embed code. A change of any of them changes the
key, so a kept head can never show a stale value; `kept` stores what it rendered only when
the key reads the same afterwards, so a column first loaded while rendering is never missing
from the key it is kept under.

A drive whose totals leave amounts out for want of a rate lists them in its head (each
conversion's pledge, payment, currencies and date, read on every view): they are part of
the key too.

The status moves' forms hold the request's CSRF token: the head is kept with it cut out
(tracker.fragments.Holed) and filled in with this request's. Kept in memory per process
(tracker.fragments), at most HEADS_KEPT heads.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from flask import render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import inspect

from tracker.drives.models import Drive
from tracker.drives.selectors import DriveFigures, MissingRate
from tracker.fragments import Holed, KeptFragments, digest, kept_store, kept_with_holes
from tracker.i18n import current_language

HEAD_TEMPLATE = "drives/_head.html"
HEADS = "tracker.drives.heads"
# A drive's head in either language, for either set of rights, with and without an error:
# a few KB each, for the drives people open.
HEADS_KEPT = 1_024


def kept_heads() -> KeptFragments[Holed]:
    """The application's kept heads, their token cut out (created on first use)."""
    return kept_store(HEADS, HEADS_KEPT)


def _columns(record: Any) -> tuple[object, ...]:
    """Every column of a record as loaded now (a marker for one not loaded: never a load)."""
    if record is None:
        return ()
    state = inspect(record)
    return tuple(state.dict.get(attr.key, _NOT_LOADED) for attr in state.mapper.column_attrs)


class _NotLoaded:
    def __reduce__(self) -> str:
        return "_NOT_LOADED"


_NOT_LOADED = _NotLoaded()


def drive_head(drive: Drive, figures: DriveFigures, missing: Sequence[MissingRate], *,
               error: str | None, may_edit: bool, may_log: bool, embed_code: str) -> Markup:
    """The top of the drive's page, rendered or taken from the kept heads (its forms' token
    cut out and filled in with this request's)."""
    values = {"csrf": generate_csrf()}

    # What the list of conversions lacking a rate shows: the pledge linked, and the message
    # made of the currencies and the date (the payment too, though only its pledge shows).
    shown_missing = tuple((item.pledge_id, item.payment_id, item.base, item.quote, item.on)
                          for item in missing)

    def key() -> Hashable:
        return digest(current_language(), request.script_root, error, may_edit, may_log,
                      _columns(drive), _columns(drive.totals), _columns(drive.campaign),
                      _columns(drive.organiser), figures, shown_missing, embed_code)

    def render() -> str:
        return render_template(HEAD_TEMPLATE, drive=drive, figures=figures, missing=missing,
                               error=error, may_edit=may_edit, may_log=may_log,
                               embed_code=embed_code)

    return kept_with_holes(kept_heads(), key, render, values)
