"""Converting a pledge or a payment when it is written, by the one rule of money.conversion.

Each pledge is converted into the drive's currency at the rate of its own date, each
payment into the pledge's and the drive's currency at the rate of the payment's date;
the original amount and the rate used are stored beside the result, for the pledge's
page. A missing rate stores NULL (and the drive page names the pair and the date),
never zero; `reconvert_missing` retries those once the rate is added.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from tracker.drives.models import Drive, Payment, Pledge
from tracker.extensions import db
from tracker.money.conversion import converted


def convert_pledge(pledge: Pledge, drive: Drive) -> None:
    """Store the pledge in the drive's currency at the rate of its date (NULL without one)."""
    result = converted(pledge.amount, drive.currency, pledge.pledged_on)
    pledge.drive_amount_currency = drive.currency
    pledge.drive_amount_minor = result.minor
    pledge.drive_rate, pledge.drive_rate_on = result.rate, result.rate_on


def convert_payment(payment: Payment, pledge: Pledge, drive: Drive) -> None:
    """Store the payment in the pledge's and the drive's currency at its date's rates."""
    to_pledge = converted(payment.amount, pledge.currency, payment.paid_on)
    payment.pledge_amount_currency = pledge.currency
    payment.pledge_amount_minor = to_pledge.minor
    payment.pledge_rate, payment.pledge_rate_on = to_pledge.rate, to_pledge.rate_on
    to_drive = converted(payment.amount, drive.currency, payment.paid_on)
    payment.drive_amount_currency = drive.currency
    payment.drive_amount_minor = to_drive.minor
    payment.drive_rate, payment.drive_rate_on = to_drive.rate, to_drive.rate_on


def unconverted_pledges(drive: Drive) -> list[Pledge]:
    """The drive's pledges that lack a rate into its currency."""
    return list(db.session.scalars(select(Pledge).where(
        Pledge.drive_id == drive.id, Pledge.drive_amount_minor.is_(None))))


def unconverted_payments(drive: Drive) -> list[Payment]:
    """The drive's payments that lack a rate into their pledge's or the drive's currency."""
    return list(db.session.scalars(
        select(Payment)
        .where(Payment.drive_id == drive.id,
               or_(Payment.drive_amount_minor.is_(None), Payment.pledge_amount_minor.is_(None)))
    ))
