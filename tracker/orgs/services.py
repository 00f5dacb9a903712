"""Rules for organisations."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.errors import DomainError, found
from tracker.extensions import db
from tracker.i18n import country_name, is_country, sortable_localized
from tracker.orgs.models import Organization, OrgKind
from tracker.paging import Page, page_of
from tracker.slugs import slug_problem, slug_taken, with_slug

MAX_CITY_LENGTH = 120
ORGANIZATIONS_PER_PAGE = 50


@dataclass(frozen=True)
class OrganizationInput:
    slug: str
    name_en: str
    name_ru: str
    country: str
    kind: OrgKind
    city_en: str = ""
    city_ru: str = ""
    website: str = ""
    # A donor's budget flexibility in percent (None: the grants' default of 10 %).
    budget_flexibility_percent: Decimal | None = None


def organisation_slug_clash(slug: str, current_id: int | None) -> str | None:
    """The refusal of a slug another organisation has, or None (the form asks it too)."""
    if slug_taken(Organization, slug, current_id):
        return _("An organisation with the short name %(slug)s already exists.", slug=slug)
    return None


def check_slug(slug: str) -> None:
    """Refuse a slug that is not lowercase latin letters, digits and single hyphens."""
    problem = slug_problem(slug)
    if problem:
        raise DomainError(problem, field="slug")


def is_web_address(text: str) -> bool:
    """True for an absolute http(s) address with a host: safe to show as a link."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and " " not in text


def _validate(data: OrganizationInput, current: Organization | None) -> None:
    check_slug(data.slug)
    if not (data.name_en.strip() or data.name_ru.strip()):
        raise DomainError(_("Give the name in English or Russian."), field="name_en")
    if not is_country(data.country):
        raise DomainError(_("Choose a country."), field="country")
    for name, city in (("city_en", data.city_en), ("city_ru", data.city_ru)):
        if len(city.strip()) > MAX_CITY_LENGTH:
            raise DomainError(_("Keep the city under %(limit)s characters.",
                                limit=MAX_CITY_LENGTH), field=name)
    # The website is rendered as a link: anything but http(s) (javascript:, file:) is refused.
    if data.website.strip() and not is_web_address(data.website.strip()):
        raise DomainError(
            _("Give the full web address, starting with http:// or https://."), field="website"
        )
    flexibility = data.budget_flexibility_percent
    if flexibility is not None and (
            not Decimal(0) <= flexibility <= Decimal(100)
            or flexibility != flexibility.quantize(Decimal("0.01"))):
        raise DomainError(_("The flexibility is a percentage from 0 to 100."),
                          field="budget_flexibility_percent")
    clash = organisation_slug_clash(data.slug, current.id if current is not None else None)
    if clash:
        raise DomainError(clash, field="slug")


def _apply(org: Organization, data: OrganizationInput) -> None:
    org.slug = data.slug
    org.name_en = data.name_en.strip()
    org.name_ru = data.name_ru.strip()
    org.country = data.country
    org.kind = data.kind
    org.city_en = data.city_en.strip()
    org.city_ru = data.city_ru.strip()
    org.website = data.website.strip()
    org.budget_flexibility_percent = data.budget_flexibility_percent



def create_organization(data: OrganizationInput) -> Organization:
    """Add an organisation; raise DomainError for a bad or duplicate slug, name or country.

    A blank slug is made from the names (tracker/slugs.py)."""
    data = with_slug(data, Organization, (data.name_en, data.name_ru), None)
    _validate(data, None)
    org = Organization()
    _apply(org, data)
    db.session.add(org)
    db.session.flush()
    return org


def update_organization(org: Organization, data: OrganizationInput) -> Organization:
    """Change an organisation under the same rules as creating one."""
    data = with_slug(data, Organization, (data.name_en, data.name_ru), org)
    _validate(data, org)
    _apply(org, data)
    db.session.flush()
    return org


def find_organization(slug: str) -> Organization | None:
    """The organisation with this slug, or None."""
    return db.session.scalar(select(Organization).where(Organization.slug == slug))


def get_organization(slug: str) -> Organization:
    """The organisation with this slug, or NotFound."""
    return found(find_organization(slug), "organisation")


def list_organizations(country: str | None = None) -> list[Organization]:
    """Organisations, optionally of one country, by country then English name."""
    query = select(Organization).order_by(Organization.country, Organization.name_en)
    if country:
        query = query.where(Organization.country == country)
    return list(db.session.scalars(query))


def organizations_by_name(country: str | None = None) -> list[Organization]:
    """Organisations, optionally of one country, by name in the user's language."""
    return sorted(list_organizations(country), key=lambda org: org.name.casefold())


def page_of_organizations(country: str | None = None, page: int = 1,
                          per_page: int = ORGANIZATIONS_PER_PAGE) -> Page[Organization]:
    """One page of the organisations, optionally of one country, by name in the language."""
    query = select(Organization).order_by(sortable_localized(Organization, "name"),
                                          Organization.id)
    if country:
        query = query.where(Organization.country == country)
    return page_of(query, page, per_page)


def countries_with_organizations() -> list[str]:
    """Codes of the countries that have at least one organisation, by name in the language."""
    codes = db.session.scalars(select(Organization.country).distinct())
    return sorted(codes, key=lambda code: country_name(code).casefold())
