"""Pledge files over a limit, or hostile, are refused before they are read (issue 11, finding 5).

The workbooks are built in memory: an openpyxl workbook with one part replaced, so that
a sheet can declare or hold more than the limits, carry a DOCTYPE or be a zip bomb. A
refusal before reading is shown by openpyxl never being asked to read the file.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest

from tests.drive_support import page_text
from tests.factories import count_rows
from tests.test_pledge_import import HEADER, run_import, upload, write, xlsx
from tracker.drives import imports
from tracker.drives.models import Pledge, PledgeUpload

SHEET = "xl/worksheets/sheet1.xml"
SHEET_START = (b'<?xml version="1.0" encoding="UTF-8"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
HEADER_ROW = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c>'
              b'<c r="B1" t="inlineStr"><is><t>amount</t></is></c>'
              b'<c r="C1" t="inlineStr"><is><t>currency</t></is></c>'
              b'<c r="D1" t="inlineStr"><is><t>reference</t></is></c></row>')
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')


def with_part(name: str, part: bytes, base: bytes | None = None) -> bytes:
    """A real workbook (openpyxl's) with one part replaced or added, compressed as usual."""
    base = base or xlsx([["date", "amount", "currency", "reference"]])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item.filename))
        target.writestr(name, part)
    return buffer.getvalue()


def sheet(rows: bytes, dimension: str | None = None, prolog: bytes = b"") -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    start = SHEET_START if not prolog else prolog + SHEET_START[SHEET_START.index(b"?>") + 2:]
    return start + dim + b"<sheetData>" + rows + b"</sheetData></worksheet>"


def cells(rows: int, columns: int, first_row: int = 2) -> bytes:
    return b"".join(
        b'<row r="%d">' % r + b"".join(b'<c r="A%d"><v>1</v></c>' % r for _ in range(columns))
        + b"</row>" for r in range(first_row, first_row + rows))


@pytest.fixture
def unread(monkeypatch):
    """openpyxl must not be asked to read the workbook: the check refuses it first."""
    import openpyxl

    def refuse(*_args, **_kwargs):
        raise AssertionError("the workbook was read")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_a_sheet_declaring_millions_of_rows_is_refused_before_it_is_read(runner, drive,
                                                                         tmp_path, unread):
    content = with_part(SHEET, sheet(HEADER_ROW, dimension="A1:D3000000"))
    assert len(content) < 10_000
    result = run_import(runner, write(tmp_path, content, "pledges.xlsx"))
    assert result.exit_code == 1
    assert "The file has more than 200000 rows. Split it into smaller files." in result.output
    assert count_rows(Pledge) == 0


def test_a_sheet_whose_cells_exceed_the_limit_is_refused_whatever_it_declares(
        app, runner, drive, tmp_path, unread):
    app.config["PLEDGE_IMPORT_MAX_CELLS"] = 1000
    declared = with_part(SHEET, sheet(HEADER_ROW, dimension="A1:Z100"))  # 2,600 cells
    lying = with_part(SHEET, sheet(HEADER_ROW + cells(10, 200), dimension="A1:D1"))
    for content in (declared, lying):
        result = run_import(runner, write(tmp_path, content, "pledges.xlsx"))
        assert result.exit_code == 1
        assert ("The sheet has more than 1,000 cells. Delete the columns that are not imported, "
                "or split it into smaller files.") in result.output
    app.config["PLEDGE_IMPORT_MAX_ROWS"] = 5
    rows = with_part(SHEET, sheet(HEADER_ROW + cells(6, 1)))  # no dimension at all
    result = run_import(runner, write(tmp_path, rows, "pledges.xlsx"))
    assert "The file has more than 5 rows. Split it into smaller files." in result.output
    assert count_rows(Pledge) == 0


def test_a_zip_bomb_is_refused_by_its_ratio_and_its_unpacked_size(app, runner, drive, tmp_path,
                                                                   unread):
    # Three million cells in about 300 KB: the finding's file.
    bomb = with_part(SHEET, sheet(HEADER_ROW + b'<row r="2">' + b"<c><v>1</v></c>" * 3_000_000
                                  + b"</row>"))
    assert len(bomb) < 400_000
    result = run_import(runner, write(tmp_path, bomb, "pledges.xlsx"))
    assert result.exit_code == 1
    assert ("The workbook is compressed more than 100 times, far more than spreadsheets are, "
            "so it is not read.") in result.output
    app.config["PLEDGE_IMPORT_MAX_UNPACKED_BYTES"] = 1024 * 1024
    result = run_import(runner, write(tmp_path, bomb, "pledges.xlsx"))
    assert ("The workbook unpacks to more than 1 MB. Split it into smaller files, or save it "
            "as CSV (UTF-8).") in result.output
    assert count_rows(Pledge) == 0


def test_a_workbook_taking_too_long_to_check_is_refused_naming_the_limit(app, runner, drive,
                                                                         tmp_path, unread):
    app.config["PLEDGE_IMPORT_MAX_SECONDS"] = 0  # any sheet takes longer than no time at all
    content = with_part(SHEET, sheet(HEADER_ROW + cells(3, 4)))
    result = run_import(runner, write(tmp_path, content, "pledges.xlsx"))
    assert result.exit_code == 1
    assert "The workbook took longer than 0 seconds to check." in result.output


@pytest.mark.parametrize("prolog", [
    b'<?xml version="1.0"?><!DOCTYPE worksheet>',
    BILLION_LAUGHS,
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
], ids=["doctype", "billion-laughs", "external-entity"])
def test_a_sheet_with_a_doctype_is_refused_on_the_web_and_the_command_line(
        runner, as_lead, drive, tmp_path, prolog, unread):
    content = with_part(SHEET, sheet(HEADER_ROW, prolog=prolog))
    message = "The workbook contains a document type declaration (DOCTYPE)"
    result = run_import(runner, write(tmp_path, content, "pledges.xlsx"))
    assert result.exit_code == 1 and message in result.output
    response = upload(as_lead, content, "pledges.xlsx")
    assert response.status_code == 422
    assert message in page_text(response.text)
    assert count_rows(Pledge) == 0 and count_rows(PledgeUpload) == 0


def test_a_doctype_in_another_part_of_the_workbook_is_refused_by_openpyxl_with_a_message(
        runner, drive, tmp_path):
    shared = BILLION_LAUGHS + (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                               b'2006/main"><si><t>&lol3;</t></si></sst>')
    content = with_part("xl/sharedStrings.xml", shared)
    result = run_import(runner, write(tmp_path, content, "pledges.xlsx"))
    assert result.exit_code == 1
    assert "The workbook contains a document type declaration (DOCTYPE)" in result.output


def test_a_good_workbook_passes_the_checks_and_its_rows_are_estimated_from_its_dimension(
        app, runner, drive, tmp_path):
    content = xlsx([["date", "name", "email", "amount", "currency", "reference"],
                    *([datetime(2026, 3, 10), "", "", 100, "RUB", f"x-{n}"] for n in range(5))])
    with app.test_request_context():
        imports.check_workbook(content, imports.FileLimits.configured())
        assert imports.estimate_rows(content, "pledges.xlsx") == 5
    result = run_import(runner, write(tmp_path, content, "pledges.xlsx"))
    assert result.exit_code == 0, result.output
    assert count_rows(Pledge) == 5


def test_a_csv_with_too_many_rows_is_refused_before_any_row_is_checked(app, runner, drive,
                                                                       tmp_path, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the rows were checked")

    monkeypatch.setattr(imports.RowChecker, "read", refuse)
    app.config["PLEDGE_IMPORT_MAX_ROWS"] = 3
    result = run_import(runner, write(tmp_path, HEADER + "2026-03-10,,,5,RUB,r\n" * 4))
    assert result.exit_code == 1
    assert "The file has more than 3 rows. Split it into smaller files." in result.output
