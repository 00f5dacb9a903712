"""The coordinators' weekly digest: gaps that moved, new pledges, deadlines, collisions.

Gaps that moved: the campaign funding roll-ups hold only the present, and a past gap
cannot be recomputed once targets, awards or rates have changed since. So the digest
keeps each campaign's gap as it found it the first time it ran in an ISO week (a
GapSnapshot) and compares today's gap with the latest earlier week's snapshot: what
moved since the previous digest. The first digest has nothing to compare with yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tracker.applications.deadlines import Deadline, open_deadlines
from tracker.applications.pipeline import Collision, all_collisions
from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign
from tracker.drives.models import Drive, Pledge, PledgeStatus
from tracker.extensions import db
from tracker.funding.services import gaps_of
from tracker.mail.outbox import queue_message
from tracker.money.value import Money
from tracker.reminders.models import GapSnapshot
from tracker.urls import external_url

KIND = "weekly_digest"
DIGEST_ROLES = (Role.COORDINATOR, Role.ADMIN)
DEADLINE_DAYS = 30
PLEDGES_LISTED = 50
# Pledges nobody has confirmed yet, and those turned down or called off, are no news.
NOT_COUNTED = (PledgeStatus.UNCONFIRMED, PledgeStatus.REJECTED, PledgeStatus.CANCELLED)


@dataclass(frozen=True)
class GapMove:
    """A campaign whose gap changed since the previous digest (None: it had no target)."""

    campaign: Campaign
    before: Money | None
    after: Money | None

    @property
    def change(self) -> Money | None:
        """after - before when both are in one currency (negative: the gap narrowed)."""
        if self.before is None or self.after is None or \
                self.before.currency != self.after.currency:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class Digest:
    """What one week's digest says; the same for every recipient, rendered in each language."""

    week: str
    period_start: date
    period_end: date
    first: bool
    moves: list[GapMove]
    pledges: list[Pledge]
    pledge_count: int
    deadlines: list[Deadline]
    collisions: list[Collision]


def week_of(today: date) -> tuple[str, date]:
    """The ISO week ('2026-W49') and its Monday."""
    iso = today.isocalendar()
    return f"{iso.year}-W{iso.week:02d}", today - timedelta(days=today.weekday())


def _gap_moves(week_start: date) -> tuple[bool, list[GapMove]]:
    """Record this week's snapshots (first run of the week only); compare with the last ones."""
    campaigns = list(db.session.scalars(select(Campaign).order_by(Campaign.id)))
    gaps = gaps_of(campaign.id for campaign in campaigns)
    latest = (select(GapSnapshot.campaign_id, func.max(GapSnapshot.week_start).label("week"))
              .where(GapSnapshot.week_start < week_start)
              .group_by(GapSnapshot.campaign_id).subquery())
    before = {snapshot.campaign_id: snapshot for snapshot in db.session.scalars(
        select(GapSnapshot).join(latest, (latest.c.campaign_id == GapSnapshot.campaign_id)
                                 & (latest.c.week == GapSnapshot.week_start)))}
    taken = set(db.session.scalars(select(GapSnapshot.campaign_id)
                                   .where(GapSnapshot.week_start == week_start)))
    moves = []
    for campaign in campaigns:
        now = gaps[campaign.id].gap
        if campaign.id not in taken:
            try:
                with db.session.begin_nested():
                    db.session.add(GapSnapshot(
                        campaign_id=campaign.id, week_start=week_start,
                        currency=gaps[campaign.id].currency,
                        gap_minor=None if now is None else now.minor))
            except IntegrityError:
                pass  # another scheduler took this week's snapshot a moment ago
        previous = before.get(campaign.id)
        if previous is None:
            continue
        then = Money.from_minor(previous.gap_minor, previous.currency)
        if then != now:
            moves.append(GapMove(campaign, then, now))
    return not before, moves


def build_digest(today: date) -> Digest:
    """Gather the week's digest (and take this week's gap snapshots)."""
    week, week_start = week_of(today)
    first, moves = _gap_moves(week_start)
    period_start, period_end = today - timedelta(days=7), today - timedelta(days=1)
    in_period = (Pledge.pledged_on >= period_start, Pledge.pledged_on <= period_end,
                 Pledge.status.not_in(NOT_COUNTED))
    pledges = list(db.session.scalars(
        select(Pledge).options(joinedload(Pledge.drive).joinedload(Drive.campaign))
        .where(*in_period).order_by(Pledge.pledged_on.desc(), Pledge.id.desc())
        .limit(PLEDGES_LISTED)))
    count = db.session.scalar(select(func.count()).select_from(Pledge).where(*in_period)) or 0
    return Digest(week=week, period_start=period_start, period_end=period_end, first=first,
                  moves=moves, pledges=pledges, pledge_count=count,
                  deadlines=open_deadlines(today, until=today + timedelta(days=DEADLINE_DAYS)),
                  collisions=all_collisions(deadline_from=today))


def send_weekly_digest(today: date) -> int:
    """Queue this week's digest to every active coordinator and admin; commits; messages queued.

    One message per (user, ISO week): a rerun, or a second scheduler, queues nothing new.
    """
    recipients = list(db.session.scalars(
        select(User).where(User.role.in_(DIGEST_ROLES), User.is_active.is_(True))
        .order_by(User.id)))
    if not recipients:
        return 0
    digest = build_digest(today)
    queued = 0
    for user in recipients:
        message = queue_message(
            kind=KIND, recipient=user.email, language=user.language,
            subject=_l("Tracker: the week in funding (%(week)s)", week=digest.week),
            context={"digest": digest, "today": today,
                     "dashboard_link": external_url("dashboard.index"),
                     "deadlines_link": external_url("applications.deadlines")},
            unique_key=f"digest:{user.id}:{digest.week}")
        queued += message is not None
    db.session.commit()
    return queued
