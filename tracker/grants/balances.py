"""Each spender's balance of a grant: what reached it, what it passed on, what it spent.

All in the grant's currency, summed in SQL over stored amounts (a tranche's amount is
entered in the grant's currency; an expenditure's grant-currency amount was converted
once, by the one rule or the bank's rate, when it was recorded), so every figure is an
exact integer of minor units.

For a sub-grantee:
- planned: its tranches not yet sent; sent: its tranches sent;
- received: what reached it in its own currency where that was recorded, by currency
  (shown beside, never added to the grant-currency figures);
- spent: its approved expenditures;
- incoming = sent; balance = incoming − spent.

For the holder, "received" is the award itself:
- incoming = the award; planned and sent are the tranches it plans or sent to partners
  (passed on);
- balance = award − sent to partners − its own approved spending: what it still keeps.

The balances of the holder and every partner therefore add up to award − all approved
spending, the grant's unspent money.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.grants.models import (
    Expenditure,
    ExpenditureStatus,
    Grant,
    Transfer,
    TransferStatus,
)
from tracker.i18n import country_name
from tracker.money.value import Money
from tracker.orgs.models import Organization


@dataclass(frozen=True)
class PartnerBalance:
    """One spender of the grant (the holder or a sub-grantee) and its money, in minor units."""

    organization_id: int
    name: str
    country: str
    is_holder: bool
    currency: str
    incoming_minor: int
    planned_minor: int
    sent_minor: int
    spent_minor: int
    received: tuple[Money, ...] = ()

    @property
    def passed_on_minor(self) -> int:
        """What left this organisation for others: the holder's tranches sent."""
        return self.sent_minor if self.is_holder else 0

    @property
    def balance_minor(self) -> int:
        return self.incoming_minor - self.passed_on_minor - self.spent_minor

    @property
    def incoming(self) -> Money:
        return Money.stored(self.incoming_minor, self.currency)

    @property
    def planned(self) -> Money:
        return Money.stored(self.planned_minor, self.currency)

    @property
    def sent(self) -> Money:
        return Money.stored(self.sent_minor, self.currency)

    @property
    def spent(self) -> Money:
        return Money.stored(self.spent_minor, self.currency)

    @property
    def balance(self) -> Money:
        return Money.stored(self.balance_minor, self.currency)


@dataclass(frozen=True)
class CountryBalance:
    """The spenders of one country added together (the holder's award counts as incoming)."""

    country: str
    currency: str
    incoming_minor: int
    passed_on_minor: int
    spent_minor: int

    @property
    def label(self) -> str:
        return country_name(self.country)

    @property
    def balance_minor(self) -> int:
        return self.incoming_minor - self.passed_on_minor - self.spent_minor

    @property
    def incoming(self) -> Money:
        return Money.stored(self.incoming_minor, self.currency)

    @property
    def passed_on(self) -> Money:
        return Money.stored(self.passed_on_minor, self.currency)

    @property
    def spent(self) -> Money:
        return Money.stored(self.spent_minor, self.currency)

    @property
    def balance(self) -> Money:
        return Money.stored(self.balance_minor, self.currency)


def partner_balances(grant: Grant, partner_org_id: int | None = None) -> list[PartnerBalance]:
    """The holder's and each sub-grantee's balance (only one organisation's when named).

    Three grouped queries: tranches by partner and status, what was received by partner
    and currency, approved spending by partner.
    """
    tranches: dict[tuple[int, TransferStatus], int] = {}
    for org_id, status, minor in db.session.execute(
            select(Transfer.partner_org_id, Transfer.status, func.sum(Transfer.amount_minor))
            .where(Transfer.grant_id == grant.id)
            .group_by(Transfer.partner_org_id, Transfer.status)):
        tranches[(org_id, status)] = int(minor)
    received: dict[int, list[Money]] = {}
    for receiver, currency, received_minor in db.session.execute(
            select(Transfer.partner_org_id, Transfer.received_currency,
                   func.sum(Transfer.received_minor))
            .where(Transfer.grant_id == grant.id, Transfer.status == TransferStatus.SENT,
                   Transfer.received_minor.is_not(None))
            .group_by(Transfer.partner_org_id, Transfer.received_currency)
            .order_by(Transfer.partner_org_id, Transfer.received_currency)):
        received.setdefault(receiver, []).append(Money.stored(int(received_minor or 0),
                                                              str(currency)))
    spent: dict[int, int] = {
        org_id: int(minor) for org_id, minor in db.session.execute(
            select(Expenditure.partner_org_id, func.sum(Expenditure.grant_amount_minor))
            .where(Expenditure.grant_id == grant.id,
                   Expenditure.status == ExpenditureStatus.APPROVED)
            .group_by(Expenditure.partner_org_id))}
    org_ids = [grant.holder_org_id, *(partner.organization_id for partner in grant.partners)]
    if partner_org_id is not None:
        org_ids = [org_id for org_id in org_ids if org_id == partner_org_id]
    orgs = {org.id: org for org in db.session.scalars(
        select(Organization).where(Organization.id.in_(org_ids)))} if org_ids else {}

    def of_status(org_id: int | None, status: TransferStatus) -> int:
        if org_id is None:  # every partner's: what the holder passes on
            return sum(minor for (_, each), minor in tranches.items() if each is status)
        return tranches.get((org_id, status), 0)

    balances = []
    for org_id in org_ids:
        holder = org_id == grant.holder_org_id
        key = None if holder else org_id
        sent = of_status(key, TransferStatus.SENT)
        balances.append(PartnerBalance(
            organization_id=org_id, name=orgs[org_id].name, country=orgs[org_id].country,
            is_holder=holder, currency=grant.currency,
            incoming_minor=grant.awarded_minor if holder else sent,
            planned_minor=of_status(key, TransferStatus.PLANNED), sent_minor=sent,
            spent_minor=spent.get(org_id, 0),
            received=tuple(received.get(org_id, ())) if not holder else ()))
    return balances


def country_balances(balances: Iterable[PartnerBalance]) -> list[CountryBalance]:
    """The balances added up per country, in the order of the countries' names."""
    totals: dict[str, list[int]] = {}
    currency = ""
    for balance in balances:
        currency = balance.currency
        sums = totals.setdefault(balance.country, [0, 0, 0])
        sums[0] += balance.incoming_minor
        sums[1] += balance.passed_on_minor
        sums[2] += balance.spent_minor
    rows = [CountryBalance(country, currency, *sums) for country, sums in totals.items()]
    return sorted(rows, key=lambda row: row.label)
