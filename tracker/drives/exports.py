"""Exporting a drive's pledges as CSV or XLSX, streamed from the database.

Amounts are numbers (CSV: plain `1500.00`; XLSX: numeric cells formatted to the
currency's decimals), beside the original currency and the amount converted into the
drive's currency with the rate used. Text a spreadsheet would run as a formula is
neutralised by the audit export's own function. Pledgers' e-mails are personal data:
the views and the command let only those who manage the drive's pledges export them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.audit.services import neutralize
from tracker.db import utcnow
from tracker.drives.models import Channel, Drive, Pledge, PledgeStatus
from tracker.extensions import db
from tracker.money.value import minor_units

BATCH = 1_000
CSV_FLUSH_ROWS = 500
AMOUNT_COLUMNS = (4, 6, 10)  # amount, amount in the drive's currency, paid
DATE_COLUMNS = (0, 9)  # pledged on, rate date
RATE_COLUMN = 8
COLUMN_WIDTHS = (12, 28, 11, 28, 14, 9, 16, 9, 14, 12, 14, 14, 16, 20, 40)


def header() -> list[str]:
    """The export's column titles in the user's language."""
    return [_("Pledged on"), _("Pledger"), _("Anonymous"), _("E-mail"), _("Amount"),
            _("Currency"), _("Amount in the drive's currency"), _("Drive currency"), _("Rate"),
            _("Rate date"), _("Paid"), _("Status"), _("Channel"), _("Reference"), _("Note")]


def export_filename(drive: Drive, extension: str) -> str:
    """'pledges-xrf-chelyabinsk-2026-03-31.csv'."""
    return f"pledges-{drive.slug}-{utcnow():%Y-%m-%d}.{extension}"


def _amount(minor: int | None, currency: str) -> Decimal | None:
    return None if minor is None else Decimal(minor).scaleb(-minor_units(currency))


def pledge_rows(drive: Drive) -> Iterator[list[Any]]:
    """Each pledge of the drive as typed values (dates, Decimals, text), oldest first.

    Read in batches (yield_per), so that a drive of a million pledges streams in
    constant memory.
    """
    query = (
        select(Pledge.pledged_on, Pledge.pledger_name, Pledge.is_anonymous,
               Pledge.contact_email, Pledge.amount_minor, Pledge.currency,
               Pledge.drive_amount_minor, Pledge.drive_amount_currency, Pledge.drive_rate,
               Pledge.drive_rate_on, Pledge.paid_minor, Pledge.status, Pledge.channel,
               Pledge.external_reference, Pledge.note)
        .where(Pledge.drive_id == drive.id)
        .order_by(Pledge.pledged_on, Pledge.id)
        .execution_options(yield_per=BATCH)
    )
    yes, no = _("Yes"), _("No")
    # Labels are translated once per export, not once per row.
    statuses = {status: status.label for status in PledgeStatus}
    channels = {channel: channel.label for channel in Channel}
    for (pledged_on, name, anonymous, email, amount, currency, drive_amount, drive_currency,
         rate, rate_on, paid, status, channel, reference, note) in db.session.execute(query):
        yield [pledged_on, name, yes if anonymous else no, email, _amount(amount, currency),
               currency, _amount(drive_amount, drive_currency), drive_currency, rate, rate_on,
               _amount(paid, currency), statuses[status], channels[channel], reference or "",
               note]


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return neutralize(value)


def export_csv(drive: Drive) -> Iterator[str]:
    """The drive's pledges as CSV text chunks, streamed (UTF-8 with a BOM for spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # A byte-order mark makes spreadsheet programs read the Cyrillic text as UTF-8.
    buffer.write("\ufeff")
    writer.writerow([neutralize(title) for title in header()])
    for number, row in enumerate(pledge_rows(drive), start=1):
        writer.writerow([_csv_cell(value) for value in row])
        if number % CSV_FLUSH_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _number_format(places: int) -> str:
    return "#,##0" if places == 0 else "#,##0." + "0" * places


def export_xlsx(drive: Drive, target: str | IO[bytes]) -> None:
    """Write the drive's pledges to an XLSX workbook (a path or a binary file).

    Write-only mode keeps memory flat: rows go to a temporary file as they come.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Pledges")[:31])
    for index, width in enumerate(COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    titles = []
    for title in header():
        cell = WriteOnlyCell(sheet, value=neutralize(title))
        cell.font = bold
        titles.append(cell)
    sheet.append(titles)
    # A write-only sheet writes each row as it is appended, so one formatted cell per
    # column and format serves every row: styling a new cell per value costs seconds.
    styled: dict[tuple[int, str], Any] = {}

    def formatted(index: int, value: Any, number_format: str) -> Any:
        cell = styled.get((index, number_format))
        if cell is None:
            cell = styled[(index, number_format)] = WriteOnlyCell(sheet)
            cell.number_format = number_format
        cell.value = value
        return cell

    formats = {}
    for row in pledge_rows(drive):
        cells: list[Any] = []
        for index, value in enumerate(row):
            if value is None:
                cells.append(None)
            elif index in AMOUNT_COLUMNS:
                currency = row[7] if index == 6 else row[5]
                if currency not in formats:
                    formats[currency] = _number_format(minor_units(currency))
                cells.append(formatted(index, value, formats[currency]))
            elif index in DATE_COLUMNS:
                cells.append(formatted(index, value, "yyyy-mm-dd"))
            elif index == RATE_COLUMN:
                cells.append(value)
            else:
                cells.append(neutralize(value))
        sheet.append(cells)
    workbook.save(target)
