"""Writing an imported file's new pledges as they are read, through the one bulk writer."""

from __future__ import annotations

from typing import Any

from tracker.auth.models import User
from tracker.bulk import BulkWriter
from tracker.db import utcnow
from tracker.drives.imports.rows import CheckedPledge, Progress
from tracker.drives.models import Channel, Drive, Pledge, PledgeSource, PledgeStatus
from tracker.extensions import db

VARYING = ("pledged_on", "pledger_name", "is_anonymous", "contact_email", "amount_minor",
           "currency", "external_reference", "drive_amount_minor", "drive_rate",
           "drive_rate_on", "unpaid_drive_minor")


class PledgeWriter:
    """Stores new pledges exactly as drives.pledges.log_pledge stores them, row by row.

    The values every row shares (drive, status, source, timestamps) are bound once,
    dates, flags and rates once per distinct value; tracker.bulk.BulkWriter sends the
    rows (one COPY on PostgreSQL, executemany in chunks elsewhere). It writes on the
    session's connection, in its transaction, but not through the session: the
    session's hooks would write an audit event per row and read every row back; the
    import records one event instead, and marks the drive's totals for the commit.
    Use it as a context manager, like BulkWriter.
    """

    def __init__(self, drive: Drive, by: User | None, channel: Channel,
                 progress: Progress | None) -> None:
        now = utcnow()
        table = Pledge.__table__
        given: dict[str, Any] = {
            "drive_id": drive.id, "status": PledgeStatus.PLEDGED, "status_reason": "",
            "channel": channel, "note": "", "message": "", "source": PledgeSource.IMPORT,
            "logged_by_id": by.id if by is not None else None, "paid_minor": 0,
            "drive_amount_currency": drive.currency, "version": 1,
            "created_at": now, "updated_at": now,
        }
        for column in table.columns:  # a column added later with a Python default
            if (column.name not in given and column.name not in VARYING
                    and not column.primary_key and column.default is not None):
                default = column.default
                given[column.name] = default.arg(None) if default.is_callable else default.arg
        connection = db.session.connection(bind_arguments={"mapper": Pledge})
        self.writer = BulkWriter(connection, table, [*given, *VARYING],  # type: ignore[arg-type]
                                 on_written=progress)
        self.template = [self.writer.bind(name)(value) for name, value in given.items()]
        self.as_date = self.writer.bind("pledged_on", memoised=True)
        self.as_flag = self.writer.bind("is_anonymous", memoised=True)
        self.as_rate = self.writer.bind("drive_rate", memoised=True)
        self.as_rate_on = self.writer.bind("drive_rate_on", memoised=True)

    @property
    def written(self) -> int:
        return self.writer.written

    def __enter__(self) -> PledgeWriter:
        self.writer.__enter__()
        return self

    def __exit__(self, exc_type: Any, error: BaseException | None, traceback: Any) -> None:
        self.writer.__exit__(exc_type, error, traceback)

    def add(self, p: CheckedPledge) -> None:
        """Send one checked pledge."""
        self.writer.write([
            *self.template,
            self.as_date(p.pledged_on), p.name, self.as_flag(not p.name), p.email,
            p.amount_minor, p.currency, p.reference, p.drive_minor, self.as_rate(p.rate),
            self.as_rate_on(p.rate_on), p.drive_minor,
        ])

    def flush(self) -> None:
        """Send what is collected (executemany) and report the progress."""
        self.writer.flush()
