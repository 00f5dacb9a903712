"""Exporting a drive's pledges as CSV and XLSX: on the command line and as downloads."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.auth_support import login, make_user
from tests.drive_support import (
    DRIVE_SLUG,
    make_drive,
    make_payment,
    make_pledge,
    page_text,
)
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.drives.models import Channel, Pledge
from tracker.extensions import db

HEADER = ["date", "name", "email", "amount", "currency", "reference", "paid_amount",
          "paid_currency", "paid_on", "paid_method", "status", "anonymous", "paid_total",
          "drive_amount", "drive_currency", "drive_rate", "drive_rate_on", "channel", "note"]


@pytest.fixture
def drive(world):
    """Three pledges: roubles partly paid, tenge anonymous, dollars without a rate."""
    drive = make_drive(world)
    anna = make_pledge(drive, amount="1500.50", contact_email="anna@example.org",
                       channel=Channel.BANK_TRANSFER, external_reference="tx-1",
                       note="=HYPERLINK(\"http://evil.example\")")
    make_payment(anna, "500")
    make_pledge(drive, amount="62000", currency="KZT", name="Secret Donor", is_anonymous=True,
                external_reference="-5", note="+1 call back", pledged_on=date(2026, 3, 9))
    make_pledge(drive, amount="1000", currency="USD", name="@dana", pledged_on=date(2026, 3, 11),
                note="@ops check the transfer")
    return drive


def export_cli(runner, path: Path):
    return runner.invoke(args=["export-pledges", "--drive", DRIVE_SLUG, "-o", str(path)])


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # spreadsheets then read the Cyrillic text as UTF-8
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def expected_csv(dana_id: int) -> list[list[str]]:
    return [
        HEADER,
        ["2026-03-09", "Secret Donor", "", "62000.00", "KZT", "'-5", "", "", "", "",
         "pledged", "yes", "0.00", "10000.00", "RUB", "0.1612903225806451612903225806",
         "2026-03-01", "other", "'+1 call back"],
        ["2026-03-10", "Anna Petrova", "anna@example.org", "1500.50", "RUB", "tx-1", "500.00",
         "RUB", "2026-03-15", "bank_transfer", "partly_paid", "no", "500.00", "1500.50", "RUB",
         "1", "", "bank_transfer", "'=HYPERLINK(\"http://evil.example\")"],
        ["2026-03-11", "'@dana", "", "1000.00", "USD", f"tracker-{dana_id}", "", "", "", "",
         "pledged", "no", "0.00", "", "RUB", "", "", "other", "'@ops check the transfer"],
    ]


@pytest.fixture
def dana_id(drive):
    return db.session.scalar(select(Pledge.id).where(Pledge.currency == "USD"))


def test_the_command_writes_a_csv_with_plain_numbers_and_neutralised_text(runner, drive,
                                                                          tmp_path, dana_id):
    path = tmp_path / "pledges.csv"

    result = export_cli(runner, path)

    assert result.exit_code == 0, result.output
    assert f"Pledges of {DRIVE_SLUG} written to {path}." in result.output
    assert read_csv(path.read_text(encoding="utf-8")) == expected_csv(dana_id)


def test_the_command_writes_an_xlsx_with_numeric_cells_and_neutralised_text(runner, drive,
                                                                           tmp_path):
    path = tmp_path / "pledges.xlsx"

    result = export_cli(runner, path)

    assert result.exit_code == 0, result.output
    sheet = load_workbook(path).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    anna = sheet[3]
    assert anna[0].value == datetime(2026, 3, 10) and anna[0].number_format == "yyyy-mm-dd"
    assert anna[8].value == datetime(2026, 3, 15) and anna[8].number_format == "yyyy-mm-dd"
    for cell, value in ((anna[3], 1500.5), (anna[6], 500), (anna[12], 500), (anna[13], 1500.5)):
        assert cell.data_type == "n" and cell.value == value
        assert cell.number_format == "#,##0.00"
    assert anna[18].data_type == "s"  # a formula only as text, never run
    assert anna[18].value == "'=HYPERLINK(\"http://evil.example\")"
    tenge = rows[1]
    assert tenge[:6] == (datetime(2026, 3, 9), "Secret Donor", None, 62000, "KZT", "'-5")
    assert tenge[10:15] == ("pledged", "yes", 0, 10000, "RUB")
    assert tenge[15] == pytest.approx(0.16129032258)
    assert tenge[16] == datetime(2026, 3, 1)
    assert tenge[17:] == ("other", "'+1 call back")
    dollars = rows[3]
    assert dollars[1] == "'@dana" and dollars[13] is None
    assert dollars[18] == "'@ops check the transfer"


def test_the_command_refuses_other_extensions_and_unknown_drives(runner, drive, tmp_path):
    result = export_cli(runner, tmp_path / "pledges.pdf")
    assert result.exit_code == 1 and "Name the output file .csv or .xlsx." in result.output
    result = runner.invoke(args=["export-pledges", "--drive", "nope", "-o",
                                 str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "No drive with the short name nope." in result.output


def test_a_lead_downloads_the_same_csv_from_the_drive_page(client, lead, drive, dana_id):
    login(client, lead)
    page = client.get(f"/drives/{DRIVE_SLUG}").text
    assert f'href="/drives/{DRIVE_SLUG}/pledges.csv"' in page
    assert f'href="/drives/{DRIVE_SLUG}/pledges.xlsx"' in page

    response = client.get(f"/drives/{DRIVE_SLUG}/pledges.csv")

    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="pledges-{DRIVE_SLUG}-{utcnow():%Y-%m-%d}.csv"')
    assert read_csv(response.get_data(as_text=True)) == expected_csv(dana_id)


def test_a_lead_downloads_an_xlsx_workbook(client, lead, drive):
    login(client, lead)
    # Buffered: the workbook is sent from a temporary file that closing the response removes.
    response = client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert f"pledges-{DRIVE_SLUG}-{utcnow():%Y-%m-%d}.xlsx" in response.headers[
        "Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(
        values_only=True))
    assert len(rows) == 4 and rows[2][1] == "Anna Petrova" and rows[2][3] == 1500.5


def test_the_export_reads_as_numbers_in_russian_too(client, lead, drive):
    """Russian Excel reads `1500,50` in a semicolon-separated file as a number."""
    login(client, lead)
    client.post("/language", data={"language": "ru", "next": "/"})
    text = client.get(f"/drives/{DRIVE_SLUG}/pledges.csv").get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    assert rows[0] == HEADER
    assert rows[2][3] == "1500,50" and rows[2][6] == "500,00" and rows[2][12] == "500,00"


def test_viewers_see_no_download_buttons_and_may_not_export(client, drive):
    login(client, make_user(Role.VIEWER, email="viewer@example.org"))
    page = client.get(f"/drives/{DRIVE_SLUG}")
    assert page.status_code == 200
    assert "pledges.csv" not in page.text and "Import pledges" not in page_text(page.text)
    assert client.get(f"/drives/{DRIVE_SLUG}/pledges.csv").status_code == 403
    assert client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx", buffered=True).status_code == 403


def test_an_export_is_read_back_by_the_import_as_it_is(runner, drive, tmp_path):
    """Its columns are the import's: a dry run into the same drive finds every pledge but
    the one logged without a reference already there, and no bad row."""
    path = tmp_path / "pledges.csv"
    assert export_cli(runner, path).exit_code == 0
    result = runner.invoke(args=["import-pledges", str(path), "--drive", DRIVE_SLUG,
                                 "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "3 rows checked: all are valid." in result.output
    assert "2 rows skipped: their references were already imported." in result.output
    assert "1 pledge would be imported." in result.output
    assert Decimal("1500.50") == Decimal(read_csv(path.read_text("utf-8"))[2][3])


def test_the_xlsx_keeps_each_currencys_decimals_odd_text_and_a_bold_frozen_header(
        runner, drive, tmp_path):
    """Streamed XML: amounts in their currency's format, text escaped and kept as typed."""
    make_pledge(drive, amount="125000", currency="JPY", name="A & B <Ltd> \"x\"",
                external_reference="jp-1", note="line\u0007bell\nnext",
                pledged_on=date(2026, 3, 12))
    path = tmp_path / "pledges.xlsx"

    assert export_cli(runner, path).exit_code == 0
    sheet = load_workbook(path).worksheets[0]

    assert sheet.title == "Pledges" and sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.column_dimensions["S"].width == 40
    yen = next(row for row in sheet.iter_rows(min_row=2) if row[5].value == "jp-1")
    assert yen[3].value == 125000 and yen[3].number_format == "#,##0"
    assert yen[12].value == 0 and yen[12].number_format == "#,##0"  # nothing paid yet
    assert yen[13].value is None  # no rate from yen to roubles
    assert yen[1].value == "A & B <Ltd> \"x\""
    assert yen[18].value == "linebell\nnext"  # a control character XML cannot hold is dropped
    assert not yen[0].font.b and yen[0].value == datetime(2026, 3, 12)


def test_the_xlsx_writes_a_repeated_odd_text_the_same_on_every_row(runner, drive, tmp_path):
    """Texts are escaped once and reused (sheetwriter): each repeat reads back as typed."""
    for number in range(3):
        make_pledge(drive, amount="10", name="A & B <Ltd>", external_reference=f"rep-{number}",
                    note="x < y & z", pledged_on=date(2026, 3, 12))
    path = tmp_path / "pledges.xlsx"

    assert export_cli(runner, path).exit_code == 0
    rows = [row for row in load_workbook(path).worksheets[0].iter_rows(min_row=2, values_only=True)
            if str(row[5]).startswith("rep-")]

    assert [(row[1], row[18], row[10], row[17]) for row in rows] == [
        ("A & B <Ltd>", "x < y & z", "pledged", "other")] * 3
    assert all(row[3] == 10 and row[0] == datetime(2026, 3, 12) for row in rows)
