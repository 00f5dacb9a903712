"""Reading drives, pledges and payments: lookups, lists and figures from the roll-up.

Nothing here writes; figures come from each drive's roll-up row (drives.rollup),
never from counting its pledges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import joinedload
from sqlalchemy.types import NullType

from tracker.campaigns.models import Campaign, CampaignPartner
from tracker.campaigns.services import CampaignChoice, campaign_choices
from tracker.drives.inputs import today
from tracker.drives.models import (
    NOT_SUPPORTING,
    OPEN,
    Drive,
    DriveTotals,
    Payment,
    Pledge,
    PledgeStatus,
    publicly_visible,
)
from tracker.errors import found
from tracker.extensions import db
from tracker.money.conversion import RateMissing
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.paging import Page, page_of
from tracker.prepared import planned_once
from tracker.versions import CURRENCIES, RATES, Version, version_columns, version_of

# A page of 25 like the drives' list and the awaiting list: rendering the rows is most of the
# staff drive page's cost, and the export downloads every pledge at once (issue 15).
PLEDGES_PER_PAGE = 25
# Public pledges awaiting confirmation, a page at a time: a flood of them (finding 12 of
# issue 11: 500 in two minutes) must not make the drive's page grow without bound.
AWAITING_PER_PAGE = 25
DRIVES_PER_PAGE = 25
PUBLIC_SUPPORTERS_SHOWN = 100
MISSING_RATES_SHOWN = 50


@dataclass(frozen=True)
class DriveFigures:
    """A drive's progress in its goal currency, read from the roll-up."""

    goal: Money
    received: Money
    pledged: Money
    supporters: int
    unconverted: int
    days_left: int | None
    # Days until a drive that has not started yet starts (None once it has started).
    starts_in: int | None = None

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
    """A conversion that could not be made: which pair, which date, for which record (ids:
    the drive page names them, and reading whole records for it cost more than the rest
    of the page's reads at 1,000,000 pledges)."""

    pledge_id: int
    payment_id: int | None
    base: str
    quote: str
    on: date

    @property
    def message(self) -> str:
        return RateMissing(self.base, self.quote, self.on).message


def find_drive(slug: str) -> Drive | None:
    """The drive with this slug, or None."""
    # The organiser with them: every drive page names it (one statement fewer a page).
    return db.session.scalar(
        select(Drive).options(joinedload(Drive.totals), joinedload(Drive.campaign),
                              joinedload(Drive.organiser))
        .where(Drive.slug == slug)
    )


def find_pledge(drive: Drive, pledge_id: int) -> Pledge | None:
    """The drive's pledge with this id, or None (a pledge is only reachable through its drive)."""
    return db.session.scalar(
        select(Pledge).where(Pledge.id == pledge_id, Pledge.drive_id == drive.id)
    )


def find_drive_and_pledge(slug: str, pledge_id: int) -> tuple[Drive, Pledge] | None:
    """The drive with this slug and its pledge with this id in one statement, or None when
    either is missing (a payment's post reads both: one round trip fewer a payment)."""
    row = db.session.execute(
        select(Drive, Pledge).join(Pledge, Pledge.drive_id == Drive.id)
        .options(joinedload(Drive.totals), joinedload(Drive.campaign),
                 joinedload(Drive.organiser))
        .where(Drive.slug == slug, Pledge.id == pledge_id)
    ).first()
    return None if row is None else (row[0], row[1])


def find_payment(pledge: Pledge, payment_id: int) -> Payment | None:
    """The pledge's payment with this id, or None."""
    return db.session.scalar(
        select(Payment).where(Payment.id == payment_id, Payment.pledge_id == pledge.id)
    )


def get_drive(slug: str) -> Drive:
    """The drive with this slug, or NotFound."""
    return found(find_drive(slug), f"no drive {slug}")


def get_public_drive(slug: str) -> Drive:
    """A drive the public may see (public and live, funded or closed), or NotFound."""
    drive = find_drive(slug)
    return found(drive if drive is not None and drive.is_publicly_visible else None,
                 f"no public drive {slug}")


def get_pledge(drive: Drive, pledge_id: int) -> Pledge:
    """The drive's pledge with this id, or NotFound."""
    return found(find_pledge(drive, pledge_id), f"no pledge {pledge_id}")


def get_payment(pledge: Pledge, payment_id: int) -> Payment:
    """The pledge's payment with this id, or NotFound."""
    return found(find_payment(pledge, payment_id), f"no payment {payment_id}")


class Goal(Protocol):
    """What a drive's figures read of it: a Drive, or a list's line of its columns."""

    @property
    def goal(self) -> Money: ...
    @property
    def currency(self) -> str: ...
    @property
    def starts_on(self) -> date: ...
    @property
    def ends_on(self) -> date | None: ...


class Totals(Protocol):
    """What a drive's figures read of its roll-up: a DriveTotals, or a list's line of it."""

    @property
    def currency(self) -> str: ...
    @property
    def received(self) -> Money: ...
    @property
    def pledged(self) -> Money: ...
    @property
    def supporters(self) -> int: ...
    @property
    def unconverted(self) -> int: ...


def figures_of(drive: Goal, totals: Totals | None) -> DriveFigures:
    """The drive's progress from its roll-up row (zero when the row is missing)."""
    zero = Money.zero(drive.currency)
    same = totals is not None and totals.currency == drive.currency
    days_left = (drive.ends_on - today()).days if drive.ends_on else None
    starts_in = (drive.starts_on - today()).days
    return DriveFigures(
        goal=drive.goal,
        # Type check: `same` is true only when the totals exist.
        received=totals.received if same else zero,  # type: ignore[union-attr]
        pledged=totals.pledged if same else zero,  # type: ignore[union-attr]
        supporters=totals.supporters if totals else 0,
        unconverted=totals.unconverted if totals else 0,
        days_left=days_left,
        starts_in=starts_in if starts_in > 0 else None,
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


def campaigns_with_drives() -> list[CampaignChoice]:
    """The campaigns that have at least one drive, for the list's filter, by title."""
    return campaign_choices(among=select(Drive.campaign_id))


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


def awaiting_confirmation(drive: Drive, page: int = 1,
                          per_page: int = AWAITING_PER_PAGE) -> Page[Pledge]:
    """Public pledges that a lead has to confirm or reject, oldest first, one page.

    Read with their count in one statement (a drive's waiting pledges are few, counted
    through the (drive_id, status) index); a page past the end shows the last one.
    """
    query = (
        select(Pledge, func.count().over().label("waiting"))
        .where(Pledge.drive_id == drive.id, Pledge.status == PledgeStatus.UNCONFIRMED)
        .order_by(Pledge.created_at, Pledge.id)
    )
    page = max(1, page)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        return Page(items=[row[0] for row in rows], page=page, per_page=per_page,
                    total=rows[0].waiting)
    if page == 1:
        return Page(items=[], page=1, per_page=per_page, total=0)
    return page_of(query.with_only_columns(Pledge), page, per_page)


class ReadPagination(Pagination):
    """A page of pledges already read (with others, in one statement), with its total."""

    def _query_items(self) -> list[Any]:
        return list(self._query_args["items"])

    def _query_count(self) -> int:
        return int(self._query_args["total"])


@dataclass(frozen=True, slots=True)
class ShownPledge:
    """A pledge as the staff drive page's rows show it (templates/drives/_pledge_row.html
    and _awaiting_row.html): the columns they read and key on (views/rows.py), and the
    amounts as Pledge builds them; read without loading whole pledges through the ORM."""

    id: int
    version: int
    updated_at: datetime
    created_at: datetime
    status: PledgeStatus
    pledged_on: date
    pledger_name: str
    is_anonymous: bool
    amount_minor: int
    currency: str
    drive_amount_minor: int | None
    drive_amount_currency: str
    paid_minor: int
    contact_email: str
    message: str

    @property
    def amount(self) -> Money:
        """The pledge in its currency (Pledge.amount)."""
        return Money.stored(self.amount_minor, self.currency)

    @property
    def paid(self) -> Money:
        """What its payments came to, in its currency (Pledge.paid)."""
        return Money.stored(self.paid_minor, self.currency)

    @property
    def drive_amount(self) -> Money | None:
        """The pledge in the drive's currency; None without a rate (Pledge.drive_amount)."""
        return Money.from_minor(self.drive_amount_minor, self.drive_amount_currency)


# The columns of a ShownPledge, in its order.
_SHOWN_COLUMNS = tuple(Pledge.__table__.c[name] for name in ShownPledge.__dataclass_fields__)


@cache
def _drive_page_pledges_query() -> Any:
    """The statement of drive_page_pledges, built once: each part a subquery, so that its
    own ORDER BY and LIMIT choose its rows; only the columns the rows show (a ShownPledge),
    not the 30 of a pledge."""
    drive_id = bindparam("drive_id", type_=Integer)
    waiting = (
        select(*_SHOWN_COLUMNS, literal_column("0").label("part"),
               func.count().over().label("waiting"))
        .where(Pledge.drive_id == drive_id, Pledge.status == PledgeStatus.UNCONFIRMED)
        .order_by(Pledge.created_at, Pledge.id)
        .limit(bindparam("awaiting_limit")).offset(bindparam("awaiting_offset"))
    )
    listed = (
        select(*_SHOWN_COLUMNS, literal_column("1").label("part"),
               cast(null(), Integer).label("waiting"))
        .where(Pledge.drive_id == drive_id, Pledge.status != PledgeStatus.UNCONFIRMED)
        .order_by(Pledge.pledged_on.desc(), Pledge.id.desc())
        .limit(bindparam("listed_limit")).offset(bindparam("listed_offset"))
    )
    return union_all(select(waiting.subquery()), select(listed.subquery()))


_FIELDS = len(_SHOWN_COLUMNS)


def _shown(row: Any) -> ShownPledge:
    """A row of _drive_page_pledges_query as a ShownPledge."""
    return ShownPledge(*row[:_FIELDS])


def drive_page_pledges(drive: Drive, page: int = 1, awaiting_page: int = 1,
                       per_page: int = PLEDGES_PER_PAGE,
                       awaiting_per_page: int = AWAITING_PER_PAGE
                       ) -> tuple[Pagination, Page[Pledge] | Page[ShownPledge]]:
    """The staff drive page's two lists in one statement: a page of its pledges (as
    list_pledges) and a page of those awaiting confirmation with their count (as
    awaiting_confirmation). One round trip instead of two on every view of the page.

    Their items are ShownPledges, the columns the rows show; the two fallbacks below give
    whole Pledges, which the rows show alike.

    The listed pages' count comes from the roll-up, as in list_pledges: a drive without
    its roll-up row, or an awaiting page past the end, is read as those functions do.
    """
    if drive.totals is None:
        return (list_pledges(drive, page, per_page),
                awaiting_confirmation(drive, awaiting_page, awaiting_per_page))
    total = drive.totals.listed
    page = min(max(1, page), max(1, -(-total // per_page)))
    awaiting_page = max(1, awaiting_page)
    rows = db.session.execute(_drive_page_pledges_query(), {
        "drive_id": drive.id, "listed_limit": per_page, "listed_offset": (page - 1) * per_page,
        "awaiting_limit": awaiting_per_page,
        "awaiting_offset": (awaiting_page - 1) * awaiting_per_page}).all()
    # A union's rows come in no promised order: each list is put in its own here.
    waiting = sorted((row for row in rows if row.part == 0),
                     key=lambda row: (row.created_at, row.id))
    listed = sorted((_shown(row) for row in rows if row.part == 1),
                    key=lambda pledge: (pledge.pledged_on, pledge.id), reverse=True)
    pledges = ReadPagination(page=page, per_page=per_page, error_out=False, count=True,
                             items=listed, total=total)
    awaiting: Page[Pledge] | Page[ShownPledge]
    if waiting:
        awaiting = Page(items=[_shown(row) for row in waiting], page=awaiting_page,
                        per_page=awaiting_per_page, total=waiting[0].waiting)
    elif awaiting_page == 1:
        awaiting = Page(items=[], page=1, per_page=awaiting_per_page, total=0)
    else:
        awaiting = awaiting_confirmation(drive, awaiting_page, awaiting_per_page)
    return pledges, awaiting


def awaiting_among(drive: Drive, pledge_ids: list[int]) -> list[Pledge]:
    """Those of the given pledges that are the drive's and still await confirmation."""
    if not pledge_ids:
        return []
    return list(db.session.scalars(
        select(Pledge)
        .where(Pledge.drive_id == drive.id, Pledge.id.in_(pledge_ids),
               Pledge.status == PledgeStatus.UNCONFIRMED)
        .order_by(Pledge.created_at, Pledge.id)
    ))


def _latest_supporters(columns: tuple[Any, ...], drive_id: Any, limit: int) -> Any:
    """The latest supporters the public page names: confirmed, not anonymous, named."""
    return (
        select(*columns)
        .where(Pledge.drive_id == drive_id, Pledge.status.not_in(NOT_SUPPORTING),
               Pledge.is_anonymous.is_(False), Pledge.pledger_name != "")
        .order_by(Pledge.pledged_on.desc(), Pledge.id.desc())
        .limit(limit)
    )


def public_supporters(drive: Drive, limit: int = PUBLIC_SUPPORTERS_SHOWN) -> list[str]:
    """Names of the latest supporters who did not ask to stay anonymous (confirmed only)."""
    return list(db.session.scalars(_latest_supporters((Pledge.pledger_name,), drive.id, limit)))


@cache
def _public_page_query() -> Any:
    """The statement of public_page_state, built once (38 columns to coerce: 2 ms a build)."""
    columns = (*Drive.__table__.c, *DriveTotals.__table__.c, Organization.name_en,
               Organization.name_ru, Organization.city_en, Organization.city_ru,
               Campaign.title_en, Campaign.title_ru)
    # The supporters named, each as "id,pledged_on,length,name": the set of them fixes the
    # list shown (its order is theirs) and the lengths keep two sets from reading the same,
    # whatever order the database joins them in.
    shown = _latest_supporters(
        (cast(Pledge.id, String) + "," + cast(Pledge.pledged_on, String) + ","
         + cast(func.length(Pledge.pledger_name), String) + "," + Pledge.pledger_name,),
        Drive.id, PUBLIC_SUPPORTERS_SHOWN).correlate(Drive).subquery()
    supporters = select(func.aggregate_strings(next(iter(shown.c)), ";")).scalar_subquery()
    return planned_once(
        select(Drive.is_public, Drive.status, Drive.id,
               *(type_coerce(column, NullType()).label(f"c{at}")  # names repeat across tables
                 for at, column in enumerate(columns)),
               supporters.label("supporters"),
               *version_columns(CURRENCIES), *version_columns(RATES))
        .outerjoin(DriveTotals, DriveTotals.drive_id == Drive.id)
        .join(Organization, Organization.id == Drive.organiser_org_id)
        .join(Campaign, Campaign.id == Drive.campaign_id)
        .where(Drive.slug == bindparam("slug")),
        keep={"slug"})


@dataclass(frozen=True)
class PublicPageState:
    """What the public page of a drive shows, as stored, and the versions it is kept under."""

    shown: tuple[Any, ...]
    # The coalition's currencies (the form's choices) and rates (converted figures); None
    # when either has no stored version.
    versions: tuple[Version, Version] | None


def public_page_state(slug: str) -> PublicPageState | None:
    """What the public page of a drive shows, as stored: the drive's row and its roll-up row
    (every column: a delta that changes one figure changes the state), its organiser's names
    and cities, its campaign's titles and the supporters it names, the drive's id first, with
    the versions of the currencies and rates read in the same statement; None when the public
    may not see the drive. Raw driver values, no ORM object: for the key of the kept page,
    read on every request."""
    row = db.session.execute(_public_page_query(), {"slug": slug}).first()
    if row is None or not publicly_visible(row[0], row[1]):
        return None
    currencies, rates = version_of(*row[-4:-2]), version_of(*row[-2:])
    versions = None if currencies is None or rates is None else (currencies, rates)
    return PublicPageState(tuple(row[2:-4]), versions)


@cache
def _missing_rates_query() -> Any:
    """The statement of missing_rates, built once: the pledges, then the payments, each part
    a subquery with its own order and limit, both read through their partial indexes."""
    drive_id, limit = bindparam("drive_id", type_=Integer), bindparam("limit", type_=Integer)
    no_text, no_number = cast(null(), String), cast(null(), BigInteger)
    pledges: Any = (
        select(literal_column("0").label("part"), Pledge.id.label("pledge_id"),
               cast(null(), Integer).label("payment_id"), Pledge.currency,
               Pledge.pledged_on.label("on"), no_text.label("pledge_currency"),
               no_number.label("pledge_minor"), no_text.label("drive_currency"),
               no_number.label("drive_minor"))
        .where(Pledge.drive_id == drive_id, Pledge.status.in_(OPEN),
               Pledge.drive_amount_minor.is_(None))
        .order_by(Pledge.pledged_on, Pledge.id).limit(limit)
    )
    payments: Any = (
        select(literal_column("1").label("part"), Payment.pledge_id, Payment.id, Payment.currency,
               Payment.paid_on, Payment.pledge_amount_currency, Payment.pledge_amount_minor,
               Payment.drive_amount_currency, Payment.drive_amount_minor)
        .where(Payment.drive_id == drive_id,
               or_(Payment.drive_amount_minor.is_(None), Payment.pledge_amount_minor.is_(None)))
        .order_by(Payment.paid_on, Payment.id).limit(limit)
    )
    return union_all(select(pledges.subquery()), select(payments.subquery()))


def missing_rates(drive: Drive, limit: int = MISSING_RATES_SHOWN) -> list[MissingRate]:
    """The conversions the drive's totals leave out for want of a rate, each named: its
    pledges' first, then its payments' (two for a payment that lacks both), in one statement."""
    rows = db.session.execute(_missing_rates_query(), {"drive_id": drive.id, "limit": limit})
    # A union's rows come in no promised order: each part is put in its own here.
    pledges: list[Any] = []
    payments: list[Any] = []
    for row in rows:
        (payments if row.part == 1 else pledges).append(row)
    found = [MissingRate(row.pledge_id, None, row.currency, drive.currency, row.on)
             for row in sorted(pledges, key=lambda row: (row.on, row.pledge_id))]
    for row in sorted(payments, key=lambda row: (row.on, row.payment_id)):
        if row.pledge_minor is None:
            found.append(MissingRate(row.pledge_id, row.payment_id, row.currency,
                                     row.pledge_currency, row.on))
        if row.drive_minor is None:
            found.append(MissingRate(row.pledge_id, row.payment_id, row.currency,
                                     row.drive_currency, row.on))
    return found[:limit]


def pledge_missing_rates(pledge: Pledge) -> list[MissingRate]:
    """The conversions of one pledge and its payments that lack a rate."""
    found = []
    if pledge.drive_amount_minor is None:
        found.append(MissingRate(pledge.id, None, pledge.currency,
                                 pledge.drive_amount_currency, pledge.pledged_on))
    for payment in pledge.payments:
        found += _missing_of_payment(pledge, payment)
    return found


def _missing_of_payment(pledge: Pledge, payment: Payment) -> list[MissingRate]:
    found = []
    if payment.pledge_amount_minor is None:
        found.append(MissingRate(pledge.id, payment.id, payment.currency,
                                 payment.pledge_amount_currency, payment.paid_on))
    if payment.drive_amount_minor is None:
        found.append(MissingRate(pledge.id, payment.id, payment.currency,
                                 payment.drive_amount_currency, payment.paid_on))
    return found
