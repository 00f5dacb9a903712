"""Donors and their funding calls: the limits a call sets, and who applied to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tracker.applications.checks import (
    MAX_NOTES_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_URL_LENGTH,
    check_countries,
    check_length,
    check_titles,
)
from tracker.applications.models import DONOR_KINDS, Application, FundingCall
from tracker.dates import check_dates
from tracker.errors import DomainError, found
from tracker.extensions import db
from tracker.money.amounts import checked_money
from tracker.orgs.models import Organization, OrgKind
from tracker.orgs.services import find_organization, is_web_address

MAX_DURATION_MONTHS = 240


@dataclass(frozen=True)
class CallInput:
    """A funding call as typed; amounts are in the call's currency."""

    title_en: str
    title_ru: str
    deadline: date
    currency: str
    reference: str = ""
    url: str = ""
    opens_on: date | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    max_duration_months: int | None = None
    eligible_applicant_kinds: Sequence[OrgKind] = field(default_factory=tuple)
    countries: Sequence[str] = field(default_factory=tuple)
    single_country: bool = False
    notes: str = ""


def is_donor(org: Organization | None) -> bool:
    """True for an organisation of a kind that funds others (donor, foundation, UN body…)."""
    return org is not None and org.kind in DONOR_KINDS


def get_donor(slug: str) -> Organization:
    """The donor with this slug, or NotFound (also for an organisation that is no donor)."""
    donor = find_organization(slug)
    return found(donor if is_donor(donor) else None, "donor")


def get_call(call_id: int) -> FundingCall:
    """The funding call with this id, or NotFound."""
    return found(db.session.get(FundingCall, call_id), "funding call")


@dataclass(frozen=True)
class CallRow:
    """A funding call with how many applications were made to it."""

    call: FundingCall
    applications: int


@dataclass(frozen=True)
class DonorRow:
    """A donor with its funding calls, latest deadline first."""

    donor: Organization
    calls: list[CallRow]


def list_donors() -> list[Organization]:
    """Organisations of donor-like kinds, by name in the user's language."""
    donors = db.session.scalars(select(Organization).where(Organization.kind.in_(DONOR_KINDS)))
    return sorted(donors, key=lambda org: org.name.casefold())


def donors_with_calls() -> list[DonorRow]:
    """Every donor with its calls and their application counts, in three queries."""
    donors = list_donors()
    counts = dict(db.session.execute(
        select(Application.call_id, func.count(Application.id))
        .where(Application.call_id.is_not(None)).group_by(Application.call_id)
    ).all())
    calls: dict[int, list[CallRow]] = {donor.id: [] for donor in donors}
    for call in db.session.scalars(
        select(FundingCall).where(FundingCall.donor_org_id.in_(calls))
        .order_by(FundingCall.deadline.desc(), FundingCall.id)
    ):
        calls[call.donor_org_id].append(CallRow(call, counts.get(call.id, 0)))
    return [DonorRow(donor, calls[donor.id]) for donor in donors]


def calls_by_donor() -> list[tuple[Organization, list[FundingCall]]]:
    """Donors that have calls, each with its calls by deadline (for a grouped select)."""
    grouped: dict[int, list[FundingCall]] = {}
    donors: dict[int, Organization] = {}
    for call in db.session.scalars(
        select(FundingCall).options(joinedload(FundingCall.donor))
        .order_by(FundingCall.deadline.desc(), FundingCall.id)
    ):
        donors[call.donor_org_id] = call.donor
        grouped.setdefault(call.donor_org_id, []).append(call)
    ordered = sorted(donors.values(), key=lambda org: org.name.casefold())
    return [(donor, grouped[donor.id]) for donor in ordered]


def _apply_call(call: FundingCall, data: CallInput) -> None:
    title_en, title_ru = check_titles(data.title_en, data.title_ru)
    reference = check_length(data.reference, MAX_REFERENCE_LENGTH, "reference")
    url = check_length(data.url, MAX_URL_LENGTH, "url")
    if url and not is_web_address(url):
        raise DomainError(_("Give the full web address, starting with http:// or https://."),
                          field="url")
    check_dates(opens_on=data.opens_on, deadline=data.deadline)
    if data.opens_on and data.opens_on > data.deadline:
        raise DomainError(_("The call cannot open after its deadline."), field="opens_on")
    low = checked_money(data.min_amount, data.currency, field="min_amount") \
        if data.min_amount is not None else None
    high = checked_money(data.max_amount, data.currency, field="max_amount") \
        if data.max_amount is not None else None
    if low is not None and high is not None and low > high:
        raise DomainError(_("The maximum cannot be below the minimum."), field="max_amount")
    months = data.max_duration_months
    if months is not None and not 1 <= months <= MAX_DURATION_MONTHS:
        raise DomainError(_("Give a duration between 1 and %(limit)s months.",
                            limit=MAX_DURATION_MONTHS), field="max_duration_months")
    kinds = sorted({OrgKind(kind).value for kind in data.eligible_applicant_kinds})
    countries = check_countries(data.countries)
    notes = check_length(data.notes, MAX_NOTES_LENGTH, "notes")

    call.title_en, call.title_ru = title_en, title_ru
    call.reference, call.url = reference, url
    call.opens_on, call.deadline = data.opens_on, data.deadline
    call.currency = data.currency
    call.min_amount_minor = low.minor if low is not None else None
    call.max_amount_minor = high.minor if high is not None else None
    call.max_duration_months = months
    call.eligible_applicant_kinds = kinds
    call.countries = countries
    call.single_country = data.single_country
    call.notes = notes


def create_call(donor: Organization, data: CallInput) -> FundingCall:
    """Add a funding call to a donor with its limits; raise DomainError when a rule fails."""
    if not is_donor(donor):
        raise DomainError(_("Funding calls belong to donors, not to organisations of the kind "
                            "“%(kind)s”.", kind=donor.kind.label))
    call = FundingCall(donor_org_id=donor.id)
    _apply_call(call, data)
    db.session.add(call)
    db.session.flush()
    return call


def update_call(call: FundingCall, data: CallInput) -> FundingCall:
    """Change a funding call under the same rules as creating one."""
    _apply_call(call, data)
    db.session.flush()
    return call


def call_applications(call: FundingCall) -> list[Application]:
    """The applications to a call, with their applicants and campaigns, in one query."""
    return list(db.session.scalars(
        select(Application)
        .options(joinedload(Application.applicant), joinedload(Application.campaign))
        .where(Application.call_id == call.id).order_by(Application.id)
    ))
