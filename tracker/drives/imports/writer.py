"""Writing an imported file's new pledges as they are read, and then their payments,
through the one bulk writer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, bindparam, select, update

from tracker.auth.models import User
from tracker.bulk import BulkWriter
from tracker.db import table_of, utcnow
from tracker.drives.imports.paid import CheckedPayment, Settlement
from tracker.drives.imports.rows import CheckedPledge, Progress
from tracker.drives.models import Channel, Drive, Payment, Pledge, PledgeSource
from tracker.extensions import db

VARYING = ("pledged_on", "pledger_name", "is_anonymous", "contact_email", "amount_minor",
           "currency", "external_reference", "drive_amount_minor", "drive_rate",
           "drive_rate_on", "unpaid_drive_minor", "status")
PAYMENT_VARYING = ("pledge_id", "amount_minor", "currency", "paid_on", "method",
                   "pledge_amount_minor", "pledge_amount_currency", "pledge_rate",
                   "pledge_rate_on", "drive_amount_minor", "drive_rate", "drive_rate_on")
REFERENCES_PER_QUERY = 1_000


def _defaults(table: Table, given: dict[str, Any], varying: Iterable[str]) -> None:
    """Add the Python defaults of columns neither given nor varying (a column added later)."""
    for column in table.columns:
        if (column.name not in given and column.name not in varying
                and not column.primary_key and column.default is not None):
            default = column.default
            # Type check: SQLAlchemy types column defaults loosely; here they are values.
            given[column.name] = (default.arg(None) if default.is_callable  # type: ignore[attr-defined]
                                  else default.arg)  # type: ignore[attr-defined]


class PledgeWriter:
    """Stores new pledges exactly as drives.pledges.log_pledge stores them, row by row.

    The values every row shares (drive, status, source, timestamps) are bound once,
    dates, flags and rates once per distinct value; tracker.bulk.BulkWriter sends the
    rows in chunks (pipelined on PostgreSQL, executemany elsewhere). It writes on the
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
            "drive_id": drive.id, "status_reason": "",
            "channel": channel, "note": "", "message": "", "source": PledgeSource.IMPORT,
            "logged_by_id": by.id if by is not None else None, "paid_minor": 0,
            "drive_amount_currency": drive.currency, "version": 1,
            "created_at": now, "updated_at": now,
        }
        # Type check: SQLAlchemy types column defaults loosely; here they are values.
        _defaults(table, given, VARYING)  # type: ignore[arg-type]
        connection = db.session.connection(bind_arguments={"mapper": Pledge})
        # Type check: SQLAlchemy types column defaults loosely; here they are values.
        self.writer = BulkWriter(connection, table, VARYING,  # type: ignore[arg-type]
                                 fixed=given, on_written=progress)
        self.as_date = self.writer.bind("pledged_on", memoised=True)
        self.as_flag = self.writer.bind("is_anonymous", memoised=True)
        self.as_rate = self.writer.bind("drive_rate", memoised=True)
        self.as_rate_on = self.writer.bind("drive_rate_on", memoised=True)
        self.as_status = self.writer.bind("status", memoised=True)

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
        self.writer.write((
            self.as_date(p.pledged_on), p.name, self.as_flag(p.anonymous), p.email,
            p.amount_minor, p.currency, p.reference, p.drive_minor, self.as_rate(p.rate),
            self.as_rate_on(p.rate_on), p.drive_minor, self.as_status(p.status),
        ))

    def flush(self) -> None:
        """Send what is collected (executemany) and report the progress."""
        self.writer.flush()


def write_payments(drive: Drive, by: User | None, channel: Channel,
                   payments: list[CheckedPayment], settled: Iterable[Settlement]) -> int:
    """Store the new pledges' payments and settle those pledges, as the services would.

    The pledges are written first (their ids come from the database), so their ids are
    read back by reference; the payments then go through the bulk writer, and each paid
    pledge gets its paid amount, status and unpaid rest (one UPDATE per pledge).
    """
    if not payments:
        return 0
    references = sorted({payment.reference for payment in payments})
    ids: dict[str, int] = {}
    for start in range(0, len(references), REFERENCES_PER_QUERY):
        ids.update((str(reference), pledge_id) for pledge_id, reference in db.session.execute(
            select(Pledge.id, Pledge.external_reference).where(
                Pledge.drive_id == drive.id,
                Pledge.external_reference.in_(references[start:start + REFERENCES_PER_QUERY]))))
    now = utcnow()
    table = table_of(Payment)
    given: dict[str, Any] = {
        # The pledges' drive: a payment's drive is its pledge's (drives.payments).
        "drive_id": drive.id,
        "reference": "", "note": "", "logged_by_id": by.id if by is not None else None,
        "drive_amount_currency": drive.currency, "created_at": now, "updated_at": now,
    }
    _defaults(table, given, PAYMENT_VARYING)
    connection = db.session.connection(bind_arguments={"mapper": Payment})
    with BulkWriter(connection, table, PAYMENT_VARYING, fixed=given) as writer:
        as_date = writer.bind("paid_on", memoised=True)
        as_method = writer.bind("method", memoised=True)
        as_rate = writer.bind("pledge_rate", memoised=True)
        for p in payments:
            writer.write((
                ids[p.reference], p.amount_minor, p.currency, as_date(p.paid_on),
                as_method(p.method or channel), p.pledge_minor,
                p.pledge_currency, as_rate(p.pledge_rate), as_date(p.pledge_rate_on),
                p.drive_minor, as_rate(p.drive_rate), as_date(p.drive_rate_on),
            ))
    pledges = table_of(Pledge)
    rows = [{"b_id": ids[s.reference], "b_paid": s.paid_minor, "b_status": s.status,
             "b_unpaid": s.unpaid_drive_minor} for s in settled]
    if rows:
        connection.execute(
            update(pledges).where(pledges.c.id == bindparam("b_id"))
            .values(paid_minor=bindparam("b_paid"), status=bindparam("b_status"),
                    unpaid_drive_minor=bindparam("b_unpaid")), rows)
    return writer.written
