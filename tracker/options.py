"""A filter's <option>s, written once and kept while its choices read the same (issue 15).

The applications list's filter offers every campaign (a thousand at 1,000 campaigns) and
every donor, and the drives list's every campaign with a drive: writing their options on
every view was the largest part of those pages' rendering once their rows were kept. The
options are written for the choices as read in this request (each a value and a label in
the reader's language) and kept under exactly those choices, so a renamed, added or removed
choice changes the key and a kept list of options can never be stale. The option chosen in
this request is marked in the kept text where its value stands: values are slugs or ids,
each unique within its select.

A long list of choices need not even be read to key its options: `versioned_option_list`
keys them by the stored version of what they show (tracker.versions, bumped by every write
that may change a choice) and the reader's language, and reads the choices only when no
options are kept under it (the applications list's campaigns and donors: reading and
building a thousand campaigns' choices was half of that page).

Kept in memory per process (tracker.fragments), at most OPTIONS_KEPT lists of options.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from markupsafe import Markup, escape

from tracker.fragments import KeptFragments, kept, kept_store
from tracker.i18n import current_language
from tracker.versions import Version, version_now

EXTENSION = "tracker.options"
# A few selects in two languages, and their versions while choices change.
OPTIONS_KEPT = 64


def kept_options_store() -> KeptFragments[Markup]:
    """The application's kept lists of options (one store per app, created on first use)."""
    return kept_store(EXTENSION, OPTIONS_KEPT)


def option_list(choices: Sequence[tuple[str, str]], selected: str | None = None) -> Markup:
    """The <option> of each (value, label) choice, in order, the `selected` value's marked."""
    choices = tuple(choices)
    return _marked(kept(kept_options_store(), lambda: choices, lambda: _written(choices)),
                   selected)


def versioned_option_list(select: str, name: str, version: Version | None,
                          choices_of: Callable[[], Sequence[tuple[str, str]]],
                          selected: str | None = None) -> Markup:
    """The <option>s of the `select` (its name among the kept lists) of the choices
    `choices_of` reads, kept under the stored version `name` as read for this request
    (`version`) and the language: read and written only when no options are kept under
    them. With no stored version, keyed by the choices themselves."""
    if version is None:
        return option_list(choices_of(), selected)
    shown: tuple[Hashable, ...] = ("versioned", select, name, current_language())
    unread = [version]

    def key() -> Hashable:
        # The version read for the request, then (after a writing) as stored now: choices read
        # after a write that bumped it are never kept under the version before.
        return (*shown, unread.pop() if unread else version_now(name))

    return _marked(kept(kept_options_store(), key, lambda: _written(tuple(choices_of()))),
                   selected)


def _marked(written: Markup, selected: str | None) -> Markup:
    if not selected:
        return written
    value = f'<option value="{escape(selected)}">'
    return Markup(str(written).replace(value, value[:-1] + " selected>", 1))


def _written(choices: tuple[tuple[str, str], ...]) -> Markup:
    return Markup("").join(Markup('<option value="{}">{}</option>').format(value, label)
                           for value, label in choices)
