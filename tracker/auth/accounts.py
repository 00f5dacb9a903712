"""Accounts: creating and inviting users, their access (role, organisation, campaigns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.auth import notices
from tracker.auth.identity import (
    EMAIL_PATTERN,
    MAX_EMAIL_LENGTH,
    find_user_by_email,
    normalize_email,
)
from tracker.auth.invites import InviteResult, issue_link, mail_link, revoke_links
from tracker.auth.logins import end_sessions
from tracker.auth.models import Membership, MembershipRole, Role, SessionEnd, User
from tracker.auth.passwords import check_policy, hash_password
from tracker.campaigns.models import Campaign
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import LANGUAGES
from tracker.orgs.models import Organization
from tracker.paging import Page, page_of

USERS_PER_PAGE = 50


@dataclass(frozen=True)
class UserInput:
    """A new account: who, in which role, organisation, campaigns and language."""

    email: str
    role: Role
    organization_id: int | None = None
    campaign_ids: Sequence[int] = ()
    language: str = "ru"


@dataclass(frozen=True)
class AccessInput:
    """What an admin may change about an account: role, organisation, led campaigns."""

    role: Role
    organization_id: int | None = None
    campaign_ids: Sequence[int] = field(default_factory=tuple)


def list_users() -> list[User]:
    """Every account with its organisation and memberships, by e-mail."""
    return list(db.session.scalars(
        select(User)
        .options(selectinload(User.organization),
                 selectinload(User.memberships).selectinload(Membership.campaign))
        .order_by(User.email)
    ))


def page_of_users(page: int = 1, per_page: int = USERS_PER_PAGE) -> Page[User]:
    """One page of the accounts by e-mail, with their organisation and memberships."""
    return page_of(select(User)
                   .options(selectinload(User.organization),
                            selectinload(User.memberships).selectinload(Membership.campaign))
                   .order_by(User.email, User.id), page, per_page)


def find_organization_id(slug: str) -> int:
    """The id of the organisation with this short name; DomainError when there is none."""
    org_id = db.session.scalar(select(Organization.id).where(Organization.slug == slug))
    if org_id is None:
        raise DomainError(_("There is no organisation with the short name %(slug)s.", slug=slug),
                          field="organization")
    return org_id


def find_campaign_ids(slugs: Sequence[str]) -> list[int]:
    """The ids of the campaigns with these short names; DomainError naming any unknown one."""
    ids = []
    for slug in slugs:
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
        if campaign_id is None:
            raise DomainError(_("There is no campaign with the short name %(slug)s.", slug=slug),
                              field="campaigns")
        ids.append(campaign_id)
    return ids


def _check_email(email: str, current: User | None = None) -> str:
    email = normalize_email(email)
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise DomainError(_("Give a valid e-mail address, e.g. name@example.org."), field="email")
    clash = find_user_by_email(email)
    if clash is not None and clash is not current:
        raise DomainError(_("There is already an account for %(email)s.", email=email),
                          field="email")
    return email


def _check_access(access: AccessInput) -> None:
    if access.organization_id is not None and db.session.get(
            Organization, access.organization_id) is None:
        raise DomainError(_("Choose an organisation from the list."), field="organization")
    if access.campaign_ids:
        if access.role != Role.LEAD:
            # Memberships grant a lead's rights; on any other role they would mislead.
            raise DomainError(
                _("Only campaign leads are members of campaigns: choose the role "
                  "“Campaign lead” or clear the campaigns."),
                field="campaigns",
            )
        known = set(db.session.scalars(
            select(Campaign.id).where(Campaign.id.in_(list(access.campaign_ids)))
        ))
        if known != set(access.campaign_ids):
            raise DomainError(_("Choose campaigns from the list."), field="campaigns")


def _set_memberships(user: User, campaign_ids: Sequence[int]) -> None:
    wanted = set(campaign_ids)
    for membership in list(user.memberships):
        if membership.campaign_id not in wanted:
            user.memberships.remove(membership)
    have = {m.campaign_id for m in user.memberships}
    for campaign_id in sorted(wanted - have):
        user.memberships.append(Membership(campaign_id=campaign_id, role=MembershipRole.LEAD))


def create_user(data: UserInput, password: str | None) -> User:
    """Add an account; without a password it can only be used through an invitation link."""
    email = _check_email(data.email)
    access = AccessInput(data.role, data.organization_id, tuple(data.campaign_ids))
    _check_access(access)
    if data.language not in LANGUAGES:
        raise DomainError(_("Choose English or Russian."), field="language")
    if password is not None:
        check_policy(password, email=email)
    user = User(email=email, role=data.role, organization_id=data.organization_id,
                language=data.language, is_active=True)
    if password is not None:
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    db.session.add(user)
    _set_memberships(user, access.campaign_ids)
    db.session.flush()
    return user


def _active_admins_other_than(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User)
        .where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id)
    ) or 0


def update_access(user: User, access: AccessInput, *, by: User | None = None) -> User:
    """Change a user's role, organisation and led campaigns; an active admin must remain.

    A user made an administrator or a coordinator is told by e-mail.
    """
    _check_access(access)
    if (user.role == Role.ADMIN and access.role != Role.ADMIN and user.is_active
            and _active_admins_other_than(user) == 0):
        raise DomainError(
            _("This is the only active administrator; make someone else an administrator first."),
            field="role",
        )
    previous, user.role = user.role, access.role
    user.organization_id = access.organization_id
    _set_memberships(user, access.campaign_ids)
    db.session.flush()
    notices.role_granted(user, previous, by=by)
    return user


def set_active(user: User, active: bool, *, by: User) -> User:
    """Enable or disable an account; disabling ends its sessions and unused links."""
    if not active:
        if user.id == by.id:
            raise DomainError(_("You cannot disable your own account."))
        if user.role == Role.ADMIN and _active_admins_other_than(user) == 0:
            raise DomainError(_("This is the only active administrator; it cannot be disabled."))
        end_sessions(user, SessionEnd.DISABLED)
        revoke_links(user)
    user.is_active = active
    db.session.flush()
    return user


def set_language(user: User, language: str) -> User:
    """Remember the language a user wants the screens in."""
    if language not in LANGUAGES:
        raise DomainError(_("Choose English or Russian."), field="language")
    user.language = language
    db.session.flush()
    return user


def invite_user(data: UserInput, *, by: User | None, valid_for: timedelta) -> InviteResult:
    """Create an account without a password and e-mail its owner a one-time link to set one."""
    user = create_user(data, password=None)
    return mail_link(issue_link(user, by=by, valid_for=valid_for), by=by)
