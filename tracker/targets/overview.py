"""Campaigns with their funding targets' totals: the campaigns list and a campaign's page.

Here, not in campaigns/, because targets build on campaigns: the campaigns area knows
nothing of the targets that belong to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select

from tracker.campaigns.models import Campaign, CampaignStatus, Theme
from tracker.campaigns.services import by_title, filtered_campaigns
from tracker.extensions import db
from tracker.money.value import Money
from tracker.paging import Page, page_of
from tracker.targets.models import FundingTarget
from tracker.targets.services import target_totals

CAMPAIGNS_PER_PAGE = 25


@dataclass(frozen=True)
class TargetSummary:
    """A funding target with its total, summed by the database, in the target's currency."""

    target: FundingTarget
    total: Money


@dataclass(frozen=True)
class CampaignRow:
    """One line of the campaigns list: the campaign and each of its targets' totals."""

    campaign: Campaign
    targets: list[TargetSummary]


def _targets_with_totals(campaign_ids: list[int]) -> dict[int, list[TargetSummary]]:
    """Each campaign's targets by start date, with totals from one grouped query."""
    grouped: dict[int, list[TargetSummary]] = {campaign_id: [] for campaign_id in campaign_ids}
    if not campaign_ids:
        return grouped
    targets = list(db.session.scalars(
        select(FundingTarget)
        .where(FundingTarget.campaign_id.in_(campaign_ids))
        .order_by(FundingTarget.starts_on, FundingTarget.id)
    ))
    totals = target_totals([target.id for target in targets])
    for target in targets:
        total = Money.stored(totals[target.id], target.currency)
        grouped[target.campaign_id].append(TargetSummary(target, total))
    return grouped


def campaign_overview(
    theme: Theme | None = None, status: CampaignStatus | None = None, country: str | None = None,
    page: int = 1, per_page: int = CAMPAIGNS_PER_PAGE,
) -> Page[CampaignRow]:
    """One page of the filtered campaigns by title in the user's language, with targets' totals."""
    query = by_title(filtered_campaigns(theme, status, country))
    listed = page_of(query, page, per_page)
    targets = _targets_with_totals([campaign.id for campaign in listed.items])
    return replace(listed, items=[CampaignRow(campaign, targets[campaign.id])
                                  for campaign in listed.items])


def funding_targets(campaign: Campaign) -> list[TargetSummary]:
    """The campaign's funding targets by start date, each with its total."""
    return _targets_with_totals([campaign.id])[campaign.id]
