"""Each drive's roll-up (DriveTotals): its figures in its goal currency, summed in SQL.

Sums per currency and date come from the database (`drive_money`); each is converted
into the drive's currency at its date's rate by the one rule of
tracker.money.conversion (add_converted), so the figures never depend on the order in
which pledges and payments came. `refresh_drive_totals` rewrites a drive's row under
its row lock; tracker.rollups decides when (before each commit, for every drive the
transaction changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select

from tracker.db import utcnow
from tracker.drives.buckets import (
    rebuild_drive_buckets,
    reconvert_drive_buckets,
    totals_of_buckets,
)
from tracker.drives.models import (
    NOT_SUPPORTING,
    OPEN,
    Drive,
    DriveTotals,
    Payment,
    Pledge,
    PledgeStatus,
)
from tracker.extensions import db
from tracker.money.conversion import DatedSum, RateBook, add_converted


@dataclass(frozen=True)
class TotalsRow:
    """Freshly aggregated figures of one drive, in minor units of its currency."""

    pledged_minor: int
    received_minor: int
    supporters: int
    unconverted: int
    listed: int = 0



@dataclass(frozen=True)
class DriveMoney:
    """Some drives' money in its original currencies, grouped by currency and date.

    `received`: payments by currency and payment date; `pledged`: the unpaid rest of open
    pledges by currency and pledge date; `unknown_rest`: open pledges whose unpaid rest
    is unknown because one of their payments has no rate into the pledge's currency.
    Converting each group at the rate of its date (money.conversion.add_converted) gives
    the figures in any currency: the drive's goal currency, or a campaign target's.
    """

    received: list[DatedSum]
    pledged: list[DatedSum]
    unknown_rest: int = 0


def drive_money(drive_ids: Any) -> DriveMoney:
    """The drives' money, summed in SQL by currency and date (three queries).

    `drive_ids` is a list of ids or a SELECT of them (a campaign's drives).
    """
    # Through the pledge, not payment.drive_id: this is also check-totals' recount, which
    # then notices a payment whose stored drive left its pledge's (drives.buckets reads it).
    received = db.session.execute(
        select(Payment.currency, Payment.paid_on, func.sum(Payment.amount_minor), func.count())
        .join(Pledge, Payment.pledge_id == Pledge.id)
        .where(Pledge.drive_id.in_(drive_ids))
        .group_by(Payment.currency, Payment.paid_on)
        .order_by(Payment.paid_on, Payment.currency)
    )
    # A payment without a rate into its pledge's currency leaves the pledge's rest unknown.
    rest_unknown = (
        select(Payment.id)
        .where(Payment.pledge_id == Pledge.id, Payment.pledge_amount_minor.is_(None))
        .exists()
    )
    is_open = and_(Pledge.drive_id.in_(drive_ids), Pledge.status.in_(OPEN))
    unpaid = case((Pledge.amount_minor > Pledge.paid_minor,
                   Pledge.amount_minor - Pledge.paid_minor), else_=0)
    pledged = db.session.execute(
        select(Pledge.currency, Pledge.pledged_on, func.sum(unpaid), func.count())
        .where(is_open, ~rest_unknown)
        .group_by(Pledge.currency, Pledge.pledged_on)
        .order_by(Pledge.pledged_on, Pledge.currency)
    )
    unknown = db.session.scalar(select(func.count()).select_from(Pledge).where(is_open,
                                                                                rest_unknown))
    return DriveMoney(
        received=[DatedSum(currency, on, int(minor), int(count))
                  for currency, on, minor, count in received],
        pledged=[DatedSum(currency, on, int(minor), int(count))
                 for currency, on, minor, count in pledged if int(minor) > 0],
        unknown_rest=int(unknown or 0),
    )


def compute_drive_totals(drive_id: int) -> TotalsRow:
    """Aggregate a drive's pledges and payments in SQL, converted by the one rule.

    Sums per currency and date come from the database; each is converted into the
    drive's currency at its date's rate (money.conversion.add_converted).
    """
    currency = db.session.scalar(select(Drive.currency).where(Drive.id == drive_id))
    if currency is None:
        raise LookupError(f"no drive {drive_id}")
    supporters, listed = db.session.execute(
        select(func.coalesce(func.sum(case((Pledge.status.not_in(NOT_SUPPORTING), 1),
                                           else_=0)), 0),
               func.coalesce(func.sum(case((Pledge.status != PledgeStatus.UNCONFIRMED, 1),
                                           else_=0)), 0))
        .where(Pledge.drive_id == drive_id)
    ).one()
    money = drive_money([drive_id])
    book = RateBook.load({currency, *(item.currency for item in money.received + money.pledged)})
    received = add_converted(money.received, currency, book)
    pledged = add_converted(money.pledged, currency, book)
    return TotalsRow(pledged_minor=pledged.money.minor, received_minor=received.money.minor,
                     supporters=int(supporters or 0), listed=int(listed or 0),
                     unconverted=received.unconverted + pledged.unconverted + money.unknown_rest)


def refresh_drive_totals(drive_id: int, rebuild: bool = True,
                         book: RateBook | None = None) -> DriveTotals:
    """Rebuild a drive's buckets from its pledges and payments, and its roll-up from them.

    The rare full path (a new drive, a bulk import, `refresh-funding`); everyday writes
    go through drives.buckets by deltas. `rebuild=False` only converts the buckets again
    (a rate moved). The roll-up row is locked first (FOR UPDATE on PostgreSQL; SQLite
    has one writer at a time), so a second writer waits, then sums what the first
    committed: the figures cannot drift from the rows.
    """
    db.session.flush()
    totals = db.session.scalar(
        select(DriveTotals).where(DriveTotals.drive_id == drive_id)
        .with_for_update().execution_options(populate_existing=True)
    )
    drive = db.session.get(Drive, drive_id)
    if drive is None:
        raise LookupError(f"no drive {drive_id}")
    if totals is None:
        totals = DriveTotals(drive_id=drive_id, currency=drive.currency)
        db.session.add(totals)
    if rebuild:
        rebuild_drive_buckets(drive_id, drive.currency)
    else:
        reconvert_drive_buckets(drive_id, drive.currency, book)
    fresh = totals_of_buckets(drive_id)
    totals.currency = drive.currency
    totals.pledged_minor = fresh.pledged
    totals.received_minor = fresh.received
    totals.supporters = fresh.supporters
    totals.listed = fresh.listed
    totals.unconverted = fresh.unconverted
    totals.updated_at = utcnow()
    db.session.flush()
    return totals
