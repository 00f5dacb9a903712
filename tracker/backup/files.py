"""The stored files a backup carries: the final proposal PDFs, through their storage.

The database keeps each final's storage key and SHA-256 (proposal_version); the PDF
itself lives in the proposal storage (instance/proposals by default). A backup takes the
files the snapshot refers to, read through the storage interface (so a storage moved to
object storage is backed up the same way); a final is written to the storage before its
row commits and is never changed, so every key of the snapshot has its file. Drafts
are a cache, rendered again when asked for, and are left out. Pledge files awaiting
confirmation are kept in the database, so the dump carries them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.extensions import db
from tracker.proposals.models import ProposalVersion
from tracker.proposals.storage import InvalidKey, check_key, proposal_storage

STORAGE = "proposals"  # the one file storage so far; its name in the archive


@dataclass(frozen=True)
class KeptFile:
    """A file the database refers to: its storage key and the SHA-256 recorded for it."""

    key: str
    sha256: str


def kept_files() -> list[KeptFile]:
    """The final proposals' files the database behind `db.session` refers to."""
    rows = db.session.execute(select(ProposalVersion.storage_key, ProposalVersion.sha256)
                              .order_by(ProposalVersion.id))
    seen: dict[str, KeptFile] = {}
    for key, digest in rows:
        seen.setdefault(key, KeptFile(key, digest))
    return list(seen.values())


def is_key(key: str) -> bool:
    """Whether a key is one the storage would accept (never '../secret')."""
    try:
        check_key(key)
    except InvalidKey:
        return False
    return True


def member_name(key: str) -> str:
    """Where a stored file goes in the archive."""
    return f"files/{STORAGE}/{key}"


def read_file(key: str) -> bytes | None:
    """The stored file's bytes, or None if it has gone from the storage."""
    return proposal_storage().get(key)


def put_file(key: str, data: bytes) -> None:
    """Put a file back in the storage under its key."""
    proposal_storage().put(key, data)


def file_differences(entries: list[dict[str, object]]) -> list[str]:
    """Files of the manifest that the storage does not give back byte for byte."""
    found = []
    for entry in entries:
        key = str(entry["key"])
        data = read_file(key)
        if data is None:
            found.append(_("stored file %(key)s is missing", key=key))
        elif hashlib.sha256(data).hexdigest() != entry["sha256"]:
            found.append(_("stored file %(key)s differs from the manifest's SHA-256", key=key))
    return found
