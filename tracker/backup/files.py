"""The stored files a backup carries: the final proposal PDFs, the final donor financial
reports and the receipts of grant expenditures, through their storage.

The database keeps each final's storage key and SHA-256 (proposal_version); the PDF
itself lives in the proposal storage (instance/proposals by default). A backup takes the
files the snapshot refers to, read through the storage interface (so a storage moved to
object storage is backed up the same way); a final is written to the storage before its
row commits and is never changed, so every key of the snapshot has its file. Drafts
are a cache, rendered again when asked for, and are left out. Pledge files awaiting
confirmation are kept in the database, so the dump carries them.

With the database backend (TRACKER_FILE_STORAGE=database) the files are rows of the
dump itself: the manifest lists them under `database_files` with the size and SHA-256
read from the very snapshot dumped, and a restore checks them in the restored database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from tracker.extensions import db
from tracker.grants.models import Expenditure, FinancialReportFinal
from tracker.proposals.models import ProposalVersion
from tracker.storage import DATABASE, DatabaseStorage, InvalidKey, check_key, file_storage

STORAGE = "proposals"  # the one file storage so far; its name in the archive
DATABASE_TABLES = ("stored_file", "stored_file_chunk")  # the database storage's tables


@dataclass(frozen=True)
class KeptFile:
    """A file the database refers to: its storage key and the SHA-256 recorded for it."""

    key: str
    sha256: str


def kept_files() -> list[KeptFile]:
    """The finals and the receipts the database behind `db.session` refers to."""
    finals = db.session.execute(select(ProposalVersion.storage_key, ProposalVersion.sha256)
                                .order_by(ProposalVersion.id))
    reports = db.session.execute(
        select(FinancialReportFinal.storage_key, FinancialReportFinal.sha256)
        .order_by(FinancialReportFinal.id))
    receipts = db.session.execute(
        select(Expenditure.receipt_key, Expenditure.receipt_sha256)
        .where(Expenditure.receipt_key.is_not(None)).order_by(Expenditure.id))
    seen: dict[str, KeptFile] = {}
    for rows in (finals, reports, receipts):
        for key, digest in rows:
            if key is not None:
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


def in_database() -> bool:
    """Whether the stored files are rows of the database (and so of its dump)."""
    return current_app.config.get("FILE_STORAGE") == DATABASE


def read_file(key: str) -> bytes | None:
    """The stored file's bytes, or None if it has gone from the storage."""
    return file_storage().get(key)


def put_file(key: str, data: bytes) -> None:
    """Put a file back in the storage under its key."""
    file_storage().put(key, data)


def dumped_files(kept: list[KeptFile]) -> tuple[list[dict[str, Any]], list[str]]:
    """With the database backend: the manifest's entries for the files the snapshot holds,
    read through `db.session` pointed at it, and warnings for missing or changed ones."""
    entries, warnings = [], []
    storage = DatabaseStorage()
    for item in kept:
        pieces = storage.stream(item.key)
        if pieces is None:
            warnings.append(_("stored file %(key)s is missing from the storage, so it is not in "
                              "the backup", key=item.key))
            continue
        digest, size = hashlib.sha256(), 0
        for piece in pieces:
            digest.update(piece)
            size += len(piece)
        if digest.hexdigest() != item.sha256:
            warnings.append(_("stored file %(key)s differs from the SHA-256 the database "
                              "records for it", key=item.key))
        entries.append({"storage": DATABASE, "key": item.key, "size": size,
                        "sha256": digest.hexdigest()})
    return entries, warnings


def file_differences(entries: list[dict[str, object]], *, dumped: bool = False) -> list[str]:
    """Files of the manifest that the storage does not give back byte for byte; `dumped`:
    files that came back in the database's dump, read from the restored database."""
    found = []
    if dumped and entries and not in_database():
        found.append(_("the archive keeps its stored files in the database: set "
                       "TRACKER_FILE_STORAGE=database, or the app will not find them"))
    for entry in entries:
        key = str(entry["key"])
        data = DatabaseStorage().get(key) if dumped else read_file(key)
        if data is None:
            found.append(_("stored file %(key)s is missing", key=key))
        elif hashlib.sha256(data).hexdigest() != entry["sha256"]:
            found.append(_("stored file %(key)s differs from the manifest's SHA-256", key=key))
    return found
