"""Which roll-ups a transaction's changes touched, noted on its session until it commits.

The flush listeners of tracker.funding.rollups note what the ORM writes; a writer that
bypasses the ORM (a bulk import) notes its drives here itself. Just before the commit,
tracker.funding.rollups recomputes what was noted. This module depends on no area, so
that any area may note a change without importing the roll-ups.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

ALL_CAMPAIGNS = -1  # marks every campaign (a rate moved)

DRIVES_KEY = "tracker.rollups.drives"
CAMPAIGNS_KEY = "tracker.rollups.campaigns"


def mark_drive_changed(session: Session, drive_id: int | None) -> None:
    """Note that a drive's totals must be recomputed before this transaction commits."""
    if drive_id is not None:
        session.info.setdefault(DRIVES_KEY, set()).add(drive_id)


def mark_campaign_changed(session: Session, campaign_id: int | None) -> None:
    """Note that a campaign's funding must be recomputed (ALL_CAMPAIGNS for every one)."""
    if campaign_id is not None:
        session.info.setdefault(CAMPAIGNS_KEY, set()).add(campaign_id)
