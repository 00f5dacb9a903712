"""The world of the drive tests: the Chelyabinsk NGO's campaign, dated rates, a drive, pledges.

Everything is built through the services, then committed, as a user would build it.

Rates (one unit of the first currency in the second):
    RUB→KZT  6.30 on 2026-01-05, 6.20 on 2026-03-01  (KZT→RUB is their inverse)
    EUR→RUB 95.00 on 2026-01-05, 100.00 on 2026-03-01
So 62 000 KZT pledged on 2026-03-10 is 10 000.00 RUB, 63 000 KZT on 2026-02-15 too;
there is no rate for USD at all, and none for KZT before 2026-01-05.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from tests.factories import make_campaign, make_org
from tracker.campaigns.models import Campaign, PartnerRole
from tracker.drives import services
from tracker.drives.models import Drive, DriveStatus, Payment, Pledge
from tracker.extensions import db
from tracker.money.services import add_rate
from tracker.orgs.models import Organization

DRIVE_SLUG = "xrf-chelyabinsk"


@dataclass(frozen=True)
class World:
    organiser: Organization
    tajik: Organization
    campaign: Campaign
    other_campaign: Campaign


def make_world() -> World:
    """The Chelyabinsk NGO leads a campaign with the Tajik NGO; another one is led by others."""
    organiser = make_org(slug="for-nature", name_en="For Nature", name_ru="За природу",
                         country="RU", city="Chelyabinsk")
    tajik = make_org(slug="fsci", name_en="Foundation to Support Civil Initiatives",
                     name_ru="Фонд поддержки гражданских инициатив", country="TJ",
                     city="Dushanbe")
    campaign = make_campaign(lead=organiser, slug="water-air",
                             title_en="Water and air quality",
                             title_ru="Качество воды и воздуха",
                             partners=[(tajik, PartnerRole.CO_LEAD)], countries=("RU", "TJ"))
    other = make_campaign(slug="lead-paint", title_en="Lead in paint",
                          title_ru="Свинец в красках")
    for on_date, rub_kzt, eur_rub in ((date(2026, 1, 5), "6.30", "95.00"),
                                      (date(2026, 3, 1), "6.20", "100.00")):
        add_rate(on_date, "RUB", "KZT", Decimal(rub_kzt), "Test rates")
        add_rate(on_date, "EUR", "RUB", Decimal(eur_rub), "Test rates")
    db.session.commit()
    return World(organiser, tajik, campaign, other)


def make_drive(world: World, *, slug: str = DRIVE_SLUG, status: DriveStatus = DriveStatus.LIVE,
               public: bool = True, goal: str = "350000", currency: str = "RUB",
               **overrides: Any) -> Drive:
    """A drive of the world's campaign, moved along the allowed path to `status`."""
    values: dict[str, Any] = {
        "slug": slug, "title_en": "Invite the XRF team from Tajikistan to Chelyabinsk",
        "title_ru": "Пригласить в Челябинск команду с РФА-анализатором из Таджикистана",
        "organiser_org_id": world.organiser.id, "goal": Decimal(goal), "currency": currency,
        "starts_on": date(2026, 1, 10), "ends_on": None, "is_public": public,
        "purpose_en": "Soil and product testing in Chelyabinsk.",
        "purpose_ru": "Проверка почвы и товаров в Челябинске.",
    }
    values.update(overrides)
    drive = services.create_drive(world.campaign, services.DriveInput(**values))
    path = {
        DriveStatus.DRAFT: [],
        DriveStatus.LIVE: [DriveStatus.LIVE],
        DriveStatus.FUNDED: [DriveStatus.LIVE, DriveStatus.FUNDED],
        DriveStatus.CLOSED: [DriveStatus.LIVE, DriveStatus.CLOSED],
        DriveStatus.CANCELLED: [DriveStatus.CANCELLED],
    }[status]
    for step in path:
        services.move_drive(drive, step)
    db.session.commit()
    return drive


def make_pledge(drive: Drive, amount: str = "1000", currency: str = "RUB",
                pledged_on: date = date(2026, 3, 10), name: str = "Anna Petrova",
                **overrides: Any) -> Pledge:
    pledge = services.log_pledge(drive, services.PledgeInput(
        amount=Decimal(amount), currency=currency, pledged_on=pledged_on, pledger_name=name,
        **overrides), by=None)
    db.session.commit()
    return pledge


def make_payment(pledge: Pledge, amount: str, currency: str | None = None,
                 paid_on: date = date(2026, 3, 15)) -> Payment:
    payment = services.record_payment(pledge, services.PaymentInput(
        amount=Decimal(amount), currency=currency or pledge.currency, paid_on=paid_on), by=None)
    db.session.commit()
    return payment


def public_pledge(drive: Drive, amount: str = "1500", name: str = "Oleg Ivanov",
                  **overrides: Any) -> Pledge:
    values: dict[str, Any] = {"amount": Decimal(amount), "currency": drive.currency,
                              "contact_email": "oleg@example.org", "pledger_name": name}
    values.update(overrides)
    pledge = services.submit_public_pledge(drive, services.PublicPledgeInput(**values))
    db.session.commit()
    assert pledge is not None
    return pledge


def stored_totals(drive: Drive) -> dict[str, int]:
    """The drive's roll-up row as stored."""
    db.session.expire_all()
    row = db.session.execute(text(
        "SELECT pledged_minor, received_minor, supporters, unconverted FROM drive_totals "
        "WHERE drive_id = :id"), {"id": drive.id}).mappings().one()
    return dict(row)


def recomputed_totals(drive: Drive) -> dict[str, int]:
    """The same figures computed here from scratch in plain SQL, independently of the app."""
    pledges = db.session.execute(text("""
        SELECT
          COALESCE(SUM(CASE WHEN status IN ('pledged', 'partly_paid')
                            THEN unpaid_drive_minor END), 0) AS pledged,
          COALESCE(SUM(CASE WHEN status NOT IN ('unconfirmed', 'rejected', 'cancelled')
                            THEN 1 ELSE 0 END), 0) AS supporters,
          COALESCE(SUM(CASE WHEN status IN ('pledged', 'partly_paid')
                             AND unpaid_drive_minor IS NULL THEN 1 ELSE 0 END), 0) AS unpriced
        FROM pledge WHERE drive_id = :id"""), {"id": drive.id}).mappings().one()
    payments = db.session.execute(text("""
        SELECT COALESCE(SUM(p.drive_amount_minor), 0) AS received,
               COALESCE(SUM(CASE WHEN p.drive_amount_minor IS NULL THEN 1 ELSE 0 END), 0)
                 AS unpriced
        FROM payment p JOIN pledge g ON g.id = p.pledge_id WHERE g.drive_id = :id"""),
        {"id": drive.id}).mappings().one()
    return {"pledged_minor": int(pledges["pledged"]), "received_minor": int(payments["received"]),
            "supporters": int(pledges["supporters"]),
            "unconverted": int(pledges["unpriced"]) + int(payments["unpriced"])}


def page_text(html: str) -> str:
    """The visible text of a page, tags dropped and spaces (no-break ones too) collapsed."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    words = re.sub(r"<[^>]+>", " ", html)
    words = words.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    return " ".join(words.replace("\u00a0", " ").replace("\u202f", " ").split())


def version_in(html: str) -> str:
    """The version an edit form carries in its hidden field."""
    match = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', html)
    assert match, "no version field on the page"
    return match.group(1) or match.group(2)
