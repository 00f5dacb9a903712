"""Keeping roll-ups fresh: one mechanism for drive totals and campaign funding.

Flushing a change records which drives and campaigns it touches (ORM events, like
the audit trail's): a drive, a pledge or a payment marks its drive; a target, a
budget line, an application, a drive, a drive's totals or a campaign marks its
campaign; an exchange rate marks every campaign. Writes that bypass the ORM (a
bulk import) say so with `mark_drive_changed` / `mark_campaign_changed` (tracker/changes.py).

Just before the transaction commits, one hook recomputes the changed drives'
totals first, then the changed campaigns' funding (which read those totals), each
under its row lock (drives.rollup.refresh_drive_totals and
funding.services.refresh_campaign_funding). Code that must read fresh figures
before it commits calls `refresh_changed_rollups()`. Services never refresh a
roll-up themselves; only the `refresh-funding` command recomputes everything.
"""

from __future__ import annotations

from typing import Any

from flask import has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from tracker.changes import ALL_CAMPAIGNS, mark_campaign_changed, mark_drive_changed
from tracker.changes import CAMPAIGNS_KEY as _CAMPAIGNS
from tracker.changes import DRIVES_KEY as _DRIVES
from tracker.extensions import db

__all__ = ["ALL_CAMPAIGNS", "install_rollup_hooks", "mark_campaign_changed",
           "mark_drive_changed", "refresh_changed_rollups"]

_MAX_ROUNDS = 5  # a refresh writes roll-up rows only; two rounds settle everything


def _old_value(instance: Any, name: str) -> Any:
    history = inspect(instance).attrs[name].history
    return history.deleted[0] if history.deleted else None


def _ids(instance: Any, column: str) -> set[int]:
    return {value for value in (getattr(instance, column), _old_value(instance, column))
            if value is not None}


def _drives_touched(session: Session, instance: Any) -> set[int]:
    """The drives whose totals a changed record can move."""
    from tracker.drives.models import Drive, Payment, Pledge

    if isinstance(instance, Drive):
        return {instance.id} if instance.id is not None else set()
    if isinstance(instance, Pledge):
        return _ids(instance, "drive_id")
    if isinstance(instance, Payment):
        pledges = _ids(instance, "pledge_id")
        if not pledges:
            return set()
        with session.no_autoflush:
            return set(session.scalars(select(Pledge.drive_id).where(Pledge.id.in_(pledges))))
    return set()


def _campaigns_touched(session: Session, instance: Any) -> set[int]:
    """The campaigns whose funding a changed record can move ({ALL_CAMPAIGNS} for a rate)."""
    from tracker.applications.models import Application
    from tracker.campaigns.models import Campaign
    from tracker.drives.models import Drive, DriveTotals
    from tracker.money.models import ExchangeRate
    from tracker.targets.models import BudgetLine, FundingTarget

    if isinstance(instance, ExchangeRate):
        return {ALL_CAMPAIGNS}
    if isinstance(instance, Campaign):
        return {instance.id} if instance.id is not None else set()
    if isinstance(instance, FundingTarget | Application | Drive):
        return _ids(instance, "campaign_id")
    if isinstance(instance, BudgetLine | DriveTotals):
        parent, column = ((FundingTarget, "target_id") if isinstance(instance, BudgetLine)
                          else (Drive, "drive_id"))
        ids = _ids(instance, column)
        if not ids:
            return set()
        with session.no_autoflush:
            return set(session.scalars(select(parent.campaign_id).where(parent.id.in_(ids))))
    return set()


def _after_flush(session: Session, _context: Any) -> None:
    drives = session.info.setdefault(_DRIVES, set())
    campaigns = session.info.setdefault(_CAMPAIGNS, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        if session.is_modified(instance) or instance in session.new or instance in session.deleted:
            drives |= _drives_touched(session, instance)
            campaigns |= _campaigns_touched(session, instance)


def _refresh(session: Session) -> None:
    """Recompute the changed drives, then the changed campaigns, until nothing is marked."""
    from tracker.campaigns.models import Campaign
    from tracker.drives.models import Drive
    from tracker.drives.rollup import refresh_drive_totals
    from tracker.funding.services import refresh_campaign_funding

    session.flush()
    for _round in range(_MAX_ROUNDS):
        drives = session.info.pop(_DRIVES, set())
        campaigns = session.info.pop(_CAMPAIGNS, set())
        if not drives and not campaigns:
            return
        if drives:
            existing = set(session.scalars(select(Drive.id).where(Drive.id.in_(drives))))
            for drive_id in sorted(existing):
                refresh_drive_totals(drive_id)
            # The drives' new totals mark their campaigns: take those in this round too.
            campaigns |= session.info.pop(_CAMPAIGNS, set())
            session.info.pop(_DRIVES, None)
        if ALL_CAMPAIGNS in campaigns:
            campaigns = set(session.scalars(select(Campaign.id)))
        for campaign_id in sorted(campaigns):
            refresh_campaign_funding(campaign_id)
        # The funding rows mark nothing; drop what their flushes may have noted.
        session.info.pop(_CAMPAIGNS, None)


def refresh_changed_rollups() -> None:
    """Recompute now what this transaction changed (to read fresh figures before commit)."""
    _refresh(db.session())


def _before_commit(session: Session) -> None:
    if not has_app_context() or session.in_nested_transaction():
        return  # a savepoint's end is not the commit: the marks wait for it
    if not session.info.get(_DRIVES) and not session.info.get(_CAMPAIGNS):
        session.flush()  # a pending change marks its drives and campaigns as it flushes
        if not session.info.get(_DRIVES) and not session.info.get(_CAMPAIGNS):
            return
    _refresh(session)


def _forget(session: Session, previous: Any = None) -> None:
    if previous is not None and getattr(previous, "nested", False):
        return  # a savepoint undid a part; the marks of the rest still stand
    session.info.pop(_DRIVES, None)
    session.info.pop(_CAMPAIGNS, None)


def install_rollup_hooks() -> None:
    """Listen to every session so roll-ups follow each committed change."""
    if _state.get("installed"):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", _forget)
    _state["installed"] = True


_state: dict[str, bool] = {}
