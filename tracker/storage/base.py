"""The storage interface and the shape of its keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

# Keys are relative paths the app makes itself ('finals/12/v3.pdf'): nothing else passes.
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*")


class InvalidKey(ValueError):
    """A storage key that is not one of the app's own (e.g. '../secret')."""


class FileStorage(Protocol):
    """Bytes kept under a key; a key once written is read back whole or not at all."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Forget the file (nothing happens if there is none)."""
        ...

    def stream(self, key: str) -> Iterator[bytes] | None:
        """The file in pieces, for a download that need not hold it all; None if absent."""
        ...


def check_key(key: str) -> str:
    """The key if it is a plain relative path of lower-case names, else InvalidKey."""
    if not KEY_PATTERN.fullmatch(key) or ".." in key.split("/"):
        raise InvalidKey(key)
    return key
