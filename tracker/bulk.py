"""Writing many rows at once: pipelined chunk INSERTs on PostgreSQL, executemany elsewhere.

The one bulk writer of the app: the pledge importer streams rows through `BulkWriter`
as it reads a file, and the benchmark generator calls `bulk_insert` with a list.

Rows go in on the given connection, in its transaction, but not through the ORM
session: no per-row events (audit, roll-ups) run, so callers record what the ORM
would have (one audit event for an import; tracker.changes.mark_drive_changed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import IntegrityError

from tracker.prepared import mark_written
from tracker.versions import bump_for_table

CHUNK = 5_000  # rows per executemany, and between two progress reports

Bind = Callable[[Any], Any]


class BulkWriter:
    """Streams rows (values in the order of `names`) into a table; use it as a context manager.

    Values are given as the database takes them: `bind(name)` is each column's own
    bind processor, as any SQLAlchemy statement applies it, looked up once. Rows are
    sent CHUNK at a time. PostgreSQL (psycopg) gets each chunk as one INSERT … SELECT
    FROM unnest(one array per column), in pipeline mode: the statement is sent and the
    caller goes on producing rows while the server stores the chunk and checks its
    foreign keys. Those checks are per row (PostgreSQL's RI triggers) and fire at the
    end of each statement: one COPY of the whole file left them all (2.5 s of 100,000
    pledges) to run after the last row, with Python idle. Other databases get one
    executemany per chunk. Leaving the block sends what is left and waits for the
    server, or, after an error, abandons it; `on_written(count)` hears of every chunk.
    Between the first chunk and the end the connection runs nothing else.

    `fixed` holds the values every row shares (given as Python values, bound here once):
    on PostgreSQL they are sent once a chunk, not once a row (half of a pledge's columns,
    and the arrays' dumping is most of the Python a chunk costs).
    """

    def __init__(self, connection: Connection, table: Table, names: Sequence[str], *,
                 fixed: Mapping[str, Any] | None = None, chunk: int = CHUNK,
                 on_written: Callable[[int], None] | None = None) -> None:
        self.connection = connection
        self.table = table
        self.names = list(names)
        self.fixed = [self.bind(name)(value) for name, value in (fixed or {}).items()]
        every = [*(fixed or {}), *self.names]
        self.chunk = chunk
        self.on_written = on_written
        self.written = 0
        self._reported = 0
        self._pending: list[Sequence[Any]] = []
        self._open = ExitStack()  # the pipeline and its cursor, once the first chunk goes
        self._cursor: Any = None
        # No statement hook sees a driver's executemany or pipeline: the versions of what the
        # rows may change (a drive's currency, a rate) are bumped here, in the same transaction.
        bump_for_table(connection, table.name)
        mark_written(connection)  # nor does the end of a read-only transaction (prepared)
        dialect = connection.dialect
        preparer = dialect.identifier_preparer
        self.pipelined_sql: str | None = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            columns = ", ".join(preparer.quote(name) for name in every)
            kind = {name: table.c[name].type.compile(dialect=dialect) for name in every}
            # Binary (%b): psycopg's text arrays quote each value by regex, 4 times slower.
            shared = "".join(f"%b::{kind[name]}, " for name in fixed or {})
            arrays = ", ".join(f"%b::{kind[name]}[]" for name in self.names)
            self.pipelined_sql = (f"INSERT INTO {preparer.format_table(table)} ({columns}) "
                                  f"SELECT {shared}rows.* FROM unnest({arrays}) AS rows")
        compiled = insert(table).compile(dialect=dialect, column_keys=every)
        self.sql = str(compiled)
        self._positional = bool(compiled.positional)
        order = list(compiled.positiontup or [] if self._positional else compiled.params)
        self._every = every
        self._order = [every.index(name) for name in order]

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
        self._pending.append(values)
        if len(self._pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        """Send the rows collected (one pipelined INSERT, or executemany); report the progress."""
        if self._pending:
            with self._as_integrity_error():
                if self.pipelined_sql is not None:
                    self._send_pipelined()
                else:
                    self._execute_many()
            self.written += len(self._pending)
            self._pending = []
        self._report()

    def _send_pipelined(self) -> None:
        if self._cursor is None:
            driver = self.connection.connection.driver_connection
            self._open.enter_context(driver.pipeline())  # type: ignore[union-attr]
            self._cursor = self.connection.connection.cursor()
            self._open.callback(self._cursor.close)
        # One list per column, transposed in C; psycopg sends each as an array.
        arrays = [list(column) for column in zip(*self._pending, strict=True)]
        # An error of an earlier chunk may be raised here, as the pipeline reads its results.
        self._cursor.execute(self.pipelined_sql, [*self.fixed, *arrays])

    def _execute_many(self) -> None:
        fixed = self.fixed
        rows = [[*fixed, *row] for row in self._pending] if fixed else self._pending
        if self._positional:
            # Into the statement's column order in C (a generator per row cost 1.5 s
            # for 100,000 rows of 25 columns).
            order = self._order
            pick = itemgetter(*order) if len(order) > 1 else lambda row: (row[order[0]],)
            batch: list[Any] = list(map(pick, rows))
        else:
            batch = [dict(zip(self._every, row, strict=True)) for row in rows]
        self.connection.exec_driver_sql(self.sql, batch)

    def _report(self) -> None:
        if self.on_written is not None and self.written > self._reported:
            self.on_written(self.written - self._reported)
        self._reported = self.written

    @contextmanager
    def _as_integrity_error(self) -> Iterator[None]:
        """A driver's IntegrityError as SQLAlchemy would have wrapped it: the caller handles
        one kind of error."""
        dbapi = self.connection.dialect.dbapi
        try:
            yield
        except dbapi.IntegrityError as failure:  # type: ignore[union-attr]  # a driver has one
            raise IntegrityError(self.pipelined_sql or self.sql, None, failure) from failure

    def __exit__(self, exc_type: Any, error: BaseException | None, traceback: Any) -> None:
        with self._as_integrity_error():
            if error is None:
                self.flush()
            # Ends the pipeline: waits for the server's every chunk, or abandons them after
            # an error (the caller's savepoint or transaction undoes what was stored).
            self._open.__exit__(exc_type, error, traceback)


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows (all with the same keys) through BulkWriter.

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
