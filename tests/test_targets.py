"""Funding targets: creating one, the budget editor, its lines and the totals it shows."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.factories import count_rows, make_campaign, make_line, make_org, make_target
from tests.pages import errors_next_to, plain, switch_to_russian, without_history
from tracker.campaigns.models import PartnerRole
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.orgs.models import OrgKind
from tracker.targets.models import BudgetCategory, BudgetLine, BudgetUnit, FundingTarget
from tracker.targets.services import BudgetLineInput, add_line, totals_by_country_and_partner

# These tests are about the screens; access is tested in tests/test_access.py.
pytestmark = pytest.mark.usefixtures("signed_in_admin")


@pytest.fixture
def coalition(app):
    """A hub in Russia, a Tajik NGO with the XRF analyser, two Kazakh NGOs, an outside lab."""
    return {
        "hub": make_org(slug="eco-accord", name_en="Eco-Accord", name_ru="Эко-Согласие",
                        country="RU", city="Moscow", kind=OrgKind.HUB),
        "tajik": make_org(slug="little-earth", name_en="Little Earth",
                          name_ru="Маленькая Земля", country="TJ", city="Dushanbe"),
        "greenwomen": make_org(slug="greenwomen", name_en="Greenwomen", name_ru="Гринвумен",
                               country="KZ", city="Astana"),
        "karaganda": make_org(slug="karaganda-eco", name_en="Karaganda Eco",
                              name_ru="Караганда Эко", country="KZ", city="Karaganda"),
        "lab": make_org(slug="lab", name_en="Outside Laboratory", name_ru="Лаборатория",
                        country="DE", city="Berlin", kind=OrgKind.OTHER),
    }


@pytest.fixture
def campaign(coalition):
    return make_campaign(
        lead=coalition["hub"], slug="lead-in-paint", title_en="Lead in paint",
        title_ru="Свинец в красках",
        partners=[(coalition["tajik"], PartnerRole.PARTNER),
                  (coalition["greenwomen"], PartnerRole.CO_LEAD),
                  (coalition["karaganda"], PartnerRole.PARTNER)],
        countries=("KZ", "TJ", "RU"),
    )


@pytest.fixture
def target(campaign):
    return make_target(campaign, currency="USD", title_en="Regional testing 2027",
                       title_ru="Региональные испытания 2027")


def line_form(**overrides: Any) -> dict[str, Any]:
    """What a user types into the "Add a budget line" form."""
    data: dict[str, Any] = {"category": "travel", "description_en": "Flights Dushanbe–Almaty",
                            "description_ru": "Авиабилеты Душанбе – Алматы",
                            "partner_org_id": "", "quantity": "4", "unit": "flight",
                            "unit_cost": "350", "justification_en": "Two trips for two people.",
                            "justification_ru": "Две поездки на двоих."}
    data.update(overrides)
    return data


def _text(html: str) -> str:
    return " ".join(plain(re.sub(r"<[^>]+>", " ", html)).split())


def lines_table(html: str) -> list[dict[str, str]]:
    """The page's first budget-lines table as one {column heading: cell text} per line."""
    table = html[html.index("<table"):html.index("</table>")]
    head = table[table.index("<thead"):table.index("</thead>")]
    body = table[table.index("<tbody"):table.index("</tbody>")]
    headings = [_text(th) for th in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
    return [dict(zip(headings, [_text(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)],
                     strict=True))
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


# Creating a target


def test_new_target_form_offers_the_campaign_period_and_currencies(client, campaign):
    response = client.get("/campaigns/lead-in-paint/targets/new")
    assert response.status_code == 200
    assert "New funding target" in response.text
    assert "Lead in paint" in response.text  # the breadcrumb names the campaign
    assert 'name="csrf_token"' in response.text
    assert '<option selected value="USD">' in response.text or \
        '<option value="USD" selected>' in response.text


def test_creating_a_target_opens_its_budget_editor(client, campaign):
    response = client.post("/campaigns/lead-in-paint/targets/new", data={
        "title_en": "", "title_ru": "", "starts_on": "2027-01-01", "ends_on": "2027-12-31",
        "currency": "KZT"})
    assert response.status_code == 302
    target = db.session.scalars(db.select(FundingTarget)).one()
    assert response.headers["Location"] == f"/targets/{target.id}"
    assert (target.currency, target.starts_on, target.ends_on) == (
        "KZT", date(2027, 1, 1), date(2027, 12, 31))

    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    # Without a title the period names the target.
    assert "created. Add its budget lines below." in page.text
    assert "Jan 1, 2027 – Dec 31, 2027" in plain(page.text)
    assert "No budget lines yet." in page.text
    assert "Add a budget line" in page.text


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"ends_on": "2026-12-31"}, "ends_on", "The end date cannot be before the start date."),
    ({"currency": "XYZ"}, "currency", "Choose a known currency (ISO 4217 code)."),
    ({"starts_on": ""}, "starts_on", "Give the first day of the period."),
    ({"title_en": "x" * 201}, "title_en", "Field cannot be longer than 200 characters."),
])
def test_a_bad_target_is_refused_next_to_its_field_and_nothing_is_written(
        client, campaign, changes, field, message):
    data = {"title_en": "2027", "title_ru": "", "starts_on": "2027-01-01",
            "ends_on": "2027-12-31", "currency": "USD", **changes}
    response = client.post("/campaigns/lead-in-paint/targets/new", data=data)
    assert response.status_code == 422
    assert message in errors_next_to(response.text, field)
    assert count_rows(FundingTarget) == 0


def test_unknown_campaign_target_or_line_is_not_found(client, target, campaign):
    other = make_target(make_campaign(), currency="USD")
    foreign_line = make_line(other)
    assert client.get("/campaigns/no-such-campaign/targets/new").status_code == 404
    assert client.get("/targets/999999").status_code == 404
    assert client.post("/targets/999999/lines", data=line_form()).status_code == 404
    # A line is only reachable through its own target.
    assert client.get(f"/targets/{target.id}/lines/{foreign_line.id}/edit").status_code == 404
    assert client.post(
        f"/targets/{target.id}/lines/{foreign_line.id}/remove").status_code == 404
    assert count_rows(BudgetLine) == 1


# The budget editor


def test_adding_a_line_computes_its_total_and_shows_it(client, target, coalition):
    response = client.post(f"/targets/{target.id}/lines", data=line_form(
        partner_org_id=str(coalition["tajik"].id), quantity="2,5", unit="day",
        unit_cost="1 234,50", category="lab_testing", description_en="XRF testing of paint"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/targets/{target.id}#lines"
    line = db.session.scalars(db.select(BudgetLine)).one()
    assert line.quantity == Decimal("2.500")
    assert line.unit_cost.amount == Decimal("1234.50")
    assert line.total.amount == Decimal("3086.25")
    assert line.unit is BudgetUnit.DAY

    page = plain(client.get(f"/targets/{target.id}").text)
    assert "Budget line “XRF testing of paint” added." in page
    [row] = lines_table(page)
    assert row["Category"] == "Laboratory testing"
    assert row["Spent by"] == "Little Earth (Tajikistan)"
    assert (row["Quantity"], row["Unit"]) == ("2.5", "Day")
    assert row["Unit cost"] == "$1,234.50"
    assert row["Line total"] == "$3,086.25"


def test_editor_shows_totals_by_category_and_by_country_and_partner(client, target, coalition):
    make_line(target, quantity="10", unit_cost="200", category=BudgetCategory.STAFF,
              partner_org_id=coalition["greenwomen"].id, description="Coordinator")
    make_line(target, quantity="1", unit_cost="500", category=BudgetCategory.TRAVEL,
              partner_org_id=coalition["karaganda"].id, description="Bus to the mine")
    make_line(target, quantity="3", unit_cost="400", category=BudgetCategory.LAB_TESTING,
              partner_org_id=coalition["tajik"].id, description="XRF days")
    make_line(target, quantity="1", unit_cost="100", category=BudgetCategory.TRAVEL,
              description="Taxi")

    page = plain(client.get(f"/targets/{target.id}").text)
    assert "$3,800.00" in page  # the grand total

    by_category = page[page.index('id="by-category"'):page.index('id="by-country"')]
    assert by_category.index("Staff") < by_category.index("Laboratory testing") \
        < by_category.index("Travel")
    assert "$600.00" in by_category  # travel: 500 + 100

    by_country = page[page.index('id="by-country"'):page.index('id="add-line"')]
    assert by_country.index("Kazakhstan") < by_country.index("Tajikistan") \
        < by_country.index("Not assigned to a partner yet")
    assert "$2,500.00" in by_country  # Kazakhstan: 2,000 + 500
    assert "Greenwomen" in by_country and "Karaganda Eco" in by_country
    assert "66%" in by_country  # Kazakhstan's share of 3,800


def test_country_and_partner_totals_are_summed_by_the_database(app, target, coalition):
    make_line(target, quantity="2", unit_cost="0.10", partner_org_id=coalition["greenwomen"].id)
    make_line(target, quantity="1", unit_cost="0.05", partner_org_id=coalition["greenwomen"].id)
    make_line(target, quantity="1", unit_cost="1.00", partner_org_id=coalition["karaganda"].id)
    make_line(target, quantity="1", unit_cost="7.00", partner_org_id=coalition["hub"].id)
    make_line(target, quantity="1", unit_cost="0.01")

    shares = totals_by_country_and_partner(target)
    assert [(s.country, s.total.amount) for s in shares] == [
        ("RU", Decimal("7.00")), ("KZ", Decimal("1.25")), (None, Decimal("0.01"))]
    kazakh = shares[1]
    assert [(p.organization.slug, p.total.amount) for p in kazakh.partners] == [
        ("karaganda-eco", Decimal("1.00")), ("greenwomen", Decimal("0.25"))]
    assert shares[2].partners[0].organization is None


def test_partner_select_lists_the_campaign_members_first(client, target):
    page = client.get(f"/targets/{target.id}").text
    select = page[page.index('name="partner_org_id"'):]
    select = select[:select.index("</select>")]
    members = select[select.index('label="In the campaign"'):select.index("Other organisations")]
    assert members.index("Eco-Accord") < members.index("Little Earth") \
        < members.index("Greenwomen") < members.index("Karaganda Eco")
    assert "Outside Laboratory" in select[select.index("Other organisations"):]
    assert "Not assigned yet" in select


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"quantity": "-1"}, "quantity", "The quantity must be greater than zero."),
    ({"quantity": "0"}, "quantity", "The quantity must be greater than zero."),
    ({"quantity": "5000000"}, "quantity", "This quantity is implausibly large; check the digits."),
    ({"quantity": "1.2345"}, "quantity", "Use at most three decimal places for the quantity."),
    ({"quantity": "lots"}, "quantity", "Enter a number, e.g. 1500 or 1 500,50."),
    ({"quantity": ""}, "quantity", "Give the quantity, e.g. 3 or 2,5."),
    ({"unit_cost": "-350"}, "unit_cost", "The amount must be greater than zero."),
    ({"unit_cost": "350.001"}, "unit_cost", "USD allows at most 2 decimal places."),
    ({"unit_cost": "9999999999999"}, "unit_cost",
     "This amount is implausibly large; check the digits."),
    ({"quantity": "1000000", "unit_cost": "99999999"}, "unit_cost",
     "This amount is implausibly large; check the digits."),
    ({"description_en": "   ", "description_ru": ""}, "description_en",
     "Describe what the line pays for, in English or Russian."),
    ({"description_en": "x" * 301}, "description_en",
     "Field cannot be longer than 300 characters."),
    ({"description_ru": "ж" * 301}, "description_ru",
     "Field cannot be longer than 300 characters."),
    ({"justification_ru": "ж" * 5001}, "justification_ru",
     "Field cannot be longer than 5000 characters."),
    ({"unit": "fortnight"}, "unit", "Choose a unit from the list."),
    ({"unit": "x" * 41}, "unit", "Choose a unit from the list."),
    ({"category": "champagne"}, "category", "Not a valid choice."),
    ({"partner_org_id": "999999"}, "partner_org_id", "Not a valid choice."),
])
def test_a_bad_line_is_refused_next_to_its_field_and_nothing_is_written(
        client, target, changes, field, message):
    response = client.post(f"/targets/{target.id}/lines", data=line_form(**changes))
    assert response.status_code == 422
    assert message in errors_next_to(response.text, field)
    assert "Add a budget line" in response.text  # the editor, with the form kept
    assert count_rows(BudgetLine) == 0


def test_unit_cost_decimals_follow_the_target_currency(client, campaign):
    yen = make_target(campaign, currency="JPY")
    response = client.post(f"/targets/{yen.id}/lines", data=line_form(unit_cost="1500.5"))
    assert response.status_code == 422
    assert "JPY allows at most 0 decimal places." in errors_next_to(response.text, "unit_cost")
    assert count_rows(BudgetLine) == 0

    dinars = make_target(campaign, currency="KWD")
    response = client.post(f"/targets/{dinars.id}/lines",
                           data=line_form(quantity="2.125", unit_cost="10.001"))
    assert response.status_code == 302
    assert db.session.scalars(db.select(BudgetLine)).one().total.amount == Decimal("21.252")


def test_editing_a_line_recomputes_its_total(client, target, coalition):
    line = make_line(target, quantity="4", unit_cost="350", description="Flights")
    form = client.get(f"/targets/{target.id}/lines/{line.id}/edit")
    assert form.status_code == 200
    assert 'value="Flights"' in form.text and 'value="350.00"' in form.text

    response = client.post(f"/targets/{target.id}/lines/{line.id}/edit", data=line_form(
        description_en="Flights, cheaper", quantity="5", unit_cost="300",
        partner_org_id=str(coalition["tajik"].id)))
    assert response.status_code == 302
    db.session.expire_all()
    line = db.session.get(BudgetLine, line.id)
    assert (line.description_en, line.total.amount, line.partner.slug) == (
        "Flights, cheaper", Decimal("1500.00"), "little-earth")
    assert "Budget line “Flights, cheaper” saved." in client.get(f"/targets/{target.id}").text


def test_a_bad_edit_changes_nothing(client, target):
    line = make_line(target, quantity="4", unit_cost="350", description="Flights")
    response = client.post(f"/targets/{target.id}/lines/{line.id}/edit",
                           data=line_form(description_en="Flights", quantity="-4"))
    assert response.status_code == 422
    assert "The quantity must be greater than zero." in errors_next_to(response.text, "quantity")
    db.session.expire_all()
    assert db.session.get(BudgetLine, line.id).total.amount == Decimal("1400.00")


def test_removing_a_line_asks_first_then_removes_it(client, target):
    kept = make_line(target, description="Printing", unit_cost="80")
    line = make_line(target, description="Flights", unit_cost="350")
    confirm = client.get(f"/targets/{target.id}/lines/{line.id}/remove")
    assert confirm.status_code == 200
    assert "Remove the budget line “Flights”?" in confirm.text
    assert count_rows(BudgetLine) == 2

    response = client.post(f"/targets/{target.id}/lines/{line.id}/remove")
    assert response.status_code == 302
    assert count_rows(BudgetLine) == 1
    page = client.get(f"/targets/{target.id}").text
    assert "Budget line “Flights” removed." in page
    assert f'id="line-{kept.id}"' in page and f'id="line-{line.id}"' not in page


def test_posting_without_the_csrf_token_is_refused(client, target):
    response = client.post(f"/targets/{target.id}/lines", data=line_form(), csrf=False)
    assert response.status_code == 400
    assert count_rows(BudgetLine) == 0


# Editing and deleting a target


def test_editing_a_target_changes_its_period_and_titles(client, target):
    response = client.post(f"/targets/{target.id}/edit", data={
        "title_en": "Testing 2027–2028", "title_ru": "Испытания 2027–2028",
        "starts_on": "2027-01-01", "ends_on": "2028-06-30", "currency": "USD"})
    assert response.status_code == 302
    db.session.expire_all()
    target = db.session.get(FundingTarget, target.id)
    assert (target.title_en, target.ends_on) == ("Testing 2027–2028", date(2028, 6, 30))


def test_currency_cannot_change_while_the_target_has_lines(client, target):
    make_line(target)
    response = client.post(f"/targets/{target.id}/edit", data={
        "title_en": "Changed", "title_ru": "", "starts_on": "2027-01-01",
        "ends_on": "2027-12-31", "currency": "EUR"})
    assert response.status_code == 422
    assert ("Remove the budget lines before changing the currency: their costs are in USD."
            in errors_next_to(response.text, "currency"))
    db.session.expire_all()
    unchanged = db.session.get(FundingTarget, target.id)
    assert (unchanged.currency, unchanged.title_en) == ("USD", "Regional testing 2027")


def test_currency_can_change_while_the_target_is_empty(client, target):
    response = client.post(f"/targets/{target.id}/edit", data={
        "title_en": "2027", "title_ru": "", "starts_on": "2027-01-01",
        "ends_on": "2027-12-31", "currency": "EUR"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(FundingTarget, target.id).currency == "EUR"


def test_deleting_a_target_asks_first_then_removes_it_with_its_lines(client, target, campaign):
    make_line(target, quantity="2", unit_cost="50")
    make_line(target, quantity="1", unit_cost="25")
    confirm = client.get(f"/targets/{target.id}/delete")
    assert confirm.status_code == 200
    assert "Delete funding target “Regional testing 2027”?" in confirm.text
    assert "its 2 budget lines, totalling $125.00, will be deleted" in plain(confirm.text)
    assert count_rows(FundingTarget) == 1

    response = client.post(f"/targets/{target.id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/campaigns/lead-in-paint"
    assert (count_rows(FundingTarget), count_rows(BudgetLine)) == (0, 0)
    page = client.get("/campaigns/lead-in-paint").text
    assert "Funding target “Regional testing 2027” deleted." in page


# Both languages and the campaign page


def test_a_line_is_written_in_both_languages_and_each_reader_sees_their_own(client, target):
    response = client.post(f"/targets/{target.id}/lines", data=line_form())
    assert response.status_code == 302
    line = db.session.scalars(db.select(BudgetLine)).one()
    assert (line.description_en, line.description_ru) == (
        "Flights Dushanbe–Almaty", "Авиабилеты Душанбе – Алматы")
    assert (line.justification_en, line.justification_ru) == (
        "Two trips for two people.", "Две поездки на двоих.")

    english = without_history(client.get(f"/targets/{target.id}").text)
    assert '<span lang="en">Flights Dushanbe–Almaty</span>' in english
    assert "Two trips for two people." in english
    assert "Авиабилеты" not in english and "Две поездки" not in english

    switch_to_russian(client)
    russian = without_history(client.get(f"/targets/{target.id}").text)
    assert '<span lang="ru">Авиабилеты Душанбе – Алматы</span>' in russian
    assert "Две поездки на двоих." in russian
    assert "Flights Dushanbe–Almaty" not in russian and "Two trips" not in russian


def test_the_line_form_puts_english_and_russian_side_by_side(client, target):
    line = make_line(target, description="Flights", description_ru="Авиабилеты",
                     justification_en="Two trips.", justification_ru="Две поездки.")
    for page in (client.get(f"/targets/{target.id}").text,
                 client.get(f"/targets/{target.id}/lines/{line.id}/edit").text):
        english = page.index('name="description_en"')
        assert english < page.index('name="description_ru"') \
            < page.index('name="justification_en"') < page.index('name="justification_ru"')
        assert 'lang="en"' in page[page.rfind("<input", 0, english):english]
    form = client.get(f"/targets/{target.id}/lines/{line.id}/edit").text
    assert 'value="Flights"' in form and 'value="Авиабилеты"' in form
    assert "Two trips.</textarea>" in form and "Две поездки.</textarea>" in form


def test_a_line_described_only_in_russian_shows_russian_to_english_readers(client, target,
                                                                          campaign):
    line = make_line(target, description="", description_ru="Авиабилеты",
                     justification_ru="Две поездки.")
    assert (line.description_en, line.localized("description", "en")) == ("", "Авиабилеты")

    editor = client.get(f"/targets/{target.id}").text
    assert '<span lang="ru">Авиабилеты</span>' in editor  # marked as Russian for screen readers
    assert 'lang="ru">Две поездки.</div>' in editor
    assert '<span lang="ru">Авиабилеты</span>' in client.get("/campaigns/lead-in-paint").text
    confirm = client.get(f"/targets/{target.id}/lines/{line.id}/remove").text
    assert "Remove the budget line “Авиабилеты”?" in confirm


def test_a_line_described_only_in_english_shows_english_to_russian_readers(client, target,
                                                                          campaign):
    line = make_line(target, description="Flights", justification_en="Two trips.")
    switch_to_russian(client)
    editor = client.get(f"/targets/{target.id}").text
    assert '<span lang="en">Flights</span>' in editor
    assert 'lang="en">Two trips.</div>' in editor
    assert '<span lang="en">Flights</span>' in client.get("/campaigns/lead-in-paint").text
    confirm = client.get(f"/targets/{target.id}/lines/{line.id}/remove").text
    assert "Flights" in confirm[confirm.index("<h1"):confirm.index("</h1>")]


def test_russian_pages_name_the_line_in_russian(client, target, campaign):
    line = make_line(target, description="Flights", description_ru="Авиабилеты",
                     justification_en="Two trips.", justification_ru="Две поездки.")
    switch_to_russian(client)
    editor = without_history(client.get(f"/targets/{target.id}").text)
    assert '<span lang="ru">Авиабилеты</span>' in editor and "Две поездки." in editor
    assert "Flights" not in editor and "Two trips." not in editor
    summary = client.get("/campaigns/lead-in-paint").text
    assert '<span lang="ru">Авиабилеты</span>' in summary and "Flights" not in summary
    confirm = client.get(f"/targets/{target.id}/lines/{line.id}/remove").text
    assert "Авиабилеты" in confirm[confirm.index("<h1"):confirm.index("</h1>")]
    assert "Flights" not in confirm

    response = client.post(f"/targets/{target.id}/lines/{line.id}/remove")
    assert response.status_code == 302
    assert "Авиабилеты" in client.get(f"/targets/{target.id}").text  # the flash


def test_a_line_with_no_description_in_either_language_is_refused(client, target):
    response = client.post(f"/targets/{target.id}/lines", data=line_form(
        description_en=" ", description_ru="  "))
    assert response.status_code == 422
    assert errors_next_to(response.text, "description_en") == [
        "Describe what the line pays for, in English or Russian."]
    assert errors_next_to(response.text, "description_ru") == []
    assert count_rows(BudgetLine) == 0


def test_clearing_both_descriptions_of_a_line_changes_nothing(client, target):
    line = make_line(target, description="Flights", description_ru="Авиабилеты")
    response = client.post(f"/targets/{target.id}/lines/{line.id}/edit", data=line_form(
        description_en="", description_ru="", quantity="9"))
    assert response.status_code == 422
    assert "Describe what the line pays for, in English or Russian." in errors_next_to(
        response.text, "description_en")
    db.session.expire_all()
    unchanged = db.session.get(BudgetLine, line.id)
    assert (unchanged.description_en, unchanged.description_ru, unchanged.quantity) == (
        "Flights", "Авиабилеты", Decimal("1"))


def test_a_line_may_be_described_in_russian_only(client, target):
    response = client.post(f"/targets/{target.id}/lines", data=line_form(
        description_en="", description_ru="  Авиабилеты  ", justification_en=""))
    assert response.status_code == 302
    line = db.session.scalars(db.select(BudgetLine)).one()
    assert (line.description_en, line.description_ru, line.justification_en) == (
        "", "Авиабилеты", "")
    assert "Budget line “Авиабилеты” added." in client.get(f"/targets/{target.id}").text


def test_russian_editor_formats_the_total_quantities_and_countries(client, campaign, coalition):
    roubles = make_target(campaign, currency="RUB", title_en="Invitation",
                          title_ru="Приглашение")
    make_line(roubles, quantity="2", unit_cost="617283.75",
              partner_org_id=coalition["tajik"].id, description="XRF")
    make_line(roubles, quantity="0.5", unit_cost="0.01", description="Rounding")  # 0.005 → 0.01
    switch_to_russian(client)
    page = plain(client.get(f"/targets/{roubles.id}").text)
    assert "1 234 567,50 ₽" in page
    assert "Приглашение" in page
    assert "Маленькая Земля" in page and "Таджикистан" in page
    assert "0,5" in page


def test_campaign_page_shows_each_target_with_its_lines_and_total(client, campaign, target,
                                                                  coalition):
    make_line(target, quantity="3", unit_cost="400", category=BudgetCategory.LAB_TESTING,
              partner_org_id=coalition["tajik"].id, description="XRF days", unit=BudgetUnit.DAY)
    empty = make_target(campaign, currency="EUR", title_en="", title_ru="",
                        starts_on=date(2028, 1, 1), ends_on=date(2028, 6, 30))
    page = plain(client.get("/campaigns/lead-in-paint").text)
    assert "Regional testing 2027" in page
    [row] = lines_table(page)
    assert (row["Description"], row["Quantity"], row["Unit"], row["Line total"]) == (
        "XRF days", "3", "Day", "$1,200.00")
    assert f'href="/targets/{target.id}"' in page and "Edit budget" in page
    assert "Jan 1, 2028 – Jun 30, 2028" in page  # an untitled target is named by its period
    assert f'href="/targets/{empty.id}"' in page
    assert "No budget lines yet." in page


# Units: a closed list, named in the reader's language in a column of their own


def test_the_unit_is_chosen_from_a_list_and_kept_when_editing(client, target):
    form = client.get(f"/targets/{target.id}").text
    select = form[form.index('name="unit"'):]
    select = select[:select.index("</select>")]
    assert "Person-month" in select and "Lump sum" in select and "Sample" in select
    assert re.search(r'<option (selected value="lump_sum"|value="lump_sum" selected)>', select)

    response = client.post(f"/targets/{target.id}/lines", data=line_form(
        quantity="12", unit="person_month", unit_cost="900"))
    assert response.status_code == 302
    line = db.session.scalars(db.select(BudgetLine)).one()
    assert line.unit is BudgetUnit.PERSON_MONTH

    edit = client.get(f"/targets/{target.id}/lines/{line.id}/edit").text
    assert re.search(r'<option (selected value="person_month"|value="person_month" selected)>',
                     edit)


def test_russian_tables_show_the_unit_from_the_catalogue_beside_the_quantity(client, target,
                                                                             campaign):
    line = make_line(target, quantity="12", unit_cost="900", unit=BudgetUnit.PERSON_MONTH,
                     description="Coordinator", description_ru="Координатор")
    make_line(target, quantity="150", unit_cost="10", unit=BudgetUnit.SAMPLE,
              description="XRF screening", description_ru="РФА-скрининг")
    switch_to_russian(client)

    editor = plain(client.get(f"/targets/{target.id}").text)
    summary = plain(client.get("/campaigns/lead-in-paint").text)
    for page in (editor, summary):
        rows = lines_table(page)
        assert [(row["Количество"], row["Единица"]) for row in rows] == [
            ("12", "Человеко-месяц"), ("150", "Проба")]
        assert "Person-month" not in page and "Sample" not in page

    confirm = plain(client.get(f"/targets/{target.id}/lines/{line.id}/remove").text)
    assert re.search(r"Количество</dt>\s*<dd[^>]*>12</dd>", confirm)
    assert re.search(r"Единица</dt>\s*<dd[^>]*>Человеко-месяц</dd>", confirm)


def test_an_unknown_unit_is_refused_next_to_its_field_and_nothing_is_written(client, target):
    response = client.post(f"/targets/{target.id}/lines", data=line_form(unit="month; DROP"))
    assert response.status_code == 422
    assert errors_next_to(response.text, "unit") == ["Choose a unit from the list."]
    assert count_rows(BudgetLine) == 0

    line = make_line(target, unit=BudgetUnit.FLIGHT)
    response = client.post(f"/targets/{target.id}/lines/{line.id}/edit",
                           data=line_form(unit="flights"))
    assert response.status_code == 422
    assert errors_next_to(response.text, "unit") == ["Choose a unit from the list."]
    db.session.expire_all()
    assert db.session.get(BudgetLine, line.id).unit is BudgetUnit.FLIGHT


def test_the_service_refuses_a_unit_outside_the_list(app, target):
    data = BudgetLineInput(category=BudgetCategory.TRAVEL, quantity=Decimal(2),
                           unit_cost=Decimal(100), description_en="Flights",
                           unit="flights")  # type: ignore[arg-type]  (an import's raw text)
    with pytest.raises(DomainError) as refused:
        add_line(target, data)
    assert refused.value.field == "unit"
    db.session.rollback()
    assert count_rows(BudgetLine) == 0


def test_a_line_without_a_unit_is_a_lump_sum(app, target):
    line = make_line(target)
    assert line.unit is BudgetUnit.LUMP_SUM
