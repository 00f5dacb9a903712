"""One page of a list, with what a pager needs: the one pager every list screen shares.

Every list screen reads its rows a page at a time through `page_of`, which counts in SQL
and shows the last page for a page number past the end (a bookmarked page 40 of a list
that shrank still shows rows); templates/_pages.html draws the count and the links.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Executable, Select, func, select

from tracker.extensions import db

Item = TypeVar("Item")

PER_PAGE = 50


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a list in its order, with the total and what a pager needs."""

    items: list[Item]
    page: int
    per_page: int
    total: int
    # True when counting stopped at a cap: there are more items than `total` says.
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

    @property
    def first_shown(self) -> int:
        """The position in the whole list of the page's first item (0 on an empty page)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_shown(self) -> int:
        """The position in the whole list of the page's last item (0 on an empty page)."""
        return self.first_shown + len(self.items) - 1 if self.items else 0

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


def last_page(total: int, per_page: int) -> int:
    """The number of the last page of `total` items (1 for an empty list)."""
    return max(1, -(-total // per_page))


def count_of(query: Select[Any]) -> int:
    """How many rows the query gives, counted by the database."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def page_of_statements(count: Executable, rows: Executable, values: dict[str, Any], page: int,
                       per_page: int) -> Page[Any]:
    """One page read by statements built once: `count` and `rows` take `values`, and `rows`
    also `limit` and `offset`; a page number past the end gives the last page."""
    total = db.session.scalar(count, values) or 0
    page = min(max(1, page), last_page(total, per_page))
    items = list(db.session.execute(
        rows, {**values, "limit": per_page, "offset": (page - 1) * per_page}))
    return Page(items=items, page=page, per_page=per_page, total=total)


def page_of(query: Select[Any], page: int, per_page: int = PER_PAGE, *,
            total: int | None = None, rows: bool = False) -> Page[Any]:
    """Count in SQL (unless `total` is known), then fetch one page; past the end, the last one.

    The query must have a total order (end it with the primary key) so that a row is on
    exactly one page. `rows` fetches whole result rows instead of the first column.
    """
    if total is None:
        total = count_of(query)
    page = min(max(1, page), last_page(total, per_page))
    limited = query.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(limited)
    items = list(result.all() if rows else result.scalars())
    return Page(items=items, page=page, per_page=per_page, total=total)


# A long list's count stops here: past it, "more than 2,000" and a pager that goes on.
COUNT_CAP = 2000


def capped_page_of(query: Select[Any], page: int, per_page: int = PER_PAGE, *,
                   cap: int | None = None, count_order: Sequence[Any] | None = None
                   ) -> Page[Any]:
    """One page of a list that grows without end (the audit trail, daily rates), at the same
    cost at any length: counts at most `cap` rows (then `more` is true and the pager offers
    the next page while there is one) and reads the page by its index, which must match the
    query's order. A page past the end shows the last page the count reached.

    `count_order`: the index's own order, when the query's sorts further (by text columns,
    which PostgreSQL sorts slowly) than the count needs to stay on the index.
    """
    cap = COUNT_CAP if cap is None else cap
    counted_rows = query.with_only_columns(*query.selected_columns[:1])
    if count_order is not None:
        counted_rows = counted_rows.order_by(None).order_by(*count_order)
    counted = counted_rows.limit(cap + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(counted)) or 0
    more = total > cap
    total = min(total, cap)
    if not more:
        page = min(max(1, page), last_page(total, per_page))
    page = max(1, page)
    items = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
    if not items and page > 1:
        return capped_page_of(query, last_page(total, per_page), per_page, cap=cap)
    if more and len(items) <= per_page:  # the last page: now the whole count is known
        total, more = (page - 1) * per_page + len(items), False
    return Page(items=items[:per_page], page=page, per_page=per_page, total=total, more=more)
