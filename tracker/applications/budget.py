"""An application's own budget: its lines, their split, and the totals that must add up.

The rules, each in one place here:
- a line's cost is quantity × unit cost in the currency it was costed in, rounded by the
  money rule; a line in another currency than the application's is converted by the one
  conversion rule (tracker.money.conversion) at the rate of a stated date, and the rate,
  its date and its source are kept with the line;
- total cost = requested + co-financing, exactly, in the application's currency: a line
  whose parts do not add up is refused (and the database refuses it too);
- once the application has budget lines, its requested amount IS the sum of their
  requested column: every change of a line sets it, and the application form no
  longer takes it;
- lines are planned by project year (year 1 = the first twelve months from the start).
Totals are added up by the database, in minor units of one currency, so they are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.applications.budget_categories import DonorScheme, scheme_for
from tracker.applications.budget_models import (
    ApplicationBudgetLine,
    CofinancingShare,
    CofinancingSource,
)
from tracker.applications.checks import check_length
from tracker.applications.models import Application
from tracker.applications.records import has_budget as has_budget
from tracker.applications.years import project_years, year_of
from tracker.applications.years import year_period as year_period
from tracker.db import utcnow
from tracker.drives.models import Drive
from tracker.errors import DomainError, found
from tracker.extensions import db
from tracker.i18n import format_money
from tracker.money.amounts import checked_money
from tracker.money.conversion import convert, storable_rate
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.targets.models import BudgetLine, BudgetUnit, FundingTarget
from tracker.targets.services import line_total

MAX_DESCRIPTION_LENGTH = 300
MAX_JUSTIFICATION_LENGTH = 5_000
MAX_SHARE_NOTE_LENGTH = 200
MAX_SHARES = 10


@dataclass(frozen=True)
class ShareInput:
    """One source's part of a line's co-financing, in the application's currency."""

    source: CofinancingSource
    amount: Decimal
    drive_id: int | None = None
    grant_id: int | None = None
    partner_org_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class BudgetLineInput:
    """A line as typed. `requested` None: the donor is asked for what co-financing leaves."""

    year: int
    donor_category: str
    quantity: Decimal
    unit_cost: Decimal
    currency: str
    description_en: str = ""
    description_ru: str = ""
    unit: BudgetUnit = BudgetUnit.LUMP_SUM
    partner_org_id: int | None = None
    justification_en: str = ""
    justification_ru: str = ""
    requested: Decimal | None = None
    shares: Sequence[ShareInput] = field(default_factory=tuple)
    rate_date: date | None = None  # convert at the rate of this day (default: today)


# Lines ---------------------------------------------------------------------------------


def _money(value: Money) -> str:
    return format_money(value)


def _cost(data: BudgetLineInput) -> tuple[Money, Money]:
    """The line's unit cost and cost, by the campaign budget's own rule."""
    return line_total(data.quantity, data.unit_cost, data.currency)


def _check_share(application: Application, share: ShareInput, currency: str) -> Money:
    try:
        source = CofinancingSource(share.source)
    except ValueError:
        raise DomainError(_("Choose a source of co-financing from the list."),
                          field="shares") from None
    amount = checked_money(share.amount, currency, field="shares")
    if share.drive_id is not None:
        drive = db.session.get(Drive, share.drive_id)
        if drive is None or drive.campaign_id != application.campaign_id:
            raise DomainError(_("Choose one of the campaign's crowdfunding drives."),
                              field="shares")
    if share.grant_id is not None and (share.grant_id == application.id or
                                       db.session.get(Application, share.grant_id) is None):
        raise DomainError(_("Choose another application as the grant."), field="shares")
    if share.partner_org_id is not None and \
            db.session.get(Organization, share.partner_org_id) is None:
        raise DomainError(_("Choose a partner organisation."), field="shares")
    if source is CofinancingSource.CROWDFUNDING and share.drive_id is None:
        raise DomainError(_("Name the crowdfunding drive the money comes from."),
                          field="shares")
    check_length(share.note, MAX_SHARE_NOTE_LENGTH, "shares")
    return amount


def _requested_elsewhere(application: Application, line: ApplicationBudgetLine | None) -> int:
    query = select(func.coalesce(func.sum(ApplicationBudgetLine.requested_minor), 0)).where(
        ApplicationBudgetLine.application_id == application.id)
    if line is not None and line.id is not None:
        query = query.where(ApplicationBudgetLine.id != line.id)
    return int(db.session.scalar(query) or 0)


def _apply_line(line: ApplicationBudgetLine, application: Application,
                data: BudgetLineInput, today: date) -> None:
    years = project_years(application)
    if not years:
        raise DomainError(_("Give the project's start and end dates first: the budget is "
                            "planned by project year."), field="year")
    if not 1 <= data.year <= years:
        raise DomainError(_("Choose a project year from 1 to %(years)s.", years=years),
                          field="year")
    scheme = scheme_for(application)
    if data.donor_category not in scheme.categories:
        raise DomainError(_("Choose one of the donor's budget categories."),
                          field="donor_category")
    description_en = check_length(data.description_en, MAX_DESCRIPTION_LENGTH, "description_en")
    description_ru = check_length(data.description_ru, MAX_DESCRIPTION_LENGTH, "description_ru")
    if not (description_en or description_ru):
        raise DomainError(_("Describe what the line pays for, in English or Russian."),
                          field="description_en")
    justification_en = check_length(data.justification_en, MAX_JUSTIFICATION_LENGTH,
                                    "justification_en")
    justification_ru = check_length(data.justification_ru, MAX_JUSTIFICATION_LENGTH,
                                    "justification_ru")
    try:
        unit = BudgetUnit(data.unit)
    except ValueError:
        raise DomainError(_("Choose a unit from the list."), field="unit") from None
    if data.partner_org_id is not None and \
            db.session.get(Organization, data.partner_org_id) is None:
        raise DomainError(_("Choose a partner organisation."), field="partner_org_id")
    unit_cost, cost = _cost(data)

    currency = application.currency
    rate = rate_on = None
    source = ""
    if cost.currency == currency:
        total = cost
    else:
        # RateMissing is a DomainError: the line is refused with the pair and the date.
        conversion = convert(cost, currency, data.rate_date or today)
        total, rate = conversion.converted, storable_rate(conversion.rate)
        rate_on, source = conversion.rate_date, conversion.source

    if len(data.shares) > MAX_SHARES:
        raise DomainError(_("Give at most %(count)s sources of co-financing for a line.",
                            count=MAX_SHARES), field="shares")
    shares = [(_check_share(application, share, currency), share) for share in data.shares]
    cofinancing = Money.zero(currency)
    for amount, _share in shares:
        cofinancing = cofinancing + amount
    if data.requested is None:
        requested = total - cofinancing
        if requested.amount < 0:
            raise DomainError(_("The co-financing (%(cofinancing)s) is more than the line's "
                                "total cost (%(total)s).", cofinancing=_money(cofinancing),
                                total=_money(total)), field="shares")
    else:
        requested = checked_money(data.requested, currency, field="requested",
                                  allow_zero=True)
    if requested + cofinancing != total:
        raise DomainError(_("The amount requested (%(requested)s) and the co-financing "
                            "(%(cofinancing)s) add up to %(sum)s, not to the line's total "
                            "cost of %(total)s.", requested=_money(requested),
                            cofinancing=_money(cofinancing),
                            sum=_money(requested + cofinancing), total=_money(total)),
                          field="requested")
    if _requested_elsewhere(application, line) + requested.minor <= 0:
        raise DomainError(_("The budget asks the donor for nothing: request at least part "
                            "of a line."), field="requested")

    line.application_id = application.id
    line.year = data.year
    line.donor_category = data.donor_category
    line.description_en, line.description_ru = description_en, description_ru
    line.justification_en, line.justification_ru = justification_en, justification_ru
    line.partner_org_id = data.partner_org_id
    line.quantity = data.quantity
    line.unit = unit
    line.unit_cost = unit_cost
    line.cost = cost
    line.rate, line.rate_on, line.rate_source = rate, rate_on, source
    line.budget_currency = currency
    line.total_minor = total.minor
    line.requested_minor = requested.minor
    line.cofinancing_minor = cofinancing.minor
    line.shares = [CofinancingShare(
        source=CofinancingSource(share.source), drive_id=share.drive_id,
        grant_id=share.grant_id, partner_org_id=share.partner_org_id,
        note=share.note.strip(), amount_minor=amount.minor, currency=currency)
        for amount, share in shares]


def _sync_requested(application: Application) -> None:
    """The application's requested amount becomes the sum of its budget's requested column."""
    total = db.session.scalar(
        select(func.sum(ApplicationBudgetLine.requested_minor))
        .where(ApplicationBudgetLine.application_id == application.id))
    if total:  # without lines the typed amount stands
        application.requested_minor = int(total)
    db.session.flush()


def add_budget_line(application: Application, data: BudgetLineInput,
                    today: date | None = None) -> ApplicationBudgetLine:
    """Add a line to the application's budget; the requested amount follows."""
    line = ApplicationBudgetLine()
    _apply_line(line, application, data, today or utcnow().date())
    db.session.add(line)
    db.session.flush()
    _sync_requested(application)
    return line


def update_budget_line(line: ApplicationBudgetLine, data: BudgetLineInput,
                       today: date | None = None) -> ApplicationBudgetLine:
    """Change a line (its costing, year, category or split); the requested amount follows."""
    _apply_line(line, line.application, data, today or utcnow().date())
    db.session.flush()
    _sync_requested(line.application)
    return line


def remove_budget_line(line: ApplicationBudgetLine) -> None:
    """Delete a line; refused when the lines left would ask the donor for nothing."""
    application = line.application
    others = db.session.scalar(select(func.count()).select_from(ApplicationBudgetLine).where(
        ApplicationBudgetLine.application_id == application.id,
        ApplicationBudgetLine.id != line.id))
    if others and _requested_elsewhere(application, line) <= 0:
        raise DomainError(_("The budget asks the donor for nothing: request at least part "
                            "of a line."), field="requested")
    db.session.delete(line)
    db.session.flush()
    _sync_requested(application)


def get_budget_line(application: Application, line_id: int) -> ApplicationBudgetLine:
    """The application's budget line with this id, or NotFound (also for another's)."""
    return found(db.session.scalar(
        select(ApplicationBudgetLine).options(selectinload(ApplicationBudgetLine.shares))
        .where(ApplicationBudgetLine.id == line_id,
               ApplicationBudgetLine.application_id == application.id)), "budget line")


def budget_lines(application: Application) -> list[ApplicationBudgetLine]:
    """The application's lines by year, then in the donor's category order, then as added."""
    scheme = scheme_for(application)
    lines = list(db.session.scalars(
        select(ApplicationBudgetLine)
        .options(joinedload(ApplicationBudgetLine.partner),
                 selectinload(ApplicationBudgetLine.shares))
        .where(ApplicationBudgetLine.application_id == application.id)
        .order_by(ApplicationBudgetLine.year, ApplicationBudgetLine.id)))
    return sorted(lines, key=lambda line: (line.year, scheme.order(line.donor_category)))


# Taking lines from the campaign's funding targets -------------------------------------------


@dataclass(frozen=True)
class CampaignLine:
    """A campaign's budget line whose target overlaps the project, and the year it falls in."""

    line: BudgetLine
    target: FundingTarget
    year: int
    taken: bool


def campaign_lines(application: Application) -> list[CampaignLine]:
    """The campaign's lines of the targets that overlap the project period."""
    starts, ends = application.project_starts_on, application.project_ends_on
    if starts is None or ends is None:
        return []
    taken = set(db.session.scalars(select(ApplicationBudgetLine.source_line_id).where(
        ApplicationBudgetLine.application_id == application.id,
        ApplicationBudgetLine.source_line_id.is_not(None))))
    rows = db.session.execute(
        select(BudgetLine, FundingTarget).join(FundingTarget)
        .options(joinedload(BudgetLine.partner))
        .where(FundingTarget.campaign_id == application.campaign_id,
               FundingTarget.starts_on <= ends, FundingTarget.ends_on >= starts)
        .order_by(FundingTarget.starts_on, FundingTarget.id, BudgetLine.id)).all()
    result = []
    for line, target in rows:
        # The year of the middle of the overlap: a target mostly in year 2 goes to year 2.
        first, last = max(target.starts_on, starts), min(target.ends_on, ends)
        middle = date.fromordinal((first.toordinal() + last.toordinal()) // 2)
        result.append(CampaignLine(line, target, year_of(application, middle),
                                   line.id in taken))
    return result


def take_campaign_lines(application: Application, line_ids: Sequence[int],
                        today: date | None = None) -> list[ApplicationBudgetLine]:
    """Copy chosen campaign lines into the budget: category mapped, partner kept, the year
    from the dates, fully requested (the user then splits them)."""
    if not line_ids:
        raise DomainError(_("Choose at least one line."), field="lines")
    offered = {item.line.id: item for item in campaign_lines(application)}
    scheme: DonorScheme = scheme_for(application)
    added = []
    for line_id in dict.fromkeys(line_ids):
        item = offered.get(line_id)
        if item is None:
            raise DomainError(_("Choose lines of the campaign's targets that overlap the "
                              "project period."), field="lines")
        if item.taken:
            continue
        source = item.line
        added.append(add_budget_line(application, BudgetLineInput(
            year=item.year, donor_category=scheme.mapping[source.category],
            quantity=source.quantity, unit_cost=source.unit_cost.amount,
            currency=source.currency, description_en=source.description_en,
            description_ru=source.description_ru, unit=source.unit,
            partner_org_id=source.partner_org_id, justification_en=source.justification_en,
            justification_ru=source.justification_ru), today=today))
        added[-1].source_line_id = source.id
    db.session.flush()
    return added


def campaign_drives(application: Application) -> list[Drive]:
    """The campaign's crowdfunding drives, which a line's co-financing may name."""
    return list(db.session.scalars(select(Drive).where(
        Drive.campaign_id == application.campaign_id).order_by(Drive.starts_on, Drive.id)))


def other_applications(application: Application) -> list[Application]:
    """The campaign's other applications, which a line's co-financing may name as grants."""
    return list(db.session.scalars(select(Application).where(
        Application.campaign_id == application.campaign_id,
        Application.id != application.id).order_by(Application.id)))
