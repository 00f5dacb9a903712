"""The default backend: files in a folder of this machine (or a shared mount)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tracker.storage.base import check_key

READ_BYTES = 256 * 1024


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

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def stream(self, key: str) -> Iterator[bytes] | None:
        try:
            # Closed by the generator when the download ends or is dropped.
            file = self.path(key).open("rb")
        except FileNotFoundError:
            return None
        return _pieces(file)


def _pieces(file: BinaryIO) -> Iterator[bytes]:
    with file:
        while piece := file.read(READ_BYTES):
            yield piece
