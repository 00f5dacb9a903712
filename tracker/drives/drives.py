"""Drives: starting one, changing its details, moving its status, converting again."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.campaigns.models import Campaign
from tracker.dates import check_date_order, check_dates
from tracker.drives.conversion import (
    convert_payment,
    convert_pledge,
    unconverted_payments,
    unconverted_pledges,
)
from tracker.drives.inputs import (
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    DriveInput,
    checked_email,
    checked_phone,
    checked_telegram,
    checked_text,
)
from tracker.drives.messages import receipt_if_paid
from tracker.drives.models import DRIVE_MACHINE, MAX_REMINDER_DAYS, Drive, DriveStatus, Pledge
from tracker.drives.pledges import settle_pledge
from tracker.drives.selectors import organiser_choices
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.amounts import checked_money
from tracker.money.value import Money
from tracker.orgs.services import check_slug
from tracker.slugs import slug_taken, with_slug


def drive_slug_clash(slug: str, current_id: int | None) -> str | None:
    """The refusal of a slug another drive has, or None (the form asks it too)."""
    if slug_taken(Drive, slug, current_id):
        return _("A drive with the short name %(slug)s already exists.", slug=slug)
    return None


def _contact(data: DriveInput) -> tuple[str, str, str]:
    """The organisers' e-mail, phone and Telegram account, each checked (all optional)."""
    checked_text(data.organiser_name_en, MAX_TITLE_LENGTH, "organiser_name_en")
    checked_text(data.organiser_name_ru, MAX_TITLE_LENGTH, "organiser_name_ru")
    return (checked_email(data.contact_email, "contact_email"),
            checked_phone(data.contact_phone, "contact_phone"),
            checked_telegram(data.contact_telegram, "contact_telegram"))


def _validate_drive(campaign: Campaign, data: DriveInput, current: Drive | None) -> Money:
    check_slug(data.slug)
    title_en = checked_text(data.title_en, MAX_TITLE_LENGTH, "title_en")
    title_ru = checked_text(data.title_ru, MAX_TITLE_LENGTH, "title_ru")
    if not (title_en or title_ru):
        raise DomainError(_("Give the title in English or Russian."), field="title_en")
    checked_text(data.purpose_en, MAX_TEXT_LENGTH, "purpose_en")
    checked_text(data.purpose_ru, MAX_TEXT_LENGTH, "purpose_ru")
    checked_text(data.payment_instructions_en, MAX_TEXT_LENGTH, "payment_instructions_en")
    checked_text(data.payment_instructions_ru, MAX_TEXT_LENGTH, "payment_instructions_ru")
    _contact(data)
    if not 0 <= data.reminder_days <= MAX_REMINDER_DAYS:
        raise DomainError(_("Give a number of days from 0 (no reminders) to %(max)s.",
                            max=MAX_REMINDER_DAYS), field="reminder_days")
    goal = checked_money(data.goal, data.currency, field="goal")
    check_dates(starts_on=data.starts_on, ends_on=data.ends_on)
    check_date_order(data.starts_on, data.ends_on)
    if data.organiser_org_id not in {org.id for org in organiser_choices(campaign)}:
        raise DomainError(_("Choose an organisation that takes part in the campaign."),
                          field="organiser_org_id")
    clash = drive_slug_clash(data.slug, current.id if current is not None else None)
    if clash:
        raise DomainError(clash, field="slug")
    if current is not None and current.currency != data.currency:
        has_pledges = db.session.scalar(select(Pledge.id).where(Pledge.drive_id == current.id)
                                        .limit(1))
        if has_pledges is not None:
            raise DomainError(_("The goal currency cannot change once pledges are recorded: "
                                "their conversions are in %(code)s.", code=current.currency),
                              field="currency")
    return goal


def _apply_drive(drive: Drive, data: DriveInput, goal: Money) -> None:
    drive.slug = data.slug
    drive.title_en, drive.title_ru = data.title_en.strip(), data.title_ru.strip()
    drive.purpose_en, drive.purpose_ru = data.purpose_en.strip(), data.purpose_ru.strip()
    drive.organiser_org_id = data.organiser_org_id
    drive.goal = goal
    drive.starts_on, drive.ends_on = data.starts_on, data.ends_on
    drive.is_public = data.is_public
    drive.payment_instructions_en = data.payment_instructions_en.strip()
    drive.payment_instructions_ru = data.payment_instructions_ru.strip()
    drive.reminder_days = data.reminder_days
    drive.organiser_name_en = data.organiser_name_en.strip()
    drive.organiser_name_ru = data.organiser_name_ru.strip()
    drive.contact_email, drive.contact_phone, drive.contact_telegram = _contact(data)



def create_drive(campaign: Campaign, data: DriveInput) -> Drive:
    """Add a drive (a draft) to a campaign; its roll-up row comes with the commit.

    A blank slug is made from the titles (tracker/slugs.py)."""
    data = with_slug(data, Drive, (data.title_en, data.title_ru), None)
    goal = _validate_drive(campaign, data, None)
    drive = Drive(campaign=campaign, status=DriveStatus.DRAFT)
    _apply_drive(drive, data, goal)
    db.session.add(drive)
    db.session.flush()
    return drive


def update_drive(drive: Drive, data: DriveInput) -> Drive:
    """Change a drive's details; its currency only while it has no pledges."""
    data = with_slug(data, Drive, (data.title_en, data.title_ru), drive)
    goal = _validate_drive(drive.campaign, data, drive)
    _apply_drive(drive, data, goal)
    db.session.flush()
    return drive


def move_drive(drive: Drive, to: DriveStatus) -> Drive:
    """Change a drive's status along DRIVE_MACHINE, or refuse naming the allowed moves."""
    DRIVE_MACHINE.move(drive, to)
    db.session.flush()
    return drive


def reconvert_missing(drive: Drive) -> int:
    """Retry the drive's conversions that lacked a rate; return how many now have one."""
    fixed = 0
    touched: dict[int, Pledge] = {}
    for pledge in unconverted_pledges(drive):
        convert_pledge(pledge, drive)
        if pledge.drive_amount_minor is not None:
            fixed += 1
            touched[pledge.id] = pledge
    for payment in unconverted_payments(drive):
        before = (payment.pledge_amount_minor is None) + (payment.drive_amount_minor is None)
        convert_payment(payment, payment.pledge, drive)
        after = (payment.pledge_amount_minor is None) + (payment.drive_amount_minor is None)
        if after < before:
            fixed += before - after
            touched[payment.pledge_id] = payment.pledge
    for pledge in touched.values():
        status_before = pledge.status
        settle_pledge(pledge)
        receipt_if_paid(pledge, status_before)  # a payment's rate came: it may now be paid
    return fixed
