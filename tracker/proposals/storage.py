"""Where printed proposals are kept: one small interface, files under instance/ by default.

Several app servers may share one database, so a file that must outlive a request goes
through `proposal_storage()`, never straight to the disk: a deployment can swap the
folder for the database or an object store by implementing the three methods.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

# Keys are relative paths the app makes itself ('finals/12/v3.pdf'): nothing else passes.
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*")


class InvalidKey(ValueError):
    """A storage key that is not one of the app's own (e.g. '../secret')."""


class ProposalStorage(Protocol):
    """Bytes kept under a key."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    """The key if it is a plain relative path of lower-case names, else InvalidKey."""
    if not KEY_PATTERN.fullmatch(key) or ".." in key.split("/"):
        raise InvalidKey(key)
    return key


class FolderStorage:
    """Files in a folder; a write goes to a temporary file first, then is renamed into place,
    so a reader never sees half a PDF and two writers of the same key do not mix bytes."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()


def proposal_storage() -> ProposalStorage:
    """The configured storage: PROPOSAL_STORAGE_DIR, or instance/proposals by default."""
    folder = current_app.config.get("PROPOSAL_STORAGE_DIR") or os.path.join(
        current_app.instance_path, "proposals")
    return FolderStorage(folder)
