"""Reading uploaded CSV files: one set of helpers and messages for every import.

The pledge import (drives) and the rates import (money) read files people export
from spreadsheets: UTF-8 with or without a byte-order mark, commas or (from a
spreadsheet set to a comma decimal mark) semicolons, a size limit, and rows named by
the number a spreadsheet shows (the header is row 1). Each import raises its own
subclass of FileRefused; the helpers here take that class, so the messages are the
same everywhere and each import keeps its own error type.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.errors import DomainError


@dataclass(frozen=True)
class ExcelDialect:
    """How the spreadsheet of a language reads CSV: its separator and decimal mark.

    Excel set to Russian (and most of Europe) uses the decimal comma, hence semicolons
    between cells; set to English, commas and the decimal dot. Either way a byte-order
    mark makes it read the file as UTF-8.
    """

    delimiter: str
    decimal_mark: str

    def number(self, text: str) -> str:
        """A plain decimal ('1500.50') as this spreadsheet reads a number."""
        return text.replace(".", self.decimal_mark)


EXCEL_DIALECTS = {"en": ExcelDialect(",", "."), "ru": ExcelDialect(";", ",")}


def excel_dialect(language: str) -> ExcelDialect:
    """The CSV dialect of the user's language (English's for any other)."""
    return EXCEL_DIALECTS.get(language, EXCEL_DIALECTS["en"])


@dataclass(frozen=True)
class RowError:
    """What is wrong with one line of an uploaded file (the header is row 1)."""

    row: int
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        return _("Row %(row)s: %(reason)s", row=self.row, reason=" ".join(self.reasons))

    def __str__(self) -> str:
        return self.message


class FileRefused(DomainError):
    """An uploaded file was refused as a whole; `rows` lists its bad rows (the first ones)."""

    def __init__(self, message: str, rows: Iterable[RowError] = (), more: int = 0) -> None:
        super().__init__(message, field="file")
        self.rows = sorted(rows, key=lambda error: error.row)
        self.more = more  # bad rows beyond those listed


def size_label(size: int) -> str:
    """A byte count as people say it: '1 MB', '512 KB', '300 bytes'."""
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return _("%(size)s MB", size=size // (1024 * 1024))
    if size >= 1024:
        return _("%(size)s KB", size=size // 1024)
    return ngettext("%(num)d byte", "%(num)d bytes", size)


def check_size(size: int, max_bytes: int, refuse: type[FileRefused]) -> None:
    """Refuse a file larger than the limit, saying the limit as people say it."""
    if size > max_bytes:
        raise refuse(_("The file is larger than %(limit)s. Split it into smaller files.",
                       limit=size_label(max_bytes)))


def read_limited(source: bytes | str | IO[bytes] | IO[str], max_bytes: int,
                 refuse: type[FileRefused]) -> bytes:
    """An upload's bytes, read no further than one byte past the limit (then refused)."""
    data = source if isinstance(source, bytes | str) else source.read(max_bytes + 1)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    check_size(len(raw), max_bytes, refuse)
    return raw


def not_utf8(refuse: type[FileRefused]) -> FileRefused:
    """The refusal of a file that is not UTF-8 text."""
    return refuse(_("The file is not UTF-8 text. Save it as CSV (UTF-8) and upload it again."))


def decode_text(raw: bytes, refuse: type[FileRefused]) -> str:
    """UTF-8 text without its byte-order mark, or the refusal."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise not_utf8(refuse) from None


def empty_file(header: str, refuse: type[FileRefused]) -> FileRefused:
    """The refusal of an empty file, naming the header its first line must be."""
    return refuse(_("The file is empty. Its first line must be the header %(header)s.",
                    header=header))


def sniff_delimiter(content: bytes) -> str:
    """Semicolons when the first line has more of them than commas, else commas.

    Spreadsheets set to a comma decimal mark save "CSV" with semicolons.
    """
    end = content.find(b"\n")
    first_line = content[:end] if end >= 0 else content
    return ";" if first_line.count(b";") > first_line.count(b",") else ","


class CsvRows:
    """The rows of CSV text (or of UTF-8 bytes, decoded as they are read), as lists.

    `line_num` is the line the last row ended on. A row that is not valid CSV, or
    bytes that are not UTF-8, raise the import's own refusal.
    """

    def __init__(self, source: str | bytes, refuse: type[FileRefused],
                 delimiter: str = ",") -> None:
        # Bytes are decoded as they are read, so that the file is never held twice.
        text = (io.StringIO(source, newline="") if isinstance(source, str) else
                io.TextIOWrapper(io.BytesIO(source), encoding="utf-8-sig", newline=""))
        self._reader = csv.reader(text, delimiter=delimiter, strict=True)
        self._refuse = refuse

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except UnicodeDecodeError:
            raise not_utf8(self._refuse) from None
        except csv.Error:
            raise self._refuse(
                _("The file could not be read as CSV."),
                [RowError(self.line_num, (_("This line is not valid CSV; check its quotes."),))],
            ) from None
