"""Applications to donors: adding and changing them, and moving them along the status machine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tracker.applications.budget_models import ApplicationBudgetLine
from tracker.applications.calls import is_donor
from tracker.applications.checks import (
    MAX_NOTE_LENGTH,
    MAX_NOTES_LENGTH,
    check_countries,
    check_length,
    check_titles,
)
from tracker.applications.models import (
    MACHINE,
    Application,
    ApplicationStatus,
    FundingCall,
    StatusChange,
)
from tracker.applications.years import years_between
from tracker.auth.models import User
from tracker.campaigns.models import Campaign
from tracker.dates import check_date_order, check_dates
from tracker.db import utcnow
from tracker.errors import DomainError, found
from tracker.extensions import db
from tracker.money.amounts import checked_money
from tracker.money.value import Money
from tracker.orgs.models import Organization

Status = ApplicationStatus


@dataclass(frozen=True)
class ApplicationInput:
    """An application as typed; the status changes only through `move`."""

    campaign_id: int
    donor_org_id: int
    applicant_org_id: int
    title_en: str
    title_ru: str
    requested: Decimal
    currency: str
    call_id: int | None = None
    probability: int = 50
    submission_deadline: date | None = None
    decision_date: date | None = None
    project_starts_on: date | None = None
    project_ends_on: date | None = None
    countries: Sequence[str] = field(default_factory=tuple)
    notes: str = ""


def _apply_application(application: Application, data: ApplicationInput) -> None:
    if db.session.get(Campaign, data.campaign_id) is None:
        raise DomainError(_("Choose a campaign."), field="campaign_id")
    if not is_donor(db.session.get(Organization, data.donor_org_id)):
        raise DomainError(_("Choose a donor from the list."), field="donor_org_id")
    if data.call_id is not None:
        call = db.session.get(FundingCall, data.call_id)
        if call is None:
            raise DomainError(_("Choose a funding call from the list."), field="call_id")
        if call.donor_org_id != data.donor_org_id:
            raise DomainError(_("The donor of this call is %(donor)s; choose that donor or "
                                "another call.", donor=call.donor.name), field="call_id")
    if db.session.get(Organization, data.applicant_org_id) is None:
        raise DomainError(_("Choose the applicant organisation."), field="applicant_org_id")
    title_en, title_ru = check_titles(data.title_en, data.title_ru)
    if application.id is not None and has_budget(application):
        # With a budget, the request is the sum of its requested column: not typed.
        if data.currency != application.currency:
            raise DomainError(_("The budget is in %(currency)s: the request stays in it.",
                                currency=application.currency), field="currency")
        requested = application.requested
        last_year = db.session.scalar(select(func.max(ApplicationBudgetLine.year)).where(
            ApplicationBudgetLine.application_id == application.id)) or 1
        years = years_between(data.project_starts_on, data.project_ends_on)
        if years < last_year:
            raise DomainError(_("The budget has lines in project year %(year)s: keep the "
                                "project that long, or move those lines first.",
                                year=last_year), field="project_ends_on")
    else:
        requested = checked_money(data.requested, data.currency, field="requested")
    if application.awarded is not None and application.awarded.currency != data.currency:
        raise DomainError(_("The award is recorded in %(currency)s: the request stays in it.",
                            currency=application.awarded.currency), field="currency")
    if not 0 <= data.probability <= 100:
        raise DomainError(_("Give the probability as a whole number from 0 to 100."),
                          field="probability")
    starts, ends = data.project_starts_on, data.project_ends_on
    check_date_order(starts, ends, field="project_ends_on")
    check_dates(submission_deadline=data.submission_deadline, decision_date=data.decision_date,
                project_starts_on=starts, project_ends_on=ends)
    countries = check_countries(data.countries)
    notes = check_length(data.notes, MAX_NOTES_LENGTH, "notes")

    application.campaign_id = data.campaign_id
    application.donor_org_id = data.donor_org_id
    application.call_id = data.call_id
    application.applicant_org_id = data.applicant_org_id
    application.title_en, application.title_ru = title_en, title_ru
    application.requested = requested
    application.probability = data.probability
    application.submission_deadline = data.submission_deadline
    application.decision_date = data.decision_date
    application.project_starts_on, application.project_ends_on = starts, ends
    application.countries = countries
    application.notes = notes


def has_budget(application: Application) -> bool:
    """True when the application has at least one budget line."""
    return (db.session.scalar(select(func.count()).select_from(ApplicationBudgetLine).where(
        ApplicationBudgetLine.application_id == application.id)) or 0) > 0


def create_application(data: ApplicationInput) -> Application:
    """Add an application (as an idea); raise DomainError when a rule fails."""
    application = Application(status=Status.IDEA)
    _apply_application(application, data)
    db.session.add(application)
    db.session.flush()
    return application


def update_application(application: Application, data: ApplicationInput) -> Application:
    """Change an application's details; its status changes only through `move`."""
    _apply_application(application, data)
    db.session.flush()
    return application


def get_application(application_id: int) -> Application:
    """The application with its campaign, donor, call and applicant, or NotFound."""
    return found(db.session.scalar(
        select(Application).where(Application.id == application_id).options(
            joinedload(Application.campaign), joinedload(Application.donor),
            joinedload(Application.call), joinedload(Application.applicant),
        )
    ), "application")


def move(application: Application, to: ApplicationStatus, *, by: User | None,
         note: str = "", awarded: Money | None = None, today: date | None = None
         ) -> StatusChange:
    """Move an application along the status machine and record who, when, from, to and why.

    Awarding needs the awarded amount in the request's currency and sets the decision
    date (so does a rejection); submitting sets the submission date.
    """
    MACHINE.check(application.status, to)
    note = check_length(note, MAX_NOTE_LENGTH, "note")
    today = today or utcnow().date()
    if to is Status.AWARDED:
        if awarded is None:
            raise DomainError(_("Give the awarded amount to mark the application as awarded."),
                              field="awarded_amount")
        if awarded.currency != application.currency:
            raise DomainError(_("Give the award in %(currency)s, the currency of the request.",
                                currency=application.currency), field="awarded_amount")
        application.awarded = checked_money(awarded.amount, awarded.currency,
                                            field="awarded_amount")
    if to in (Status.AWARDED, Status.REJECTED):
        application.decision_date = today
    if to is Status.SUBMITTED:
        application.submitted_on = today
    current = MACHINE.move(application, to)
    change = StatusChange(from_status=current, to_status=to, note=note,
                          changed_by_id=by.id if by is not None else None, changed_at=utcnow())
    application.history.append(change)
    db.session.flush()
    return change


def status_history(application: Application) -> list[StatusChange]:
    """The application's moves, oldest first, with who made them, in one query."""
    return list(db.session.scalars(
        select(StatusChange).options(joinedload(StatusChange.changed_by))
        .where(StatusChange.application_id == application.id)
        .order_by(StatusChange.changed_at, StatusChange.id)
    ))
