"""Keeping roll-ups fresh: one mechanism for drive totals and campaign funding.

Flushing a change records what it touches (ORM events, like the audit trail's): a
pledge or a payment the buckets it was and is in (drives.buckets: one sum per drive,
kind, currency and date); a new or deleted drive, or one moved to another currency or
campaign, its drive and campaigns; a target, a budget line, an application or a
campaign its campaign; an exchange rate every campaign. Writes that bypass the ORM (a
bulk import) say so with `mark_drive_changed` / `mark_campaign_changed`
(tracker/changes.py).

Just before the transaction commits, one hook recomputes each touched bucket from SQL
under its row lock and adds the difference to drive_totals and campaign_funding (the
cost of a write does not grow with the pledges); marked drives are rebuilt from their
rows (drives.rollup.refresh_drive_totals), a moved rate converts every bucket again,
and marked campaigns are refreshed from their buckets
(funding.services.refresh_campaign_funding). Code that must read fresh figures before
it commits calls `refresh_changed_rollups()`. Services never refresh a roll-up
themselves; `refresh-funding` rebuilds everything and `check-totals` compares.
"""

from __future__ import annotations

from typing import Any

from flask import has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from tracker.changes import ALL_CAMPAIGNS, mark_campaign_changed, mark_drive_changed
from tracker.changes import CAMPAIGNS_KEY as _CAMPAIGNS
from tracker.changes import DRIVES_KEY as _DRIVES
from tracker.drives.buckets import BucketKey
from tracker.extensions import db

__all__ = ["ALL_CAMPAIGNS", "install_rollup_hooks", "mark_campaign_changed",
           "mark_drive_changed", "refresh_changed_rollups"]

_BUCKETS = "tracker.rollups.buckets"  # drive buckets a flush touched (drives.buckets)
_REBUILD_CAMPAIGNS = "tracker.rollups.rebuild_campaigns"  # campaigns whose drives moved
_MOVES = "tracker.rollups.moves"  # drive buckets moved row by row (drives.bucket_moves)
_MAX_ROUNDS = 5  # a refresh writes roll-up rows only; two rounds settle everything


def _old_value(instance: Any, name: str) -> Any:
    history = inspect(instance).attrs[name].history
    return history.deleted[0] if history.deleted else None


def _ids(instance: Any, column: str) -> set[int]:
    return {value for value in (getattr(instance, column), _old_value(instance, column))
            if value is not None}


def _pledge_keys(instance: Any) -> set[BucketKey]:
    """The pledged buckets a pledge was and is in."""
    from tracker.drives.buckets import PLEDGED

    now = (instance.drive_id, instance.currency, instance.pledged_on)
    before = tuple(_old_or(instance, name, value)
                   for name, value in zip(("drive_id", "currency", "pledged_on"), now,
                                          strict=True))
    return {BucketKey(drive, PLEDGED, currency, on) for drive, currency, on in (now, before)
            if drive is not None}


def _old_or(instance: Any, name: str, current: Any) -> Any:
    old = _old_value(instance, name)
    return current if old is None else old


def _payments_moved(session: Session, instance: Any) -> set[BucketKey]:
    """A pledge moved to another drive takes its payments along: both drives' buckets."""
    from tracker.drives.buckets import RECEIVED
    from tracker.drives.models import Payment

    drives = _ids(instance, "drive_id")
    if len(drives) < 2 or instance.id is None:
        return set()
    with session.no_autoflush:
        days = session.execute(select(Payment.currency, Payment.paid_on)
                               .where(Payment.pledge_id == instance.id)).all()
    return {BucketKey(drive, RECEIVED, currency, on) for drive in drives
            for currency, on in days}


def _payment_keys(session: Session, instance: Any, pledges: dict[int, Any],
                  moves: Any, new_or_gone: tuple[bool, bool]) -> set[BucketKey]:
    """The buckets a payment's change must sum afresh: none but its pledges' pledged
    buckets when its move is noted row by row (and only if it made their rest known or
    unknown); else the received buckets it was and is in, and its pledge's pledged one."""
    from tracker.drives.bucket_moves import note_payment
    from tracker.drives.buckets import PLEDGED, RECEIVED
    from tracker.drives.models import Pledge

    rests = note_payment(moves, instance, *new_or_gone)
    keys: set[BucketKey] = set()
    days = {(instance.currency, instance.paid_on),
            (_old_or(instance, "currency", instance.currency),
             _old_or(instance, "paid_on", instance.paid_on))}
    for pledge_id in _ids(instance, "pledge_id") if rests is None else rests:
        pledge = pledges.get(pledge_id)
        if pledge is None:
            with session.no_autoflush:
                pledge = session.get(Pledge, pledge_id)
        if pledge is None or pledge.drive_id is None:
            continue
        if rests is None:
            keys |= {BucketKey(pledge.drive_id, RECEIVED, currency, on)
                     for currency, on in days}
        keys.add(BucketKey(pledge.drive_id, PLEDGED, pledge.currency, pledge.pledged_on))
    return keys


def _drive_moved(instance: Any, new_or_gone: bool) -> bool:
    """Whether a drive's change moves roll-ups: new, deleted, or another currency or campaign."""
    if new_or_gone:
        return True
    attrs = inspect(instance).attrs
    return attrs.currency.history.has_changes() or attrs.campaign_id.history.has_changes()


def _campaigns_touched(session: Session, instance: Any) -> set[int]:
    """The campaigns whose funding a changed record can move ({ALL_CAMPAIGNS} for a rate).

    Pledges and payments move campaigns through their buckets, not here.
    """
    from tracker.applications.models import Application
    from tracker.campaigns.models import Campaign
    from tracker.money.models import ExchangeRate
    from tracker.targets.models import BudgetLine, FundingTarget

    if isinstance(instance, ExchangeRate):
        return {ALL_CAMPAIGNS}
    if isinstance(instance, Campaign):
        return {instance.id} if instance.id is not None else set()
    if isinstance(instance, FundingTarget | Application):
        return _ids(instance, "campaign_id")
    if isinstance(instance, BudgetLine):
        ids = _ids(instance, "target_id")
        if not ids:
            return set()
        with session.no_autoflush:
            return set(session.scalars(select(FundingTarget.campaign_id)
                                       .where(FundingTarget.id.in_(ids))))
    return set()


def _after_flush(session: Session, _context: Any) -> None:
    from tracker.drives.bucket_moves import Moves, note_pledge
    from tracker.drives.models import Drive, Payment, Pledge

    drives = session.info.setdefault(_DRIVES, set())
    campaigns = session.info.setdefault(_CAMPAIGNS, set())
    rebuilt = session.info.setdefault(_REBUILD_CAMPAIGNS, set())
    keys = session.info.setdefault(_BUCKETS, set())
    moves = session.info.setdefault(_MOVES, Moves())
    changed = [instance for instance in (*session.new, *session.dirty, *session.deleted)
               if instance in session.new or instance in session.deleted
               or session.is_modified(instance)]
    pledges = {instance.id: instance for instance in changed if isinstance(instance, Pledge)}
    for instance in changed:
        new, gone = instance in session.new, instance in session.deleted
        if isinstance(instance, Pledge):
            if gone or not note_pledge(moves, instance, new):
                keys |= _pledge_keys(instance) | _payments_moved(session, instance)
        elif isinstance(instance, Payment):
            keys |= _payment_keys(session, instance, pledges, moves, (new, gone))
        elif isinstance(instance, Drive):
            if _drive_moved(instance, instance in session.new or instance in session.deleted):
                if instance not in session.deleted:
                    drives.add(instance.id)
                rebuilt |= _ids(instance, "campaign_id")
        else:
            campaigns |= _campaigns_touched(session, instance)


def _pending(session: Session) -> bool:
    moves = session.info.get(_MOVES)
    return any(session.info.get(key) for key in (_DRIVES, _CAMPAIGNS, _REBUILD_CAMPAIGNS,
                                                  _BUCKETS)) or bool(moves and moves.keys())


def _refresh(session: Session) -> None:
    """Apply the touched buckets' deltas, then rebuild or refresh what was marked.

    Locks follow the one order of drives.buckets.lock_drive_totals: every drive's totals
    row this round writes (by id), then their buckets; every campaign's funding row (by
    id), then its buckets. A rebuild and an everyday write of the same drive or campaign
    then wait for each other instead of deadlocking.
    """
    from tracker.campaigns.models import Campaign
    from tracker.drives.bucket_moves import Moves, update_drive_buckets
    from tracker.drives.buckets import lock_drive_totals
    from tracker.drives.models import Drive
    from tracker.drives.rollup import refresh_drive_totals
    from tracker.funding.buckets import lock_campaign_funding, update_campaign_buckets
    from tracker.funding.services import default_currency, refresh_campaign_funding

    session.flush()
    for _round in range(_MAX_ROUNDS):
        if not _pending(session):
            return
        drives = session.info.pop(_DRIVES, set())
        campaigns = session.info.pop(_CAMPAIGNS, set())
        rebuild = session.info.pop(_REBUILD_CAMPAIGNS, set())
        keys = session.info.pop(_BUCKETS, set())
        moves = session.info.pop(_MOVES, None) or Moves()
        rates_moved = ALL_CAMPAIGNS in campaigns
        existing = dict(session.execute(select(Drive.id, Drive.campaign_id)
                                        .where(Drive.id.in_(drives))).all()) if drives else {}
        keys = {key for key in keys if key.owner_id not in existing}
        moves = moves.without_drives(set(existing))  # rebuilt from their rows
        facts = lock_drive_totals(None if rates_moved else
                                  {key.owner_id for key in keys | moves.keys()} | set(existing))
        changed, without_totals = update_drive_buckets(keys, facts, moves)
        if without_totals:
            existing.update(session.execute(select(Drive.id, Drive.campaign_id)
                                            .where(Drive.id.in_(without_totals))).all())
        for drive_id in sorted(existing):
            refresh_drive_totals(drive_id)
        rebuild |= set(existing.values())
        if rates_moved:
            # A rate moved: every bucket is converted again (no pledge is summed again).
            for drive_id in sorted(set(session.scalars(select(Drive.id))) - set(existing)):
                refresh_drive_totals(drive_id, rebuild=False)
            campaigns = rebuild = set(session.scalars(select(Campaign.id)))
        touched = {BucketKey(facts[key.owner_id].campaign_id, key.kind, key.currency, key.on)
                   for key in changed}
        touched = {key for key in touched if key.owner_id not in rebuild}
        funding = lock_campaign_funding({key.owner_id for key in touched} | campaigns | rebuild)
        currencies = {campaign_id: row.target or default_currency()
                      for campaign_id, row in funding.items()}
        # A campaign without a funding row has no currency stored: it is refreshed in full.
        campaigns |= {key.owner_id for key in touched if key.owner_id not in funding}
        touched = {key for key in touched if key.owner_id in funding}
        campaigns |= update_campaign_buckets(
            touched, currencies, {campaign_id: row.stored for campaign_id, row in funding.items()})
        for campaign_id in sorted(campaigns | rebuild):
            refresh_campaign_funding(campaign_id, rebuild=campaign_id in rebuild)
        # The roll-up rows mark nothing; drop what their flushes may have noted.
        for key in (_CAMPAIGNS, _REBUILD_CAMPAIGNS, _BUCKETS, _MOVES):
            session.info.pop(key, None)


def refresh_changed_rollups() -> None:
    """Recompute now what this transaction changed (to read fresh figures before commit)."""
    _refresh(db.session())


def _before_commit(session: Session) -> None:
    if not has_app_context() or session.in_nested_transaction():
        return  # a savepoint's end is not the commit: the marks wait for it
    if not _pending(session):
        session.flush()  # a pending change marks its buckets, drives and campaigns
        if not _pending(session):
            return
    _refresh(session)


def _forget(session: Session, previous: Any = None) -> None:
    if previous is not None and getattr(previous, "nested", False):
        # A savepoint undid a part; the marks of the rest still stand. What it undid is
        # not known row by row: the buckets moved so far are summed afresh instead.
        moves = session.info.pop(_MOVES, None)
        if moves is not None and moves.keys():
            session.info.setdefault(_BUCKETS, set()).update(moves.keys())
        return
    for key in (_DRIVES, _CAMPAIGNS, _REBUILD_CAMPAIGNS, _BUCKETS, _MOVES):
        session.info.pop(key, None)


def install_rollup_hooks() -> None:
    """Listen to every session so roll-ups follow each committed change."""
    from tracker.drives.payments import payments_follow_their_pledges

    if _state.get("installed"):
        return
    # The received buckets read payment.drive_id: it must follow the pledge at every flush.
    event.listen(Session, "before_flush", payments_follow_their_pledges)
    event.listen(Session, "after_flush", _after_flush)
    # First of the before_commit hooks: the audit trail appends its events after the
    # roll-ups' writes, so that the chain's global lock is held for the shortest time.
    event.listen(Session, "before_commit", _before_commit, insert=True)
    event.listen(Session, "after_soft_rollback", _forget)
    _state["installed"] = True


_state: dict[str, bool] = {}
