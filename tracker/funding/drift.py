"""Checking the roll-ups kept by deltas against a full recompute from the rows.

Drive totals are compared with drives.rollup.compute_drive_totals, a drive's buckets
with fresh sums of its pledges and payments, a campaign's funding with
funding.services' full computation, and its buckets with the sums of its drives'
buckets. Nothing is written: `check-totals` reports, `refresh-funding` repairs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.campaigns.models import Campaign
from tracker.drives import buckets as drive_buckets
from tracker.drives.models import Drive, DriveMoneyBucket, DriveTotals
from tracker.drives.rollup import compute_drive_totals
from tracker.extensions import db
from tracker.funding import buckets as campaign_buckets
from tracker.funding.models import CampaignFunding, CampaignMoneyBucket
from tracker.funding.services import compute_funding, funding_currency
from tracker.money.conversion import RateBook

DRIVE_FIGURES = ("received_minor", "pledged_minor", "supporters", "listed", "unconverted")
CAMPAIGN_FIGURES = ("currency", "target_minor", "awarded_minor", "received_minor",
                    "pledged_minor", "pipeline_minor", "unconverted")


@dataclass(frozen=True)
class Drift:
    """One stored figure that differs from its recomputation."""

    record: str
    figure: str
    stored: object
    computed: object


@dataclass(frozen=True)
class DriftReport:
    """Every drift found, and how many drives and campaigns were checked."""

    drifts: list[Drift]
    drives: int
    campaigns: int


BucketState = tuple[drive_buckets.Figures, int | None]


def _stored_buckets(rows: Any) -> dict[tuple[str, str, date], BucketState]:
    """Stored buckets by key, leaving out empty ones (a write may leave a bucket at zero)."""
    return {(row.kind, row.currency, row.on_date): (drive_buckets.figures_of(row),
                                                    row.converted_minor)
            for row in rows
            if drive_buckets.figures_of(row) != drive_buckets.Figures()}


def _compare(record: str, stored: Any, fresh: Any, names: tuple[str, ...]) -> Iterator[Drift]:
    for name in names:
        if getattr(stored, name) != getattr(fresh, name):
            yield Drift(record, name, getattr(stored, name), getattr(fresh, name))


def _compare_buckets(record: str, stored: dict[tuple[str, str, date], BucketState],
                     fresh: dict[tuple[str, str, date], BucketState]) -> Iterator[Drift]:
    for key in sorted(stored.keys() | fresh.keys()):
        if stored.get(key) != fresh.get(key):
            kind, currency, on = key
            yield Drift(record, f"bucket {kind} {currency} {on.isoformat()}",
                        stored.get(key), fresh.get(key))


def _fresh_drive_buckets(drive: Drive) -> dict[tuple[str, str, date], BucketState]:
    rows = [(drive_buckets.RECEIVED, *row) for row in drive_buckets.received_rows(drive.id)]
    rows += [(drive_buckets.PLEDGED, *row) for row in drive_buckets.pledged_rows(drive.id)]
    book = RateBook.load({drive.currency, *(cur for _kind, cur, _day, _figures in rows)})
    return {(kind, cur, day): (figures, drive_buckets.convert_figures(
                kind, figures, cur, day, drive.currency, book))
            for kind, cur, day, figures in rows if figures != drive_buckets.Figures()}


def _drive_drifts(drive: Drive) -> Iterator[Drift]:
    record = _("drive %(id)d (%(slug)s)", id=drive.id, slug=drive.slug)
    stored = db.session.get(DriveTotals, drive.id)
    fresh = compute_drive_totals(drive.id)
    if stored is None:
        yield Drift(record, "totals", None, fresh)
    else:
        computed = {"received_minor": fresh.received_minor, "pledged_minor": fresh.pledged_minor,
                    "supporters": fresh.supporters, "listed": fresh.listed,
                    "unconverted": fresh.unconverted}
        for name in DRIVE_FIGURES:
            if getattr(stored, name) != computed[name]:
                yield Drift(record, name, getattr(stored, name), computed[name])
    yield from _compare_buckets(record, _stored_buckets(db.session.scalars(
        select(DriveMoneyBucket).where(DriveMoneyBucket.drive_id == drive.id))),
        _fresh_drive_buckets(drive))


def _campaign_drifts(campaign_id: int, slug: str) -> Iterator[Drift]:
    record = _("campaign %(id)d (%(slug)s)", id=campaign_id, slug=slug)
    stored = db.session.get(CampaignFunding, campaign_id)
    fresh = compute_funding(campaign_id)
    if stored is None:
        yield Drift(record, "funding", None, fresh.received_minor)
        return
    yield from _compare(record, stored, fresh, CAMPAIGN_FIGURES)
    currency = funding_currency(campaign_id)
    sums = campaign_buckets.drive_bucket_sums(campaign_id)
    book = RateBook.load({currency, *(cur for _kind, cur, _day, _figures in sums)})
    expected = {(kind, cur, day): (figures, drive_buckets.convert_figures(
                    kind, figures, cur, day, currency, book))
                for kind, cur, day, figures in sums if figures != drive_buckets.Figures()}
    yield from _compare_buckets(record, _stored_buckets(db.session.scalars(
        select(CampaignMoneyBucket).where(CampaignMoneyBucket.campaign_id == campaign_id))),
        expected)


def find_drifts() -> DriftReport:
    """Recompute every drive's and campaign's figures from the rows and list the drifts."""
    drifts: list[Drift] = []
    drives = list(db.session.scalars(select(Drive).order_by(Drive.id)))
    for drive in drives:
        drifts.extend(_drive_drifts(drive))
    campaigns = db.session.execute(select(Campaign.id, Campaign.slug).order_by(Campaign.id)).all()
    for campaign_id, slug in campaigns:
        drifts.extend(_campaign_drifts(campaign_id, slug))
    return DriftReport(drifts, len(drives), len(campaigns))
