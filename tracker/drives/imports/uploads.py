"""Uploads waiting for confirmation (the web import): kept in the database between requests.

App servers keep nothing between requests, so a file waits in PledgeUpload from its
preview to its confirmation; uploads older than a day are purged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import delete, select

from tracker.auth.models import User
from tracker.db import utcnow
from tracker.drives.imports.files import check_mapping
from tracker.drives.imports.importer import (
    CheckedFile,
    ImportResult,
    check_pledge_file,
    import_checked,
)
from tracker.drives.models import Channel, Drive, PledgeUpload
from tracker.errors import found
from tracker.extensions import db

UPLOAD_KEPT_HOURS = 24


def store_upload(drive: Drive, content: bytes, filename: str, mapping: Mapping[str, str], *,
                 by: User | None) -> PledgeUpload:
    """Keep an uploaded file until it is confirmed; purge uploads older than a day."""
    cutoff = utcnow() - timedelta(hours=UPLOAD_KEPT_HOURS)
    db.session.execute(delete(PledgeUpload).where(PledgeUpload.created_at < cutoff))
    upload = PledgeUpload(drive_id=drive.id, uploaded_by_id=by.id if by is not None else None,
                          filename=filename[-255:], content=content,
                          mapping=check_mapping(mapping))
    db.session.add(upload)
    db.session.flush()
    return upload


def find_upload(drive: Drive, upload_id: int) -> PledgeUpload | None:
    """The drive's pending upload with this id, or None (gone once imported or purged)."""
    return db.session.scalar(select(PledgeUpload).where(
        PledgeUpload.id == upload_id, PledgeUpload.drive_id == drive.id))


def get_upload(drive: Drive, upload_id: int) -> PledgeUpload:
    """The drive's pending upload with this id, or NotFound."""
    return found(find_upload(drive, upload_id), f"no upload {upload_id}")


def check_upload(upload: PledgeUpload) -> CheckedFile:
    """Check a pending upload against its drive as it is now."""
    return check_pledge_file(upload.drive, upload.content, upload.filename, upload.mapping)


def confirm_upload(upload: PledgeUpload, *, by: User | None,
                   channel: Channel = Channel.OTHER) -> ImportResult:
    """Import a pending upload and delete it."""
    drive = upload.drive
    checked = check_upload(upload)
    result = import_checked(drive, checked, by=by, channel=channel)
    db.session.delete(upload)
    db.session.flush()
    return result
