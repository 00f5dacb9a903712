"""The demo's awarded regional grant (grants.toml), built through the grants services.

UNIDO's support to the mercury-free campaign, held by the hub with partners in Moldova,
Armenia and Ukraine: the grant opened from its awarded application (whose budget
application_budgets.toml gives), a revision (version 2), planned and sent tranches, and
expenditures in MDL, EUR and USD over two reporting periods, one category overspent
beyond the donor's flexibility. Each record is looked up by its natural key first (the
grant by reference, a rate by pair and date, a tranche by partner and number, an
expenditure by partner and document), so loading twice adds nothing and a partial load
is completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tracker.applications.models import Application
from tracker.demo.files import organization, read
from tracker.demo.rates import RATE_SOURCE
from tracker.demo.report import SeedReport
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.grants.models import Expenditure, ExpenditureStatus, Grant, Transfer
from tracker.money.services import add_rate, find_rate
from tracker.money.value import Money

_DATA = read("grants")
GRANT: dict[str, Any] = _DATA["grant"]
REVISION: dict[str, Any] = _DATA["revision"]
RATES: list[dict[str, Any]] = _DATA["rates"]
TRANSFERS: list[dict[str, Any]] = _DATA["transfers"]
EXPENDITURES: list[dict[str, Any]] = _DATA["expenditures"]
DEMO_GRANT: str = GRANT["reference"]


@dataclass
class GrantSeed:
    """What the grant demo added."""

    grants: int = 0
    rates: int = 0
    transfers: int = 0
    expenditures: int = 0


def _load_rates(seed: GrantSeed) -> None:
    for pair in RATES:
        for on_date, value in zip(pair["dates"], pair["values"], strict=True):
            if find_rate(pair["base"], pair["quote"], on_date) is None:
                add_rate(on_date, pair["base"], pair["quote"], Decimal(value), RATE_SOURCE)
                seed.rates += 1


def _open(seed: GrantSeed) -> Grant | None:
    existing = db.session.scalar(select(Grant).where(Grant.reference == DEMO_GRANT))
    if existing is not None:
        return existing
    application = db.session.scalar(select(Application).where(
        Application.donor_org_id == organization(GRANT["donor"]).id,
        Application.title_en == GRANT["application"]))
    if application is None:
        return None
    grant = grants.open_grant(application, grants.GrantInput(
        reference=DEMO_GRANT, holder_org_id=organization(GRANT["holder"]).id,
        partner_org_ids=tuple(organization(slug).id for slug in GRANT["partners"]),
        starts_on=GRANT["starts_on"], ends_on=GRANT["ends_on"],
        periods=tuple(grants.PeriodInput(period["starts_on"], period["ends_on"],
                                         period["due_on"]) for period in GRANT["periods"])),
        by=None)
    seed.grants += 1
    return grant


def _revise(grant: Grant) -> None:
    if len(grant.versions) >= 2:
        return
    grants.revise_budget(grant, grants.RevisionInput(
        approved_on=REVISION["approved_on"],
        amounts={code: Money(Decimal(amount), grant.currency).minor
                 for code, amount in REVISION["amounts"].items()},
        donor_reference=REVISION["donor_reference"], note=REVISION["note"]), by=None)


def _transfers(grant: Grant, seed: GrantSeed) -> None:
    numbers: dict[int, int] = {}
    for item in TRANSFERS:
        partner = organization(item["partner"])
        tranche = numbers[partner.id] = numbers.get(partner.id, 0) + 1
        if db.session.scalar(select(Transfer.id).where(
                Transfer.grant_id == grant.id, Transfer.partner_org_id == partner.id,
                Transfer.tranche == tranche)) is not None:
            continue
        grants.record_transfer(grant, grants.TransferInput(
            partner_org_id=partner.id, planned_on=item["planned_on"],
            amount=Money(Decimal(item["amount"]), grant.currency),
            sent_on=item.get("sent_on"), received_currency=item.get("received_currency"),
            tranche=tranche))
        seed.transfers += 1


def _expenditures(grant: Grant, seed: GrantSeed) -> None:
    lines = {line.code: line for line in grant.lines}
    for item in EXPENDITURES:
        line = lines[item["line"]]
        if db.session.scalar(select(Expenditure.id).where(
                Expenditure.grant_id == grant.id,
                Expenditure.partner_org_id == line.partner_org_id,
                Expenditure.document_number == item["document"])) is not None:
            continue
        expenditure = grants.record_expenditure(grant, grants.ExpenditureInput(
            line_code=line.code, partner_org_id=line.partner_org_id, spent_on=item["date"],
            amount=Money(Decimal(item["amount"]), item["currency"]),
            document_number=item["document"], description=item["description"],
            bank_rate=Decimal(item["bank_rate"]) if "bank_rate" in item else None), by=None)
        if ExpenditureStatus(item.get("status", "approved")) is ExpenditureStatus.APPROVED:
            grants.approve_expenditure(expenditure, by=None)
        seed.expenditures += 1


def load_grant_demo(report: SeedReport | None = None) -> GrantSeed:
    """Create whatever part of the grant demo is missing; the caller commits."""
    seed = GrantSeed()
    _load_rates(seed)
    grant = _open(seed)
    if grant is not None:
        _revise(grant)
        _transfers(grant, seed)
        _expenditures(grant, seed)
    if report is not None:
        report.rates += seed.rates
        report.grants += seed.grants
        report.expenditures += seed.expenditures
    return seed
