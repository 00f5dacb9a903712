"""The pipeline of applications, and collisions: members competing for the same call."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, cast

from sqlalchemy import Date, Integer, Select, bindparam, distinct, func, select
from sqlalchemy.orm import aliased, joinedload

from tracker.applications.models import Application, ApplicationStatus, FundingCall
from tracker.campaigns.models import Campaign
from tracker.db import utcnow
from tracker.extensions import db
from tracker.i18n import Localized, NameLine, TitleLine
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.paging import Page, page_of_statements

Status = ApplicationStatus

# Applications still competing for a call (two members' ones to the same call collide).
COMPETING = frozenset(set(Status) - {Status.WITHDRAWN, Status.REJECTED})
# Whose submission deadline, and whose expected decision, is still ahead.
AWAITING_SUBMISSION = frozenset({Status.IDEA, Status.DRAFTING})
AWAITING_DECISION = frozenset({Status.SUBMITTED, Status.UNDER_REVIEW})


@dataclass(frozen=True)
class PipelineFilter:
    """What the pipeline shows: all applications unless narrowed."""

    campaign_id: int | None = None
    donor_org_id: int | None = None
    status: ApplicationStatus | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None


APPLICATIONS_PER_PAGE = 25
# The board shows this many applications of each status; the list shows them all, paged.
BOARD_PER_STATUS = 10


@dataclass(frozen=True)
class BoardColumn:
    """One status on the board: how many applications have it and the first few of them."""

    status: ApplicationStatus
    count: int
    applications: list[Application]


# Each filter's condition on its value: the filter's own value, or a bound parameter of the
# filter's name in a statement built once for every list of that shape.
_FILTERS: dict[str, Callable[[Any], Any]] = {
    "campaign_id": lambda value: Application.campaign_id == value,
    "donor_org_id": lambda value: Application.donor_org_id == value,
    "status": lambda value: Application.status == value,
    "deadline_from": lambda value: Application.submission_deadline >= value,
    "deadline_to": lambda value: Application.submission_deadline <= value,
}


def _filter_values(filters: PipelineFilter) -> dict[str, Any]:
    """The filters that narrow the pipeline, by name, with their values."""
    return {name: getattr(filters, name) for name in _FILTERS if getattr(filters, name)}


def _matching(filters: PipelineFilter) -> list[Any]:
    """The WHERE conditions of the filters (none: every application)."""
    return [_FILTERS[name](value) for name, value in _filter_values(filters).items()]


def _pipeline_query(filters: PipelineFilter) -> Select[Application]:
    """Applications matching the filters, with what a row shows loaded alongside."""
    return select(Application).options(
        joinedload(Application.campaign), joinedload(Application.donor),
        joinedload(Application.call), joinedload(Application.applicant),
    ).where(*_matching(filters))


def _by_deadline() -> tuple[Any, ...]:
    """The pipeline's order: by submission deadline (none last), then id.

    NULLS LAST rather than an IS NULL key: PostgreSQL then reads a page in the deadline
    index's order (ascending puts nulls last there) and sorts only ties by id, where it
    sorted every application; SQLite (3.30 and later) takes it alike.
    """
    return (Application.submission_deadline.asc().nulls_last(), Application.id)


def list_applications(filters: PipelineFilter = PipelineFilter()) -> list[Application]:
    """Applications by submission deadline (none last), filtered, with what a row shows."""
    return list(db.session.scalars(_pipeline_query(filters).order_by(*_by_deadline())))


@dataclass(frozen=True)
class PipelineLine(Localized):
    """An application as the pipeline's list shows it: title, campaign, donor and call,
    applicant, status, amounts, probability and submission deadline."""

    id: int
    title_en: str
    title_ru: str
    status: ApplicationStatus
    requested: Money
    awarded: Money | None
    probability: int
    submission_deadline: date | None
    campaign: TitleLine
    donor: NameLine
    call: TitleLine | None
    applicant: NameLine

    @property
    def title(self) -> str:
        return self.localized("title")


def page_of_pipeline_rows(filters: PipelineFilter = PipelineFilter(), page: int = 1,
                          per_page: int = APPLICATIONS_PER_PAGE) -> Page[Any]:
    """One page of the filtered applications by submission deadline (none last), as rows of
    the columns the list shows, read as stored (what the list shows, and a kept row's key):
    a count and one query."""
    values = _filter_values(filters)
    return page_of_statements(*_pipeline_statements(tuple(values)), values, page, per_page)


@cache  # Built once a shape: building and compiling them cost as much as running them.
def _pipeline_statements(filtered_by: tuple[str, ...]) -> tuple[Select[Any], Select[Any]]:
    """The count and the page of the pipeline filtered by these filters (their values, the
    `limit` and the `offset` bound at each run).

    The page's applications are chosen first, on the application table alone, and only they
    are joined to their campaign, donor, call and applicant: joining every application
    before sorting cost PostgreSQL three times as much at 2,000 applications.
    """
    conditions = [_FILTERS[name](bindparam(name)) for name in filtered_by]
    count = select(func.count()).select_from(Application).where(*conditions)
    chosen = (select(Application.id).where(*conditions).order_by(*_by_deadline())
              .limit(bindparam("limit", type_=Integer))
              .offset(bindparam("offset", type_=Integer)).subquery())
    donor, applicant = aliased(Organization), aliased(Organization)
    rows = (
        select(Application.id, Application.title_en, Application.title_ru, Application.status,
               Application.requested_minor, Application.currency, Application.awarded_minor,
               Application.awarded_currency, Application.probability,
               Application.submission_deadline, Campaign.title_en.label("campaign_en"),
               Campaign.title_ru.label("campaign_ru"), donor.name_en.label("donor_en"),
               donor.name_ru.label("donor_ru"), FundingCall.id.label("call_id"),
               FundingCall.title_en.label("call_en"), FundingCall.title_ru.label("call_ru"),
               applicant.name_en.label("applicant_en"),
               applicant.name_ru.label("applicant_ru"))
        .join(chosen, chosen.c.id == Application.id)
        .join(Campaign, Campaign.id == Application.campaign_id)
        .join(donor, donor.id == Application.donor_org_id)
        .outerjoin(FundingCall, FundingCall.id == Application.call_id)
        .join(applicant, applicant.id == Application.applicant_org_id)
        .order_by(*_by_deadline())
    )
    return count, cast("Select[Any]", rows)


def pipeline_line(row: Any) -> PipelineLine:
    """One of `page_of_pipeline_rows`' rows as the list shows it."""
    return PipelineLine(
        id=row.id, title_en=row.title_en, title_ru=row.title_ru, status=row.status,
        requested=Money.stored(row.requested_minor, row.currency),
        awarded=Money.from_minor(row.awarded_minor, row.awarded_currency),
        probability=row.probability, submission_deadline=row.submission_deadline,
        campaign=TitleLine(row.campaign_en, row.campaign_ru),
        donor=NameLine(row.donor_en, row.donor_ru),
        call=None if row.call_id is None else TitleLine(row.call_en, row.call_ru),
        applicant=NameLine(row.applicant_en, row.applicant_ru))


def board(filters: PipelineFilter = PipelineFilter(),
          per_status: int = BOARD_PER_STATUS) -> list[BoardColumn]:
    """Each status's count and its first applications by deadline, in two queries."""
    counts = dict(db.session.execute(
        select(Application.status, func.count()).where(*_matching(filters))
        .group_by(Application.status)).all())
    ranked = select(
        Application.id, func.row_number().over(partition_by=Application.status,
                                               order_by=_by_deadline()).label("place"),
    ).where(*_matching(filters)).subquery()
    first_ids = select(ranked.c.id).where(ranked.c.place <= per_status)
    shown = db.session.scalars(_pipeline_query(PipelineFilter())
                               .where(Application.id.in_(first_ids)).order_by(*_by_deadline()))
    columns: dict[ApplicationStatus, list[Application]] = {status: [] for status in Status}
    for application in shown:
        columns[application.status].append(application)
    return [BoardColumn(status, counts.get(status, 0), columns[status]) for status in Status]


def is_overdue(application: Application | PipelineLine, today: date | None = None) -> bool:
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


def _contested_calls() -> Select[int | None]:
    """Calls that live applications of two or more members go to."""
    return (
        select(Application.call_id)
        .where(Application.call_id.is_not(None), Application.status.in_(COMPETING))
        .group_by(Application.call_id)
        .having(func.count(distinct(Application.applicant_org_id)) >= 2)
    )


def all_collisions(deadline_from: date | None = None) -> list[Collision]:
    """Every call that two or more members are applying to, by deadline, in one query.

    With `deadline_from`, only calls whose deadline is on or after that day.
    """
    contested = _contested_calls()
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
        # Type check: only applications to a call collide, so call_id is set.
        grouped.setdefault(application.call_id, []).append(application)  # type: ignore[arg-type]
    collisions = [Collision(group[0].call, group) for group in grouped.values()]  # type: ignore[arg-type]
    return sorted(collisions, key=lambda collision: (collision.call.deadline, collision.call.id))


@dataclass(frozen=True)
class CallLine(Localized):
    """A contested call as a screen shows it: title, deadline and donor."""

    id: int
    title_en: str
    title_ru: str
    deadline: date
    donor: NameLine

    @property
    def title(self) -> str:
        return self.localized("title")


@dataclass(frozen=True)
class CompetingLine(Localized):
    """One application in a collision as a screen shows it: title, status and applicant."""

    id: int
    title_en: str
    title_ru: str
    status: ApplicationStatus
    applicant: NameLine

    @property
    def title(self) -> str:
        return self.localized("title")


@dataclass(frozen=True)
class CollisionLine:
    """A collision as a screen shows it: the call and the competing applications."""

    call: CallLine
    applications: list[CompetingLine]


def collision_lines(deadline_from: date | None = None) -> list[CollisionLine]:
    """What `all_collisions` finds, in its order, as a screen shows it, in one query."""
    return collisions_of(collision_rows(deadline_from))


@cache  # Built once: building and compiling it cost as much as running it (issue 15).
def _collisions_statement(from_a_day: bool) -> Select[Any]:
    """The collisions' screen statement, with `deadline_from` bound at each run if asked."""
    contested = _contested_calls()
    if from_a_day:
        contested = contested.where(Application.call_id.in_(
            select(FundingCall.id).where(
                FundingCall.deadline >= bindparam("deadline_from", type_=Date))))
    donor, applicant = aliased(Organization), aliased(Organization)
    return cast("Select[Any]", (
        select(FundingCall.id.label("call_id"), FundingCall.title_en.label("call_en"),
               FundingCall.title_ru.label("call_ru"), FundingCall.deadline,
               donor.name_en.label("donor_en"), donor.name_ru.label("donor_ru"),
               Application.id, Application.title_en, Application.title_ru, Application.status,
               applicant.name_en.label("applicant_en"), applicant.name_ru.label("applicant_ru"))
        .join(FundingCall, FundingCall.id == Application.call_id)
        .join(donor, donor.id == FundingCall.donor_org_id)
        .join(applicant, applicant.id == Application.applicant_org_id)
        .where(Application.call_id.in_(contested), Application.status.in_(COMPETING))
        .order_by(FundingCall.deadline, FundingCall.id, Application.id)
    ))


def collision_rows(deadline_from: date | None = None) -> list[Any]:
    """Every competing application with its call, in `all_collisions`' order, as rows of the
    shown columns read as stored (what a screen shows, and a kept list's key)."""
    params = {} if deadline_from is None else {"deadline_from": deadline_from}
    return list(db.session.execute(_collisions_statement(deadline_from is not None), params))


def collision_rows_statement() -> Select[Any]:
    """`collision_rows(deadline_from)`'s statement, `deadline_from` bound at each run, for a
    key to read alike."""
    return _collisions_statement(True)


def collisions_of(rows: Iterable[Any]) -> list[CollisionLine]:
    """`collision_rows` grouped by call, as a screen shows them."""
    collisions: list[CollisionLine] = []
    for row in rows:
        if not collisions or collisions[-1].call.id != row.call_id:
            call = CallLine(row.call_id, row.call_en, row.call_ru, row.deadline,
                            NameLine(row.donor_en, row.donor_ru))
            collisions.append(CollisionLine(call, []))
        collisions[-1].applications.append(CompetingLine(
            row.id, row.title_en, row.title_ru, row.status,
            NameLine(row.applicant_en, row.applicant_ru)))
    return collisions


def colliding_ids(among: Iterable[int] | None = None) -> set[int]:
    """Ids of the applications that take part in a collision (for marking list rows).

    With `among`, only those of these ids: a page of a list asks about its own rows.
    """
    if among is None:
        return set(db.session.scalars(_colliding_statement(False)))
    return set(db.session.scalars(_colliding_statement(True), {"among": list(among)}))


@cache  # Built once, as the pipeline's statements are.
def _colliding_statement(among: bool) -> Select[Any]:
    """The colliding applications' ids (among those bound as `among`, if asked)."""
    query = (select(Application.id)
             .where(Application.call_id.in_(_contested_calls()),
                    Application.status.in_(COMPETING)))
    if among:
        query = query.where(Application.id.in_(bindparam("among", expanding=True)))
    return cast("Select[Any]", query)
