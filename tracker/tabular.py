"""Reading an uploaded table (CSV or XLSX) into rows of cells, and finding its columns.

Every import of a file people export from a spreadsheet, a bank or an accounting
program (pledges, expenditures) reads it the same way: CSV through tracker.csvfiles,
an Excel workbook's first sheet through openpyxl after tracker.workbook's checks
(openpyxl is imported only by the function that reads a workbook, never when the app
starts), the header matched to the import's fields, directly or through a column
mapping (our field -> their header, `--map field=Header` on the command line), and
amounts and dates read as a spreadsheet writes them. Each import passes its own
FileRefused subclass, so that the messages are the same everywhere.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]  # no stubs
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.csvfiles import CsvRows, FileRefused, sniff_delimiter
from tracker.workbook import doctype_refused, is_xlsx

MAX_COLUMNS = 200
# '1500', '1500.50', '1500,50', '1 500,50' (spaces, no-break or narrow no-break spaces
# between groups of three): one decimal mark at most, no thousands commas or dots.
AMOUNT = re.compile(r"([+-]?)(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:([.,])(\d+))?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def csv_rows(content: bytes, refuse: type[FileRefused]) -> Iterator[Sequence[Any]]:
    """The rows of a CSV file: UTF-8 (a BOM is dropped), commas or semicolons."""
    if b"\x00" in content:
        raise refuse(_("This is neither a CSV text file nor an Excel workbook (.xlsx)."))
    return CsvRows(content, refuse, delimiter=sniff_delimiter(content))


def xlsx_rows(content: bytes, refuse: type[FileRefused]) -> Iterator[Sequence[Any]]:
    """The rows of the first sheet of a workbook, as values (dates as datetimes)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        header = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
    except DefusedXmlException:  # a ValueError too: caught first, for its own message
        raise doctype_refused(refuse) from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError):
        raise refuse(_("The file could not be read as an Excel workbook (.xlsx). "
                       "Save it as .xlsx or as CSV (UTF-8).")) from None
    try:
        width = max((i + 1 for i, value in enumerate(header) if value not in (None, "")),
                    default=0)
        yield header[:width]
        if width:
            yield from sheet.iter_rows(min_row=2, max_col=width, values_only=True)
    finally:
        workbook.close()


def table_rows(content: bytes, filename: str,
               refuse: type[FileRefused]) -> Iterator[Sequence[Any]]:
    """The rows of a workbook (by its name or first bytes) or else of a CSV file."""
    return xlsx_rows(content, refuse) if is_xlsx(content, filename) else csv_rows(content, refuse)


def cell_text(value: Any) -> str:
    """A cell as trimmed text: empty for nothing, 1024 for a number typed as 1024.0."""
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a reference typed as a number in a spreadsheet: 1024, not 1024.0
    return str(value).strip()


def cell_date(value: Any) -> date | None:
    """A cell as a date: a workbook's date, or text in the form YYYY-MM-DD; else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_amount(value: Any, places: int | None) -> Decimal | str:
    """The amount as a Decimal, or why it cannot be read (for the row's reasons).

    `places` (the currency's decimals, None when unknown) decides the one ambiguous
    form: '1,500' or '1.500' is 1.5 for a currency with three decimals, but could mean
    either 1500 or 1.5 otherwise, so it is refused with a hint.
    """
    if isinstance(value, bool):
        return _("“%(value)s” is not an amount; write it like 1500.50 or 1 500,50.",
                 value=value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # Excel keeps 15 significant digits: 0.30000000000000004 is the 0.3 it shows.
        return Decimal(format(value, ".15g"))
    if isinstance(value, Decimal):
        return value
    text = cell_text(value)
    if not text:
        return _("The amount is missing.")
    match = AMOUNT.fullmatch(text)
    if match is None:
        return _("“%(value)s” is not an amount; write it like 1500.50 or 1 500,50.", value=text)
    sign, whole, mark, fraction = match.groups()
    if not mark:
        return Decimal(sign + whole if whole.isdigit() else sign + _digits(whole))
    if (len(fraction) == 3 and len(whole) <= 3 and whole != "0" and whole.isdigit()
            and places != 3):
        return _("“%(value)s” could be read two ways: write %(whole)s%(fraction)s for the "
                 "larger amount, or %(whole)s%(mark)s%(short)s for the smaller one.",
                 value=text, whole=whole, fraction=fraction, mark=mark,
                 short=fraction.rstrip("0") or "0")
    return Decimal(f"{sign}{_digits(whole)}.{fraction}")


def _digits(whole: str) -> str:
    return whole if whole.isdigit() else "".join(ch for ch in whole if ch.isdigit())


@dataclass(frozen=True)
class Columns:
    """An import's fields, which of them a file must have, and how it names them.

    `names` are the fields as people read them (for messages); `unknown_field` says that
    a mapping names a field the import does not have, given that field and the list.
    """

    fields: tuple[str, ...]
    required: tuple[str, ...]
    standard_header: str  # what the file's first line is, told when a column is missing
    names: Mapping[str, Any]
    refuse: type[FileRefused]
    unknown_field: Callable[[str, str], str]

    def check_mapping(self, mapping: Mapping[str, str]) -> dict[str, str]:
        """A column mapping cleaned up: known fields only, each column used once."""
        cleaned = {}
        for field_name, name in mapping.items():
            if field_name not in self.fields:
                raise self.refuse(self.unknown_field(field_name, ", ".join(self.fields)))
            if name and name.strip():
                cleaned[field_name] = name.strip()
        taken: dict[str, str] = {}
        for field_name in self.fields:
            name = (cleaned.get(field_name) or field_name).casefold()
            if name in taken:
                raise self.refuse(_("The column “%(name)s” cannot be both the %(one)s and the "
                                    "%(other)s.", name=cleaned.get(field_name) or field_name,
                                    one=self.names[taken[name]],
                                    other=self.names[field_name]))
            taken[name] = field_name
        return cleaned

    def positions(self, header: Sequence[Any], mapping: Mapping[str, str]) -> dict[str, int]:
        """Our field -> its column index, by the (mapped) header names; refuse a missing one."""
        names = [str(value or "").strip().lstrip("\ufeff").casefold() for value in header]
        wanted = {name: (mapping.get(name) or name).strip() for name in self.fields}
        positions: dict[str, int] = {}
        missing = []
        for field_name, column in wanted.items():
            found = [index for index, header_name in enumerate(names)
                     if header_name == column.casefold()]
            if len(found) > 1:
                raise self.refuse(_("The file has more than one column “%(name)s”.",
                                    name=column))
            if found:
                positions[field_name] = found[0]
            elif field_name in self.required:
                missing.append(column)
        if missing:
            found_text = ",".join(str(value or "") for value in header)
            raise self.refuse(ngettext(
                "The file has no column “%(names)s”. The first line must be the header "
                "%(header)s, or map your columns to these fields; this file starts with "
                "“%(found)s”.",
                "The file has no columns “%(names)s”. The first line must be the header "
                "%(header)s, or map your columns to these fields; this file starts with "
                "“%(found)s”.",
                len(missing), names="”, “".join(missing),
                header=self.standard_header,
                found=found_text if len(found_text) <= 80 else found_text[:80] + "…"))
        return positions


def map_option(pairs: Iterable[str]) -> dict[str, str]:
    """A command's `--map date=Date --map amount="Sum paid"` as {field: header}."""
    mapping = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise click.BadParameter(_("Write each mapping as FIELD=HEADER, e.g. "
                                       "amount=\"Sum paid\"."), param_hint="--map")
        mapping[field.strip()] = header.strip()
    return mapping


def refused_on_command_line(error: FileRefused) -> click.ClickException:
    """List a refused file's bad rows on standard error; the exception that stops the command.

    The caller rolls its transaction back and raises what this returns (a non-zero exit).
    """
    for row in error.rows:
        click.echo(row.message, err=True)
    if error.more:
        click.echo(ngettext("… and %(num)d more row with problems.",
                            "… and %(num)d more rows with problems.", error.more), err=True)
    return click.ClickException(str(error))
