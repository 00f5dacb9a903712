"""What the drives services take: typed inputs, their limits, and the checks of their text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from tracker.auth.services import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from tracker.dates import check_date
from tracker.db import utcnow
from tracker.drives.models import Channel
from tracker.errors import DomainError

MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 5_000
MAX_NAME_LENGTH = 200
MAX_REFERENCE_LENGTH = 100
MAX_REASON_LENGTH = 1_000
MAX_MESSAGE_LENGTH = 2_000
MAX_PHONE_LENGTH = 40
MAX_TELEGRAM_LENGTH = 40
# A phone number as people write it: an optional +, digits, spaces, hyphens, brackets.
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 ()\-]{4,38}")
# A Telegram username (5 to 32 letters, digits, underscores), with or without @ or t.me/.
TELEGRAM_PATTERN = re.compile(
    r"(?:@|(?:https?://)?(?:www\.)?(?:t|telegram)\.me/)?([A-Za-z][A-Za-z0-9_]{4,31})/?")


@dataclass(frozen=True)
class DriveInput:
    slug: str
    title_en: str
    title_ru: str
    organiser_org_id: int
    goal: Decimal
    currency: str
    starts_on: date
    ends_on: date | None = None
    purpose_en: str = ""
    purpose_ru: str = ""
    is_public: bool = False
    payment_instructions_en: str = ""
    payment_instructions_ru: str = ""
    reminder_days: int = 0
    organiser_name_en: str = ""
    organiser_name_ru: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    contact_telegram: str = ""


@dataclass(frozen=True)
class PledgeInput:
    """A pledge as staff type it; `version` is the one the edit form was loaded with."""

    amount: Decimal
    currency: str
    pledged_on: date
    pledger_name: str = ""
    is_anonymous: bool = False
    contact_email: str = ""
    channel: Channel = Channel.OTHER
    external_reference: str = ""
    note: str = ""
    version: int | None = None


@dataclass(frozen=True)
class PaymentInput:
    amount: Decimal
    currency: str
    paid_on: date
    method: Channel = Channel.BANK_TRANSFER
    reference: str = ""
    note: str = ""
    # The supporter gave more than pledged: an overpayment raises the pledge, with the reason.
    gave_more: bool = False
    gave_more_reason: str = ""


@dataclass(frozen=True)
class PublicPledgeInput:
    """A pledge from the public form; `trap` is the honeypot, which people leave empty."""

    amount: Decimal
    currency: str
    contact_email: str
    pledger_name: str = ""
    is_anonymous: bool = False
    message: str = ""
    trap: str = ""
    language: str | None = None  # the page's language: the supporter's messages are in it


def today() -> date:
    """Today's date in UTC: the default date of public pledges, the end of 'days left'."""
    return utcnow().date()


def checked_text(value: str, limit: int, field: str) -> str:
    """The text without surrounding spaces, or a refusal when it is over the limit."""
    value = value.strip()
    if len(value) > limit:
        raise DomainError(_("Keep this under %(limit)s characters.", limit=limit), field=field)
    return value


def not_in_future(day: date, field: str) -> None:
    """Refuse a date after today or out of range (money is pledged and paid in the past)."""
    check_date(day, field=field, past_only=True)


def checked_pledger(name: str, anonymous: bool, email: str,
                    email_required: bool = False) -> tuple[str, bool, str]:
    """The pledger's name, anonymity (no name is anonymous) and e-mail, checked."""
    name = checked_text(name, MAX_NAME_LENGTH, "pledger_name")
    email = email.strip()
    if email_required and not email:
        raise DomainError(_("Give an e-mail address so that the organisers can confirm your "
                            "pledge."), field="contact_email")
    return name, anonymous or not name, checked_email(email, "contact_email")


def checked_email(email: str, field: str) -> str:
    """The e-mail address without spaces (empty allowed), or a refusal naming the field."""
    problem = email_problem(email)
    if problem:
        raise DomainError(problem, field=field)
    return email.strip()


def email_problem(email: str) -> str | None:
    """Why an e-mail address cannot be kept, or None (an empty one is no problem)."""
    email = email.strip()
    if email and (len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email)):
        return _("Give a valid e-mail address, e.g. name@example.org.")
    return None


def checked_phone(phone: str, field: str) -> str:
    """A phone number as written (empty allowed), or a refusal when it is not one."""
    phone = " ".join(phone.split())
    digits = sum(character.isdigit() for character in phone)
    if phone and (not PHONE_PATTERN.fullmatch(phone) or not 5 <= digits <= 15):
        raise DomainError(_("Give a phone number of digits, e.g. +7 351 200-00-00."),
                          field=field)
    return phone


def checked_telegram(account: str, field: str) -> str:
    """A Telegram account as "@name" (from "@name", "name" or a t.me link; empty allowed)."""
    account = account.strip()
    if not account:
        return ""
    match = TELEGRAM_PATTERN.fullmatch(account)
    if match is None:
        raise DomainError(_("Give a Telegram username, e.g. @fornature, or its t.me link."),
                          field=field)
    return "@" + match.group(1)
