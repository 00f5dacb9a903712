"""Writing one large sheet to an XLSX workbook quickly, row by row, in flat memory.

openpyxl's write-only mode builds a cell object and an element tree for every value
(without lxml, in pure Python): about 0.5 ms a row of 19 cells, 50 s for 100,000
pledges on a loaded machine. A sheet of plain values needs none of that: each row is
formatted straight into the sheet's XML and deflated into the archive as it comes.
The workbook is the minimal one spreadsheet programs and openpyxl read: one sheet,
text as inline strings, numbers exact (a Decimal as written, never through a float),
dates as serial days with a date format, the header row in bold and frozen.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
EPOCH = date(1899, 12, 30)  # day 0 of a workbook's dates (the 1900 system, as Excel counts)
# Number formats every spreadsheet program knows by number; others are declared from 164.
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}
# Characters XML 1.0 cannot hold at all: dropped, as a spreadsheet could not show them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Text needing any care (escaping, dropping): most cells have none and are written as they are.
NEEDS_CARE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Texts that repeat (currencies, statuses, names) are escaped once: up to this many kept.
TEXTS_KEPT = 20_000
ROWS_PER_WRITE = 200  # rows joined before they are deflated: one call per row costs
# Deflating the sheet's XML is a good part of the time; level 1 makes it about a fifth
# larger than the default level, several times faster.
COMPRESS_LEVEL = 1

Formats = Sequence[str | None]


def _text(value: str) -> str:
    if NEEDS_CARE.search(value):
        value = escape(NOT_XML.sub("", value))
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def _cell(ref: str, style: str, value: Any) -> str:
    """A cell of any type the sheet holds (see SheetWriter)."""
    if isinstance(value, str):
        return f'<c r="{ref}"{style} t="inlineStr">{_text(value)}</c>'
    if isinstance(value, Decimal):
        return f'<c r="{ref}"{style}><v>{value:f}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        raise TypeError("a sheet cell holds a date, not a date and time")
    if isinstance(value, date):
        return f'<c r="{ref}"{style}><v>{(value - EPOCH).days}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    raise TypeError(f"a sheet cell cannot hold {type(value).__name__}")


class SheetWriter:
    """Streams one sheet into an XLSX workbook; use it as a context manager.

    `append(values, styles)` writes a row: None and "" leave a cell empty; str is text,
    bool a flag, int, float and Decimal numbers, date a date; `styles` (from
    `styles(formats)`, made once for rows formatted alike) gives each cell's number
    format. Leaving the block completes the workbook.
    """

    def __init__(self, target: str | IO[bytes], title: str, widths: Sequence[float]) -> None:
        self._archive = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED,
                                        compresslevel=COMPRESS_LEVEL)
        self._sheet = self._archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._title = title[:31]
        # Imported here: the app must start without openpyxl (tests/test_smoke.py).
        from openpyxl.utils import get_column_letter

        self._columns = [get_column_letter(index) for index in range(1, len(widths) + 1)]
        self._styles: dict[tuple[bool, str | None], str] = {(False, None): ""}
        self._formats: dict[str, int] = {}
        self._row = 0
        self._pending: list[str] = []
        self._texts: dict[str, str] = {}
        columns = "".join(f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
                          for index, width in enumerate(widths, start=1))
        self._sheet.write(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN_NS}"><sheetViews><sheetView workbookViewId="0">'
            f'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            f'<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
            f'</sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{columns}</cols>'
            f'<sheetData>'.encode())

    def __enter__(self) -> SheetWriter:
        return self

    def __exit__(self, exc_type: Any, error: BaseException | None, traceback: Any) -> None:
        if error is None:
            self.close()
        else:
            self._sheet.close()
            self._archive.close()

    def header(self, titles: Sequence[str]) -> None:
        """The first row: the titles in bold (it stays on screen as the rows scroll)."""
        self.append(titles, [self._style(True, None)] * len(titles))

    def styles(self, formats: Formats) -> list[str]:
        """The cells' styles for a row with these number formats (None: none)."""
        return [self._style(False, number_format) for number_format in formats]

    def append(self, values: Sequence[Any], styles: Sequence[str] | None = None) -> None:
        """Write the next row."""
        self._row += 1
        row = str(self._row)
        parts = [f'<row r="{row}">']
        columns = self._columns
        texts = self._texts
        # The exact type first (one comparison for most cells); subclasses go the long way.
        for column, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            style = styles[column] if styles is not None else ""
            if kind is str:
                if not value:
                    continue
                text = texts.get(value)
                if text is None:
                    text = _text(value)
                    if len(texts) < TEXTS_KEPT:
                        texts[value] = text
                parts.append(f'<c r="{columns[column]}{row}"{style} t="inlineStr">{text}</c>')
            elif kind is Decimal:
                parts.append(f'<c r="{columns[column]}{row}"{style}><v>{value:f}</v></c>')
            elif kind is date:
                parts.append(
                    f'<c r="{columns[column]}{row}"{style}><v>{(value - EPOCH).days}</v></c>')
            elif value != "":
                parts.append(_cell(columns[column] + row, style, value))
        parts.append("</row>")
        self._pending.append("".join(parts))
        if len(self._pending) >= ROWS_PER_WRITE:
            self._flush()

    def _flush(self) -> None:
        self._sheet.write("".join(self._pending).encode())
        self._pending = []

    def _style(self, bold: bool, number_format: str | None) -> str:
        """The cell's style attribute, its style declared on first use."""
        style = self._styles.get((bold, number_format))
        if style is None:
            if number_format is not None and number_format not in BUILTIN_FORMATS:
                self._formats.setdefault(number_format, 164 + len(self._formats))
            style = self._styles[(bold, number_format)] = f' s="{len(self._styles)}"'
        return style

    def close(self) -> None:
        """End the sheet and write the workbook's other parts."""
        self._flush()
        self._sheet.write(b'</sheetData><pageMargins left="0.75" right="0.75" top="1" '
                          b'bottom="1" header="0.5" footer="0.5"/></worksheet>')
        self._sheet.close()
        parts = {
            "[Content_Types].xml": (
                f'<Types xmlns="{TYPES_NS}">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{SHEET_TYPE}.sheet.main+xml"/>'
                f'<Override PartName="/xl/worksheets/sheet1.xml" '
                f'ContentType="{SHEET_TYPE}.worksheet+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{SHEET_TYPE}.styles+xml"/>'
                '</Types>'),
            "_rels/.rels": (
                f'<Relationships xmlns="{PACKAGE_NS}"><Relationship Id="rId1" '
                f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
            "xl/workbook.xml": (
                f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
                f'<sheet name={quoteattr(self._title)} sheetId="1" r:id="rId1"/>'
                '</sheets></workbook>'),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{PACKAGE_NS}">'
                f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" '
                'Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{REL_NS}/styles" Target="styles.xml"/>'
                '</Relationships>'),
            "xl/styles.xml": self._stylesheet(),
        }
        for name, text in parts.items():
            self._archive.writestr(
                name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)
        self._archive.close()

    def _stylesheet(self) -> str:
        formats = "".join(f'<numFmt numFmtId="{number}" formatCode={quoteattr(code)}/>'
                          for code, number in self._formats.items())
        if formats:
            formats = f'<numFmts count="{len(self._formats)}">{formats}</numFmts>'
        cells = []
        for bold, number_format in self._styles:  # in the order of their numbers
            number = (0 if number_format is None
                      else BUILTIN_FORMATS.get(number_format) or self._formats[number_format])
            applied = (' applyNumberFormat="1"' if number else "") + (
                ' applyFont="1"' if bold else "")
            cells.append(f'<xf numFmtId="{number}" fontId="{int(bold)}" fillId="0" '
                         f'borderId="0" xfId="0"{applied}/>')
        return (
            f'<styleSheet xmlns="{MAIN_NS}">'
            f'{formats}'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            f'borderId="0"/></cellStyleXfs><cellXfs count="{len(cells)}">{"".join(cells)}'
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            '</cellStyles></styleSheet>')
