"""A donor financial report for one reporting period: what it says, in the asked language.

Everything comes from `budget_against_actual(grant, period)` (integer sums in SQL) and
the period's approved expenditures, in the grant's currency (the award's): lines grouped
by the donor's category with subtotals, totals per partner and per country, the grand
total, time elapsed against the share used, and the list of expenditures whose sum is
the period's spending. Nothing is re-rounded: each figure is a stored or summed integer
of minor units, formatted for the reader only. The wording is the donor's format
(tracker/grants/report_formats.py) in English or Russian, whatever the screen's language:
every text is gathered under flask_babel's force_locale with the language passed on
explicitly (names, countries, dates and numbers included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tracker.applications.budget_categories import DonorScheme, scheme_for
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.grants.figures import Figures, budget_against_actual
from tracker.grants.models import (
    BudgetVersion,
    Expenditure,
    ExpenditureStatus,
    Grant,
    GrantLine,
    ReportingPeriod,
)
from tracker.grants.report_formats import ReportFormat
from tracker.grants.spending import BANK_RATE_SOURCE
from tracker.i18n import LANGUAGES, country_name, currency_name, format_day, format_money
from tracker.money.value import Money, minor_units
from tracker.orgs.models import Organization
from tracker.proposals.document import css_string, page_of_pages

REPORT_TEMPLATE = "grants/report.html"


@dataclass(frozen=True)
class ReportRow:
    """A line, category, partner or country of the report, with its figures."""

    ref: str
    label: str
    figures: Figures
    category: str = ""
    partner: str = ""
    country: str = ""
    flagged: bool = False


@dataclass(frozen=True)
class CategoryGroup:
    """A donor category: its lines and their subtotal, flagged if overspent too far."""

    key: str
    label: str
    lines: list[ReportRow]
    figures: Figures
    flagged: bool


@dataclass(frozen=True)
class ExpenditureRow:
    """An approved expenditure of the period as the donor reads it."""

    spent_on: date
    ref: str
    partner: str
    document: str
    description: str
    amount: Money
    rate: Decimal | None
    bank_rate: bool
    converted: Money


@dataclass(frozen=True)
class FinancialReport:
    """Everything a financial report shows, worded in `language`."""

    language: str
    format: ReportFormat
    headings: dict[str, str]
    grant: Grant
    period: ReportingPeriod
    final: bool
    version: BudgetVersion | None
    currency: str
    donor: str
    project: str
    holder: str
    groups: list[CategoryGroup]
    partners: list[ReportRow]
    countries: list[ReportRow]
    total: Figures
    flexibility_percent: Decimal
    time_elapsed: Decimal
    expenditures: list[ExpenditureRow]
    created: datetime

    @property
    def lines(self) -> list[ReportRow]:
        return [line for group in self.groups for line in group.lines]

    @property
    def flagged(self) -> list[CategoryGroup]:
        return [group for group in self.groups if group.flagged]

    @property
    def expenditures_total(self) -> Figures:
        """The listed expenditures' sum (equal to the period's spending, by construction)."""
        spent = sum(row.converted.minor for row in self.expenditures)
        return Figures(self.currency, 0, spent, 0)

    # Formatting for the reader: never used to compute anything.

    def number(self, minor: int) -> str:
        """Minor units as a number in the report's language ('60,000.00', '60 000,00')."""
        places = minor_units(self.currency)
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(Money.stored(minor, self.currency).amount, format=pattern,
                              locale=self.language)

    def money(self, money: Money) -> str:
        return format_money(money, self.language)

    def share(self, figures: Figures) -> str:
        share = figures.share_used
        return "" if share is None else self.percent(share)

    def percent(self, share: Decimal) -> str:
        return format_percent(share, format="#,##0.0%", locale=self.language)

    def rate(self, rate: Decimal | None) -> str:
        if rate is None:
            return ""
        return format_decimal(rate, format="#,##0.######", locale=self.language)

    def day(self, value: date | None) -> str:
        return format_day(value, self.language) if value else ""

    @property
    def kind(self) -> str:
        return _("Final report") if self.final else _("Interim report")

    @property
    def currency_label(self) -> str:
        return f"{self.currency} ({currency_name(self.currency, self.language)})"

    @property
    def rate_note(self) -> str:
        return _("Expenditures in other currencies are converted into %(currency)s at the "
                 "rate of their date, or at the bank's actual rate where one was entered.",
                 currency=self.currency)

    @property
    def share_used(self) -> Decimal:
        return self.total.share_used or Decimal(0)


def _scheme(report_format: ReportFormat, grant: Grant) -> DonorScheme:
    """The format's scheme when it knows every category of the grant, else the grant's own."""
    used = {line.donor_category for line in grant.lines}
    if used <= set(report_format.scheme.categories):
        return report_format.scheme
    return scheme_for(grant.application)


def line_refs(grant: Grant, report_format: ReportFormat, scheme: DonorScheme) -> dict[str, str]:
    """Each line's number as the format writes it, by the grant's code."""
    if report_format.numbering != "unido" or scheme is not report_format.scheme:
        return {line.code: line.code for line in grant.lines}
    refs: dict[str, str] = {}
    counts: dict[str, int] = {}
    for line in sorted(grant.lines, key=lambda line: (line.position, line.id)):
        group = line.donor_category.split("-")[0]
        counts[group] = counts.get(group, 0) + 1
        refs[line.code] = f"{group}-{counts[group]:02d}"
    return refs


def last_change(grant: Grant) -> datetime:
    """When the grant's figures last changed: the PDF's date, from the data, not the clock."""
    candidates = [grant.updated_at]
    for column, where in ((Expenditure.updated_at, Expenditure.grant_id == grant.id),
                          (BudgetVersion.created_at, BudgetVersion.grant_id == grant.id)):
        latest = db.session.scalar(select(func.max(column)).where(where))
        if latest is not None:
            candidates.append(latest)
    latest = max(value if value.tzinfo else value.replace(tzinfo=UTC) for value in candidates)
    return latest.astimezone(UTC).replace(microsecond=0)


def _expenditures(grant: Grant, period: ReportingPeriod) -> list[Expenditure]:
    return list(db.session.scalars(
        select(Expenditure).options(joinedload(Expenditure.line), joinedload(Expenditure.partner))
        .where(Expenditure.grant_id == grant.id,
               Expenditure.status == ExpenditureStatus.APPROVED,
               Expenditure.spent_on >= period.starts_on, Expenditure.spent_on <= period.ends_on)
        .order_by(Expenditure.spent_on, Expenditure.id)))


def check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise DomainError(_("Choose English or Russian."), field="language")


def financial_report(grant: Grant, period: ReportingPeriod, *, language: str,
                     report_format: ReportFormat) -> FinancialReport:
    """The report of one period in the donor's format, worded in `language`."""
    check_language(language)
    with force_locale(language):
        return _build(grant, period, language, report_format)


def _build(grant: Grant, period: ReportingPeriod, language: str,
           report_format: ReportFormat) -> FinancialReport:
    actual = budget_against_actual(grant, period)
    scheme = _scheme(report_format, grant)
    refs = line_refs(grant, report_format, scheme)
    organisations = {org.id: org for org in db.session.scalars(
        select(Organization).where(Organization.id.in_(grant.organisation_ids)))}

    def org_name(org_id: int | None) -> str:
        org = organisations.get(org_id) if org_id is not None else None
        return org.localized("name", language) if org is not None else ""

    lines_by_code: dict[str, GrantLine] = {line.code: line for line in grant.lines}
    by_category: dict[str, list[ReportRow]] = {}
    for row in actual.lines:
        line = lines_by_code[row.code]
        by_category.setdefault(row.category, []).append(ReportRow(
            ref=refs[row.code],
            label=line.localized("description", language) or scheme.label(row.category),
            figures=row.figures, category=scheme.label(row.category),
            partner=org_name(row.partner_org_id), country=country_name(row.country, language)))
    groups = [CategoryGroup(key=row.key, label=scheme.label(row.key),
                            lines=by_category.get(row.key, []), figures=row.figures,
                            flagged=row.beyond_flexibility)
              for row in sorted(actual.categories, key=lambda r: (scheme.order(r.key), r.key))]
    partners = [ReportRow(ref=str(row.partner_org_id), label=org_name(row.partner_org_id),
                          figures=row.figures, country=country_name(row.country, language))
                for row in actual.partners]
    countries = sorted((ReportRow(ref=row.key, label=country_name(row.key, language),
                                  figures=row.figures) for row in actual.countries),
                       key=lambda row: row.label)
    expenditures = [ExpenditureRow(
        spent_on=item.spent_on, ref=refs.get(item.line.code, item.line.code),
        partner=org_name(item.partner_org_id), document=item.document_number,
        description=item.description, amount=item.amount, rate=item.rate,
        bank_rate=item.rate_source == BANK_RATE_SOURCE, converted=item.grant_amount)
        for item in _expenditures(grant, period)]
    last_number = max(other.number for other in grant.periods)
    application = grant.application
    return FinancialReport(
        language=language, format=report_format, headings=report_format.all_headings(),
        grant=grant, period=period, final=period.number == last_number,
        version=actual.version, currency=grant.currency,
        donor=application.donor.localized("name", language),
        project=application.localized("title", language), holder=org_name(grant.holder_org_id),
        groups=groups, partners=partners, countries=countries, total=actual.total,
        flexibility_percent=grant.flexibility_percent, time_elapsed=actual.time_elapsed,
        expenditures=expenditures, created=last_change(grant))


def report_html(grant: Grant, period: ReportingPeriod, *, language: str,
                report_format: ReportFormat, draft: bool) -> str:
    """The report as HTML for WeasyPrint, in `language` (a draft carries a mark)."""
    report = financial_report(grant, period, language=language, report_format=report_format)
    with force_locale(language):
        return render_template(
            REPORT_TEMPLATE, report=report, h=report.headings, page_numbers=page_of_pages(),
            draft_mark=css_string(_("Draft: not for submission")) if draft else "none")
