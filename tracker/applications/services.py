"""Rules for donors' calls and applications: the status machine, collisions, deadlines, feed."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event
from sqlalchemy import (
    Integer,
    String,
    case,
    cast,
    distinct,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload

from tracker.applications.models import (
    DONOR_KINDS,
    Application,
    ApplicationStatus,
    CalendarToken,
    FundingCall,
    ReportDue,
    ReportKind,
    StatusChange,
)
from tracker.auth.models import User
from tracker.campaigns.models import Campaign
from tracker.db import LabeledEnum, utcnow
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import format_money, is_country
from tracker.money.value import MAX_AMOUNT, Money, MoneyError, minor_units
from tracker.orgs.models import Organization, OrgKind
from tracker.orgs.services import is_web_address

Status = ApplicationStatus

# The status machine: every allowed move, and the only place that lists them.
# Awarded, rejected and withdrawn are final.
ALLOWED: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    Status.IDEA: frozenset({Status.DRAFTING, Status.WITHDRAWN}),
    Status.DRAFTING: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
    Status.SUBMITTED: frozenset({Status.UNDER_REVIEW, Status.REJECTED, Status.WITHDRAWN}),
    Status.UNDER_REVIEW: frozenset({Status.AWARDED, Status.REJECTED, Status.WITHDRAWN}),
}
# Applications still competing for a call (two members' ones to the same call collide).
COMPETING = frozenset(set(Status) - {Status.WITHDRAWN, Status.REJECTED})
# Whose submission deadline, and whose expected decision, is still ahead.
AWAITING_SUBMISSION = frozenset({Status.IDEA, Status.DRAFTING})
AWAITING_DECISION = frozenset({Status.SUBMITTED, Status.UNDER_REVIEW})

MAX_TITLE_LENGTH = 200
MAX_NOTE_LENGTH = 2_000
MAX_NOTES_LENGTH = 10_000
MAX_REFERENCE_LENGTH = 100
MAX_URL_LENGTH = 500
MAX_DURATION_MONTHS = 240
DEADLINE_WINDOW_DAYS = 60
MAX_TOKEN_LENGTH = 100


class TransitionNotAllowed(DomainError):
    """A move the status machine does not allow, named in the user's language."""

    def __init__(self, current: ApplicationStatus, to: ApplicationStatus) -> None:
        super().__init__(_(
            "An application cannot move from “%(current)s” to “%(to)s”.",
            current=current.label, to=to.label,
        ))
        self.current, self.to = current, to


def next_statuses(status: ApplicationStatus) -> list[ApplicationStatus]:
    """The statuses an application may move to next, in the machine's order."""
    allowed = ALLOWED.get(status, frozenset())
    return [member for member in ApplicationStatus if member in allowed]


# Inputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CallInput:
    """A funding call as typed; amounts are in the call's currency."""

    title_en: str
    title_ru: str
    deadline: date
    currency: str
    reference: str = ""
    url: str = ""
    opens_on: date | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    max_duration_months: int | None = None
    eligible_applicant_kinds: Sequence[OrgKind] = field(default_factory=tuple)
    countries: Sequence[str] = field(default_factory=tuple)
    single_country: bool = False
    notes: str = ""


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


@dataclass(frozen=True)
class ReportInput:
    kind: ReportKind
    due_on: date
    note: str = ""


# Shared checks ----------------------------------------------------------------------


def _check_titles(title_en: str, title_ru: str) -> tuple[str, str]:
    title_en, title_ru = title_en.strip(), title_ru.strip()
    if not (title_en or title_ru):
        raise DomainError(_("Give the title in English or Russian."), field="title_en")
    for name, title in (("title_en", title_en), ("title_ru", title_ru)):
        if len(title) > MAX_TITLE_LENGTH:
            raise DomainError(_("Keep the title under %(limit)s characters.",
                                limit=MAX_TITLE_LENGTH), field=name)
    return title_en, title_ru


def _check_currency(code: str) -> None:
    try:
        minor_units(code)
    except MoneyError:
        raise DomainError(_("Choose a known currency (ISO 4217 code)."), field="currency") from None


def _money(amount: Decimal, currency: str, field_name: str) -> Money:
    """An amount typed for a field as Money: positive, plausible, not finer than the currency."""
    if amount <= 0:
        raise DomainError(_("The amount must be greater than zero."), field=field_name)
    if amount > MAX_AMOUNT:
        raise DomainError(_("This amount is implausibly large; check the digits."),
                          field=field_name)
    try:
        return Money(amount, currency)
    except MoneyError:
        raise DomainError(_("%(currency)s allows at most %(places)s decimal places.",
                            currency=currency, places=minor_units(currency)),
                          field=field_name) from None


def _check_countries(codes: Iterable[str]) -> list[str]:
    codes = sorted(set(codes))
    for code in codes:
        if not is_country(code):
            raise DomainError(_("Unknown country code: %(code)s.", code=code), field="countries")
    return codes


def _check_length(text: str, limit: int, field_name: str) -> str:
    text = text.strip()
    if len(text) > limit:
        raise DomainError(_("Keep this under %(limit)s characters.", limit=limit),
                          field=field_name)
    return text


def is_donor(org: Organization | None) -> bool:
    """True for an organisation of a kind that funds others (donor, foundation, UN body…)."""
    return org is not None and org.kind in DONOR_KINDS


# Donors and funding calls -----------------------------------------------------------


@dataclass(frozen=True)
class CallRow:
    """A funding call with how many applications were made to it."""

    call: FundingCall
    applications: int


@dataclass(frozen=True)
class DonorRow:
    """A donor with its funding calls, latest deadline first."""

    donor: Organization
    calls: list[CallRow]


def list_donors() -> list[Organization]:
    """Organisations of donor-like kinds, by name in the user's language."""
    donors = db.session.scalars(select(Organization).where(Organization.kind.in_(DONOR_KINDS)))
    return sorted(donors, key=lambda org: org.name.casefold())


def donors_with_calls() -> list[DonorRow]:
    """Every donor with its calls and their application counts, in three queries."""
    donors = list_donors()
    counts = dict(db.session.execute(
        select(Application.call_id, func.count(Application.id))
        .where(Application.call_id.is_not(None)).group_by(Application.call_id)
    ).all())
    calls: dict[int, list[CallRow]] = {donor.id: [] for donor in donors}
    for call in db.session.scalars(
        select(FundingCall).where(FundingCall.donor_org_id.in_(calls))
        .order_by(FundingCall.deadline.desc(), FundingCall.id)
    ):
        calls[call.donor_org_id].append(CallRow(call, counts.get(call.id, 0)))
    return [DonorRow(donor, calls[donor.id]) for donor in donors]


def calls_by_donor() -> list[tuple[Organization, list[FundingCall]]]:
    """Donors that have calls, each with its calls by deadline (for a grouped select)."""
    grouped: dict[int, list[FundingCall]] = {}
    donors: dict[int, Organization] = {}
    for call in db.session.scalars(
        select(FundingCall).options(joinedload(FundingCall.donor))
        .order_by(FundingCall.deadline.desc(), FundingCall.id)
    ):
        donors[call.donor_org_id] = call.donor
        grouped.setdefault(call.donor_org_id, []).append(call)
    ordered = sorted(donors.values(), key=lambda org: org.name.casefold())
    return [(donor, grouped[donor.id]) for donor in ordered]


def _apply_call(call: FundingCall, data: CallInput) -> None:
    title_en, title_ru = _check_titles(data.title_en, data.title_ru)
    reference = _check_length(data.reference, MAX_REFERENCE_LENGTH, "reference")
    url = _check_length(data.url, MAX_URL_LENGTH, "url")
    if url and not is_web_address(url):
        raise DomainError(_("Give the full web address, starting with http:// or https://."),
                          field="url")
    if data.opens_on and data.opens_on > data.deadline:
        raise DomainError(_("The call cannot open after its deadline."), field="opens_on")
    _check_currency(data.currency)
    low = _money(data.min_amount, data.currency, "min_amount") \
        if data.min_amount is not None else None
    high = _money(data.max_amount, data.currency, "max_amount") \
        if data.max_amount is not None else None
    if low is not None and high is not None and low > high:
        raise DomainError(_("The maximum cannot be below the minimum."), field="max_amount")
    months = data.max_duration_months
    if months is not None and not 1 <= months <= MAX_DURATION_MONTHS:
        raise DomainError(_("Give a duration between 1 and %(limit)s months.",
                            limit=MAX_DURATION_MONTHS), field="max_duration_months")
    kinds = sorted({OrgKind(kind).value for kind in data.eligible_applicant_kinds})
    countries = _check_countries(data.countries)
    notes = _check_length(data.notes, MAX_NOTES_LENGTH, "notes")

    call.title_en, call.title_ru = title_en, title_ru
    call.reference, call.url = reference, url
    call.opens_on, call.deadline = data.opens_on, data.deadline
    call.currency = data.currency
    call.min_amount_minor = low.minor if low is not None else None
    call.max_amount_minor = high.minor if high is not None else None
    call.max_duration_months = months
    call.eligible_applicant_kinds = kinds
    call.countries = countries
    call.single_country = data.single_country
    call.notes = notes


def create_call(donor: Organization, data: CallInput) -> FundingCall:
    """Add a funding call to a donor with its limits; raise DomainError when a rule fails."""
    if not is_donor(donor):
        raise DomainError(_("Funding calls belong to donors, not to organisations of the kind "
                            "“%(kind)s”.", kind=donor.kind.label))
    call = FundingCall(donor_org_id=donor.id)
    _apply_call(call, data)
    db.session.add(call)
    db.session.flush()
    return call


def update_call(call: FundingCall, data: CallInput) -> FundingCall:
    """Change a funding call under the same rules as creating one."""
    _apply_call(call, data)
    db.session.flush()
    return call


def call_applications(call: FundingCall) -> list[Application]:
    """The applications to a call, with their applicants and campaigns, in one query."""
    return list(db.session.scalars(
        select(Application)
        .options(joinedload(Application.applicant), joinedload(Application.campaign))
        .where(Application.call_id == call.id).order_by(Application.id)
    ))


# Applications -----------------------------------------------------------------------


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
            raise DomainError(_("This call belongs to %(donor)s; choose that donor or another "
                                "call.", donor=call.donor.name), field="call_id")
    if db.session.get(Organization, data.applicant_org_id) is None:
        raise DomainError(_("Choose the applicant organisation."), field="applicant_org_id")
    title_en, title_ru = _check_titles(data.title_en, data.title_ru)
    _check_currency(data.currency)
    requested = _money(data.requested, data.currency, "requested")
    if application.awarded is not None and application.awarded.currency != data.currency:
        raise DomainError(_("The award is recorded in %(currency)s: the request stays in it.",
                            currency=application.awarded.currency), field="currency")
    if not 0 <= data.probability <= 100:
        raise DomainError(_("Give the probability as a whole number from 0 to 100."),
                          field="probability")
    starts, ends = data.project_starts_on, data.project_ends_on
    if starts and ends and ends < starts:
        raise DomainError(_("The end date cannot be before the start date."),
                          field="project_ends_on")
    countries = _check_countries(data.countries)
    notes = _check_length(data.notes, MAX_NOTES_LENGTH, "notes")

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


def get_application(application_id: int) -> Application | None:
    """The application with its campaign, donor, call and applicant, or None."""
    return db.session.scalar(
        select(Application).where(Application.id == application_id).options(
            joinedload(Application.campaign), joinedload(Application.donor),
            joinedload(Application.call), joinedload(Application.applicant),
        )
    )


def move(application: Application, to: ApplicationStatus, *, by: User | None,
         note: str = "", awarded: Money | None = None, today: date | None = None
         ) -> StatusChange:
    """Move an application along the status machine and record who, when, from, to and why.

    Awarding needs the awarded amount in the request's currency and sets the decision
    date (so does a rejection); submitting sets the submission date.
    """
    current = application.status
    if to not in ALLOWED.get(current, frozenset()):
        raise TransitionNotAllowed(current, to)
    note = _check_length(note, MAX_NOTE_LENGTH, "note")
    today = today or utcnow().date()
    if to is Status.AWARDED:
        if awarded is None:
            raise DomainError(_("Give the awarded amount to mark the application as awarded."),
                              field="awarded_amount")
        if awarded.currency != application.currency:
            raise DomainError(_("Give the award in %(currency)s, the currency of the request.",
                                currency=application.currency), field="awarded_amount")
        application.awarded = _money(awarded.amount, awarded.currency, "awarded_amount")
    if to in (Status.AWARDED, Status.REJECTED):
        application.decision_date = today
    if to is Status.SUBMITTED:
        application.submitted_on = today
    change = StatusChange(from_status=current, to_status=to, note=note,
                          changed_by_id=by.id if by is not None else None, changed_at=utcnow())
    application.history.append(change)
    application.status = to
    db.session.flush()
    return change


def status_history(application: Application) -> list[StatusChange]:
    """The application's moves, oldest first, with who made them, in one query."""
    return list(db.session.scalars(
        select(StatusChange).options(joinedload(StatusChange.changed_by))
        .where(StatusChange.application_id == application.id)
        .order_by(StatusChange.changed_at, StatusChange.id)
    ))


def add_report(application: Application, data: ReportInput) -> ReportDue:
    """Add a report the donor expects from an application."""
    note = _check_length(data.note, 500, "note")
    report = ReportDue(kind=ReportKind(data.kind), due_on=data.due_on, note=note)
    application.reports.append(report)
    db.session.flush()
    return report


def find_report(application: Application, report_id: int) -> ReportDue | None:
    """The application's report with this id (None for another application's)."""
    return db.session.scalar(select(ReportDue).where(
        ReportDue.id == report_id, ReportDue.application_id == application.id))


def mark_report_done(report: ReportDue, on: date | None = None) -> ReportDue:
    """Record that a report was sent (today unless told); marking it twice keeps the first."""
    if report.done_on is None:
        report.done_on = on or utcnow().date()
        db.session.flush()
    return report


# The pipeline -----------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineFilter:
    """What the pipeline shows: all applications unless narrowed."""

    campaign_id: int | None = None
    donor_org_id: int | None = None
    status: ApplicationStatus | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None


def list_applications(filters: PipelineFilter = PipelineFilter()) -> list[Application]:
    """Applications by submission deadline (none last), filtered, with what a row shows."""
    query = select(Application).options(
        joinedload(Application.campaign), joinedload(Application.donor),
        joinedload(Application.call), joinedload(Application.applicant),
    )
    if filters.campaign_id:
        query = query.where(Application.campaign_id == filters.campaign_id)
    if filters.donor_org_id:
        query = query.where(Application.donor_org_id == filters.donor_org_id)
    if filters.status:
        query = query.where(Application.status == filters.status)
    if filters.deadline_from:
        query = query.where(Application.submission_deadline >= filters.deadline_from)
    if filters.deadline_to:
        query = query.where(Application.submission_deadline <= filters.deadline_to)
    query = query.order_by(Application.submission_deadline.is_(None),
                           Application.submission_deadline, Application.id)
    return list(db.session.scalars(query))


def is_overdue(application: Application, today: date | None = None) -> bool:
    """True when the submission deadline has passed and the application is not in yet."""
    today = today or utcnow().date()
    return (application.status in AWAITING_SUBMISSION
            and application.submission_deadline is not None
            and application.submission_deadline < today)


# Collisions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Collision:
    """Applications of two or more coalition members competing for the same call."""

    call: FundingCall
    applications: list[Application]

    def others(self, application: Application) -> list[Application]:
        """The applications this one competes with (other applicants' ones)."""
        return [other for other in self.applications
                if other.applicant_org_id != application.applicant_org_id]


def collisions_for(application: Application) -> list[Application]:
    """Other members' live applications to the same call, with applicant and campaign."""
    if application.call_id is None or application.status not in COMPETING:
        return []
    return list(db.session.scalars(
        select(Application)
        .options(joinedload(Application.applicant), joinedload(Application.campaign))
        .where(Application.call_id == application.call_id,
               Application.id != application.id,
               Application.applicant_org_id != application.applicant_org_id,
               Application.status.in_(COMPETING))
        .order_by(Application.id)
    ))


def all_collisions(deadline_from: date | None = None) -> list[Collision]:
    """Every call that two or more members are applying to, by deadline, in one query.

    With `deadline_from`, only calls whose deadline is on or after that day.
    """
    contested = (
        select(Application.call_id)
        .where(Application.call_id.is_not(None), Application.status.in_(COMPETING))
        .group_by(Application.call_id)
        .having(func.count(distinct(Application.applicant_org_id)) >= 2)
    )
    if deadline_from is not None:
        contested = contested.where(Application.call_id.in_(
            select(FundingCall.id).where(FundingCall.deadline >= deadline_from)))
    applications = db.session.scalars(
        select(Application)
        .options(joinedload(Application.call).joinedload(FundingCall.donor),
                 joinedload(Application.applicant), joinedload(Application.campaign))
        .where(Application.call_id.in_(contested), Application.status.in_(COMPETING))
        .order_by(Application.call_id, Application.id)
    )
    grouped: dict[int, list[Application]] = {}
    for application in applications:
        grouped.setdefault(application.call_id, []).append(application)  # type: ignore[arg-type]
    collisions = [Collision(group[0].call, group) for group in grouped.values()]  # type: ignore[arg-type]
    return sorted(collisions, key=lambda collision: (collision.call.deadline, collision.call.id))


def colliding_ids() -> set[int]:
    """Ids of the applications that take part in a collision (for marking list rows)."""
    return {application.id for collision in all_collisions()
            for application in collision.applications}


# Deadlines --------------------------------------------------------------------------


class DeadlineKind(LabeledEnum):
    SUBMISSION = "submission"
    DECISION = "decision"
    INTERIM_REPORT = "interim_report"
    FINAL_REPORT = "final_report"

    @classmethod
    def labels(cls):
        return {
            cls.SUBMISSION: _l("Submission deadline"),
            cls.DECISION: _l("Decision expected"),
            cls.INTERIM_REPORT: _l("Interim report due"),
            cls.FINAL_REPORT: _l("Final report due"),
        }


@dataclass(frozen=True)
class Deadline:
    """One date someone must act on: a submission, an expected decision or a report."""

    kind: DeadlineKind
    due_on: date
    application: Application
    report: ReportDue | None
    overdue: bool
    days_left: int

    @property
    def uid(self) -> str:
        """A calendar UID that stays the same as long as the deadline exists."""
        if self.report is not None:
            return f"report-{self.report.id}@tracker"
        return f"application-{self.application.id}-{self.kind.value}@tracker"


def _sql_text(value: str):
    return cast(literal_column(f"'{value}'"), String)


def open_deadlines(today: date, until: date | None = None, limit: int | None = None
                   ) -> list[Deadline]:
    """Open deadlines up to `until` (all if None): overdue ones first, then by date.

    A submission deadline is open until the application is submitted (or withdrawn),
    an expected decision until the donor decides, a report until it is marked done.
    The database merges and orders the three kinds; two more queries load the records.
    """
    submissions = select(
        _sql_text(DeadlineKind.SUBMISSION.value).label("kind"),
        Application.submission_deadline.label("due_on"),
        Application.id.label("application_id"),
        cast(null(), Integer).label("report_id"),
    ).where(Application.status.in_(AWAITING_SUBMISSION),
            Application.submission_deadline.is_not(None))
    decisions = select(
        _sql_text(DeadlineKind.DECISION.value),
        Application.decision_date,
        Application.id,
        cast(null(), Integer),
    ).where(Application.status.in_(AWAITING_DECISION), Application.decision_date.is_not(None))
    reports = select(
        case((ReportDue.kind == ReportKind.INTERIM, _sql_text(DeadlineKind.INTERIM_REPORT.value)),
             else_=_sql_text(DeadlineKind.FINAL_REPORT.value)),
        ReportDue.due_on,
        ReportDue.application_id,
        ReportDue.id,
    ).where(ReportDue.done_on.is_(None))
    merged = union_all(submissions, decisions, reports).subquery()
    query = select(merged.c.kind, merged.c.due_on, merged.c.application_id, merged.c.report_id)
    if until is not None:
        query = query.where(merged.c.due_on <= until)
    query = query.order_by(case((merged.c.due_on < today, 0), else_=1), merged.c.due_on,
                           merged.c.kind, merged.c.application_id)
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    if not rows:
        return []
    applications = {application.id: application for application in db.session.scalars(
        select(Application).options(joinedload(Application.campaign),
                                    joinedload(Application.donor))
        .where(Application.id.in_({row.application_id for row in rows}))
    )}
    report_ids = {row.report_id for row in rows if row.report_id is not None}
    reports_by_id = {report.id: report for report in db.session.scalars(
        select(ReportDue).where(ReportDue.id.in_(report_ids)))} if report_ids else {}
    return [
        Deadline(kind=DeadlineKind(row.kind), due_on=row.due_on,
                 application=applications[row.application_id],
                 report=reports_by_id.get(row.report_id) if row.report_id else None,
                 overdue=row.due_on < today, days_left=(row.due_on - today).days)
        for row in rows
    ]


def upcoming_deadlines(today: date | None = None, days: int = DEADLINE_WINDOW_DAYS,
                       limit: int | None = None) -> list[Deadline]:
    """Overdue deadlines, then those of the next `days` days (60 by default); the first `limit`."""
    today = today or utcnow().date()
    return open_deadlines(today, until=today + timedelta(days=days), limit=limit)


# The calendar feed ------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_token_of(user: User) -> CalendarToken | None:
    """The user's calendar token record (its hash only), or None."""
    return db.session.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))


def issue_calendar_token(user: User) -> str:
    """A new secret for the user's feed link; the previous link stops working."""
    token = secrets.token_urlsafe(32)
    record = calendar_token_of(user)
    if record is None:
        record = CalendarToken(user_id=user.id)
        db.session.add(record)
    record.token_hash = _token_hash(token)
    record.created_at = utcnow()
    db.session.flush()
    return token


def revoke_calendar_token(user: User) -> bool:
    """Stop the user's feed link; False when there was none."""
    record = calendar_token_of(user)
    if record is None:
        return False
    db.session.delete(record)
    db.session.flush()
    return True


def user_for_calendar_token(token: str) -> User | None:
    """The active user whose feed link carries this token, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    user = db.session.scalar(
        select(User).join(CalendarToken, CalendarToken.user_id == User.id)
        .where(CalendarToken.token_hash == _token_hash(token))
    )
    return user if user is not None and user.is_active else None


def deadlines_calendar(deadlines: Iterable[Deadline], *, language: str,
                       link: Callable[[Application], str]) -> bytes:
    """An iCalendar file with one all-day event per deadline, written in the language."""
    with force_locale(language):
        calendar = Calendar()
        calendar.add("prodid", "-//EECCA chemical-safety coalition//Tracker//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", _("Tracker: deadlines"))
        for deadline in deadlines:
            application = deadline.application
            title = application.localized("title", language)
            donor = application.donor.localized("name", language)
            event = Event()
            event.add("uid", deadline.uid)
            event.add("dtstamp", application.updated_at.astimezone(UTC))
            event.add("dtstart", deadline.due_on)
            event.add("dtend", deadline.due_on + timedelta(days=1))
            event.add("summary", _("%(kind)s: %(title)s (%(donor)s)", kind=deadline.kind.label,
                                   title=title, donor=donor))
            event.add("description", "\n".join((
                _("Campaign: %(campaign)s",
                  campaign=application.campaign.localized("title", language)),
                _("Status: %(status)s", status=application.status.label),
                _("Requested: %(amount)s",
                  amount=format_money(application.requested, language)),
                link(application),
            )))
            event.add("url", link(application))
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
        return calendar.to_ical()

