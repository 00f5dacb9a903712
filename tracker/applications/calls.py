"""Donors and their funding calls: the limits a call sets, and who applied to it."""

from __future__ import annotations

import json
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, String, bindparam, cast, func, select
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
from tracker.i18n import Localized, current_language, sortable_localized
from tracker.money.amounts import checked_money
from tracker.money.value import Money
from tracker.orgs.models import Organization, OrgKind
from tracker.orgs.services import find_organization, is_web_address
from tracker.paging import Page, page_of

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


def donor_choices() -> list[tuple[str, str]]:
    """Each donor's slug and name in the reader's language, by name, for a filter's options:
    two columns, not whole organisations."""
    language = current_language()
    rows = db.session.execute(
        select(Organization.slug, Organization.name_en, Organization.name_ru)
        .where(Organization.kind.in_(DONOR_KINDS))
        .order_by(sortable_localized(Organization, "name", language), Organization.id))
    return [(slug, (name_ru or name_en) if language == "ru" else (name_en or name_ru))
            for slug, name_en, name_ru in rows]


def list_donors() -> list[Organization]:
    """Organisations of donor-like kinds, by name in the user's language."""
    donors = db.session.scalars(select(Organization).where(Organization.kind.in_(DONOR_KINDS)))
    return sorted(donors, key=lambda org: org.name.casefold())


# The donors' list, a page of donors at a time, each with all its calls (issue 15).
DONORS_PER_PAGE = 25


@dataclass(frozen=True)
class DonorCallLine(Localized):
    """A funding call as the donors' list shows it: title, reference, deadline, limits and
    how many applications were made to it."""

    id: int
    title_en: str
    title_ru: str
    reference: str
    deadline: date
    min_amount: Money | None
    max_amount: Money | None
    max_duration_months: int | None
    eligible_kinds: tuple[OrgKind, ...]
    countries: tuple[str, ...]
    single_country: bool
    applications: int

    @property
    def title(self) -> str:
        return self.localized("title")


@dataclass(frozen=True)
class DonorLine(Localized):
    """A donor as the donors' list shows it, with its calls, latest deadline first."""

    id: int
    slug: str
    name_en: str
    name_ru: str
    kind: OrgKind
    country: str
    calls: tuple[DonorCallLine, ...]

    @property
    def name(self) -> str:
        return self.localized("name")


@dataclass(frozen=True)
class DonorRows:
    """A donor's row and its calls' rows, latest deadline first, as read: the columns the
    donors' list shows, as stored (a kept section's key; `donor_line` makes what it shows)."""

    donor: Any
    calls: tuple[Any, ...]


def page_of_donors(page: int = 1, per_page: int = DONORS_PER_PAGE) -> Page[DonorRows]:
    """One page of the donors by name in the reader's language, each with its calls and their
    application counts: a count and two queries."""
    donors = typing.cast("Select[Any]", select(
        Organization.id, Organization.slug, Organization.name_en, Organization.name_ru,
        Organization.kind, Organization.country).where(Organization.kind.in_(DONOR_KINDS)))
    listed = page_of(donors.order_by(sortable_localized(Organization, "name"), Organization.id),
                     page, per_page, rows=True)
    calls: dict[int, list[Any]] = {donor.id: [] for donor in listed.items}
    if calls:
        for row in db.session.execute(_calls_statement(), {"donors": list(calls)}):
            calls[row.donor_org_id].append(row)
    return replace(listed, items=[DonorRows(donor, tuple(calls[donor.id]))
                                  for donor in listed.items])


def donor_line(rows: DonorRows) -> DonorLine:
    """A donor of `page_of_donors` as the donors' list shows it."""
    donor = rows.donor
    return DonorLine(
        id=donor.id, slug=donor.slug, name_en=donor.name_en, name_ru=donor.name_ru,
        kind=donor.kind, country=donor.country, calls=tuple(DonorCallLine(
            id=row.id, title_en=row.title_en, title_ru=row.title_ru, reference=row.reference,
            deadline=row.deadline, min_amount=Money.from_minor(row.min_amount_minor, row.currency),
            max_amount=Money.from_minor(row.max_amount_minor, row.currency),
            max_duration_months=row.max_duration_months,
            eligible_kinds=tuple(OrgKind(kind) for kind in json.loads(row.kinds_json or "[]")),
            countries=tuple(json.loads(row.countries_json or "[]")),
            single_country=row.single_country,
            applications=row.applications) for row in rows.calls))


@cache  # Built once: building and compiling it cost as much as running it (issue 15).
def _calls_statement() -> Select[Any]:
    """The calls of the donors bound as `donors`, latest deadline first, each with how many
    applications were made to it (counted for these calls only)."""
    donors: Any = bindparam("donors", expanding=True)
    counts = (select(Application.call_id, func.count().label("applications"))
              .join(FundingCall, FundingCall.id == Application.call_id)
              .where(FundingCall.donor_org_id.in_(donors))
              .group_by(Application.call_id).subquery())
    return typing.cast("Select[Any]", (
        select(FundingCall.id, FundingCall.donor_org_id, FundingCall.title_en,
               FundingCall.title_ru, FundingCall.reference, FundingCall.deadline,
               FundingCall.currency, FundingCall.min_amount_minor, FundingCall.max_amount_minor,
               FundingCall.max_duration_months,
               # As stored, text: a key's part as it is, parsed only when shown.
               cast(FundingCall.eligible_applicant_kinds, String).label("kinds_json"),
               cast(FundingCall.countries, String).label("countries_json"),
               FundingCall.single_country,
               func.coalesce(counts.c.applications, 0).label("applications"))
        .outerjoin(counts, counts.c.call_id == FundingCall.id)
        .where(FundingCall.donor_org_id.in_(donors))
        .order_by(FundingCall.deadline.desc(), FundingCall.id)
    ))


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
