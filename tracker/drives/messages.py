"""Messages about pledges, written to the outbox in the transaction of their cause.

- A pledge from the public page: to each active lead of the drive's campaign, in their
  account's language, with a link to the list awaiting confirmation. At most one message
  per lead and drive in a clock hour (the unique key): a burst of pledges (or a flood,
  which the drive's hourly ceiling stops at PUBLIC_PLEDGE_DRIVE_HOURLY) is one message
  saying how many wait, not a hundred.
- To the supporter, in the language of the page they pledged on (Pledge.language): thanks
  with the drive's payment instructions when a lead confirms the pledge, a receipt when it
  becomes paid, and reminders while it stays unpaid (drives.reminders). Each carries a
  one-click unsubscribe (tracker.mail.suppression), and none is written to an address
  that unsubscribed.

Only pledges made on the public page have a language, and so only their supporters get
messages: a pledge staff logged or imported may come from a list kept for another purpose
(an event's sign-up sheet, another program's export), and its supporter never asked to be
written to. Each message has a unique key, so a repeated cause sends nothing new.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracker.auth.models import Membership, MembershipRole, User
from tracker.db import utcnow
from tracker.drives.models import Drive, Pledge, PledgeStatus
from tracker.extensions import db
from tracker.i18n import format_day, format_money
from tracker.mail.outbox import queue_message
from tracker.mail.suppression import is_suppressed, unsubscribe_headers, unsubscribe_url
from tracker.urls import external_url

# The kinds of message sent to supporters: each has the unsubscribe link.
SUPPORTER_KINDS = ("pledge_thanks", "pledge_receipt", "pledge_reminder")


def campaign_leads(drive: Drive) -> list[User]:
    """The active users who lead the drive's campaign, in a stable order."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.campaign_id == drive.campaign_id,
               Membership.role == MembershipRole.LEAD, User.is_active.is_(True))
        .order_by(User.id)))


def _awaiting_count(drive: Drive) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Pledge)
        .where(Pledge.drive_id == drive.id, Pledge.status == PledgeStatus.UNCONFIRMED)) or 0


def _pledger(pledge: Pledge) -> str:
    return "" if pledge.is_anonymous else pledge.pledger_name


def notify_leads_of_public_pledge(pledge: Pledge) -> int:
    """Tell the campaign's leads that a public pledge awaits confirmation; how many were told."""
    drive = pledge.drive
    hour = utcnow().strftime("%Y-%m-%dT%H")
    awaiting = _awaiting_count(drive)
    link = external_url("drives.show", slug=drive.slug, _anchor="awaiting")
    told = 0
    for lead in campaign_leads(drive):
        language = lead.language
        title = drive.localized("title", language)
        message = queue_message(
            kind="pledge_new", recipient=lead.email, language=language,
            subject=_l("A new pledge to “%(title)s” awaits your confirmation", title=title),
            context={"title": title, "amount": format_money(pledge.amount, language),
                     "pledger": _pledger(pledge), "message_text": pledge.message,
                     "awaiting": awaiting, "link": link},
            unique_key=f"pledge-new:drive-{drive.id}:user-{lead.id}:{hour}")
        told += message is not None
    return told


def _to_supporter(pledge: Pledge, kind: str, subject: Any, context: dict[str, Any],
                  unique_key: str) -> bool:
    """Write a message to the pledge's supporter, unless they cannot or asked not to get it."""
    language, address = pledge.language, pledge.contact_email
    if not language or not address or is_suppressed(address):
        return False
    drive = pledge.drive
    values = {
        "title": drive.localized("title", language),
        "pledger": pledge.pledger_name,  # their own name, even if the public page hides it
        "amount": format_money(pledge.amount, language),
        "page": external_url("drives.public_page", slug=drive.slug),
        "unsubscribe": unsubscribe_url(address),
        **context,
    }
    return queue_message(kind=kind, recipient=address, language=language, subject=subject,
                         context=values, unique_key=unique_key,
                         headers=unsubscribe_headers(address)) is not None


def thank_supporter(pledge: Pledge) -> bool:
    """Thank the supporter of a confirmed pledge and tell them how to pay."""
    language = pledge.language or "en"
    title = pledge.drive.localized("title", language)
    return _to_supporter(
        pledge, "pledge_thanks",
        _l("Thank you for your pledge to “%(title)s”", title=title),
        {"instructions": pledge.drive.payment_instructions(language)},
        f"pledge-thanks:{pledge.id}")


def send_receipt(pledge: Pledge) -> bool:
    """Tell the supporter that their pledge is paid in full, listing the payments."""
    language = pledge.language or "en"
    title = pledge.drive.localized("title", language)
    payments = [(format_day(payment.paid_on, language), format_money(payment.amount, language))
                for payment in pledge.payments]
    return _to_supporter(
        pledge, "pledge_receipt",
        _l("Receipt: your pledge to “%(title)s” is paid", title=title),
        {"payments": payments, "paid": format_money(pledge.paid, language)},
        f"pledge-receipt:{pledge.id}")


def remind_supporter(pledge: Pledge, number: int) -> bool:
    """Remind the supporter of an unpaid pledge (reminder 1 or 2) and how to pay."""
    language = pledge.language or "en"
    title = pledge.drive.localized("title", language)
    confirmed = pledge.confirmed_at.date() if pledge.confirmed_at else pledge.pledged_on
    return _to_supporter(
        pledge, "pledge_reminder",
        _l("A reminder: your pledge to “%(title)s”", title=title),
        {"instructions": pledge.drive.payment_instructions(language),
         "outstanding": format_money(pledge.outstanding, language),
         "partly_paid": pledge.paid_minor > 0,
         "confirmed_on": format_day(confirmed, language)},
        f"pledge-reminder:{pledge.id}:{number}")


def receipt_if_paid(pledge: Pledge, status_before: PledgeStatus) -> bool:
    """Send the receipt when a change (a payment, a rate, a smaller pledge) made it paid."""
    if pledge.status is PledgeStatus.PAID and status_before is not PledgeStatus.PAID:
        return send_receipt(pledge)
    return False
