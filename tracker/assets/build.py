"""Fingerprinted, compressed copies of the static files, built once per version of them.

Each file under the static folder is copied under its own name and under a name with a
hash of its content (css/app.css -> css/app.3f2a9c0d1e7b.css), and compressed beside
(.gz, .br) where that helps. The copies go to a folder of the instance folder named by a
hash of all the sources: an app that starts on the same files finds them built, and a
change of any file builds a new folder, so `make run`, the tests and production need no
build step of their own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from whitenoise.compress import Compressor

BUILDS_FOLDER = "static-build"
MANIFEST = "manifest.json"
FILES = "files"  # beside the manifest: what is served
HASH_LENGTH = 12
# A name a build gave a file: the content hash just before the extension.
FINGERPRINTED = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}\.[A-Za-z0-9]+$")
# Builds kept besides the current one: a worker still running the previous release
# (during `systemctl reload`) keeps serving its files.
KEPT_PREVIOUS_BUILDS = 1
# Source maps are for developers' tools, never linked from a page; not worth a copy.
SKIPPED_SUFFIXES = (".map",)


@dataclass(frozen=True)
class Build:
    """A built folder of static files and the fingerprinted name of each."""

    folder: Path  # what is served under the static URL
    names: dict[str, str]  # "css/app.css" -> "css/app.3f2a9c0d1e7b.css"


def fingerprinted_name(name: str, content: bytes) -> str:
    """`name` with HASH_LENGTH hex digits of its content's SHA-256 before the extension."""
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    stem, dot, extension = name.rpartition(".")
    if not dot or "/" in extension:
        return f"{name}.{digest}"
    return f"{stem}.{digest}.{extension}"


def source_files(static_root: Path) -> list[str]:
    """The static files a build copies, as sorted POSIX paths relative to `static_root`."""
    return sorted(
        path.relative_to(static_root).as_posix()
        for path in static_root.rglob("*")
        if path.is_file() and not path.name.startswith(".")
        and not path.name.endswith(SKIPPED_SUFFIXES)
    )


def sources_digest(static_root: Path, names: list[str]) -> str:
    """One hash of every source file's name and content: the build folder's name."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((static_root / name).read_bytes()).digest())
    return digest.hexdigest()[:16]


def build(static_root: str | Path, instance_path: str | Path) -> Build:
    """The build of the static files as they are now: found in the instance folder, or made."""
    static_root = Path(static_root)
    names = source_files(static_root)
    builds = Path(instance_path) / BUILDS_FOLDER
    folder = builds / sources_digest(static_root, names)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        builds.mkdir(parents=True, exist_ok=True)
        _make(static_root, names, builds, folder)
        _remove_old_builds(builds, keep=folder)
    return Build(folder / FILES, json.loads(manifest.read_text()))


def _make(static_root: Path, names: list[str], builds: Path, folder: Path) -> None:
    """Write the copies into a temporary folder, then rename it into place in one step."""
    # Several processes may start at once (gunicorn's workers, the test runners): each
    # builds on its own and the first rename wins; the others throw theirs away.
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=builds))
    try:
        compressor = Compressor(quiet=True)
        fingerprinted: dict[str, str] = {}
        for name in names:
            content = (static_root / name).read_bytes()
            fingerprinted[name] = fingerprinted_name(name, content)
            for target in {name, fingerprinted[name]}:
                path = work / FILES / target
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                if compressor.should_compress(target):
                    compressor.compress(str(path))
        (work / MANIFEST).write_text(json.dumps(fingerprinted, indent=1, sort_keys=True))
        try:
            os.rename(work, folder)
        except OSError:
            if not (folder / MANIFEST).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remove_old_builds(builds: Path, keep: Path) -> None:
    """Remove all but the newest KEPT_PREVIOUS_BUILDS earlier builds (not one being built)."""
    others = sorted((path for path in builds.iterdir() if path.is_dir() and path != keep
                     and not path.name.startswith(".")),
                    key=lambda path: path.stat().st_mtime, reverse=True)
    for path in others[KEPT_PREVIOUS_BUILDS:]:
        shutil.rmtree(path, ignore_errors=True)
