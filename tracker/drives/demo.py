"""Demo data of the drives area: the Chelyabinsk NGOs' drive to invite the Tajik XRF team.

From the EECCA meeting report: a group from Chelyabinsk planned a crowdfunding drive to
invite the Tajik NGO that owns the region's only XRF analyser, to test products and soil
in the city. Pledgers and amounts are made up. Everything goes through the services and
is looked up first (the drive by slug, pledges by reference), so a second load adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from tracker.campaigns.services import find_campaign
from tracker.demo import EUR_USD, RATE_DATES, RATE_SOURCE, USD_RATES, SeedReport
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
from tracker.orgs.services import find_organization

DRIVE_SLUG = "xrf-team-chelyabinsk"
CAMPAIGN_SLUG = "water-and-air-quality"
ORGANISER_SLUG = "for-nature-chelyabinsk"

DRIVE = DriveInput(
    slug=DRIVE_SLUG,
    title_en="Invite the XRF team from Tajikistan to Chelyabinsk",
    title_ru="Пригласить в Челябинск команду с РФА-анализатором из Таджикистана",
    purpose_en=(
        "The only XRF analyser in our region belongs to our partners in Dushanbe. With it, "
        "two operators can test soil near the smelters and schoolyards of Chelyabinsk and "
        "the toys, dishes and paints sold in the city for lead, mercury, cadmium and "
        "arsenic, on the spot. Your support pays for their travel, a week of per diems, "
        "sample preparation and the public report of the results."
    ),
    purpose_ru=(
        "Единственный в регионе рентгенофлуоресцентный анализатор есть у наших партнёров в "
        "Душанбе. С ним два оператора прямо на месте проверят почву у заводов и школьных "
        "дворов Челябинска, а также игрушки, посуду и краски из городских магазинов на "
        "свинец, ртуть, кадмий и мышьяк. Ваша поддержка оплатит их дорогу, суточные на "
        "неделю, подготовку проб и открытый доклад о результатах."
    ),
    organiser_org_id=0,  # filled in from ORGANISER_SLUG
    goal=Decimal("350000"),
    currency="RUB",
    starts_on=date(2026, 9, 15),
    ends_on=date(2027, 1, 31),
    is_public=True,
)


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


PLEDGES: tuple[DemoPledge, ...] = (
    DemoPledge("DEMO-XRF-001", "Ural Green Movement", "50000", "RUB", date(2026, 9, 20),
               Channel.BANK_TRANSFER, email="info@example.org",
               note="Collected at the September clean-air rally.",
               payments=(DemoPayment("50000", "RUB", date(2026, 9, 25), Channel.BANK_TRANSFER,
                                     "PP-4471"),)),
    DemoPledge("DEMO-XRF-002", "Irina Sokolova", "15000", "RUB", date(2026, 10, 2),
               Channel.CARD, email="irina.sokolova@example.org",
               payments=(DemoPayment("5000", "RUB", date(2026, 10, 10), Channel.CARD),)),
    DemoPledge("DEMO-XRF-003", "", "30000", "RUB", date(2026, 10, 5), Channel.CASH,
               anonymous=True, note="Handed over in person; the pledger asked not to be named."),
    DemoPledge("DEMO-XRF-004", "Steppe Ecology Centre", "250000", "KZT", date(2026, 10, 12),
               Channel.BANK_TRANSFER, email="steppe@example.org",
               payments=(DemoPayment("100000", "KZT", date(2026, 10, 20), Channel.BANK_TRANSFER,
                                     "KZ-2026-118"),)),
    DemoPledge("DEMO-XRF-005", "Hans Müller", "200", "EUR", date(2026, 10, 15),
               Channel.ONLINE_PLATFORM, email="hans.mueller@example.org",
               payments=(DemoPayment("200", "EUR", date(2026, 10, 16), Channel.ONLINE_PLATFORM,
                                     "PLATFORM-88213"),)),
    DemoPledge("DEMO-XRF-006", "Chelyabinsk Parents' Council", "40000", "RUB",
               date(2026, 11, 3), Channel.BANK_TRANSFER, email="parents@example.org"),
)

PUBLIC_PLEDGE = PublicPledgeInput(
    amount=Decimal("1500"), currency="RUB", contact_email="alexei.demo@example.org",
    pledger_name="Alexei Petrov",
    message="Good luck with the soil tests near School No. 12! / Удачи с пробами у школы № 12!",
)


@dataclass
class DriveDemoReport:
    """What the drives demo added."""

    drives: int = 0
    pledges: int = 0
    payments: int = 0
    rates: int = 0


def _cross_rates() -> list[tuple[str, str, date, Decimal]]:
    """RUB→KZT and EUR→RUB on the demo's rate dates, derived from its dollar rates."""
    rates = []
    for index, on_date in enumerate(RATE_DATES):
        usd_rub = Decimal(USD_RATES["RUB"][index])
        usd_kzt = Decimal(USD_RATES["KZT"][index])
        eur_usd = Decimal(EUR_USD[index])
        rates.append(("RUB", "KZT", on_date,
                      (usd_kzt / usd_rub).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)))
        rates.append(("EUR", "RUB", on_date,
                      (eur_usd * usd_rub).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)))
    return rates


def load_drive_demo(report: SeedReport | None = None) -> DriveDemoReport:
    """Create whatever part of the Chelyabinsk XRF drive is missing; the caller commits."""
    added = DriveDemoReport()
    for base, quote, on_date, rate in _cross_rates():
        if find_rate(base, quote, on_date) is None and find_rate(quote, base, on_date) is None:
            add_rate(on_date, base, quote, rate, RATE_SOURCE)
            added.rates += 1

    drive = find_drive(DRIVE_SLUG)
    if drive is None:
        campaign = find_campaign(CAMPAIGN_SLUG)
        organiser = find_organization(ORGANISER_SLUG)
        if campaign is None or organiser is None:
            raise LookupError("the demo campaign and organisations must be loaded first")
        drive = create_drive(campaign, replace(DRIVE, organiser_org_id=organiser.id))
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
    return added
