"""The demo coalition's organisations, campaigns and budgets (organizations.toml,
campaigns.toml, targets.toml), created through the services and looked up by their
natural key first (an organisation or a campaign by slug, a target by campaign and
English title, a budget line by its target and English description).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from tracker.campaigns.models import Campaign, CampaignStatus, PartnerRole, Theme
from tracker.campaigns.services import CampaignInput, PartnerInput, create_campaign, find_campaign
from tracker.demo.files import campaign, organization, read
from tracker.demo.report import SeedReport
from tracker.extensions import db
from tracker.orgs.models import Organization, OrgKind
from tracker.orgs.services import OrganizationInput, create_organization, find_organization
from tracker.targets.models import BudgetCategory, BudgetLine, BudgetUnit, FundingTarget
from tracker.targets.services import BudgetLineInput, TargetInput, add_line, create_target


@dataclass(frozen=True)
class DemoCampaign:
    """A campaign with its participants named by organisation slug."""

    slug: str
    title_en: str
    title_ru: str
    summary_en: str
    summary_ru: str
    theme: Theme
    status: CampaignStatus
    starts_on: date
    ends_on: date
    lead: str
    partners: tuple[tuple[str, PartnerRole], ...]
    countries: tuple[str, ...]


@dataclass(frozen=True)
class DemoLine:
    """A budget line: quantity × unit cost, spent by the partner with this slug.

    What it pays for and why are given in English and in Russian; the English
    description is the line's natural key when the seed runs again.
    """

    category: BudgetCategory
    description_en: str
    description_ru: str
    partner: str
    quantity: str
    unit: BudgetUnit
    unit_cost: str
    justification_en: str
    justification_ru: str


@dataclass(frozen=True)
class DemoTarget:
    """A funding target of a campaign; `overhead` names who receives the overhead line."""

    campaign: str
    title_en: str
    title_ru: str
    starts_on: date
    ends_on: date
    currency: str
    lines: tuple[DemoLine, ...]
    overhead: str


def _organization(item: dict[str, Any]) -> OrganizationInput:
    return OrganizationInput(
        item["slug"], item["name_en"], item["name_ru"], item["country"], OrgKind(item["kind"]),
        city_en=item["city_en"], city_ru=item["city_ru"], website=item.get("website", ""),
    )


def _campaign(item: dict[str, Any]) -> DemoCampaign:
    return DemoCampaign(
        slug=item["slug"], title_en=item["title_en"], title_ru=item["title_ru"],
        summary_en=item["summary_en"], summary_ru=item["summary_ru"],
        theme=Theme(item["theme"]), status=CampaignStatus(item["status"]),
        starts_on=item["starts_on"], ends_on=item["ends_on"], lead=item["lead"],
        partners=tuple((p["org"], PartnerRole(p["role"])) for p in item["partners"]),
        countries=tuple(item["countries"]),
    )


def _line(item: dict[str, Any]) -> DemoLine:
    return DemoLine(
        BudgetCategory(item["category"]), item["description_en"], item["description_ru"],
        item["partner"], item["quantity"], BudgetUnit(item["unit"]), item["unit_cost"],
        item["justification_en"], item["justification_ru"],
    )


def _target(item: dict[str, Any]) -> DemoTarget:
    return DemoTarget(
        item["campaign"], item["title_en"], item["title_ru"], item["starts_on"],
        item["ends_on"], item["currency"], tuple(_line(line) for line in item["lines"]),
        item["overhead"],
    )


ORGANIZATIONS: tuple[OrganizationInput, ...] = tuple(
    _organization(item) for item in read("organizations")["organizations"])
CAMPAIGNS: tuple[DemoCampaign, ...] = tuple(
    _campaign(item) for item in read("campaigns")["campaigns"])
_BUDGETS = read("targets")
TARGETS: tuple[DemoTarget, ...] = tuple(_target(item) for item in _BUDGETS["targets"])
OVERHEAD: dict[str, str] = _BUDGETS["overhead"]
OVERHEAD_PERCENT = Decimal(OVERHEAD["percent"])


def overhead_line(target: DemoTarget) -> DemoLine:
    """The target's overhead line: OVERHEAD_PERCENT of its direct costs, rounded to cents."""
    direct = sum(Decimal(line.quantity) * Decimal(line.unit_cost) for line in target.lines)
    amount = (direct * OVERHEAD_PERCENT / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return DemoLine(
        BudgetCategory.OVERHEAD,
        OVERHEAD["description_en"].format(percent=OVERHEAD_PERCENT),
        OVERHEAD["description_ru"].format(percent=OVERHEAD_PERCENT),
        target.overhead, "1", BudgetUnit.LUMP_SUM, str(amount),
        OVERHEAD["justification_en"], OVERHEAD["justification_ru"],
    )


def all_lines(target: DemoTarget) -> tuple[DemoLine, ...]:
    """The target's lines with its overhead line last."""
    return (*target.lines, overhead_line(target))


def database_is_empty() -> bool:
    """True while no organisation or campaign has been recorded."""
    return (db.session.scalar(select(Organization.id).limit(1)) is None
            and db.session.scalar(select(Campaign.id).limit(1)) is None)


def load_organizations(report: SeedReport) -> None:
    """Create the demo organisations that are missing."""
    for data in ORGANIZATIONS:
        if find_organization(data.slug) is None:
            create_organization(data)
            report.organisations += 1


def load_campaigns(report: SeedReport) -> None:
    """Create the demo campaigns that are missing, with their partners and countries."""
    for item in CAMPAIGNS:
        if find_campaign(item.slug) is not None:
            continue
        create_campaign(CampaignInput(
            slug=item.slug, title_en=item.title_en, title_ru=item.title_ru,
            summary_en=item.summary_en, summary_ru=item.summary_ru, theme=item.theme,
            status=item.status, starts_on=item.starts_on, ends_on=item.ends_on,
            lead_org_id=organization(item.lead).id,
            partners=tuple(PartnerInput(organization(slug).id, role)
                           for slug, role in item.partners),
            countries=item.countries,
        ))
        report.campaigns += 1


def load_targets(report: SeedReport) -> None:
    """Create the demo funding targets and budget lines that are missing."""
    for item in TARGETS:
        owner = campaign(item.campaign)
        target = db.session.scalar(select(FundingTarget).where(
            FundingTarget.campaign_id == owner.id, FundingTarget.title_en == item.title_en
        ))
        if target is None:
            target = create_target(owner, TargetInput(
                starts_on=item.starts_on, ends_on=item.ends_on, currency=item.currency,
                title_en=item.title_en, title_ru=item.title_ru,
            ))
            report.targets += 1
        existing = set(db.session.scalars(
            select(BudgetLine.description_en).where(BudgetLine.target_id == target.id)
        ))
        for line in all_lines(item):
            if line.description_en in existing:
                continue
            add_line(target, BudgetLineInput(
                category=line.category,
                description_en=line.description_en, description_ru=line.description_ru,
                quantity=Decimal(line.quantity), unit_cost=Decimal(line.unit_cost),
                unit=line.unit, partner_org_id=organization(line.partner).id,
                justification_en=line.justification_en, justification_ru=line.justification_ru,
            ))
            report.lines += 1
