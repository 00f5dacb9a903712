"""Demo donors' calls and applications at every stage, for the campaigns of tracker/demo.py.

UNDP, UNIDO and the UNEP Special Programme are real donors; the calls, amounts and
dates are made up (dates count from the day the demo is loaded, so that the
deadlines screen has something to show). Two member NGOs apply to the same UNDP
call, so that the collision warning shows. Everything goes through the services and
is looked up by its natural key first (a call by donor and English title, an
application by donor and English title), so loading twice adds nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from tracker.applications import services
from tracker.applications.models import (
    Application,
    ApplicationStatus,
    FundingCall,
    ReportDue,
    ReportKind,
)
from tracker.campaigns.services import find_campaign
from tracker.db import utcnow
from tracker.extensions import db
from tracker.money.value import Money
from tracker.orgs.models import Organization, OrgKind
from tracker.orgs.services import find_organization

if TYPE_CHECKING:
    from tracker.demo import SeedReport

Status = ApplicationStatus
EECCA = ("AM", "AZ", "BY", "GE", "KG", "KZ", "MD", "TJ", "UA", "UZ")

# The government agency a Special Programme application needs as its applicant.
@dataclass(frozen=True)
class DemoCall:
    donor: str
    title_en: str
    title_ru: str
    reference: str
    opens_in_days: int | None
    deadline_in_days: int
    currency: str
    min_amount: str | None
    max_amount: str | None
    max_duration_months: int | None
    kinds: tuple[OrgKind, ...]
    countries: tuple[str, ...]
    single_country: bool
    notes: str


UNDP_CALL = "Chemicals and waste: civil society small grants 2027"
SPECIAL_PROGRAMME_CALL = "Special Programme on Chemicals and Waste: round 9"
UNIDO_CALL = "Mercury reduction in industry and health care"

CALLS: tuple[DemoCall, ...] = (
    DemoCall("undp", UNDP_CALL,
             "Химические вещества и отходы: малые гранты гражданскому обществу, 2027",
             "UNDP-CW-2027", -30, 30, "USD", "25000", "150000", 24,
             (OrgKind.NGO, OrgKind.HUB), (*EECCA, "RU"), False,
             "Concept note first; co-financing of at least 10 % expected."),
    DemoCall("unep-special-programme", SPECIAL_PROGRAMME_CALL,
             "Специальная программа по химическим веществам и отходам: 9-й раунд",
             "SP-R9", -60, 45, "USD", None, "200000", 21,
             (OrgKind.GOVERNMENT,), EECCA, True,
             "Government applicants only, one country per application; the NGOs support the "
             "ministry. Needs an endorsement letter and the separate budget form."),
    DemoCall("unido", UNIDO_CALL,
             "Сокращение использования ртути в промышленности и здравоохранении",
             "UNIDO-HG-2027", None, 75, "EUR", "50000", "300000", 36,
             (OrgKind.NGO, OrgKind.GOVERNMENT, OrgKind.HUB), (), False, ""),
)


@dataclass(frozen=True)
class DemoApplication:
    campaign: str
    donor: str
    call: str | None
    applicant: str
    title_en: str
    title_ru: str
    requested: str
    currency: str
    probability: int
    status: ApplicationStatus
    deadline_in_days: int | None
    decision_in_days: int | None
    starts_in_months: int | None
    duration_months: int | None
    countries: tuple[str, ...]
    awarded: str | None = None
    notes: str = ""


APPLICATIONS: tuple[DemoApplication, ...] = (
    # Awarded, with an interim report coming up.
    DemoApplication("mercury-free", "unido", None, "chemical-safety-moldova",
                    "Mercury-free hospitals in Moldova",
                    "Больницы Молдовы без ртути",
                    "36000", "EUR", 100, Status.AWARDED, -150, -30, -1, 24, ("MD",),
                    awarded="28000",
                    notes="Awarded with a smaller budget: the training module was cut."),
    # Under review, decision expected within the deadlines window.
    DemoApplication("hhp-glyphosate", "undp", None, "steppe-ecology-centre",
                    "Obsolete pesticide stockpiles in central Kazakhstan",
                    "Устаревшие запасы пестицидов в Центральном Казахстане",
                    "90000", "USD", 40, Status.UNDER_REVIEW, -40, 20, 3, 12, ("KZ",)),
    # Drafting, for the XRF campaign, to the UNDP call...
    DemoApplication("water-and-air-quality", "undp", UNDP_CALL, "fsci-tajikistan",
                    "XRF testing of products and soil in the Southern Urals and Tajikistan",
                    "РФА-анализ товаров и почвы на Южном Урале и в Таджикистане",
                    "40000", "USD", 50, Status.DRAFTING, 30, 120, 6, 18, ("RU", "TJ")),
    # ...and an idea of another member for the same call: the two collide.
    DemoApplication("safe-waste-management", "undp", UNDP_CALL,
                    "independent-ecological-expertise",
                    "Low-POPs waste management in Kyrgyz municipalities",
                    "Обращение с отходами с низким содержанием СОЗ в муниципалитетах Кыргызстана",
                    "80000", "USD", 20, Status.IDEA, 30, None, 6, 12, ("KG",)),
    # The Special Programme: a government agency applies, the NGOs support it.
    DemoApplication("water-and-air-quality", "unep-special-programme", SPECIAL_PROGRAMME_CALL,
                    "cep-tajikistan",
                    "National capacity to control lead and mercury in products in Tajikistan",
                    "Национальный потенциал контроля свинца и ртути в товарах в Таджикистане",
                    "195000", "USD", 35, Status.DRAFTING, 45, 150, 7, 21, ("TJ",)),
)


@dataclass
class ApplicationSeed:
    """What the applications demo added (its organisation is also counted in SeedReport)."""

    calls: int = 0
    applications: int = 0
    reports: int = 0


def _months_later(start: date, months: int) -> date:
    """The first day of the month `months` after start's month (negative: before)."""
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(start: date, months: int) -> date:
    """The last day of the project that starts on `start` and lasts `months` months."""
    last = _months_later(start, months - 1)
    return last.replace(day=calendar.monthrange(last.year, last.month)[1])


def _org(slug: str) -> Organization:
    org = find_organization(slug)
    if org is None:
        raise LookupError(f"demo organisation {slug!r} is missing")
    return org


def _find_call(donor: Organization, title_en: str) -> FundingCall | None:
    return db.session.scalar(select(FundingCall).where(
        FundingCall.donor_org_id == donor.id, FundingCall.title_en == title_en))


def _load_calls(today: date, seed: ApplicationSeed) -> None:
    for item in CALLS:
        donor = _org(item.donor)
        if _find_call(donor, item.title_en) is not None:
            continue
        services.create_call(donor, services.CallInput(
            title_en=item.title_en, title_ru=item.title_ru, reference=item.reference,
            opens_on=today + timedelta(days=item.opens_in_days)
            if item.opens_in_days is not None else None,
            deadline=today + timedelta(days=item.deadline_in_days), currency=item.currency,
            min_amount=Decimal(item.min_amount) if item.min_amount else None,
            max_amount=Decimal(item.max_amount) if item.max_amount else None,
            max_duration_months=item.max_duration_months,
            eligible_applicant_kinds=item.kinds, countries=item.countries,
            single_country=item.single_country, notes=item.notes,
        ))
        seed.calls += 1


def _path_to(status: ApplicationStatus) -> tuple[ApplicationStatus, ...]:
    path = {
        Status.IDEA: (),
        Status.DRAFTING: (Status.DRAFTING,),
        Status.UNDER_REVIEW: (Status.DRAFTING, Status.SUBMITTED, Status.UNDER_REVIEW),
        Status.AWARDED: (Status.DRAFTING, Status.SUBMITTED, Status.UNDER_REVIEW, Status.AWARDED),
    }
    return path[status]


def _load_applications(today: date, seed: ApplicationSeed) -> None:
    for item in APPLICATIONS:
        donor = _org(item.donor)
        exists = db.session.scalar(select(Application.id).where(
            Application.donor_org_id == donor.id, Application.title_en == item.title_en))
        if exists is not None:
            continue
        campaign = find_campaign(item.campaign)
        if campaign is None:
            raise LookupError(f"demo campaign {item.campaign!r} is missing")
        call = _find_call(donor, item.call) if item.call else None
        starts = _months_later(today, item.starts_in_months) \
            if item.starts_in_months is not None else None
        deadline = today + timedelta(days=item.deadline_in_days) \
            if item.deadline_in_days is not None else None
        decision = today + timedelta(days=item.decision_in_days) \
            if item.decision_in_days is not None else None
        application = services.create_application(services.ApplicationInput(
            campaign_id=campaign.id, donor_org_id=donor.id,
            call_id=call.id if call else None, applicant_org_id=_org(item.applicant).id,
            title_en=item.title_en, title_ru=item.title_ru,
            requested=Decimal(item.requested), currency=item.currency,
            probability=item.probability,
            submission_deadline=deadline, decision_date=decision,
            project_starts_on=starts,
            project_ends_on=_month_end(starts, item.duration_months)
            if starts and item.duration_months else None,
            countries=item.countries, notes=item.notes,
        ))
        for step in _path_to(item.status):
            # Past moves are dated when they would have happened, not on loading day.
            on = today
            if step is Status.SUBMITTED and deadline is not None:
                on = min(today, deadline - timedelta(days=2))
            if step is Status.AWARDED and decision is not None:
                on = min(today, decision)
            awarded = Money(Decimal(item.awarded), item.currency) \
                if step is Status.AWARDED and item.awarded else None
            services.move(application, step, by=None, awarded=awarded, today=on)
        seed.applications += 1


def _load_reports(today: date, seed: ApplicationSeed) -> None:
    """The awarded application's interim report (within 60 days) and its final report."""
    awarded = next(item for item in APPLICATIONS if item.status is Status.AWARDED)
    application = db.session.scalar(select(Application).where(
        Application.donor_org_id == _org(awarded.donor).id,
        Application.title_en == awarded.title_en))
    if application is None:
        return
    kinds = set(db.session.scalars(
        select(ReportDue.kind).where(ReportDue.application_id == application.id)))
    dues = {
        ReportKind.INTERIM: (today + timedelta(days=25),
                             "Six-month narrative and financial report."),
        ReportKind.FINAL: (application.project_ends_on or today + timedelta(days=365),
                           "Final report with the audit."),
    }
    for kind, (due_on, note) in dues.items():
        if kind not in kinds:
            services.add_report(application, services.ReportInput(kind, due_on, note))
            seed.reports += 1


def load_application_demo(report: SeedReport) -> ApplicationSeed:
    """Create whatever part of the calls and applications demo is missing; the caller commits."""
    today = utcnow().date()
    seed = ApplicationSeed()
    _load_calls(today, seed)
    _load_applications(today, seed)
    _load_reports(today, seed)
    return seed
