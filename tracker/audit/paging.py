"""One page of audit events, with what a pager needs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask import request

from tracker.audit.models import AuditEvent

# A record page's History shows this many newest events, then "Show all N changes".
RECORD_HISTORY_LATEST = 5


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, with what a pager needs."""

    items: list[AuditEvent]
    page: int
    per_page: int
    total: int
    # True when counting stopped at a cap: there are more events than `total` says.
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page), self.page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or self.more

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, edge: int = 2, around: int = 2) -> Iterator[int | None]:
        """Page numbers for a pager: the ends and those around the current page, None a gap."""
        previous = 0
        for number in range(1, self.pages + 1):
            near = abs(number - self.page) <= around
            if number <= edge or number > self.pages - edge or near:
                if previous and number - previous > 1:
                    yield None
                yield number
                previous = number


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
        items, total, more = events.items, events.total, events.more
    else:
        items = list(events)
        total, more = len(items), False
    cut = bool(latest) and request.args.get(param) is None and (total > latest or more)
    return ShownHistory(items[:latest] if cut else items, cut)
