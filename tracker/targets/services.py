"""Rules for funding targets and budget lines; totals are summed in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from tracker.campaigns.models import Campaign, CampaignPartner
from tracker.dates import check_date_order, check_dates
from tracker.errors import DomainError, found
from tracker.extensions import db
from tracker.money.amounts import amount_problem, checked_money, currency_problem
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.targets.models import BudgetCategory, BudgetLine, BudgetUnit, FundingTarget

MAX_QUANTITY = Decimal("1000000")
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 300
MAX_JUSTIFICATION_LENGTH = 5_000


@dataclass(frozen=True)
class TargetInput:
    starts_on: date
    ends_on: date
    currency: str
    title_en: str = ""
    title_ru: str = ""


@dataclass(frozen=True)
class BudgetLineInput:
    """A budget line as typed: what it pays for and why, in English and/or Russian."""

    category: BudgetCategory
    quantity: Decimal
    unit_cost: Decimal
    description_en: str = ""
    description_ru: str = ""
    unit: BudgetUnit = BudgetUnit.LUMP_SUM
    partner_org_id: int | None = None
    justification_en: str = ""
    justification_ru: str = ""


def _validate_target(data: TargetInput, current: FundingTarget | None) -> None:
    for name, title in (("title_en", data.title_en), ("title_ru", data.title_ru)):
        if len(title.strip()) > MAX_TITLE_LENGTH:
            raise DomainError(_("Keep the title under %(limit)s characters.",
                                limit=MAX_TITLE_LENGTH), field=name)
    check_dates(starts_on=data.starts_on, ends_on=data.ends_on)
    check_date_order(data.starts_on, data.ends_on)
    problem = currency_problem(data.currency)
    if problem:
        raise DomainError(problem, field="currency")
    if current is not None and current.currency != data.currency and current.lines:
        raise DomainError(
            _("Remove the budget lines before changing the currency: their costs are in %(code)s.",
              code=current.currency),
            field="currency",
        )


def create_target(campaign: Campaign, data: TargetInput) -> FundingTarget:
    """Add a funding target to a campaign."""
    _validate_target(data, None)
    target = FundingTarget(campaign=campaign, starts_on=data.starts_on, ends_on=data.ends_on,
                           currency=data.currency, title_en=data.title_en.strip(),
                           title_ru=data.title_ru.strip())
    db.session.add(target)
    db.session.flush()
    return target


def update_target(target: FundingTarget, data: TargetInput) -> FundingTarget:
    """Change a target's period, title or (while it has no lines) currency."""
    _validate_target(data, target)
    target.starts_on, target.ends_on = data.starts_on, data.ends_on
    target.currency = data.currency
    target.title_en, target.title_ru = data.title_en.strip(), data.title_ru.strip()
    db.session.flush()
    return target


def delete_target(target: FundingTarget) -> None:
    """Remove a target with its budget lines."""
    db.session.delete(target)
    db.session.flush()


def line_total(quantity: Decimal | None, unit_cost_typed: Decimal | None,
               currency: str) -> tuple[Money, Money]:
    """(unit cost, quantity × unit cost) of a budget line, or the DomainError that refuses it.

    The one rule for any budget line: a campaign target's and an application's.
    """
    if quantity is None or not quantity.is_finite() or quantity <= 0:
        raise DomainError(_("The quantity must be greater than zero."), field="quantity")
    if quantity > MAX_QUANTITY:
        raise DomainError(_("This quantity is implausibly large; check the digits."),
                          field="quantity")
    if -int(quantity.as_tuple().exponent) > 3:
        raise DomainError(_("Use at most three decimal places for the quantity."),
                          field="quantity")
    if unit_cost_typed is not None and unit_cost_typed < 0:
        raise DomainError(_("The unit cost cannot be negative."), field="unit_cost")
    unit_cost = checked_money(unit_cost_typed, currency, field="unit_cost", allow_zero=True)
    total = Money.rounded(quantity * unit_cost.amount, currency)
    problem = amount_problem(total.amount, currency, allow_zero=True)
    if problem:
        raise DomainError(problem, field="unit_cost")
    return unit_cost, total


def _apply_line(line: BudgetLine, data: BudgetLineInput, currency: str) -> None:
    description_en, description_ru = data.description_en.strip(), data.description_ru.strip()
    justification_en = data.justification_en.strip()
    justification_ru = data.justification_ru.strip()
    if not (description_en or description_ru):
        raise DomainError(_("Describe what the line pays for, in English or Russian."),
                          field="description_en")
    for name, text in (("description_en", description_en), ("description_ru", description_ru)):
        if len(text) > MAX_DESCRIPTION_LENGTH:
            raise DomainError(_("Keep the description under %(limit)s characters.",
                                limit=MAX_DESCRIPTION_LENGTH), field=name)
    for name, text in (("justification_en", justification_en),
                       ("justification_ru", justification_ru)):
        if len(text) > MAX_JUSTIFICATION_LENGTH:
            raise DomainError(_("Keep the justification under %(limit)s characters.",
                                limit=MAX_JUSTIFICATION_LENGTH), field=name)
    try:
        unit = BudgetUnit(data.unit)
    except ValueError:
        raise DomainError(_("Choose a unit from the list."), field="unit") from None
    partner_id = data.partner_org_id
    if partner_id is not None and db.session.get(Organization, partner_id) is None:
        raise DomainError(_("Choose a partner organisation."), field="partner_org_id")
    unit_cost, total = line_total(data.quantity, data.unit_cost, currency)
    line.category = data.category
    line.description_en, line.description_ru = description_en, description_ru
    line.quantity = data.quantity
    line.unit = unit
    line.unit_cost = unit_cost
    line.total = total
    line.partner_org_id = data.partner_org_id
    line.justification_en, line.justification_ru = justification_en, justification_ru


def add_line(target: FundingTarget, data: BudgetLineInput) -> BudgetLine:
    """Add a budget line; its total is quantity × unit cost, rounded by the money rule."""
    line = BudgetLine()
    _apply_line(line, data, target.currency)
    line.target = target
    db.session.add(line)
    db.session.flush()
    return line


def update_line(line: BudgetLine, data: BudgetLineInput) -> BudgetLine:
    """Change a budget line and recompute its total."""
    _apply_line(line, data, line.target.currency)
    db.session.flush()
    return line


def remove_line(line: BudgetLine) -> None:
    """Delete a budget line."""
    db.session.delete(line)
    db.session.flush()


def target_total(target: FundingTarget) -> Money:
    """The sum of the target's lines, added up by the database."""
    minor = db.session.scalar(
        select(func.coalesce(func.sum(BudgetLine.total_minor), 0)).where(
            BudgetLine.target_id == target.id
        )
    )
    return Money.stored(int(minor or 0), target.currency)


def target_totals(target_ids: list[int]) -> dict[int, int]:
    """Sum of line totals in minor units for each target id, in one query."""
    if not target_ids:
        return {}
    rows = db.session.execute(
        select(BudgetLine.target_id, func.sum(BudgetLine.total_minor))
        .where(BudgetLine.target_id.in_(target_ids))
        .group_by(BudgetLine.target_id)
    )
    totals = dict.fromkeys(target_ids, 0)
    totals.update({target_id: int(total) for target_id, total in rows})
    return totals


def totals_by_category(target: FundingTarget) -> list[tuple[BudgetCategory, Money]]:
    """Each category's sum for a target, largest first."""
    rows = db.session.execute(
        select(BudgetLine.category, func.sum(BudgetLine.total_minor).label("total"))
        .where(BudgetLine.target_id == target.id)
        .group_by(BudgetLine.category)
        .order_by(func.sum(BudgetLine.total_minor).desc())
    )
    return [(category, Money.stored(int(total), target.currency)) for category, total in rows]


def totals_by_partner(target: FundingTarget) -> list[tuple[Organization | None, Money]]:
    """Each spending partner's sum for a target (None: not assigned), largest first."""
    total = func.sum(BudgetLine.total_minor)
    rows = db.session.execute(
        select(Organization, total)
        .select_from(BudgetLine)
        .outerjoin(Organization, Organization.id == BudgetLine.partner_org_id)
        .where(BudgetLine.target_id == target.id)
        .group_by(Organization.id)
        .order_by(total.desc(), Organization.id)
    ).all()
    return [(org, Money.stored(int(minor), target.currency)) for org, minor in rows]


@dataclass(frozen=True)
class PartnerShare:
    """What one partner organisation (None: nobody yet) spends of a target."""

    organization: Organization | None
    total: Money


@dataclass(frozen=True)
class CountryShare:
    """What the partners in one country (None: lines with no partner) spend of a target."""

    country: str | None
    total: Money
    partners: list[PartnerShare]


def totals_by_country_and_partner(target: FundingTarget) -> list[CountryShare]:
    """The target split by country, then by partner within it: the regional picture.

    One query: the database sums each (country, partner) and, through a window over
    the same groups, each country; countries come largest first, unassigned lines last.
    """
    partner_total = func.sum(BudgetLine.total_minor)
    country_total = func.sum(partner_total).over(partition_by=Organization.country)
    unassigned_last = case((Organization.country.is_(None), 1), else_=0)
    rows = db.session.execute(
        select(Organization, partner_total, country_total)
        .select_from(BudgetLine)
        .outerjoin(Organization, Organization.id == BudgetLine.partner_org_id)
        .where(BudgetLine.target_id == target.id)
        .group_by(Organization.id)
        .order_by(unassigned_last, country_total.desc(), Organization.country,
                  partner_total.desc(), Organization.id)
    ).all()
    shares: list[CountryShare] = []
    for org, partner_minor, country_minor in rows:
        country = org.country if org is not None else None
        if not shares or shares[-1].country != country:
            shares.append(CountryShare(
                country, Money.stored(int(country_minor), target.currency), []
            ))
        shares[-1].partners.append(
            PartnerShare(org, Money.stored(int(partner_minor), target.currency))
        )
    return shares


def get_line(target: FundingTarget, line_id: int) -> BudgetLine:
    """The budget line with this id if it belongs to the target, else NotFound."""
    return found(db.session.scalar(
        select(BudgetLine).where(BudgetLine.id == line_id, BudgetLine.target_id == target.id)
    ), "budget line")


def get_target(target_id: int, *, with_lines: bool = False) -> FundingTarget:
    """The funding target with this id, or NotFound; `with_lines` loads its lines' partners."""
    # The editor shows every line with its partner: load them in two queries, not one per line.
    options = [selectinload(FundingTarget.lines).selectinload(BudgetLine.partner)] \
        if with_lines else []
    return found(db.session.get(FundingTarget, target_id, options=options), "funding target")


def partner_candidates(campaign: Campaign) -> tuple[list[Organization], list[Organization]]:
    """Organisations that may spend a line: the campaign's lead and partners, then the others.

    Members come lead first, then partners in the order they joined; the rest by
    country and English name. Lines may name an outside organisation (a laboratory,
    a government agency), so the others stay available.
    """
    member_ids = [campaign.lead_org_id] + [
        partner_id for partner_id in db.session.scalars(
            select(CampaignPartner.organization_id)
            .where(CampaignPartner.campaign_id == campaign.id)
            .order_by(CampaignPartner.id)
        ) if partner_id != campaign.lead_org_id
    ]
    organizations = list(db.session.scalars(
        select(Organization).order_by(Organization.country, Organization.name_en)
    ))
    by_id = {org.id: org for org in organizations}
    members = [by_id[org_id] for org_id in member_ids if org_id in by_id]
    others = [org for org in organizations if org.id not in set(member_ids)]
    return members, others
