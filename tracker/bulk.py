"""Writing many rows at once: COPY on PostgreSQL, executemany on SQLite.

The one bulk writer of the app: the pledge importer and the benchmark generator use it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows (all with the same keys): COPY on PostgreSQL, executemany on SQLite.

    Each value goes through its column's own bind processor, as in any SQLAlchemy
    statement; only the per-row statement machinery is skipped. psycopg's executemany
    sends one INSERT per row (about 5,000 rows a second here); COPY is many times faster.
    """
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    pairs = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
             for name in names]
    values = [[row[name] if process is None else process(row[name]) for name, process in pairs]
              for row in rows]
    preparer = dialect.identifier_preparer
    target = f"{preparer.format_table(table)} ({', '.join(preparer.quote(n) for n in names)})"
    cursor = connection.connection.cursor()
    try:
        if dialect.name == "postgresql":
            with cursor.copy(f"COPY {target} FROM STDIN") as copy:  # type: ignore[attr-defined]
                for value in values:
                    copy.write_row(value)
        else:
            cursor.executemany(f"INSERT INTO {target} VALUES ({', '.join('?' * len(names))})",
                               values)
    finally:
        cursor.close()
