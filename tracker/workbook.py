"""Checking an uploaded table before it is read: a workbook's archive and sheet, a CSV's rows.

An XLSX file is a ZIP archive of XML. A few hundred kilobytes can unpack to gigabytes
or hold millions of cells, and openpyxl reads every cell of a row it is given, so a
workbook is checked first, on its raw parts, with limits from the configuration
(PLEDGE_IMPORT_MAX_*, which every import of a table shares): the unpacked size and
compression ratio of the archive (from its directory: Python's zipfile never unpacks
more than a member declares), then the first sheet's declared size (its <dimension>)
and a streaming count of its rows and cells that stops at the first limit passed, or
when reading takes too long. Document type declarations (DOCTYPE, where XML bombs
live) are refused here; openpyxl, with defusedxml installed, refuses them in the other
parts. Each refusal names its limit.

Every check takes the import's own refusal (a tracker.csvfiles.FileRefused subclass), so
that the pledge import and the expenditure import each raise their own error with the
same words.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import time
import zipfile
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]  # no stubs
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]  # no stubs
from flask import current_app
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from tracker.csvfiles import FileRefused, size_label, sniff_delimiter

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
FIRST_SHEET = "xl/worksheets/sheet1.xml"
MAX_MEMBERS = 1000  # a workbook of one sheet has about a dozen parts
# A compression ratio is only judged on parts this large: tiny parts compress oddly.
RATIO_FROM_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024
CELL_REFERENCE = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})")


@dataclass(frozen=True)
class FileLimits:
    """How much of an uploaded table is read at most (tracker/config.py, PLEDGE_IMPORT_MAX_*)."""

    rows: int
    cells: int
    unpacked_bytes: int
    ratio: int
    seconds: float

    @classmethod
    def configured(cls, max_rows: int | None = None) -> FileLimits:
        """The configured limits; `max_rows` overrides the row limit (a caller's own)."""
        config = current_app.config
        return cls(rows=config["PLEDGE_IMPORT_MAX_ROWS"] if max_rows is None else max_rows,
                   cells=config["PLEDGE_IMPORT_MAX_CELLS"],
                   unpacked_bytes=config["PLEDGE_IMPORT_MAX_UNPACKED_BYTES"],
                   ratio=config["PLEDGE_IMPORT_MAX_RATIO"],
                   seconds=config["PLEDGE_IMPORT_MAX_SECONDS"])


XLSX_MAGIC = b"PK\x03\x04"


def is_xlsx(content: bytes, filename: str) -> bool:
    """An Excel workbook by its name or its first bytes (a ZIP archive), else CSV."""
    return filename.lower().endswith(".xlsx") or content.startswith(XLSX_MAGIC)


def doctype_refused(refuse: type[FileRefused]) -> FileRefused:
    """The refusal of a workbook with a DOCTYPE (defusedxml's refusal, or this module's)."""
    return refuse(_("The workbook contains a document type declaration (DOCTYPE), "
                    "which spreadsheet programs never write, so it is not read. "
                    "Save it again from your spreadsheet program, or as CSV "
                    "(UTF-8)."))


def not_a_workbook(refuse: type[FileRefused]) -> FileRefused:
    return refuse(_("The file could not be read as an Excel workbook (.xlsx). "
                               "Save it as .xlsx or as CSV (UTF-8)."))


def too_many_rows(max_rows: int, refuse: type[FileRefused]) -> FileRefused:
    """The row limit's refusal: the words the row checks use once they have read that far."""
    return refuse(ngettext(
        "The file has more than %(num)d row. Split it into smaller files.",
        "The file has more than %(num)d rows. Split it into smaller files.", max_rows))


def too_many_cells(max_cells: int, refuse: type[FileRefused]) -> FileRefused:
    return refuse(_(
        "The sheet has more than %(num)s cells. Delete the columns that are not imported, "
        "or split it into smaller files.", num=format_decimal(max_cells)))


def check_workbook(content: bytes, limits: FileLimits,
                   refuse: type[FileRefused] = FileRefused) -> None:
    """Refuse a workbook over any limit, or not a workbook at all, before openpyxl reads it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_a_workbook(refuse) from None
    with archive:
        _check_archive(archive, limits, refuse)
        _check_prologs(archive, refuse)
        _SheetCounter(limits, refuse).read(archive, first_sheet(archive, refuse))


def estimate_rows(content: bytes, filename: str) -> int:
    """About how many data rows a file holds, for a progress bar (before it is read)."""
    if is_xlsx(content, filename):
        return max(0, declared_rows(content) - 1)  # the sheet's own word, not a reading
    return max(0, content.count(b"\n") - 1)


def declared_rows(content: bytes) -> int:
    """The rows the first sheet says it spans (<dimension>), or 0 if it does not say."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_archive(archive, FileLimits.configured(), FileRefused)
            counter = _SheetCounter(None, FileRefused)
            counter.read(archive, first_sheet(archive, FileRefused))
            return counter.declared_rows
    except Exception:  # an estimate only; the check itself reports what is wrong
        return 0


def _check_archive(archive: zipfile.ZipFile, limits: FileLimits,
                   refuse: type[FileRefused]) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise not_a_workbook(refuse)
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.unpacked_bytes:
        raise refuse(_(
            "The workbook unpacks to more than %(limit)s. Split it into smaller files, or "
            "save it as CSV (UTF-8).", limit=size_label(limits.unpacked_bytes)))
    for member in members:
        if (member.file_size >= RATIO_FROM_BYTES
                and member.file_size > limits.ratio * max(member.compress_size, 1)):
            raise refuse(_(
                "The workbook is compressed more than %(ratio)s times, far more than "
                "spreadsheets are, so it is not read. Save it again from your spreadsheet "
                "program, or as CSV (UTF-8).", ratio=format_decimal(limits.ratio)))


def _check_prologs(archive: zipfile.ZipFile, refuse: type[FileRefused]) -> None:
    """Refuse a DOCTYPE in any XML part: read each part only up to its root element.

    openpyxl refuses some through defusedxml, but reads the shared strings with the
    standard library's parser, which accepts a DOCTYPE.
    """
    for member in archive.infolist():
        if member.filename.endswith((".xml", ".rels", ".vml")):
            _SheetCounter(None, refuse, prolog_only=True).read(archive, member.filename)


def first_sheet(archive: zipfile.ZipFile, refuse: type[FileRefused]) -> str:
    """The path of the workbook's first sheet, as openpyxl's worksheets[0] finds it."""
    names = set(archive.namelist())
    try:
        workbook = fromstring(archive.read(WORKBOOK), forbid_dtd=True)
        relations = fromstring(archive.read(WORKBOOK_RELS), forbid_dtd=True)
    except DefusedXmlException:
        raise doctype_refused(refuse) from None
    except (KeyError, ParseError, zipfile.BadZipFile, OSError, ValueError):
        if FIRST_SHEET in names:
            return FIRST_SHEET
        raise not_a_workbook(refuse) from None
    sheet = workbook.find(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet")
    relation_id = sheet.get(f"{{{REL_NS}}}id") if sheet is not None else None
    for relation in relations.iter(f"{{{PACKAGE_REL_NS}}}Relationship"):
        target = relation.get("Target") or ""
        if relation.get("Id") == relation_id and target:
            path = (target.lstrip("/") if target.startswith("/")
                    else posixpath.normpath(posixpath.join("xl", target)))
            if path in names:
                return path
    if FIRST_SHEET in names:
        return FIRST_SHEET
    raise not_a_workbook(refuse)


class _SheetCounter:
    """Counts a sheet's rows and cells as its XML streams by; raises at the first limit."""

    def __init__(self, limits: FileLimits | None, refuse: type[FileRefused],
                 prolog_only: bool = False) -> None:
        self.limits = limits
        self.refuse = refuse
        self.prolog_only = prolog_only
        self.rows = 0
        self.cells = 0
        self.declared_rows = 0
        self.stop_at_dimension = limits is None  # only the declared size is wanted

    def read(self, archive: zipfile.ZipFile, path: str) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.StartElementHandler = self._start
        started = time.monotonic()
        try:
            with archive.open(path) as sheet:
                self._feed(parser, sheet, started)
        except (expat.ExpatError, zipfile.BadZipFile, OSError, KeyError, EOFError):
            raise not_a_workbook(self.refuse) from None
        except _Stop:
            return

    def _feed(self, parser: Any, sheet: IO[bytes], started: float) -> None:
        while chunk := sheet.read(CHUNK_BYTES):
            parser.Parse(chunk, False)
            if self.limits is not None and time.monotonic() - started > self.limits.seconds:
                raise self.refuse(ngettext(
                    "The workbook took longer than %(num)d second to check. Split it into "
                    "smaller files, or save it as CSV (UTF-8).",
                    "The workbook took longer than %(num)d seconds to check. Split it into "
                    "smaller files, or save it as CSV (UTF-8).", int(self.limits.seconds)))
        parser.Parse(b"", True)

    def _doctype(self, *_args: Any) -> None:
        raise doctype_refused(self.refuse)

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        if self.prolog_only:
            raise _Stop()
        local = name.rpartition(" ")[2]
        limits = self.limits
        if local == "c":
            self.cells += 1
            if limits is not None and self.cells > limits.cells:
                raise too_many_cells(limits.cells, self.refuse)
        elif local == "row":
            self.rows += 1
            if limits is not None and self.rows > limits.rows + 1:  # the header is a row too
                raise too_many_rows(limits.rows, self.refuse)
        elif local == "dimension":
            self._dimension(attributes.get("ref", ""))
        elif local == "sheetData" and self.stop_at_dimension:
            raise _Stop()

    def _dimension(self, ref: str) -> None:
        """Refuse a sheet that declares more rows or cells than the limits allow."""
        first, _sep, last = ref.upper().partition(":")
        start, end = CELL_REFERENCE.fullmatch(first), CELL_REFERENCE.fullmatch(last or first)
        if start is None or end is None:
            return  # an odd or missing dimension: the count below still applies
        rows = int(end[2]) - int(start[2]) + 1
        columns = _column_number(end[1]) - _column_number(start[1]) + 1
        self.declared_rows = max(rows, 0)
        limits = self.limits
        if limits is None:
            raise _Stop()
        if rows > limits.rows + 1:
            raise too_many_rows(limits.rows, self.refuse)
        if rows * columns > limits.cells:
            raise too_many_cells(limits.cells, self.refuse)


class _Stop(Exception):
    """Enough of the sheet was read."""


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def check_csv_rows(content: bytes, max_rows: int,
                   refuse: type[FileRefused] = FileRefused) -> None:
    """Refuse a CSV file with more rows than the limit before any row is checked.

    Counting lines is instant and usually enough; only a file with more lines than
    rows allowed (a quoted cell may hold line breaks) is counted properly, by the csv
    module, which stops at the limit.
    """
    if content.count(b"\n") <= max_rows + 1:
        return
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", errors="replace",
                            newline="")
    rows = 0
    try:
        for values in csv.reader(text, delimiter=sniff_delimiter(content)):
            if any(value.strip() for value in values):
                rows += 1
                if rows > max_rows + 1:  # the header is a row too
                    raise too_many_rows(max_rows, refuse)
    except csv.Error:
        return  # the check itself names the bad line
