"""Rules for campaigns, their partners and focus countries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, exists, or_, select, union
from sqlalchemy.orm import joinedload, selectinload

from tracker.campaigns.models import (
    Campaign,
    CampaignCountry,
    CampaignPartner,
    CampaignStatus,
    PartnerRole,
    Theme,
)
from tracker.dates import check_date_order, check_dates
from tracker.errors import DomainError, found
from tracker.extensions import db
from tracker.i18n import country_name, current_language, is_country, sortable_localized
from tracker.orgs.models import Organization
from tracker.orgs.services import check_slug
from tracker.slugs import slug_taken, with_slug


@dataclass(frozen=True)
class PartnerInput:
    organization_id: int
    role: PartnerRole


@dataclass(frozen=True)
class CampaignInput:
    slug: str
    title_en: str
    title_ru: str
    theme: Theme
    lead_org_id: int
    status: CampaignStatus = CampaignStatus.PLANNED
    summary_en: str = ""
    summary_ru: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    partners: Sequence[PartnerInput] = field(default_factory=tuple)
    countries: Sequence[str] = field(default_factory=tuple)


def campaign_slug_clash(slug: str, current_id: int | None) -> str | None:
    """The refusal of a slug another campaign has, or None (the form asks it too)."""
    if slug_taken(Campaign, slug, current_id):
        return _("A campaign with the short name %(slug)s already exists.", slug=slug)
    return None


def _validate(data: CampaignInput, current: Campaign | None) -> None:
    check_slug(data.slug)
    if not (data.title_en.strip() or data.title_ru.strip()):
        raise DomainError(_("Give the title in English or Russian."), field="title_en")
    check_dates(starts_on=data.starts_on, ends_on=data.ends_on)
    check_date_order(data.starts_on, data.ends_on)
    if db.session.get(Organization, data.lead_org_id) is None:
        raise DomainError(_("Choose the lead organisation."), field="lead_org_id")
    for code in data.countries:
        if not is_country(code):
            raise DomainError(_("Unknown country code: %(code)s.", code=code), field="countries")
    seen: set[int] = {data.lead_org_id}
    for partner in data.partners:
        if db.session.get(Organization, partner.organization_id) is None:
            raise DomainError(_("Choose a partner organisation."), field="partners")
        if partner.organization_id == data.lead_org_id:
            raise DomainError(
                _("The lead organisation takes part already; remove it from the partners."),
                field="partners",
            )
        if partner.organization_id in seen:
            raise DomainError(
                _("An organisation can take part in a campaign only once."), field="partners"
            )
        seen.add(partner.organization_id)
    clash = campaign_slug_clash(data.slug, current.id if current is not None else None)
    if clash:
        raise DomainError(clash, field="slug")


def _apply(campaign: Campaign, data: CampaignInput) -> None:
    campaign.slug = data.slug
    campaign.title_en = data.title_en.strip()
    campaign.title_ru = data.title_ru.strip()
    campaign.summary_en = data.summary_en.strip()
    campaign.summary_ru = data.summary_ru.strip()
    campaign.theme = data.theme
    campaign.status = data.status
    campaign.starts_on = data.starts_on
    campaign.ends_on = data.ends_on
    campaign.lead_org_id = data.lead_org_id

    wanted = {p.organization_id: p.role for p in data.partners}
    for existing in list(campaign.partners):
        if existing.organization_id not in wanted:
            campaign.partners.remove(existing)
        else:
            existing.role = wanted.pop(existing.organization_id)
    for partner in data.partners:
        if partner.organization_id in wanted:
            campaign.partners.append(
                CampaignPartner(organization_id=partner.organization_id, role=partner.role)
            )

    codes = sorted(set(data.countries))
    kept = {c.country for c in campaign.countries}
    for listed in list(campaign.countries):
        if listed.country not in codes:
            campaign.countries.remove(listed)
    for code in codes:
        if code not in kept:
            campaign.countries.append(CampaignCountry(country=code))



def create_campaign(data: CampaignInput) -> Campaign:
    """Add a campaign with its partners and countries; raise DomainError when a rule fails.

    A blank slug is made from the titles (tracker/slugs.py)."""
    data = with_slug(data, Campaign, (data.title_en, data.title_ru), None)
    _validate(data, None)
    campaign = Campaign()
    _apply(campaign, data)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, data: CampaignInput) -> Campaign:
    """Change a campaign, its partners and countries under the same rules as creating one."""
    data = with_slug(data, Campaign, (data.title_en, data.title_ru), campaign)
    _validate(data, campaign)
    _apply(campaign, data)
    db.session.flush()
    return campaign


def get_campaign(slug: str) -> Campaign:
    """The campaign with this slug, or NotFound."""
    return found(find_campaign(slug), "campaign")


def find_campaign(slug: str) -> Campaign | None:
    """The campaign with this slug, or None."""
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug))


def list_campaigns(
    theme: Theme | None = None, status: CampaignStatus | None = None, country: str | None = None
) -> list[Campaign]:
    """Campaigns filtered by theme, status and country (a focus country or a member's country)."""
    return list(db.session.scalars(filtered_campaigns(theme, status, country)
                                   .order_by(Campaign.title_en, Campaign.id)))


@dataclass(frozen=True)
class CampaignChoice:
    """A campaign as a filter's option shows it: id, slug and title in the reader's language."""

    id: int
    slug: str
    title: str


def campaign_choices(among: Select[Any] | None = None) -> list[CampaignChoice]:
    """The campaigns (all, or those whose ids `among` selects) for a filter's options, by title.

    Four columns, not whole campaigns with their lead and countries.
    """
    language = current_language()
    query = select(Campaign.id, Campaign.slug, Campaign.title_en, Campaign.title_ru)
    if among is not None:
        query = query.where(Campaign.id.in_(among))
    rows = db.session.execute(
        query.order_by(sortable_localized(Campaign, "title", language), Campaign.id))
    return [CampaignChoice(campaign_id, slug, (title_ru or title_en) if language == "ru"
                           else (title_en or title_ru))
            for campaign_id, slug, title_en, title_ru in rows]


def filtered_campaigns(
    theme: Theme | None = None, status: CampaignStatus | None = None, country: str | None = None
) -> Select[Campaign]:
    """The query of campaigns by theme, status and country, with their lead and countries."""
    query = (
        select(Campaign)
        .options(joinedload(Campaign.lead_org), selectinload(Campaign.countries))
    )
    if theme:
        query = query.where(Campaign.theme == theme)
    if status:
        query = query.where(Campaign.status == status)
    if country:
        focus = exists().where(
            CampaignCountry.campaign_id == Campaign.id, CampaignCountry.country == country
        )
        partner_here = exists().where(
            CampaignPartner.campaign_id == Campaign.id,
            CampaignPartner.organization_id == Organization.id,
            Organization.country == country,
        )
        lead_here = exists().where(
            Organization.id == Campaign.lead_org_id, Organization.country == country
        )
        query = query.where(or_(focus, partner_here, lead_here))
    return query


def by_title(query: Select[Campaign]) -> Select[Campaign]:
    """The campaigns query ordered by title in the user's language, then id."""
    return query.order_by(sortable_localized(Campaign, "title"), Campaign.id)


@dataclass(frozen=True)
class Participant:
    """An organisation in a campaign: the lead (role None) or a partner with its role."""

    organization: Organization
    role: PartnerRole | None

    @property
    def is_lead(self) -> bool:
        return self.role is None


@dataclass(frozen=True)
class Participation:
    """A campaign an organisation takes part in: as lead (role None) or with a partner role."""

    campaign: Campaign
    role: PartnerRole | None

    @property
    def is_lead(self) -> bool:
        return self.role is None


_ROLE_ORDER = {role: position for position, role in enumerate(PartnerRole)}


def participants_by_country(campaign: Campaign) -> list[tuple[str, list[Participant]]]:
    """The lead and partners grouped by country (by name in the user's language).

    Within a country the lead comes first, then partners by role and name.
    """
    partners = db.session.scalars(
        select(CampaignPartner)
        .options(joinedload(CampaignPartner.organization))
        .where(CampaignPartner.campaign_id == campaign.id)
    )
    everyone = [Participant(campaign.lead_org, None)]
    everyone += [Participant(partner.organization, partner.role) for partner in partners]
    groups: dict[str, list[Participant]] = {}
    for participant in everyone:
        groups.setdefault(participant.organization.country, []).append(participant)
    for members in groups.values():
        members.sort(key=lambda p: (
            -1 if p.role is None else _ROLE_ORDER[p.role], p.organization.name.casefold()
        ))
    return sorted(groups.items(), key=lambda group: country_name(group[0]).casefold())


def participations(org: Organization) -> list[Participation]:
    """The campaigns the organisation leads or partners in, by title in the user's language."""
    led = db.session.scalars(select(Campaign).where(Campaign.lead_org_id == org.id))
    partnered = db.session.execute(
        select(Campaign, CampaignPartner.role)
        .join(CampaignPartner, CampaignPartner.campaign_id == Campaign.id)
        .where(CampaignPartner.organization_id == org.id)
    )
    found = [Participation(campaign, None) for campaign in led]
    found += [Participation(campaign, role) for campaign, role in partnered]
    return sorted(found, key=lambda p: p.campaign.title.casefold())


def countries_in_campaigns(also: str | None = None) -> list[str]:
    """Focus countries and countries of leads and partners, by name in the user's language."""
    focus = select(CampaignCountry.country)
    leads = select(Organization.country).join(Campaign, Campaign.lead_org_id == Organization.id)
    partners = select(Organization.country).join(
        CampaignPartner, CampaignPartner.organization_id == Organization.id
    )
    codes = set(db.session.scalars(union(focus, leads, partners)))
    if also:
        codes.add(also)
    return sorted(codes, key=lambda code: country_name(code).casefold())
