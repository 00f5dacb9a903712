"""Reading a pledge file (CSV or XLSX) into rows of values, and finding its columns.

CSV goes through the shared helpers of tracker.csvfiles; openpyxl is imported only
by the functions that read a workbook, never when the app starts.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]  # no stubs
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from tracker.audit.export import FORMULA_STARTS
from tracker.csvfiles import CsvRows, FileRefused, sniff_delimiter

PLEDGE_FIELDS = ("date", "name", "email", "amount", "currency", "reference")
# Optional: money already received (a platform's export of paid donations), the pledge's
# status (closing statuses are kept, the others follow from the payments) and whether the
# pledger stays anonymous although named. The export writes all of them.
PAYMENT_FIELDS = ("paid_amount", "paid_currency", "paid_on", "paid_method")
FIELDS = (*PLEDGE_FIELDS, *PAYMENT_FIELDS, "status", "anonymous")
REQUIRED = ("date", "amount", "currency", "reference")  # the others may be left out
STANDARD_HEADER = ",".join(PLEDGE_FIELDS)
FULL_HEADER = ",".join(FIELDS)
FIELD_NAMES = {
    "date": _l("date"),
    "name": _l("name"),
    "email": _l("e-mail"),
    "amount": _l("amount"),
    "currency": _l("currency"),
    "reference": _l("reference"),
    "paid_amount": _l("amount paid"),
    "paid_currency": _l("currency of the payment"),
    "paid_on": _l("payment date"),
    "paid_method": _l("payment method"),
    "status": _l("status"),
    "anonymous": _l("anonymous"),
}
MAX_COLUMNS = 200
XLSX_MAGIC = b"PK\x03\x04"


class PledgeImportError(FileRefused):
    """A pledge file was refused as a whole; `rows` lists its bad rows (the first ones)."""


def doctype_refused() -> PledgeImportError:
    """The refusal of a workbook with a DOCTYPE (defusedxml's refusal, or workbook.py's)."""
    return PledgeImportError(_("The workbook contains a document type declaration (DOCTYPE), "
                               "which spreadsheet programs never write, so it is not read. "
                               "Save it again from your spreadsheet program, or as CSV "
                               "(UTF-8)."))


def is_xlsx(content: bytes, filename: str) -> bool:
    """An Excel workbook by its name or its first bytes (a ZIP archive), else CSV."""
    return filename.lower().endswith(".xlsx") or content.startswith(XLSX_MAGIC)


def csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    """The rows of a CSV file: UTF-8 (a BOM is dropped), commas or semicolons."""
    if b"\x00" in content:
        raise PledgeImportError(_("This is neither a CSV text file nor an Excel workbook "
                                  "(.xlsx)."))
    return CsvRows(content, PledgeImportError, delimiter=sniff_delimiter(content))


def xlsx_rows(content: bytes) -> Iterator[Sequence[Any]]:
    """The rows of the first sheet of a workbook, as values (dates as datetimes)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        header = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
    except DefusedXmlException:  # a ValueError too: caught first, for its own message
        raise doctype_refused() from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError):
        raise PledgeImportError(_("The file could not be read as an Excel workbook (.xlsx). "
                                  "Save it as .xlsx or as CSV (UTF-8).")) from None
    try:
        width = max((i + 1 for i, value in enumerate(header) if value not in (None, "")),
                    default=0)
        yield header[:width]
        if width:
            yield from sheet.iter_rows(min_row=2, max_col=width, values_only=True)
    finally:
        workbook.close()


def header_positions(header: Sequence[Any], mapping: Mapping[str, str]) -> dict[str, int]:
    """Our field -> its column index, by the (mapped) header names; refuse a missing one."""
    names = [str(value or "").strip().lstrip("\ufeff").casefold() for value in header]
    wanted = {name: (mapping.get(name) or name).strip() for name in FIELDS}
    positions: dict[str, int] = {}
    missing = []
    for field_name, column in wanted.items():
        found = [index for index, header_name in enumerate(names)
                 if header_name == column.casefold()]
        if len(found) > 1:
            raise PledgeImportError(_("The file has more than one column “%(name)s”.",
                                      name=column))
        if found:
            positions[field_name] = found[0]
        elif field_name in REQUIRED:
            missing.append(column)
    if missing:
        found_text = ",".join(str(value or "") for value in header)
        raise PledgeImportError(ngettext(
            "The file has no column “%(names)s”. The first line must be the header %(header)s, "
            "or map your columns to these fields; this file starts with “%(found)s”.",
            "The file has no columns “%(names)s”. The first line must be the header "
            "%(header)s, or map your columns to these fields; this file starts with "
            "“%(found)s”.",
            len(missing), names="”, “".join(missing), header=STANDARD_HEADER,
            found=found_text if len(found_text) <= 80 else found_text[:80] + "…"))
    return positions


def check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """A column mapping cleaned up: known fields only, each column used once."""
    cleaned = {}
    for field_name, name in mapping.items():
        if field_name not in FIELDS:
            raise PledgeImportError(_("“%(field)s” is not a field of a pledge file; the fields "
                                      "are %(fields)s.", field=field_name,
                                      fields=", ".join(FIELDS)))
        if name and name.strip():
            cleaned[field_name] = name.strip()
    taken: dict[str, str] = {}
    for field_name in FIELDS:
        name = (cleaned.get(field_name) or field_name).casefold()
        if name in taken:
            raise PledgeImportError(_("The column “%(name)s” cannot be both the %(one)s and the "
                                      "%(other)s.", name=cleaned.get(field_name) or field_name,
                                      one=FIELD_NAMES[taken[name]],
                                      other=FIELD_NAMES[field_name]))
        taken[name] = field_name
    return cleaned


def restored_text(value: Any) -> str:
    """A text cell as the export wrote it, without the quote that kept a formula inert.

    The export prefixes a quote to text a spreadsheet would run ('=...', '-5'); reading
    the file back takes it off again, so that a name or a reference round-trips.
    """
    text = cell_text(value)
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    """A cell as trimmed text: empty for nothing, 1024 for a number typed as 1024.0."""
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a reference typed as a number in a spreadsheet: 1024, not 1024.0
    return str(value).strip()
