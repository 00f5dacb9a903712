"""Checking a pledge file and importing its new rows: every row valid, or nothing.

See tracker.drives.imports for the file format and how a large file is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from tracker.audit.hooks import record_event
from tracker.audit.models import AuditAction
from tracker.audit.registry import event_type
from tracker.auth.models import User
from tracker.changes import mark_drive_changed
from tracker.csvfiles import check_size, empty_file
from tracker.drives.errors import require_staff_pledgeable
from tracker.drives.imports.files import (
    PLEDGE_COLUMNS,
    STANDARD_HEADER,
    PledgeImportError,
    check_mapping,
)
from tracker.drives.imports.paid import CheckedPayment
from tracker.drives.imports.rows import CheckedPledge, PreviewRow, Progress, RowChecker
from tracker.drives.imports.writer import PledgeWriter, write_payments
from tracker.drives.models import Channel, Drive
from tracker.extensions import db
from tracker.tabular import cell_text, table_rows
from tracker.workbook import FileLimits, check_csv_rows, check_workbook, is_xlsx

PLEDGE_IMPORT = event_type("pledge_import", label=_l("Pledge import"), fields={
    "file": _l("File"),
    "pledges_imported": _l("Pledges imported"),
    "payments_imported": _l("Payments recorded"),
    "pledges_skipped": _l("Already imported (skipped)"),
    "pledges_without_rate": _l("Pledges without an exchange rate"),
    "rows_in_file": _l("Rows in the file"),
})


@dataclass(frozen=True)
class CheckedFile:
    """A pledge file whose every row passed, with what importing it would do.

    It keeps the file, not its rows: the import reads the file a second time and
    writes each chunk of rows as it goes, so that 100,000 rows never sit in memory.
    """

    drive_id: int
    filename: str
    content: bytes = field(repr=False)
    mapping: Mapping[str, str]
    total_rows: int
    new: int
    skipped: int
    without_rate: int
    preview: list[PreviewRow]
    payments: int = 0


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    imported: int
    skipped: int
    without_rate: int
    total_rows: int
    dry_run: bool = False
    payments: int = 0


def _limits(content: bytes, max_bytes: int | None, max_rows: int | None) -> int:
    """Refuse a file over the size limit; the row limit to apply while reading."""
    config = current_app.config
    max_bytes = config["PLEDGE_IMPORT_MAX_BYTES"] if max_bytes is None else max_bytes
    check_size(len(content), max_bytes, PledgeImportError)
    return config["PLEDGE_IMPORT_MAX_ROWS"] if max_rows is None else max_rows


def _read(drive: Drive, content: bytes, filename: str, mapping: Mapping[str, str],
          max_rows: int, emit: Callable[[CheckedPledge], None] | None = None,
          progress: Progress | None = None,
          emit_payment: Callable[[CheckedPayment], None] | None = None) -> RowChecker:
    """Read every row of the file through a checker; refuse the file if any row is bad."""
    require_staff_pledgeable(drive)
    empty = empty_file(STANDARD_HEADER, PledgeImportError)
    if not content.strip():
        raise empty
    rows = table_rows(content, filename, PledgeImportError)
    header = next(rows, None)
    if not header or not any(cell_text(value) for value in header):
        raise empty
    checker = RowChecker(drive, PLEDGE_COLUMNS.positions(header, mapping), max_rows, emit,
                         progress, emit_payment)
    checker.read(rows)
    if checker.bad_rows:
        raise PledgeImportError(
            ngettext("Nothing was imported: %(num)d row has a problem. Correct it and import "
                     "the file again.",
                     "Nothing was imported: %(num)d rows have problems. Correct them and "
                     "import the file again.", checker.bad_rows),
            checker.errors, more=checker.bad_rows - len(checker.errors))
    if checker.total_rows == 0:
        raise PledgeImportError(_("The file has a header but no pledges."))
    return checker


def _check_shape(content: bytes, filename: str, max_rows: int) -> None:
    """Refuse a workbook or a CSV over the limits before any row is read."""
    if is_xlsx(content, filename):
        check_workbook(content, FileLimits.configured(max_rows), PledgeImportError)
    else:
        check_csv_rows(content, max_rows, PledgeImportError)


def check_pledge_file(drive: Drive, content: bytes, filename: str,
                      mapping: Mapping[str, str] | None = None, *,
                      max_bytes: int | None = None, max_rows: int | None = None,
                      progress: Progress | None = None) -> CheckedFile:
    """Read and check every row of a pledge file for a drive; write nothing.

    Raises PledgeImportError naming the file's problem, or listing its bad rows
    ("Row N: reason"). Limits default to PLEDGE_IMPORT_MAX_BYTES and _MAX_ROWS.
    """
    max_rows = _limits(content, max_bytes, max_rows)
    mapping = check_mapping(mapping or {})
    _check_shape(content, filename, max_rows)  # the import reads a checked file without this
    checker = _read(drive, content, filename, mapping, max_rows, progress=progress)
    return CheckedFile(drive_id=drive.id, filename=filename, content=content, mapping=mapping,
                       total_rows=checker.total_rows, new=checker.new, skipped=checker.skipped,
                       without_rate=checker.without_rate, preview=checker.preview,
                       payments=checker.payments)


def import_checked(drive: Drive, checked: CheckedFile, *, by: User | None,
                   channel: Channel = Channel.OTHER,
                   progress: Progress | None = None) -> ImportResult:
    """Import a checked file's new pledges, mark the drive's totals changed, record one event.

    The file is read again (rows already recorded meanwhile are skipped) and written
    in chunks, all in the caller's transaction (the caller commits).
    """
    if checked.drive_id != drive.id:
        raise ValueError("the file was checked for another drive")
    return _import(drive, checked.content, checked.filename, checked.mapping,
                   max(checked.total_rows, 1), by, channel, progress)


def import_file(drive: Drive, content: bytes, filename: str,
                mapping: Mapping[str, str] | None = None, *, by: User | None,
                channel: Channel = Channel.OTHER, max_bytes: int | None = None,
                max_rows: int | None = None, progress: Progress | None = None) -> ImportResult:
    """Check and import a pledge file in one reading: every row valid, or nothing written.

    Each row is written as soon as it is checked; a bad row stops the writing, and the
    refusal undoes the rows already sent (a savepoint), so the file is read once, not
    once to check and once to write. Raises PledgeImportError as check_pledge_file does.
    """
    max_rows = _limits(content, max_bytes, max_rows)
    mapping = check_mapping(mapping or {})
    _check_shape(content, filename, max_rows)
    return _import(drive, content, filename, mapping, max_rows, by, channel, progress)


def _import(drive: Drive, content: bytes, filename: str, mapping: Mapping[str, str],
            max_rows: int, by: User | None, channel: Channel,
            progress: Progress | None) -> ImportResult:
    """Read the file, writing each new pledge as it passes; then its payments and one event.

    The new pledges' payments are kept in memory while the pledges are written, then
    written after them and the pledges they pay settled (tracker.drives.imports.paid).
    """
    payments: list[CheckedPayment] = []
    try:
        # A savepoint: a refusal undoes this import's rows only, never the caller's work.
        with db.session.begin_nested():
            with PledgeWriter(drive, by, channel, progress) as writer:
                checker = _read(drive, content, filename, mapping, max_rows=max_rows,
                                emit=writer.add, emit_payment=payments.append)
                writer.flush()
            paid = write_payments(drive, by, channel, payments, checker.settlements())
    except IntegrityError:
        raise PledgeImportError(_("Some of these pledges were recorded by someone else just now. "
                                  "Import the file again: the pledges already recorded will be "
                                  "skipped.")) from None
    result = ImportResult(imported=writer.written, skipped=checker.skipped,
                          without_rate=checker.without_rate, total_rows=checker.total_rows,
                          payments=paid)
    # Written past the session: its totals would not know (tracker.funding.rollups).
    mark_drive_changed(db.session(), drive.id)
    if result.imported:
        record_event(
            db.session(), action=AuditAction.CREATE, record_type=PLEDGE_IMPORT,
            record_id=str(drive.id), parent_type="drive", parent_id=str(drive.id),
            summary=filename,
            changes={"file": filename, "pledges_imported": result.imported,
                     **({"payments_imported": paid} if paid else {}),
                     "pledges_skipped": result.skipped,
                     "pledges_without_rate": result.without_rate,
                     "rows_in_file": result.total_rows},
        )
    return result


def import_pledges(drive: Drive, content: bytes, filename: str,
                   mapping: Mapping[str, str] | None = None, *, by: User | None,
                   channel: Channel = Channel.OTHER, dry_run: bool = False,
                   max_bytes: int | None = None, max_rows: int | None = None) -> ImportResult:
    """Check a pledge file and import its new rows (or, on a dry run, only count them)."""
    if not dry_run:
        return import_file(drive, content, filename, mapping, by=by, channel=channel,
                           max_bytes=max_bytes, max_rows=max_rows)
    checked = check_pledge_file(drive, content, filename, mapping, max_bytes=max_bytes,
                                max_rows=max_rows)
    return ImportResult(imported=checked.new, skipped=checked.skipped,
                        without_rate=checked.without_rate, total_rows=checked.total_rows,
                        dry_run=True, payments=checked.payments)
