"""Pledge files round-trip: payments in the import, the export in the import's own columns,
and CSV in the Excel dialect of the user's language.

The world (tests/drive_support.py): a drive in roubles; RUB→KZT 6.30 from 2026-01-05 and
6.20 from 2026-03-01, EUR→RUB 95 then 100; no USD.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.drive_support import (
    DRIVE_SLUG,
    make_drive,
    make_payment,
    make_pledge,
    page_text,
    recomputed_totals,
    stored_totals,
)
from tests.factories import count_rows
from tracker.audit.models import AuditEvent
from tracker.drives import services
from tracker.drives.models import Channel, Payment, Pledge, PledgeStatus
from tracker.extensions import db
from tracker.funding.models import CampaignFunding
from tracker.funding.services import compute_gap
from tracker.money.services import add_rate

HEADER = ("date,name,email,amount,currency,reference,paid_amount,paid_currency,paid_on,"
          "paid_method,status\n")


def write(tmp_path: Path, content: str | bytes, name: str = "pledges.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def run_import(runner, path: Path, *args: str, slug: str = DRIVE_SLUG):
    return runner.invoke(args=["import-pledges", str(path), "--drive", slug, *args])


def run_export(runner, path: Path, *args: str, slug: str = DRIVE_SLUG):
    return runner.invoke(args=["export-pledges", "--drive", slug, "-o", str(path), *args])


PAYMENT_COLUMNS = ("amount_minor", "currency", "paid_on", "method", "pledge_amount_minor",
                   "pledge_amount_currency", "pledge_rate", "pledge_rate_on",
                   "drive_amount_minor", "drive_amount_currency", "drive_rate", "drive_rate_on")
PLEDGE_COLUMNS = ("amount_minor", "currency", "pledged_on", "pledger_name", "is_anonymous",
                  "status", "paid_minor", "drive_amount_minor", "drive_rate", "drive_rate_on",
                  "unpaid_drive_minor")


def stored(drive) -> list[tuple[Any, ...]]:
    """The drive's pledges and their payments as stored, in a comparable order."""
    db.session.expire_all()
    pledges = db.session.scalars(select(Pledge).where(Pledge.drive_id == drive.id)
                                 .order_by(Pledge.pledged_on, Pledge.amount_minor))
    return [(tuple(getattr(p, name) for name in PLEDGE_COLUMNS),
             [tuple(getattr(pay, name) for name in PAYMENT_COLUMNS) for pay in p.payments])
            for p in pledges]


# --- payments in the import ----------------------------------------------------------------


PAID_FILE = HEADER + (
    "2026-03-10,Anna Petrova,anna@example.org,1500.50,RUB,tx-1,1500.50,,,card,paid\n"
    "2026-03-10,,,62000,KZT,tx-2,\"5 000,00\",RUB,2026-03-12,bank_transfer,\n"
    "2026-02-15,Oleg Ivanov,,10.50,EUR,tx-3,,,,,\n"
    "2026-03-11,Dana,,1000,RUB,tx-4,400,,2026-03-12,,pledged\n"
    ",,,,,tx-4,3,EUR,2026-03-13,cash,\n"
)


def test_a_file_with_payment_columns_records_the_payments_and_received_follows(
        runner, as_lead, world, drive, tmp_path):
    result = run_import(runner, write(tmp_path, PAID_FILE), "--channel", "online_platform")

    assert result.exit_code == 0, result.output
    assert "4 pledges imported." in result.output
    assert "4 payments recorded." in result.output
    # The same pledges and payments recorded through the services store the same rows.
    other = make_drive(world, slug="logged-by-hand")
    anna = make_pledge(other, amount="1500.50", name="Anna Petrova")
    make_payment(anna, "1500.50", paid_on=date(2026, 3, 10))
    tenge = make_pledge(other, amount="62000", currency="KZT", name="")
    make_payment(tenge, "5000", "RUB", paid_on=date(2026, 3, 12))
    make_pledge(other, amount="10.50", currency="EUR", name="Oleg Ivanov",
                pledged_on=date(2026, 2, 15))
    dana = make_pledge(other, amount="1000", name="Dana", pledged_on=date(2026, 3, 11))
    make_payment(dana, "400", paid_on=date(2026, 3, 12))
    make_payment(dana, "3", "EUR", paid_on=date(2026, 3, 13))

    def comparable(rows):  # every column but the payment's method
        return [(pledge, [pay[:3] + pay[4:] for pay in pays]) for pledge, pays in rows]

    imported, logged = stored(drive), stored(other)
    assert comparable(imported) == comparable(logged)
    assert [pledge[5] for pledge, _ in imported] == [
        PledgeStatus.PLEDGED, PledgeStatus.PAID, PledgeStatus.PARTLY_PAID,
        PledgeStatus.PARTLY_PAID]
    methods = {pay[3] for _, pays in imported for pay in pays}
    assert methods == {Channel.CARD, Channel.BANK_TRANSFER, Channel.ONLINE_PLATFORM,
                       Channel.CASH}
    totals = stored_totals(drive)
    assert totals == stored_totals(other) == recomputed_totals(drive)
    # 1500.50 + 5000 + 400 + 300 (3 EUR at 100) received
    assert totals["received_minor"] == 720050
    page = page_text(as_lead.get(f"/drives/{DRIVE_SLUG}").text)
    assert "Received RUB 7,200.50" in page


def test_a_payment_mapping_reads_a_platforms_export_of_paid_donations(runner, drive, tmp_path):
    path = write(tmp_path, "Id;Donor;Sum;Cur;Day;Paid;Paid at\n"
                           "d-1;Anna;1 234,50;RUB;2026-03-10;1 234,50;2026-03-10\n"
                           "d-2;;1234.50;RUB;2026-03-11;1234.50;2026-03-11\n")

    result = run_import(runner, path, "--map", "reference=Id", "--map", "name=Donor",
                        "--map", "amount=Sum", "--map", "currency=Cur", "--map", "date=Day",
                        "--map", "paid_amount=Paid", "--map", "paid_on=Paid at")

    assert result.exit_code == 0, result.output
    assert stored_totals(drive)["received_minor"] == 246900
    assert stored_totals(drive)["pledged_minor"] == 0
    assert {p.status for p in db.session.scalars(select(Pledge))} == {PledgeStatus.PAID}


@pytest.mark.parametrize(("row", "reason"), [
    ("2026-03-10,Anna,,100,RUB,r,150,,,",
     "The payments on this pledge (RUB 150.00) exceed the pledge (RUB 100.00)."),
    ("2026-03-10,Anna,,100,RUB,r,50,,2099-01-01,", "The payment date 2099-01-01 is in the future."),
    ("2026-03-10,Anna,,100,RUB,r,50,,yesterday,",
     "“yesterday” is not a payment date in the form YYYY-MM-DD."),
    ("2026-03-10,Anna,,100,RUB,r,50,,,gift",
     "“gift” is not a payment method; the methods are cash, bank_transfer, card, "
     "online_platform, in_kind, other."),
    ("2026-03-10,Anna,,100,RUB,r,50,RUR,,", "Unknown currency of the payment: “RUR”."),
    ("2026-03-10,Anna,,100,RUB,r,-5,,,", "Amount paid: The amount must be greater than zero."),
    ("2026-03-10,Anna,,100,RUB,r,,EUR,2026-03-11,card",
     "The amount paid is missing, but the payment's other columns are filled."),
    (",,,,,good-1,,,,", "The amount paid is missing on a further payment of good-1."),
    (",,,,,nobody,5,,2026-03-11,", "The reference nobody is on no earlier row: a row with "
     "only a payment follows the row of its pledge."),
    ("2026-03-10,Anna,,100,RUB,r,50,,,,rejected",
     "A pledge that is “Rejected” takes no payments."),
    ("2026-03-10,Anna,,100,RUB,r,,,,,lost", "“lost” is not a pledge status"),
])
def test_each_kind_of_bad_payment_row_is_named_and_nothing_is_imported(runner, drive, tmp_path,
                                                                       row, reason):
    path = write(tmp_path, HEADER + "2026-03-10,Good,,100,RUB,good-1,100,,,,\n" + row + "\n")

    result = run_import(runner, path)

    assert result.exit_code == 1
    assert f"Row 3: {reason}" in result.output.replace("\xa0", " "), result.output
    assert count_rows(Pledge) == 0 and count_rows(Payment) == 0


def test_a_further_payment_that_overshoots_names_its_own_row(runner, drive, tmp_path):
    path = write(tmp_path, HEADER + "2026-03-10,Anna,,100,RUB,a,60,,,,\n"
                                    "2026-03-10,Oleg,,100,RUB,b,,,,,\n"
                                    ",,,,,a,30,,2026-03-11,,\n"
                                    ",,,,,a,20,,2026-03-12,,\n")
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert ("Row 5: The payments on this pledge (RUB 110.00) exceed the pledge (RUB 100.00)."
            in result.output.replace("\xa0", " "))
    assert "Row 4" not in result.output
    assert count_rows(Pledge) == 0 and count_rows(Payment) == 0


# --- the export in the import's columns, and back ------------------------------------------


@pytest.fixture
def busy_drive(world, drive):
    """Pledges in three currencies; one paid in instalments and another currency; one
    cancelled after a payment, one written off, one anonymous, one without a reference."""
    anna = make_pledge(drive, amount="1500.50", contact_email="anna@example.org",
                       external_reference="tx-1")
    make_payment(anna, "500")
    make_payment(anna, "2.50", "EUR", paid_on=date(2026, 3, 16))
    make_payment(anna, "250.50", paid_on=date(2026, 3, 16))
    secret = make_pledge(drive, amount="62000", currency="KZT", name="Secret Donor",
                         is_anonymous=True, external_reference="-5",
                         pledged_on=date(2026, 3, 9))
    make_payment(secret, "62000", "KZT")
    make_pledge(drive, amount="10.50", currency="EUR", name="=cmd|' /C calc'!A0",
                pledged_on=date(2026, 2, 15))
    gone = make_pledge(drive, amount="700", name="Gone", external_reference="tx-gone")
    make_payment(gone, "100")
    services.cancel_pledge(gone, "Withdrew")
    tired = make_pledge(drive, amount="900", name="Tired", external_reference="tx-off")
    make_payment(tired, "300")
    services.write_off_pledge(tired, "No answer")
    make_pledge(drive, amount="1000", currency="USD", name="Dana", pledged_on=date(2026, 3, 11))
    db.session.commit()
    return drive


@pytest.mark.parametrize(("extension", "language"), [("csv", "en"), ("csv", "ru"),
                                                     ("xlsx", "en")])
def test_exporting_a_drive_and_importing_it_into_an_empty_drive_reproduces_its_totals(
        runner, world, busy_drive, tmp_path, extension, language):
    path = tmp_path / f"pledges.{extension}"
    result = run_export(runner, path, "--lang", language)
    assert result.exit_code == 0, result.output
    empty = make_drive(world, slug="empty-drive")

    result = run_import(runner, path, slug="empty-drive")

    assert result.exit_code == 0, result.output
    assert "6 pledges imported." in result.output and "6 payments recorded." in result.output
    before, after = stored_totals(busy_drive), stored_totals(empty)
    assert before["received_minor"] > 0 and before["pledged_minor"] > 0
    assert after == before
    assert recomputed_totals(empty) == before

    def comparable(rows):
        return [(pledge, [pay[:3] + pay[4:] for pay in pays]) for pledge, pays in rows]

    assert comparable(stored(empty)) == comparable(stored(busy_drive))


def test_the_export_writes_the_imports_columns_status_and_one_row_per_further_payment(
        runner, busy_drive, tmp_path):
    path = tmp_path / "pledges.csv"
    assert run_export(runner, path).exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows[0][:11] == ["date", "name", "email", "amount", "currency", "reference",
                            "paid_amount", "paid_currency", "paid_on", "paid_method", "status"]
    anna = [row[:11] for row in rows if row[5] == "tx-1"]
    assert anna == [
        ["2026-03-10", "Anna Petrova", "anna@example.org", "1500.50", "RUB", "tx-1", "500.00",
         "RUB", "2026-03-15", "bank_transfer", "partly_paid"],
        ["", "", "", "", "", "tx-1", "2.50", "EUR", "2026-03-16", "bank_transfer", ""],
        ["", "", "", "", "", "tx-1", "250.50", "RUB", "2026-03-16", "bank_transfer", ""],
    ]
    formula = next(row for row in rows if row[3] == "10.50")
    assert formula[1] == "'=cmd|' /C calc'!A0"
    assert formula[5].startswith("tracker-")  # a pledge logged without one gets a reference
    assert [row[10] for row in rows if row[5] in ("tx-gone", "tx-off")] == [
        "cancelled", "written_off"]


# --- CSV in the Excel dialect of the user's language ---------------------------------------


def test_russian_users_get_semicolons_decimal_commas_and_a_bom(as_lead, busy_drive):
    english = as_lead.get(f"/drives/{DRIVE_SLUG}/pledges.csv").get_data(as_text=True)
    assert english.startswith("\ufeffdate,name,email,amount,currency,reference,")
    assert ",1500.50,RUB,tx-1,500.00," in english

    as_lead.post("/language", data={"language": "ru", "next": "/"})
    russian = as_lead.get(f"/drives/{DRIVE_SLUG}/pledges.csv").get_data(as_text=True)

    assert russian.startswith("\ufeffdate;name;email;amount;currency;reference;")
    assert ";1500,50;RUB;tx-1;500,00;RUB;2026-03-15;" in russian
    rows = list(csv.reader(io.StringIO(russian[1:], newline=""), delimiter=";"))
    assert {len(row) for row in rows} == {len(rows[0])} and len(rows[0]) > 10


def test_the_command_writes_either_dialect_and_refuses_an_unknown_language(runner, busy_drive,
                                                                         tmp_path):
    path = tmp_path / "pledges.csv"
    assert run_export(runner, path, "--lang", "ru").exit_code == 0
    assert ";1500,50;RUB;tx-1;" in path.read_text(encoding="utf-8-sig")
    assert run_export(runner, path).exit_code == 0
    assert ",1500.50,RUB,tx-1," in path.read_text(encoding="utf-8-sig")
    result = run_export(runner, path, "--lang", "de")
    assert result.exit_code == 2


def test_the_xlsx_export_keeps_numbers_and_dates_typed(runner, busy_drive, tmp_path):
    path = tmp_path / "pledges.xlsx"
    assert run_export(runner, path, "--lang", "ru").exit_code == 0
    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:11] == ("date", "name", "email", "amount", "currency", "reference",
                            "paid_amount", "paid_currency", "paid_on", "paid_method", "status")
    anna = next(row for row in rows if row[5] == "tx-1")
    assert anna[3] == 1500.5 and anna[6] == 500 and anna[8].date() == date(2026, 3, 15)
    formula = next(row for row in rows if row[3] == 10.5)
    assert formula[1] == "'=cmd|' /C calc'!A0"


# --- the web -------------------------------------------------------------------------------


def upload(client, content: str, filename: str = "pledges.csv", **fields: str):
    return client.post(f"/drives/{DRIVE_SLUG}/import",
                       data={"file": (io.BytesIO(content.encode()), filename), **fields},
                       content_type="multipart/form-data")


def test_the_web_preview_shows_the_payments_and_confirming_records_them(as_lead, drive):
    response = upload(as_lead, PAID_FILE)
    assert response.status_code == 302, page_text(response.text)
    preview = as_lead.get(response.headers["Location"])
    text = page_text(preview.text)
    assert "Payments 4" in text
    table = page_text(preview.text[preview.text.index('id="import-preview"'):])
    assert "RUB 1,500.50 RUB 1,500.50 RUB 1,500.50 Mar 10, 2026 Card Paid tx-1" in table
    assert "RUB 10,000.00 RUB 5,000.00 Mar 12, 2026 Bank transfer Partly paid tx-2" in table
    assert "RUB 1,000.00 RUB 1,000.00 RUB 400.00 Mar 12, 2026 Partly paid tx-4" in table
    assert "6 further payment €3.00 Mar 13, 2026 Cash tx-4" in table

    confirmed = as_lead.post(response.headers["Location"] + "/confirm",
                             data={"channel": "other"})

    assert confirmed.status_code == 302
    assert count_rows(Payment) == 4
    page = page_text(as_lead.get(f"/drives/{DRIVE_SLUG}").text)
    assert "4 pledges imported. 4 payments recorded." in page
    assert "Received RUB 7,200.50" in page


def test_the_web_mapping_takes_the_payment_columns(as_lead, drive):
    response = upload(as_lead, "Id,Day,Sum,Cur,Got\nd-1,2026-03-10,100,RUB,100\n",
                      column_reference="Id", column_date="Day", column_amount="Sum",
                      column_currency="Cur", column_paid_amount="Got")
    assert response.status_code == 302, page_text(response.text)
    as_lead.post(response.headers["Location"] + "/confirm", data={"channel": "card"})
    assert stored_totals(drive)["received_minor"] == 10000
    assert db.session.scalars(select(Payment)).one().method == Channel.CARD


def test_the_campaigns_funding_and_the_audit_trail_follow_an_import_with_payments(
        runner, world, drive, tmp_path):
    def stored_received() -> int:
        db.session.expire_all()
        row = db.session.scalar(select(CampaignFunding).where(
            CampaignFunding.campaign_id == world.campaign.id))
        return row.received_minor if row is not None else 0

    # The campaign has no target, so its figures are in dollars: give roubles a rate.
    add_rate(date(2026, 1, 5), "USD", "RUB", Decimal("90"), "Test rates")
    db.session.commit()
    before = stored_received()
    assert run_import(runner, write(tmp_path, PAID_FILE)).exit_code == 0

    after = stored_received()
    assert after > before
    assert after == compute_gap(world.campaign.id).received.minor
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "pledge_import")).one()
    assert event.changes["pledges_imported"] == 4 and event.changes["payments_imported"] == 4


def test_a_dry_run_counts_the_payments_and_writes_none(runner, drive, tmp_path):
    result = run_import(runner, write(tmp_path, PAID_FILE), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "4 pledges would be imported." in result.output
    assert "4 payments would be recorded." in result.output
    assert count_rows(Pledge) == 0 and count_rows(Payment) == 0


def test_importing_an_export_again_into_its_own_drive_adds_nothing(runner, busy_drive, tmp_path):
    """Pledges logged without a reference are exported as tracker-<id>: only those are new."""
    path = tmp_path / "pledges.csv"
    assert run_export(runner, path).exit_code == 0
    payments, pledges = count_rows(Payment), count_rows(Pledge)
    result = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "4 rows skipped" in result.output
    assert "2 pledges would be imported." in result.output
    assert (count_rows(Payment), count_rows(Pledge)) == (payments, pledges)


def test_the_import_page_and_preview_explain_the_payment_columns_in_russian(as_lead, drive):
    english = page_text(as_lead.get(f"/drives/{DRIVE_SLUG}/import").text)
    assert ("Money already received goes in the optional columns paid_amount,paid_currency,"
            "paid_on,paid_method") in english
    as_lead.post("/language", data={"language": "ru", "next": "/"})
    russian = page_text(as_lead.get(f"/drives/{DRIVE_SLUG}/import").text)
    assert "Уже полученные деньги указываются в необязательных столбцах" in russian
    preview = as_lead.get(upload(as_lead, PAID_FILE).headers["Location"])
    text = page_text(preview.text)
    assert "Платежи 4" in text and "ещё один платёж" in text
