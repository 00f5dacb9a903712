"""Campaigns: the list with filters and target totals, adding, editing, one campaign's page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.factories import count_rows, make_campaign, make_line, make_org, make_target
from tests.pages import assert_error_next_to, switch_to_russian
from tracker.campaigns.models import (
    Campaign,
    CampaignCountry,
    CampaignPartner,
    CampaignStatus,
    PartnerRole,
    Theme,
)
from tracker.extensions import db
from tracker.orgs.models import OrgKind

# These tests are about the screens; access is tested in tests/test_access.py.
pytestmark = pytest.mark.usefixtures("signed_in_admin")

NBSP = "\u00a0"


@pytest.fixture
def coalition(app):
    """The meeting report's cast: the hub, a Tajik NGO, two Russian NGOs and a Kazakh one."""
    return {
        "hub": make_org(slug="eco-accord", name_en="Eco-Accord", name_ru="Эко-Согласие",
                        country="RU", city="Moscow", kind=OrgKind.HUB),
        "tajik": make_org(slug="little-earth", name_en="Little Earth",
                          name_ru="Маленькая Земля", country="TJ", city="Dushanbe"),
        "chelyabinsk": make_org(slug="za-prirodu", name_en="For Nature", name_ru="За природу",
                                country="RU", city="Chelyabinsk"),
        "kazakh": make_org(slug="greenwomen", name_en="Greenwomen", name_ru="Гринвумен",
                           country="KZ", city="Astana"),
    }


def campaign_form(lead, partners=(), **overrides: Any) -> dict[str, Any]:
    """What a user fills in on the campaign form; partners are (organisation, role) pairs."""
    data: dict[str, Any] = {
        "slug": "lead-in-paint", "title_en": "Lead in paint", "title_ru": "Свинец в красках",
        "summary_en": "Test paints on sale.", "summary_ru": "", "theme": "lead_paint",
        "status": "active", "starts_on": "2027-01-01", "ends_on": "2027-12-31",
        "lead_org_id": str(lead.id), "countries": ["KZ", "TJ"],
    }
    rows = [*partners, (None, PartnerRole.PARTNER), (None, PartnerRole.PARTNER)]
    for index, (org, role) in enumerate(rows):
        data[f"partners-{index}-organization_id"] = str(org.id) if org else ""
        data[f"partners-{index}-role"] = role.value
    data.update(overrides)
    return data


def nothing_written(campaigns: int = 0, partners: int = 0, countries: int = 0) -> bool:
    return (count_rows(Campaign), count_rows(CampaignPartner),
            count_rows(CampaignCountry)) == (campaigns, partners, countries)


# The list


def test_empty_list_invites_to_start_the_first_campaign(client):
    response = client.get("/campaigns/")
    assert response.status_code == 200
    assert "No campaigns yet." in response.text
    assert 'href="/campaigns/new"' in response.text
    assert "No campaigns yet." in client.get("/").text  # the dashboard says so too


def test_list_shows_title_theme_status_lead_countries_and_each_targets_total(client, coalition):
    campaign = make_campaign(lead=coalition["tajik"], slug="xrf", title_en="XRF testing",
                             theme=Theme.CHEMICALS_IN_PRODUCTS, status=CampaignStatus.ACTIVE,
                             countries=("RU", "TJ"))
    roubles = make_target(campaign, currency="RUB", title_en="Invitation")
    make_line(roubles, quantity="2", unit_cost="617283.75")
    dollars = make_target(campaign, currency="USD", title_en="Analyser service",
                          starts_on=date(2028, 1, 1), ends_on=date(2028, 6, 30))
    make_line(dollars, quantity="1", unit_cost="2500")
    make_target(campaign, currency="EUR", title_en="Next year")

    page = client.get("/campaigns/").text
    assert 'href="/campaigns/xrf"' in page and "XRF testing" in page
    assert "Chemicals in products" in page
    assert 'badge text-bg-success">Active<' in page
    assert "Little Earth" in page
    assert "Russia" in page and "Tajikistan" in page
    # Each target's own total in its own currency; roubles and dollars are never added up.
    assert f"RUB{NBSP}1,234,567.50" in page
    assert "$2,500.00" in page
    assert "€0.00" in page
    assert 'class="money"' in page


def test_filters_by_theme_status_and_country(client, coalition):
    make_campaign(lead=coalition["tajik"], slug="xrf", title_en="XRF testing",
                  theme=Theme.CHEMICALS_IN_PRODUCTS, status=CampaignStatus.ACTIVE,
                  countries=("TJ",))
    make_campaign(lead=coalition["hub"], slug="hhp", title_en="Pesticides ban",
                  theme=Theme.HHP, status=CampaignStatus.PLANNED, countries=("UZ",),
                  partners=[(coalition["kazakh"], PartnerRole.PARTNER)])

    def titles(**query: str) -> set[str]:
        page = client.get("/campaigns/", query_string=query).text
        return {title for title in ("XRF testing", "Pesticides ban") if title in page}

    assert titles() == {"XRF testing", "Pesticides ban"}
    assert titles(theme="hhp") == {"Pesticides ban"}
    assert titles(status="active") == {"XRF testing"}
    assert titles(country="TJ") == {"XRF testing"}  # a focus country
    assert titles(country="KZ") == {"Pesticides ban"}  # a partner's country
    assert titles(country="RU") == {"Pesticides ban"}  # the lead's country
    assert titles(theme="hhp", status="active") == set()
    assert "No campaign matches these filters." in client.get("/campaigns/?theme=mercury").text
    selected = client.get("/campaigns/?theme=hhp&country=KZ").text
    assert '<option value="hhp" selected>' in selected
    assert '<option value="KZ" selected>' in selected


@pytest.mark.parametrize(
    "query", ["theme=plastics", "status=deleted", "country=XX", "country=kz", "theme=&status="]
)
def test_invalid_filter_values_are_ignored(client, coalition, query):
    make_campaign(lead=coalition["tajik"], title_en="XRF testing")
    response = client.get(f"/campaigns/?{query}")
    assert response.status_code == 200
    assert "XRF testing" in response.text


# Adding


def test_new_campaign_form_offers_organisations_and_three_blank_partner_rows(client, coalition):
    page = client.get("/campaigns/new").text
    assert 'name="csrf_token"' in page
    assert "Little Earth" in page
    assert 'type="date"' in page
    assert 'name="partners-2-organization_id"' in page
    assert 'name="partners-3-organization_id"' not in page
    assert "EECCA region" in page


def test_new_campaign_form_without_organisations_says_to_add_one_first(client):
    page = client.get("/campaigns/new").text
    assert "A campaign needs a lead organisation, and there are none yet." in page
    assert 'href="/orgs/new"' in page


def test_starting_a_campaign_saves_partners_and_countries_and_ignores_blank_rows(
    client, coalition
):
    data = campaign_form(coalition["tajik"], partners=[
        (coalition["hub"], PartnerRole.CO_LEAD), (coalition["chelyabinsk"], PartnerRole.PARTNER),
    ])
    response = client.post("/campaigns/new", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/campaigns/lead-in-paint"

    page = client.get("/campaigns/lead-in-paint").text
    assert "Campaign Lead in paint added." in page
    assert "Test paints on sale." in page
    assert "Kazakhstan" in page and "Tajikistan" in page
    assert "Jan 1, 2027" in page and "Dec 31, 2027" in page
    assert "Lead in paint" in client.get("/campaigns/").text

    campaign = db.session.scalar(db.select(Campaign))
    assert campaign.country_codes == ["KZ", "TJ"]
    assert {(p.organization.slug, p.role) for p in campaign.partners} == {
        ("eco-accord", PartnerRole.CO_LEAD), ("za-prirodu", PartnerRole.PARTNER),
    }
    assert nothing_written(campaigns=1, partners=2, countries=2)


def test_campaign_page_groups_partners_by_country_with_the_lead_marked(client, coalition):
    make_campaign(lead=coalition["tajik"], slug="xrf", title_en="XRF testing", partners=[
        (coalition["chelyabinsk"], PartnerRole.PARTNER), (coalition["hub"], PartnerRole.CO_LEAD),
        (coalition["kazakh"], PartnerRole.ADVISOR),
    ])
    page = client.get("/campaigns/xrf").text
    assert "Partners by country" in page
    section = page[page.index("Partners by country"):page.index("Funding targets")]
    # Countries by name: Kazakhstan, Russia, Tajikistan, each heading its own organisations.
    kazakhstan, russia, tajikistan = (section.index(name) for name in
                                      (">Kazakhstan<", ">Russia<", ">Tajikistan<"))
    assert kazakhstan < section.index("Greenwomen") < russia
    assert russia < section.index("Eco-Accord") < section.index("For Nature") < tajikistan
    assert tajikistan < section.index("Little Earth")
    assert section.index("Little Earth") < section.index(">Lead<")
    assert "Co-lead" in section and "Advisor" in section and "Partner" in section


def test_campaign_page_shows_each_funding_target_and_offers_to_add_one(client, coalition):
    campaign = make_campaign(lead=coalition["tajik"], slug="xrf", title_en="XRF testing")
    empty = client.get("/campaigns/xrf").text
    assert "No funding targets yet" in empty
    assert 'href="/campaigns/xrf/targets/new"' in empty
    assert "Add a funding target" in empty

    target = make_target(campaign, currency="RUB", title_en="Invitation of the XRF team")
    make_line(target, quantity="3", unit_cost="411522.50")
    page = client.get("/campaigns/xrf").text
    assert "Invitation of the XRF team" in page
    assert f"RUB{NBSP}1,234,567.50" in page


# Refusals: 422, the message next to its field, nothing written


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title_en": "", "title_ru": " "}, "title_en", "Give the title in English or Russian."),
        ({"ends_on": "2026-12-31"}, "ends_on", "The end date cannot be before the start date."),
        ({"countries": ["KZ", "XX"]}, "countries", "Choose countries from the list."),
        ({"slug": "Lead in paint!"}, "slug", "Use lowercase latin letters, digits and hyphens"),
        ({"lead_org_id": ""}, "lead_org_id", "Choose the lead organisation."),
        ({"lead_org_id": "99999"}, "lead_org_id", "Choose an organisation from the list."),
        ({"theme": "plastics"}, "theme", "Choose a theme from the list."),
        ({"starts_on": "31.12.2027"}, "starts_on", "Not a valid date value."),
        ({"partners-0-organization_id": "99999"}, "partners-0-organization_id",
         "Choose an organisation from the list."),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_written(
    client, coalition, overrides, field, message
):
    data = campaign_form(coalition["tajik"], partners=[(coalition["hub"], PartnerRole.PARTNER)],
                         **overrides)
    response = client.post("/campaigns/new", data=data)
    assert response.status_code == 422
    assert_error_next_to(response.text, field, message)
    assert nothing_written()


@pytest.mark.parametrize(
    ("twice", "message"),
    [
        ("hub", "An organisation can take part in a campaign only once."),
        ("tajik", "The lead organisation takes part already; remove it from the partners."),
    ],
    ids=["same-partner-twice", "lead-as-partner"],
)
def test_a_partner_listed_twice_is_refused_and_nothing_is_written(
    client, coalition, twice, message
):
    # Little Earth leads; the hub is listed twice, or Little Earth again as a partner.
    partners = [(coalition["hub"], PartnerRole.PARTNER), (coalition[twice], PartnerRole.ADVISOR)]
    response = client.post("/campaigns/new", data=campaign_form(coalition["tajik"], partners))
    assert response.status_code == 422
    page = response.text
    # Shown above the partner rows, which keep what was chosen (and in the form's summary).
    heading = page.index("partners-heading")
    assert heading < page.index(message, heading) < page.index("partners-0-", heading)
    assert page.index('id="error-summary"') < page.index(message) < heading
    second_row = page[page.index('id="partners-1-organization_id"'):]
    assert f'<option selected value="{coalition[twice].id}">' in second_row
    assert nothing_written()


def test_a_taken_short_name_is_refused_and_nothing_is_written(client, coalition):
    make_campaign(lead=coalition["hub"], slug="lead-in-paint", countries=())
    response = client.post("/campaigns/new", data=campaign_form(coalition["tajik"]))
    assert response.status_code == 422
    assert_error_next_to(response.text, "slug",
                         "A campaign with the short name lead-in-paint already exists.")
    assert nothing_written(campaigns=1)


def test_a_post_without_the_csrf_token_writes_nothing(client, coalition):
    response = client.post("/campaigns/new", data=campaign_form(coalition["tajik"]), csrf=False)
    assert response.status_code == 303  # the form again, typed values kept (test_lost_work.py)
    assert nothing_written()


# Editing


def test_edit_form_shows_existing_partners_plus_three_blank_rows(client, coalition):
    make_campaign(lead=coalition["tajik"], slug="xrf", countries=("RU", "TJ"), partners=[
        (coalition["hub"], PartnerRole.CO_LEAD), (coalition["kazakh"], PartnerRole.ADVISOR),
    ])
    page = client.get("/campaigns/xrf/edit").text
    assert 'name="partners-4-organization_id"' in page
    assert 'name="partners-5-organization_id"' not in page
    row0 = page[page.index('id="partners-0-organization_id"'):page.index('id="partners-1-role"')]
    assert f'<option selected value="{coalition["hub"].id}">' in row0
    assert '<option selected value="co_lead">' in row0
    assert '<option selected value="RU">' in page and '<option selected value="TJ">' in page


def test_editing_replaces_partners_and_countries(client, coalition):
    make_campaign(lead=coalition["tajik"], slug="xrf", title_en="XRF testing",
                  countries=("RU",), partners=[
                      (coalition["hub"], PartnerRole.CO_LEAD),
                      (coalition["kazakh"], PartnerRole.ADVISOR)])
    data = campaign_form(
        coalition["tajik"], slug="xrf", title_en="XRF testing in Chelyabinsk",
        countries=["RU", "TJ"], status="completed",
        partners=[(coalition["hub"], PartnerRole.PARTNER),
                  (coalition["chelyabinsk"], PartnerRole.CO_LEAD)],
    )
    response = client.post("/campaigns/xrf/edit", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/campaigns/xrf"
    page = client.get("/campaigns/xrf").text
    assert "Changes to XRF testing in Chelyabinsk saved." in page
    partners_section = page.split('id="history"')[0]
    assert "Greenwomen" not in partners_section
    assert "For Nature" in partners_section
    # The whole history keeps the partner that left, with who removed it.
    whole = client.get("/campaigns/xrf?history_page=1").text
    assert "deleted the campaign partner “Greenwomen”" in whole.split('id="history"')[1]

    campaign = db.session.scalar(db.select(Campaign))
    assert campaign.status is CampaignStatus.COMPLETED
    assert campaign.country_codes == ["RU", "TJ"]
    assert {(p.organization.slug, p.role) for p in campaign.partners} == {
        ("eco-accord", PartnerRole.PARTNER), ("za-prirodu", PartnerRole.CO_LEAD),
    }


def test_a_refused_edit_changes_nothing(client, coalition):
    make_campaign(lead=coalition["tajik"], slug="xrf", title_en="XRF testing",
                  countries=("TJ",), partners=[(coalition["hub"], PartnerRole.CO_LEAD)])
    data = campaign_form(coalition["tajik"], slug="xrf", title_en="Changed", countries=["RU"],
                         starts_on="2027-06-01", ends_on="2027-05-01",
                         partners=[(coalition["kazakh"], PartnerRole.PARTNER)])
    response = client.post("/campaigns/xrf/edit", data=data)
    assert response.status_code == 422
    assert_error_next_to(response.text, "ends_on",
                         "The end date cannot be before the start date.")
    db.session.expire_all()
    campaign = db.session.scalar(db.select(Campaign))
    assert campaign.title_en == "XRF testing"
    assert campaign.country_codes == ["TJ"]
    assert [p.organization.slug for p in campaign.partners] == ["eco-accord"]


@pytest.mark.parametrize("url", ["/campaigns/nothing", "/campaigns/nothing/edit"])
def test_an_unknown_campaign_is_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.text


# Russian


def test_in_russian_countries_money_and_dates_follow_russian_and_titles_fall_back(
    client, coalition
):
    campaign = make_campaign(lead=coalition["tajik"], slug="english-only",
                             title_en="English only title", title_ru="", countries=("KZ",),
                             starts_on=date(2027, 3, 1), ends_on=date(2027, 9, 30),
                             partners=[(coalition["hub"], PartnerRole.PARTNER)])
    target = make_target(campaign, currency="RUB")
    make_line(target, quantity="2", unit_cost="617283.75")
    switch_to_russian(client)

    listing = client.get("/campaigns/").text
    assert "English only title" in listing
    assert "Казахстан" in listing
    assert f"1{NBSP}234{NBSP}567,50{NBSP}₽" in listing

    page = client.get("/campaigns/english-only").text
    assert "English only title" in page
    assert "Маленькая Земля" in page and "Эко-Согласие" in page
    assert ">Россия<" in page and ">Таджикистан<" in page
    assert "1 мар. 2027" in page
    assert f"1{NBSP}234{NBSP}567,50{NBSP}₽" in page


def test_in_russian_the_russian_title_is_shown_first(client, coalition):
    make_campaign(lead=coalition["tajik"], slug="hhp", title_en="Pesticides ban",
                  title_ru="Запрет пестицидов")
    switch_to_russian(client)
    page = client.get("/campaigns/hhp").text
    assert page.index("Запрет пестицидов") < page.index("Pesticides ban")
