"""The database backend: every server that shares the database reads every file.

A file is written in the caller's transaction, so a final's PDF and its version row
commit together or not at all (a folder cannot promise that), and a reader sees a file
only whole. The write sits in a savepoint: a clash with another writer of the same key
undoes this write only, never the caller's other work; keys name their contents or
their job, so the other writer's file is the same file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from tracker.db import utcnow
from tracker.extensions import db
from tracker.storage.base import check_key
from tracker.storage.models import StoredFile, StoredFileChunk

CHUNK_BYTES = 256 * 1024


class DatabaseStorage:
    """Files in the stored_file and stored_file_chunk tables, through `db.session`."""

    def __init__(self, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.chunk_bytes = chunk_bytes

    def put(self, key: str, data: bytes) -> None:
        check_key(key)
        pieces = [data[start:start + self.chunk_bytes]
                  for start in range(0, len(data), self.chunk_bytes)] or [b""]
        try:
            with db.session.begin_nested():
                db.session.execute(delete(StoredFileChunk).where(StoredFileChunk.file_key == key))
                db.session.execute(delete(StoredFile).where(StoredFile.key == key))
                db.session.execute(insert(StoredFile).values(
                    key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                    chunks=len(pieces), created_at=utcnow()))
                db.session.execute(insert(StoredFileChunk), [
                    {"file_key": key, "seq": seq, "data": piece}
                    for seq, piece in enumerate(pieces)])
        except IntegrityError:
            # Another transaction wrote this key at the same moment; its file stands.
            pass

    def _chunks(self, key: str) -> int | None:
        return db.session.scalar(select(StoredFile.chunks).where(StoredFile.key == check_key(key)))

    def get(self, key: str) -> bytes | None:
        if self._chunks(key) is None:
            return None
        return b"".join(db.session.scalars(
            select(StoredFileChunk.data).where(StoredFileChunk.file_key == key)
            .order_by(StoredFileChunk.seq)))

    def exists(self, key: str) -> bool:
        return self._chunks(key) is not None

    def delete(self, key: str) -> None:
        check_key(key)
        db.session.execute(delete(StoredFileChunk).where(StoredFileChunk.file_key == key))
        db.session.execute(delete(StoredFile).where(StoredFile.key == key))

    def stream(self, key: str) -> Iterator[bytes] | None:
        count = self._chunks(key)
        if count is None:
            return None
        return self._pieces(key, count)

    def _pieces(self, key: str, count: int) -> Iterator[bytes]:
        # One chunk per query: memory stays at one chunk whatever the file's size.
        for seq in range(count):
            piece = db.session.scalar(select(StoredFileChunk.data).where(
                StoredFileChunk.file_key == key, StoredFileChunk.seq == seq))
            if piece:
                yield bytes(piece)
