"""A small coalition with donors, a call and applications, built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tests.factories import make_campaign, make_org
from tracker.applications import services
from tracker.applications.models import Application, ApplicationStatus, FundingCall
from tracker.auth.models import User
from tracker.campaigns.models import Campaign, PartnerRole
from tracker.extensions import db
from tracker.money.value import Money
from tracker.orgs.models import Organization, OrgKind

Status = ApplicationStatus
# How an application reaches each status from an idea (awarding needs an amount).
PATH_TO: dict[ApplicationStatus, tuple[ApplicationStatus, ...]] = {
    Status.IDEA: (),
    Status.DRAFTING: (Status.DRAFTING,),
    Status.SUBMITTED: (Status.DRAFTING, Status.SUBMITTED),
    Status.UNDER_REVIEW: (Status.DRAFTING, Status.SUBMITTED, Status.UNDER_REVIEW),
    Status.AWARDED: (Status.DRAFTING, Status.SUBMITTED, Status.UNDER_REVIEW, Status.AWARDED),
    Status.REJECTED: (Status.DRAFTING, Status.SUBMITTED, Status.REJECTED),
    Status.WITHDRAWN: (Status.WITHDRAWN,),
}


@dataclass
class Coalition:
    hub: Organization
    kazakh: Organization
    tajik: Organization
    ministry: Organization
    undp: Organization
    special_programme: Organization
    campaign: Campaign
    other_campaign: Campaign
    undp_call: FundingCall


def make_coalition() -> Coalition:
    """Two member NGOs, a ministry, UNDP and the Special Programme, two campaigns, one call."""
    hub = make_org(slug="eco-accord", name_en="Eco-Accord", name_ru="Эко-Согласие",
                   country="RU", kind=OrgKind.HUB)
    kazakh = make_org(slug="greenwomen", name_en="Greenwomen", name_ru="Гринвумен", country="KZ")
    tajik = make_org(slug="little-earth", name_en="Little Earth", name_ru="Маленькая Земля",
                     country="TJ")
    ministry = make_org(slug="cep-tajikistan", name_en="Committee for Environmental Protection",
                        name_ru="Комитет по охране окружающей среды", country="TJ",
                        kind=OrgKind.GOVERNMENT)
    undp = make_org(slug="undp", name_en="UNDP", name_ru="ПРООН", country="US",
                    kind=OrgKind.INTERGOVERNMENTAL)
    special = make_org(slug="unep-sp", name_en="UNEP Special Programme",
                       name_ru="Специальная программа ЮНЕП", country="CH", kind=OrgKind.DONOR)
    campaign = make_campaign(lead=hub, slug="lead-in-paint", title_en="Lead in paint",
                             title_ru="Свинец в красках",
                             partners=[(kazakh, PartnerRole.PARTNER), (tajik, PartnerRole.PARTNER)],
                             countries=("KZ", "TJ"))
    other = make_campaign(lead=kazakh, slug="mercury-free", title_en="Mercury-free",
                          title_ru="Без ртути", countries=("KZ",))
    call = make_call(undp, title_en="Small grants 2027", title_ru="Малые гранты 2027")
    return Coalition(hub, kazakh, tajik, ministry, undp, special, campaign, other, call)


def make_call(donor: Organization, **overrides: Any) -> FundingCall:
    values: dict[str, Any] = {"title_en": "Call", "title_ru": "Конкурс",
                              "deadline": date(2027, 3, 1), "currency": "USD",
                              "max_amount": Decimal("150000")}
    values.update(overrides)
    call = services.create_call(donor, services.CallInput(**values))
    db.session.commit()
    return call


def make_application(campaign: Campaign, donor: Organization, applicant: Organization,
                     status: ApplicationStatus = Status.IDEA, by: User | None = None,
                     **overrides: Any) -> Application:
    """An application created as an idea and moved to `status` through the status machine."""
    values: dict[str, Any] = {
        "campaign_id": campaign.id, "donor_org_id": donor.id, "applicant_org_id": applicant.id,
        "title_en": "XRF testing of paint", "title_ru": "Испытания красок на РФА",
        "requested": Decimal("50000"), "currency": "USD",
    }
    values.update(overrides)
    application = services.create_application(services.ApplicationInput(**values))
    for step in PATH_TO[status]:
        awarded = Money(Decimal("40000"), application.currency) \
            if step is Status.AWARDED else None
        services.move(application, step, by=by, awarded=awarded)
    db.session.commit()
    return application
