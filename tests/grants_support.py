"""A regional grant built through the services: a hub, two sub-grantees, a coded budget.

UNIDO awards USD 60,000 (of 66,000 requested) for the mercury-free campaign, held by the
hub in Russia, with partners in Moldova and Kazakhstan; two reporting periods of a year.
Rates: MDL, KZT, RUB and EUR against USD on 2027-01-01 (and MDL again on 2027-07-01).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tests.applications_support import make_application
from tests.factories import make_campaign, make_org
from tracker.applications import services as applications
from tracker.applications.models import Application, ApplicationStatus
from tracker.auth.models import User
from tracker.campaigns.models import Campaign, PartnerRole
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.grants.models import Grant
from tracker.money.rates import add_rate
from tracker.money.value import Money
from tracker.orgs.models import Organization, OrgKind

RATES = (
    (date(2027, 1, 1), "USD", "MDL", Decimal("17.85")),
    (date(2027, 7, 1), "USD", "MDL", Decimal("18.10")),
    (date(2027, 1, 1), "USD", "KZT", Decimal("505.20")),
    (date(2027, 1, 1), "USD", "RUB", Decimal("92.40")),
    (date(2027, 1, 1), "EUR", "USD", Decimal("1.0850")),
)

# (UNIDO category, partner key, year, unit cost in USD, description)
LINES = (
    ("17-00", "hub", 1, "12000", "Regional coordinator"),
    ("17-00", "moldova", 1, "9000", "Campaign officer, Moldova"),
    ("15-00", "kazakh", 1, "6000", "Travel to pilot sites"),
    ("45-00", "moldova", 2, "15000", "Mercury analyser"),
    ("21-00", "kazakh", 2, "18000", "Laboratory testing"),
    ("51-00", "hub", 2, "6000", "Audit"),
)


@dataclass
class GrantWorld:
    hub: Organization
    moldova: Organization
    kazakh: Organization
    donor: Organization
    campaign: Campaign
    application: Application
    grant: Grant


def add_rates() -> None:
    for on, base, quote, rate in RATES:
        add_rate(on, base, quote, rate, "test rates")


def make_grant_world(by: User | None = None, award: str = "60000", open_it: bool = True,
                     **grant_overrides: Any) -> GrantWorld:
    """The hub, two partners, UNIDO, an awarded application with six lines, and its grant."""
    hub = make_org(slug="hub-eco", name_en="Eco-Accord", name_ru="Эко-Согласие", country="RU",
                   kind=OrgKind.HUB)
    moldova = make_org(slug="eco-moldova", name_en="Eco-Moldova", name_ru="Эко-Молдова",
                       country="MD")
    kazakh = make_org(slug="greenwomen-kz", name_en="Greenwomen", name_ru="Гринвумен",
                      country="KZ")
    donor = make_org(slug="unido", name_en="UNIDO", name_ru="ЮНИДО", country="AT",
                     kind=OrgKind.INTERGOVERNMENTAL)
    campaign = make_campaign(lead=hub, slug="mercury-free-grant", title_en="Mercury-free",
                             title_ru="Без ртути",
                             partners=[(moldova, PartnerRole.PARTNER),
                                       (kazakh, PartnerRole.PARTNER)],
                             countries=("MD", "KZ", "RU"))
    application = make_application(campaign, donor, hub, status=ApplicationStatus.DRAFTING,
                                    requested=Decimal("66000"),
                                    project_starts_on=date(2027, 1, 1),
                                    project_ends_on=date(2028, 12, 31))
    partners = {"hub": hub, "moldova": moldova, "kazakh": kazakh}
    for category, partner, year, cost, description in LINES:
        applications.add_budget_line(application, applications.BudgetLineInput(
            year=year, donor_category=category, quantity=Decimal(1),
            unit_cost=Decimal(cost), currency="USD", description_en=description,
            description_ru=description + " (ru)", partner_org_id=partners[partner].id))
    db.session.commit()
    for step in (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW):
        applications.move(application, step, by=by)
    applications.move(application, ApplicationStatus.AWARDED, by=by,
                      awarded=Money(Decimal(award), "USD"))
    db.session.commit()
    add_rates()
    db.session.commit()
    grant = None
    if open_it:
        grant = grants.open_grant(application, grant_input(hub, moldova, kazakh,
                                                           **grant_overrides), by=by)
        db.session.commit()
    return GrantWorld(hub, moldova, kazakh, donor, campaign, application,
                      grant)  # type: ignore[arg-type]


def grant_input(hub: Organization, *partners: Organization, **overrides: Any
                ) -> grants.GrantInput:
    values: dict[str, Any] = {
        "reference": "UNIDO-2027-014", "holder_org_id": hub.id,
        "partner_org_ids": tuple(partner.id for partner in partners),
        "starts_on": date(2027, 1, 1), "ends_on": date(2028, 12, 31),
        "periods": (grants.PeriodInput(date(2027, 1, 1), date(2027, 12, 31),
                                       date(2028, 1, 31)),
                    grants.PeriodInput(date(2028, 1, 1), date(2028, 12, 31),
                                       date(2029, 2, 28))),
    }
    values.update(overrides)
    return grants.GrantInput(**values)


def spend(grant: Grant, code: str, amount: str, currency: str, on: date,
          document: str = "", approve: bool = True, by: User | None = None,
          bank_rate: Decimal | None = None):  # type: ignore[no-untyped-def]
    """Record (and approve) an expenditure against the line with this code."""
    line = next(line for line in grant.lines if line.code == code)
    expenditure = grants.record_expenditure(grant, grants.ExpenditureInput(
        line_code=code, partner_org_id=line.partner_org_id, spent_on=on,
        amount=Money(Decimal(amount), currency), document_number=document,
        description=f"Spent on {code}", bank_rate=bank_rate), by=by)
    if approve:
        grants.approve_expenditure(expenditure, by=by)
    db.session.commit()
    return expenditure
