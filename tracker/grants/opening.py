"""What the grant screens read: the defaults of opening a grant, and a budget version's table.

Opening is prefilled from the awarded application (its applicant holds the grant, its
project dates are the grant's, the partners its budget names are the sub-grantees, the
donor's flexibility rule applies). A budget version's table sums its lines per donor
category in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tracker.applications.budget_categories import scheme_for
from tracker.applications.budget_models import ApplicationBudgetLine
from tracker.applications.models import Application
from tracker.errors import found
from tracker.extensions import db
from tracker.grants.budget import donor_flexibility
from tracker.grants.models import BudgetVersion, Grant, GrantLine, LineAmount
from tracker.money.value import Money
from tracker.orgs.models import Organization


@dataclass(frozen=True)
class OpeningDefaults:
    """The opening form's first values, and the organisations offered as sub-grantees."""

    holder_org_id: int
    starts_on: date | None
    ends_on: date | None
    partner_org_ids: tuple[int, ...]
    partner_choices: tuple[Organization, ...]
    flexibility_percent: Decimal


def opening_defaults(application: Application) -> OpeningDefaults:
    """The holder, dates, sub-grantees and flexibility a grant of the application starts with."""
    named = [org_id for org_id in db.session.scalars(
        select(ApplicationBudgetLine.partner_org_id).distinct()
        .where(ApplicationBudgetLine.application_id == application.id))
        if org_id is not None]
    campaign = application.campaign
    offered_ids = {*named, *(partner.organization_id for partner in campaign.partners),
                   campaign.lead_org_id}
    offered = sorted(db.session.scalars(select(Organization).where(
        Organization.id.in_(offered_ids))), key=lambda org: org.name.casefold())
    holder = application.applicant_org_id
    return OpeningDefaults(
        holder_org_id=holder, starts_on=application.project_starts_on,
        ends_on=application.project_ends_on,
        partner_org_ids=tuple(sorted(org_id for org_id in set(named) if org_id != holder)),
        partner_choices=tuple(offered),
        flexibility_percent=donor_flexibility(application.donor))


def get_version(grant: Grant, number: int) -> BudgetVersion:
    """One of the grant's budget versions by its number, or NotFound."""
    return found(db.session.scalar(select(BudgetVersion).where(
        BudgetVersion.grant_id == grant.id, BudgetVersion.number == number)), "budget version")


@dataclass(frozen=True)
class BudgetLineRow:
    """A line of a budget version: its amount there, and what was spent on it so far."""

    line: GrantLine
    amount: Money
    spent: Money

    @property
    def remaining(self) -> Money:
        return self.amount - self.spent


@dataclass(frozen=True)
class CategoryTotal:
    """A donor category's amount in a budget version, and what was spent on it."""

    category: str
    label: str
    amount: Money
    spent: Money

    @property
    def remaining(self) -> Money:
        return self.amount - self.spent


@dataclass(frozen=True)
class BudgetTable:
    """A budget version by line and by donor category, with its grand total."""

    version: BudgetVersion | None
    lines: list[BudgetLineRow]
    categories: list[CategoryTotal]
    total: Money
    spent: Money

    @property
    def remaining(self) -> Money:
        return self.total - self.spent


def budget_table(grant: Grant, version: BudgetVersion | None = None) -> BudgetTable:
    """The grant's budget in a version (the current one by default), summed in SQL."""
    version = version or grant.current_version
    currency = grant.currency
    zero = Money.stored(0, currency)
    if version is None:
        return BudgetTable(None, [], [], zero, zero)
    scheme = scheme_for(grant.application)
    rows = db.session.execute(
        select(GrantLine, LineAmount.amount_minor)
        .join(LineAmount, LineAmount.line_id == GrantLine.id)
        .options(joinedload(GrantLine.partner))
        .where(LineAmount.version_id == version.id)
        .order_by(GrantLine.position, GrantLine.id)).all()
    lines = [BudgetLineRow(line, Money.stored(amount, currency),
                           Money.stored(line.spent_minor, currency)) for line, amount in rows]
    grouped = db.session.execute(
        select(GrantLine.donor_category, func.sum(LineAmount.amount_minor),
               func.sum(GrantLine.spent_minor))
        .join(LineAmount, LineAmount.line_id == GrantLine.id)
        .where(LineAmount.version_id == version.id)
        .group_by(GrantLine.donor_category)).all()
    categories = [CategoryTotal(category, scheme.label(category),
                                Money.stored(int(amount or 0), currency),
                                Money.stored(int(spent or 0), currency))
                  for category, amount, spent in sorted(
                      grouped, key=lambda row: (scheme.order(row[0]), row[0]))]
    total, spent = db.session.execute(
        select(func.coalesce(func.sum(LineAmount.amount_minor), 0),
               func.coalesce(func.sum(GrantLine.spent_minor), 0))
        .join(GrantLine, GrantLine.id == LineAmount.line_id)
        .where(LineAmount.version_id == version.id)).one()
    return BudgetTable(version, lines, categories, Money.stored(int(total), currency),
                       Money.stored(int(spent), currency))
