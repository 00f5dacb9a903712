"""The backup archive: one tar.gz of `database/<dump>`, `files/<storage>/<key>` and
`manifest.json`, which lists every other member with its size and SHA-256.

It is written under a temporary name beside its destination and renamed into place only
when complete, so a backup cut short never passes for a whole one; it is readable by its
owner only (it holds supporters' personal data). Reading extracts the members into a
temporary folder one by one, accepting only regular files with names of the app's own
shape (never a link, an absolute path or '..'), then checks every member against the
manifest before anything is restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask_babel import gettext as _

from tracker.backup.errors import BackupError
from tracker.backup.manifest import FORMAT, FORMAT_VERSION

MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
MEMBER_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*")


class _Hashing:
    """A file read through: counts and hashes what tarfile copies from it."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    return info


class ArchiveWriter:
    """A new archive at `destination`; `close(manifest)` completes it, `abort()` drops it."""

    def __init__(self, destination: Path) -> None:
        if destination.exists():
            raise BackupError(_("%(path)s already exists: choose a new file name (a backup "
                                "never overwrites another).", path=destination))
        if not destination.parent.is_dir():
            raise BackupError(_("The folder %(path)s does not exist.", path=destination.parent))
        self.destination = destination
        handle, name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.",
                                        suffix=".partial")
        self.partial = Path(name)
        self._file = os.fdopen(handle, "wb")  # mkstemp: mode 0600 already
        # Closed by close() or abort(): the archive outlives this method.
        self._tar = tarfile.open(fileobj=self._file, mode="w:gz")  # noqa: SIM115

    def add_path(self, member: str, path: Path) -> dict[str, Any]:
        """Add a file from the disk; its entry for the manifest."""
        with path.open("rb") as file:
            hashing = _Hashing(file)
            self._tar.addfile(_info(member, path.stat().st_size), hashing)
        return {"member": member, "size": hashing.size, "sha256": hashing.digest.hexdigest()}

    def add_bytes(self, member: str, data: bytes) -> dict[str, Any]:
        """Add bytes; their entry for the manifest."""
        self._tar.addfile(_info(member, len(data)), _BytesReader(data))
        return {"member": member, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def close(self, manifest: dict[str, Any]) -> int:
        """Add the manifest, make the archive durable and give it its name; its size."""
        data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
        self._tar.addfile(_info(MANIFEST, len(data)), _BytesReader(data))
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        if self.destination.exists():
            self.abort()
            raise BackupError(_("%(path)s already exists: choose a new file name (a backup "
                                "never overwrites another).", path=self.destination))
        os.replace(self.partial, self.destination)
        folder = os.open(self.destination.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        return self.destination.stat().st_size

    def abort(self) -> None:
        """Drop the unfinished archive."""
        try:
            self._tar.close()
            self._file.close()
        except (OSError, tarfile.TarError):
            pass
        self.partial.unlink(missing_ok=True)


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.position + size
        chunk = bytes(self.data[self.position:end])
        self.position += len(chunk)
        return chunk


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedArchive:
    """An archive's members extracted and checked against its manifest."""

    folder: Path
    manifest: dict[str, Any]

    def path(self, member: str) -> Path:
        return self.folder / member

    def read(self, member: str) -> bytes:
        return self.path(member).read_bytes()


@contextmanager
def opened(archive: Path) -> Iterator[OpenedArchive]:
    """Extract the archive into a temporary folder and check it; BackupError if it is not a
    Tracker backup, or is damaged. The folder is removed on exit."""
    with tempfile.TemporaryDirectory(prefix="tracker-restore-") as name:
        folder = Path(name)
        found = _extract(archive, folder)
        manifest = _manifest(archive, folder)
        _check(manifest, found)
        yield OpenedArchive(folder, manifest)


def _not_a_backup(archive: Path, reason: str) -> BackupError:
    return BackupError(_("%(path)s is not a Tracker backup (%(reason)s). Nothing was restored.",
                         path=archive, reason=reason))


def _extract(archive: Path, folder: Path) -> dict[str, tuple[int, str]]:
    """Write each member into the folder; each member's size and SHA-256."""
    found: dict[str, tuple[int, str]] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.isdir():
                    continue
                if (not member.isfile() or not MEMBER_PATTERN.fullmatch(member.name)
                        or ".." in member.name.split("/") or member.name in found):
                    raise _not_a_backup(archive, _("unexpected member %(name)s",
                                                   name=member.name))
                source = tar.extractfile(member)
                if source is None:
                    raise _not_a_backup(archive, member.name)
                target = folder / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with source, target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                found[member.name] = (member.size, digest.hexdigest())
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise _not_a_backup(archive, str(error) or type(error).__name__) from error
    return found


def _manifest(archive: Path, folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise _not_a_backup(archive, _("no readable manifest.json")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(archive, _("its manifest is not a Tracker backup's"))
    shapes = {"backend": str, "totals_as_of": str, "tables": dict, "drives": list,
              "campaigns": list, "database": dict, "files": list}
    lacking = [name for name, kind in shapes.items() if not isinstance(manifest.get(name), kind)]
    if lacking:
        raise _not_a_backup(archive, _("its manifest lacks %(names)s", names=", ".join(lacking)))
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(_("The archive's format version %(version)s is newer than this "
                            "release reads (%(known)s): restore it with the release that "
                            "made it. Nothing was restored.", version=version,
                            known=FORMAT_VERSION))
    return manifest


def _check(manifest: dict[str, Any], found: dict[str, tuple[int, str]]) -> None:
    """Every member the manifest lists is there, whole; nothing else is."""
    database = manifest.get("database")
    entries = [database, *(manifest.get("files") or [])] if isinstance(database, dict) else []
    if not entries:
        raise BackupError(_("The archive is damaged: its manifest lists no database. "
                            "Nothing was restored."))
    listed = {MANIFEST}
    for entry in entries:
        member = str(entry.get("member"))
        listed.add(member)
        if member not in found:
            raise BackupError(_("The archive is damaged: %(member)s is missing from it. "
                                "Nothing was restored.", member=member))
        if found[member] != (entry.get("size"), entry.get("sha256")):
            raise BackupError(_("The archive is damaged: %(member)s does not match the size "
                                "and SHA-256 its manifest gives. Nothing was restored.",
                                member=member))
    extra = sorted(set(found) - listed)
    if extra:
        raise BackupError(_("The archive is damaged: %(member)s is not listed in its "
                            "manifest. Nothing was restored.", member=extra[0]))
