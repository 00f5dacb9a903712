"""A proposal's budget and co-financing, converted into the donor's currency.

The budget comes from the campaign's funding targets that overlap the project (all of
them when the project has no dates): sums per category, per currency and per partner
are made by the database in each line's own currency, then converted into the donor's
currency at the latest rate on or before the day of printing (tracker.money's rule).
A converted total is the sum of the converted subtotals shown above it, so the column
adds up; a missing rate is stated and the total left open, never taken as zero.
Co-financing converts each day's payments and pledges at the rate of their own date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from tracker.applications.models import Application, ApplicationStatus
from tracker.drives.models import OPEN, Channel, Drive, Payment, Pledge
from tracker.extensions import db
from tracker.i18n import country_name
from tracker.money.services import RateMissing, convert
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.targets.models import BudgetCategory, BudgetLine, FundingTarget

# Conversion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RateUsed:
    """A rate a proposal's figures were converted with, stated under the budget."""

    base: str
    quote: str
    rate: Decimal
    on: date
    source: str


class Converter:
    """Converts amounts into one currency and remembers the rates used and those missing."""

    def __init__(self, to: str) -> None:
        self.to = to
        self.used: dict[tuple[str, date], RateUsed] = {}
        self.missing: dict[tuple[str, date], str] = {}

    def __call__(self, money: Money, on: date) -> Money | None:
        """The amount in the target currency, or None when no rate is known (noted)."""
        try:
            conversion = convert(money, self.to, on)
        except RateMissing as error:
            self.missing[(money.currency, on)] = error.message
            return None
        if conversion.rate_date is not None:
            self.used[(money.currency, conversion.rate_date)] = RateUsed(
                money.currency, self.to, conversion.rate, conversion.rate_date,
                conversion.source)
        return conversion.converted

    def rates(self) -> list[RateUsed]:
        return sorted(self.used.values(), key=lambda rate: (rate.base, rate.on))

    def problems(self) -> list[str]:
        return [self.missing[key] for key in sorted(self.missing)]


def add_up(amounts: Iterable[Money | None], currency: str) -> Money | None:
    """The sum of converted amounts, or None when one of them could not be converted."""
    total = Money.zero(currency)
    for amount in amounts:
        if amount is None:
            return None
        total = total + amount
    return total


# The budget ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetRow:
    line: BudgetLine
    description: str
    justification: str
    partner: str
    country: str


@dataclass(frozen=True)
class CategoryBlock:
    label: str
    rows: list[BudgetRow]
    subtotals: list[Money]  # one per currency, summed by the database
    converted: Money | None


@dataclass(frozen=True)
class PartnerShare:
    name: str
    amounts: list[Money]
    converted: Money | None


@dataclass(frozen=True)
class CountryShare:
    country: str
    partners: list[PartnerShare]
    converted: Money | None


@dataclass(frozen=True)
class Budget:
    currency: str
    periods: list[FundingTarget]
    categories: list[CategoryBlock]
    totals: list[Money]  # one per currency, summed by the database
    total: Money | None  # in the donor's currency; None when a rate is missing
    countries: list[CountryShare]
    needs_conversion: bool

    @property
    def empty(self) -> bool:
        return not self.categories


def _overlapping_targets(application: Application) -> list[FundingTarget]:
    query = select(FundingTarget).where(FundingTarget.campaign_id == application.campaign_id)
    starts, ends = application.project_starts_on, application.project_ends_on
    targets = list(db.session.scalars(query.order_by(FundingTarget.starts_on,
                                                     FundingTarget.id)))
    if starts is None or ends is None:
        return targets
    overlapping = [t for t in targets if t.starts_on <= ends and t.ends_on >= starts]
    return overlapping or targets


def build_budget(application: Application, currency: str, on: date, language: str,
                 convert_to: Converter) -> Budget:
    """The budget of the targets the project overlaps, by category, in `currency` too."""
    targets = _overlapping_targets(application)
    target_ids = [target.id for target in targets]
    if not target_ids:
        return Budget(currency, [], [], [], Money.zero(currency), [], False)
    lines = list(db.session.scalars(
        select(BudgetLine).options(joinedload(BudgetLine.partner))
        .where(BudgetLine.target_id.in_(target_ids))
        .order_by(BudgetLine.target_id, BudgetLine.id)
    ))
    by_category: dict[BudgetCategory, list[BudgetRow]] = {}
    for line in lines:
        partner = line.partner
        by_category.setdefault(line.category, []).append(BudgetRow(
            line=line,
            description=line.localized("description", language),
            justification=line.localized("justification", language),
            partner=partner.localized("name", language) if partner else "",
            country=country_name(partner.country, language) if partner else "",
        ))
    sums: dict[BudgetCategory, list[Money]] = {}
    for category, code, minor in db.session.execute(
        select(BudgetLine.category, BudgetLine.currency, func.sum(BudgetLine.total_minor))
        .where(BudgetLine.target_id.in_(target_ids))
        .group_by(BudgetLine.category, BudgetLine.currency)
        .order_by(BudgetLine.currency)
    ):
        sums.setdefault(category, []).append(Money.from_minor(int(minor), code))
    categories = []
    for category in BudgetCategory:  # the categories' own order, as donors' forms list them
        if category not in by_category:
            continue
        subtotals = sums.get(category, [])
        converted = add_up((convert_to(amount, on) for amount in subtotals), currency)
        categories.append(CategoryBlock(category.label, by_category[category], subtotals,
                                        converted))
    totals = [Money.from_minor(int(minor), code) for code, minor in db.session.execute(
        select(BudgetLine.currency, func.sum(BudgetLine.total_minor))
        .where(BudgetLine.target_id.in_(target_ids))
        .group_by(BudgetLine.currency).order_by(BudgetLine.currency)
    )]
    total = add_up((block.converted for block in categories), currency)
    countries = _budget_by_country(target_ids, currency, on, language, convert_to)
    needs_conversion = any(amount.currency != currency for amount in totals)
    return Budget(currency, targets, categories, totals, total, countries, needs_conversion)


def _budget_by_country(target_ids: list[int], currency: str, on: date, language: str,
                       convert_to: Converter) -> list[CountryShare]:
    """The budget split by the spending partners' countries, then by partner."""
    rows = db.session.execute(
        select(Organization, BudgetLine.currency, func.sum(BudgetLine.total_minor))
        .select_from(BudgetLine)
        .outerjoin(Organization, Organization.id == BudgetLine.partner_org_id)
        .where(BudgetLine.target_id.in_(target_ids))
        .group_by(Organization.id, BudgetLine.currency)
        .order_by(Organization.country, Organization.id, BudgetLine.currency)
    ).all()
    nobody = _("Not assigned to a partner")
    partners: dict[tuple[str, str], list[Money]] = {}
    for org, code, minor in rows:
        key = (country_name(org.country, language) if org else "",
               org.localized("name", language) if org else nobody)
        partners.setdefault(key, []).append(Money.from_minor(int(minor), code))
    countries: dict[str, list[PartnerShare]] = {}
    for (country, name), amounts in partners.items():
        converted = add_up((convert_to(amount, on) for amount in amounts), currency)
        countries.setdefault(country, []).append(PartnerShare(name, amounts, converted))
    return [CountryShare(country, shares, add_up((s.converted for s in shares), currency))
            for country, shares in sorted(countries.items(), key=lambda item: (
                item[0] == "", item[0].casefold()))]


# Co-financing -------------------------------------------------------------------------


@dataclass(frozen=True)
class CofinancingRow:
    label: str
    kind: str  # secured | pledged | in_kind
    originals: list[Money]
    amount: Money | None


@dataclass(frozen=True)
class Cofinancing:
    rows: list[CofinancingRow]
    secured: Money | None
    pledged: Money | None
    in_kind: Money | None
    total: Money | None


def _dated_sums(query: Any) -> dict[bool, list[tuple[Money, date]]]:
    grouped: dict[bool, list[tuple[Money, date]]] = {False: [], True: []}
    for in_kind, code, on, minor in db.session.execute(query):
        if int(minor) > 0:
            grouped[bool(in_kind)].append((Money.from_minor(int(minor), code), on))
    return grouped


def build_cofinancing(application: Application, currency: str, on: date, language: str,
                      convert_to: Converter) -> Cofinancing:
    """Other awarded grants of the campaign, and its drives' money: received, pledged, in kind.

    The database sums payments and the unpaid rest of open pledges per currency, day and
    whether they are in kind; each day's sum is converted at that day's rate.
    """
    rows: list[CofinancingRow] = []
    grants = db.session.scalars(
        select(Application).options(joinedload(Application.donor))
        .where(Application.campaign_id == application.campaign_id,
               Application.id != application.id,
               Application.status == ApplicationStatus.AWARDED)
        .order_by(Application.decision_date, Application.id)
    )
    for grant in grants:
        awarded = grant.awarded
        if awarded is None:
            continue
        rows.append(CofinancingRow(
            _("Grant from %(donor)s: %(title)s", donor=grant.donor.localized("name", language),
              title=grant.localized("title", language)),
            "secured", [awarded], convert_to(awarded, grant.decision_date or on)))
    drives = select(Drive.id).where(Drive.campaign_id == application.campaign_id)
    paid_in_kind = case((Payment.method == Channel.IN_KIND, 1), else_=0)
    received = _dated_sums(
        select(paid_in_kind, Payment.currency, Payment.paid_on, func.sum(Payment.amount_minor))
        .join(Pledge, Payment.pledge_id == Pledge.id)
        .where(Pledge.drive_id.in_(drives))
        .group_by(paid_in_kind, Payment.currency, Payment.paid_on)
        .order_by(Payment.currency, Payment.paid_on)
    )
    pledged_in_kind = case((Pledge.channel == Channel.IN_KIND, 1), else_=0)
    unpaid = case((Pledge.amount_minor > Pledge.paid_minor,
                   Pledge.amount_minor - Pledge.paid_minor), else_=0)
    pledged = _dated_sums(
        select(pledged_in_kind, Pledge.currency, Pledge.pledged_on, func.sum(unpaid))
        .where(Pledge.drive_id.in_(drives), Pledge.status.in_(OPEN))
        .group_by(pledged_in_kind, Pledge.currency, Pledge.pledged_on)
        .order_by(Pledge.currency, Pledge.pledged_on)
    )

    def row(label: str, kind: str, sums: list[tuple[Money, date]]) -> None:
        if not sums:
            return
        originals: dict[str, Money] = {}
        for money, _day in sums:
            originals[money.currency] = originals.get(money.currency,
                                                      Money.zero(money.currency)) + money
        converted = add_up((convert_to(money, day) for money, day in sums), currency)
        rows.append(CofinancingRow(label, kind, sorted(originals.values(),
                                                       key=lambda m: m.currency), converted))

    row(_("Crowdfunding: received"), "secured", received[False])
    row(_("Crowdfunding: pledged, not yet paid"), "pledged", pledged[False])
    row(_("In kind: received"), "in_kind", received[True])
    row(_("In kind: pledged"), "in_kind", pledged[True])

    def total_of(kinds: set[str]) -> Money | None:
        return add_up((r.amount for r in rows if r.kind in kinds), currency)

    return Cofinancing(rows, total_of({"secured"}), total_of({"pledged"}),
                       total_of({"in_kind"}), total_of({"secured", "pledged", "in_kind"}))
