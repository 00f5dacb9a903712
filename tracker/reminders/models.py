"""Who follows an application, and each campaign's gap as the weekly digest last saw it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.applications.models import Application
from tracker.auth.models import User
from tracker.db import Base, UTCDateTime, utcnow


class ApplicationFollower(Base):
    """A user who asked to be reminded of an application's deadlines (a fundraiser, mostly).

    Its author and its campaign's leads are reminded without following it.
    """

    __tablename__ = "application_follower"
    __table_args__ = (UniqueConstraint("application_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application] = relationship()
    user: Mapped[User] = relationship()


class GapSnapshot(Base):
    """A campaign's funding gap when the weekly digest of an ISO week was first made.

    The digest compares today's gap with the latest earlier snapshot: the roll-ups keep
    only the present, and a past gap cannot be recomputed once targets, awards or
    rates have changed. `gap_minor` is NULL for a campaign without a target.
    """

    __tablename__ = "gap_snapshot"
    __table_args__ = (UniqueConstraint("campaign_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    # The Monday of the ISO week the snapshot belongs to.
    week_start: Mapped[date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    gap_minor: Mapped[int | None] = mapped_column(BigInteger)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
