"""Reading a grant's spending: who sees which partner's, the filtered list and its total,
the lines a user may spend against, and a partner's own share of the budget against actual.

A partner's lead sees only its own organisation's records: the restriction is part of
every query here (an argument naming the organisation), never a filter in a template.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from tracker.auth.permissions import PERMISSIONS, Action, Scope, Subject, can
from tracker.extensions import db
from tracker.grants.figures import BudgetActual, Figures, Row
from tracker.grants.models import (
    Expenditure,
    ExpenditureStatus,
    Grant,
    GrantLine,
    ReportingPeriod,
)
from tracker.money.value import Money

EXPENDITURES_PER_PAGE = 50


@dataclass(frozen=True)
class Visibility:
    """Whose spending of a grant a user sees: everyone's, one organisation's, or none."""

    everything: bool
    org_id: int | None = None  # when not everything: the one organisation; None → nothing

    @property
    def nothing(self) -> bool:
        return not self.everything and self.org_id is None

    @property
    def only_org_id(self) -> int | None:
        """The restriction to pass to the queries (None: unrestricted)."""
        return None if self.everything else self.org_id


def spending_visibility(user: Subject, grant: Grant, action: Action = Action.SEE_SPENDING
                        ) -> Visibility | None:
    """Whose spending of the grant the user may see (or record); None when nobody's at all.

    Hub staff and viewers see every partner's. A partner's lead sees its own
    organisation's, if that organisation holds the grant or is a sub-grantee; a lead of
    another organisation (or of none) sees nothing, but may still open the page.
    """
    if can(user, action):
        return Visibility(everything=True)
    if user.role is not None and PERMISSIONS[action].get(user.role) is Scope.OWN_ORGANISATION:
        org_id = user.organization_id
        if org_id is not None and org_id in grant.organisation_ids and can(
                user, action, organization=org_id):
            return Visibility(everything=False, org_id=org_id)
        return Visibility(everything=False)
    return None


@dataclass(frozen=True)
class SpendingFilter:
    """What the list of expenditures is narrowed to (None: any)."""

    status: ExpenditureStatus | None = None
    partner_org_id: int | None = None
    period: ReportingPeriod | None = None


@dataclass(frozen=True)
class ExpenditureList:
    """One page of the filtered expenditures, and the total of every filtered one."""

    page: Pagination
    count: int
    total: Money


def _filtered(grant: Grant, filters: SpendingFilter, only_org_id: int | None) -> Select:
    query = select(Expenditure).where(Expenditure.grant_id == grant.id)
    if only_org_id is not None:
        query = query.where(Expenditure.partner_org_id == only_org_id)
    if filters.status is not None:
        query = query.where(Expenditure.status == filters.status)
    if filters.partner_org_id is not None:
        query = query.where(Expenditure.partner_org_id == filters.partner_org_id)
    if filters.period is not None:
        query = query.where(Expenditure.spent_on >= filters.period.starts_on,
                            Expenditure.spent_on <= filters.period.ends_on)
    return query


def list_expenditures(grant: Grant, filters: SpendingFilter = SpendingFilter(), *,
                      only_org_id: int | None = None, page: int = 1,
                      per_page: int | None = None) -> ExpenditureList:
    """The grant's expenditures (one organisation's when `only_org_id`), newest first, paged,
    with the count and the sum in the grant's currency of all that match."""
    per_page = per_page or EXPENDITURES_PER_PAGE
    query = _filtered(grant, filters, only_org_id)
    subquery = query.with_only_columns(Expenditure.grant_amount_minor).subquery()
    count, total = db.session.execute(select(
        func.count(), func.coalesce(func.sum(subquery.c.grant_amount_minor), 0))).one()
    pages = max(1, -(-int(count) // per_page))
    pagination = db.paginate(
        # The page shows each row's line code and partner: load them with the page.
        query.options(selectinload(Expenditure.line), selectinload(Expenditure.partner))
        .order_by(Expenditure.spent_on.desc(), Expenditure.id.desc()),
        page=min(max(1, page), pages), per_page=per_page, error_out=False, count=False)
    pagination.total = int(count)
    return ExpenditureList(page=pagination, count=int(count),
                           total=Money.stored(int(total), grant.currency))


def spending_lines(grant: Grant, only_org_id: int | None = None) -> list[GrantLine]:
    """The grant's lines one may spend against (one organisation's when `only_org_id`)."""
    query = select(GrantLine).where(GrantLine.grant_id == grant.id)
    if only_org_id is not None:
        query = query.where(GrantLine.partner_org_id == only_org_id)
    return list(db.session.scalars(query.order_by(GrantLine.position, GrantLine.id)))


def spending_partners(grant: Grant, only_org_id: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the organisations whose spending the list can be filtered by."""
    names = {line.partner_org_id: line.partner.name for line in spending_lines(grant, only_org_id)}
    return sorted(names.items(), key=lambda item: (item[0] != grant.holder_org_id, item[1]))


def _sum(currency: str, rows: Iterable[Row]) -> Figures:
    rows = list(rows)
    return Figures(currency, sum(r.figures.approved_minor for r in rows),
                   sum(r.figures.spent_in_period_minor for r in rows),
                   sum(r.figures.spent_to_date_minor for r in rows))


def own_share(actual: BudgetActual, org_id: int) -> BudgetActual:
    """The budget against actual as one partner sees it: its own lines, and totals by
    category, country and overall computed from those lines alone."""
    lines = [row for row in actual.lines if row.partner_org_id == org_id]
    currency = actual.grant.currency
    flexibility = actual.grant.flexibility_percent
    categories = []
    for row in actual.categories:
        mine = [line for line in lines if line.category == row.key]
        if mine:
            figures = _sum(currency, mine)
            categories.append(replace(row, figures=figures,
                                      beyond_flexibility=figures.beyond(flexibility)))
    countries = []
    for row in actual.countries:
        mine = [line for line in lines if line.country == row.key]
        if mine:
            countries.append(replace(row, figures=_sum(currency, mine)))
    partners = [row for row in actual.partners if row.partner_org_id == org_id]
    return replace(actual, lines=lines, categories=categories, partners=partners,
                   countries=countries, total=_sum(currency, lines))
