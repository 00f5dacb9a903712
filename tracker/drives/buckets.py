"""A drive's roll-up kept by deltas: the buckets it is the sum of.

The one money rule (money.conversion.add_converted) adds amounts that share a currency
and a date first, converts each sum at its date's rate, rounds it once and adds the
results. So a drive's received and pledged figures are sums of independent buckets,
one per (kind, currency, date), each converted on its own (DriveMoneyBucket). A write
recomputes from SQL only the buckets it touched, under their row locks, taken in key
order after the drive's totals row (lock_drive_totals: one lock order for every path),
and adds the difference to drive_totals with an atomic `x = x + delta`; the
figures stay exactly what a full recompute (rollup.compute_drive_totals) gives, however
many pledges the drive holds. A full rebuild of one drive (a bulk import, a currency
change) and a reconversion (a rate moved) are the rare fallbacks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.db import utcnow
from tracker.drives.models import (
    NOT_SUPPORTING,
    OPEN,
    Drive,
    DriveMoneyBucket,
    DriveTotals,
    Payment,
    Pledge,
    PledgeStatus,
)
from tracker.extensions import db
from tracker.money.conversion import DatedSum, RateBook, add_converted

RECEIVED = "received"
PLEDGED = "pledged"


class BucketKey(NamedTuple):
    """Which bucket: a drive (or campaign) id, the kind, the currency and the date."""

    owner_id: int
    kind: str
    currency: str
    on: date


@dataclass(frozen=True)
class Figures:
    """A bucket's sums as SQL gives them, before conversion."""

    minor: int = 0
    count: int = 0
    unknown_rest: int = 0
    supporters: int = 0
    listed: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.minor + other.minor, self.count + other.count,
                       self.unknown_rest + other.unknown_rest,
                       self.supporters + other.supporters, self.listed + other.listed)

    def __sub__(self, other: Figures) -> Figures:
        return self + Figures(-other.minor, -other.count, -other.unknown_rest,
                              -other.supporters, -other.listed)


@dataclass(frozen=True)
class Contribution:
    """What a bucket adds to a roll-up, in minor units of the roll-up's currency."""

    received: int = 0
    pledged: int = 0
    unconverted: int = 0
    supporters: int = 0
    listed: int = 0

    def __add__(self, other: Contribution) -> Contribution:
        return Contribution(*(a + b for a, b in zip(self.values(), other.values(), strict=True)))

    def __sub__(self, other: Contribution) -> Contribution:
        return Contribution(*(a - b for a, b in zip(self.values(), other.values(), strict=True)))

    def values(self) -> tuple[int, ...]:
        return (self.received, self.pledged, self.unconverted, self.supporters, self.listed)


def needs_rate(kind: str, figures: Figures) -> bool:
    """Whether the sum must be converted: payments as soon as there is one, the unpaid
    rest of pledges only when it is above zero (drive_money leaves out empty groups)."""
    return figures.count > 0 if kind == RECEIVED else figures.minor > 0


def convert_figures(kind: str, figures: Figures, currency: str, on: date, to: str,
                    book: RateBook) -> int | None:
    """The bucket's sum in `to` by the one rule (None when the rate is missing)."""
    if not needs_rate(kind, figures):
        return 0
    total = add_converted([DatedSum(currency, on, figures.minor, figures.count)], to, book)
    return None if total.missing else total.money.minor


def contribution(kind: str, figures: Figures, converted: int | None) -> Contribution:
    """What a bucket adds to its roll-up: the converted sum, or its records as unconverted."""
    money = converted or 0
    left_out = figures.count if converted is None else 0
    if kind == RECEIVED:
        return Contribution(received=money, unconverted=left_out)
    return Contribution(pledged=money, unconverted=left_out + figures.unknown_rest,
                        supporters=figures.supporters, listed=figures.listed)


def figures_of(row: Any) -> Figures:
    """The figures stored in a bucket row (drive's or campaign's)."""
    return Figures(row.minor, row.count, row.unknown_rest, getattr(row, "supporters", 0),
                   getattr(row, "listed", 0))


def run_rollup(session: Session, statement: Any, params: Any = None) -> Any:
    """Run a roll-up statement on the session's connection, past the ORM's execute hooks.

    The roll-up tables are not audited and no object of theirs is written through the
    ORM here (write_buckets expires any loaded one), so the ORM's execution layer only
    cost each write about a millisecond of Python over a dozen statements.
    """
    return session.connection().execute(statement, params)


# --- summing the rows --------------------------------------------------------------------


def received_rows(drive_id: int, currency: str | None = None,
                   on: date | None = None) -> Iterable[tuple[str, date, Figures]]:
    """Payments by currency and date (one bucket's, given both), from the drive's index."""
    one = currency is not None and on is not None
    rows = run_rollup(db.session(), _received_query(one),
                              {"drive_id": drive_id, "currency": currency, "on": on})
    return [(cur, day, Figures(int(minor or 0), int(count))) for cur, day, minor, count in rows]


@functools.lru_cache(maxsize=2)
def _received_query(one_bucket: bool) -> Any:
    """received_rows' query, built once (building it cost each write more than running it)."""
    bucket: tuple[Any, Any] | None = ((bindparam("currency"), bindparam("on"))
                                      if one_bucket else None)
    return _received_select(bindparam("drive_id"), bucket,
                            (Payment.currency, Payment.paid_on))


def _received_select(drive: Any, bucket: tuple[Any, Any] | None,
                     leading: tuple[Any, ...]) -> Any:
    """Payments' sums by currency and date, of one bucket (bound currency and date)."""
    where = [Payment.drive_id == drive]
    if bucket is not None:
        where += [Payment.paid_on == bucket[1], Payment.currency == bucket[0]]
    return (select(*leading, func.sum(Payment.amount_minor), func.count())
            .where(*where).group_by(Payment.currency, Payment.paid_on))


def pledged_rows(drive_id: int, currency: str | None = None,
                  on: date | None = None) -> Iterable[tuple[str, date, Figures]]:
    """Pledges by currency and date, counted the way compute_drive_totals counts them."""
    one = currency is not None and on is not None
    rows = run_rollup(db.session(), _pledged_query(one),
                              {"drive_id": drive_id, "currency": currency, "on": on})
    return [(cur, day, Figures(*(int(value) for value in values)))
            for cur, day, *values in rows]


@functools.lru_cache(maxsize=2)
def _pledged_query(one_bucket: bool) -> Any:
    """pledged_rows' query, built once (its sums of cases cost a write about 3 ms to build)."""
    bucket: tuple[Any, Any] | None = ((bindparam("currency"), bindparam("on"))
                                      if one_bucket else None)
    return _pledged_select(bindparam("drive_id"), bucket, (Pledge.currency, Pledge.pledged_on))


def _pledged_select(drive: Any, bucket: tuple[Any, Any] | None,
                    leading: tuple[Any, ...]) -> Any:
    """Pledges' figures by currency and date, of one bucket (bound currency and date)."""
    where = [Pledge.drive_id == drive]
    if bucket is not None:
        where += [Pledge.pledged_on == bucket[1], Pledge.currency == bucket[0]]
    return (select(*leading, *_pledge_figures(Pledge.status, Pledge.amount_minor,
                                              Pledge.paid_minor, Pledge.id))
            .where(*where).group_by(Pledge.currency, Pledge.pledged_on))


def _pledge_figures(status: Any, amount: Any, paid: Any, pledge_id: Any) -> tuple[Any, ...]:
    """The one rule of what pledges add to their bucket, as Figures' five sums: of the
    pledge table's columns, or of one pledge's columns bound as the transaction found them."""
    rest_unknown = (select(Payment.id)
                    .where(Payment.pledge_id == pledge_id, Payment.pledge_amount_minor.is_(None))
                    .exists())
    is_open = status.in_(OPEN)
    known = and_(is_open, ~rest_unknown)
    unpaid = case((amount > paid, amount - paid), else_=0)

    def total(condition: Any, value: Any = 1) -> Any:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    return (total(known, unpaid), total(known), total(and_(is_open, rest_unknown)),
            total(status.not_in(NOT_SUPPORTING)), total(status != PledgeStatus.UNCONFIRMED))


@dataclass(frozen=True)
class PledgeWas:
    """A pledge whose bucket moves by its figures now less its figures then: its id and,
    unless it is new, its status, amount and paid amount as the transaction found them."""

    pledge_id: int
    was: tuple[PledgeStatus, int, int] | None


def sum_bucket(key: BucketKey) -> Figures:
    """One drive bucket's figures, summed afresh from its pledges or payments."""
    return sum_buckets([key])[key]


def sum_buckets(keys: list[BucketKey]) -> dict[BucketKey, Figures]:
    """Drive buckets' figures, summed afresh from their pledges and payments (one query)."""
    return sum_buckets_and_pledges(keys, [])[0]


def sum_buckets_and_pledges(keys: list[BucketKey], pledges: list[PledgeWas]
                            ) -> tuple[dict[BucketKey, Figures], dict[int, Figures]]:
    """Drive buckets' figures summed afresh, and how far each pledge moved its bucket (its
    figures now less its figures then), in one query: both read its payments as they are."""
    if not keys and not pledges:
        return {}, {}
    params: dict[str, Any] = {}
    kinds = [key.kind for key in keys]
    for n, key in enumerate(keys):
        params.update({f"drive_{n}": key.owner_id, f"currency_{n}": key.currency,
                       f"on_{n}": key.on})
    for pledge in pledges:
        params[f"of_pledge_{len(kinds)}"] = pledge.pledge_id
        kinds.append(_PLEDGE_NOW)
        if pledge.was is not None:
            n = len(kinds)
            params.update({f"of_pledge_{n}": pledge.pledge_id, f"was_status_{n}": pledge.was[0],
                           f"was_amount_{n}": pledge.was[1], f"was_paid_{n}": pledge.was[2]})
            kinds.append(_PLEDGE_WAS)
    found = {int(part): Figures(*(int(value or 0) for value in values))
             for part, *values in run_rollup(db.session(), _sums_query(tuple(kinds)), params)}
    sums = {key: found.get(n, Figures()) for n, key in enumerate(keys)}
    moved: dict[int, Figures] = {}
    for n, kind in enumerate(kinds):
        if kind == _PLEDGE_NOW:
            moved[params[f"of_pledge_{n}"]] = found.get(n, Figures())
        elif kind == _PLEDGE_WAS:
            moved[params[f"of_pledge_{n}"]] -= found.get(n, Figures())
    return sums, moved


_PLEDGE_NOW, _PLEDGE_WAS = "pledge now", "pledge was"  # _sums_query's parts of one pledge


@functools.lru_cache(maxsize=16)
def _sums_query(kinds: tuple[str, ...]) -> Any:
    """sum_buckets' query for buckets of these kinds, in order: one part per bucket, each
    numbered and padded to Figures' five columns (a received bucket has no counters)."""
    parts = []
    for n, kind in enumerate(kinds):
        drive: Any = bindparam(f"drive_{n}")
        bucket: tuple[Any, Any] = (bindparam(f"currency_{n}"), bindparam(f"on_{n}"))
        number: Any = literal_column(str(n)).label("part")
        if kind == RECEIVED:
            zero: Any = literal_column("0")
            parts.append(_received_select(drive, bucket, (number,))
                         .add_columns(zero, zero, zero))
        elif kind == _PLEDGE_NOW:
            parts.append(select(number, *_pledge_figures(
                Pledge.status, Pledge.amount_minor, Pledge.paid_minor, Pledge.id))
                .where(Pledge.id == bindparam(f"of_pledge_{n}")))
        elif kind == _PLEDGE_WAS:  # no table: the bound columns, and the pledge's payments
            parts.append(select(number, *_pledge_figures(
                bindparam(f"was_status_{n}", type_=Pledge.status.type),
                bindparam(f"was_amount_{n}", type_=BigInteger),
                bindparam(f"was_paid_{n}", type_=BigInteger),
                bindparam(f"of_pledge_{n}", type_=Integer))))
        else:
            parts.append(_pledged_select(drive, bucket, (number,)))
    return parts[0] if len(parts) == 1 else union_all(*parts)


# --- locking and writing -----------------------------------------------------------------


class Stored(NamedTuple):
    """What a locked bucket row holds: its figures and its converted sum (and, when the
    lock was asked to, the sums it should hold now: Figures of `sums` columns)."""

    figures: Figures
    converted: int | None
    summed: Figures | None = None


def _figure_columns(model: type) -> tuple[Any, ...]:
    """A bucket table's figure columns in Figures' order (a campaign's has no counters)."""
    names = ["minor", "count", "unknown_rest"]
    if model is DriveMoneyBucket:
        names += ["supporters", "listed"]
    return tuple(getattr(model, name) for name in names)


@functools.lru_cache(maxsize=32)
def _lock_query(model: type, owner: Any, size: int, sums: tuple[Any, ...] = ()) -> Any:
    """Lock `size` bucket rows by key (bound as k{n}_0 .. k{n}_3), built once per shape,
    with the `sums` columns (correlated to the row) read in the same statement."""
    columns = (owner, model.kind, model.currency, model.on_date)  # type: ignore[attr-defined]
    # An OR of whole keys, not a row-value IN: SQLite scans the whole table for the IN
    # (68 ms at 400,000 drive buckets), where both databases read each key by the index.
    matches = or_(*(and_(*(column == bindparam(f"k{n}_{place}")
                           for place, column in enumerate(columns)))
                    for n in range(size)))
    return (select(*columns, *_figure_columns(model),
                   model.converted_minor, *sums)  # type: ignore[attr-defined]
            .where(matches).order_by(*columns).with_for_update(of=model))


def _key_params(keys: list[BucketKey]) -> dict[str, Any]:
    return {f"k{n}_{place}": value for n, key in enumerate(keys)
            for place, value in enumerate(key)}


def _read_locked(session: Session, model: type, owner: Any, keys: list[BucketKey],
                 sums: tuple[Any, ...] = ()) -> dict[BucketKey, Stored]:
    rows = run_rollup(session, _lock_query(model, owner, len(keys), sums), _key_params(keys))
    end = 4 + len(_figure_columns(model))
    return {BucketKey(*row[:4]): Stored(Figures(*row[4:end]), row[end],
                                        Figures(*(int(value) for value in row[end + 1:]))
                                        if sums else None)
            for row in rows}


def _create_empty(session: Session, model: type, owner: Any, key: BucketKey) -> bool:
    """Insert an empty bucket unless its key exists; whether this transaction inserted it
    (and so holds its lock: a concurrent inserter's row must be locked by a read)."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    inserted = run_rollup(session, module.insert(model).values(**{
        owner.key: key.owner_id, "kind": key.kind, "currency": key.currency,
        "on_date": key.on, "minor": 0, "count": 0, "unknown_rest": 0, "converted_minor": 0,
    }).on_conflict_do_nothing().returning(owner)).first()
    return inserted is not None


def lock_buckets(session: Session, model: type, owner: Any, keys: Iterable[BucketKey],
                 sums: tuple[Any, ...] = (), created: set[BucketKey] | None = None
                 ) -> dict[BucketKey, Stored]:
    """The figures of these keys' bucket rows, locked in key order (one query), missing
    ones created empty (without `summed`; their keys added to `created`). Plain rows, no
    ORM objects: write them back with write_buckets.

    `sums` are columns correlated to the bucket row that give its fresh figures, read in
    the locking statement. They must only read rows that the caller's lock on the
    bucket's owner already guards (taken first, in the one order of lock_drive_totals):
    the statement then starts after every writer of them committed, and its row locks
    never wait, so its snapshot is as fresh as a separate read after it would be.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    found = _read_locked(session, model, owner, wanted, sums)
    raced = []
    for key in wanted:
        if key not in found:
            if _create_empty(session, model, owner, key):
                found[key] = Stored(Figures(), 0)
                if created is not None:
                    created.add(key)
            else:
                raced.append(key)
    if raced:
        found.update({key: stored._replace(summed=None) for key, stored in
                      _read_locked(session, model, owner, raced).items()})
    return found


@functools.lru_cache(maxsize=4)
def _write_query(model: type, owner: Any) -> Any:
    """Set a bucket's figures by its key, built once."""
    columns = (owner, model.kind, model.currency, model.on_date)  # type: ignore[attr-defined]
    names = [column.key for column in (*_figure_columns(model),
                                       model.converted_minor)]  # type: ignore[attr-defined]
    return (update(model)
            .where(*(column == bindparam(f"k0_{place}") for place, column in enumerate(columns)))
            .values({name: bindparam(f"new_{name}") for name in names})
            .execution_options(synchronize_session=False))


def write_buckets(session: Session, model: type, owner: Any,
                  rows: list[tuple[BucketKey, Figures, int | None]]) -> None:
    """Store locked buckets' new figures: one UPDATE by key, run once per row (executemany:
    one round trip on PostgreSQL's pipeline)."""
    if not rows:
        return
    names = [column.key for column in _figure_columns(model)]
    params = []
    for key, figures, converted in rows:
        values = {f"new_{name}": getattr(figures, name) for name in names}
        params.append({**_key_params([key]), **values, "new_converted_minor": converted})
        # A bucket loaded as an object earlier in the transaction would now be stale.
        loaded = session.identity_map.get(session.identity_key(model, tuple(key)))
        if loaded is not None:
            session.expire(loaded)
    run_rollup(session, _write_query(model, owner), params)


@functools.lru_cache(maxsize=8)
def _write_one_query(model: type, owner: Any, n: int) -> Any:
    """Set the n-th written bucket's figures by its key (bound with the suffix n)."""
    columns = (owner, model.kind, model.currency, model.on_date)  # type: ignore[attr-defined]
    names = [column.key for column in (*_figure_columns(model),
                                       model.converted_minor)]  # type: ignore[attr-defined]
    return (update(model)
            .where(*(column == bindparam(f"k{n}_{place}") for place, column in enumerate(columns)))
            .values({name: bindparam(f"new_{name}_{n}") for name in names}))


@functools.lru_cache(maxsize=16)
def _write_then_add_query(model: type, owner: Any, size: int, add: Any) -> Any:
    """PostgreSQL: the buckets' updates as data-modifying CTEs of the roll-up row's
    addition, one statement (each CTE runs once, whether or not the addition reads it)."""
    return add.add_cte(*(_write_one_query(model, owner, n).cte(f"written_{n}")
                         for n in range(size)))


def write_buckets_and_add(session: Session, model: type, owner: Any,
                          rows: list[tuple[BucketKey, Figures, int | None]],
                          add: Any, add_params: dict[str, Any]) -> None:
    """write_buckets, then one roll-up row's delta (`add` with its parameters): one round
    trip on PostgreSQL instead of two, the usual write touching one drive and one campaign.
    Both rows are locked already, in the one order, so nothing else changes."""
    if not rows or session.get_bind().dialect.name != "postgresql":
        write_buckets(session, model, owner, rows)
        run_rollup(session, add, add_params)
        return
    names = [column.key for column in _figure_columns(model)]
    params = dict(add_params)
    for n, (key, figures, converted) in enumerate(rows):
        params.update({f"k{n}_{place}": value for place, value in enumerate(key)})
        params.update({f"new_{name}_{n}": getattr(figures, name) for name in names})
        params[f"new_converted_minor_{n}"] = converted
        # A bucket loaded as an object earlier in the transaction would now be stale.
        loaded = session.identity_map.get(session.identity_key(model, tuple(key)))
        if loaded is not None:
            session.expire(loaded)
    run_rollup(session, _write_then_add_query(model, owner, len(rows), add), params)


@dataclass(frozen=True)
class DriveFacts:
    """What a write's roll-up needs to know of a drive: its currency and its campaign."""

    currency: str
    campaign_id: int


def lock_drive_totals(drive_ids: Iterable[int] | None = None) -> dict[int, DriveFacts]:
    """Lock drives' roll-up rows in id order (all drives with None), and say what they are.

    The one lock order of roll-ups: drive_totals rows by drive id, then those drives'
    buckets, then campaign_funding rows by campaign id, then those campaigns' buckets.
    Everyday deltas, rebuilds (a bulk import, a currency change) and reconversions (a new
    rate) all take them in it, so concurrent writers wait for each other and never
    deadlock; holding a drive's totals row also keeps any other writer off its buckets.
    Drives without a totals row yet are left out (they are built in full).
    """
    if drive_ids is None:
        rows = run_rollup(db.session(), _totals_lock_query(None))
    else:
        ids = sorted(set(drive_ids))
        if not ids:
            return {}
        rows = run_rollup(db.session(), _totals_lock_query(len(ids)),
                          {f"id_{n}": drive_id for n, drive_id in enumerate(ids)})
    return {drive_id: DriveFacts(currency, campaign_id)
            for drive_id, currency, campaign_id in rows}


@functools.lru_cache(maxsize=16)
def _totals_lock_query(size: int | None) -> Any:
    """lock_drive_totals' query for `size` drives (bound as id_0 ...; all with None)."""
    query = (select(Drive.id, Drive.currency, Drive.campaign_id)
             .join(DriveTotals, DriveTotals.drive_id == Drive.id)
             .order_by(Drive.id).with_for_update(of=DriveTotals))
    if size is not None:
        query = query.where(Drive.id.in_([bindparam(f"id_{n}") for n in range(size)]))
    return query


_ADD_TO_DRIVE_TOTALS = (
    update(DriveTotals).where(DriveTotals.drive_id == bindparam("totals_of"))
    .values(received_minor=DriveTotals.received_minor + bindparam("add_received"),
            pledged_minor=DriveTotals.pledged_minor + bindparam("add_pledged"),
            unconverted=DriveTotals.unconverted + bindparam("add_unconverted"),
            supporters=DriveTotals.supporters + bindparam("add_supporters"),
            listed=DriveTotals.listed + bindparam("add_listed"),
            updated_at=bindparam("now", type_=DriveTotals.updated_at.type)))


def add_to_drive_totals(session: Session, drive_id: int, delta: Contribution) -> None:
    """Add a delta to a drive's stored totals atomically (its row is locked already)."""
    run_rollup(session, _ADD_TO_DRIVE_TOTALS, _drive_delta_params(session, drive_id, delta))


def _drive_delta_params(session: Session, drive_id: int, delta: Contribution) -> dict[str, Any]:
    """_ADD_TO_DRIVE_TOTALS' parameters; the drive's totals loaded as an object go stale."""
    stored = session.identity_map.get(session.identity_key(DriveTotals, (drive_id,)))
    if stored is not None:
        session.expire(stored)
    return {"totals_of": drive_id, "add_received": delta.received, "add_pledged": delta.pledged,
            "add_unconverted": delta.unconverted, "add_supporters": delta.supporters,
            "add_listed": delta.listed, "now": utcnow()}


def drive_addition(session: Session, drive_id: int, delta: Contribution
                   ) -> tuple[Any, dict[str, Any]]:
    """The statement that adds a delta to a drive's stored totals, and its parameters."""
    return _ADD_TO_DRIVE_TOTALS, _drive_delta_params(session, drive_id, delta)


def rebuild_drive_buckets(drive_id: int, currency: str, book: RateBook | None = None) -> None:
    """Replace a drive's buckets by fresh sums of all its rows (the rare full path)."""
    session = db.session()
    session.execute(delete(DriveMoneyBucket).where(DriveMoneyBucket.drive_id == drive_id)
                    .execution_options(synchronize_session=False))
    rows = [(RECEIVED, *row) for row in received_rows(drive_id)]
    rows += [(PLEDGED, *row) for row in pledged_rows(drive_id)]
    book = book or RateBook.load({currency, *(cur for _kind, cur, _day, _figures in rows)})
    if rows:
        session.execute(DriveMoneyBucket.__table__.insert(), [  # type: ignore[attr-defined]
            {"drive_id": drive_id, "kind": kind, "currency": cur, "on_date": day,
             "minor": figures.minor, "count": figures.count,
             "unknown_rest": figures.unknown_rest, "supporters": figures.supporters,
             "listed": figures.listed,
             "converted_minor": convert_figures(kind, figures, cur, day, currency, book)}
            for kind, cur, day, figures in rows])


def reconvert_drive_buckets(drive_id: int, currency: str, book: RateBook | None = None) -> None:
    """Convert a drive's buckets again (a rate or its currency moved), without re-summing."""
    rows = list(db.session.scalars(select(DriveMoneyBucket)
                                   .where(DriveMoneyBucket.drive_id == drive_id)))
    book = book or RateBook.load({currency, *(row.currency for row in rows)})
    for row in rows:
        row.converted_minor = convert_figures(row.kind, figures_of(row), row.currency,
                                              row.on_date, currency, book)
    db.session.flush()


def totals_of_buckets(drive_id: int) -> Contribution:
    """A drive's figures as the sum of its buckets' contributions."""
    total = Contribution()
    for row in db.session.scalars(select(DriveMoneyBucket)
                                  .where(DriveMoneyBucket.drive_id == drive_id)):
        total += contribution(row.kind, figures_of(row), row.converted_minor)
    return total
