"""Following an application: who is reminded of its deadlines, and why."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from tracker.applications.models import Application
from tracker.audit.models import AuditAction, AuditEvent
from tracker.auth.models import Membership, MembershipRole, User
from tracker.extensions import db
from tracker.reminders.models import ApplicationFollower


def is_following(user: User, application: Application) -> bool:
    """True when the user follows the application."""
    return db.session.scalar(select(ApplicationFollower.id).where(
        ApplicationFollower.application_id == application.id,
        ApplicationFollower.user_id == user.id)) is not None


def follow(user: User, application: Application) -> bool:
    """Start following an application; False when the user already did (nothing changes)."""
    if is_following(user, application):
        return False
    db.session.add(ApplicationFollower(application_id=application.id, user_id=user.id))
    db.session.flush()
    return True


def unfollow(user: User, application: Application) -> bool:
    """Stop following an application; False when the user did not follow it."""
    record = db.session.scalar(select(ApplicationFollower).where(
        ApplicationFollower.application_id == application.id,
        ApplicationFollower.user_id == user.id))
    if record is None:
        return False
    db.session.delete(record)
    db.session.flush()
    return True


# Why a person is reminded of an application, shown in the message; the first reason wins.
AUTHOR, LEAD, FOLLOWER = "author", "lead", "follower"


def people_to_remind(applications: Iterable[Application]) -> dict[int, dict[int, str]]:
    """For each application id: {user id: reason} of the active users to remind.

    The author is whoever created the application (the audit trail's create event), the
    leads are its campaign's, the followers asked to be. Three queries in all.
    """
    by_id = {application.id: application for application in applications}
    if not by_id:
        return {}
    active = select(User.id).where(User.is_active.is_(True))
    people: dict[int, dict[int, str]] = {application_id: {} for application_id in by_id}
    authors = db.session.execute(
        select(AuditEvent.record_id, AuditEvent.actor_id)
        .where(AuditEvent.record_type == Application.__tablename__,
               AuditEvent.action == AuditAction.CREATE,
               AuditEvent.record_id.in_([str(key) for key in by_id]),
               AuditEvent.actor_id.in_(active))
    )
    for record_id, actor_id in authors:
        if actor_id is not None:
            people[int(record_id)].setdefault(actor_id, AUTHOR)
    campaign_ids = {application.campaign_id for application in by_id.values()}
    leads: dict[int, list[int]] = {}
    for campaign_id, user_id in db.session.execute(
            select(Membership.campaign_id, Membership.user_id)
            .where(Membership.campaign_id.in_(campaign_ids),
                   Membership.role == MembershipRole.LEAD, Membership.user_id.in_(active))):
        leads.setdefault(campaign_id, []).append(user_id)
    for application_id, application in by_id.items():
        for user_id in leads.get(application.campaign_id, ()):
            people[application_id].setdefault(user_id, LEAD)
    for application_id, user_id in db.session.execute(
            select(ApplicationFollower.application_id, ApplicationFollower.user_id)
            .where(ApplicationFollower.application_id.in_(by_id),
                   ApplicationFollower.user_id.in_(active))):
        people[application_id].setdefault(user_id, FOLLOWER)
    return people
