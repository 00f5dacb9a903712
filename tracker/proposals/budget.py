"""A proposal's budget and co-financing: the application's own budget, as the donor reads it.

The budget is the application's (tracker.applications.budget), never the campaign's
funding targets: its lines by project year and by the donor's categories, with the
amount requested from the donor and the co-financing of each, and totals the database
added up in the application's currency, so that every column adds up and total cost =
requested + co-financing on every row. Lines costed in another currency show the dated
rate they were converted at. Co-financing is listed by source from the same lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.applications.budget_models import ApplicationBudgetLine, CofinancingSource
from tracker.applications.models import Application
from tracker.applications.services import (
    BudgetTotals,
    Split,
    budget_lines,
    budget_totals,
    scheme_for,
    year_period,
)
from tracker.i18n import country_name
from tracker.money.services import RateMissing, convert
from tracker.money.value import Money

# Conversion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RateUsed:
    """A rate a proposal's figures were converted with, stated under the budget."""

    base: str
    quote: str
    rate: Decimal
    on: date
    source: str


class Converter:
    """Converts amounts into one currency and remembers the rates used and those missing."""

    def __init__(self, to: str) -> None:
        self.to = to
        self.used: dict[tuple[str, date], RateUsed] = {}
        self.missing: dict[tuple[str, date], str] = {}

    def __call__(self, money: Money, on: date) -> Money | None:
        """The amount in the target currency, or None when no rate is known (noted)."""
        try:
            conversion = convert(money, self.to, on)
        except RateMissing as error:
            self.missing[(money.currency, on)] = error.message
            return None
        if conversion.rate_date is not None:
            self.used[(money.currency, conversion.rate_date)] = RateUsed(
                money.currency, self.to, conversion.rate, conversion.rate_date,
                conversion.source)
        return conversion.converted

    def rates(self) -> list[RateUsed]:
        return sorted(self.used.values(), key=lambda rate: (rate.base, rate.on))

    def problems(self) -> list[str]:
        return [self.missing[key] for key in sorted(self.missing)]


def add_up(amounts: Iterable[Money | None], currency: str) -> Money | None:
    """The sum of converted amounts, or None when one of them could not be converted."""
    total = Money.zero(currency)
    for amount in amounts:
        if amount is None:
            return None
        total = total + amount
    return total


# The budget ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetRow:
    line: ApplicationBudgetLine
    description: str
    justification: str
    partner: str
    country: str

    @property
    def converted(self) -> bool:
        return self.line.rate is not None


@dataclass(frozen=True)
class CategoryBlock:
    code: str
    label: str
    rows: list[BudgetRow]
    split: Split


@dataclass(frozen=True)
class YearBlock:
    year: int
    first: date | None
    last: date | None
    categories: list[CategoryBlock]
    split: Split


@dataclass(frozen=True)
class CategoryRow:
    """One donor category across the years: each year's total, and the category's split."""

    label: str
    years: list[Money]
    split: Split


@dataclass(frozen=True)
class Budget:
    currency: str
    years: list[YearBlock]
    categories: list[CategoryRow]
    year_numbers: list[int]
    totals: BudgetTotals

    @property
    def empty(self) -> bool:
        return self.totals.empty

    @property
    def overall(self) -> Split:
        return self.totals.overall

    @property
    def total(self) -> Money:
        return self.totals.overall.total

    @property
    def rates(self) -> list[RateUsed]:
        return [RateUsed(rate.base, rate.quote, rate.rate, rate.on, rate.source)
                for rate in self.totals.rates]


def build_budget(application: Application, language: str) -> Budget:
    """The application's budget by project year and donor category, with every total."""
    scheme = scheme_for(application)
    totals = budget_totals(application, language)
    currency = totals.currency
    grouped: dict[int, dict[str, list[BudgetRow]]] = {}
    for line in budget_lines(application):
        partner = line.partner
        grouped.setdefault(line.year, {}).setdefault(line.donor_category, []).append(BudgetRow(
            line=line,
            description=line.localized("description", language),
            justification=line.localized("justification", language),
            partner=partner.localized("name", language) if partner else "",
            country=country_name(partner.country, language) if partner else "",
        ))
    years = []
    for year in sorted(grouped):
        period = year_period(application, year)
        blocks = [CategoryBlock(code, scheme.label(code), rows,
                                totals.by_year_category[(year, code)])
                  for code, rows in sorted(grouped[year].items(),
                                           key=lambda item: scheme.order(item[0]))]
        years.append(YearBlock(year, period[0] if period else None,
                               period[1] if period else None, blocks, totals.by_year[year]))
    year_numbers = sorted(totals.by_year)
    categories = [CategoryRow(
        scheme.label(code),
        [totals.by_year_category.get((year, code), Split.zero(currency)).total
         for year in year_numbers], split)
        for code, split in totals.by_category.items()]
    return Budget(currency, years, categories, year_numbers, totals)


# Co-financing -------------------------------------------------------------------------


@dataclass(frozen=True)
class CofinancingRow:
    source: CofinancingSource
    label: str
    name: str
    amount: Money


@dataclass(frozen=True)
class Cofinancing:
    rows: list[CofinancingRow]
    by_source: list[tuple[str, Money]]
    total: Money


def build_cofinancing(budget: Budget) -> Cofinancing:
    """The budget's co-financing by source (each drive, partner or grant named)."""
    totals = budget.totals
    rows = [CofinancingRow(item.source, item.source.label, item.name, item.amount)
            for item in totals.sources]
    by_source = [(source.label, amount) for source, amount in totals.by_source.items()]
    return Cofinancing(rows, by_source, totals.overall.cofinancing)
