"""Rules for drives, pledges and payments; each drive's totals are kept in SQL by one function.

Conversions follow tracker.money.services: each pledge is converted into the drive's
currency at the rate of its own date, each payment into the pledge's and the drive's
currency at the rate of the payment's date; the original amount and the rate used are
stored beside the result, for the pledge's page. A missing rate stores NULL (and the
drive page names the pair and the date), never zero. Sums (a pledge's paid amount, a
drive's totals) are added per currency and date in SQL and converted by the one rule
(money.services.add_converted). After every write that touches a drive,
refresh_drive_totals recomputes the drive's roll-up in the same transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Any, ParamSpec, TypeVar

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from tracker.auth.models import User
from tracker.auth.services import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from tracker.campaigns.models import Campaign, CampaignPartner
from tracker.db import utcnow
from tracker.drives.models import (
    DRIVE_TRANSITIONS,
    NOT_PAYABLE,
    NOT_SUPPORTING,
    OPEN,
    PAYMENT_DRIVEN,
    PLEDGE_TRANSITIONS,
    STAFF_PLEDGEABLE,
    Channel,
    Drive,
    DriveStatus,
    DriveTotals,
    Payment,
    Pledge,
    PledgeSource,
    PledgeStatus,
)
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.services import (
    DatedSum,
    RateBook,
    RateMissing,
    add_converted,
    convert,
)
from tracker.money.value import MAX_AMOUNT, Money, MoneyError, minor_units
from tracker.orgs.models import Organization
from tracker.orgs.services import check_slug

MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 5_000
MAX_NAME_LENGTH = 200
MAX_REFERENCE_LENGTH = 100
MAX_REASON_LENGTH = 1_000
MAX_MESSAGE_LENGTH = 2_000
PLEDGES_PER_PAGE = 50
DRIVES_PER_PAGE = 50
PUBLIC_SUPPORTERS_SHOWN = 100
MISSING_RATES_SHOWN = 50

P = ParamSpec("P")
R = TypeVar("R")


# --- errors ------------------------------------------------------------------------------


class DriveMoveRefused(DomainError):
    """The drive's status machine does not allow this move."""

    def __init__(self, current: DriveStatus, to: DriveStatus) -> None:
        message = _("A drive cannot move from “%(current)s” to “%(to)s”.",
                    current=current.label, to=to.label)
        allowed = [status.label for status in DriveStatus if status in DRIVE_TRANSITIONS[current]]
        if allowed:
            message += " " + _("From “%(current)s” it can move to: %(allowed)s.",
                               current=current.label, allowed=", ".join(allowed))
        else:
            message += " " + _("“%(current)s” is final.", current=current.label)
        super().__init__(message, field="to")
        self.current, self.to = current, to


class PledgeMoveRefused(DomainError):
    """The pledge's status machine does not allow this move."""

    def __init__(self, current: PledgeStatus, to: PledgeStatus) -> None:
        super().__init__(_("A pledge cannot move from “%(current)s” to “%(to)s”.",
                           current=current.label, to=to.label))
        self.current, self.to = current, to


class PledgeConflict(DomainError):
    """Someone else saved the pledge after this form was loaded."""

    def __init__(self) -> None:
        super().__init__(_("Someone else changed this pledge while you were editing; reload to "
                           "see their changes."))


class PaymentRefused(DomainError):
    """The pledge takes no payments in its status."""


# --- inputs ------------------------------------------------------------------------------


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


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DriveFigures:
    """A drive's progress in its goal currency, read from the roll-up."""

    goal: Money
    received: Money
    pledged: Money
    supporters: int
    unconverted: int
    days_left: int | None

    @staticmethod
    def _share(part: Money, whole: Money, cap: Decimal) -> Decimal:
        if whole.amount <= 0:
            return Decimal(0)
        share = part.amount * 100 / whole.amount
        return max(Decimal(0), min(cap, share)).quantize(Decimal("0.1"))

    @property
    def received_width(self) -> Decimal:
        """Percent of the goal received, for the thermometer (0 to 100)."""
        return self._share(self.received, self.goal, Decimal(100))

    @property
    def pledged_width(self) -> Decimal:
        """Percent of the goal pledged but unpaid, drawn after the received part."""
        return self._share(self.pledged, self.goal, Decimal(100) - self.received_width)

    @property
    def ended(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True)
class DriveRow:
    """A drive with its figures, for lists."""

    drive: Drive
    figures: DriveFigures


@dataclass(frozen=True)
class MissingRate:
    """A conversion that could not be made: which pair, which date, for which record."""

    pledge: Pledge
    payment: Payment | None
    base: str
    quote: str
    on: date

    @property
    def message(self) -> str:
        return RateMissing(self.base, self.quote, self.on).message


@dataclass(frozen=True)
class TotalsRow:
    """Freshly aggregated figures of one drive, in minor units of its currency."""

    pledged_minor: int
    received_minor: int
    supporters: int
    unconverted: int
    listed: int = 0


def today() -> date:
    """Today's date in UTC: the default date of public pledges, the end of 'days left'."""
    return utcnow().date()


def find_drive(slug: str) -> Drive | None:
    """The drive with this slug, or None."""
    return db.session.scalar(
        select(Drive).options(joinedload(Drive.totals), joinedload(Drive.campaign))
        .where(Drive.slug == slug)
    )


def find_pledge(drive: Drive, pledge_id: int) -> Pledge | None:
    """The drive's pledge with this id, or None (a pledge is only reachable through its drive)."""
    return db.session.scalar(
        select(Pledge).where(Pledge.id == pledge_id, Pledge.drive_id == drive.id)
    )


def find_payment(pledge: Pledge, payment_id: int) -> Payment | None:
    """The pledge's payment with this id, or None."""
    return db.session.scalar(
        select(Payment).where(Payment.id == payment_id, Payment.pledge_id == pledge.id)
    )


def figures_of(drive: Drive, totals: DriveTotals | None) -> DriveFigures:
    """The drive's progress from its roll-up row (zero when the row is missing)."""
    zero = Money.zero(drive.currency)
    same = totals is not None and totals.currency == drive.currency
    days_left = (drive.ends_on - today()).days if drive.ends_on else None
    return DriveFigures(
        goal=drive.goal,
        received=totals.received if same else zero,  # type: ignore[union-attr]
        pledged=totals.pledged if same else zero,  # type: ignore[union-attr]
        supporters=totals.supporters if totals else 0,
        unconverted=totals.unconverted if totals else 0,
        days_left=days_left,
    )


def drive_figures(drive: Drive) -> DriveFigures:
    """The drive's progress, read from its roll-up (never from its pledges)."""
    return figures_of(drive, drive.totals)


def _rows(query: Any) -> list[DriveRow]:
    return [DriveRow(drive, figures_of(drive, totals))
            for drive, totals in db.session.execute(query)]


def _drives_query() -> Any:
    return (
        select(Drive, DriveTotals)
        .outerjoin(DriveTotals, DriveTotals.drive_id == Drive.id)
        .options(joinedload(Drive.campaign), joinedload(Drive.organiser))
    )


def drives_of_campaign(campaign: Campaign) -> list[DriveRow]:
    """A campaign's drives, newest start first, each with its figures from the roll-up."""
    return _rows(_drives_query().where(Drive.campaign_id == campaign.id)
                 .order_by(Drive.starts_on.desc(), Drive.id.desc()))


def list_drives(campaign_id: int | None = None, status: DriveStatus | None = None
                ) -> list[DriveRow]:
    """Every drive, filtered by campaign and status, newest start first."""
    query = _drives_query().order_by(Drive.starts_on.desc(), Drive.id.desc())
    if campaign_id is not None:
        query = query.where(Drive.campaign_id == campaign_id)
    if status is not None:
        query = query.where(Drive.status == status)
    return _rows(query)


def campaigns_with_drives() -> list[Campaign]:
    """The campaigns that have at least one drive, for the list's filter."""
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.id.in_(select(Drive.campaign_id)))
    )
    return sorted(campaigns, key=lambda campaign: campaign.title.casefold())


def organiser_choices(campaign: Campaign) -> list[Organization]:
    """The organisations that may organise a drive of the campaign: its lead and partners."""
    partners = select(CampaignPartner.organization_id).where(
        CampaignPartner.campaign_id == campaign.id
    )
    orgs = db.session.scalars(select(Organization).where(
        or_(Organization.id == campaign.lead_org_id, Organization.id.in_(partners))
    ))
    return sorted(orgs, key=lambda org: (org.id != campaign.lead_org_id, org.name.casefold()))


def list_pledges(drive: Drive, page: int = 1, per_page: int = PLEDGES_PER_PAGE) -> Pagination:
    """The drive's pledges except those awaiting confirmation, newest first, one page.

    The number of pages comes from the drive's roll-up (a count kept with every write),
    so a drive with a hundred thousand pledges is not counted on every view.
    """
    total = drive.totals.listed if drive.totals is not None else None
    query = (
        select(Pledge)
        .where(Pledge.drive_id == drive.id, Pledge.status != PledgeStatus.UNCONFIRMED)
        .order_by(Pledge.pledged_on.desc(), Pledge.id.desc())
    )
    if total is None:
        return db.paginate(query, page=page, per_page=per_page, error_out=False)
    pages = max(1, -(-total // per_page))
    pagination = db.paginate(query, page=min(max(1, page), pages), per_page=per_page,
                             error_out=False, count=False)
    pagination.total = total
    return pagination


def awaiting_confirmation(drive: Drive) -> list[Pledge]:
    """Public pledges that a lead has to confirm or reject, oldest first."""
    return list(db.session.scalars(
        select(Pledge)
        .where(Pledge.drive_id == drive.id, Pledge.status == PledgeStatus.UNCONFIRMED)
        .order_by(Pledge.created_at, Pledge.id)
    ))


def public_supporters(drive: Drive, limit: int = PUBLIC_SUPPORTERS_SHOWN) -> list[str]:
    """Names of the latest supporters who did not ask to stay anonymous (confirmed only)."""
    return list(db.session.scalars(
        select(Pledge.pledger_name)
        .where(Pledge.drive_id == drive.id, Pledge.status.not_in(NOT_SUPPORTING),
               Pledge.is_anonymous.is_(False), Pledge.pledger_name != "")
        .order_by(Pledge.pledged_on.desc(), Pledge.id.desc())
        .limit(limit)
    ))


def missing_rates(drive: Drive, limit: int = MISSING_RATES_SHOWN) -> list[MissingRate]:
    """The conversions the drive's totals leave out for want of a rate, each named."""
    found: list[MissingRate] = []
    pledges = db.session.scalars(
        select(Pledge)
        .where(Pledge.drive_id == drive.id, Pledge.status.in_(OPEN),
               Pledge.drive_amount_minor.is_(None))
        .order_by(Pledge.pledged_on, Pledge.id).limit(limit)
    )
    found += [MissingRate(p, None, p.currency, drive.currency, p.pledged_on) for p in pledges]
    payments = db.session.execute(
        select(Payment, Pledge).join(Pledge, Payment.pledge_id == Pledge.id)
        .where(Pledge.drive_id == drive.id,
               or_(Payment.drive_amount_minor.is_(None), Payment.pledge_amount_minor.is_(None)))
        .order_by(Payment.paid_on, Payment.id).limit(limit)
    )
    for payment, pledge in payments:
        found += _missing_of_payment(pledge, payment)
    return found[:limit]


def pledge_missing_rates(pledge: Pledge) -> list[MissingRate]:
    """The conversions of one pledge and its payments that lack a rate."""
    found = []
    if pledge.drive_amount_minor is None:
        found.append(MissingRate(pledge, None, pledge.currency, pledge.drive_amount_currency,
                                 pledge.pledged_on))
    for payment in pledge.payments:
        found += _missing_of_payment(pledge, payment)
    return found


def _missing_of_payment(pledge: Pledge, payment: Payment) -> list[MissingRate]:
    found = []
    if payment.pledge_amount_minor is None:
        found.append(MissingRate(pledge, payment, payment.currency,
                                 payment.pledge_amount_currency, payment.paid_on))
    if payment.drive_amount_minor is None:
        found.append(MissingRate(pledge, payment, payment.currency,
                                 payment.drive_amount_currency, payment.paid_on))
    return found


@dataclass(frozen=True)
class DriveMoney:
    """Some drives' money in its original currencies, grouped by currency and date.

    `received`: payments by currency and payment date; `pledged`: the unpaid rest of open
    pledges by currency and pledge date; `unknown_rest`: open pledges whose unpaid rest
    is unknown because one of their payments has no rate into the pledge's currency.
    Converting each group at the rate of its date (money.services.add_converted) gives
    the figures in any currency: the drive's goal currency, or a campaign target's.
    """

    received: list[DatedSum]
    pledged: list[DatedSum]
    unknown_rest: int = 0


def drive_money(drive_ids: Any) -> DriveMoney:
    """The drives' money, summed in SQL by currency and date (three queries).

    `drive_ids` is a list of ids or a SELECT of them (a campaign's drives).
    """
    received = db.session.execute(
        select(Payment.currency, Payment.paid_on, func.sum(Payment.amount_minor), func.count())
        .join(Pledge, Payment.pledge_id == Pledge.id)
        .where(Pledge.drive_id.in_(drive_ids))
        .group_by(Payment.currency, Payment.paid_on)
        .order_by(Payment.paid_on, Payment.currency)
    )
    # A payment without a rate into its pledge's currency leaves the pledge's rest unknown.
    rest_unknown = (
        select(Payment.id)
        .where(Payment.pledge_id == Pledge.id, Payment.pledge_amount_minor.is_(None))
        .exists()
    )
    is_open = and_(Pledge.drive_id.in_(drive_ids), Pledge.status.in_(OPEN))
    unpaid = case((Pledge.amount_minor > Pledge.paid_minor,
                   Pledge.amount_minor - Pledge.paid_minor), else_=0)
    pledged = db.session.execute(
        select(Pledge.currency, Pledge.pledged_on, func.sum(unpaid), func.count())
        .where(is_open, ~rest_unknown)
        .group_by(Pledge.currency, Pledge.pledged_on)
        .order_by(Pledge.pledged_on, Pledge.currency)
    )
    unknown = db.session.scalar(select(func.count()).select_from(Pledge).where(is_open,
                                                                                rest_unknown))
    return DriveMoney(
        received=[DatedSum(currency, on, int(minor), int(count))
                  for currency, on, minor, count in received],
        pledged=[DatedSum(currency, on, int(minor), int(count))
                 for currency, on, minor, count in pledged if int(minor) > 0],
        unknown_rest=int(unknown or 0),
    )


# --- the roll-up -------------------------------------------------------------------------


def compute_drive_totals(drive_id: int) -> TotalsRow:
    """Aggregate a drive's pledges and payments in SQL, converted by the one rule.

    Sums per currency and date come from the database; each is converted into the
    drive's currency at its date's rate (money.services.add_converted).
    """
    currency = db.session.scalar(select(Drive.currency).where(Drive.id == drive_id))
    if currency is None:
        raise LookupError(f"no drive {drive_id}")
    supporters, listed = db.session.execute(
        select(func.coalesce(func.sum(case((Pledge.status.not_in(NOT_SUPPORTING), 1),
                                           else_=0)), 0),
               func.coalesce(func.sum(case((Pledge.status != PledgeStatus.UNCONFIRMED, 1),
                                           else_=0)), 0))
        .where(Pledge.drive_id == drive_id)
    ).one()
    money = drive_money([drive_id])
    book = RateBook.load({currency, *(item.currency for item in money.received + money.pledged)})
    received = add_converted(money.received, currency, book)
    pledged = add_converted(money.pledged, currency, book)
    return TotalsRow(pledged_minor=pledged.money.minor, received_minor=received.money.minor,
                     supporters=int(supporters or 0), listed=int(listed or 0),
                     unconverted=received.unconverted + pledged.unconverted + money.unknown_rest)


def refresh_drive_totals(drive_id: int) -> DriveTotals:
    """Recompute a drive's roll-up from its pledges and payments, in this transaction.

    Every write that affects a drive ends here. The roll-up row is locked first (FOR
    UPDATE on PostgreSQL; SQLite has one writer at a time), so a second writer waits,
    then sums what the first committed: the figures cannot drift from the rows.
    """
    db.session.flush()
    totals = db.session.scalar(
        select(DriveTotals).where(DriveTotals.drive_id == drive_id)
        .with_for_update().execution_options(populate_existing=True)
    )
    drive = db.session.get(Drive, drive_id)
    if drive is None:
        raise LookupError(f"no drive {drive_id}")
    if totals is None:
        totals = DriveTotals(drive_id=drive_id, currency=drive.currency)
        db.session.add(totals)
    fresh = compute_drive_totals(drive_id)
    totals.currency = drive.currency
    totals.pledged_minor = fresh.pledged_minor
    totals.received_minor = fresh.received_minor
    totals.supporters = fresh.supporters
    totals.listed = fresh.listed
    totals.unconverted = fresh.unconverted
    totals.updated_at = utcnow()
    db.session.flush()
    return totals


# --- drives ------------------------------------------------------------------------------


def _text(value: str, limit: int, field: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise DomainError(_("Keep this under %(limit)s characters.", limit=limit), field=field)
    return value


def _money(amount: Decimal | None, currency: str, field: str = "amount") -> Money:
    """The amount as Money, or the reason it cannot be one, named for its field."""
    try:
        minor_units(currency)
    except MoneyError:
        raise DomainError(_("Choose a known currency (ISO 4217 code)."), field="currency") from None
    if amount is None or not amount.is_finite() or amount <= 0:
        raise DomainError(_("The amount must be greater than zero."), field=field)
    if amount > MAX_AMOUNT:
        raise DomainError(_("This amount is implausibly large; check the digits."), field=field)
    try:
        return Money(amount, currency)
    except MoneyError:
        raise DomainError(_("%(currency)s allows at most %(places)s decimal places.",
                            currency=currency, places=minor_units(currency)),
                          field=field) from None


def _not_in_future(day: date, field: str) -> None:
    if day > today():
        raise DomainError(_("The date cannot be in the future."), field=field)


def _validate_drive(campaign: Campaign, data: DriveInput, current: Drive | None) -> Money:
    check_slug(data.slug)
    title_en = _text(data.title_en, MAX_TITLE_LENGTH, "title_en")
    title_ru = _text(data.title_ru, MAX_TITLE_LENGTH, "title_ru")
    if not (title_en or title_ru):
        raise DomainError(_("Give the title in English or Russian."), field="title_en")
    _text(data.purpose_en, MAX_TEXT_LENGTH, "purpose_en")
    _text(data.purpose_ru, MAX_TEXT_LENGTH, "purpose_ru")
    goal = _money(data.goal, data.currency, field="goal")
    if data.ends_on and data.ends_on < data.starts_on:
        raise DomainError(_("The end date cannot be before the start date."), field="ends_on")
    if data.organiser_org_id not in {org.id for org in organiser_choices(campaign)}:
        raise DomainError(_("Choose an organisation that takes part in the campaign."),
                          field="organiser_org_id")
    clash = db.session.scalar(select(Drive.id).where(Drive.slug == data.slug))
    if clash is not None and (current is None or clash != current.id):
        raise DomainError(_("A drive with the short name %(slug)s already exists.",
                            slug=data.slug), field="slug")
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


def create_drive(campaign: Campaign, data: DriveInput) -> Drive:
    """Add a drive (a draft) to a campaign, with an empty roll-up."""
    goal = _validate_drive(campaign, data, None)
    drive = Drive(campaign=campaign, status=DriveStatus.DRAFT)
    _apply_drive(drive, data, goal)
    db.session.add(drive)
    db.session.flush()
    refresh_drive_totals(drive.id)
    return drive


def update_drive(drive: Drive, data: DriveInput) -> Drive:
    """Change a drive's details; its currency only while it has no pledges."""
    goal = _validate_drive(drive.campaign, data, drive)
    _apply_drive(drive, data, goal)
    db.session.flush()
    refresh_drive_totals(drive.id)
    return drive


def move_drive(drive: Drive, to: DriveStatus) -> Drive:
    """Change a drive's status along DRIVE_TRANSITIONS, or refuse with the allowed moves."""
    if to not in DRIVE_TRANSITIONS[drive.status]:
        raise DriveMoveRefused(drive.status, to)
    drive.status = to
    db.session.flush()
    return drive


# --- conversions and settling a pledge ---------------------------------------------------


@dataclass(frozen=True)
class _Converted:
    minor: int | None
    rate: Decimal | None
    rate_on: date | None


def _storable(rate: Decimal) -> Decimal:
    """The rate as stored: an inverse rate is cut to 28 significant digits to fit its column."""
    with localcontext() as ctx:
        ctx.prec = 28
        return +rate


def _convert(money: Money, to: str, on: date) -> _Converted:
    """The amount in another currency at the rate of its date; all None when the rate is missing."""
    try:
        result = convert(money, to, on)
    except RateMissing:
        return _Converted(None, None, None)
    return _Converted(result.converted.minor, _storable(result.rate), result.rate_date)


def _convert_pledge(pledge: Pledge, drive: Drive) -> None:
    converted = _convert(pledge.amount, drive.currency, pledge.pledged_on)
    pledge.drive_amount_currency = drive.currency
    pledge.drive_amount_minor = converted.minor
    pledge.drive_rate, pledge.drive_rate_on = converted.rate, converted.rate_on


def _convert_payment(payment: Payment, pledge: Pledge, drive: Drive) -> None:
    to_pledge = _convert(payment.amount, pledge.currency, payment.paid_on)
    payment.pledge_amount_currency = pledge.currency
    payment.pledge_amount_minor = to_pledge.minor
    payment.pledge_rate, payment.pledge_rate_on = to_pledge.rate, to_pledge.rate_on
    to_drive = _convert(payment.amount, drive.currency, payment.paid_on)
    payment.drive_amount_currency = drive.currency
    payment.drive_amount_minor = to_drive.minor
    payment.drive_rate, payment.drive_rate_on = to_drive.rate, to_drive.rate_on


def _move_pledge(pledge: Pledge, to: PledgeStatus) -> None:
    """Change a pledge's status along PLEDGE_TRANSITIONS, the one table of allowed moves."""
    if to == pledge.status:
        return
    if to not in PLEDGE_TRANSITIONS[pledge.status]:
        raise PledgeMoveRefused(pledge.status, to)
    pledge.status = to


def _status_from_payments(pledge: Pledge) -> PledgeStatus:
    if pledge.paid_minor <= 0:
        return PledgeStatus.PLEDGED
    if pledge.paid_minor >= pledge.amount_minor:
        return PledgeStatus.PAID
    return PledgeStatus.PARTLY_PAID


def _unpaid_in_drive_currency(pledge: Pledge, payments_unconverted: bool) -> int | None:
    """The unpaid rest at the pledge's own rate; None when a rate (or a payment's) is missing."""
    if pledge.drive_rate is None or pledge.drive_amount_minor is None or payments_unconverted:
        return None
    unpaid = max(0, pledge.amount_minor - pledge.paid_minor)
    if unpaid == pledge.amount_minor:
        return pledge.drive_amount_minor
    rest = Money.from_minor(unpaid, pledge.currency)
    with localcontext() as ctx:
        ctx.prec = 50
        return Money.rounded(rest.amount * pledge.drive_rate,  # type: ignore[union-attr]
                             pledge.drive_amount_currency).minor


def _settle(pledge: Pledge) -> None:
    """Sum the payments in SQL, move a payment-driven status to match, keep the unpaid rest.

    The paid amount follows the one conversion rule: payments are summed per currency and
    date, and each sum is converted into the pledge's currency at that date's rate.
    """
    db.session.flush()
    sums = [DatedSum(currency, on, int(minor), int(count)) for currency, on, minor, count in
            db.session.execute(
                select(Payment.currency, Payment.paid_on, func.sum(Payment.amount_minor),
                       func.count())
                .where(Payment.pledge_id == pledge.id)
                .group_by(Payment.currency, Payment.paid_on))]
    paid = add_converted(sums, pledge.currency)
    unconverted = paid.unconverted
    pledge.paid_minor = paid.money.minor
    if pledge.status in PAYMENT_DRIVEN:
        _move_pledge(pledge, _status_from_payments(pledge))
    pledge.unpaid_drive_minor = _unpaid_in_drive_currency(pledge, unconverted > 0)


def _guard_conflicts(service: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLAlchemy's StaleDataError (a version that moved on) into PledgeConflict."""

    @functools.wraps(service)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except StaleDataError:
            raise PledgeConflict() from None

    return guarded


def _check_version(pledge: Pledge, version: int | None) -> None:
    if version is not None and version != pledge.version:
        raise PledgeConflict()


# --- pledges -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _PledgeFields:
    amount: Money
    pledger_name: str
    is_anonymous: bool
    contact_email: str
    external_reference: str | None


def _validate_pledger(name: str, anonymous: bool, email: str,
                      email_required: bool = False) -> tuple[str, bool, str]:
    name = _text(name, MAX_NAME_LENGTH, "pledger_name")
    email = email.strip()
    if email_required and not email:
        raise DomainError(_("Give an e-mail address so that the organisers can confirm your "
                            "pledge."), field="contact_email")
    if email and (len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email)):
        raise DomainError(_("Give a valid e-mail address, e.g. name@example.org."),
                          field="contact_email")
    return name, anonymous or not name, email


def _validate_pledge(drive: Drive, data: PledgeInput, current: Pledge | None) -> _PledgeFields:
    amount = _money(data.amount, data.currency)
    _not_in_future(data.pledged_on, "pledged_on")
    name, anonymous, email = _validate_pledger(data.pledger_name, data.is_anonymous,
                                               data.contact_email)
    _text(data.note, MAX_TEXT_LENGTH, "note")
    reference = _text(data.external_reference, MAX_REFERENCE_LENGTH, "external_reference") or None
    if reference is not None:
        clash = db.session.scalar(select(Pledge.id).where(
            Pledge.drive_id == drive.id, Pledge.external_reference == reference))
        if clash is not None and (current is None or clash != current.id):
            raise DomainError(_("A pledge with the reference %(reference)s is already recorded "
                                "for this drive.", reference=reference),
                              field="external_reference")
    return _PledgeFields(amount, name, anonymous, email, reference)


def _flush_new_pledge(pledge: Pledge) -> None:
    """Insert a pledge; a reference stored by someone else meanwhile is a clear refusal.

    The caller rolls back after the refusal, as after any DomainError.
    """
    db.session.add(pledge)
    try:
        db.session.flush()
    except IntegrityError:
        raise DomainError(_("A pledge with the reference %(reference)s is already recorded "
                            "for this drive.", reference=pledge.external_reference),
                          field="external_reference") from None


def log_pledge(drive: Drive, data: PledgeInput, *, by: User | None) -> Pledge:
    """Record a pledge that staff took (by phone, at an event, by transfer) to a drive."""
    if drive.status not in STAFF_PLEDGEABLE:
        raise DomainError(_("This drive is “%(status)s”: it takes no new pledges.",
                            status=drive.status.label))
    fields = _validate_pledge(drive, data, None)
    pledge = Pledge(
        drive_id=drive.id, amount=fields.amount, pledged_on=data.pledged_on,
        pledger_name=fields.pledger_name, is_anonymous=fields.is_anonymous,
        contact_email=fields.contact_email, channel=data.channel,
        external_reference=fields.external_reference, note=data.note.strip(),
        source=PledgeSource.STAFF, status=PledgeStatus.PLEDGED,
        logged_by_id=by.id if by is not None else None, paid_minor=0,
    )
    _convert_pledge(pledge, drive)
    _flush_new_pledge(pledge)
    _settle(pledge)
    refresh_drive_totals(drive.id)
    return pledge


@_guard_conflicts
def update_pledge(pledge: Pledge, data: PledgeInput) -> Pledge:
    """Change a pledge; refuse with PledgeConflict when it changed since the form was loaded."""
    _check_version(pledge, data.version)
    drive = pledge.drive
    fields = _validate_pledge(drive, data, pledge)
    currency_changed = fields.amount.currency != pledge.currency
    pledge.amount = fields.amount
    pledge.pledged_on = data.pledged_on
    pledge.pledger_name, pledge.is_anonymous = fields.pledger_name, fields.is_anonymous
    pledge.contact_email = fields.contact_email
    pledge.channel = data.channel
    pledge.external_reference = fields.external_reference
    pledge.note = data.note.strip()
    _convert_pledge(pledge, drive)
    if currency_changed:
        for payment in pledge.payments:
            _convert_payment(payment, pledge, drive)
    _settle(pledge)
    refresh_drive_totals(drive.id)
    return pledge


def _reason(reason: str, required: bool) -> str:
    reason = _text(reason, MAX_REASON_LENGTH, "reason")
    if required and not reason:
        raise DomainError(_("Say why, so that others understand later."), field="reason")
    return reason


def _set_by_person(pledge: Pledge, to: PledgeStatus, reason: str, version: int | None) -> Pledge:
    _check_version(pledge, version)
    _move_pledge(pledge, to)
    pledge.status_reason = reason
    _settle(pledge)
    refresh_drive_totals(pledge.drive_id)
    return pledge


@_guard_conflicts
def confirm_pledge(pledge: Pledge, version: int | None = None) -> Pledge:
    """Accept a pledge made on the public page: it now counts as pledged."""
    return _set_by_person(pledge, PledgeStatus.PLEDGED, "", version)


@_guard_conflicts
def reject_pledge(pledge: Pledge, reason: str = "", version: int | None = None) -> Pledge:
    """Refuse a pledge made on the public page (spam, a duplicate, a mistake)."""
    return _set_by_person(pledge, PledgeStatus.REJECTED, _reason(reason, False), version)


@_guard_conflicts
def cancel_pledge(pledge: Pledge, reason: str, version: int | None = None) -> Pledge:
    """Cancel an open pledge (the pledger withdrew it); a reason is required."""
    return _set_by_person(pledge, PledgeStatus.CANCELLED, _reason(reason, True), version)


@_guard_conflicts
def write_off_pledge(pledge: Pledge, reason: str, version: int | None = None) -> Pledge:
    """Give up the unpaid rest of an open pledge; what was paid stays received."""
    return _set_by_person(pledge, PledgeStatus.WRITTEN_OFF, _reason(reason, True), version)


def submit_public_pledge(drive: Drive, data: PublicPledgeInput) -> Pledge | None:
    """Record a pledge from the public page, awaiting a lead's confirmation.

    A filled honeypot (`trap`) is a robot: nothing is written and None is returned, and
    the visitor sees the same thank-you page as everyone else.
    """
    if not drive.accepts_public_pledges:
        raise DomainError(_("This drive does not take pledges at the moment."))
    if data.trap.strip():
        return None
    amount = _money(data.amount, data.currency)
    name, anonymous, email = _validate_pledger(data.pledger_name, data.is_anonymous,
                                               data.contact_email, email_required=True)
    message = _text(data.message, MAX_MESSAGE_LENGTH, "message")
    pledge = Pledge(
        drive_id=drive.id, amount=amount, pledged_on=today(), pledger_name=name,
        is_anonymous=anonymous, contact_email=email, message=message,
        source=PledgeSource.PUBLIC_FORM, status=PledgeStatus.UNCONFIRMED,
        channel=Channel.OTHER, logged_by_id=None, paid_minor=0,
    )
    _convert_pledge(pledge, drive)
    db.session.add(pledge)
    db.session.flush()
    _settle(pledge)
    refresh_drive_totals(drive.id)
    return pledge


# --- payments ----------------------------------------------------------------------------


@_guard_conflicts
def record_payment(pledge: Pledge, data: PaymentInput, *, by: User | None) -> Payment:
    """Record money received against a pledge; its paid amount and status follow."""
    if pledge.status in NOT_PAYABLE:
        raise PaymentRefused(_("Payments cannot be recorded on this pledge: it is “%(status)s”.",
                               status=pledge.status.label))
    amount = _money(data.amount, data.currency)
    _not_in_future(data.paid_on, "paid_on")
    payment = Payment(
        pledge_id=pledge.id, amount=amount, paid_on=data.paid_on, method=data.method,
        reference=_text(data.reference, MAX_REFERENCE_LENGTH, "reference"),
        note=_text(data.note, MAX_TEXT_LENGTH, "note"),
        logged_by_id=by.id if by is not None else None,
    )
    _convert_payment(payment, pledge, pledge.drive)
    db.session.add(payment)
    db.session.flush()
    db.session.expire(pledge, ["payments"])
    _settle(pledge)
    refresh_drive_totals(pledge.drive_id)
    return payment


@_guard_conflicts
def remove_payment(payment: Payment) -> Pledge:
    """Remove a payment recorded by mistake; the pledge's paid amount and status follow."""
    pledge = payment.pledge
    db.session.delete(payment)
    db.session.flush()
    db.session.expire(pledge, ["payments"])
    _settle(pledge)
    refresh_drive_totals(pledge.drive_id)
    return pledge


# --- conversions made later --------------------------------------------------------------


def reconvert_missing(drive: Drive) -> int:
    """Retry the drive's conversions that lacked a rate; return how many now have one."""
    fixed = 0
    touched: dict[int, Pledge] = {}
    for pledge in db.session.scalars(select(Pledge).where(
            Pledge.drive_id == drive.id, Pledge.drive_amount_minor.is_(None))):
        _convert_pledge(pledge, drive)
        if pledge.drive_amount_minor is not None:
            fixed += 1
            touched[pledge.id] = pledge
    payments = db.session.scalars(
        select(Payment).join(Pledge, Payment.pledge_id == Pledge.id)
        .where(Pledge.drive_id == drive.id,
               or_(Payment.drive_amount_minor.is_(None), Payment.pledge_amount_minor.is_(None)))
    )
    for payment in payments:
        before = (payment.pledge_amount_minor is None) + (payment.drive_amount_minor is None)
        _convert_payment(payment, payment.pledge, drive)
        after = (payment.pledge_amount_minor is None) + (payment.drive_amount_minor is None)
        if after < before:
            fixed += before - after
            touched[payment.pledge_id] = payment.pledge
    for pledge in touched.values():
        _settle(pledge)
    refresh_drive_totals(drive.id)
    return fixed
