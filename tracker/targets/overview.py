"""Campaigns with their funding targets' totals: the campaigns list and a campaign's page.

Here, not in campaigns/, because targets build on campaigns: the campaigns area knows
nothing of the targets that belong to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select

from tracker.campaigns.models import Campaign, CampaignStatus, Theme
from tracker.campaigns.services import by_title, filtered_campaigns
from tracker.extensions import db
from tracker.money.value import Money
from tracker.paging import Page, page_of
from tracker.targets.models import BudgetLine, FundingTarget
from tracker.versions import CAMPAIGN_COUNTRIES, Version, version_columns, version_key, version_of

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


@dataclass(frozen=True)
class CampaignList:
    """A page of the campaigns list, and the stored version of the countries its filter
    offers (None when the database holds none), read with the page."""

    listed: Page[CampaignRow]
    countries_version: Version | None


def campaign_overview(
    theme: Theme | None = None, status: CampaignStatus | None = None, country: str | None = None,
    page: int = 1, per_page: int = CAMPAIGNS_PER_PAGE,
) -> CampaignList:
    """One page of the filtered campaigns by title in the user's language, with targets' totals.

    The page, its count and the countries' version are one statement: a
    list page runs no separate count, and its filter no read of the countries to key it.
    An empty list reads the version apart; a page past the end also the count and the last
    page, as every list does.
    """
    query = by_title(filtered_campaigns(theme, status, country))
    page = max(1, page)
    # The count is a scalar subquery of the page's statement, run once (a window count over
    # the sorted rows cost SQLite twice the page and its count read apart).
    counted = select(func.count()).select_from(
        query.with_only_columns(Campaign.id).order_by(None).subquery()).scalar_subquery()
    rows = db.session.execute(
        query.add_columns(counted.label("counted"), *version_columns(CAMPAIGN_COUNTRIES))
        .limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        listed = Page(items=[row[0] for row in rows], page=page, per_page=per_page,
                      total=rows[0].counted)
        version = version_of(*rows[0][2:])
    else:
        listed = (page_of(query, page, per_page) if page > 1
                  else Page(items=[], page=1, per_page=per_page, total=0))
        found = version_key(CAMPAIGN_COUNTRIES)
        version = found[0] if found else None
    targets = _targets_with_totals([campaign.id for campaign in listed.items])
    return CampaignList(replace(listed, items=[CampaignRow(campaign, targets[campaign.id])
                                               for campaign in listed.items]), version)


def funding_targets(campaign: Campaign) -> list[TargetSummary]:
    """The campaign's funding targets by start date, each with its total."""
    return _targets_with_totals([campaign.id])[campaign.id]
