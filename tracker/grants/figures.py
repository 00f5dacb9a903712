"""Budget against actual: one query per grant and window, summed in SQL to the minor unit.

For a grant, a window (a reporting period, or the period running on a day) and the budget
version in force at the window's end, each line gets:

- approved: the line's amount in that version;
- spent in period: approved expenditures dated within the window;
- spent to date: approved expenditures dated on or before the window's end;
- remaining = approved − spent to date;
- variance = spent to date − approved (above zero: overspent);
- share used = spent to date ÷ approved (none when nothing was approved).

Every amount is the stored grant-currency amount of an expenditure (converted once, by
the one rule, when it was recorded), so lines, categories, partners, countries and the
total are plain integer sums and always agree. A donor category is flagged when its
spending to date exceeds its approved amount by more than the grant's flexibility:
spent × 10 000 > approved × (10 000 + flexibility in hundredths of a percent).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, literal, select

from tracker.applications.budget_categories import scheme_for
from tracker.extensions import db
from tracker.grants.models import (
    BudgetVersion,
    Expenditure,
    ExpenditureStatus,
    Grant,
    GrantLine,
    LineAmount,
    ReportingPeriod,
)
from tracker.i18n import country_name
from tracker.money.value import Money
from tracker.orgs.models import Organization

SHARE_QUANTUM = Decimal("0.0001")


class Dimension(enum.StrEnum):
    """What the rows of a budget against actual are grouped by."""

    LINE = "line"
    CATEGORY = "category"
    PARTNER = "partner"
    COUNTRY = "country"


@dataclass(frozen=True)
class Figures:
    """Approved, spent in the window and spent to date, in the grant's minor units."""

    currency: str
    approved_minor: int
    spent_in_period_minor: int
    spent_to_date_minor: int

    @property
    def remaining_minor(self) -> int:
        return self.approved_minor - self.spent_to_date_minor

    @property
    def variance_minor(self) -> int:
        return self.spent_to_date_minor - self.approved_minor

    @property
    def approved(self) -> Money:
        return Money.stored(self.approved_minor, self.currency)

    @property
    def spent_in_period(self) -> Money:
        return Money.stored(self.spent_in_period_minor, self.currency)

    @property
    def spent_to_date(self) -> Money:
        return Money.stored(self.spent_to_date_minor, self.currency)

    @property
    def remaining(self) -> Money:
        return Money.stored(self.remaining_minor, self.currency)

    @property
    def variance(self) -> Money:
        return Money.stored(self.variance_minor, self.currency)

    @property
    def share_used(self) -> Decimal | None:
        """Spent to date ÷ approved, to four decimals (0.1234 is 12.34 %)."""
        if self.approved_minor == 0:
            return None
        return (Decimal(self.spent_to_date_minor) / Decimal(self.approved_minor)).quantize(
            SHARE_QUANTUM, rounding=ROUND_HALF_UP)

    def beyond(self, flexibility_percent: Decimal) -> bool:
        """Spent to date exceeds approved by more than the flexibility allows."""
        hundredths = int(flexibility_percent * 100)
        return self.spent_to_date_minor * 10_000 > self.approved_minor * (10_000 + hundredths)


@dataclass(frozen=True)
class Row:
    """One line, category, partner or country of the table."""

    key: str
    label: str
    figures: Figures
    # For lines: the code, the category's key, the partner's id and its country.
    code: str = ""
    category: str = ""
    partner_org_id: int | None = None
    country: str = ""
    # For categories: overspent beyond the donor's flexibility.
    beyond_flexibility: bool = False


@dataclass(frozen=True)
class BudgetActual:
    """A grant's budget against actual for one window, grouped every way a donor asks."""

    grant: Grant
    version: BudgetVersion | None
    period: ReportingPeriod | None
    starts_on: date | None
    ends_on: date
    lines: list[Row]
    categories: list[Row]
    partners: list[Row]
    countries: list[Row]
    total: Figures

    @property
    def flagged(self) -> list[Row]:
        """The categories overspent beyond the donor's flexibility."""
        return [row for row in self.categories if row.beyond_flexibility]

    @property
    def time_elapsed(self) -> Decimal:
        """The share of the grant's days gone by the window's end (0 to 1, four decimals)."""
        days = (self.grant.ends_on - self.grant.starts_on).days + 1
        gone = min(max((self.ends_on - self.grant.starts_on).days + 1, 0), days)
        return (Decimal(gone) / Decimal(days)).quantize(SHARE_QUANTUM,
                                                        rounding=ROUND_HALF_UP)

    def rows(self, dimension: Dimension) -> list[Row]:
        return {Dimension.LINE: self.lines, Dimension.CATEGORY: self.categories,
                Dimension.PARTNER: self.partners, Dimension.COUNTRY: self.countries}[dimension]


def version_in_force(grant: Grant, on: date) -> BudgetVersion | None:
    """The latest budget version approved on or before the day (else the first one)."""
    version = db.session.scalar(
        select(BudgetVersion).where(BudgetVersion.grant_id == grant.id,
                                    BudgetVersion.approved_on <= on)
        .order_by(BudgetVersion.number.desc()).limit(1))
    if version is None:
        version = db.session.scalar(select(BudgetVersion).where(
            BudgetVersion.grant_id == grant.id).order_by(BudgetVersion.number).limit(1))
    return version


def period_running(grant: Grant, on: date) -> ReportingPeriod | None:
    """The reporting period the day falls in, if any."""
    return db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.grant_id == grant.id, ReportingPeriod.starts_on <= on,
        ReportingPeriod.ends_on >= on))


def _line_query(grant: Grant, version: BudgetVersion | None, starts_on: date | None,
                ends_on: date):
    """Per line: approved in the version, spent in the window, spent to its end."""
    amount = Expenditure.grant_amount_minor
    in_window = (and_(Expenditure.spent_on >= starts_on, Expenditure.spent_on <= ends_on)
                 if starts_on is not None else literal(False))
    approved = (select(func.coalesce(func.max(LineAmount.amount_minor), 0))
                .where(LineAmount.line_id == GrantLine.id,
                       LineAmount.version_id == (version.id if version else -1))
                .scalar_subquery())
    return (
        select(
            GrantLine.id.label("line_id"),
            GrantLine.code,
            GrantLine.position,
            GrantLine.donor_category,
            GrantLine.partner_org_id,
            Organization.country,
            approved.label("approved"),
            func.coalesce(func.sum(case((in_window, amount), else_=0)), 0)
            .label("spent_in_period"),
            func.coalesce(func.sum(case((Expenditure.spent_on <= ends_on, amount), else_=0)),
                          0).label("spent_to_date"),
        )
        .join(Organization, Organization.id == GrantLine.partner_org_id)
        .outerjoin(Expenditure, and_(Expenditure.line_id == GrantLine.id,
                                     Expenditure.status == ExpenditureStatus.APPROVED))
        .where(GrantLine.grant_id == grant.id)
        .group_by(GrantLine.id, GrantLine.code, GrantLine.position, GrantLine.donor_category,
                  GrantLine.partner_org_id, Organization.country)
    )


def _figures(currency: str, approved: int | None, in_period: int | None,
             to_date: int | None) -> Figures:
    return Figures(currency, int(approved or 0), int(in_period or 0), int(to_date or 0))


def budget_against_actual(grant: Grant, period: ReportingPeriod | None = None,
                          on: date | None = None) -> BudgetActual:
    """The grant's budget against actual for a reporting period, or as of a day.

    Without a period, the window is the period running on `on` (today by default), and
    "to date" ends on that day.
    """
    if period is not None:
        starts_on: date | None = period.starts_on
        ends_on = period.ends_on
    else:
        ends_on = on or date.today()
        running = period_running(grant, ends_on)
        starts_on = running.starts_on if running else None
        period = running
    version = version_in_force(grant, ends_on)
    per_line = _line_query(grant, version, starts_on, ends_on).subquery()
    currency = grant.currency

    def grouped(*keys):
        return db.session.execute(
            select(*keys, func.sum(per_line.c.approved), func.sum(per_line.c.spent_in_period),
                   func.sum(per_line.c.spent_to_date))
            .group_by(*keys)).all()

    lines_by_id = {line.id: line for line in grant.lines}
    scheme = scheme_for(grant.application)
    line_rows = []
    for row in db.session.execute(select(per_line).order_by(per_line.c.position,
                                                            per_line.c.line_id)):
        line = lines_by_id[row.line_id]
        line_rows.append(Row(
            key=row.code, label=line.description or scheme.label(row.donor_category),
            figures=_figures(currency, row.approved, row.spent_in_period, row.spent_to_date),
            code=row.code, category=row.donor_category, partner_org_id=row.partner_org_id,
            country=row.country))

    flexibility = grant.flexibility_percent
    categories = []
    for category, approved, in_period, to_date in sorted(
            grouped(per_line.c.donor_category), key=lambda r: (scheme.order(r[0]), r[0])):
        figures = _figures(currency, approved, in_period, to_date)
        categories.append(Row(key=category, label=scheme.label(category), figures=figures,
                              category=category,
                              beyond_flexibility=figures.beyond(flexibility)))

    names = {org.id: org.name for org in db.session.scalars(
        select(Organization).where(Organization.id.in_(grant.organisation_ids)))}
    partners = [
        Row(key=str(org_id), label=names.get(org_id, ""), partner_org_id=org_id,
            country=country, figures=_figures(currency, approved, in_period, to_date))
        for org_id, country, approved, in_period, to_date in grouped(
            per_line.c.partner_org_id, per_line.c.country)]
    partners.sort(key=lambda row: (row.partner_org_id != grant.holder_org_id, row.label))
    countries = sorted(
        (Row(key=country, label=country_name(country), country=country,
             figures=_figures(currency, approved, in_period, to_date))
         for country, approved, in_period, to_date in grouped(per_line.c.country)),
        key=lambda row: row.label)
    total_row = db.session.execute(select(
        func.sum(per_line.c.approved), func.sum(per_line.c.spent_in_period),
        func.sum(per_line.c.spent_to_date))).one()
    return BudgetActual(grant=grant, version=version, period=period, starts_on=starts_on,
                        ends_on=ends_on, lines=line_rows, categories=categories,
                        partners=partners, countries=countries,
                        total=_figures(currency, *total_row))
