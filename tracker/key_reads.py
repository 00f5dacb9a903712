"""Many kept fragments' keys read by one statement (issue 15).

A page that keeps several fragments (tracker.fragments) read each one's key with a statement
of its own: the dashboard five, the campaign page six, each a round trip, a plan and a result
to process, most of what a page with every fragment kept still cost. Here each key's read is
one part of a single `UNION ALL`, every column cast to text (the parts' columns differ in
number and type), so that one statement reads them all:

- `KeyRead.of(*parts)` builds the statement once; each part is any SELECT, bound parameters
  and all (their names must not clash across parts), wrapped whole as a subquery so that its
  own ORDER BY and LIMIT choose its rows exactly as when it ran alone.
- `KeyRead.read(params)` runs it and gives each part's rows as tuples: the part's number,
  then its columns as text (None for NULL), in the order the database returns them. That
  order is not sorted (sorting every column cost more than the rest of the read): the same
  rows read by the same plan come back alike, and rows that come back in another order only
  miss the kept fragment, never hit a wrong one. A part's rows must therefore hold whatever
  decides the order its fragment shows them in (a list's sort columns), so that the same
  rows always mean the same fragment.

Text is as exact for a key as the values it stands for: two different stored values never
cast to the same text (integers, dates, times, strings, JSON as stored), so equal texts mean
equal values, and a kept fragment still can never show a stale figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CompoundSelect, Select, Text, cast, literal_column, null, union_all

from tracker.extensions import db

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class KeyRead:
    """One statement reading several keys' parts, and each part's column names."""

    statement: CompoundSelect
    names: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, *parts: Select[Any]) -> KeyRead:
        """The one statement of these parts (build it once: it is long to build)."""
        subqueries = [part.subquery() for part in parts]
        width = max(len(sub.c) for sub in subqueries)
        selects: list[Select[Any]] = []
        for number, sub in enumerate(subqueries):
            columns = [cast(column, Text) for column in sub.c]
            padding = [cast(null(), Text)] * (width - len(columns))
            selects.append(Select(literal_column(str(number)).label("part"), *(
                column.label(f"c{at}") for at, column in enumerate([*columns, *padding]))))
        return cls(union_all(*selects), tuple(tuple(sub.c.keys()) for sub in subqueries))

    def read(self, params: Mapping[str, Any] | None = None) -> list[Rows]:
        """Each part's rows, as text, in the order of the parts. A row keeps its part's
        number first and the padding after its own columns: constant for the part, they
        cost a key nothing, where cutting them off cost a call a row."""
        parts: list[Rows] = [[] for _ in self.names]
        for row in db.session.execute(self.statement, dict(params or {})):
            values = tuple(row)
            parts[values[0]].append(values)
        return parts

    def column(self, part: int, name: str) -> int:
        """Where the named column stands in a row of that part (after its number)."""
        return 1 + self.names[part].index(name)
