"""The demo's crowdfunding drive (drives.toml): the Chelyabinsk NGOs invite the Tajik XRF team.

Everything goes through the services and is looked up first (the drive by slug, pledges
by reference, the public pledge by its contact), so a second load adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tracker.demo.files import campaign, organization, read
from tracker.demo.rates import RATE_SOURCE, cross_rates
from tracker.demo.report import SeedReport
from tracker.drives.models import Channel, DriveStatus, Pledge
from tracker.drives.services import (
    DriveInput,
    PaymentInput,
    PledgeInput,
    PublicPledgeInput,
    create_drive,
    find_drive,
    log_pledge,
    move_drive,
    record_payment,
    submit_public_pledge,
)
from tracker.extensions import db
from tracker.money.services import add_rate, find_rate


@dataclass(frozen=True)
class DemoPayment:
    amount: str
    currency: str
    paid_on: date
    method: Channel
    reference: str = ""


@dataclass(frozen=True)
class DemoPledge:
    reference: str
    name: str
    amount: str
    currency: str
    pledged_on: date
    channel: Channel
    anonymous: bool = False
    email: str = ""
    note: str = ""
    payments: tuple[DemoPayment, ...] = ()


def _payment(item: dict[str, Any]) -> DemoPayment:
    return DemoPayment(item["amount"], item["currency"], item["paid_on"],
                       Channel(item["method"]), item.get("reference", ""))


def _pledge(item: dict[str, Any]) -> DemoPledge:
    return DemoPledge(
        item["reference"], item.get("name", ""), item["amount"], item["currency"],
        item["pledged_on"], Channel(item["channel"]), item.get("anonymous", False),
        item.get("email", ""), item.get("note", ""),
        tuple(_payment(payment) for payment in item.get("payments", ())),
    )


_DATA = read("drives")
_DRIVE: dict[str, Any] = _DATA["drive"]
DRIVE_SLUG: str = _DRIVE["slug"]
CAMPAIGN_SLUG: str = _DRIVE["campaign"]
ORGANISER_SLUG: str = _DRIVE["organiser"]
# The campaign of the Chelyabinsk XRF drive, led by For Nature (Chelyabinsk).
XRF_CAMPAIGN = CAMPAIGN_SLUG
PLEDGES: tuple[DemoPledge, ...] = tuple(_pledge(item) for item in _DATA["pledges"])
PUBLIC_PLEDGE = PublicPledgeInput(**{
    **_DATA["public_pledge"], "amount": Decimal(_DATA["public_pledge"]["amount"])})


def drive_input(organiser_org_id: int) -> DriveInput:
    """The demo drive as the drives service takes it, organised by this organisation."""
    fields = {key: value for key, value in _DRIVE.items()
              if key not in ("campaign", "organiser")}
    return DriveInput(**{**fields, "goal": Decimal(fields["goal"]),
                         "organiser_org_id": organiser_org_id})


@dataclass
class DriveDemoReport:
    """What the drives demo added."""

    drives: int = 0
    pledges: int = 0
    payments: int = 0
    rates: int = 0


def load_drive_demo(report: SeedReport | None = None) -> DriveDemoReport:
    """Create whatever part of the Chelyabinsk XRF drive is missing; the caller commits."""
    added = DriveDemoReport()
    for base, quote, on_date, rate in cross_rates():
        if find_rate(base, quote, on_date) is None and find_rate(quote, base, on_date) is None:
            add_rate(on_date, base, quote, rate, RATE_SOURCE)
            added.rates += 1

    drive = find_drive(DRIVE_SLUG)
    if drive is None:
        try:
            owner, organiser = campaign(CAMPAIGN_SLUG), organization(ORGANISER_SLUG)
        except LookupError as missing:
            raise LookupError("the demo campaign and organisations must be loaded first") \
                from missing
        drive = create_drive(owner, drive_input(organiser.id))
        move_drive(drive, DriveStatus.LIVE)
        added.drives += 1

    known = set(db.session.scalars(
        select(Pledge.external_reference).where(Pledge.drive_id == drive.id)
    ))
    for item in PLEDGES:
        if item.reference in known:
            continue
        pledge = log_pledge(drive, PledgeInput(
            amount=Decimal(item.amount), currency=item.currency, pledged_on=item.pledged_on,
            pledger_name=item.name, is_anonymous=item.anonymous, contact_email=item.email,
            channel=item.channel, external_reference=item.reference, note=item.note,
        ), by=None)
        added.pledges += 1
        for payment in item.payments:
            record_payment(pledge, PaymentInput(
                amount=Decimal(payment.amount), currency=payment.currency,
                paid_on=payment.paid_on, method=payment.method, reference=payment.reference,
            ), by=None)
            added.payments += 1

    public_pledged = db.session.scalar(select(Pledge.id).where(
        Pledge.drive_id == drive.id, Pledge.contact_email == PUBLIC_PLEDGE.contact_email,
    ).limit(1))
    if public_pledged is None and drive.accepts_public_pledges:
        submit_public_pledge(drive, PUBLIC_PLEDGE)
        added.pledges += 1

    if report is not None:
        report.rates += added.rates
        report.drives += added.drives
        report.pledges += added.pledges
    return added
