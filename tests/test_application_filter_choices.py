"""The applications list's filter offers every campaign and every donor (tracker/options.py,
issue 15): their options are kept under the stored versions of what they show, so a view
reads one row of versions instead of a thousand campaigns, and a campaign or donor added,
renamed or removed shows in the filter at once, in either language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from tests.factories import make_campaign, make_org
from tests.pages import plain, switch_to_russian
from tests.statements_support import statements_of_get
from tracker.campaigns.models import Campaign
from tracker.extensions import db
from tracker.options import kept_options_store
from tracker.orgs.models import Organization, OrgKind

pytestmark = pytest.mark.usefixtures("signed_in_admin")


def choices(client, name: str) -> list[str]:
    """The labels of the filter's select `name` (campaign or donor), in order."""
    page = plain(client.get("/applications/").text)
    select = page[page.index(f'id="filter-{name}"'):]
    select = select[:select.index("</select>")]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)[1:]  # not "All ..."


def write(statement) -> None:
    db.session.execute(statement)
    db.session.commit()


def test_the_filters_choices_are_not_read_while_they_have_not_changed(client):
    lead = make_org()
    for number in range(40):
        make_campaign(lead=lead, title_en=f"Campaign {number:02d}")
    make_org(kind=OrgKind.DONOR, name_en="UNDP")
    client.get("/applications/")
    statements, page = statements_of_get(client, "/applications/")
    assert not [s for s in statements if re.search(r"\bFROM campaign\b", s)], statements
    assert not [s for s in statements if re.search(r"\bFROM organization\b", s)], statements
    assert len([s for s in statements if "coalition_version" in s]) == 1
    # The session, the count, the page, its collisions, the versions.
    assert len(statements) == 5, statements
    assert "Campaign 39" in page and "UNDP" in page


def test_a_campaign_added_renamed_or_removed_is_offered_at_once(client, app):
    with app.app_context():
        kept_options_store().clear()  # as a new process
    lead = make_org()
    first = make_campaign(lead=lead, title_en="Lead in paint", title_ru="Свинец в красках")
    assert choices(client, "campaign") == ["Lead in paint"]
    second = make_campaign(lead=lead, title_en="E-waste", title_ru="Электронные отходы")
    assert choices(client, "campaign") == ["E-waste", "Lead in paint"]
    first.title_en = "Zero lead paint"
    db.session.commit()
    assert choices(client, "campaign") == ["E-waste", "Zero lead paint"]
    write(update(Campaign).where(Campaign.id == second.id).values(title_en="Mercury"))
    assert choices(client, "campaign") == ["Mercury", "Zero lead paint"]
    switch_to_russian(client)
    assert choices(client, "campaign") == ["Свинец в красках", "Электронные отходы"]
    write(update(Campaign).where(Campaign.id == first.id).values(title_ru="Без свинца"))
    assert choices(client, "campaign") == ["Без свинца", "Электронные отходы"]
    db.session.delete(db.session.get(Campaign, second.id))
    db.session.commit()
    assert choices(client, "campaign") == ["Без свинца"]


def test_a_campaign_chosen_is_marked_and_its_slug_follows_a_change(client):
    campaign = make_campaign(title_en="Lead in paint")
    old_slug = campaign.slug
    page = client.get(f"/applications/?campaign={old_slug}").text
    assert f'<option value="{old_slug}" selected>' in page
    write(update(Campaign).where(Campaign.id == campaign.id).values(slug="lead-paint"))
    page = client.get("/applications/?campaign=lead-paint").text
    assert '<option value="lead-paint" selected>' in page
    assert f'value="{old_slug}"' not in page


def test_a_donor_added_renamed_or_of_another_kind_is_offered_at_once(client):
    undp = make_org(kind=OrgKind.DONOR, name_en="UNDP")
    ngo = make_org(kind=OrgKind.NGO, name_en="Eco Forum")
    assert choices(client, "donor") == ["UNDP"]
    make_org(kind=OrgKind.DONOR, name_en="GEF")
    assert choices(client, "donor") == ["GEF", "UNDP"]
    write(update(Organization).where(Organization.id == undp.id).values(name_en="UNEP"))
    assert choices(client, "donor") == ["GEF", "UNEP"]
    write(update(Organization).where(Organization.id == ngo.id).values(kind=OrgKind.DONOR))
    assert choices(client, "donor") == ["Eco Forum", "GEF", "UNEP"]


def test_a_write_of_what_no_filter_shows_keeps_the_options(client):
    campaign = make_campaign(title_en="Lead in paint")
    client.get("/applications/")
    campaign.summary_en = "Paint sold in the region is tested for lead."
    db.session.commit()
    statements, page = statements_of_get(client, "/applications/")
    assert not [s for s in statements if re.search(r"\bFROM campaign\b", s)], statements
    assert "Lead in paint" in page
