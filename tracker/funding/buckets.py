"""A campaign's received and pledged figures kept by deltas, like a drive's.

A campaign bucket is the sum of its drives' buckets of the same kind, currency and date
(drives.buckets), converted into the campaign's funding currency by the one rule. A
write recomputes the campaign buckets its drive buckets touched (locked in key order,
after the campaign's funding row, itself after the drives' totals and buckets: the one
order of drives.buckets.lock_drive_totals) and adds the difference to campaign_funding
atomically. The
figures are exactly what summing the campaign's pledges and payments gives
(funding.services.compute_gap), at a cost that does not grow with the pledges.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func, select, tuple_, update

from tracker.db import utcnow
from tracker.drives.buckets import (
    BucketKey,
    Contribution,
    Figures,
    contribution,
    convert_figures,
    lock_buckets,
    run_rollup,
    write_buckets,
    write_buckets_and_add,
)
from tracker.drives.models import Drive, DriveMoneyBucket
from tracker.extensions import db
from tracker.funding.models import CampaignFunding, CampaignMoneyBucket
from tracker.money.conversion import MissingPair, RateBook
from tracker.targets.models import FundingTarget


def campaign_keys(drive_keys: Iterable[BucketKey]) -> set[BucketKey]:
    """The campaign buckets that hold the given drive buckets."""
    keys = list(drive_keys)
    campaigns = dict(db.session.execute(
        select(Drive.id, Drive.campaign_id).where(Drive.id.in_({key.owner_id for key in keys}))
    ).all()) if keys else {}
    return {BucketKey(campaigns[key.owner_id], key.kind, key.currency, key.on)
            for key in keys if key.owner_id in campaigns}


def drive_bucket_sums(campaign_id: int,
                key: BucketKey | None = None) -> list[tuple[str, str, date, Figures]]:
    """The campaign's drive buckets added up by kind, currency and date (or for one key)."""
    return _drive_bucket_sums(campaign_id, None if key is None else [key])


def _drive_bucket_sums(campaign_id: int, keys: list[BucketKey] | None
                       ) -> list[tuple[str, str, date, Figures]]:
    params: dict[str, Any] = {"campaign_id": campaign_id}
    if keys is not None:
        params["keys"] = [(key.kind, key.currency, key.on) for key in keys]
    rows = run_rollup(db.session(), _sums_query(keys is not None), params)
    return [(kind, cur, day, Figures(int(minor or 0), int(count or 0), int(unknown or 0)))
            for kind, cur, day, minor, count, unknown in rows]


@functools.lru_cache(maxsize=1)
def _drive_sums_of_row() -> tuple[Any, ...]:
    """A campaign bucket's fresh figures as columns correlated to its row: the sums of its
    drives' buckets of the same kind, currency and date (Figures' first three)."""
    bucket = CampaignMoneyBucket
    of_row = (DriveMoneyBucket.kind == bucket.kind, DriveMoneyBucket.currency == bucket.currency,
              DriveMoneyBucket.on_date == bucket.on_date,
              # Correlated explicitly: nested in the sum, it would list the bucket table
              # in its own FROM instead (every campaign's drives, and a scan).
              DriveMoneyBucket.drive_id.in_(select(Drive.id)
                                            .where(Drive.campaign_id == bucket.campaign_id)
                                            .correlate(bucket)))
    return tuple(select(func.coalesce(func.sum(column), 0)).where(*of_row)
                 .correlate(bucket).scalar_subquery()
                 for column in (DriveMoneyBucket.minor, DriveMoneyBucket.count,
                                DriveMoneyBucket.unknown_rest))


@functools.lru_cache(maxsize=2)
def _sums_query(some_keys: bool) -> Any:
    """_drive_bucket_sums' query, for some keys (bound as `keys`) or all, built once."""
    where: list[Any] = [DriveMoneyBucket.drive_id.in_(
        select(Drive.id).where(Drive.campaign_id == bindparam("campaign_id")))]
    if some_keys:
        # A row-value IN here (the OR of keys makes SQLite scan the buckets twice).
        where.append(tuple_(DriveMoneyBucket.kind, DriveMoneyBucket.currency,
                            DriveMoneyBucket.on_date).in_(bindparam("keys", expanding=True)))
    return (select(DriveMoneyBucket.kind, DriveMoneyBucket.currency, DriveMoneyBucket.on_date,
                   func.sum(DriveMoneyBucket.minor), func.sum(DriveMoneyBucket.count),
                   func.sum(DriveMoneyBucket.unknown_rest))
            .where(*where)
            .group_by(DriveMoneyBucket.kind, DriveMoneyBucket.currency,
                      DriveMoneyBucket.on_date))


@dataclass(frozen=True)
class FundingRow:
    """A campaign's stored roll-up currency and its funding currency now (None: no target)."""

    stored: str
    target: str | None


def lock_campaign_funding(campaign_ids: Iterable[int]) -> dict[int, FundingRow]:
    """Lock campaigns' funding rows in campaign id order (after the drives' totals, before
    any campaign bucket: drives.buckets.lock_drive_totals), with their currencies.

    Campaigns without a funding row yet are left out (they are refreshed in full).
    """
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    rows = run_rollup(db.session(), _funding_lock_query(len(ids)),
                      {f"id_{n}": campaign_id for n, campaign_id in enumerate(ids)})
    return {campaign_id: FundingRow(stored, first) for campaign_id, stored, first in rows}


@functools.lru_cache(maxsize=16)
def _funding_lock_query(size: int) -> Any:
    """lock_campaign_funding's query for `size` campaigns (bound as id_0 ...), built once."""
    target = (select(FundingTarget.currency)
              .where(FundingTarget.campaign_id == CampaignFunding.campaign_id)
              .order_by(FundingTarget.starts_on, FundingTarget.id).limit(1).scalar_subquery())
    return (select(CampaignFunding.campaign_id, CampaignFunding.currency, target)
            .where(CampaignFunding.campaign_id.in_([bindparam(f"id_{n}") for n in range(size)]))
            .order_by(CampaignFunding.campaign_id).with_for_update(of=CampaignFunding))


def update_campaign_buckets(keys: Iterable[BucketKey], currencies: dict[int, str],
                            stored: dict[int, str] | None = None) -> set[int]:
    """Recompute the touched campaign buckets and add their deltas to campaign_funding.

    `currencies` gives each campaign's funding currency, `stored` the currency of its
    funding row, locked already (lock_campaign_funding; read here without it). Returns
    the campaigns to refresh in full: those without a funding row in that currency, and
    those where a bucket's missing rate came or went (the row names the missing rates).
    """
    session = db.session()
    refresh: set[int] = set()
    keys = sorted(set(keys))
    if stored is None:
        stored = dict(session.execute(
            select(CampaignFunding.campaign_id, CampaignFunding.currency)
            .where(CampaignFunding.campaign_id.in_({key.owner_id for key in keys}))).all()
        ) if keys else {}
    for key in keys:
        if stored.get(key.owner_id) != currencies[key.owner_id]:
            refresh.add(key.owner_id)
    keys = [key for key in keys if key.owner_id not in refresh]
    # The drive buckets' sums come with the lock (their drives' writers all wait on the
    # campaign's funding row, locked already); a bucket just created is summed apart.
    rows = lock_buckets(session, CampaignMoneyBucket, CampaignMoneyBucket.campaign_id, keys,
                        _drive_sums_of_row())
    sums = {key: row.summed for key, row in rows.items() if row.summed is not None}
    unsummed = [key for key in keys if key not in sums]
    for campaign_id in sorted({key.owner_id for key in unsummed}):
        own = [key for key in unsummed if key.owner_id == campaign_id]
        sums.update({key: Figures() for key in own})
        for kind, cur, day, figures in _drive_bucket_sums(campaign_id, own):
            sums[BucketKey(campaign_id, kind, cur, day)] = figures
    book = RateBook.for_days({key.currency for key in keys}
                             | {currencies[key.owner_id] for key in keys},
                             {key.on for key in keys})
    deltas: dict[int, Contribution] = {}
    writes: list[tuple[BucketKey, Figures, int | None]] = []
    for key in keys:
        old, old_converted, _summed = rows[key]
        fresh = sums[key]
        to = currencies[key.owner_id]
        converted = convert_figures(key.kind, fresh, key.currency, key.on, to, book)
        if (old_converted is None) != (converted is None):
            # The rates the funding row names as missing changed. A bucket that stays
            # without its rate keeps its name there; its count moves by the delta below.
            refresh.add(key.owner_id)
        if fresh == old and converted == old_converted:
            continue
        writes.append((key, fresh, converted))
        delta = (contribution(key.kind, fresh, converted)
                 - contribution(key.kind, old, old_converted))
        deltas[key.owner_id] = deltas.get(key.owner_id, Contribution()) + delta
    adds = [(campaign_id, delta) for campaign_id, delta in sorted(deltas.items())
            if campaign_id not in refresh and any(delta.values())]
    if len(adds) == 1:  # the usual write: one campaign, its buckets and funding at once
        write_buckets_and_add(session, CampaignMoneyBucket, CampaignMoneyBucket.campaign_id,
                              writes, _ADD_TO_FUNDING, _funding_delta_params(session, *adds[0]))
        return refresh
    write_buckets(session, CampaignMoneyBucket, CampaignMoneyBucket.campaign_id, writes)
    for campaign_id, delta in adds:
        run_rollup(session, _ADD_TO_FUNDING, _funding_delta_params(session, campaign_id, delta))
    return refresh


def _funding_delta_params(session: Any, campaign_id: int, delta: Contribution
                          ) -> dict[str, Any]:
    """_ADD_TO_FUNDING's parameters; the campaign's funding loaded as an object goes stale."""
    row = session.identity_map.get(session.identity_key(CampaignFunding, (campaign_id,)))
    if row is not None:
        session.expire(row)
    return {"funding_of": campaign_id, "add_received": delta.received,
            "add_pledged": delta.pledged, "add_unconverted": delta.unconverted,
            "now": utcnow()}


_ADD_TO_FUNDING = (
    update(CampaignFunding).where(CampaignFunding.campaign_id == bindparam("funding_of"))
    .values(received_minor=CampaignFunding.received_minor + bindparam("add_received"),
            pledged_minor=CampaignFunding.pledged_minor + bindparam("add_pledged"),
            unconverted=CampaignFunding.unconverted + bindparam("add_unconverted"),
            # Set here, not by the column's onupdate: a statement carrying the buckets' writes
            # as CTEs (write_buckets_and_add) would bind it as NULL.
            refreshed_at=bindparam("now", type_=CampaignFunding.refreshed_at.type)))


def rebuild_campaign_buckets(campaign_id: int, currency: str) -> None:
    """Replace a campaign's buckets by fresh sums of its drives' buckets, converted."""
    db.session.execute(delete(CampaignMoneyBucket)
                       .where(CampaignMoneyBucket.campaign_id == campaign_id)
                       .execution_options(synchronize_session=False))
    rows = drive_bucket_sums(campaign_id)
    if not rows:
        return
    book = RateBook.load({currency, *(cur for _kind, cur, _day, _figures in rows)})
    db.session.execute(CampaignMoneyBucket.__table__.insert(), [  # type: ignore[attr-defined]
        {"campaign_id": campaign_id, "kind": kind, "currency": cur, "on_date": day,
         "minor": figures.minor, "count": figures.count, "unknown_rest": figures.unknown_rest,
         "converted_minor": convert_figures(kind, figures, cur, day, currency, book)}
        for kind, cur, day, figures in rows])


@dataclass(frozen=True)
class BucketTotals:
    """A campaign's received and pledged figures as the sum of its buckets."""

    contribution: Contribution
    missing: list[MissingPair]


def campaign_bucket_totals(campaign_id: int, currency: str) -> BucketTotals:
    """Sum a campaign's buckets (SQL), and name the rates its buckets lack."""
    total = Contribution()
    for kind, converted, unknown in db.session.execute(
            select(CampaignMoneyBucket.kind, func.sum(CampaignMoneyBucket.converted_minor),
                   func.sum(CampaignMoneyBucket.unknown_rest))
            .where(CampaignMoneyBucket.campaign_id == campaign_id)
            .group_by(CampaignMoneyBucket.kind)):
        total += contribution(kind, Figures(0, 0, int(unknown or 0)), int(converted or 0))
    missing: list[MissingPair] = []
    for kind, cur, day, count in db.session.execute(
            select(CampaignMoneyBucket.kind, CampaignMoneyBucket.currency,
                   CampaignMoneyBucket.on_date, CampaignMoneyBucket.count)
            .where(CampaignMoneyBucket.campaign_id == campaign_id,
                   CampaignMoneyBucket.converted_minor.is_(None))):
        total += contribution(kind, Figures(0, int(count)), None)
        missing.append(MissingPair(day, cur, currency))
    return BucketTotals(total, missing)
