"""Each campaign's funding gap, kept as a roll-up in the same transaction as every change.

For a campaign, in the currency of its funding targets (the earliest target's):
- target: the sum of its targets' budget lines (a target in another currency converted
  at the rate of its start date);
- awarded: awarded grants, at the rate of the decision date;
- received: payments to its drives, at the rate of each payment's date;
- pledged: the unpaid rest of open pledges, at the rate of each pledge's date;
- pipeline: submitted and under-review requests weighted by probability, at today's rate;
- secured = awarded + received; gap = target - secured.

Every sum comes from SQL per currency and date and is converted by the one rule of
tracker.money.services (add_converted); a missing rate is named, never a zero.

Keeping the roll-up fresh is tracker.funding.rollups' job, for drive totals and
campaign funding alike: a flush marks what changed, and just before the transaction
commits `refresh_campaign_funding` recomputes each changed campaign's row under a row
lock, after the changed drives' totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from flask import current_app, has_app_context
from sqlalchemy import func, select

from tracker.applications.models import Application, ApplicationStatus
from tracker.campaigns.models import Campaign
from tracker.dates import stored_date
from tracker.db import utcnow
from tracker.drives.models import Drive
from tracker.drives.rollup import DriveMoney, drive_money, refresh_drive_totals
from tracker.extensions import db
from tracker.funding.buckets import campaign_bucket_totals, rebuild_campaign_buckets
from tracker.funding.models import CampaignFunding
from tracker.money.conversion import (
    DatedSum,
    MissingPair,
    RateBook,
    add_converted,
)
from tracker.money.value import Money
from tracker.targets.models import BudgetLine, FundingTarget

# How many missing rates a roll-up row names (the count of amounts left out is exact).
MISSING_KEPT = 20
PIPELINE = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
FALLBACK_CURRENCY = "USD"



# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """A campaign's funding figures in one currency, with what could not be converted."""

    currency: str
    target: Money | None
    awarded: Money
    received: Money
    pledged: Money
    pipeline: Money
    unconverted: int = 0
    missing: tuple[MissingPair, ...] = ()

    # Kept once worked out: the figures are frozen, and a dashboard of 200 campaigns sorted
    # and added up its gaps some 400 times a request (issue 15).
    @cached_property
    def secured(self) -> Money:
        """Awarded grants plus money received."""
        return self.awarded + self.received

    @cached_property
    def gap(self) -> Money | None:
        """What the target still lacks once secured money is counted (never below zero)."""
        if self.target is None:
            return None
        rest = self.target - self.secured
        return rest if rest.amount > 0 else Money.zero(self.currency)

    @property
    def surplus(self) -> Money | None:
        """Secured money beyond the target, if any."""
        if self.target is None or self.secured.amount <= self.target.amount:
            return None
        return self.secured - self.target

    @property
    def secured_percent(self) -> int | None:
        """Secured as a whole percent of the target (None without a target)."""
        if self.target is None or self.target.amount <= 0:
            return None
        return int(self.secured.amount * 100 / self.target.amount)

    def bar(self) -> list[Segment]:
        """The stacked bar's parts, as fractions of the larger of the target and the total."""
        parts = [("awarded", self.awarded), ("received", self.received),
                 ("pledged", self.pledged), ("pipeline", self.pipeline)]
        counted = sum((money.amount for _, money in parts), Decimal(0))
        scale = max(counted, self.target.amount if self.target else Decimal(0))
        if scale <= 0:
            return []
        segments: list[Segment] = []
        start = Decimal(0)
        for kind, money in parts:
            if money.amount <= 0:
                continue
            width = money.amount / scale
            segments.append(Segment(kind, money, start, width))
            start += width
        return segments

    def target_mark(self) -> Decimal | None:
        """Where the target falls on the bar (in percent) when the money counted exceeds it."""
        if self.target is None or self.target.amount <= 0:
            return None
        counted = (self.secured + self.pledged + self.pipeline).amount
        if counted <= self.target.amount:
            return None
        return (self.target.amount * 100 / counted).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Segment:
    """One part of the stacked bar: its kind, its money, where it starts and how wide it is."""

    kind: str
    money: Money
    start: Decimal
    width: Decimal

    @property
    def start_percent(self) -> Decimal:
        return (self.start * 100).quantize(Decimal("0.01"))

    @property
    def width_percent(self) -> Decimal:
        return (self.width * 100).quantize(Decimal("0.01"))


def default_currency() -> str:
    """The reporting currency when nothing else says: TRACKER_REPORTING_CURRENCY or USD."""
    if has_app_context():
        return str(current_app.config.get("REPORTING_CURRENCY") or FALLBACK_CURRENCY)
    return FALLBACK_CURRENCY


def gap_of_row(row: CampaignFunding) -> Gap:
    """The figures of a stored roll-up row."""
    currency = row.currency

    def money(minor: int) -> Money:
        return Money.stored(minor, currency)

    return Gap(
        currency=currency,
        target=None if row.target_minor is None else money(row.target_minor),
        awarded=money(row.awarded_minor), received=money(row.received_minor),
        pledged=money(row.pledged_minor), pipeline=money(row.pipeline_minor),
        unconverted=row.unconverted,
        missing=tuple(MissingPair(date.fromisoformat(on), base, quote)
                      for base, quote, on in row.missing or ()),
    )


def campaign_gap(campaign: Campaign) -> Gap:
    """The campaign's figures: from its roll-up row, or computed when it has none yet."""
    row = db.session.get(CampaignFunding, campaign.id)
    return gap_of_row(row) if row is not None else compute_gap(campaign.id)


def gaps_of(campaign_ids: Iterable[int]) -> dict[int, Gap]:
    """Several campaigns' figures from their roll-up rows (one query; computed if missing)."""
    ids = list(campaign_ids)
    rows = {row.campaign_id: row for row in db.session.scalars(
        select(CampaignFunding).where(CampaignFunding.campaign_id.in_(ids)))} if ids else {}
    return {campaign_id: gap_of_row(rows[campaign_id]) if campaign_id in rows
            else compute_gap(campaign_id) for campaign_id in ids}


# --- computing ---------------------------------------------------------------------------


def funding_currency(campaign_id: int) -> str:
    """The currency of the campaign's earliest funding target (the default without one)."""
    currency = db.session.scalar(
        select(FundingTarget.currency).where(FundingTarget.campaign_id == campaign_id)
        .order_by(FundingTarget.starts_on, FundingTarget.id).limit(1)
    )
    return currency or default_currency()


def _target_sums(campaign_id: int) -> tuple[bool, list[DatedSum]]:
    """Whether the campaign has a target, and its targets' totals by currency and start."""
    has_target = db.session.scalar(
        select(func.count()).select_from(FundingTarget)
        .where(FundingTarget.campaign_id == campaign_id)
    )
    rows = db.session.execute(
        select(FundingTarget.currency, FundingTarget.starts_on, func.sum(BudgetLine.total_minor))
        .join(BudgetLine, BudgetLine.target_id == FundingTarget.id)
        .where(FundingTarget.campaign_id == campaign_id)
        .group_by(FundingTarget.currency, FundingTarget.starts_on)
    )
    return bool(has_target), [DatedSum(currency, on, int(minor)) for currency, on, minor in rows]


def _awarded_sums(campaign_id: int, today: date) -> list[DatedSum]:
    decided = func.coalesce(Application.decision_date, today)
    rows = db.session.execute(
        select(Application.awarded_currency, decided, func.sum(Application.awarded_minor),
               func.count())
        .where(Application.campaign_id == campaign_id,
               Application.status == ApplicationStatus.AWARDED,
               Application.awarded_minor.is_not(None))
        .group_by(Application.awarded_currency, decided)
    )
    return [DatedSum(currency, stored_date(on), int(minor), int(count))
            for currency, on, minor, count in rows if currency is not None and minor is not None]


def _pipeline_sums(campaign_id: int, today: date) -> list[DatedSum]:
    """Requests weighted by probability: SUM(requested × percent) / 100, per currency."""
    rows = db.session.execute(
        select(Application.currency,
               func.sum(Application.requested_minor * Application.probability), func.count())
        .where(Application.campaign_id == campaign_id, Application.status.in_(PIPELINE))
        .group_by(Application.currency)
    )
    return [DatedSum(currency, today, Decimal(int(weighted)) / 100, int(count))
            for currency, weighted, count in rows]


@dataclass
class _Computed:
    currency: str
    target_minor: int | None
    awarded_minor: int
    received_minor: int
    pledged_minor: int
    pipeline_minor: int
    unconverted: int
    missing: list[MissingPair] = field(default_factory=list)


def _compute(campaign_id: int, today: date | None = None, *,
             currency: str | None = None, from_buckets: bool = False) -> _Computed:
    """The campaign's figures; received and pledged summed from its pledges and payments,
    or (`from_buckets`, the everyday path) from its buckets, which hold the same sums."""
    today = today or utcnow().date()
    currency = currency or funding_currency(campaign_id)
    has_target, targets = _target_sums(campaign_id)
    awarded = _awarded_sums(campaign_id, today)
    pipeline = _pipeline_sums(campaign_id, today)
    if from_buckets:
        money = DriveMoney([], [])
        stored = campaign_bucket_totals(campaign_id, currency)
    else:
        money = drive_money(select(Drive.id).where(Drive.campaign_id == campaign_id))
    groups = (targets, awarded, pipeline, money.received, money.pledged)
    book = RateBook.load({currency} | {item.currency for group in groups for item in group})
    target, awarded_total, pipeline_total, received, pledged = (
        add_converted(group, currency, book) for group in groups)
    parts = (target, awarded_total, pipeline_total, received, pledged)
    missing = {pair for part in parts for pair in part.missing}
    received_minor, pledged_minor = received.money.minor, pledged.money.minor
    unconverted = sum(part.unconverted for part in parts) + money.unknown_rest
    if from_buckets:
        received_minor += stored.contribution.received
        pledged_minor += stored.contribution.pledged
        unconverted += stored.contribution.unconverted
        missing |= set(stored.missing)
    return _Computed(
        currency=currency,
        target_minor=target.money.minor if has_target else None,
        awarded_minor=awarded_total.money.minor,
        received_minor=received_minor,
        pledged_minor=pledged_minor,
        pipeline_minor=pipeline_total.money.minor,
        unconverted=unconverted,
        missing=sorted(missing),
    )


def compute_funding(campaign_id: int) -> _Computed:
    """The campaign's stored figures as summing its pledges and payments gives them now."""
    return _compute(campaign_id)


def compute_gap(campaign_id: int, today: date | None = None) -> Gap:
    """The campaign's figures computed now from SQL sums, without storing them."""
    fresh = _compute(campaign_id, today)

    def money(minor: int) -> Money:
        return Money.stored(minor, fresh.currency)

    return Gap(
        currency=fresh.currency,
        target=None if fresh.target_minor is None else money(fresh.target_minor),
        awarded=money(fresh.awarded_minor), received=money(fresh.received_minor),
        pledged=money(fresh.pledged_minor), pipeline=money(fresh.pipeline_minor),
        unconverted=fresh.unconverted, missing=tuple(fresh.missing[:MISSING_KEPT]),
    )


def refresh_campaign_funding(campaign_id: int, rebuild: bool = False) -> CampaignFunding | None:
    """Recompute a campaign's roll-up row in this transaction, under a row lock.

    Targets, grants and the pipeline are summed afresh (they are few); received and
    pledged come from the campaign's buckets (funding.buckets), rebuilt from its drives'
    buckets when asked, when the funding currency moved or on the first refresh. The
    row is locked first (FOR UPDATE on PostgreSQL; SQLite has one writer), so a second
    writer waits and then sums what the first committed. None if the campaign no longer
    exists.
    """
    if db.session.get(Campaign, campaign_id) is None:
        return None
    row = db.session.scalar(
        select(CampaignFunding).where(CampaignFunding.campaign_id == campaign_id)
        .with_for_update().execution_options(populate_existing=True)
    )
    currency = funding_currency(campaign_id)
    if rebuild or row is None or row.currency != currency:
        rebuild_campaign_buckets(campaign_id, currency)
    fresh = _compute(campaign_id, currency=currency, from_buckets=True)
    if row is None:
        row = CampaignFunding(campaign_id=campaign_id)
        db.session.add(row)
    row.currency = fresh.currency
    row.target_minor = fresh.target_minor
    row.awarded_minor = fresh.awarded_minor
    row.received_minor = fresh.received_minor
    row.pledged_minor = fresh.pledged_minor
    row.pipeline_minor = fresh.pipeline_minor
    row.unconverted = fresh.unconverted
    row.missing = [[pair.base, pair.quote, pair.on.isoformat()]
                   for pair in fresh.missing[:MISSING_KEPT]]
    row.refreshed_at = utcnow()
    db.session.flush()
    return row


def refresh_all_campaign_funding() -> int:
    """Recompute every campaign's roll-up and buckets from its drives' buckets."""
    ids = list(db.session.scalars(select(Campaign.id).order_by(Campaign.id)))
    for campaign_id in ids:
        refresh_campaign_funding(campaign_id, rebuild=True)
    return len(ids)


def refresh_all_rollups() -> tuple[int, int]:
    """Rebuild every drive's buckets and totals from its rows, then every campaign's."""
    drive_ids = list(db.session.scalars(select(Drive.id).order_by(Drive.id)))
    for drive_id in drive_ids:
        refresh_drive_totals(drive_id)
    return len(drive_ids), refresh_all_campaign_funding()
