"""The drives list a page at a time, read as the columns it shows (issue 15).

Loading each page's drives as records, with their campaigns', organisers' and roll-ups'
records, cost four times as much as reading the columns a row shows (every drive's texts,
payment instructions and contacts came along). The page's drives are chosen on the drive
table alone, then only they are joined to their organiser, campaign and roll-up; each row
is read as stored (what the list shows, and a kept row's key: tracker/drives/views/
list_rows.py) and made a line with its figures only when it is rendered.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select

from tracker.campaigns.models import Campaign
from tracker.drives.models import Drive, DriveStatus, DriveTotals
from tracker.drives.selectors import DRIVES_PER_PAGE, DriveFigures, figures_of
from tracker.i18n import Localized, NameLine, TitleLine
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.paging import Page, page_of_statements
from tracker.prepared import planned_once


@dataclass(frozen=True)
class CampaignLine(TitleLine):
    """A drive's campaign: its titles and its slug (a link)."""

    slug: str


@dataclass(frozen=True)
class DriveLine(Localized):
    """A drive as the list shows it: titles, status, goal and dates, organiser, campaign."""

    id: int
    slug: str
    title_en: str
    title_ru: str
    status: DriveStatus
    is_public: bool
    goal: Money
    currency: str
    starts_on: date
    ends_on: date | None
    organiser: NameLine
    campaign: CampaignLine

    @property
    def title(self) -> str:
        return self.localized("title")


@dataclass(frozen=True)
class TotalsLine:
    """A drive's roll-up as its figures read it."""

    currency: str
    received: Money
    pledged: Money
    supporters: int
    unconverted: int


@dataclass(frozen=True)
class DriveListRow:
    """A row of the drives list: the drive and its figures (today's days left)."""

    drive: DriveLine
    figures: DriveFigures


def page_of_drive_rows(campaign_id: int | None = None, status: DriveStatus | None = None,
                       page: int = 1, per_page: int = DRIVES_PER_PAGE) -> Page[Any]:
    """One page of the drives, filtered by campaign and status, newest start first, as rows
    of the columns the list shows: a count and one query."""
    values = {name: value for name, value in (("campaign_id", campaign_id), ("status", status))
              if value is not None}
    return page_of_statements(*_statements(tuple(values)), values, page, per_page)


@cache  # Built once a shape: building and compiling them cost as much as running them.
def _statements(filtered_by: tuple[str, ...]) -> tuple[Select[Any], Select[Any]]:
    """The count and the page of the drives filtered by these columns (their values, the
    `limit` and the `offset` bound at each run)."""
    conditions = [getattr(Drive, name) == bindparam(name) for name in filtered_by]
    count = select(func.count()).select_from(Drive).where(*conditions)
    newest_first = (Drive.starts_on.desc(), Drive.id.desc())
    chosen = (select(Drive.id).where(*conditions).order_by(*newest_first)
              .limit(bindparam("limit", type_=Integer))
              .offset(bindparam("offset", type_=Integer)).subquery())
    rows = (
        select(Drive.id, Drive.slug, Drive.title_en, Drive.title_ru, Drive.status,
               Drive.is_public, Drive.goal_minor, Drive.currency, Drive.starts_on, Drive.ends_on,
               Organization.name_en.label("organiser_en"),
               Organization.name_ru.label("organiser_ru"), Campaign.slug.label("campaign_slug"),
               Campaign.title_en.label("campaign_en"), Campaign.title_ru.label("campaign_ru"),
               DriveTotals.currency.label("totals_currency"), DriveTotals.received_minor,
               DriveTotals.pledged_minor, DriveTotals.supporters, DriveTotals.unconverted)
        .join(chosen, chosen.c.id == Drive.id)
        .join(Organization, Organization.id == Drive.organiser_org_id)
        .join(Campaign, Campaign.id == Drive.campaign_id)
        .outerjoin(DriveTotals, DriveTotals.drive_id == Drive.id)
        .order_by(*newest_first)
    )
    # The page's limit and offset in the SQL: with them as parameters PostgreSQL planned the
    # page afresh at each view (0.5 ms); a page of 1,000 drives is one plan for any filter.
    return count, typing.cast("Select[Any]", planned_once(rows, keep=filtered_by))


def drive_list_row(row: Any) -> DriveListRow:
    """One of `page_of_drive_rows` as the list shows it, its figures as of today."""
    drive = DriveLine(
        id=row.id, slug=row.slug, title_en=row.title_en, title_ru=row.title_ru,
        status=row.status, is_public=row.is_public,
        goal=Money.stored(row.goal_minor, row.currency), currency=row.currency,
        starts_on=row.starts_on, ends_on=row.ends_on,
        organiser=NameLine(row.organiser_en, row.organiser_ru),
        campaign=CampaignLine(row.campaign_en, row.campaign_ru, row.campaign_slug))
    totals = None if row.totals_currency is None else TotalsLine(
        currency=row.totals_currency,
        received=Money.stored(row.received_minor, row.totals_currency),
        pledged=Money.stored(row.pledged_minor, row.totals_currency),
        supporters=row.supporters, unconverted=row.unconverted)
    return DriveListRow(drive, figures_of(drive, totals))
