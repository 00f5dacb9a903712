"""Build the world for tests through the services, as a user would, then commit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy import func, select

from tracker.campaigns.models import Campaign, PartnerRole, Theme
from tracker.campaigns.services import CampaignInput, PartnerInput, create_campaign
from tracker.extensions import db
from tracker.orgs.models import Organization, OrgKind
from tracker.orgs.services import OrganizationInput, create_organization
from tracker.targets.models import BudgetCategory, BudgetLine, FundingTarget
from tracker.targets.services import BudgetLineInput, TargetInput, add_line, create_target

_sequence = count(1)


def count_rows(model: type) -> int:
    """How many rows a table holds, read fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def make_org(**overrides: Any) -> Organization:
    """An organisation; `city` is its English city (give `city_ru` for the Russian one)."""
    n = next(_sequence)
    values: dict[str, Any] = {
        "slug": f"org-{n}", "name_en": f"Organisation {n}", "name_ru": f"Организация {n}",
        "country": "KZ", "kind": OrgKind.NGO, "city_en": "Almaty",
    }
    if "city" in overrides:
        overrides["city_en"] = overrides.pop("city")
    values.update(overrides)
    org = create_organization(OrganizationInput(**values))
    db.session.commit()
    return org


def make_campaign(lead: Organization | None = None,
                  partners: list[tuple[Organization, PartnerRole]] = (), **overrides: Any
                  ) -> Campaign:
    n = next(_sequence)
    lead = lead or make_org()
    values: dict[str, Any] = {"slug": f"campaign-{n}", "title_en": f"Campaign {n}",
                                  "title_ru": f"Кампания {n}", "theme": Theme.LEAD_PAINT,
                                  "lead_org_id": lead.id, "countries": ("KZ",)}
    values.update(overrides)
    values["partners"] = tuple(PartnerInput(org.id, role) for org, role in partners)
    campaign = create_campaign(CampaignInput(**values))
    db.session.commit()
    return campaign


def make_target(campaign: Campaign, currency: str = "USD", **overrides: Any) -> FundingTarget:
    values: dict[str, Any] = {"starts_on": date(2027, 1, 1), "ends_on": date(2027, 12, 31),
                                  "currency": currency, "title_en": "2027", "title_ru": "2027"}
    values.update(overrides)
    target = create_target(campaign, TargetInput(**values))
    db.session.commit()
    return target


def make_line(target: FundingTarget, quantity: str = "1", unit_cost: str = "100",
              description: str = "Flights", **overrides: Any) -> BudgetLine:
    """A budget line; `description` is its English description (give `description_ru` too,
    or `description=""` with only `description_ru` for a line written in Russian)."""
    values: dict[str, Any] = {"category": BudgetCategory.TRAVEL, "description_en": description,
                              "quantity": Decimal(quantity), "unit_cost": Decimal(unit_cost)}
    values.update(overrides)
    line = add_line(target, BudgetLineInput(**values))
    db.session.commit()
    return line
