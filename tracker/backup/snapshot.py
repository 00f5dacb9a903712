"""The database side of a backup: one consistent snapshot taken while the app writes, and
loading it into an empty database.

PostgreSQL: a REPEATABLE READ, read-only transaction exports its snapshot
(pg_export_snapshot), and `pg_dump --snapshot` dumps exactly that snapshot while the
manifest's counts and totals are read in the exporting transaction itself. Both see the
same committed rows, to the last pledge, and neither blocks a writer (MVCC); pg_dump's
ACCESS SHARE locks only hold off schema changes meanwhile. Recounting from the dump
instead would need a scratch database at every backup; counting in a second transaction
after the dump would describe another moment.

SQLite: the online backup API copies the whole file in one step, that is inside one read
transaction, so the copy is one moment even while writers commit (in WAL mode they go
on; a copy made page by page in several steps would restart whenever one wrote). The
counts are then read from the copy. A plain `cp` of the file misses what still sits in
the -wal file: committed pledges lost, and an integrity check that still says ok.

pg_dump and pg_restore get the connection from the configured URL without its driver
(`+psycopg`) and without its password: that goes in PGPASSWORD, since every user of the
machine can read a process's command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tracker.backup.errors import BackupError
from tracker.extensions import db

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
# How long a SQLite connection waits for a lock before giving up (the app's writers hold
# it for milliseconds; a checkpoint a little longer).
SQLITE_TIMEOUT_SECONDS = 30
SHOWN_OBJECTS = 20  # how many of a non-empty database's tables a refusal names


def backend_of(url: URL) -> str:
    """'postgresql' or 'sqlite'; BackupError for any other database."""
    name = url.get_backend_name()
    if name not in (POSTGRESQL, SQLITE):
        raise BackupError(_("Backups support PostgreSQL and SQLite, not %(backend)s.",
                            backend=name))
    return name


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq URI of the database without its password, and the environment carrying it."""
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    uri = plain.render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def sqlite_path(url: URL) -> Path:
    """The file of a SQLite URL; BackupError for an in-memory database."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(_("The SQLite database must be a file to be backed up or restored."))
    return Path(url.database)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(_("%(tool)s was not found: install the PostgreSQL client programs "
                            "(Debian: postgresql-client, of the server's major version or "
                            "newer).", tool=name))
    return path


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    """Run a PostgreSQL client program; BackupError with its own message if it fails."""
    with tempfile.TemporaryFile() as errors:
        returncode = subprocess.run(command, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=errors,
                                    check=False).returncode
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    if returncode != 0:
        raise BackupError(_("%(what)s failed: %(message)s", what=what, message=message))


# --- taking a snapshot -------------------------------------------------------------------


@contextmanager
def postgresql_snapshot(engine: Engine, dump: Path) -> Iterator[Connection]:
    """Dump the database into `dump` (pg_dump's custom format) and yield a connection
    reading the very snapshot dumped, for the manifest; the dump is complete on exit."""
    uri, env = libpq_target(engine.url)
    command = [_tool("pg_dump"), "--format=custom", "--compress=0", "--no-password",
               "--file", str(dump), "--dbname", uri]
    reading = engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                                 postgresql_readonly=True)
    with reading as connection, connection.begin(), tempfile.TemporaryFile() as errors:
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        # The dump runs while the caller reads the same snapshot; the exporting
        # transaction stays open until pg_dump is done with it.
        process = subprocess.Popen([*command, f"--snapshot={snapshot}"], env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=errors)
        try:
            yield connection
        except BaseException:
            process.kill()
            process.wait()
            raise
        if process.wait() != 0:
            errors.seek(0)
            raise BackupError(_("%(what)s failed: %(message)s", what="pg_dump",
                                message=errors.read().decode(errors="replace").strip()))


@contextmanager
def sqlite_snapshot(database: Path, copy: Path) -> Iterator[Connection]:
    """Copy the database into `copy` in one step of the online backup API and yield a
    connection to the copy, for the manifest."""
    if not database.is_file():
        raise BackupError(_("The SQLite database %(path)s does not exist.", path=database))
    source = sqlite3.connect(database, timeout=SQLITE_TIMEOUT_SECONDS)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)  # pages=-1: everything in one step, one read transaction
    finally:
        target.close()
        source.close()
    engine = create_engine(f"sqlite:///{copy}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()
        # Reading the copy through the app's engine turns WAL on; leave one plain file.
        with sqlite3.connect(copy) as plain:
            plain.execute("PRAGMA journal_mode = DELETE")
        plain.close()


@contextmanager
def reading_through(connection: Connection) -> Iterator[None]:
    """Make `db.session`, in this app context only, read through `connection` meanwhile:
    the manifest is computed by the app's own queries, on the snapshot."""
    registry = db.session.registry
    previous = registry() if registry.has() else None
    session = Session(bind=connection)
    registry.set(session)  # type: ignore[arg-type]  # a plain Session reads as well
    try:
        yield
    finally:
        session.close()
        registry.clear()
        if previous is not None:
            registry.set(previous)


# --- loading into an empty database --------------------------------------------------------


def database_objects(engine: Engine) -> list[str]:
    """What the database already holds (tables, views, sequences): empty means []."""
    with engine.connect() as connection:
        if engine.dialect.name == POSTGRESQL:
            rows = connection.execute(text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
                "ORDER BY c.relname"))
        else:
            rows = connection.execute(text(
                "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                "ORDER BY name"))
        return [str(name) for (name,) in rows]


def refuse_unless_empty(engine: Engine) -> None:
    """BackupError naming what a database holds (its tables with rows first), unless it
    holds nothing."""
    found = database_objects(engine)
    if not found:
        return
    with engine.connect() as connection:
        tables = sorted(inspect(connection).get_table_names())
        rows = {name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0)
                for name in tables}
    filled = [name for name in tables if rows[name]]
    named = ([_("%(table)s (%(rows)d rows)", table=name, rows=rows[name]) for name in filled]
             or tables or found)
    shown = ", ".join(named[:SHOWN_OBJECTS]) + (", …" if len(named) > SHOWN_OBJECTS else "")
    raise BackupError(_(
        "The database is not empty: it holds %(tables)d tables, %(filled)d of them with rows "
        "(%(names)s). A backup is restored into an empty database only: create a new one and "
        "point TRACKER_DATABASE_URL at it. Nothing was restored.",
        tables=len(tables), filled=len(filled), names=shown))


def load_postgresql(engine: Engine, dump: Path) -> None:
    """pg_restore the dump in one transaction: all of it, or nothing if anything fails."""
    uri, env = libpq_target(engine.url)
    # Owners and grants name the old server's roles; the restoring role owns everything.
    _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", "--no-password", "--dbname", uri, str(dump)], env, "pg_restore")


def load_sqlite(copy: Path, database: Path) -> None:
    """Write the snapshot into the database file (the backup API, so a file the app
    already opened, with its -wal beside it, is replaced whole and consistently)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    target = sqlite3.connect(database, timeout=SQLITE_TIMEOUT_SECONDS)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
