"""A History's lines rendered once and kept (issue 15), as other lists keep their rows.

A line shows an event (append-only: it never changes), told by describe() in the reader's
language with their rights: its sentence already says whatever could change how the event
reads (a record's name today, an erasure, a value hidden from this reader). So a line is
kept under a key of everything it shows: the event's id and time, its sentence, whether it
links to details and to its record, and the language of its labels and time. A change to
any of them is a new key; an old line can never be shown for a new state.

The Details link carries the reader's pass (tracker/audit/views.py), different for each
page: it is cut out of the kept line and filled in for each request (fragments.Holed).
"""

from __future__ import annotations

from collections.abc import Hashable

from flask import current_app
from markupsafe import Markup

from tracker.audit.display import EventView
from tracker.fragments import Holed, digest, kept_each, kept_store
from tracker.i18n import current_language

STORE = "tracker.audit.history_lines"
# A few pages of each record's History and of the audit screen, in each language.
STORE_SIZE = 4_096
# What stands for the pass while a line is rendered: long, random-looking, never content.
PLACEHOLDER = "historypass0123456789abcdefHOLE"
RULES = {"create": "border-success", "update": "border-primary", "delete": "border-danger",
         "view": "border-secondary", "export": "border-warning", "erase": "border-dark"}


def rendered_lines(views: list[EventView], *, record_links: bool,
                   details_pass: str | None) -> list[Markup]:
    """Each event's line, kept or rendered, with this request's pass in its Details link."""
    language = current_language()
    template = current_app.jinja_env.get_template("audit/_history_line.html")
    with_pass = details_pass is not None

    def key_of(view: EventView) -> Hashable:
        event = view.event
        return digest(event.id, event.occurred_at, event.action.value, event.record_type,
                      event.record_id, view.sentence, view.has_details, view.unreadable,
                      record_links, with_pass, language)

    def render(view: EventView) -> Holed:
        html = template.render(item=view, rule=RULES[view.event.action.value],
                               record_links=record_links,
                               details_pass=PLACEHOLDER if with_pass else None)
        return Holed.cut(html, {"pass": PLACEHOLDER})

    lines = kept_each(kept_store(STORE, STORE_SIZE), views, key_of, render)
    values = {"pass": details_pass or PLACEHOLDER}
    return [line.fill(values) for line in lines]
