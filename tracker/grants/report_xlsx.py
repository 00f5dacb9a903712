"""A financial report as an XLSX workbook: the same figures as the PDF, as numbers.

Sheets: the summary by budget line with the category subtotals and the grand total, the
totals by partner and by country, and the period's expenditures. Amounts are numbers
(exact decimals of the grant's currency, formatted with its minor unit), shares are
numbers formatted as percentages, totals are values (the report's integer sums, not
formulas), and every text a user typed is neutralised the way the pledge export does
(tracker.audit's `neutralize`), so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from flask_babel import force_locale, pgettext
from flask_babel import gettext as _

from tracker.audit.services import neutralize
from tracker.grants.figures import Figures
from tracker.grants.models import Grant, ReportingPeriod
from tracker.grants.report_formats import ReportFormat
from tracker.grants.reports import FinancialReport, financial_report
from tracker.money.value import Money, minor_units

FIGURE_KEYS = ("approved", "in_period", "to_date", "remaining", "used", "variance")


def _number_format(currency: str) -> str:
    places = minor_units(currency)
    return "#,##0" if places == 0 else "#,##0." + "0" * places


def _amounts(report: FinancialReport, figures: Figures) -> list[Any]:
    def amount(minor: int) -> Decimal:
        return Money.stored(minor, report.currency).amount

    return [amount(figures.approved_minor), amount(figures.spent_in_period_minor),
            amount(figures.spent_to_date_minor), amount(figures.remaining_minor),
            figures.share_used, amount(figures.variance_minor)]


def report_xlsx(grant: Grant, period: ReportingPeriod, *, language: str,
                report_format: ReportFormat) -> bytes:
    """The period's report as XLSX bytes, worded in `language`."""
    report = financial_report(grant, period, language=language, report_format=report_format)
    with force_locale(language):
        return _workbook(report)


def _workbook(report: FinancialReport) -> bytes:
    # Heavy: imported when a workbook is first written, not when the app starts.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    h = report.headings
    money_format = _number_format(report.currency)
    bold = Font(bold=True)
    workbook = Workbook()

    def sheet_of(title: str, index: int) -> Any:
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title[:31]
        return sheet

    def put(sheet: Any, row: list[Any], *, first_amount: int | None = None,
            strong: bool = False) -> None:
        sheet.append([neutralize(value) if isinstance(value, str) else value for value in row])
        cells = sheet[sheet.max_row]
        for index, cell in enumerate(cells):
            if strong:
                cell.font = bold
            if first_amount is None or index < first_amount:
                continue
            offset = index - first_amount
            if offset < len(FIGURE_KEYS) and FIGURE_KEYS[offset] == "used":
                cell.number_format = "0.0%"
            elif isinstance(cell.value, Decimal | int | float):
                cell.number_format = money_format

    def figure_heads() -> list[str]:
        return [f"{h['approved']} ({report.currency})", f"{h['in_period']} ({report.currency})",
                f"{h['to_date']} ({report.currency})", f"{h['remaining']} ({report.currency})",
                h["used"], f"{h['variance']} ({report.currency})"]

    summary = sheet_of(pgettext("report sheet", "Summary"), 0)
    period = report.period
    for label, value in (
            (h["title"], report.kind),
            (_("Donor"), report.donor), (_("Agreement reference"), report.grant.reference),
            (_("Project"), report.project), (_("Grant holder"), report.holder),
            (_("Reporting period"), f"{period.number}: {report.day(period.starts_on)} – "
                                    f"{report.day(period.ends_on)}"),
            (_("Budget version in force"), str(report.version.number) if report.version else ""),
            (_("Currency of the report"), report.currency_label),
            (_("Exchange rates"), report.rate_note)):
        put(summary, [label, value])
    put(summary, [])
    put(summary, [h["code"], h["description"], h["category"], h["partner"], *figure_heads(),
                  h["flexibility"]], strong=True)
    for group in report.groups:
        put(summary, [None, group.label], strong=True)
        for line in group.lines:
            put(summary, [line.ref, line.label, line.category, line.partner,
                          *_amounts(report, line.figures)], first_amount=4)
        put(summary, [None, f"{h['subtotal']}: {group.label}", group.label, None,
                      *_amounts(report, group.figures), _("Yes") if group.flagged else _("No")],
            first_amount=4, strong=True)
    put(summary, [None, h["total"], None, None, *_amounts(report, report.total)],
        first_amount=4, strong=True)
    put(summary, [])
    put(summary, [_("Time elapsed by the end of the period"), report.time_elapsed])
    summary.cell(summary.max_row, 2).number_format = "0.0%"
    put(summary, [_("Share of the budget used to date"), report.share_used])
    summary.cell(summary.max_row, 2).number_format = "0.0%"

    partners = sheet_of(_("By partner"), 1)
    put(partners, [h["partner"], h["country"], *figure_heads()], strong=True)
    for row in report.partners:
        put(partners, [row.label, row.country, *_amounts(report, row.figures)], first_amount=2)
    put(partners, [h["total"], None, *_amounts(report, report.total)], first_amount=2,
        strong=True)

    countries = sheet_of(_("By country"), 2)
    put(countries, [h["country"], *figure_heads()], strong=True)
    for row in report.countries:
        put(countries, [row.label, *_amounts(report, row.figures)], first_amount=1)
    put(countries, [h["total"], *_amounts(report, report.total)], first_amount=1, strong=True)

    spending = sheet_of(_("Expenditures"), 3)
    put(spending, [h["date"], h["code"], h["partner"], h["document"], h["description"],
                   h["original"], _("Currency"), h["rate"],
                   f"{h['converted']} ({report.currency})"], strong=True)
    for item in report.expenditures:
        put(spending, [item.spent_on, item.ref, item.partner, item.document, item.description,
                       item.amount.amount, item.amount.currency, item.rate,
                       item.converted.amount])
        cells = spending[spending.max_row]
        cells[0].number_format = "yyyy-mm-dd"
        cells[5].number_format = _number_format(item.amount.currency)
        cells[8].number_format = money_format
    put(spending, [h["total"], None, None, None, None, None, None, None,
                   Money.stored(report.expenditures_total.spent_in_period_minor,
                                report.currency).amount], strong=True)
    spending[spending.max_row][8].number_format = money_format
    for sheet in (summary, partners, countries, spending):
        sheet.column_dimensions["A"].width = 18
        sheet.column_dimensions["B"].width = 36
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
