"""Importing pledges from CSV and XLSX files: on the command line and on the web.

The world (tests/drive_support.py): a drive in roubles; RUB→KZT 6.30 from 2026-01-05 and
6.20 from 2026-03-01 (KZT is converted with their inverse), EUR→RUB 95 then 100; no USD.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import event, select, update

from tests.auth_support import make_user
from tests.drive_support import (
    DRIVE_SLUG,
    make_drive,
    make_pledge,
    page_text,
    stored_totals,
)
from tests.factories import count_rows
from tests.history_support import details
from tracker.audit.models import AuditEvent
from tracker.auth.models import Role
from tracker.bulk import CHUNK
from tracker.db import utcnow
from tracker.drives import imports, services
from tracker.drives.models import (
    Channel,
    DriveStatus,
    Pledge,
    PledgeSource,
    PledgeStatus,
    PledgeUpload,
)
from tracker.extensions import db
from tracker.money.services import RateBook, add_rate, convert, converted
from tracker.money.value import Money

HEADER = "date,name,email,amount,currency,reference\n"
GOOD_ROWS = (
    "2026-03-10,Anna Petrova,anna@example.org,\"1 500,50\",RUB,tx-1\n"
    "2026-03-10,,,62000,KZT,tx-2\n"
    "2026-02-15,Oleg Ivanov,oleg@example.org,10.5,eur,tx-3\n"
    "2026-03-11,Dana,dana@example.org,\"1\u00a0000\",USD,tx-4\n"
    "\n"
)
GOOD_FILE = HEADER + GOOD_ROWS


def write(tmp_path: Path, content: str | bytes, name: str = "pledges.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def run_import(runner, path: Path, *args: str, slug: str = DRIVE_SLUG):
    return runner.invoke(args=["import-pledges", str(path), "--drive", slug, *args])


def stored() -> list[dict[str, Any]]:
    """The drive's pledges as stored, by reference."""
    db.session.expire_all()
    return [
        {"ref": p.external_reference, "on": p.pledged_on, "name": p.pledger_name,
         "anonymous": p.is_anonymous, "email": p.contact_email, "amount": p.amount,
         "drive_minor": p.drive_amount_minor, "rate": p.drive_rate, "rate_on": p.drive_rate_on,
         "unpaid": p.unpaid_drive_minor, "status": p.status, "source": p.source}
        for p in db.session.scalars(select(Pledge).order_by(Pledge.external_reference))
    ]


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the command line: good files --------------------------------------------------------


def test_a_good_csv_with_bom_comma_decimals_and_anonymous_rows_is_imported(runner, drive,
                                                                           tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + GOOD_FILE.replace("\n", "\r\n").encode())

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert "4 pledges imported." in result.output
    assert "0 rows skipped" in result.output
    assert "1 pledge has no exchange rate on or before its date yet" in result.output
    rows = stored()
    assert [(r["ref"], r["name"], r["anonymous"], r["email"], r["amount"]) for r in rows] == [
        ("tx-1", "Anna Petrova", False, "anna@example.org", Money(Decimal("1500.50"), "RUB")),
        ("tx-2", "", True, "", Money(Decimal("62000"), "KZT")),
        ("tx-3", "Oleg Ivanov", False, "oleg@example.org", Money(Decimal("10.50"), "EUR")),
        ("tx-4", "Dana", False, "dana@example.org", Money(Decimal("1000"), "USD")),
    ]
    assert [(r["drive_minor"], r["rate_on"], r["unpaid"]) for r in rows] == [
        (150050, None, 150050),
        (1000000, date(2026, 3, 1), 1000000),  # 62 000 KZT at 1/6.20
        (99750, date(2026, 1, 5), 99750),  # 10.50 EUR at 95
        (None, None, None),  # no USD rate: never a silent zero
    ]
    assert {(r["status"], r["source"]) for r in rows} == {(PledgeStatus.PLEDGED,
                                                           PledgeSource.IMPORT)}


def test_imported_pledges_are_stored_exactly_as_logged_ones(runner, world, drive, tmp_path):
    """The same pledges logged one by one on another drive store the same conversions."""
    other = make_drive(world, slug="other-drive")
    for on, amount, currency, ref in ((date(2026, 3, 10), "1500.50", "RUB", "a"),
                                      (date(2026, 3, 10), "62000", "KZT", "b"),
                                      (date(2026, 2, 15), "10.50", "EUR", "c"),
                                      (date(2026, 3, 11), "1000", "USD", "d"),
                                      (date(2026, 1, 4), "777", "KZT", "e")):
        make_pledge(other, amount=amount, currency=currency, pledged_on=on, name="",
                    external_reference=ref)
    path = write(tmp_path, HEADER + "2026-03-10,,,1500.50,RUB,a\n2026-03-10,,,62000,KZT,b\n"
                 "2026-02-15,,,\"10,50\",EUR,c\n2026-03-11,,,1000,USD,d\n2026-01-04,,,777,KZT,e\n")

    assert run_import(runner, path).exit_code == 0

    columns = ("external_reference", "amount_minor", "currency", "drive_amount_minor",
               "drive_amount_currency", "drive_rate", "drive_rate_on", "unpaid_drive_minor",
               "paid_minor", "status", "is_anonymous", "pledger_name")

    def by_drive(drive_id: int) -> list[tuple[Any, ...]]:
        db.session.expire_all()
        return [tuple(getattr(p, name) for name in columns) for p in db.session.scalars(
            select(Pledge).where(Pledge.drive_id == drive_id)
            .order_by(Pledge.external_reference))]

    assert by_drive(drive.id) == by_drive(other.id)


def test_the_importers_rate_book_converts_as_the_conversion_service(app, world, drive):
    """Direct and inverse pairs, the same day for both, before the first rate, odd amounts."""
    add_rate(date(2026, 3, 1), "KZT", "RUB", Decimal("0.1612"), "Both ways on one day")
    add_rate(date(2026, 2, 1), "RUB", "UZS", Decimal("137.123456789"), "Inverse only")
    db.session.commit()
    book = RateBook.into("RUB", until=date(2026, 12, 31))
    days = [date(2026, 1, 4), date(2026, 1, 5), date(2026, 2, 1), date(2026, 2, 28),
            date(2026, 3, 1), date(2026, 6, 30)]
    amounts = ["0.01", "0.05", "1", "333.33", "62000", "987654321.99"]
    for currency in ("KZT", "EUR", "UZS", "USD", "RUB"):
        for on in days:
            for text in amounts:
                money = Money(Decimal(text), currency)
                found = book.converted(money.minor, currency, "RUB", on)
                assert found == converted(money, "RUB", on), (money, on)
                if found.minor is not None:
                    assert found.minor == convert(money, "RUB", on).converted.minor


def test_an_xlsx_file_with_date_cells_and_numbers_is_imported(runner, drive, tmp_path):
    content = xlsx([
        ["date", "name", "email", "amount", "currency", "reference"],
        [datetime(2026, 3, 10), "Anna Petrova", "anna@example.org", 1500.5, "RUB", 1024],
        [date(2026, 3, 10), None, None, 62000, "KZT", "tx-2"],
        [None, None, None, None, None, None],
        ["2026-02-15", "Oleg", None, "10,50", "EUR", "tx-3"],
    ])
    path = write(tmp_path, content, "pledges.xlsx")

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert "3 pledges imported." in result.output
    assert [(r["ref"], r["on"], r["name"], r["amount"], r["drive_minor"]) for r in stored()] == [
        ("1024", date(2026, 3, 10), "Anna Petrova", Money(Decimal("1500.50"), "RUB"), 150050),
        ("tx-2", date(2026, 3, 10), "", Money(Decimal("62000"), "KZT"), 1000000),
        ("tx-3", date(2026, 2, 15), "Oleg", Money(Decimal("10.50"), "EUR"), 99750),
    ]


def test_bad_rows_in_an_xlsx_file_are_named_by_the_spreadsheets_row_numbers(runner, drive,
                                                                            tmp_path):
    content = xlsx([
        ["date", "name", "email", "amount", "currency", "reference"],
        [datetime(2026, 3, 10), "Anna", None, 100, "RUB", "a"],
        [None, None, None, None, None, None],
        [datetime(2026, 3, 10), "Oleg", None, -5, "RUB", "b"],
        [None, None, None, 0, None, None],  # a zero is a value, not a blank row
    ])
    result = run_import(runner, write(tmp_path, content, "pledges.xlsx"))
    assert result.exit_code == 1
    assert "Row 4: The amount must be greater than zero." in result.output
    assert "Row 5: The date is missing. The amount must be greater than zero." in result.output
    assert "Row 3" not in result.output
    assert count_rows(Pledge) == 0


def test_a_column_mapping_reads_another_programs_export(runner, drive, tmp_path):
    path = write(tmp_path, "Transaction,Donor,Sum,Cur,Day,Comment\n"
                           "p-1,Anna,\"2 500,00\",RUB,2026-03-10,thanks\n"
                           "p-2,,300,RUB,2026-03-11,\n")

    result = run_import(runner, path, "--map", "reference=Transaction", "--map", "name=Donor",
                        "--map", "amount=Sum", "--map", "currency=cur", "--map", "date=Day")

    assert result.exit_code == 0, result.output
    assert [(r["ref"], r["name"], r["anonymous"], r["amount"]) for r in stored()] == [
        ("p-1", "Anna", False, Money(Decimal("2500"), "RUB")),
        ("p-2", "", True, Money(Decimal("300"), "RUB")),
    ]


def test_a_semicolon_separated_csv_from_a_russian_spreadsheet_is_read(runner, drive, tmp_path):
    path = write(tmp_path, "date;name;email;amount;currency;reference\n"
                           "2026-03-10;Анна Петрова;;1 500,50;RUB;tx-1\n")
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert [(r["name"], r["amount"]) for r in stored()] == [
        ("Анна Петрова", Money(Decimal("1500.50"), "RUB"))]


def test_a_mapping_to_an_unknown_field_or_a_missing_column_is_refused(runner, drive, tmp_path):
    path = write(tmp_path, GOOD_FILE)
    result = run_import(runner, path, "--map", "donor=Name")
    assert result.exit_code == 1
    assert "“donor” is not a field of a pledge file" in result.output
    result = run_import(runner, path, "--map", "amount=Sum")
    assert result.exit_code == 1
    assert "The file has no column “Sum”." in result.output
    result = run_import(runner, path, "--map", "amount")
    assert result.exit_code == 2 and "FIELD=HEADER" in result.output
    assert count_rows(Pledge) == 0


# --- the command line: bad files -----------------------------------------------------------


LONG_NAME = "N" * 201


@pytest.mark.parametrize(("row", "reason"), [
    ("10.03.2026,Anna,,100,RUB,r", "“10.03.2026” is not a date in the form YYYY-MM-DD."),
    ("2026-02-30,Anna,,100,RUB,r", "“2026-02-30” is not a date in the form YYYY-MM-DD."),
    (",Anna,,100,RUB,r", "The date is missing."),
    ("2099-01-01,Anna,,100,RUB,r", "The date 2099-01-01 is in the future."),
    ("2026-03-10,Anna,,0,RUB,r", "The amount must be greater than zero."),
    ("2026-03-10,Anna,,-5,RUB,r", "The amount must be greater than zero."),
    ("2026-03-10,Anna,,,RUB,r", "The amount is missing."),
    ("2026-03-10,Anna,,abc,RUB,r", "“abc” is not an amount; write it like 1500.50 or 1 500,50."),
    ("2026-03-10,Anna,,\"1,500.00\",RUB,r", "“1,500.00” is not an amount"),
    ("2026-03-10,Anna,,\"1,500\",RUB,r",
     "“1,500” could be read two ways: write 1500 for the larger amount, or 1,5 for the "
     "smaller one."),
    ("2026-03-10,Anna,,2000000000000,RUB,r",
     "This amount is implausibly large; check the digits."),
    ("2026-03-10,Anna,,10.5555,RUB,r", "RUB allows at most 2 decimal places."),
    ("2026-03-10,Anna,,10.5,JPY,r", "JPY allows at most 0 decimal places."),
    ("2026-03-10,Anna,,100,RUR,r", "Unknown currency: “RUR”."),
    ("2026-03-10,Anna,,100,,r", "The currency is missing."),
    ("2026-03-10,Anna,,100,RUB,", "The reference is missing"),
    ("2026-03-10,Anna,,100,RUB," + "r" * 101, "The reference is longer than 100 characters."),
    ("2026-03-10,Anna,anna@,100,RUB,r", "“anna@” is not a valid e-mail address."),
    (f"2026-03-10,{LONG_NAME},,100,RUB,r", "The name is longer than 200 characters."),
])
def test_each_kind_of_bad_row_is_named_and_nothing_is_imported(runner, drive, tmp_path, row,
                                                               reason):
    path = write(tmp_path, HEADER + "2026-03-10,Good,,100,RUB,good-1\n" + row + "\n")
    events = count_rows(AuditEvent)

    result = run_import(runner, path)

    assert result.exit_code == 1
    assert f"Row 3: {reason}" in result.output
    assert "Nothing was imported: 1 row has a problem." in result.output
    assert count_rows(Pledge) == 0
    assert count_rows(AuditEvent) == events
    assert stored_totals(drive)["supporters"] == 0


def test_every_bad_row_is_listed_with_all_its_reasons(runner, drive, tmp_path):
    path = write(tmp_path, HEADER + "2026-03-10,Anna,,100,RUB,a\n"
                                    "yesterday,Oleg,,-1,XXY,\n"
                                    "2026-03-10,Dana,,100,RUB,a\n")
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert ("Row 3: “yesterday” is not a date in the form YYYY-MM-DD. The amount must be "
            "greater than zero. Unknown currency: “XXY”. The reference is missing") in result.output
    assert "Row 4: The reference a is already on row 2." in result.output
    assert "Nothing was imported: 2 rows have problems." in result.output
    assert count_rows(Pledge) == 0


def test_a_file_with_the_wrong_header_or_no_rows_is_refused(runner, drive, tmp_path):
    result = run_import(runner, write(tmp_path, "when,who,how much\n2026-03-10,Anna,100\n"))
    assert result.exit_code == 1
    assert ("The file has no columns “date”, “amount”, “currency”, “reference”. The first line "
            "must be the header date,name,email,amount,currency,reference") in result.output
    result = run_import(runner, write(tmp_path, HEADER + "\n"))
    assert result.exit_code == 1 and "The file has a header but no pledges." in result.output
    result = run_import(runner, write(tmp_path, ""))
    assert result.exit_code == 1 and "The file is empty." in result.output
    result = run_import(runner, write(tmp_path, HEADER.encode() + "Äpfel".encode("latin-1")))
    assert result.exit_code == 1 and "The file is not UTF-8 text." in result.output
    result = run_import(runner, write(tmp_path, b"not a workbook", "pledges.xlsx"))
    assert result.exit_code == 1 and "could not be read as an Excel workbook" in result.output
    assert count_rows(Pledge) == 0


def test_size_and_row_limits_give_a_clear_message(app, runner, drive, tmp_path):
    path = write(tmp_path, GOOD_FILE)
    app.config["PLEDGE_IMPORT_MAX_ROWS"] = 3
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert "The file has more than 3 rows. Split it into smaller files." in result.output
    app.config["PLEDGE_IMPORT_MAX_ROWS"] = 200_000
    app.config["PLEDGE_IMPORT_MAX_BYTES"] = 100
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert "The file is larger than 100 bytes. Split it into smaller files." in result.output
    assert count_rows(Pledge) == 0


def test_unknown_drives_closed_drives_and_unknown_accounts_are_refused(runner, world, drive,
                                                                      tmp_path):
    path = write(tmp_path, GOOD_FILE)
    result = run_import(runner, path, slug="no-such-drive")
    assert result.exit_code == 1 and "No drive with the short name no-such-drive." in result.output
    make_drive(world, slug="closed-drive", status=DriveStatus.CLOSED)
    result = run_import(runner, path, slug="closed-drive")
    assert result.exit_code == 1
    assert "This drive is “Closed”: it takes no new pledges." in result.output
    result = run_import(runner, path, "--as", "nobody@example.org")
    assert result.exit_code == 1
    assert "No active account with the e-mail nobody@example.org." in result.output
    viewer = make_user(Role.VIEWER, email="viewer@example.org")
    result = run_import(runner, path, "--as", viewer.email)
    assert result.exit_code == 1
    assert "viewer@example.org may not log pledges for this drive." in result.output
    assert count_rows(Pledge) == 0


# --- the command line: again, dry runs, totals, the audit trail --------------------------


def test_importing_a_file_again_adds_nothing_and_says_how_many_were_skipped(runner, drive,
                                                                           tmp_path):
    path = write(tmp_path, GOOD_FILE)
    assert run_import(runner, path).exit_code == 0
    totals = stored_totals(drive)

    again = run_import(runner, path)

    assert again.exit_code == 0
    assert "0 pledges imported." in again.output
    assert "4 rows skipped: their references were already imported." in again.output
    assert count_rows(Pledge) == 4
    assert stored_totals(drive) == totals

    more = write(tmp_path, GOOD_FILE + "2026-03-12,New,,200,RUB,tx-5\n", "more.csv")
    result = run_import(runner, more)
    assert "1 pledge imported." in result.output and "4 rows skipped" in result.output
    assert count_rows(Pledge) == 5


def test_a_dry_run_checks_and_counts_but_writes_nothing(runner, drive, tmp_path):
    make_pledge(drive, external_reference="tx-1", amount="1500.50")
    events = count_rows(AuditEvent)
    totals = stored_totals(drive)

    result = run_import(runner, write(tmp_path, GOOD_FILE), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was written. 4 rows checked: all are valid." in result.output
    assert "3 pledges would be imported." in result.output
    assert "1 row skipped: its reference was already imported." in result.output
    assert "1 pledge has no exchange rate" in result.output
    assert count_rows(Pledge) == 1
    assert count_rows(AuditEvent) == events
    assert stored_totals(drive) == totals

    bad = run_import(runner, write(tmp_path, HEADER + "2026-03-10,A,,0,RUB,x\n"), "--dry-run")
    assert bad.exit_code == 1 and "Row 2: The amount must be greater than zero." in bad.output


def test_the_drives_totals_and_thermometer_follow_an_import(runner, as_lead, world, drive,
                                                            tmp_path):
    make_pledge(drive, amount="1000", external_reference="before")
    assert run_import(runner, write(tmp_path, GOOD_FILE)).exit_code == 0

    totals = stored_totals(drive)
    # 1000 + 1500.50 + 10 000 + 997.50 RUB pledged; the USD pledge waits for its rate.
    assert totals == {"pledged_minor": 1349800, "received_minor": 0, "supporters": 5,
                      "unconverted": 1}
    # The same as when the same pledges are logged one by one.
    other = make_drive(world, slug="logged-by-hand")
    make_pledge(other, amount="1000", external_reference="before")
    for on, amount, currency in ((date(2026, 3, 10), "1500.50", "RUB"),
                                 (date(2026, 3, 10), "62000", "KZT"),
                                 (date(2026, 2, 15), "10.50", "EUR"),
                                 (date(2026, 3, 11), "1000", "USD")):
        make_pledge(other, amount=amount, currency=currency, pledged_on=on)
    assert stored_totals(other) == totals
    page = page_text(as_lead.get(f"/drives/{DRIVE_SLUG}").text)
    assert "Pledged, not yet paid RUB 13,498.00" in page
    assert "Supporters 5" in page
    assert "No exchange rate from USD to RUB on or before 2026-03-11." in page


def test_one_audit_event_records_the_import_and_the_drives_history_shows_it(
        runner, as_lead, lead, drive, tmp_path):
    events = count_rows(AuditEvent)

    result = run_import(runner, write(tmp_path, GOOD_FILE), "--as", lead.email)

    assert result.exit_code == 0, result.output
    assert count_rows(AuditEvent) == events + 1  # not one per pledge
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.record_type, event.parent_type, event.parent_id) == (
        "pledge_import", "drive", str(drive.id))
    assert event.actor_id == lead.id and event.actor_label == lead.email
    assert event.changes == {"file": "pledges.csv", "pledges_imported": 4, "pledges_skipped": 0,
                             "pledges_without_rate": 1, "rows_in_file": 4}
    assert {p.logged_by_id for p in db.session.scalars(select(Pledge))} == {lead.id}

    html = as_lead.get(f"/drives/{DRIVE_SLUG}?part=history").text
    assert "lead@example.org: Pledge import “pledges.csv”" in page_text(html)
    # Its figures are in its details, one link away (issue 15).
    assert "Pledges imported: 4" in details(as_lead, html)
    assert "Pledges without an exchange rate: 1" in details(as_lead, html)


def test_without_as_the_command_line_is_named_as_the_author(runner, as_lead, drive, tmp_path):
    assert run_import(runner, write(tmp_path, GOOD_FILE)).exit_code == 0
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "pledge_import")).one()
    assert event.actor_id is None and event.actor_label == "command line"
    assert {p.logged_by_id for p in db.session.scalars(select(Pledge))} == {None}


def test_a_large_file_shows_a_progress_bar_and_costs_a_few_queries_not_one_a_row(
        app, runner, drive, tmp_path):
    lines = [f"2026-03-{1 + n % 28:02d},Donor {n},,{100 + n},{('RUB', 'KZT', 'EUR')[n % 3]},"
             f"r-{n}" for n in range(2500)]
    path = write(tmp_path, HEADER + "\n".join(lines) + "\n")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = run_import(runner, path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert result.exit_code == 0, result.output
    assert "Importing" in result.output  # one reading: checked and written as it goes
    assert "2500 pledges imported." in result.output
    assert count_rows(Pledge) == 2500
    assert len(statements) < 40, statements
    fresh = services.compute_drive_totals(drive.id)
    assert stored_totals(drive) == {"pledged_minor": fresh.pledged_minor, "received_minor": 0,
                                    "supporters": 2500, "unconverted": 0}


def test_a_bad_row_after_rows_already_written_refuses_the_file_and_keeps_nothing(
        app, runner, drive, tmp_path):
    """One reading writes rows as they pass: a bad last row must undo every chunk sent."""
    good = [f"2026-03-{1 + n % 28:02d},Donor {n},,{100 + n},RUB,w-{n}"
            for n in range(CHUNK + 10)]  # past one chunk: sent to the database already
    path = write(tmp_path, HEADER + "\n".join([*good, "2026-03-10,Late,,-1,RUB,w-late"]) + "\n")
    events = count_rows(AuditEvent)
    totals = stored_totals(drive)

    result = run_import(runner, path)

    assert result.exit_code == 1, result.output
    assert f"Row {CHUNK + 12}: The amount must be greater than zero." in result.output
    assert "Nothing was imported: 1 row has a problem." in result.output
    assert count_rows(Pledge) == 0 and count_rows(AuditEvent) == events
    assert stored_totals(drive) == totals
    # The refusal left the database usable: the corrected file goes in whole.
    path.write_text(HEADER + "\n".join(good) + "\n", encoding="utf-8")
    assert run_import(runner, path).exit_code == 0
    assert count_rows(Pledge) == CHUNK + 10


def test_a_reference_recorded_by_someone_else_during_the_import_refuses_the_file(
        runner, drive, tmp_path, monkeypatch):
    """The unique reference is the last guard: the race ends in a clear refusal, no partial."""
    make_pledge(drive, external_reference="tx-3", amount="1")
    read = imports.RowChecker.read

    def read_without_knowing_the_drives_references(self, rows):
        self.existing = set()  # as if tx-3 were recorded just after the check
        return read(self, rows)

    monkeypatch.setattr(imports.RowChecker, "read", read_without_knowing_the_drives_references)
    events = count_rows(AuditEvent)

    result = run_import(runner, write(tmp_path, GOOD_FILE))

    assert result.exit_code == 1
    assert "Some of these pledges were recorded by someone else just now." in result.output
    assert count_rows(Pledge) == 1 and count_rows(AuditEvent) == events


def test_a_reference_recorded_by_someone_else_in_the_first_chunk_of_many_refuses_the_file(
        runner, drive, tmp_path, monkeypatch):
    """On PostgreSQL each chunk is its own statement, sent while the next rows are read: the
    database's refusal of an early chunk may arrive while later ones are sent, and still
    ends in the one clear refusal, with nothing kept."""
    make_pledge(drive, external_reference="m-3", amount="1")
    read = imports.RowChecker.read

    def read_without_knowing_the_drives_references(self, rows):
        self.existing = set()  # as if m-3 were recorded just after the check
        return read(self, rows)

    monkeypatch.setattr(imports.RowChecker, "read", read_without_knowing_the_drives_references)
    lines = [f"2026-03-{1 + n % 28:02d},Donor {n},,{100 + n},RUB,m-{n}"
             for n in range(3 * CHUNK + 10)]
    events = count_rows(AuditEvent)

    result = run_import(runner, write(tmp_path, HEADER + "\n".join(lines) + "\n"))

    assert result.exit_code == 1, result.output
    assert "Some of these pledges were recorded by someone else just now." in result.output
    assert count_rows(Pledge) == 1 and count_rows(AuditEvent) == events


def test_the_standard_header_is_what_seed_bench_and_make_bench_write(runner, drive, tmp_path):
    """The interface another command relies on: FILE --drive SLUG and the standard header."""
    assert imports.STANDARD_HEADER == "date,name,email,amount,currency,reference"
    result = run_import(runner, write(tmp_path, GOOD_FILE))
    assert result.exit_code == 0


# --- the web -------------------------------------------------------------------------------


def upload(client, content: bytes | str, filename: str = "pledges.csv", **fields: str):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(f"/drives/{DRIVE_SLUG}/import",
                       data={"file": (io.BytesIO(raw), filename), **fields},
                       content_type="multipart/form-data")


def listed_row_errors(html: str) -> list[str]:
    block = html[html.index('id="import-errors"'):]
    block = block[:block.index("</ul>")]
    return [page_text(item) for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_the_import_page_explains_the_format_and_the_drive_links_to_it(as_lead, drive):
    page = as_lead.get(f"/drives/{DRIVE_SLUG}/import")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "date,name,email,amount,currency,reference" in text
    assert "at most 20 MB and 200,000 rows" in text
    assert f'href="/drives/{DRIVE_SLUG}/import"' in as_lead.get(f"/drives/{DRIVE_SLUG}").text


def test_upload_preview_and_confirm_import_a_file_once(as_lead, lead, drive):
    make_pledge(drive, external_reference="tx-1", amount="1500.50")

    response = upload(as_lead, GOOD_FILE)

    assert response.status_code == 302
    preview_url = response.headers["Location"]
    assert re.fullmatch(rf"/drives/{DRIVE_SLUG}/import/\d+", preview_url)
    assert count_rows(Pledge) == 1 and count_rows(PledgeUpload) == 1
    preview = as_lead.get(preview_url)
    assert preview.status_code == 200
    text = page_text(preview.text)
    assert "Check the import of pledges.csv" in text
    assert "Rows in the file 4 New pledges 3 Already imported (skipped) 1 " \
           "Without an exchange rate 1" in text
    table = page_text(preview.text[preview.text.index('id="import-preview"'):])
    assert "2 Mar 10, 2026 Anna Petrova anna@example.org RUB 1,500.50 already imported tx-1" \
        in table
    assert "3 Mar 10, 2026 Anonymous RUB 62,000.00" not in table  # KZT, not roubles
    assert "3 Mar 10, 2026 Anonymous KZT" in table and "RUB 10,000.00 Pledged tx-2" in table
    assert "5 Mar 11, 2026 Dana dana@example.org $1,000.00 no rate Pledged tx-4" in table
    assert "Import 3 pledges" in text

    confirmed = as_lead.post(f"{preview_url}/confirm", data={"channel": "online_platform"})

    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == f"/drives/{DRIVE_SLUG}#pledges"
    assert count_rows(Pledge) == 4 and count_rows(PledgeUpload) == 0
    imported = db.session.scalars(select(Pledge).where(Pledge.source == PledgeSource.IMPORT))
    assert {(p.channel, p.logged_by_id) for p in imported} == {(Channel.ONLINE_PLATFORM, lead.id)}
    page = page_text(as_lead.get(f"/drives/{DRIVE_SLUG}").text)
    assert "3 pledges imported, 1 already imported before." in page
    assert "1 imported pledge has no exchange rate yet" in page
    history = page_text(as_lead.get(f"/drives/{DRIVE_SLUG}?part=history").text)
    assert "lead@example.org: Pledge import “pledges.csv”" in history
    assert as_lead.get(preview_url).status_code == 404  # the upload is gone


def test_a_bad_file_on_the_web_lists_its_rows_and_stores_nothing(as_lead, drive):
    response = upload(as_lead, HEADER + "2026-03-10,Anna,,100,RUB,a\n2099-01-01,Oleg,,5,RUB,b\n"
                                        "2026-03-10,Dana,,abc,RUB,c\n")
    assert response.status_code == 422
    assert listed_row_errors(response.text) == [
        "Row 3: The date 2099-01-01 is in the future.",
        "Row 4: “abc” is not an amount; write it like 1500.50 or 1 500,50.",
    ]
    assert "Nothing was imported: 2 rows have problems." in page_text(response.text)
    assert count_rows(Pledge) == 0 and count_rows(PledgeUpload) == 0


def test_the_web_form_takes_an_xlsx_file_and_a_column_mapping(as_lead, drive):
    content = xlsx([["Day", "Donor", "Sum", "Cur", "Id"],
                    [datetime(2026, 3, 10), "Anna", 250, "RUB", "x-1"]])
    response = upload(as_lead, content, "export.xlsx", column_date="Day", column_name="Donor",
                      column_amount="Sum", column_currency="Cur", column_reference="Id")
    assert response.status_code == 302, page_text(response.text)
    assert count_rows(PledgeUpload) == 1
    assert db.session.scalars(select(PledgeUpload)).one().mapping == {
        "date": "Day", "name": "Donor", "amount": "Sum", "currency": "Cur", "reference": "Id"}
    preview = page_text(as_lead.get(response.headers["Location"]).text)
    assert "Anna" in preview and "RUB 250.00" in preview
    assert as_lead.post(response.headers["Location"] + "/confirm",
                        data={"channel": "other"}).status_code == 302
    assert [(r["ref"], r["name"]) for r in stored()] == [("x-1", "Anna")]

    wrong = upload(as_lead, content, "export.xlsx")
    assert wrong.status_code == 422
    assert "The file has no columns “date”, “amount”, “currency”, “reference”." in page_text(
        wrong.text)


def test_the_upload_form_refuses_other_kinds_of_file(as_lead, drive):
    response = upload(as_lead, "%PDF-1.4", "pledges.pdf")
    assert response.status_code == 422
    assert "Upload a .csv file (UTF-8) or an Excel .xlsx workbook." in page_text(response.text)
    assert count_rows(PledgeUpload) == 0


def test_uploads_older_than_a_day_are_purged_when_a_new_one_is_made(as_lead, drive):
    upload(as_lead, GOOD_FILE)
    db.session.execute(update(PledgeUpload).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    recent = upload(as_lead, GOOD_FILE).headers["Location"]
    upload(as_lead, GOOD_FILE)
    assert count_rows(PledgeUpload) == 2  # the day-old one is gone, today's two stay
    assert all(u.created_at > utcnow() - timedelta(hours=1)
               for u in db.session.scalars(select(PledgeUpload)))
    assert as_lead.get(recent).status_code == 200


def test_an_upload_is_only_reachable_through_its_own_drive(as_lead, world, drive):
    make_drive(world, slug="second-drive")
    preview = upload(as_lead, GOOD_FILE).headers["Location"]
    upload_id = preview.rsplit("/", 1)[1]
    assert as_lead.get(f"/drives/second-drive/import/{upload_id}").status_code == 404
    assert as_lead.post(f"/drives/second-drive/import/{upload_id}/confirm",
                        data={"channel": "other"}).status_code == 404
    assert count_rows(Pledge) == 0


def test_confirming_after_someone_else_imported_the_same_file_skips_their_rows(as_lead, drive,
                                                                             runner, tmp_path):
    preview = upload(as_lead, GOOD_FILE).headers["Location"]
    assert run_import(runner, write(tmp_path, GOOD_FILE)).exit_code == 0
    page = page_text(as_lead.get(preview).text)
    assert "Nothing to import: every pledge in this file was already imported." in page
    response = as_lead.post(f"{preview}/confirm", data={"channel": "other"})
    assert response.status_code == 302
    assert count_rows(Pledge) == 4
    assert "Nothing new: all 4 pledges in the file were already imported." in page_text(
        as_lead.get(f"/drives/{DRIVE_SLUG}").text)


def test_only_the_import_page_accepts_large_uploads(app, as_lead, drive):
    """MAX_CONTENT_LENGTH stays small everywhere else; the import page takes its own limit."""
    app.config["MAX_CONTENT_LENGTH"] = 1024
    rows = "".join(f"2026-03-10,Donor {n},,100,RUB,ref-{n}\n" for n in range(200))
    assert len(HEADER + rows) > 4 * 1024

    response = upload(as_lead, HEADER + rows)

    assert response.status_code == 302
    assert "New pledges 200" in page_text(as_lead.get(response.headers["Location"]).text)
    elsewhere = as_lead.post(f"/drives/{DRIVE_SLUG}/pledges/new",
                             data={"note": "x" * 4096, "amount": "1", "currency": "RUB"})
    assert elsewhere.status_code == 413

    app.config["PLEDGE_IMPORT_MAX_BYTES"] = 2048
    too_large = upload(as_lead, HEADER + rows)
    assert too_large.status_code == 422
    assert "The file is larger than 2 KB. Split it into smaller files." in page_text(
        too_large.text)
    assert count_rows(PledgeUpload) == 1

