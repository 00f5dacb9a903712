"""Stored versions of what is costly to read and rarely written (issue 15): one row a name.

- `currencies`: the set of currencies in use may have changed (a currency column of a drive,
  funding target, application or grant award, or any exchange rate, was written);
- `rates`: an exchange rate was written (added, changed or deleted);
- `choices`: what the lists' filters offer may have changed: a campaign was added or
  removed, or its slug, a title or its lead changed; a focus country or a partner was
  written; an organisation was added or removed, or its slug, a name, its kind or its country
  changed (the applications list's campaigns and donors, the campaigns list's countries).
  One row for all three: every write to them takes that one row, so two writers never take
  rows of it in opposite orders; and they are written seldom enough that a write of one
  throwing all three filters away costs a rendering or two.

Pages keep what they render under a key, and the coalition's currency list is worked out
once a process: their keys read these rows (one indexed read) instead of walking the rates'
index and the currency columns, and stay exact however rates and currencies are written:

- Every write bumps in its own transaction, from one Core hook (`after_execute` on every
  Engine): the ORM's flushes, ORM bulk statements and Core statements on a connection all
  pass through it, so no service has to remember to. Writes that bypass SQLAlchemy's
  statements (a COPY) call `bump_for_table` themselves (tracker.bulk).
- A bump is `n = n + 1`, an upsert, so concurrent writers queue on the row and each adds one.
  It also draws a random `stamp`: a version that a rolled-back transaction saw (its own
  bump, undone) is never met again, so a list worked out inside it, kept under that version,
  can never be taken for a later writer's. A key uses both.
- A rate write bumps `currencies` as well (its pair may be new or gone), always before
  `rates` (names in sorted order, in one statement): every transaction takes the two rows
  in the same order, so two writers never wait for each other.
- A missing row (a database emptied without its versions) is no version: whoever reads it
  renders and keeps nothing.
- Migrations run with `UNVERSIONED` on their connection: before 0022 there is no row to
  bump, and no process keeps anything across a migration anyway.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import BigInteger, Connection, String, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.dml import Delete, Insert, Update, UpdateBase

from tracker.db import Base
from tracker.extensions import db

CURRENCIES = "currencies"
RATES = "rates"
CHOICES = "choices"

# Where the coalition's money is: the currencies of these columns, and both ends of every
# exchange rate, are offered first (tracker.forms.coalition_currencies).
CURRENCY_COLUMNS = (("drive", "currency"), ("funding_target", "currency"),
                    ("application", "currency"), ("grant_award", "currency"))

# A table's writes and the versions they bump: name -> the columns whose update bumps it
# (None: any write). An insert or a delete bumps every name of its table.
WATCHED: dict[str, dict[str, frozenset[str] | None]] = {
    **{table: {CURRENCIES: frozenset({column})} for table, column in CURRENCY_COLUMNS},
    "exchange_rate": {CURRENCIES: None, RATES: None},
    # Only the columns a filter shows: a campaign's or organisation's other columns are
    # written often enough (edits of summaries, dates) not to throw the filters away each time.
    "campaign": {CHOICES: frozenset({"slug", "title_en", "title_ru", "lead_org_id"})},
    "campaign_country": {CHOICES: None},
    "campaign_partner": {CHOICES: None},
    "organization": {CHOICES: frozenset({"slug", "name_en", "name_ru", "kind", "country"})},
}

Version = tuple[int, int]

# The execution option that switches the hook off on a connection (migrations, and writes to
# a database at a revision before the versions' table).
UNVERSIONED = {"coalition_versions": False}


class CoalitionVersion(Base):
    """One stored version: how many times it was bumped, and the random stamp of the last."""

    __tablename__ = "coalition_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    stamp: Mapped[int] = mapped_column(BigInteger, default=0)


def new_stamp() -> int:
    """A random stamp for a bump: 62 bits, a BIGINT on every database."""
    return secrets.randbits(62)


def bump(connection: Connection, names: Iterable[str]) -> None:
    """Add one to each named version, in the caller's transaction (created if missing)."""
    table = CoalitionVersion.__table__
    rows = [{"name": name, "n": 1, "stamp": new_stamp()} for name in sorted(set(names))]
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(rows)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[table.c.name],
        set_={"n": table.c.n + 1, "stamp": statement.excluded.stamp}))


def bump_for_table(connection: Connection, table: str) -> None:
    """Bump what a write of any of the table's rows may change (for writes that no
    statement hook sees: a COPY)."""
    bump(connection, WATCHED.get(table, {}))


def _names_written(statement: UpdateBase, compiled: Any) -> set[str]:
    """The versions a DML statement on a watched table changes; empty for other tables."""
    watched = WATCHED.get(getattr(getattr(statement, "table", None), "name", ""))
    if not watched:
        return set()
    if isinstance(statement, Insert | Delete):
        return set(watched)
    # An update: the columns it sets are the compiled parameters' keys (the ORM's flush and
    # executemany) and the statement's own values (update(...).values(...)).
    written = set(getattr(compiled, "column_keys", None) or ())
    for values in (getattr(statement, "_values", None), getattr(statement, "_ordered_values",
                                                                  None)):
        if values:
            pairs = values.items() if isinstance(values, Mapping) else values
            written |= {str(getattr(key, "key", key)) for key, _value in pairs}
    return {name for name, columns in watched.items()
            if columns is None or columns & written}


def _after_execute(connection: Connection, statement: Any, _multiparams: Any, _params: Any,
                   _options: Any, result: Any) -> None:
    if not isinstance(statement, Insert | Update | Delete):
        return  # the usual case, first: a SELECT, or a driver string
    if not connection.get_execution_options().get("coalition_versions", True):
        return
    names = _names_written(statement, getattr(result.context, "compiled", None))
    if names:
        bump(connection, names)


def install_version_hooks() -> None:
    """Bump the versions from every Engine's statements; safe to call more than once."""
    if not event.contains(Engine, "after_execute", _after_execute):
        event.listen(Engine, "after_execute", _after_execute)


def read_versions(names: Iterable[str]) -> dict[str, Version]:
    """The stored versions of the names (one indexed read); a missing one is left out."""
    table = CoalitionVersion.__table__
    rows = db.session.execute(select(table.c.name, table.c.n, table.c.stamp)
                              .where(table.c.name.in_(sorted(set(names)))))
    return {name: (n, stamp) for name, n, stamp in rows}


def version_columns(name: str) -> tuple[Any, Any]:
    """The stored version of the name as two scalar subqueries (its count and its stamp), for
    a statement that reads it with what it reads anyway: a round trip fewer."""
    table = CoalitionVersion.__table__
    n, stamp = (select(column).where(table.c.name == name).scalar_subquery()
                .label(f"{name}_{column.name}") for column in (table.c.n, table.c.stamp))
    return n, stamp


def version_of(n: int | None, stamp: int | None) -> Version | None:
    """The version read as version_columns' two values; None for a missing row."""
    return None if n is None or stamp is None else (n, stamp)


def version_now(name: str) -> Version | None:
    """The stored version of one name as it reads now; None for a missing row."""
    return read_versions([name]).get(name)


def version_key(*names: str) -> tuple[Version, ...] | None:
    """The versions of the names in that order, for a key; None when any is missing."""
    found = read_versions(names)
    if any(name not in found for name in names):
        return None
    return tuple(found[name] for name in names)
