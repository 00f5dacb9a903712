"""The campaigns list's page: what its rows show, read as columns (issue 15).

Here, not in campaigns/, because each row shows its funding targets' totals (see
tracker.targets.overview). A row is kept rendered (tracker/campaigns/views/rows.py) under
exactly what it shows, so a view needs those values and nothing more: whole campaigns, their
leads, countries and targets as ORM objects were half of the list's Python time. Two
statements:

- the page: each campaign's shown columns, its lead's slug and names, its focus countries
  (aggregated), the list's count and the stored version of the countries its filter
  offers. The page's ids are taken first by the filters in the order shown, in a subquery
  (the filters are tracker.campaigns.services.filtered_campaigns', the one place of that
  rule), so the countries are aggregated for the page's rows only;
- the page's funding targets with their totals, summed by the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select

from tracker.campaigns.models import Campaign, CampaignCountry, CampaignStatus, Theme
from tracker.campaigns.services import by_title, filtered_campaigns
from tracker.extensions import db
from tracker.i18n import Localized
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.paging import Page, last_page
from tracker.targets.models import BudgetLine, FundingTarget
from tracker.versions import CHOICES, Version, version_columns, version_now, version_of

CAMPAIGNS_PER_PAGE = 25


@dataclass(frozen=True)
class ListedTarget(Localized):
    """A funding target as the list shows it: its title, dates and total."""

    title_en: str
    title_ru: str
    starts_on: date | None
    ends_on: date | None
    total: Money

    @property
    def title(self) -> str:
        return self.localized("title")


@dataclass(frozen=True)
class ListedCampaign(Localized):
    """One row of the campaigns list: all it shows, and nothing else."""

    id: int
    slug: str
    title_en: str
    title_ru: str
    theme: Theme
    status: CampaignStatus
    lead_slug: str
    lead_name_en: str
    lead_name_ru: str
    country_codes: tuple[str, ...]
    targets: tuple[ListedTarget, ...]

    @property
    def title(self) -> str:
        return self.localized("title")

    @property
    def lead_name(self) -> str:
        return self.localized("lead_name")


@dataclass(frozen=True)
class CampaignList:
    """A page of the campaigns list, and the stored version of what the lists' filters offer
    (tracker.versions.CHOICES: the countries of this one's among it; None when the database
    holds none), read with the page."""

    listed: Page[ListedCampaign]
    countries_version: Version | None


def campaign_list(
    theme: Theme | None = None, status: CampaignStatus | None = None, country: str | None = None,
    page: int = 1, per_page: int = CAMPAIGNS_PER_PAGE,
) -> CampaignList:
    """One page of the filtered campaigns by title in the user's language, each with its
    targets' totals, the count, and the countries' version; a page past the end shows the
    last page, as every list does."""
    filters = filtered_campaigns(theme, status, country).whereclause
    page = max(1, page)
    rows = db.session.execute(_page_statement(filters, page, per_page)).all()
    if not rows:
        # An empty list, or a page past the end: the count and the version apart.
        total: int = db.session.scalar(_count(filters)) or 0
        if total and page > last_page(total, per_page):
            return campaign_list(theme, status, country, last_page(total, per_page), per_page)
        return CampaignList(Page(items=[], page=1, per_page=per_page, total=total),
                            version_now(CHOICES))
    targets = _targets_with_totals([row.id for row in rows])
    items = [ListedCampaign(row.id, row.slug, row.title_en, row.title_ru, row.theme,
                            row.status, row.lead_slug, row.lead_name_en, row.lead_name_ru,
                            tuple(sorted(row.countries.split(","))) if row.countries else (),
                            tuple(targets[row.id]))
             for row in rows]
    return CampaignList(Page(items=items, page=page, per_page=per_page, total=rows[0].counted),
                        version_of(rows[0].choices_n, rows[0].choices_stamp))


def _count(filters: Any) -> Select[int]:
    """How many campaigns the filters keep."""
    return select(func.count()).select_from(select(Campaign.id).where(*_where(filters))
                                            .subquery())


def _where(filters: Any) -> tuple[Any, ...]:
    return () if filters is None else (filters,)


def _page_statement(filters: Any, page: int, per_page: int) -> Select[Any]:
    """The page's rows with the count and the countries' version (see the module's doc)."""
    shown = (by_title(select(Campaign.id, _count(filters).scalar_subquery().label("counted"))
                      .where(*_where(filters)))
             .limit(per_page).offset((page - 1) * per_page).subquery())
    countries = (select(func.aggregate_strings(CampaignCountry.country, ","))
                 .where(CampaignCountry.campaign_id == Campaign.id).scalar_subquery())
    return by_title(
        select(Campaign.id, Campaign.slug, Campaign.title_en, Campaign.title_ru,
               Campaign.theme, Campaign.status, Organization.slug.label("lead_slug"),
               Organization.name_en.label("lead_name_en"),
               Organization.name_ru.label("lead_name_ru"), countries.label("countries"),
               shown.c.counted, *version_columns(CHOICES))
        .join(shown, shown.c.id == Campaign.id)
        .join(Organization, Organization.id == Campaign.lead_org_id))


def _targets_with_totals(campaign_ids: list[int]) -> dict[int, list[ListedTarget]]:
    """Each campaign's targets by start date, with their totals, in one statement."""
    grouped: dict[int, list[ListedTarget]] = defaultdict(list)
    rows = db.session.execute(
        select(FundingTarget.campaign_id, FundingTarget.title_en, FundingTarget.title_ru,
               FundingTarget.starts_on, FundingTarget.ends_on, FundingTarget.currency,
               func.coalesce(func.sum(BudgetLine.total_minor), 0))
        .outerjoin(BudgetLine, BudgetLine.target_id == FundingTarget.id)
        .where(FundingTarget.campaign_id.in_(campaign_ids))
        .group_by(FundingTarget.id)
        .order_by(FundingTarget.starts_on, FundingTarget.id)
    )
    for campaign_id, title_en, title_ru, starts_on, ends_on, currency, total in rows:
        grouped[campaign_id].append(ListedTarget(title_en, title_ru, starts_on, ends_on,
                                                 Money.stored(int(total), currency)))
    return grouped
