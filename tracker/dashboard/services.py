"""The coordinator's dashboard: every campaign's gap, coalition totals, what is due, what came in.

Every figure is read from roll-ups (funding.CampaignFunding) or from short, indexed
queries, so the page costs the same with ten thousand pledges as with a million. Every
campaign's figures are shown in the user's reporting currency, converted by the one rule
(money.conversion, through a pivot currency if need be) from one RateBook read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, select

from tracker.applications.services import CollisionLine, collision_lines
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.drives.models import Drive, Pledge, PledgeStatus
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.funding.services import Gap, default_currency
from tracker.grants.services import CampaignSpending
from tracker.i18n import TitleLine, current_language
from tracker.money.iso4217 import MINOR_UNITS
from tracker.money.services import MissingPair, RateBook, RatePath, apply_rate
from tracker.money.value import Money
from tracker.paging import Page, last_page

RECENT_PLEDGES_SHOWN = 8
DEADLINES_SHOWN = 10
# Campaign rows a page, the largest gap first: with 200 campaigns every row on one page was
# most of the dashboard's cost (issue 15), and the first page holds those needing money most.
CAMPAIGNS_PER_PAGE = 25
# Collisions a page: each names every competing application, and a season of calls made
# them the dashboard's longest section (issue 15: a bounded list with its count).
COLLISIONS_PER_PAGE = 5


@dataclass(frozen=True)
class UsedRate:
    """How a campaign currency was converted into the reporting currency: its path.

    `path.legs` names every stored rate used (one, or two through a pivot), each with
    its date and source.
    """

    base: str
    quote: str
    path: RatePath

    @property
    def rate(self) -> Decimal:
        return self.path.rate

    @property
    def on(self) -> date:
        return self.path.on


@dataclass(frozen=True)
class CampaignHead(TitleLine):
    """What a dashboard line shows of its campaign: its titles and its link."""

    id: int
    slug: str


@dataclass(frozen=True)
class CampaignLine:
    """One campaign on the dashboard: its figures in its own currency and as shown.

    `shown` is the figures in the reporting currency (each part converted by the one
    rule at the latest rate); None when no path exists, and `missing` names the pair.
    """

    campaign: CampaignHead
    gap: Gap
    shown: Gap | None = None
    missing: MissingPair | None = None
    path: RatePath | None = None

    @property
    def converted(self) -> bool:
        """Whether the shown figures are a conversion of the campaign's own."""
        return self.shown is not None and self.shown.currency != self.gap.currency


@dataclass(frozen=True)
class LeftOut:
    """A campaign left out of the coalition totals because no path to its currency exists."""

    campaign: CampaignHead
    missing: MissingPair


@dataclass
class CoalitionTotals:
    """The campaigns' figures added in one reporting currency: the sums of the rows shown.

    The gap is the sum of each campaign's own gap: one campaign's surplus does not fill
    another's gap.
    """

    currency: str
    target: Money
    awarded: Money
    received: Money
    pledged: Money
    pipeline: Money
    gap: Money
    campaigns: int = 0
    rates: list[UsedRate] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)

    @property
    def secured(self) -> Money:
        return self.awarded + self.received


def in_reporting_currency(lines: Iterable[CampaignLine], currency: str,
                          today: date | None = None, book: RateBook | None = None
                          ) -> list[CampaignLine]:
    """Each line with its figures converted into `currency` at the latest rate to today.

    Every part (target, awarded, received, pledged, pipeline) is converted by the one
    rule (money.conversion, through a pivot if need be); secured and the gap follow from
    the converted parts, so each row adds up in the reporting currency.
    """
    lines = list(lines)
    today = today or utcnow().date()
    if book is None:
        book = RateBook.load({currency, *(line.gap.currency for line in lines)})
    result = []
    for line in lines:
        own = line.gap
        path = book.path(own.currency, currency, today) if own.currency != currency else None
        if own.currency != currency and path is None:
            result.append(CampaignLine(line.campaign, own, None,
                                       MissingPair(today, own.currency, currency)))
            continue
        rate = path.rate if path is not None else Decimal(1)

        def shown(money: Money, rate: Decimal = rate) -> Money:
            return apply_rate(money.amount, rate, currency)

        result.append(CampaignLine(line.campaign, own, Gap(
            currency=currency,
            target=None if own.target is None else shown(own.target),
            awarded=shown(own.awarded), received=shown(own.received),
            pledged=shown(own.pledged), pipeline=shown(own.pipeline),
            unconverted=own.unconverted, missing=own.missing,
        ), path=path))
    return result


def coalition_totals(lines: Iterable[CampaignLine], currency: str,
                     today: date | None = None) -> CoalitionTotals:
    """Add the campaigns' figures as shown in `currency` (converted at the latest rate).

    Lines not yet converted are converted here; a campaign with no path from its
    currency to `currency` is left out and named with the missing pair.
    """
    lines = list(lines)
    today = today or utcnow().date()
    if any(line.shown is None and line.missing is None for line in lines) or any(
            line.shown is not None and line.shown.currency != currency for line in lines):
        lines = in_reporting_currency(lines, currency, today)
    # Each shown amount is already at the currency's exponent, so adding the amounts is
    # exact; a Money is built once per total (adding 1,200 Money values was 15 ms).
    target = awarded = received = pledged = pipeline = gap = Decimal(0)
    counted = 0
    left_out: list[LeftOut] = []
    used: dict[str, UsedRate] = {}
    for line in lines:
        if line.shown is None:
            assert line.missing is not None
            left_out.append(LeftOut(line.campaign, line.missing))
            continue
        shown = line.shown
        if shown.target is not None:
            target += shown.target.amount
        awarded += shown.awarded.amount
        received += shown.received.amount
        pledged += shown.pledged.amount
        pipeline += shown.pipeline.amount
        own_gap = shown.gap
        if own_gap is not None:
            gap += own_gap.amount
        counted += 1
        if line.path is not None:
            used.setdefault(line.gap.currency, UsedRate(line.gap.currency, currency, line.path))
    def total(amount: Decimal) -> Money:
        return Money(amount, currency)

    totals = CoalitionTotals(currency, total(target), total(awarded), total(received),
                             total(pledged), total(pipeline), total(gap), campaigns=counted,
                             left_out=left_out)
    totals.rates = [used[code] for code in sorted(used)]
    return totals


def by_gap(lines: Iterable[CampaignLine]) -> list[CampaignLine]:
    """The campaigns in the dashboard's order: those left out of the totals first (with no
    rate their gap cannot be compared, and they need one recorded), then the largest gap as
    shown first, campaigns without a target last; equal gaps by title."""
    language = current_language()

    def order(line: CampaignLine) -> tuple[int, Decimal, str]:
        title = line.campaign.localized("title", language).casefold()
        if line.shown is None:
            return 0, Decimal(0), title
        gap = line.shown.gap
        return (2, Decimal(0), title) if gap is None else (1, -gap.amount, title)

    return sorted(lines, key=order)


def campaigns_page(lines: Iterable[CampaignLine], page: int = 1,
                   per_page: int = CAMPAIGNS_PER_PAGE) -> Page[CampaignLine]:
    """One page of the campaigns in `by_gap`'s order; a page past the end shows the last."""
    ordered = by_gap(lines)
    number = min(page, last_page(len(ordered), per_page))
    start = (number - 1) * per_page
    return Page(ordered[start:start + per_page], number, per_page, len(ordered))


def collisions_page(today: date, page: int = 1,
                    per_page: int = COLLISIONS_PER_PAGE) -> Page[CollisionLine]:
    """One page of the collisions of calls whose deadline is today or later, in
    `collision_lines`' order; a page past the end shows the last one."""
    return page_of_collisions(collision_lines(deadline_from=today), page, per_page)


def page_of_collisions(lines: list[CollisionLine], page: int = 1,
                       per_page: int = COLLISIONS_PER_PAGE) -> Page[CollisionLine]:
    """One page of these collisions; a page past the end shows the last one."""
    number = min(page, last_page(len(lines), per_page))
    start = (number - 1) * per_page
    return Page(lines[start:start + per_page], number, per_page, len(lines))


@dataclass(frozen=True)
class PledgeDrive(TitleLine):
    """What a recent pledge's row shows of its drive: its title, link and campaign."""

    slug: str
    campaign_id: int


@dataclass(frozen=True)
class RecentPledge:
    """A recent pledge as the dashboard shows it: who, how much, when, its status and drive."""

    id: int
    pledger_name: str
    is_anonymous: bool
    amount: Money
    pledged_on: date
    status: PledgeStatus
    drive: PledgeDrive


@cache  # Built once: building and compiling it cost as much as running it (issue 15).
def recent_statement() -> Select[Any]:
    """The newest pledges' shown columns, with their drive's and the columns that order them
    (so that the rows alone say the order they are shown in: the kept list's key),
    `recent_limit` bound at each run."""
    return cast("Select[Any]", (
        select(Pledge.id, Pledge.pledger_name, Pledge.is_anonymous, Pledge.amount_minor,
               Pledge.currency, Pledge.pledged_on, Pledge.status, Drive.slug, Drive.title_en,
               Drive.title_ru, Drive.campaign_id, Pledge.created_at)
        .join(Drive, Drive.id == Pledge.drive_id)
        .where(Pledge.status != PledgeStatus.REJECTED)
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        .limit(bindparam("recent_limit", type_=Integer))
    ))


def recent_pledge_rows(limit: int = RECENT_PLEDGES_SHOWN) -> list[Any]:
    """The newest pledges across every drive (rejected ones left out), newest first, as rows
    of the shown columns read as stored."""
    return list(db.session.execute(recent_statement(), {"recent_limit": limit}))


def recent_pledge(row: Any) -> RecentPledge:
    """One of `recent_pledge_rows` as the dashboard shows it."""
    return RecentPledge(row.id, row.pledger_name, row.is_anonymous,
                        Money.stored(row.amount_minor, row.currency), row.pledged_on,
                        row.status, PledgeDrive(row.title_en, row.title_ru, row.slug,
                                                row.campaign_id))


def recent_pledges(limit: int = RECENT_PLEDGES_SHOWN) -> list[RecentPledge]:
    """The newest pledges across every drive (rejected ones left out), newest first."""
    return [recent_pledge(row) for row in recent_pledge_rows(limit)]


def reporting_currency_of(user: object) -> str:
    """The currency the user chose for coalition totals, or the configured default."""
    chosen = getattr(user, "reporting_currency", None)
    return chosen or default_currency()


def set_reporting_currency(user: User, currency: str) -> None:
    """Remember the user's reporting currency; an unknown code is refused."""
    code = currency.strip().upper()
    if code not in MINOR_UNITS:
        raise DomainError(_("Choose a known currency (ISO 4217 code)."), field="currency")
    user.reporting_currency = code
    db.session.flush()


@dataclass(frozen=True)
class DashboardFigures:
    """Every campaign's row in the reporting currency, and what its grants spent."""

    lines: list[CampaignLine]
    spending: dict[int, CampaignSpending]
    spending_total: CampaignSpending
