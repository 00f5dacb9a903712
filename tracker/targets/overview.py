"""A campaign's funding targets with their totals, for its page (the list's: listing.py).

Here, not in campaigns/, because targets build on campaigns: the campaigns area knows
nothing of the targets that belong to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from tracker.campaigns.models import Campaign
from tracker.extensions import db
from tracker.money.value import Money
from tracker.targets.models import BudgetLine, FundingTarget


@dataclass(frozen=True)
class TargetSummary:
    """A funding target with its total, summed by the database, in the target's currency."""

    target: FundingTarget
    total: Money


def _targets_with_totals(campaign_ids: list[int]) -> dict[int, list[TargetSummary]]:
    """Each campaign's targets by start date, with their totals, in one statement (a round
    trip fewer than reading the targets, then their lines' sums, on every list page)."""
    grouped: dict[int, list[TargetSummary]] = {campaign_id: [] for campaign_id in campaign_ids}
    if not campaign_ids:
        return grouped
    rows = db.session.execute(
        select(FundingTarget, func.coalesce(func.sum(BudgetLine.total_minor), 0))
        .outerjoin(BudgetLine, BudgetLine.target_id == FundingTarget.id)
        .where(FundingTarget.campaign_id.in_(campaign_ids))
        .group_by(FundingTarget.id)
        .order_by(FundingTarget.starts_on, FundingTarget.id)
    )
    for target, total in rows:
        grouped[target.campaign_id].append(
            TargetSummary(target, Money.stored(int(total), target.currency)))
    return grouped


def funding_targets(campaign: Campaign) -> list[TargetSummary]:
    """The campaign's funding targets by start date, each with its total."""
    return _targets_with_totals([campaign.id])[campaign.id]
