"""An application budget's totals by year, by donor category and by source, added up by the
database in minor units of the application's currency: exact, and adding up by design
(every line's total is its requested part plus its co-financing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from tracker.applications.budget_categories import scheme_for
from tracker.applications.budget_models import (
    ApplicationBudgetLine,
    CofinancingShare,
    CofinancingSource,
)
from tracker.applications.models import Application
from tracker.drives.models import Drive
from tracker.extensions import db
from tracker.money.value import Money, minor_units
from tracker.orgs.models import Organization

Line = ApplicationBudgetLine


def _money(minor: int, currency: str) -> Money:
    return Money(Decimal(minor).scaleb(-minor_units(currency)), currency)


@dataclass(frozen=True)
class Split:
    """Total cost, the part requested from the donor, and co-financing: total = the other two."""

    total: Money
    requested: Money
    cofinancing: Money

    @classmethod
    def of(cls, total: int, requested: int, cofinancing: int, currency: str) -> Split:
        return cls(_money(total, currency), _money(requested, currency),
                   _money(cofinancing, currency))

    @classmethod
    def zero(cls, currency: str) -> Split:
        return cls.of(0, 0, 0, currency)


@dataclass(frozen=True)
class SourceTotal:
    """Co-financing from one source (a drive, a partner, a grant, or in kind) in all lines."""

    source: CofinancingSource
    name: str
    amount: Money


@dataclass(frozen=True)
class RateShown:
    """A dated rate lines were converted at: '1 RUB = 0.0116 USD on 1 Oct 2026 (source)'."""

    base: str
    quote: str
    rate: Decimal
    on: date
    source: str


@dataclass(frozen=True)
class BudgetTotals:
    currency: str
    lines: int
    overall: Split
    by_year: dict[int, Split]
    by_category: dict[str, Split]  # in the donor's order
    by_year_category: dict[tuple[int, str], Split]
    by_source: dict[CofinancingSource, Money]
    sources: list[SourceTotal]
    rates: list[RateShown]

    @property
    def empty(self) -> bool:
        return self.lines == 0


def budget_totals(application: Application, language: str | None = None) -> BudgetTotals:
    """Every total of the application's budget, summed by the database."""
    currency = application.currency
    scheme = scheme_for(application)
    where = Line.application_id == application.id
    sums = (func.sum(Line.total_minor), func.sum(Line.requested_minor),
            func.sum(Line.cofinancing_minor))
    by_year_category: dict[tuple[int, str], Split] = {}
    for year, code, total, requested, cofinancing in db.session.execute(
            select(Line.year, Line.donor_category, *sums).where(where)
            .group_by(Line.year, Line.donor_category)):
        by_year_category[(year, code)] = Split.of(int(total), int(requested), int(cofinancing),
                                                  currency)
    by_year = {year: Split.of(int(total), int(requested), int(cofinancing), currency)
               for year, total, requested, cofinancing in db.session.execute(
                   select(Line.year, *sums).where(where).group_by(Line.year)
                   .order_by(Line.year))}
    categories = {code: Split.of(int(total), int(requested), int(cofinancing), currency)
                  for code, total, requested, cofinancing in db.session.execute(
                      select(Line.donor_category, *sums).where(where)
                      .group_by(Line.donor_category))}
    by_category = dict(sorted(categories.items(), key=lambda item: scheme.order(item[0])))
    count, total, requested, cofinancing = db.session.execute(
        select(func.count(Line.id), *sums).where(where)).one()
    overall = Split.of(int(total or 0), int(requested or 0), int(cofinancing or 0), currency)

    share_rows = db.session.execute(
        select(CofinancingShare.source, Drive, Organization, Application,
               func.sum(CofinancingShare.amount_minor))
        .join(Line, CofinancingShare.line_id == Line.id)
        .outerjoin(Drive, Drive.id == CofinancingShare.drive_id)
        .outerjoin(Organization, Organization.id == CofinancingShare.partner_org_id)
        .outerjoin(Application, Application.id == CofinancingShare.grant_id)
        .where(where)
        .group_by(CofinancingShare.source, Drive.id, Organization.id, Application.id)
    ).all()
    sources: list[SourceTotal] = []
    by_source: dict[CofinancingSource, Money] = {}
    for source, drive, org, grant, minor in share_rows:
        amount = _money(int(minor), currency)
        by_source[source] = by_source.get(source, Money.zero(currency)) + amount
        if drive is not None:
            name = drive.localized("title", language)
        elif grant is not None:
            name = _("%(donor)s: %(title)s", donor=grant.donor.localized("name", language),
                     title=grant.localized("title", language))
        elif org is not None:
            name = org.localized("name", language)
        else:
            name = ""
        sources.append(SourceTotal(source, name, amount))
    order = list(CofinancingSource)
    sources.sort(key=lambda item: (order.index(item.source), item.name.casefold()))
    by_source = {source: by_source[source] for source in order if source in by_source}

    # Type check: every rate here comes from one lookup that found it.
    rates = [RateShown(base, currency, rate, on, source)  # type: ignore[arg-type]
             for base, rate, on, source in
             db.session.execute(
                 select(Line.currency, Line.rate, Line.rate_on, Line.rate_source)
                 .where(where, Line.rate.is_not(None)).distinct()
                 .order_by(Line.currency, Line.rate_on))]
    return BudgetTotals(currency, int(count), overall, by_year, by_category, by_year_category,
                        by_source, sources, rates)
