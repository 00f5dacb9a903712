"""Accounts: users, roles, campaign memberships, server-side sessions, set-password links."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.audit.registry import audited
from tracker.campaigns.models import Campaign
from tracker.db import Base, LabeledEnum, UTCDateTime, str_enum, utcnow
from tracker.orgs.models import Organization

# Deadline reminders go out this many days ahead unless the user chooses otherwise.
DEFAULT_REMINDER_DAYS = "14,7,1"


class Role(LabeledEnum):
    """What a person does in the coalition; tracker/auth/permissions.py says what each may do."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    FUNDRAISER = "fundraiser"
    LEAD = "lead"
    VIEWER = "viewer"

    @classmethod
    def labels(cls):
        return {
            cls.ADMIN: _l("Administrator"),
            cls.COORDINATOR: _l("Regional coordinator"),
            cls.FUNDRAISER: _l("Fundraiser"),
            cls.LEAD: _l("Campaign lead"),
            cls.VIEWER: _l("Viewer"),
        }


class MembershipRole(LabeledEnum):
    """A user's role in one campaign (only leads so far; partners may join later)."""

    LEAD = "lead"

    @classmethod
    def labels(cls):
        return {cls.LEAD: _l("Campaign lead")}


class SessionEnd(LabeledEnum):
    """Why a server-side session stopped being valid."""

    LOGOUT = "logout"
    IDLE = "idle"
    EXPIRED = "expired"
    PASSWORD_CHANGED = "password_changed"
    DISABLED = "disabled"
    ENDED_BY_USER = "ended_by_user"

    @classmethod
    def labels(cls):
        return {
            cls.LOGOUT: _l("Logged out"),
            cls.IDLE: _l("Inactive for too long"),
            cls.EXPIRED: _l("Reached its maximum length"),
            cls.PASSWORD_CHANGED: _l("Password changed"),
            cls.DISABLED: _l("Account disabled"),
            cls.ENDED_BY_USER: _l("Ended from the account page"),
        }


# Every login stamps last_login_at: recording it would bury the real changes.
@audited(label=_l("User"), exclude=("last_login_at",), redact=("password_hash",))
class User(Base):
    """A person who logs in; the e-mail is stored lowercased so comparisons ignore case."""

    __tablename__ = "user_account"  # "user" is a reserved word in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # None until the person sets a password through their invitation link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(2), default="ru")
    # The currency the dashboard shows coalition totals in; None: the configured default.
    reporting_currency: Mapped[str | None] = mapped_column(String(3), ForeignKey("currency.code"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Days ahead of a deadline the user is reminded, e.g. "14,7,1"; empty: no reminders.
    reminder_days: Mapped[str] = mapped_column(String(60), default=DEFAULT_REMINDER_DAYS,
                                               server_default=DEFAULT_REMINDER_DAYS)

    organization: Mapped[Organization | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.id"
    )

    # The duck type templates and permission checks rely on; AnonymousUser mirrors it.
    is_authenticated = True

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def led_campaign_ids(self) -> set[int]:
        """Ids of the campaigns this user leads through a membership."""
        return {m.campaign_id for m in self.memberships if m.role == MembershipRole.LEAD}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"


@audited(label=_l("Campaign membership"), parent="campaign_id", summary=(),
         named_by="user_id")
class Membership(Base):
    """A user's role in one campaign: what lets a campaign lead edit that campaign's records."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "campaign_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MembershipRole] = mapped_column(
        str_enum(MembershipRole, "membership_role"), default=MembershipRole.LEAD
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    campaign: Mapped[Campaign] = relationship()


class UserSession(Base):
    """One login: the browser's cookie holds a random token whose SHA-256 is stored here.

    Every request checks this row, so logging out, a password change or disabling
    the account ends the session on the server, and a copied cookie stops working.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[SessionEnd | None] = mapped_column(str_enum(SessionEnd, "session_end"))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")

    user: Mapped[User] = relationship()


@audited(label=_l("Invitation"), parent="user_id", summary=(), redact=("token_hash",))
class Invite(Base):
    """A one-time link to set a password: for a new user, or again when one was forgotten.

    Only the SHA-256 of the token is stored; the link is shown to the admin once.
    """

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a newer link replaces this one or the account is disabled.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class RescuedForm(Base):
    """What a person typed into a form that could not be saved because the session had ended.

    Kept under a one-time key (only its SHA-256 here) until the form is shown again,
    pre-filled, after logging in; read once, then deleted. Old ones are swept.
    """

    __tablename__ = "rescued_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Known when the CSRF token was stale but the session alive; then only that user gets it back.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str] = mapped_column(String(500))
    fields: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class FailedLogins(Base):
    """Failed logins to an account since its last successful one: what its owner is told next.

    One row per account being guessed, counted up by each refused password and
    taken away by the next successful login. Not audited: it is a security notice,
    and the audit trail would otherwise grow with every guess.
    """

    __tablename__ = "failed_logins"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_address: Mapped[str] = mapped_column(String(45), default="")
