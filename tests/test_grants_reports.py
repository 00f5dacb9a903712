"""Donor financial reports: PDF and XLSX in English and Russian, in each donor's format,
their totals adding up exactly, the command that writes them, kept finals, the demo grant.

The grant (tests/grants_support.py) is in US dollars; period 1 (2027) has spending in
USD, MDL and EUR, one category overspent beyond the flexibility, and period 2 a little
more. PDF renders are slow (a second or two each), so few tests render one.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.auth_support import login, make_user
from tests.grants_support import make_grant_world, spend
from tests.proposals_support import flat, pdf_pages
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.grants.models import Expenditure, FinancialReportFinal, Grant
from tracker.grants.report_formats import DEFAULT_HEADINGS, FORMATS
from tracker.money.value import Money

# Period 1: 2.1 (hub) €500.00 × 1.085 = $542.50; 2.2 (Moldova) MDL 17,850 ÷ 17.85 =
# $1,000.00; 1.1 (Kazakhstan, travel) $1,234.56 + $5,000.00 = $6,234.56 against $5,454.55
# approved: 14.3 % over, beyond the 10 % flexibility. Period 1 spends $7,777.06.
PERIOD_ONE = {"en": "7,777.06", "ru": "7 777,06"}
AWARD = {"en": "60,000.00", "ru": "60 000,00"}
TO_DATE_TWO = {"en": "7,877.06", "ru": "7 877,06"}


@pytest.fixture
def world(app):
    world = make_grant_world()
    grant = world.grant
    spend(grant, "2.1", "500.00", "EUR", date(2027, 2, 1), "E-1")
    spend(grant, "2.2", "17850", "MDL", date(2027, 3, 1), "M-1")
    spend(grant, "1.1", "1234.56", "USD", date(2027, 4, 1), "U-1")
    spend(grant, "1.1", "5000", "USD", date(2027, 5, 1), "U-2")
    spend(grant, "2.1", "99", "USD", date(2027, 6, 1), "U-3", approve=False)  # not counted
    spend(grant, "3.1", "100", "USD", date(2028, 2, 1), "U-4")
    db.session.refresh(grant)
    return world


@pytest.fixture
def coordinator(client):
    user = make_user(Role.COORDINATOR, email="coordinator@example.org")
    login(client, user)
    return user


def english_headings() -> set[str]:
    """Every heading a report may print, in English."""
    texts = {str(text) for text in DEFAULT_HEADINGS.values()}
    for report_format in FORMATS.values():
        texts |= {str(text) for text in report_format.headings.values()}
    return texts | {"Donor", "Agreement reference", "Exchange rates", "Interim report",
                    "Budget version in force", "Grant holder", "Page 1"}


def test_the_pdf_prints_the_period_totals_in_english_and_russian(client, world, coordinator):
    grant = world.grant
    texts = {}
    for language in ("en", "ru"):
        response = client.get(f"/grants/{grant.id}/reports/1.pdf?lang={language}")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert f"UNIDO-2027-014-period-1-unido-{language}-draft.pdf" in \
            response.headers["Content-Disposition"]
        texts[language] = flat(pdf_pages(response.data))
    english, russian = texts["en"], texts["ru"]
    assert "Statement of expenditure" in english and "Interim report" in english
    assert "Отчёт о расходах" in russian and "Промежуточный отчёт" in russian
    for language, text in texts.items():
        assert PERIOD_ONE[language] in text, language
        assert AWARD[language] in text, language
    # The flexibility flag, the rate note and the version, in each language.
    assert "15-00 Project travel" in english and "Overspent beyond the flexibility" in english
    assert "15-00 Поездки по проекту" in russian
    assert "Перерасход сверх допустимого" in russian
    assert "at the rate of their date, or at the bank's actual rate" in english
    assert "по курсу на дату" in russian
    assert "Eco-Moldova" in english and "Эко-Молдова" in russian and "Молдова" in russian
    for heading in english_headings():
        assert heading not in russian, (heading, russian)


def test_the_report_adds_up_exactly_and_lists_the_period_expenditures(app, world):
    grant = world.grant
    report = grants.financial_report(grant, grant.periods[0], language="en",
                                     report_format=grants.format_for(grant.application))
    total = report.total
    assert total.spent_in_period_minor == 777_706
    assert total.approved_minor == grant.awarded_minor
    assert sum(line.figures.spent_in_period_minor for line in report.lines) == 777_706
    for group in report.groups:
        assert sum(line.figures.spent_to_date_minor for line in group.lines) \
            == group.figures.spent_to_date_minor
    for rows in (report.partners, report.countries, report.groups):
        assert sum(row.figures.approved_minor for row in rows) == total.approved_minor
        assert sum(row.figures.spent_in_period_minor for row in rows) == 777_706
    assert [row.converted.minor for row in report.expenditures] == [54_250, 100_000,
                                                                    123_456, 500_000]
    assert report.expenditures_total.spent_in_period_minor == 777_706
    assert [group.label for group in report.flagged] == ["15-00 Project travel"]
    # UNIDO's numbering: the line group's two digits and the line's place in it.
    assert [line.ref for line in report.lines] == ["15-01", "17-01", "17-02", "21-01",
                                                   "45-01", "51-01"]
    second = grants.financial_report(grant, grant.periods[1], language="ru",
                                     report_format=grants.format_for(grant.application))
    assert second.final and second.number(second.total.spent_to_date_minor) == \
        TO_DATE_TWO["ru"].replace(" ", "\u00a0")


def cells(sheet) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_workbook_holds_numbers_and_totals_that_are_the_sums(client, world, coordinator):
    grant = world.grant
    response = client.get(f"/grants/{grant.id}/reports/1.xlsx?lang=ru")
    assert response.status_code == 200
    assert "period-1-unido-ru-draft.xlsx" in response.headers["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.data))
    assert workbook.sheetnames == ["Сводка", "По партнёрам", "По странам", "Расходы"]
    summary = cells(workbook["Сводка"])
    header_at = next(i for i, row in enumerate(summary) if row[0] == "Статья бюджета")
    rows = summary[header_at + 1:]
    line_rows = [row for row in rows if row[0] and isinstance(row[4], int | float)]
    total_row = next(row for row in rows if row[1] == "Итого")
    assert len(line_rows) == 6
    for column in range(4, 10):
        if column == 8:  # the share used is a ratio, not a sum
            continue
        total = total_row[column]
        assert isinstance(total, int | float) and not isinstance(total, bool)
        assert round(sum(Decimal(str(row[column])) for row in line_rows), 2) \
            == Decimal(str(total)).quantize(Decimal("0.01"))
    assert Decimal(str(total_row[5])) == Decimal("7777.06")
    assert not any(isinstance(value, str) and value.startswith("=")
                   for row in summary for value in row)
    subtotal_flags = [row[10] for row in rows if row[1] and str(row[1]).startswith("Итого по")]
    assert "Да" in subtotal_flags
    spending = cells(workbook["Расходы"])
    amounts = [row[8] for row in spending[1:-1]]
    assert len(amounts) == 4 and all(isinstance(value, int | float) for value in amounts)
    assert Decimal(str(spending[-1][8])) == Decimal("7777.06") \
        == sum(Decimal(str(value)) for value in amounts)
    assert {row[6] for row in spending[1:-1]} == {"EUR", "MDL", "USD"}
    for name in ("По партнёрам", "По странам"):
        sheet = cells(workbook[name])
        first_amount = 2 if name == "По партнёрам" else 1
        assert Decimal(str(sheet[-1][first_amount])) == Decimal("60000") == \
            sum(Decimal(str(row[first_amount])) for row in sheet[1:-1])


def test_a_description_that_looks_like_a_formula_is_neutralised(app, world):
    grant = world.grant
    expenditure = grants.record_expenditure(grant, grants.ExpenditureInput(
        line_code="5.1", partner_org_id=world.hub.id, spent_on=date(2027, 7, 1),
        amount=Money(Decimal("10"), "USD"), document_number="@SUM(1)",
        description='=HYPERLINK("http://evil.example","click")'), by=None)
    grants.approve_expenditure(expenditure, by=None)
    db.session.commit()
    data = grants.report_xlsx(grant, grant.periods[0], language="en",
                              report_format=grants.format_for(grant.application))
    sheet = load_workbook(BytesIO(data)).worksheets[3]
    values = [value for row in cells(sheet) for value in row if isinstance(value, str)]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in values
    assert "'@SUM(1)" in values
    assert not any(value.startswith(("=", "@", "+", "-")) for value in values)


def test_every_donor_format_renders_with_its_own_wording(client, world, coordinator):
    grant = world.grant
    period = grant.periods[0]
    titles = {"generic": "Financial report", "undp": "Combined Delivery Report",
              "unido": "Statement of expenditure",
              "special_programme": "Financial report to the Special Programme"}
    for name, report_format in FORMATS.items():
        html = grants.report_html(grant, period, language="en", report_format=report_format,
                                  draft=True)
        assert titles[name] in html, name
        assert "7,777.06" in html, name
    response = client.get(f"/grants/{grant.id}/reports/1.pdf?lang=en&format=undp")
    assert response.status_code == 200
    text = flat(pdf_pages(response.data))
    assert "Combined Delivery Report" in text and "Delivery (%)" in text
    assert "7,777.06" in text
    assert client.get(f"/grants/{grant.id}/reports/1.pdf?format=nonsense").status_code == 404
    assert client.get(f"/grants/{grant.id}/reports/1.pdf?lang=de").status_code == 404
    assert client.get(f"/grants/{grant.id}/reports/9.pdf?lang=en").status_code == 404


def test_render_report_writes_both_formats_and_refuses_bad_arguments(runner, world, tmp_path):
    pdf, xlsx = tmp_path / "report.pdf", tmp_path / "report.xlsx"
    result = runner.invoke(args=["render-report", "UNIDO-2027-014", "--period", "1",
                                 "--lang", "ru", "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    assert PERIOD_ONE["ru"] in flat(pdf_pages(pdf.read_bytes()))
    result = runner.invoke(args=["render-report", "UNIDO-2027-014", "--period", "2",
                                 "--lang", "en", "--format", "generic", "-o", str(xlsx)])
    assert result.exit_code == 0, result.output
    assert load_workbook(xlsx).sheetnames == ["Summary", "By partner", "By country",
                                              "Expenditures"]

    unknown = runner.invoke(args=["render-report", "NOPE-1", "--period", "1", "--lang", "en",
                                  "-o", str(tmp_path / "a.pdf")])
    assert unknown.exit_code == 1 and "There is no grant NOPE-1" in unknown.output
    no_period = runner.invoke(args=["render-report", "UNIDO-2027-014", "--period", "3",
                                    "--lang", "en", "-o", str(tmp_path / "b.pdf")])
    assert no_period.exit_code == 1 and "has no reporting period 3" in no_period.output
    wrong_file = runner.invoke(args=["render-report", "UNIDO-2027-014", "--period", "1",
                                     "--lang", "en", "-o", str(tmp_path / "c.docx")])
    assert wrong_file.exit_code == 2 and "Name a .pdf or .xlsx file" in wrong_file.output
    wrong_language = runner.invoke(args=["render-report", "UNIDO-2027-014", "--period", "1",
                                         "--lang", "de", "-o", str(tmp_path / "d.pdf")])
    assert wrong_language.exit_code == 2
    assert not any((tmp_path / name).exists() for name in ("a.pdf", "b.pdf", "c.docx",
                                                           "d.pdf"))


def test_keeping_a_final_stores_it_with_its_sha256_and_serves_it(client, world, coordinator):
    grant = world.grant
    response = client.post(f"/grants/{grant.id}/reports/1/final",
                           data={"language": "ru", "report_format": "unido"})
    assert response.status_code == 302
    final = db.session.scalars(select(FinancialReportFinal)).one()
    assert (final.period_number, final.number, final.language, final.format) == \
        (1, 1, "ru", "unido")
    download = client.get(f"/grants/{grant.id}/reports/1/finals/1.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == final.sha256
    assert final.size_bytes == len(download.data)
    assert "Черновик" not in flat(pdf_pages(download.data))
    # Nothing changed: the same version is the one to send; no second one is kept.
    again = client.post(f"/grants/{grant.id}/reports/1/final",
                        data={"language": "ru", "report_format": "unido"},
                        follow_redirects=True)
    assert "Nothing has changed since final version 1" in again.text
    assert len(db.session.scalars(select(FinancialReportFinal)).all()) == 1
    page = client.get(f"/grants/{grant.id}/reports").text
    assert final.sha256[:12] in page and f"/grants/{grant.id}/reports/1/finals/1.pdf" in page
    assert "Jan 31, 2028" in page  # the interim financial report's due date
    refused = client.post(f"/grants/{grant.id}/reports/1/final",
                          data={"language": "de", "report_format": "unido"})
    assert refused.status_code == 422
    assert client.get(f"/grants/{grant.id}/reports/1/finals/2.pdf").status_code == 404


def test_a_lead_reads_the_report_only_when_its_organisation_holds_the_grant(client, world):
    grant = world.grant
    login(client, make_user(Role.LEAD, email="moldova@example.org", org=world.moldova))
    assert client.get(f"/grants/{grant.id}/reports").status_code == 403
    assert client.get(f"/grants/{grant.id}/reports/1.xlsx").status_code == 403
    login(client, make_user(Role.LEAD, email="hub@example.org", org=world.hub))
    assert client.get(f"/grants/{grant.id}/reports").status_code == 200
    assert client.post(f"/grants/{grant.id}/reports/1/final").status_code == 403


# The demo ---------------------------------------------------------------------------------


def test_the_demo_grant_spends_in_three_currencies_and_its_interim_report_prints(
        app, runner, tmp_path):
    from tracker.demo.grants import DEMO_GRANT

    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = (db.session.scalar(select(db.func.count()).select_from(Expenditure)),
              db.session.scalar(select(db.func.count()).select_from(FinancialReportFinal)))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert second.output.splitlines()[0] == "Demo data already present; nothing added."
    assert counts == (db.session.scalar(select(db.func.count()).select_from(Expenditure)),
                      db.session.scalar(select(db.func.count()).select_from(
                          FinancialReportFinal)))
    grant = db.session.scalars(select(Grant).where(Grant.reference == DEMO_GRANT)).one()
    spent = db.session.scalars(select(Expenditure).where(Expenditure.grant_id == grant.id)).all()
    assert len(spent) >= 20
    assert {item.currency for item in spent} == {"MDL", "EUR", "USD"}
    assert len({item.spent_on <= grant.periods[0].ends_on for item in spent}) == 2
    assert len(grant.versions) == 2 and len(grant.partners) == 3
    assert {partner.organization.country for partner in grant.partners} >= {"MD"}
    actual = grants.budget_against_actual(grant, grant.periods[0])
    assert actual.flagged
    for language in ("en", "ru"):
        output = tmp_path / f"interim-{language}.pdf"
        result = runner.invoke(args=["render-report", DEMO_GRANT, "--period", "1", "--lang",
                                     language, "-o", str(output)])
        assert result.exit_code == 0, result.output
        text = flat(pdf_pages(output.read_bytes()))
        report = grants.financial_report(grant, grant.periods[0], language=language,
                                         report_format=grants.format_for(grant.application))
        assert report.number(report.total.spent_in_period_minor).replace("\u00a0", " ") in text
