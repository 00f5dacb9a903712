"""A filter's <option>s, written once and kept while its choices read the same (issue 15).

The applications list's filter offers every campaign (a thousand at 1,000 campaigns) and
every donor, and the drives list's every campaign with a drive: writing their options on
every view was the largest part of those pages' rendering once their rows were kept. The
options are written for the choices as read in this request (each a value and a label in
the reader's language) and kept under exactly those choices, so a renamed, added or removed
choice changes the key and a kept list of options can never be stale. The option chosen in
this request is marked in the kept text where its value stands: values are slugs or ids,
each unique within its select.

Kept in memory per process (tracker.fragments), at most OPTIONS_KEPT lists of options.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from tracker.fragments import KeptFragments, kept, kept_store

EXTENSION = "tracker.options"
# A few selects in two languages, and their versions while choices change.
OPTIONS_KEPT = 64


def kept_options_store() -> KeptFragments[Markup]:
    """The application's kept lists of options (one store per app, created on first use)."""
    return kept_store(EXTENSION, OPTIONS_KEPT)


def option_list(choices: Sequence[tuple[str, str]], selected: str | None = None) -> Markup:
    """The <option> of each (value, label) choice, in order, the `selected` value's marked."""
    choices = tuple(choices)
    written = kept(kept_options_store(), lambda: choices, lambda: _written(choices))
    if not selected:
        return written
    value = f'<option value="{escape(selected)}">'
    return Markup(str(written).replace(value, value[:-1] + " selected>", 1))


def _written(choices: tuple[tuple[str, str], ...]) -> Markup:
    return Markup("").join(Markup('<option value="{}">{}</option>').format(value, label)
                           for value, label in choices)
