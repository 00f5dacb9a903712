"""Writing many rows at once: one COPY on PostgreSQL, executemany in chunks elsewhere.

The one bulk writer of the app: the pledge importer streams rows through `BulkWriter`
as it reads a file, and the benchmark generator calls `bulk_insert` with a list.

Rows go in on the given connection, in its transaction, but not through the ORM
session: no per-row events (audit, roll-ups) run, so callers record what the ORM
would have (one audit event for an import; tracker.changes.mark_drive_changed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import IntegrityError

from tracker.versions import bump_for_table

CHUNK = 5_000  # rows per executemany, and between two progress reports

Bind = Callable[[Any], Any]


class BulkWriter:
    """Streams rows (values in the order of `names`) into a table; use it as a context manager.

    Values are given as the database takes them: `bind(name)` is each column's own
    bind processor, as any SQLAlchemy statement applies it, looked up once. PostgreSQL
    (psycopg) gets every row through one COPY that stays open while the caller produces
    rows, so that the server stores rows while Python reads the next ones: its driver's
    executemany sends one INSERT per row (13 s for 100,000 here, against 5). Other
    databases get one executemany per CHUNK rows. Leaving the block sends what is
    left, or, after an error, abandons it; `on_written(count)` hears of every chunk.
    The COPY opens with the first row: the connection runs nothing else until it ends.
    """

    def __init__(self, connection: Connection, table: Table, names: Sequence[str], *,
                 chunk: int = CHUNK, on_written: Callable[[int], None] | None = None) -> None:
        self.connection = connection
        self.table = table
        self.names = list(names)
        self.chunk = chunk
        self.on_written = on_written
        self.written = 0
        self._reported = 0
        self._pending: list[Sequence[Any]] = []
        self._open = ExitStack()  # the COPY and its cursor, once the first row comes
        # No statement hook sees a COPY or a driver's executemany: the versions of what the
        # rows may change (a drive's currency, a rate) are bumped here, in the same transaction.
        bump_for_table(connection, table.name)
        self._copy: Any = None
        dialect = connection.dialect
        preparer = dialect.identifier_preparer
        self.copy_sql: str | None = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            columns = ", ".join(preparer.quote(name) for name in self.names)
            self.copy_sql = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"
        compiled = insert(table).compile(dialect=dialect, column_keys=self.names)
        self.sql = str(compiled)
        self._positional = bool(compiled.positional)
        order = list(compiled.positiontup or [] if self._positional else compiled.params)
        self._order = [self.names.index(name) for name in order]

    def bind(self, name: str, *, memoised: bool = False) -> Bind:
        """The column's bind processor (identity when it has none).

        Memoised, each distinct value is processed once: for dates, flags and rates,
        which repeat across rows.
        """
        dialect = self.connection.dialect
        process = self.table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            return lambda value: value
        if not memoised:
            return process
        done: dict[Any, Any] = {None: None}

        def processed(value: Any) -> Any:
            found = done.get(value, done)
            if found is done:
                found = done[value] = process(value)
            return found

        return processed

    def __enter__(self) -> BulkWriter:
        return self

    def write(self, values: Sequence[Any]) -> None:
        """Send one row, its values already bound, in the order of `names`."""
        if self.copy_sql is not None:
            if self._copy is None:
                cursor = self.connection.connection.cursor()
                self._open.callback(cursor.close)
                self._copy = self._open.enter_context(
                    cursor.copy(self.copy_sql))
            self._copy.write_row(values)
            self.written += 1
            if self.written - self._reported >= self.chunk:
                self._report()
            return
        self._pending.append(values)
        if len(self._pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        """Run the INSERT for the rows collected (executemany); report the progress."""
        if self.copy_sql is None and self._pending:
            if self._positional:
                # Into the statement's column order in C (a generator per row cost 1.5 s
                # for 100,000 rows of 25 columns).
                order = self._order
                pick = itemgetter(*order) if len(order) > 1 else lambda row: (row[order[0]],)
                batch: list[Any] = list(map(pick, self._pending))
            else:
                batch = [dict(zip(self.names, row, strict=True)) for row in self._pending]
            self.connection.exec_driver_sql(self.sql, batch)
            self.written += len(self._pending)
            self._pending = []
        self._report()

    def _report(self) -> None:
        if self.on_written is not None and self.written > self._reported:
            self.on_written(self.written - self._reported)
        self._reported = self.written

    def __exit__(self, exc_type: Any, error: BaseException | None, traceback: Any) -> None:
        dbapi = self.connection.dialect.dbapi
        try:
            if error is None:
                self.flush()
            # Ends the COPY: sent rows are checked by the server, or abandoned after an error.
            self._open.__exit__(exc_type, error, traceback)
        except dbapi.IntegrityError as failure:  # type: ignore[union-attr]  # a driver has one
            # As SQLAlchemy would have wrapped it: the caller handles one kind of error.
            raise IntegrityError(self.copy_sql or self.sql, None, failure) from failure


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows (all with the same keys): COPY on PostgreSQL, executemany elsewhere.

    Each value goes through its column's own bind processor, as in any SQLAlchemy
    statement; only the per-row statement machinery is skipped.
    """
    if not rows:
        return
    names = list(rows[0])
    with BulkWriter(connection, table, names) as writer:
        binds = [(name, writer.bind(name)) for name in names]
        for row in rows:
            writer.write([bind(row[name]) for name, bind in binds])
