"""The pipeline of applications, and collisions: members competing for the same call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import joinedload

from tracker.applications.models import Application, ApplicationStatus, FundingCall
from tracker.db import utcnow
from tracker.extensions import db

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
        # Type check: only applications to a call collide, so call_id is set.
        grouped.setdefault(application.call_id, []).append(application)  # type: ignore[arg-type]
    collisions = [Collision(group[0].call, group) for group in grouped.values()]  # type: ignore[arg-type]
    return sorted(collisions, key=lambda collision: (collision.call.deadline, collision.call.id))


def colliding_ids() -> set[int]:
    """Ids of the applications that take part in a collision (for marking list rows)."""
    return {application.id for collision in all_collisions()
            for application in collision.applications}
