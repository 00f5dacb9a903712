"""Files kept in the database: one row per file, its contents in numbered chunks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, utcnow


class StoredFile(Base):
    """A file of the database backend: its key, size, SHA-256 and how many chunks hold it.

    Not audited: the trail records what the files are for (a final version, an export).
    """

    __tablename__ = "stored_file"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    chunks: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredFileChunk(Base):
    """One piece of a stored file (a few hundred KB): a file is read a chunk at a time,
    so a download never holds the whole file, and no row nears a driver's limits."""

    __tablename__ = "stored_file_chunk"

    file_key: Mapped[str] = mapped_column(
        String(300), ForeignKey("stored_file.key", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
