"""The coordinator's dashboard: every campaign's gap, coalition totals, what is due, what came in.

Every figure is read from roll-ups (funding.CampaignFunding) or from short, indexed
queries, so the page costs the same with ten thousand pledges as with a million.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.auth.models import User
from tracker.campaigns.models import Campaign, CampaignStatus
from tracker.db import utcnow
from tracker.drives.models import Drive, Pledge, PledgeStatus
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.funding.services import Gap, default_currency, gaps_of
from tracker.money.iso4217 import MINOR_UNITS
from tracker.money.services import MissingPair, RateMissing, rate_on
from tracker.money.value import Money

RECENT_PLEDGES_SHOWN = 8
DEADLINES_SHOWN = 10


@dataclass(frozen=True)
class CampaignLine:
    """One campaign on the dashboard with its figures."""

    campaign: Campaign
    gap: Gap


@dataclass(frozen=True)
class UsedRate:
    """A rate the coalition totals were converted at: pair, rate and the date it is for."""

    base: str
    quote: str
    rate: Decimal
    on: date | None


@dataclass(frozen=True)
class LeftOut:
    """A campaign left out of the coalition totals because its rate is missing."""

    campaign: Campaign
    missing: MissingPair


@dataclass
class CoalitionTotals:
    """The campaigns' figures added in one reporting currency.

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


def campaign_lines(include_archived: bool = False) -> list[CampaignLine]:
    """The campaigns (not archived unless asked) by title, each with its gap (one query each)."""
    query = select(Campaign)
    if not include_archived:
        query = query.where(Campaign.status != CampaignStatus.ARCHIVED)
    campaigns = list(db.session.scalars(query))
    gaps = gaps_of(campaign.id for campaign in campaigns)
    lines = [CampaignLine(campaign, gaps[campaign.id]) for campaign in campaigns]
    return sorted(lines, key=lambda line: line.campaign.title.casefold())


def coalition_totals(lines: Iterable[CampaignLine], currency: str,
                     today: date | None = None) -> CoalitionTotals:
    """Add the campaigns' figures in `currency`, each converted at the latest rate to today.

    A campaign whose currency has no rate to `currency` is left out and named.
    """
    lines = list(lines)
    today = today or utcnow().date()
    zero = Money.zero(currency)
    totals = CoalitionTotals(currency, zero, zero, zero, zero, zero, zero)
    # One indexed lookup per campaign currency (a handful), not the whole rate history.
    used: dict[str, UsedRate | None] = {currency: UsedRate(currency, currency, Decimal(1), None)}
    for code in {line.gap.currency for line in lines} - {currency}:
        try:
            rate, record = rate_on(code, currency, today)
        except RateMissing:
            used[code] = None
        else:
            used[code] = UsedRate(code, currency, rate, record.on_date)
    for line in lines:
        gap = line.gap
        found = used[gap.currency]
        if found is None:
            totals.left_out.append(LeftOut(line.campaign, MissingPair(today, gap.currency,
                                                                      currency)))
            continue
        rate = found.rate

        def converted(money: Money | None, rate: Decimal = rate) -> Money:
            if money is None:
                return zero
            with localcontext() as ctx:
                ctx.prec = 50
                return Money.rounded(money.amount * rate, currency)

        totals.target += converted(gap.target)
        totals.awarded += converted(gap.awarded)
        totals.received += converted(gap.received)
        totals.pledged += converted(gap.pledged)
        totals.pipeline += converted(gap.pipeline)
        totals.gap += converted(gap.gap)
        totals.campaigns += 1
    totals.rates = [found for code, found in sorted(used.items())
                    if found is not None and code != currency]
    return totals


def recent_pledges(limit: int = RECENT_PLEDGES_SHOWN) -> list[Pledge]:
    """The newest pledges across every drive (rejected ones left out), newest first."""
    return list(db.session.scalars(
        select(Pledge)
        .options(joinedload(Pledge.drive).joinedload(Drive.campaign))
        .where(Pledge.status != PledgeStatus.REJECTED)
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        .limit(limit)
    ))


def reporting_currency_of(user: User | None) -> str:
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
