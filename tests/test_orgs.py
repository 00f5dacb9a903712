"""Organisations: the directory with its country filter, adding, editing, one organisation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import count_rows, make_campaign, make_org
from tests.pages import assert_error_next_to, switch_to_russian, without_history
from tracker.campaigns.models import PartnerRole
from tracker.extensions import db
from tracker.orgs.models import Organization, OrgKind

# These tests are about the screens; access is tested in tests/test_access.py.
pytestmark = pytest.mark.usefixtures("signed_in_admin")


def org_form(**overrides: Any) -> dict[str, str]:
    """What a user fills in to add Little Earth, the Tajik NGO with the XRF analyser."""
    data = {
        "slug": "little-earth", "name_en": "Little Earth", "name_ru": "Маленькая Земля",
        "country": "TJ", "city_en": "Dushanbe", "city_ru": "Душанбе", "kind": "ngo",
        "website": "https://littleearth.tj",
    }
    data.update(overrides)
    return data


def test_empty_directory_invites_to_add_the_first_organisation(client):
    response = client.get("/orgs/")
    assert response.status_code == 200
    assert "No organisations yet." in response.text
    assert 'href="/orgs/new"' in response.text


def test_directory_lists_name_both_languages_kind_country_and_city(client):
    make_org(slug="eco-accord", name_en="Eco-Accord", name_ru="Эко-Согласие", country="RU",
             city="Moscow", kind=OrgKind.HUB)
    response = client.get("/orgs/")
    assert response.status_code == 200
    page = response.text
    assert 'href="/orgs/eco-accord"' in page
    assert "Eco-Accord" in page and "Эко-Согласие" in page
    assert "Regional hub" in page
    assert "Russia" in page and "Moscow" in page
    assert 'class="table-responsive"' in page


def test_country_filter_shows_one_country_and_offers_only_countries_with_organisations(client):
    make_org(slug="kz-ngo", name_en="Greenwomen", country="KZ")
    make_org(slug="tj-ngo", name_en="Little Earth", country="TJ")

    everyone = client.get("/orgs/").text
    assert "Greenwomen" in everyone and "Little Earth" in everyone
    assert '<option value="KZ"' in everyone and '<option value="TJ"' in everyone
    assert '<option value="AM"' not in everyone  # Armenia has no organisation yet

    kazakh = client.get("/orgs/?country=KZ").text
    assert "Greenwomen" in kazakh
    assert "Little Earth" not in kazakh
    assert '<option value="KZ" selected>' in kazakh


@pytest.mark.parametrize("country", ["ZZ", "kz", "<script>", "AM"])
def test_an_unknown_country_filter_is_ignored(client, country):
    make_org(slug="kz-ngo", name_en="Greenwomen", country="KZ")
    response = client.get("/orgs/", query_string={"country": country})
    assert response.status_code == 200
    assert "Greenwomen" in response.text


def test_adding_an_organisation_redirects_to_it_and_lists_it(client):
    form_page = client.get("/orgs/new")
    assert form_page.status_code == 200
    assert 'name="csrf_token"' in form_page.text

    response = client.post("/orgs/new", data=org_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/orgs/little-earth"

    page = client.get("/orgs/little-earth").text
    assert "Organisation Little Earth added." in page
    assert "Маленькая Земля" in page and "Tajikistan" in page and "Dushanbe" in page
    assert 'href="https://littleearth.tj"' in page
    assert "Little Earth" in client.get("/orgs/").text
    org = db.session.scalar(db.select(Organization))
    assert (org.slug, org.country, org.kind) == ("little-earth", "TJ", OrgKind.NGO)
    assert (org.city_en, org.city_ru) == ("Dushanbe", "Душанбе")


def test_a_name_in_one_language_is_enough_and_the_short_name_is_lowercased(client):
    response = client.post("/orgs/new", data=org_form(slug=" Chelyabinsk-Eco ", name_en="",
                                                      name_ru="За природу", website=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/orgs/chelyabinsk-eco"
    assert "За природу" in client.get("/orgs/chelyabinsk-eco").text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name_en": "", "name_ru": "  "}, "name_en", "Give the name in English or Russian."),
        ({"slug": "little earth!"}, "slug", "Use lowercase latin letters, digits and hyphens"),
        ({"slug": "эко-согласие"}, "slug", "Use lowercase latin letters, digits and hyphens"),
        ({"country": "XX"}, "country", "Choose a country from the list."),
        ({"country": ""}, "country", "Choose a country."),
        ({"kind": "charity"}, "kind", "Choose a kind from the list."),
        ({"website": "javascript:alert(1)"}, "website", "starting with http:// or https://"),
        ({"website": "littleearth.tj"}, "website", "starting with http:// or https://"),
        ({"city_ru": "ж" * 121}, "city_ru", "Field cannot be longer than 120 characters."),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_written(
    client, overrides, field, message
):
    response = client.post("/orgs/new", data=org_form(**overrides))
    assert response.status_code == 422
    assert_error_next_to(response.text, field, message)
    assert count_rows(Organization) == 0


def test_a_taken_short_name_is_refused_and_nothing_is_written(client):
    make_org(slug="little-earth", name_en="Little Earth")
    response = client.post("/orgs/new", data=org_form(name_en="Another"))
    assert response.status_code == 422
    assert_error_next_to(response.text, "slug",
                         "An organisation with the short name little-earth already exists.")
    assert 'value="Another"' in response.text  # what was typed is kept
    assert count_rows(Organization) == 1


def test_a_post_without_the_csrf_token_writes_nothing(client):
    response = client.post("/orgs/new", data=org_form(), csrf=False)
    assert response.status_code == 303  # the form again, typed values kept (test_lost_work.py)
    assert count_rows(Organization) == 0


def test_editing_an_organisation_changes_it_and_may_rename_its_short_name(client):
    make_org(slug="greenwomen", name_en="Greenwomen", country="KZ", city="Almaty")
    form_page = client.get("/orgs/greenwomen/edit")
    assert form_page.status_code == 200
    assert 'value="Greenwomen"' in form_page.text

    response = client.post("/orgs/greenwomen/edit", data=org_form(
        slug="greenwomen-kz", name_en="Greenwomen Analytical Centre", name_ru="Гринвумен",
        country="KZ", city_en="Astana", city_ru="Астана", kind="ngo", website=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/orgs/greenwomen-kz"
    page = client.get("/orgs/greenwomen-kz").text
    assert "Changes to Greenwomen Analytical Centre saved." in page
    assert "Astana" in page
    assert client.get("/orgs/greenwomen").status_code == 404


def test_editing_to_another_organisations_short_name_changes_nothing(client):
    make_org(slug="little-earth", name_en="Little Earth")
    make_org(slug="greenwomen", name_en="Greenwomen", city="Almaty")
    response = client.post("/orgs/greenwomen/edit",
                           data=org_form(slug="little-earth", name_en="Renamed",
                                         city_en="Astana"))
    assert response.status_code == 422
    assert "An organisation with the short name little-earth already exists." in response.text
    db.session.expire_all()
    org = db.session.scalar(db.select(Organization).where(Organization.slug == "greenwomen"))
    assert (org.name_en, org.city_en, org.city_ru) == ("Greenwomen", "Almaty", "")


@pytest.mark.parametrize("url", ["/orgs/nobody", "/orgs/nobody/edit"])
def test_an_unknown_organisation_is_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_organisation_page_lists_campaigns_it_leads_and_partners_in(client):
    hub = make_org(slug="eco-accord", name_en="Eco-Accord", country="RU")
    other = make_org(slug="little-earth", name_en="Little Earth", country="TJ")
    make_campaign(lead=hub, slug="mercury", title_en="Mercury-free EECCA")
    make_campaign(lead=other, slug="xrf", title_en="XRF testing in Chelyabinsk",
                  partners=[(hub, PartnerRole.ADVISOR)])
    make_campaign(lead=other, slug="unrelated", title_en="Unrelated campaign")

    page = client.get("/orgs/eco-accord").text
    assert 'href="/campaigns/mercury"' in page and "Lead" in page
    assert 'href="/campaigns/xrf"' in page and "Advisor" in page
    assert "Unrelated campaign" not in page


def test_organisation_without_campaigns_says_so(client):
    make_org(slug="lonely")
    page = client.get("/orgs/lonely").text
    assert "This organisation does not take part in any campaign yet." in page


def test_in_russian_countries_are_named_in_russian_and_russian_names_come_first(client):
    make_org(slug="greenwomen", name_en="Greenwomen", name_ru="Гринвумен", country="KZ")
    make_org(slug="english-only", name_en="English Only Ltd", name_ru="", country="GE")
    switch_to_russian(client)

    page = client.get("/orgs/").text
    assert "Казахстан" in page and "Грузия" in page
    assert "Kazakhstan" not in page
    assert page.index("Гринвумен") < page.index("Greenwomen")  # Russian name, English muted
    assert "English Only Ltd" in page  # falls back to the English name

    detail = client.get("/orgs/greenwomen").text
    assert "<h1" in detail and "Гринвумен</h1>" in detail
    assert "Казахстан" in detail


# The city, in English and in Russian


def test_the_form_puts_the_city_in_english_and_russian_side_by_side(client):
    make_org(slug="greenwomen", name_en="Greenwomen", city="Almaty", city_ru="Алматы")
    for page in (client.get("/orgs/new").text, client.get("/orgs/greenwomen/edit").text):
        english = page.index('name="city_en"')
        assert english < page.index('name="city_ru"')
        assert 'lang="en"' in page[page.rfind("<input", 0, english):english]
        russian = page.index('name="city_ru"')
        assert 'lang="ru"' in page[page.rfind("<input", 0, russian):russian]
    edit = client.get("/orgs/greenwomen/edit").text
    assert 'value="Almaty"' in edit and 'value="Алматы"' in edit


def test_russian_pages_show_the_russian_city(client):
    lead = make_org(slug="little-earth", name_en="Little Earth", name_ru="Маленькая Земля",
                    country="TJ", city="Dushanbe", city_ru="Душанбе")
    make_campaign(lead=lead, slug="xrf", title_en="XRF testing", title_ru="РФА-анализ")
    english = without_history(client.get("/orgs/little-earth").text)
    assert "Dushanbe" in english and "Душанбе" not in english

    switch_to_russian(client)
    for url in ("/orgs/little-earth", "/orgs/", "/campaigns/xrf"):
        page = without_history(client.get(url).text)
        assert 'lang="ru">Душанбе</' in page, url
        assert "Dushanbe" not in page, url


def test_a_city_given_only_in_russian_is_shown_to_english_readers(client):
    org = make_org(slug="for-nature", name_en="For Nature", country="RU", city="",
                   city_ru="Челябинск")
    make_campaign(lead=org, slug="air", title_en="Clean air")
    assert (org.city_en, org.localized("city", "en")) == ("", "Челябинск")
    for url in ("/orgs/for-nature", "/orgs/", "/campaigns/air"):
        page = client.get(url).text
        assert 'lang="ru">Челябинск</' in page, url  # marked as Russian for screen readers


def test_an_organisation_without_a_city_shows_no_city(client):
    make_org(slug="somewhere", name_en="Somewhere", city="")
    page = client.get("/orgs/somewhere").text
    assert "City" not in page
