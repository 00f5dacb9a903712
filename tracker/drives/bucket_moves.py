"""Drive buckets moved row by row: a payment's or a pledge's delta instead of a re-sum.

A write used to sum every bucket it touched afresh from SQL (drives.buckets), which reads
all the pledges or payments of the bucket's currency and day: on the bench's big drive,
today's 3,400 pledges and 2,500 payments, 3.5 ms of a payment's 17 statements, growing
with the day's writes. Most writes change rows whose effect on their bucket is exact:

- a payment adds its amount and one to its received bucket, and takes them from the one
  it leaves (received figures are plain sums and counts);
- a pledge that stays in its bucket moves it by its figures now less its figures as the
  transaction found it, both counted by the one SQL rule (buckets._pledge_figures) with
  the pledge's payments as they are at the refresh.

Such a bucket becomes its stored figures, read under its row lock after the drive's (so
every committed writer is in them), plus the moves. Everything else is summed afresh, as
before: a pledge moved to another bucket or deleted; a payment that makes its pledge's
rest known or unknown (one without a conversion into the pledge's currency changes what
the pledge's figures count, so the second rule above needs that set unchanged); a value
whose old state the ORM did not load; a bucket this write created; and every move when a
savepoint rolled back (what it undid is not known row by row). A bucket both summed and
moved is summed: the sum reads the transaction's final rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect

from tracker.drives.buckets import (
    PLEDGED,
    RECEIVED,
    BucketKey,
    Contribution,
    DriveFacts,
    Figures,
    PledgeWas,
    add_to_drive_totals,
    contribution,
    convert_figures,
    drive_addition,
    lock_buckets,
    lock_drive_totals,
    sum_buckets_and_pledges,
    write_buckets,
    write_buckets_and_add,
)
from tracker.drives.models import Drive, DriveMoneyBucket, Payment, Pledge
from tracker.extensions import db
from tracker.money.conversion import RateBook

_UNKNOWN = object()  # an old value the ORM did not load before it was set


@dataclass
class Moves:
    """What a transaction's flushes moved, row by row, since the last refresh."""

    received: dict[BucketKey, Figures] = field(default_factory=dict)
    pledges: dict[int, tuple[BucketKey, PledgeWas]] = field(default_factory=dict)

    def keys(self) -> set[BucketKey]:
        """The buckets these moves touch."""
        return set(self.received) | {key for key, _was in self.pledges.values()}

    def receive(self, key: BucketKey, figures: Figures) -> None:
        self.received[key] = self.received.get(key, Figures()) + figures

    def without_drives(self, drive_ids: set[int]) -> Moves:
        """These moves but those of the given drives (rebuilt from their rows instead)."""
        return Moves({key: figures for key, figures in self.received.items()
                      if key.owner_id not in drive_ids},
                     {pledge_id: moved for pledge_id, moved in self.pledges.items()
                      if moved[0].owner_id not in drive_ids})


def _before(instance: Any, name: str) -> Any:
    """The attribute's value before this flush (_UNKNOWN when it was set unloaded)."""
    history = inspect(instance).attrs[name].history
    if not history.has_changes():
        return getattr(instance, name)
    return history.deleted[0] if history.deleted else _UNKNOWN


_PLEDGE_FIGURES = ("status", "amount_minor", "paid_minor")


def note_pledge(moves: Moves, pledge: Pledge, new: bool) -> bool:
    """Note a new or changed pledge that stays in its bucket; False when its bucket must be
    summed instead (it moved to another bucket, or an old value is unknown)."""
    if pledge.id in moves.pledges:
        return _stays(pledge)  # its first state in this transaction stands: deltas add up
    key = BucketKey(pledge.drive_id, PLEDGED, pledge.currency, pledge.pledged_on)
    if new:
        moves.pledges[pledge.id] = (key, PledgeWas(pledge.id, None))
        return True
    if not _stays(pledge):
        return False
    was = tuple(_before(pledge, name) for name in _PLEDGE_FIGURES)
    if _UNKNOWN in was:
        return False
    if was != tuple(getattr(pledge, name) for name in _PLEDGE_FIGURES):
        moves.pledges[pledge.id] = (key, PledgeWas(pledge.id, was))
    return True


def _stays(pledge: Pledge) -> bool:
    attrs = inspect(pledge).attrs
    return not any(attrs[name].history.has_changes()
                   for name in ("drive_id", "drive", "currency", "pledged_on"))


_PAYMENT_BUCKET = ("drive_id", "currency", "paid_on", "amount_minor")


def note_payment(moves: Moves, payment: Payment, new: bool, gone: bool) -> set[int] | None:
    """Note a payment's move between received buckets. Returns the pledges whose rest it
    made known or unknown (their pledged buckets are summed), or None when an old value is
    unknown (the caller sums every bucket the payment may touch)."""
    now = None if gone else tuple(getattr(payment, name) for name in _PAYMENT_BUCKET)
    was = None if new else tuple(_before(payment, name) for name in _PAYMENT_BUCKET)
    rest_now = None if gone else (payment.pledge_id, payment.pledge_amount_minor is None)
    rest_was = None if new else (_before(payment, "pledge_id"),
                                 _before(payment, "pledge_amount_minor"))
    if (was is not None and _UNKNOWN in was) or (rest_was is not None and _UNKNOWN in rest_was):
        return None
    if now is not None and now[0] is None:
        return None  # no drive yet: payments_follow_their_pledges did not run
    if now != was:
        for state, sign in ((was, -1), (now, 1)):
            if state is not None:
                drive_id, currency, on, minor = state
                moves.receive(BucketKey(drive_id, RECEIVED, currency, on),
                              Figures(sign * minor, sign))
    if rest_was is not None:
        rest_was = (rest_was[0], rest_was[1] is None)
    if rest_now == rest_was:
        return set()
    return {pledge_id for pledge_id, unknown in (rest_was or (None, False),
                                                 rest_now or (None, False))
            if unknown and pledge_id is not None}


def update_drive_buckets(keys: Iterable[BucketKey], drives: dict[int, DriveFacts] | None = None,
                         moves: Moves | None = None) -> tuple[list[BucketKey], set[int]]:
    """Bring the touched drive buckets up to date (`keys` summed afresh, the others by
    their `moves`) and add their deltas to the drives' totals.

    `drives` are the drives' facts with their totals rows locked (lock_drive_totals);
    without them, they are locked here. Returns the buckets that changed and the drives
    without a totals row yet (to build in full).
    """
    session = db.session()
    session.flush()
    moves = moves or Moves()
    summed = set(keys)
    moved = moves.keys() - summed
    owners = {key.owner_id for key in summed | moved}
    if drives is None:
        drives = lock_drive_totals(owners)
    without_totals = {drive_id for drive_id in owners - set(drives)
                      if session.get(Drive, drive_id) is not None}
    created: set[BucketKey] = set()
    rows = lock_buckets(session, DriveMoneyBucket, DriveMoneyBucket.drive_id,
                        [key for key in summed | moved if key.owner_id in drives],
                        created=created)
    # A bucket created now is summed: its empty row need not hold the committed rows.
    summed = {key for key in summed | (moved & created) if key.owner_id in drives}
    moved = {key for key in moved - created if key.owner_id in drives}
    pledges = [was for key, was in moves.pledges.values() if key in moved]
    sums, pledge_moves = sum_buckets_and_pledges(sorted(summed), pledges)
    for key in moved:
        sums[key] = rows[key].figures + moves.received.get(key, Figures())
    for pledge_id, (key, _was) in moves.pledges.items():
        if key in moved:
            sums[key] += pledge_moves[pledge_id]
    return _write(sorted(sums), sums, rows, drives), without_totals


def _write(keys: list[BucketKey], sums: dict[BucketKey, Figures], rows: dict[BucketKey, Any],
           drives: dict[int, DriveFacts]) -> list[BucketKey]:
    """Store the buckets' fresh figures and add their deltas to the drives' totals."""
    session = db.session()
    book = RateBook.for_days({key.currency for key in keys}
                             | {drives[key.owner_id].currency for key in keys},
                             {key.on for key in keys})
    deltas: dict[int, Contribution] = {}
    changed: list[BucketKey] = []
    writes: list[tuple[BucketKey, Figures, int | None]] = []
    for key in keys:
        old, old_converted, _summed = rows[key]
        fresh = sums[key]
        to = drives[key.owner_id].currency
        converted = convert_figures(key.kind, fresh, key.currency, key.on, to, book)
        if fresh == old and converted == old_converted:
            continue
        writes.append((key, fresh, converted))
        delta = (contribution(key.kind, fresh, converted)
                 - contribution(key.kind, old, old_converted))
        deltas[key.owner_id] = deltas.get(key.owner_id, Contribution()) + delta
        changed.append(key)
    if len(deltas) == 1:  # the usual write: one drive, its buckets and totals at once
        [(drive_id, delta)] = deltas.items()
        write_buckets_and_add(session, DriveMoneyBucket, DriveMoneyBucket.drive_id, writes,
                              *drive_addition(session, drive_id, delta))
        return changed
    write_buckets(session, DriveMoneyBucket, DriveMoneyBucket.drive_id, writes)
    for drive_id, delta in sorted(deltas.items()):
        add_to_drive_totals(session, drive_id, delta)
    return changed
