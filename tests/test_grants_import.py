"""Importing expenditures from a bank's or an accountant's export: command line and web.

The world (tests/grants_support.py): grant UNIDO-2027-014 in USD, 2027-01-01 to
2028-12-31, held by the hub (hub-eco) with Eco-Moldova (eco-moldova) and Greenwomen
(greenwomen-kz); USD→MDL 17.85 from 2027-01-01 and 18.10 from 2027-07-01, EUR→USD 1.0850.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from tests.auth_support import login, make_user
from tests.factories import count_rows
from tests.grants_support import RATES, GrantWorld, make_grant_world, spend
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.grants.models import Expenditure, ExpenditureStatus
from tracker.money.value import Money

REF = "UNIDO-2027-014"
HEADER = "date,line,partner,amount,currency,document,description\n"


def rate(quote: str, on: date) -> Decimal:
    """Units of `quote` per USD on the date, from the test rates (the latest on or before)."""
    return max((day, value) for day, base, to, value in RATES
               if base == "USD" and to == quote and day <= on)[1]


def in_usd(amount: str, currency: str, on: date) -> Decimal:
    """The one rule by hand: the rate of the date (an inverse to 34 digits), rounded once."""
    if currency == "USD":
        return Decimal(amount)
    with localcontext() as ctx:
        ctx.prec = 34
        factor = Decimal("1.0850") if currency == "EUR" else Decimal(1) / rate(currency, on)
        ctx.prec = 120
        return (Decimal(amount) * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def world(app) -> GrantWorld:
    return make_grant_world()


def code_of(world: GrantWorld, partner: str, which: int = 0) -> str:
    """The code of the partner's first (or later) line."""
    org = {"hub": world.hub, "moldova": world.moldova, "kazakh": world.kazakh}[partner]
    return [line.code for line in sorted(world.grant.lines, key=lambda line: line.position)
            if line.partner_org_id == org.id][which]


def good_rows(world: GrantWorld) -> list[tuple[str, str, str, str, str, str, str]]:
    md, kz, hub = code_of(world, "moldova"), code_of(world, "kazakh"), code_of(world, "hub")
    return [
        ("2027-03-10", md, "eco-moldova", "1 500,00", "MDL", "MD-001", "Officer, March"),
        ("2027-08-01", md, "eco-moldova", "2000", "MDL", "MD-002", "Officer, August"),
        ("2027-02-01", kz, "greenwomen-kz", "100.50", "EUR", "KZ-7", ""),
        ("2027-04-30", hub, "hub-eco", "250", "USD", "HUB-1", "Coordinator"),
    ]


def expected_total(rows) -> Decimal:
    return sum((in_usd(amount.replace(" ", "").replace(",", "."), currency,
                       date.fromisoformat(on))
                for on, _line, _partner, amount, currency, _doc, _text in rows), Decimal(0))


def as_csv(rows, header: str = HEADER) -> str:
    return header + "".join(
        ",".join(f'"{cell}"' if "," in cell else cell for cell in row) + "\n" for row in rows)


def write(tmp_path: Path, content: str | bytes, name: str = "spending.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def run_import(runner, path: Path, *args: str):
    return runner.invoke(args=["import-expenditures", str(path), "--grant", REF, *args])


def stored() -> list[tuple[str, str, Money, int, ExpenditureStatus, int | None]]:
    db.session.expire_all()
    return [(e.document_number, e.line.code, e.amount, e.grant_amount_minor, e.status,
             e.recorded_by_id)
            for e in db.session.scalars(select(Expenditure).order_by(Expenditure.id))]


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the command line ----------------------------------------------------------------------


def test_a_dry_run_prints_every_row_converted_and_the_total_and_writes_nothing(
        runner, world, tmp_path):
    rows = good_rows(world)
    result = run_import(runner, write(tmp_path, as_csv(rows)), "--dry-run")

    assert result.exit_code == 0, result.output
    assert count_rows(Expenditure) == 0
    output = result.output.replace("\xa0", " ")
    assert (f"Row 2: 2027-03-10, line {rows[0][1]}, Eco-Moldova, MDL 1,500.00 = "
            f"${in_usd('1500', 'MDL', date(2027, 3, 10))}, document MD-001") in output
    assert f"= ${in_usd('2000', 'MDL', date(2027, 8, 1))}, document MD-002" in output
    assert f"€100.50 = ${in_usd('100.50', 'EUR', date(2027, 2, 1))}" in output
    assert "Row 5: 2027-04-30" in output
    assert "Dry run: nothing was written. 4 rows checked: all are valid." in output
    assert (f"4 expenditures would be imported, waiting for approval: "
            f"${expected_total(rows):,}.") in output


def test_a_good_file_adds_exactly_its_sum_by_the_one_rule_waiting_for_approval(
        runner, world, tmp_path):
    rows = good_rows(world)
    result = run_import(runner, write(tmp_path, as_csv(rows)))

    assert result.exit_code == 0, result.output
    total = expected_total(rows)
    assert f"4 expenditures imported, waiting for approval: ${total:,}." in result.output
    assert "0 rows skipped" in result.output
    kept = stored()
    assert [(doc, code, amount) for doc, code, amount, *_ in kept] == [
        ("MD-001", rows[0][1], Money(Decimal("1500"), "MDL")),
        ("MD-002", rows[1][1], Money(Decimal("2000"), "MDL")),
        ("KZ-7", rows[2][1], Money(Decimal("100.50"), "EUR")),
        ("HUB-1", rows[3][1], Money(Decimal("250"), "USD")),
    ]
    assert sum(minor for *_, minor, _status, _by in kept) == int(total * 100)
    # The second MDL row is converted at July's rate, the first at January's.
    assert kept[1][3] == int(in_usd("2000", "MDL", date(2027, 8, 1)) * 100)
    assert {(status, by) for *_, status, by in kept} == {(ExpenditureStatus.SUBMITTED, None)}
    db.session.refresh(world.grant)
    assert world.grant.spent_minor == 0  # counted once approved


def test_a_document_already_recorded_is_skipped_and_counted_so_importing_again_adds_nothing(
        runner, world, tmp_path):
    rows = good_rows(world)
    spend(world.grant, rows[0][1], "10", "USD", date(2027, 3, 1), "MD-001", approve=False)
    path = write(tmp_path, as_csv(rows))

    first = run_import(runner, path)

    assert first.exit_code == 0, first.output
    assert "Row 2: document MD-001 of Eco-Moldova is already recorded: skipped." in first.output
    assert "3 expenditures imported" in first.output
    assert "1 row skipped: its document was already recorded." in first.output
    assert count_rows(Expenditure) == 4
    again = run_import(runner, path)
    assert again.exit_code == 0, again.output
    assert "0 expenditures imported, waiting for approval: $0.00." in again.output
    assert "4 rows skipped: their documents were already recorded." in again.output
    assert count_rows(Expenditure) == 4


def test_a_file_with_bad_rows_changes_nothing_and_names_each_row_column_and_reason(
        runner, world, tmp_path):
    md, kz = code_of(world, "moldova"), code_of(world, "kazakh")
    spend(world.grant, md, "10", "USD", date(2027, 3, 1), "MD-OLD", approve=False)
    rows = [
        ("2027-03-10", "9.9", "eco-moldova", "100", "USD", "A-1", ""),          # 2 line
        ("2027-03-10", md, "unido", "100", "USD", "A-2", ""),                  # 3 partner
        ("2027-03-10", md, "greenwomen-kz", "100", "USD", "A-3", ""),          # 4 not its line
        ("2027-13-01", md, "eco-moldova", "100", "USD", "A-4", ""),            # 5 bad date
        ("2026-12-31", md, "eco-moldova", "100", "USD", "A-5", ""),            # 6 before grant
        ("2027-03-10", md, "eco-moldova", "-5", "USD", "A-6", ""),             # 7 negative
        ("2027-03-10", md, "eco-moldova", "100", "XYZ", "A-7", ""),            # 8 currency
        ("2027-03-10", md, "eco-moldova", "100", "GEL", "A-8", ""),            # 9 no rate
        ("2027-03-10", kz, "greenwomen-kz", "100", "USD", "A-9", ""),          # 10 good
        ("2027-03-11", kz, "greenwomen-kz", "200", "USD", "A-9", ""),          # 11 twice
        ("2027-03-10", md, "eco-moldova", "100", "USD", "", ""),               # 12 no document
        ("2027-03-10", md, "eco-moldova", "100", "USD", "MD-OLD", ""),         # 13 skipped
    ]
    before = stored()

    result = run_import(runner, write(tmp_path, as_csv(rows)))

    assert result.exit_code == 1
    assert stored() == before
    output = result.output
    assert "Nothing was imported: 10 rows have problems." in output
    named = [line for line in output.splitlines() if line.startswith("Row ")]
    assert named == [
        "Row 2, column line: The grant's budget has no line 9.9.",
        "Row 3, column partner: “unido” is not an organisation of this grant; its "
        "organisations are eco-moldova, greenwomen-kz, hub-eco.",
        f"Row 4, column partner: Line {md} is spent by Eco-Moldova.",
        "Row 5, column date: “2027-13-01” is not a date in the form YYYY-MM-DD.",
        "Row 6, column date: The date must fall within the grant, from 2027-01-01 to "
        "2028-12-31.",
        "Row 7, column amount: The amount must be greater than zero.",
        "Row 8, column currency: Unknown currency: “XYZ”.",
        "Row 9, column currency: No exchange rate from GEL to USD on or before 2027-03-10. "
        "Enter the bank's rate, or ask the coordinator to add the rate.",
        "Row 11, column document: Document A-9 of Greenwomen is already on row 10.",
        "Row 12, column document: The document number is missing: every row needs one, so "
        "that importing the file again adds nothing twice.",
    ]


def test_good_rows_before_a_bad_one_are_not_kept(runner, world, tmp_path):
    rows = good_rows(world)
    bad = ("2027-03-10", rows[0][1], "eco-moldova", "100", "GEL", "LAST", "")

    result = run_import(runner, write(tmp_path, as_csv([*rows, bad])))

    assert result.exit_code == 1
    assert "Nothing was imported: 1 row has a problem." in result.output
    assert "Row 6, column currency: No exchange rate from GEL to USD" in result.output
    assert count_rows(Expenditure) == 0


def test_other_headers_are_read_through_map(runner, world, tmp_path):
    md = code_of(world, "moldova")
    content = ("Posting date;Budget code;Org;Sum;Cur;Payment order;Purpose\n"
               f"10.03.2027;{md};eco-moldova;1 500,00;MDL;PO-1;Salary\n")
    path = write(tmp_path, content)
    pairs = ["--map", "date=Posting date", "--map", "line=Budget code", "--map",
             "partner=Org", "--map", "amount=Sum", "--map", "currency=Cur", "--map",
             "document=Payment order", "--map", "description=Purpose"]

    refused = run_import(runner, path, *pairs)  # the date is not ISO: named as such
    assert refused.exit_code == 1
    assert ("Row 2, column Posting date: “10.03.2027” is not a date in the form YYYY-MM-DD."
            in refused.output)

    path = write(tmp_path, content.replace("10.03.2027", "2027-03-10"))
    result = run_import(runner, path, *pairs)
    assert result.exit_code == 0, result.output
    assert [(doc, amount) for doc, _code, amount, *_ in stored()] == [
        ("PO-1", Money(Decimal("1500"), "MDL"))]
    assert db.session.scalars(select(Expenditure)).one().description == "Salary"

    missing = run_import(runner, path, "--map", "date=Posting date")
    assert missing.exit_code == 1
    assert "The file has no columns “line”, “partner”" in missing.output
    wrong = run_import(runner, path, "--map", "dated=Posting date")
    assert "“dated” is not a field of a file of expenditures" in wrong.output
    bad = run_import(runner, path, "--map", "date")
    assert bad.exit_code == 2 and "FIELD=HEADER" in bad.output


def test_an_xlsx_workbook_is_imported_with_dates_and_numbers_as_cells(runner, world, tmp_path):
    md = code_of(world, "moldova")
    content = xlsx([list(HEADER.strip().split(",")),
                    [datetime(2027, 3, 10), md, "eco-moldova", 1500, "MDL", "MD-1", "March"],
                    [date(2027, 8, 1), md, "eco-moldova", 2000.5, "MDL", 1024, None]])

    result = run_import(runner, write(tmp_path, content, "bank.xlsx"))

    assert result.exit_code == 0, result.output
    assert [(doc, amount, minor) for doc, _code, amount, minor, *_ in stored()] == [
        ("MD-1", Money(Decimal("1500"), "MDL"),
         int(in_usd("1500", "MDL", date(2027, 3, 10)) * 100)),
        ("1024", Money(Decimal("2000.50"), "MDL"),
         int(in_usd("2000.50", "MDL", date(2027, 8, 1)) * 100)),
    ]


def test_an_unknown_grant_an_empty_file_and_a_file_too_large_are_refused(app, runner, world,
                                                                         tmp_path):
    path = write(tmp_path, as_csv(good_rows(world)))
    assert "No grant with the agreement reference NOPE." in runner.invoke(
        args=["import-expenditures", str(path), "--grant", "NOPE"]).output
    assert "The file is empty." in run_import(runner, write(tmp_path, "", "e.csv")).output
    app.config["EXPENDITURE_IMPORT_MAX_BYTES"] = 100
    assert "The file is larger than 100 bytes." in run_import(runner, path).output
    assert count_rows(Expenditure) == 0


# --- the web -------------------------------------------------------------------------------


def page_text(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", text.replace("&#34;", '"').replace("&#39;", "'")
                  .replace("&amp;", "&")).strip()


def upload(client, world: GrantWorld, content: str | bytes, filename: str = "spending.csv",
           **fields: str):
    raw = content.encode() if isinstance(content, str) else content
    return client.post(f"/grants/{world.grant.id}/spending/import",
                       data={"file": (io.BytesIO(raw), filename), **fields},
                       content_type="multipart/form-data")


def confirm_fields(html: str) -> dict[str, str]:
    """The confirm form's hidden fields, as the browser would post them back."""
    form = html[html.index('id="confirm-import"'):]
    form = form[:form.index("</form>")]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value:
            fields[name[1]] = value[1]
    return fields


def test_upload_preview_and_confirm_import_the_file_once(client, world):
    coordinator = make_user(Role.COORDINATOR)
    login(client, coordinator)
    rows = good_rows(world)
    page = client.get(f"/grants/{world.grant.id}/spending/import")
    assert page.status_code == 200
    assert HEADER.strip() in page_text(page.text)

    preview = upload(client, world, as_csv(rows))

    assert preview.status_code == 200, page_text(preview.text)
    assert count_rows(Expenditure) == 0  # a preview writes nothing
    text = page_text(preview.text)
    assert f"${in_usd('1500', 'MDL', date(2027, 3, 10))}" in text
    assert f"${expected_total(rows):,}" in text
    fields = confirm_fields(preview.text)
    assert set(fields) >= {"csrf_token", "submission_key", "kept"}

    done = client.post(f"/grants/{world.grant.id}/spending/import", data=fields)
    assert done.status_code == 302
    assert count_rows(Expenditure) == 4
    assert {(status, by) for *_, status, by in stored()} == {
        (ExpenditureStatus.SUBMITTED, coordinator.id)}
    shown = page_text(client.get(done.headers["Location"]).text)
    assert "4 expenditures imported, waiting for approval" in shown

    again = client.post(f"/grants/{world.grant.id}/spending/import", data=fields)
    assert again.status_code == 302
    assert count_rows(Expenditure) == 4  # the double post counts once


def test_a_tampered_copy_is_refused_and_a_bad_file_lists_every_problem(client, world):
    login(client, make_user(Role.COORDINATOR))
    rows = good_rows(world)
    fields = confirm_fields(upload(client, world, as_csv(rows)).text)
    fields["kept"] = fields["kept"][:-3] + "abc"
    refused = client.post(f"/grants/{world.grant.id}/spending/import", data=fields)
    assert refused.status_code == 422
    assert "Upload the file again" in page_text(refused.text)
    assert count_rows(Expenditure) == 0

    bad = upload(client, world, as_csv([("2027-13-01", *rows[0][1:]), rows[1]]))
    assert bad.status_code == 422
    assert ("Row 2, column date: “2027-13-01” is not a date in the form YYYY-MM-DD."
            in page_text(bad.text))
    assert 'id="confirm-import"' not in bad.text


def test_a_partner_lead_imports_its_own_rows_and_is_refused_others_row_by_row(client, world):
    lead = make_user(Role.LEAD, org=world.moldova, campaigns=[world.campaign])
    login(client, lead)
    rows = good_rows(world)

    refused = upload(client, world, as_csv(rows))

    assert refused.status_code == 422
    text = page_text(refused.text)
    assert "Row 4, column partner: You may not record the spending of Greenwomen." in text
    assert "Row 5, column partner: You may not record the spending of Eco-Accord." in text
    assert "Row 2," not in text and "Row 3," not in text
    assert count_rows(Expenditure) == 0

    own = upload(client, world, as_csv(rows[:2]))
    assert own.status_code == 200, page_text(own.text)
    done = client.post(f"/grants/{world.grant.id}/spending/import",
                       data=confirm_fields(own.text))
    assert done.status_code == 302
    assert [(doc, by) for doc, *_, by in stored()] == [("MD-001", lead.id),
                                                       ("MD-002", lead.id)]
    template = client.get(f"/grants/{world.grant.id}/spending/import/template.csv")
    assert template.status_code == 200
    lines = template.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == HEADER.strip()
    assert {line.split(",")[2] for line in lines[1:]} == {"eco-moldova"}


def test_a_lead_of_no_partner_of_the_grant_may_not_import(client, world):
    login(client, make_user(Role.LEAD, org=world.donor, campaigns=[world.campaign]))
    assert client.get(f"/grants/{world.grant.id}/spending/import").status_code == 403
    assert upload(client, world, as_csv(good_rows(world))).status_code == 403
