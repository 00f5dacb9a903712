"""The campaign page's body kept whole while nothing it shows changes (issue 15).

The body is all of the page but its chrome and its History: the campaign's details, its
partners by country, the funding gap with grant spending, the funding targets with their
budget lines, the drives with their progress. Rendering it (some 40 formatted amounts,
a hundred translated labels, a dozen ORM graphs) was most of the page's time; it is kept
(tracker.fragments) under a key read as stored, as text and with no ORM object, by one
statement (tracker.key_reads; it was six, each a round trip and a plan):

- the campaign's row, its roll-up row (campaign_funding: every column, the figures
  themselves, so a delta that leaves refreshed_at alone still changes the key) and its lead
  organisation's row;
- its partners' rows with their organisations', its focus countries;
- its funding targets' rows with their budget lines' and the lines' partner organisations';
- its drives' rows with their roll-up rows (drive_totals);
- its grants' dated sums (tracker.grants), and when it has any, the exchange rates' stored
  version (tracker.versions), which every write of a rate bumps: the spending figures are
  converted with the rates;
- the reader's rights the body asks about (edit_campaign, edit_targets, edit_drives), the
  language, today (days left, the latest rate) and the application's root path.

A campaign without a roll-up row has its figures computed from its records, which the key
cannot see: then the body is rendered and not kept. History stays outside: its events are
described for each reader (contact data only for some) and are read a page at a time.
Kept in memory per process, at most BODIES_KEPT of them, the least recently shown first.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from flask import render_template, request
from markupsafe import Markup
from sqlalchemy import bindparam, select

from tracker.applications.models import Application
from tracker.auth.permissions import Action, can
from tracker.auth.sessions import current_user
from tracker.campaigns import services
from tracker.campaigns.models import Campaign, CampaignCountry, CampaignPartner
from tracker.drives.models import Drive, DriveTotals
from tracker.extensions import db
from tracker.fragments import digest, kept, kept_store
from tracker.funding.models import CampaignFunding
from tracker.funding.services import campaign_gap
from tracker.grants.services import campaign_spending, spending_sums_statements
from tracker.i18n import current_language
from tracker.key_reads import KeyRead
from tracker.orgs.models import Organization
from tracker.targets import overview
from tracker.targets.models import BudgetLine, FundingTarget
from tracker.versions import RATES, CoalitionVersion

BODY_TEMPLATE = "campaigns/_body.html"
EXTENSION = "tracker.campaigns.bodies"
# Campaigns times two languages times the few sets of rights (coordinator, lead, viewer).
BODIES_KEPT = 512
# Where the roll-up's campaign_id stands in the campaign's key row, after the part's number
# (tracker.key_reads); None: no roll-up row.
FUNDED_AT = 1 + len(Campaign.__table__.c) + list(CampaignFunding.__table__.c).index(
    CampaignFunding.__table__.c.campaign_id)


@cache
def _key_read() -> KeyRead:
    """The key's one statement, built once (tracker.key_reads): the campaign's row, its
    partners, countries, targets, drives, its grants' dated sums and the rates' version."""
    campaign_id: Any = bindparam("campaign_id")
    lead = Organization.__table__.alias("lead")
    campaign = (
        select(*Campaign.__table__.c, *CampaignFunding.__table__.c, *lead.c)
        .select_from(Campaign)
        .outerjoin(CampaignFunding, CampaignFunding.campaign_id == Campaign.id)
        .join(lead, lead.c.id == Campaign.lead_org_id)
        .where(Campaign.id == campaign_id)
    )
    partners = (
        select(*CampaignPartner.__table__.c, *Organization.__table__.c)
        .join(Organization, Organization.id == CampaignPartner.organization_id)
        .where(CampaignPartner.campaign_id == campaign_id)
    )
    countries = select(CampaignCountry.country).where(CampaignCountry.campaign_id == campaign_id)
    targets = (
        select(*FundingTarget.__table__.c, *BudgetLine.__table__.c, *Organization.__table__.c)
        .select_from(FundingTarget)
        .outerjoin(BudgetLine, BudgetLine.target_id == FundingTarget.id)
        .outerjoin(Organization, Organization.id == BudgetLine.partner_org_id)
        .where(FundingTarget.campaign_id == campaign_id)
    )
    drives = (
        select(*Drive.__table__.c, *DriveTotals.__table__.c)
        .outerjoin(DriveTotals, DriveTotals.drive_id == Drive.id)
        .where(Drive.campaign_id == campaign_id)
    )
    awarded, spent = spending_sums_statements(Application.campaign_id == campaign_id)
    version = CoalitionVersion.__table__.c
    rates = select(version.n, version.stamp).where(version.name == RATES)
    return KeyRead.of(campaign, partners, countries, targets, drives, awarded, spent, rates)


def rights(campaign: Campaign) -> tuple[bool, bool, bool]:
    """The reader's rights the body asks about (templates/campaigns/_body.html)."""
    return (can(current_user, Action.EDIT_CAMPAIGN),
            can(current_user, Action.EDIT_TARGETS, campaign),
            can(current_user, Action.EDIT_DRIVES, campaign))


def body_key(campaign: Campaign, today: date) -> bytes | None:
    """A digest of everything the body shows; None when it cannot be read from stored
    columns (a campaign without a roll-up row)."""
    read = _key_read()
    state, partners, countries, targets, drives, awarded, spent, rates = read.read(
        {"campaign_id": campaign.id})
    if not state or state[0][FUNDED_AT] is None:  # no roll-up row: figures computed live
        return None
    # Only grants are converted as the page is shown: without any, rates do not matter.
    if awarded and not rates:  # no rates' version stored: rendered, not kept
        return None
    seen = (
        current_language(), today, request.script_root, rights(campaign), state, partners,
        countries, targets, drives, awarded, spent, rates if awarded else (),
    )
    return digest(*seen)


def campaign_body(campaign: Campaign, today: date) -> Markup:
    """The page's body, taken from the kept bodies when nothing it shows has changed,
    rendered (and kept) otherwise."""
    def render() -> Markup:
        db.session.expire(campaign)  # read after the key was, as the kept rule requires
        gap = campaign_gap(campaign)
        return Markup(render_template(
            BODY_TEMPLATE,
            campaign=campaign,
            gap=gap,
            # Beside secured money: what the campaign's grants spent and what remains.
            spending=campaign_spending([campaign.id], gap.currency).get(campaign.id),
            participants=services.participants_by_country(campaign),
            targets=overview.funding_targets(campaign),
        ))

    return kept(kept_store(EXTENSION, BODIES_KEPT), lambda: body_key(campaign, today), render)
