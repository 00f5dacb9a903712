"""Crowdfunding drives, the pledges made to them, the payments that fulfil those pledges,
and each drive's roll-up of totals.

Money is stored as integer minor units beside an ISO currency code. A pledge and a
payment keep their original amount and currency; their conversions (into the pledge's
and the drive's currency) are computed once, at write time, at the rate of their own
date, and stored with the rate and its date. A missing rate leaves the conversion NULL,
never zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, composite, mapped_column, relationship

from tracker.audit.registry import audited
from tracker.campaigns.models import Campaign
from tracker.db import Base, DecimalString, LabeledEnum, UTCDateTime, str_enum, utcnow
from tracker.i18n import Localized
from tracker.money.models import MoneyBucketColumns
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.status import StatusMachine

if TYPE_CHECKING:
    from tracker.auth.models import User


class DriveStatus(LabeledEnum):
    DRAFT = "draft"
    LIVE = "live"
    FUNDED = "funded"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @classmethod
    def labels(cls):
        return {
            cls.DRAFT: lazy_pgettext("drive status", "Draft"),
            cls.LIVE: lazy_pgettext("drive status", "Live"),
            cls.FUNDED: lazy_pgettext("drive status", "Funded"),
            cls.CLOSED: lazy_pgettext("drive status", "Closed"),
            cls.CANCELLED: lazy_pgettext("drive status", "Cancelled"),
        }


# The drive's status machine: the one place that says which moves are allowed.
DRIVE_MACHINE: StatusMachine[DriveStatus] = StatusMachine(DriveStatus, {
    DriveStatus.DRAFT: {DriveStatus.LIVE, DriveStatus.CANCELLED},
    DriveStatus.LIVE: {DriveStatus.FUNDED, DriveStatus.CLOSED, DriveStatus.CANCELLED},
    DriveStatus.FUNDED: {DriveStatus.CLOSED, DriveStatus.LIVE},
}, refusal=_l("A drive cannot move from “%(current)s” to “%(to)s”."))
# Staff may log pledges while a drive is prepared or running; the public only while it runs.
STAFF_PLEDGEABLE = frozenset({DriveStatus.DRAFT, DriveStatus.LIVE, DriveStatus.FUNDED})
PUBLIC_PLEDGEABLE = frozenset({DriveStatus.LIVE, DriveStatus.FUNDED})
# A public drive's page is visible in these statuses (and 404 in the others).
PUBLICLY_VISIBLE = frozenset({DriveStatus.LIVE, DriveStatus.FUNDED, DriveStatus.CLOSED})


def publicly_visible(is_public: bool, status: DriveStatus) -> bool:
    """Whether the public may see a drive: a public one, live, funded or closed."""
    return is_public and status in PUBLICLY_VISIBLE
# The longest wait before reminding a supporter of an unpaid pledge (the second: twice it).
MAX_REMINDER_DAYS = 365


class PledgeStatus(LabeledEnum):
    UNCONFIRMED = "unconfirmed"
    PLEDGED = "pledged"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    CANCELLED = "cancelled"
    WRITTEN_OFF = "written_off"
    REJECTED = "rejected"

    @classmethod
    def labels(cls):
        return {
            cls.UNCONFIRMED: lazy_pgettext("pledge status", "Awaiting confirmation"),
            cls.PLEDGED: lazy_pgettext("pledge status", "Pledged"),
            cls.PARTLY_PAID: lazy_pgettext("pledge status", "Partly paid"),
            cls.PAID: lazy_pgettext("pledge status", "Paid"),
            cls.CANCELLED: lazy_pgettext("pledge status", "Cancelled"),
            cls.WRITTEN_OFF: lazy_pgettext("pledge status", "Written off"),
            cls.REJECTED: lazy_pgettext("pledge status", "Rejected"),
        }


# The pledge's status machine. Pledged, partly paid and paid follow from the payments;
# a person confirms or rejects a public pledge, and cancels or writes off an open one.
PLEDGE_MACHINE: StatusMachine[PledgeStatus] = StatusMachine(PledgeStatus, {
    PledgeStatus.UNCONFIRMED: {PledgeStatus.PLEDGED, PledgeStatus.REJECTED},
    PledgeStatus.PLEDGED: {PledgeStatus.PARTLY_PAID, PledgeStatus.PAID,
                           PledgeStatus.CANCELLED, PledgeStatus.WRITTEN_OFF},
    PledgeStatus.PARTLY_PAID: {PledgeStatus.PLEDGED, PledgeStatus.PAID,
                               PledgeStatus.CANCELLED, PledgeStatus.WRITTEN_OFF},
    PledgeStatus.PAID: {PledgeStatus.PLEDGED, PledgeStatus.PARTLY_PAID},
}, refusal=_l("A pledge cannot move from “%(current)s” to “%(to)s”."))
# A person closes a pledge by rejecting it (awaiting confirmation) or cancelling it (open).
CLOSING = (PledgeStatus.REJECTED, PledgeStatus.CANCELLED)
# Statuses that follow from the payments (paid amount against the pledged amount).
PAYMENT_DRIVEN = frozenset({PledgeStatus.PLEDGED, PledgeStatus.PARTLY_PAID, PledgeStatus.PAID})
# Open pledges: their unpaid rest counts as "pledged" in the drive's totals.
OPEN = frozenset({PledgeStatus.PLEDGED, PledgeStatus.PARTLY_PAID})
# Pledges that do not make their pledger a supporter.
NOT_SUPPORTING = frozenset({PledgeStatus.UNCONFIRMED, PledgeStatus.REJECTED,
                            PledgeStatus.CANCELLED})
# Payments are refused on these.
NOT_PAYABLE = frozenset({PledgeStatus.UNCONFIRMED, PledgeStatus.REJECTED,
                         PledgeStatus.CANCELLED})


class Channel(LabeledEnum):
    """How money (or help) reaches the drive: for pledges and for payments."""

    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    ONLINE_PLATFORM = "online_platform"
    IN_KIND = "in_kind"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.CASH: lazy_pgettext("payment channel", "Cash"),
            cls.BANK_TRANSFER: lazy_pgettext("payment channel", "Bank transfer"),
            cls.CARD: lazy_pgettext("payment channel", "Card"),
            cls.ONLINE_PLATFORM: lazy_pgettext("payment channel", "Online platform"),
            cls.IN_KIND: lazy_pgettext("payment channel", "In kind"),
            cls.OTHER: lazy_pgettext("payment channel", "Other"),
        }


class PledgeSource(LabeledEnum):
    STAFF = "staff"
    PUBLIC_FORM = "public_form"
    IMPORT = "import"

    @classmethod
    def labels(cls):
        return {
            cls.STAFF: lazy_pgettext("pledge source", "Logged by staff"),
            cls.PUBLIC_FORM: lazy_pgettext("pledge source", "Public form"),
            cls.IMPORT: lazy_pgettext("pledge source", "Import"),
        }


def _plain_amount(values: Mapping[str, Any], minor: str = "amount_minor") -> str:
    amount, currency = values.get(minor), values.get("currency")
    if not isinstance(amount, int) or not currency:
        return ""
    try:
        return str(Money.from_minor(amount, currency))
    except ValueError:
        return f"{amount} {currency}"


def _pledge_summary(values: Mapping[str, Any]) -> str:
    """'Anna Petrova · 1500.00 RUB' (the name as staff know it; the public page hides it)."""
    parts = [str(values.get("pledger_name") or ""), _plain_amount(values)]
    return " · ".join(part for part in parts if part)


def _payment_summary(values: Mapping[str, Any]) -> str:
    """'500.00 RUB · 2026-03-01'."""
    parts = [_plain_amount(values), str(values.get("paid_on") or "")]
    return " · ".join(part for part in parts if part)


_PAYMENT_UNCONVERTED = "drive_amount_minor IS NULL OR pledge_amount_minor IS NULL"

CONVERSION_LABELS = {
    "drive_amount_minor": _l("In the drive's currency"),
    "drive_amount_currency": _l("Drive currency"),
    "drive_rate": _l("Rate to the drive's currency"),
    "drive_rate_on": _l("Date of the rate to the drive's currency"),
}


@audited(label=_l("Drive"), parent="campaign_id", fields={
    "organiser_org_id": _l("Organiser"),
    "purpose_en": _l("Purpose in English"),
    "purpose_ru": _l("Purpose in Russian"),
    "is_public": _l("Public page"),
    "payment_instructions_en": _l("Payment instructions in English"),
    "payment_instructions_ru": _l("Payment instructions in Russian"),
    "organiser_name_en": _l("Organiser's name on the public page in English"),
    "organiser_name_ru": _l("Organiser's name on the public page in Russian"),
    "contact_email": _l("Organiser's e-mail"),
    "contact_phone": _l("Organiser's phone"),
    "contact_telegram": _l("Organiser's Telegram"),
    "reminder_days": _l("Remind of unpaid pledges after (days)"),
})
class Drive(Localized, Base):
    """A crowdfunding drive inside a campaign, with a goal in one currency."""

    __tablename__ = "drive"
    __table_args__ = (
        CheckConstraint("goal_minor > 0", name="goal_positive"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint(f"reminder_days BETWEEN 0 AND {MAX_REMINDER_DAYS}",
                        name="reminder_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    organiser_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_en: Mapped[str] = mapped_column(String(200), default="")
    title_ru: Mapped[str] = mapped_column(String(200), default="")
    purpose_en: Mapped[str] = mapped_column(Text, default="")
    purpose_ru: Mapped[str] = mapped_column(Text, default="")
    goal_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[DriveStatus] = mapped_column(
        str_enum(DriveStatus, "drive_status"), default=DriveStatus.DRAFT, index=True
    )
    is_public: Mapped[bool] = mapped_column(default=False)
    # How supporters pay (bank details or a payment link): sent in the thanks for a pledge.
    payment_instructions_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    payment_instructions_ru: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Who speaks for the drive on its public page: a name (empty: the organiser organisation's)
    # and how to reach them. The public page shows the payment instructions too.
    organiser_name_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    organiser_name_ru: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    contact_telegram: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Remind a supporter of an unpaid pledge this many days after its confirmation, and
    # once more at twice that (drives.reminders); 0: no reminders.
    reminder_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    goal: Mapped[Money] = composite(Money.stored, "goal_minor", "currency")

    campaign: Mapped[Campaign] = relationship()
    organiser: Mapped[Organization] = relationship()
    totals: Mapped[DriveTotals | None] = relationship(back_populates="drive", uselist=False)

    @property
    def title(self) -> str:
        return self.localized("title")

    @property
    def purpose(self) -> str:
        return self.localized("purpose")

    def payment_instructions(self, language: str | None = None) -> str:
        """How to pay, in the language asked for (or the other one, until translated)."""
        return self.localized("payment_instructions", language)

    @property
    def organiser_name(self) -> str:
        """The name the public page gives the organisers: their own, else the organisation's."""
        return self.localized("organiser_name") or self.organiser.name

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_email or self.contact_phone or self.contact_telegram)

    @property
    def phone_url(self) -> str:
        """tel:+73512000000 for the stored phone as written (empty without one)."""
        digits = "".join(c for c in self.contact_phone if c.isdigit())
        return f"tel:{'+' if self.contact_phone.startswith('+') else ''}{digits}" if digits else ""

    @property
    def telegram_url(self) -> str:
        """https://t.me/<name> for the stored "@name" (empty without one)."""
        return f"https://t.me/{self.contact_telegram.lstrip('@')}" if self.contact_telegram else ""

    @property
    def allowed_moves(self) -> list[DriveStatus]:
        """The statuses this drive may move to next, in the enum's order."""
        return DRIVE_MACHINE.allowed(self.status)

    @property
    def is_publicly_visible(self) -> bool:
        return publicly_visible(self.is_public, self.status)

    @property
    def takes_staff_pledges(self) -> bool:
        """Whether staff may log pledges (and import them) in the drive's status."""
        return self.status in STAFF_PLEDGEABLE

    @property
    def accepts_public_pledges(self) -> bool:
        return self.is_public and self.status in PUBLIC_PLEDGEABLE


@audited(label=_l("Pledge"), parent="drive_id", summary=_pledge_summary,
         exclude=("version", "unpaid_drive_minor"),
         personal=("pledger_name", "contact_email", "message", "note"), fields={
             "pledger_name": _l("Pledger"),
             "is_anonymous": _l("Anonymous"),
             "contact_email": _l("Contact e-mail"),
             "pledged_on": _l("Pledged on"),
             "status_reason": _l("Reason"),
             "channel": _l("Channel"),
             "external_reference": _l("External reference"),
             "note": _l("Note"),
             "message": _l("Message"),
             "logged_by_id": _l("Logged by"),
             "paid_minor": _l("Paid"),
             "language": _l("Language of the pledge page"),
             "confirmed_at": _l("Confirmed at"),
             **CONVERSION_LABELS,
         })
class Pledge(Base):
    """A promise of money to a drive, in any currency; payments fulfil it.

    `paid_minor` is the sum of its payments converted into the pledge's currency;
    `drive_amount_minor` the pledge converted into the drive's currency at the rate of
    `pledged_on`, and `unpaid_drive_minor` the unpaid rest at that same rate. The
    services maintain all three; `version` guards against two people's edits crossing.
    """

    __tablename__ = "pledge"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("paid_minor >= 0", name="paid_not_negative"),
        CheckConstraint("drive_amount_minor IS NULL OR drive_amount_minor >= 0",
                        name="drive_amount_not_negative"),
        CheckConstraint("unpaid_drive_minor IS NULL OR unpaid_drive_minor >= 0",
                        name="unpaid_drive_not_negative"),
        CheckConstraint("is_anonymous OR pledger_name <> ''", name="named_or_anonymous"),
        UniqueConstraint("drive_id", "external_reference"),
        Index("ix_pledge_drive_id_status", "drive_id", "status"),
        # The drive pages list pledges newest first, a page at a time.
        Index("ix_pledge_drive_id_pledged_on", "drive_id", "pledged_on", "id"),
        # The few pledges still waiting for a rate, named on the drive page.
        Index("ix_pledge_unconverted", "drive_id", "pledged_on", "id",
              postgresql_where=text("drive_amount_minor IS NULL"),
              sqlite_where=text("drive_amount_minor IS NULL")),
        # The dashboard's "recent pledges" reads the newest few across every drive.
        Index("ix_pledge_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    drive_id: Mapped[int] = mapped_column(ForeignKey("drive.id"))
    pledger_name: Mapped[str] = mapped_column(String(200), default="")
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    pledged_on: Mapped[date] = mapped_column(Date)
    status: Mapped[PledgeStatus] = mapped_column(
        str_enum(PledgeStatus, "pledge_status"), default=PledgeStatus.PLEDGED
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "pledge_channel"),
                                             default=Channel.OTHER)
    external_reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[PledgeSource] = mapped_column(str_enum(PledgeSource, "pledge_source"),
                                                 default=PledgeSource.STAFF)
    logged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # The language of the public page the supporter pledged on: their messages are in it.
    # None for pledges staff logged or imported, whose supporters get no messages.
    language: Mapped[str | None] = mapped_column(String(8))
    # When a lead confirmed the public pledge: unpaid-pledge reminders count from it.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    drive_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    drive_amount_currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    drive_rate: Mapped[Decimal | None] = mapped_column(DecimalString())
    drive_rate_on: Mapped[date | None] = mapped_column(Date)
    unpaid_drive_minor: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    amount: Mapped[Money] = composite(Money.stored, "amount_minor", "currency")
    paid: Mapped[Money] = composite(Money.stored, "paid_minor", "currency")

    drive: Mapped[Drive] = relationship()
    logged_by: Mapped[User | None] = relationship()
    payments: Mapped[list[Payment]] = relationship(
        back_populates="pledge", order_by=lambda: (Payment.paid_on, Payment.id)
    )

    @property
    def drive_amount(self) -> Money | None:
        """The pledge in the drive's currency at the rate of its date; None without a rate."""
        return Money.from_minor(self.drive_amount_minor, self.drive_amount_currency)

    @property
    def outstanding(self) -> Money:
        """What is still to be paid, in the pledge's currency (never below zero)."""
        return Money.from_minor(max(0, self.amount_minor - self.paid_minor),
                                # Type check: amount_minor is never NULL.
                                self.currency)  # type: ignore[return-value]

    @property
    def allowed_moves(self) -> list[PledgeStatus]:
        """The statuses this pledge may move to next, in the enum's order."""
        return PLEDGE_MACHINE.allowed(self.status)

    @property
    def closable(self) -> bool:
        """Whether a person may still close it: reject it, or cancel it (and write it off)."""
        return any(PLEDGE_MACHINE.allows(self.status, to) for to in CLOSING)

    @property
    def payable(self) -> bool:
        """Whether payments may be recorded against it."""
        return self.status not in NOT_PAYABLE


@audited(label=_l("Payment"), parent="pledge_id", summary=_payment_summary,
         personal=("note",), fields={
    "paid_on": _l("Paid on"),
    "method": _l("Method"),
    "reference": _l("Reference"),
    "note": _l("Note"),
    "logged_by_id": _l("Logged by"),
    "gave_more_reason": _l("The supporter gave more"),
    "pledge_amount_minor": _l("In the pledge's currency"),
    "pledge_amount_currency": _l("Pledge currency"),
    "pledge_rate": _l("Rate to the pledge's currency"),
    "pledge_rate_on": _l("Date of the rate to the pledge's currency"),
    **CONVERSION_LABELS,
})
class Payment(Base):
    """Money received against a pledge, in any currency, with its conversions kept."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("pledge_amount_minor IS NULL OR pledge_amount_minor >= 0",
                        name="pledge_amount_not_negative"),
        CheckConstraint("drive_amount_minor IS NULL OR drive_amount_minor >= 0",
                        name="drive_amount_not_negative"),
        # The few payments still waiting for a rate, named on the drive page in date order:
        # a drive's few, not found by walking all its payments (tens of thousands in a big
        # drive). In that order, SQLite takes it without statistics (never ANALYZEd).
        Index("ix_payment_unconverted", "drive_id", "paid_on", "id",
              postgresql_where=text(_PAYMENT_UNCONVERTED),
              sqlite_where=text(_PAYMENT_UNCONVERTED)),
        # A drive's payments of one day in one currency: the bucket a payment write
        # re-sums, read from the index alone (and the drive's full rebuild, in order).
        Index("ix_payment_drive_id_paid_on", "drive_id", "paid_on", "currency", "amount_minor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id"), index=True)
    # Always its pledge's drive (drives.payments.payments_follow_their_pledges).
    drive_id: Mapped[int] = mapped_column(ForeignKey("drive.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[Channel] = mapped_column(str_enum(Channel, "payment_method"),
                                            default=Channel.BANK_TRANSFER)
    reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # Why this payment was more than the pledge's unpaid rest (the pledge was raised to it).
    gave_more_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    logged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    pledge_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    pledge_amount_currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    pledge_rate: Mapped[Decimal | None] = mapped_column(DecimalString())
    pledge_rate_on: Mapped[date | None] = mapped_column(Date)
    drive_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    drive_amount_currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    drive_rate: Mapped[Decimal | None] = mapped_column(DecimalString())
    drive_rate_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    amount: Mapped[Money] = composite(Money.stored, "amount_minor", "currency")

    pledge: Mapped[Pledge] = relationship(back_populates="payments")
    drive: Mapped[Drive] = relationship()
    logged_by: Mapped[User | None] = relationship()

    @property
    def pledge_amount(self) -> Money | None:
        return Money.from_minor(self.pledge_amount_minor, self.pledge_amount_currency)

    @property
    def drive_amount(self) -> Money | None:
        return Money.from_minor(self.drive_amount_minor, self.drive_amount_currency)


class DriveTotals(Base):
    """A drive's figures in its goal currency, kept by drives.rollup.refresh_drive_totals.

    received: every payment converted at its date (including those on pledges written
    off later); pledged: the unpaid rest of open pledges; supporters: pledges that are
    not awaiting confirmation, rejected or cancelled; unconverted: open pledges and
    payments left out of the sums because a rate is missing.
    """

    __tablename__ = "drive_totals"
    __table_args__ = (
        CheckConstraint("pledged_minor >= 0", name="pledged_not_negative"),
        CheckConstraint("received_minor >= 0", name="received_not_negative"),
        CheckConstraint("supporters >= 0", name="supporters_not_negative"),
        CheckConstraint("unconverted >= 0", name="unconverted_not_negative"),
    )

    drive_id: Mapped[int] = mapped_column(ForeignKey("drive.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    pledged_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    received_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    unconverted: Mapped[int] = mapped_column(Integer, default=0)
    # Pledges the staff list shows (all but those awaiting confirmation): its page count.
    listed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    pledged: Mapped[Money] = composite(Money.stored, "pledged_minor", "currency")
    received: Mapped[Money] = composite(Money.stored, "received_minor", "currency")

    drive: Mapped[Drive] = relationship(back_populates="totals")


class DriveMoneyBucket(MoneyBucketColumns, Base):
    """One sum behind a drive's roll-up: its payments (received) or its pledges (pledged)
    in one currency on one date, and that sum converted into the drive's currency.

    The roll-up is the sum of its buckets (money.conversion.add_converted converts each
    one at its date's rate and rounds it once), so a write recomputes only the buckets it
    touches and adds the difference (drives.buckets). `converted_minor` is NULL when the
    rate is missing; a pledged bucket also counts its pledges for the roll-up's counters.
    """

    __tablename__ = "drive_money_bucket"

    drive_id: Mapped[int] = mapped_column(ForeignKey("drive.id", ondelete="CASCADE"),
                                          primary_key=True)
    supporters: Mapped[int] = mapped_column(Integer, default=0, sort_order=1)
    listed: Mapped[int] = mapped_column(Integer, default=0, sort_order=1)


class PledgeUpload(Base):
    """A pledge file uploaded on the web, kept between its preview and the confirmation.

    App servers keep nothing between requests, so the pending file waits here; it is
    deleted when the import is confirmed, and uploads older than a day are purged.
    """

    __tablename__ = "pledge_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    drive_id: Mapped[int] = mapped_column(ForeignKey("drive.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # Our field -> the file's column header, for files exported by other programs.
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    drive: Mapped[Drive] = relationship()
