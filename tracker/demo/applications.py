"""The demo donors' calls and applications at every stage (applications.toml).

Dates count from the day the demo is loaded, so that the deadlines screen has something
to show. Everything goes through the services and is looked up by its natural key first
(a call by donor and English title, an application by donor and English title), so
loading twice adds nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tracker.applications import services
from tracker.applications.models import (
    Application,
    ApplicationStatus,
    FundingCall,
    ReportDue,
    ReportKind,
)
from tracker.db import utcnow
from tracker.demo.files import campaign, organization, read
from tracker.demo.report import SeedReport
from tracker.extensions import db
from tracker.money.value import Money
from tracker.orgs.models import Organization, OrgKind

Status = ApplicationStatus


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
    # Fixed project dates, for an application whose records must fall on given days.
    starts_on: date | None = None
    ends_on: date | None = None


def _call(item: dict[str, Any]) -> DemoCall:
    return DemoCall(
        item["donor"], item["title_en"], item["title_ru"], item["reference"],
        item.get("opens_in_days"), item["deadline_in_days"], item["currency"],
        item.get("min_amount"), item.get("max_amount"), item.get("max_duration_months"),
        tuple(OrgKind(kind) for kind in item["kinds"]), tuple(item["countries"]),
        item["single_country"], item.get("notes", ""),
    )


def _application(item: dict[str, Any]) -> DemoApplication:
    return DemoApplication(
        item["campaign"], item["donor"], item.get("call"), item["applicant"],
        item["title_en"], item["title_ru"], item["requested"], item["currency"],
        item["probability"], Status(item["status"]), item.get("deadline_in_days"),
        item.get("decision_in_days"), item.get("starts_in_months"),
        item.get("duration_months"), tuple(item["countries"]), item.get("awarded"),
        item.get("notes", ""), item.get("starts_on"), item.get("ends_on"),
    )


_DATA = read("applications")
CALLS: tuple[DemoCall, ...] = tuple(_call(item) for item in _DATA["calls"])
APPLICATIONS: tuple[DemoApplication, ...] = tuple(
    _application(item) for item in _DATA["applications"])
REPORTS: dict[str, dict[str, Any]] = _DATA["reports"]


@dataclass
class ApplicationSeed:
    """What the applications demo added."""

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


def _find_call(donor: Organization, title_en: str) -> FundingCall | None:
    return db.session.scalar(select(FundingCall).where(
        FundingCall.donor_org_id == donor.id, FundingCall.title_en == title_en))


def _load_calls(today: date, seed: ApplicationSeed) -> None:
    for item in CALLS:
        donor = organization(item.donor)
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
        donor = organization(item.donor)
        exists = db.session.scalar(select(Application.id).where(
            Application.donor_org_id == donor.id, Application.title_en == item.title_en))
        if exists is not None:
            continue
        owner = campaign(item.campaign)
        call = _find_call(donor, item.call) if item.call else None
        starts = _months_later(today, item.starts_in_months) \
            if item.starts_in_months is not None else item.starts_on
        deadline = today + timedelta(days=item.deadline_in_days) \
            if item.deadline_in_days is not None else None
        decision = today + timedelta(days=item.decision_in_days) \
            if item.decision_in_days is not None else None
        application = services.create_application(services.ApplicationInput(
            campaign_id=owner.id, donor_org_id=donor.id,
            call_id=call.id if call else None, applicant_org_id=organization(item.applicant).id,
            title_en=item.title_en, title_ru=item.title_ru,
            requested=Decimal(item.requested), currency=item.currency,
            probability=item.probability,
            submission_deadline=deadline, decision_date=decision,
            project_starts_on=starts,
            project_ends_on=_month_end(starts, item.duration_months)
            if starts and item.duration_months else item.ends_on,
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
        Application.donor_org_id == organization(awarded.donor).id,
        Application.title_en == awarded.title_en))
    if application is None:
        return
    kinds = set(db.session.scalars(
        select(ReportDue.kind).where(ReportDue.application_id == application.id)))
    interim, final = REPORTS["interim"], REPORTS["final"]
    dues = {
        ReportKind.INTERIM: (today + timedelta(days=interim["due_in_days"]), interim["note"]),
        ReportKind.FINAL: (application.project_ends_on
                           or today + timedelta(days=final["due_in_days"]), final["note"]),
    }
    for kind, (due_on, note) in dues.items():
        if kind not in kinds:
            services.add_report(application, services.ReportInput(kind, due_on, note))
            seed.reports += 1


def load_application_demo(report: SeedReport | None = None) -> ApplicationSeed:
    """Create whatever part of the calls and applications demo is missing; the caller commits."""
    today = utcnow().date()
    seed = ApplicationSeed()
    _load_calls(today, seed)
    _load_applications(today, seed)
    _load_reports(today, seed)
    if report is not None:
        report.calls += seed.calls
        report.applications += seed.applications
    return seed
