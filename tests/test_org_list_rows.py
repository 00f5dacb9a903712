"""The organisations list keeps each rendered row (tracker/orgs/views.py, issue 15): a kept row
must never show a name, a kind, a country or a city that has changed since, however the change
was written, in either language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.fragments_support import rendered_templates
from tests.pages import plain, switch_to_russian
from tests.test_dashboard_rows import switch_to_english
from tracker.extensions import db
from tracker.orgs.views import ROW_TEMPLATE, kept_rows

pytestmark = pytest.mark.usefixtures("signed_in_admin")


@pytest.fixture
def org(app):
    from tests.factories import make_org

    with app.app_context():
        kept_rows().clear()  # as a new process: another test may have shown this row
    return make_org(slug="eco-forum", name_en="Eco Forum", name_ru="Экофорум", city="Almaty",
                    city_ru="Алматы")


def row_text(client, slug: str) -> str:
    """The text of the organisation's row in the list."""
    page = client.get("/orgs/").text
    found = re.search(rf'<tr>\s*<td>\s*<a href="/orgs/{slug}">.*?</tr>', page, re.S)
    assert found, f"no row for {slug}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", plain(found.group(0)))).strip()


def execute(statement: str, **values) -> None:
    """A write no hook of the application sees: plain SQL."""
    db.session.execute(text(statement), values)
    db.session.commit()


def test_a_renamed_organisation_shows_at_once_in_either_language(client, org):
    shown = row_text(client, org.slug)
    assert "Eco Forum" in shown and "Экофорум" in shown and "Almaty" in shown
    execute("UPDATE organization SET name_en = 'Eco Forum KZ', name_ru = 'Экофорум КЗ',"
            " city_en = 'Astana', city_ru = 'Астана' WHERE id = :id", id=org.id)
    shown = row_text(client, org.slug)
    assert "Eco Forum KZ" in shown and "Экофорум КЗ" in shown
    assert "Astana" in shown and "Almaty" not in shown
    switch_to_russian(client)
    shown = row_text(client, org.slug)
    assert shown.startswith("Экофорум КЗ") and "Астана" in shown
    execute("UPDATE organization SET name_ru = '', city_ru = '' WHERE id = :id", id=org.id)
    shown = row_text(client, org.slug)
    assert shown.startswith("Eco Forum KZ") and "Astana" in shown and "Экофорум" not in shown
    switch_to_english(client)


def test_a_kind_and_a_country_changed_by_plain_sql_show_at_once(client, org):
    shown = row_text(client, org.slug)
    assert "NGO" in shown and "Kazakhstan" in shown
    execute("UPDATE organization SET kind = 'hub', country = 'KG' WHERE id = :id", id=org.id)
    shown = row_text(client, org.slug)
    assert "Regional hub" in shown and "Kyrgyzstan" in shown and "Kazakhstan" not in shown
    switch_to_russian(client)
    shown = row_text(client, org.slug)
    assert "Региональный центр (хаб)" in shown and "Кыргызстан" in shown
    switch_to_english(client)


def test_an_unchanged_row_is_rendered_once(client, app, org):
    with rendered_templates(app) as rendered:
        first = client.get("/orgs/").text
        second = client.get("/orgs/").text
    assert rendered.count(ROW_TEMPLATE) == 1
    assert rendered.count("orgs/index.html") == 2
    assert first == second


def filter_and_count(client, query: str = "") -> str:
    page = plain(client.get("/orgs/" + query).text)
    shown = page[page.index('id="filter-country"'):page.index("</select>")]
    count = re.search(r'<p class="small text-muted list-count">(.*?)</p>', page, re.S)
    pages = re.findall(r'href="(/orgs/\?[^"]*page=\d+[^"]*)"', page)
    return " ".join([re.sub(r"\s+", " ", shown), count.group(1) if count else "",
                     " ".join(pages)])


def test_the_kept_filter_and_count_follow_the_data_and_the_request(client, app, org):
    from tests.factories import make_org

    for number in range(50):
        make_org(slug=f"kg-{number}", country="KG")
    shown = filter_and_count(client)
    assert "Showing 1–50 of 51" in shown and "Kazakhstan" in shown and "Kyrgyzstan" in shown
    assert "/orgs/?page=2" in shown
    assert 'value="KG" selected' in filter_and_count(client, "?country=KG")
    assert 'value="KG" selected' not in filter_and_count(client)
    execute("DELETE FROM organization WHERE slug = 'kg-0'")
    execute("UPDATE organization SET country = 'AM' WHERE id = :id", id=org.id)
    shown = filter_and_count(client)
    assert "Showing 1–50 of 50" in shown and "page=2" not in shown
    assert "Armenia" in shown and "Kazakhstan" not in shown
    switch_to_russian(client)
    shown = filter_and_count(client, "?country=KG")
    assert "Показаны 1–49 из 49" in shown and "Армения" in shown
    switch_to_english(client)
    with rendered_templates(app) as rendered:
        client.get("/orgs/?country=KG")
        client.get("/orgs/?country=KG")
    assert rendered.count("orgs/_filters.html") == 1 and rendered.count("orgs/_pager.html") == 1
