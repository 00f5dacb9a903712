"""One page of audit events (the app's one pager, tracker.paging, under the audit's name),
and what a record page's History section shows of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import request

from tracker.audit.models import AuditEvent
from tracker.paging import Page

# Newest first; `more` says the count stopped at its cap (tracker.audit.queries).
EventPage = Page


@dataclass(frozen=True)
class HistoryPage(Page[AuditEvent]):
    """A page of a record's History, read with what its lines need to know besides.

    `erased`: the (record type, id) of its events whose supporter's personal data was
    erased on request (or whose parent's was), looked up by the statement that read the
    page, so that describing them needs no statement of its own (issue 15).
    """

    erased: frozenset[tuple[str, str]] = frozenset()

# A record page's History shows this many newest events, then "Show all N changes".
RECORD_HISTORY_LATEST = 5


@dataclass(frozen=True)
class ShownHistory:
    """The events a History section shows, and whether they were cut to the latest few."""

    items: list[AuditEvent]
    cut: bool


def history_shown(events: EventPage | Iterable[AuditEvent], latest: int = 0,
                  param: str = "history_page") -> ShownHistory:
    """What a History shows: the newest `latest` events unless the reader asked for a page of
    it (its pager's `param` in the address), else the whole page. The audit of who saw
    supporters' data counts these same events (drives.views.common)."""
    if isinstance(events, EventPage):
        items, total, more = list(events.items), events.total, events.more
    else:
        items = list(events)
        total, more = len(items), False
    cut = bool(latest) and request.args.get(param) is None and (total > latest or more)
    return ShownHistory(items[:latest] if cut else items, cut)
