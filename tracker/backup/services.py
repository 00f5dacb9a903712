"""Taking a backup of a running Tracker, and restoring one into an empty database.

A backup: the database's snapshot (snapshot.py) and, read in that same snapshot, the
manifest's counts and totals (manifest.py) and the list of stored files it refers to;
then those files (files.py); all in one archive (archive.py). The secret key is not in
it: it signs sessions and forms, no stored data needs it, and an archive that held it
would let whoever holds a copy forge sessions.

A restore: the archive checked member by member, the database checked to be empty, the
snapshot loaded, the files put back, and the restored database recounted against the
manifest. Only the same kind of database: a PostgreSQL dump loads into PostgreSQL, a
SQLite file into SQLite.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from tracker.backup import files, snapshot
from tracker.backup.archive import ArchiveWriter, opened
from tracker.backup.errors import BackupError
from tracker.backup.manifest import FORMAT, FORMAT_VERSION, Contents, describe, differences, drift
from tracker.db import utcnow
from tracker.extensions import db

DUMP_NAMES = {snapshot.POSTGRESQL: "tracker.pgdump", snapshot.SQLITE: "tracker.sqlite"}


def app_version() -> str:
    """The installed Tracker's version (pyproject.toml)."""
    try:
        return metadata.version("tracker")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class BackupReport:
    """A backup written: where, how large, what it holds, and what to look into."""

    path: Path
    size: int
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def pledges(self) -> int:
        return int(self.manifest["tables"].get("pledge", 0))


@dataclass(frozen=True)
class RestoreReport:
    """A restore done, and what its check against the manifest found ([]: all matches)."""

    manifest: dict[str, Any]
    pledges: int
    differences: list[str]

    @property
    def verified(self) -> bool:
        return not self.differences


@contextmanager
def _snapshot(backend: str, dump: Path) -> Iterator[Connection]:
    if backend == snapshot.POSTGRESQL:
        with snapshot.postgresql_snapshot(db.engine, dump) as connection:
            yield connection
    else:
        with snapshot.sqlite_snapshot(snapshot.sqlite_path(db.engine.url), dump) as connection:
            yield connection


@contextmanager
def _reachable() -> Iterator[None]:
    """A database that does not answer, said in one line instead of a traceback."""
    try:
        yield
    except OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()
        raise BackupError(_("The database cannot be reached: %(error)s",
                            error=reason[0] if reason else type(error).__name__)) from error


def create_backup(destination: Path) -> BackupReport:
    """Write one archive: a consistent snapshot of the database, the stored files it refers
    to, and a manifest of what they hold; the app keeps running meanwhile."""
    backend = snapshot.backend_of(db.engine.url)
    writer = ArchiveWriter(destination)
    try:
        # The dump waits beside the archive, where there is room for backups (/tmp may be
        # a small tmpfs); it is as large as the database's data, uncompressed.
        with tempfile.TemporaryDirectory(prefix=".tracker-backup-",
                                         dir=destination.parent) as folder:
            dump = Path(folder) / DUMP_NAMES[backend]
            created = utcnow()
            with (_reachable(), _snapshot(backend, dump) as connection,
                  snapshot.reading_through(connection)):
                contents = describe(created.date())
                kept = files.kept_files()
                # Files kept in the database travel in the dump: listed, not added.
                dumped, warnings = (files.dumped_files(kept) if files.in_database()
                                    else ([], []))
            database = writer.add_path(f"database/{dump.name}", dump)
        stored: list[dict[str, Any]] = []
        if not files.in_database():
            stored, warnings = _add_files(writer, kept)
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "app_version": app_version(), "backend": backend,
            **contents.as_manifest(), "database": database, "files": stored,
            "database_files": dumped,
            "missing_files": sorted({item.key for item in kept}
                                    - {entry["key"] for entry in [*stored, *dumped]}),
            "secret_key_included": False,
        }
        size = writer.close(manifest)
    except BaseException:
        writer.abort()
        raise
    warnings += [_("the stored totals of %(name)s differ from its pledges and payments: run "
                   "`flask --app tracker refresh-funding`", name=name)
                 for name in drift(contents)]
    return BackupReport(destination, size, manifest, warnings)


def _add_files(writer: ArchiveWriter, kept: list[files.KeptFile]
               ) -> tuple[list[dict[str, Any]], list[str]]:
    """Add the stored files; their manifest entries, and warnings for missing or changed ones."""
    entries, warnings = [], []
    for item in kept:
        data = files.read_file(item.key)
        if data is None:
            warnings.append(_("stored file %(key)s is missing from the storage, so it is not in "
                              "the backup", key=item.key))
            continue
        if hashlib.sha256(data).hexdigest() != item.sha256:
            warnings.append(_("stored file %(key)s differs from the SHA-256 the database "
                              "records for it", key=item.key))
        entry = writer.add_bytes(files.member_name(item.key), data)
        entries.append({**entry, "storage": files.STORAGE, "key": item.key})
    return entries, warnings


def restore_backup(archive: Path) -> RestoreReport:
    """Load a backup into the configured, empty database, put its files back, and recount
    the restored database against the manifest."""
    backend = snapshot.backend_of(db.engine.url)
    with opened(archive) as extracted:
        manifest = extracted.manifest
        if manifest.get("backend") != backend:
            raise BackupError(_(
                "This archive holds a %(archived)s database and the configured one is "
                "%(configured)s. Restoring into another kind of database is not supported: "
                "restore it into %(archived)s. Nothing was restored.",
                archived=manifest.get("backend"), configured=backend))
        _check_file_entries(manifest["files"])
        if backend == snapshot.SQLITE:
            # A new SQLite file may go into a folder that does not exist yet.
            snapshot.sqlite_path(db.engine.url).parent.mkdir(parents=True, exist_ok=True)
        with _reachable():
            snapshot.refuse_unless_empty(db.engine)
        db.session.remove()
        db.engine.dispose()
        dump = extracted.path(str(manifest["database"]["member"]))
        if backend == snapshot.POSTGRESQL:
            snapshot.load_postgresql(db.engine, dump)
        else:
            snapshot.load_sqlite(dump, snapshot.sqlite_path(db.engine.url))
        db.engine.dispose()
        for entry in manifest.get("files") or []:
            files.put_file(str(entry["key"]), extracted.read(str(entry["member"])))
        db.session.commit()  # files put into the database backend
        db.session.remove()
    return _verify(manifest)


def _check_file_entries(entries: list[Any]) -> None:
    """Each file of the manifest goes back under a key of the app's own shape, from its own
    member; BackupError before anything is restored otherwise."""
    for entry in entries:
        key = str(entry.get("key")) if isinstance(entry, dict) else ""
        if not files.is_key(key) or entry.get("member") != files.member_name(key):
            raise BackupError(_("The archive is damaged: its manifest names a stored file "
                                "%(key)s that cannot be put back. Nothing was restored.",
                                key=key))


def _verify(manifest: dict[str, Any]) -> RestoreReport:
    """Recount the restored database and its files against the manifest."""
    try:
        contents = describe(date.fromisoformat(str(manifest.get("totals_as_of"))))
    except (SQLAlchemyError, ValueError) as error:
        return RestoreReport(manifest, 0, [_(
            "the restored database could not be recounted (%(error)s); the archive was made by "
            "Tracker %(version)s at schema revision %(revision)s: check it with that release",
            error=str(error).splitlines()[0], version=manifest.get("app_version"),
            revision=manifest.get("alembic_revision"))])
    finally:
        db.session.remove()
    expected = manifest
    if manifest.get("files") and files.in_database():
        # The archive's files were just put into the database storage: those rows are new
        # by design, and each file is checked by its SHA-256 below.
        moved = {name: contents.tables.get(name, 0) for name in files.DATABASE_TABLES}
        expected = {**manifest, "tables": {**manifest["tables"], **moved}}
    try:
        found = (differences(expected, contents)
                 + files.file_differences(manifest.get("files") or [])
                 + files.file_differences(_database_files(manifest), dumped=True))
    finally:
        db.session.remove()
    return RestoreReport(manifest, _pledges(contents), found)


def _database_files(manifest: dict[str, Any]) -> list[dict[str, object]]:
    """The manifest's files carried in the dump (format 2); [] for a format 1 archive."""
    entries = manifest.get("database_files") or []
    if not isinstance(entries, list):
        return [{"key": "database_files", "sha256": ""}]
    return [entry for entry in entries if isinstance(entry, dict)]


def _pledges(contents: Contents) -> int:
    return contents.tables.get("pledge", 0)


def snapshot_time(manifest: dict[str, Any]) -> str:
    """When the snapshot was taken, for people: '2026-12-06 15:42:07 UTC'."""
    try:
        moment = datetime.strptime(str(manifest.get("created_at")), "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return str(manifest.get("created_at"))
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
