"""Forms as a person meets them (issue 14): every error in one round with a summary that links
to each field, lengths limited in the field with a counter, slugs made from the title, the
coalition's currencies first, amounts written as the user's language writes them."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from tests.auth_support import login, make_user
from tests.drive_support import DRIVE_SLUG, make_drive, make_pledge
from tests.factories import count_rows, make_org
from tests.pages import errors_next_to, plain, switch_to_russian
from tracker.auth.models import Role
from tracker.campaigns.models import Campaign
from tracker.drives.models import Drive, Payment, Pledge
from tracker.extensions import db
from tracker.orgs.models import Organization

NEW_DRIVE = "/campaigns/water-air/drives/new"
PUBLIC = f"/d/{DRIVE_SLUG}"


def drive_form(world, **overrides: Any) -> dict[str, Any]:
    """What a lead types into "Start a drive"."""
    data: dict[str, Any] = {
        "slug": "xrf-team", "title_en": "Invite the XRF team", "title_ru": "Пригласить команду",
        "purpose_en": "", "purpose_ru": "", "organiser_org_id": str(world.organiser.id),
        "goal": "350 000", "currency": "RUB", "starts_on": "2026-09-15",
        "ends_on": "2027-01-31", "reminder_days": "0",
    }
    data.update(overrides)
    return data


def summary_of(html: str) -> str:
    """The error summary at the top of the failed form."""
    match = re.search(r'<div class="alert alert-danger error-summary"[^>]*>.*?</ul>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def input_tag(html: str, field_id: str) -> str:
    """The opening tag of the input, select or textarea with this id."""
    match = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{field_id}"[^>]*>', html)
    assert match, f"no input {field_id!r}"
    return match.group(0)


def option_groups(html: str, select_id: str) -> dict[str, list[str]]:
    """A select's option groups: label -> the options' texts."""
    select_html = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select_html
    return {label: [plain(text) for text in re.findall(r"<option[^>]*>(.*?)</option>", body)]
            for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>',
                                          select_html.group(1), re.S)}


# --- 1, 2: every error at once, in a summary that links to each field ----------------------


@pytest.mark.parametrize(("language", "title", "messages"), [
    ("en", "Please correct 4 errors", [
        "Give the title in English or Russian.", "Use lowercase latin letters, digits and hyphens",
        "The amount must be greater than zero.", "The end date cannot be before the start date."]),
    ("ru", "Исправьте 4 ошибки", [
        "Укажите название на английском или русском языке.", "строчные латинские буквы",
        "Сумма должна быть больше нуля.", "Дата окончания не может быть раньше даты начала."]),
])
def test_every_error_of_a_drive_is_shown_at_once_in_a_summary_linking_to_its_field(
        as_lead, world, language, title, messages):
    """A drive with four mistakes gets all four back at once, listed above the form."""
    if language == "ru":
        switch_to_russian(as_lead)
    response = as_lead.post(NEW_DRIVE, data=drive_form(
        world, title_en="", title_ru="", slug="Not a slug!", goal="-5", ends_on="2026-09-01"))

    assert response.status_code == 422
    summary = plain(summary_of(response.text))
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    assert title in summary
    for field_id, message in zip(("title_en", "slug", "goal", "ends_on"), messages,
                                 strict=True):
        assert re.search(rf'<a href="#{field_id}"[^>]*>[^<]*{re.escape(message)}', summary), \
            (field_id, message)
        tag = input_tag(response.text, field_id)
        assert 'aria-invalid="true"' in tag
        described = re.search(r'aria-describedby="([^"]*)"', tag)
        assert described and f"{field_id}-error" in described.group(1).split()
        assert f'id="{field_id}-error"' in response.text
    assert count_rows(Drive) == 0


def test_a_campaign_reports_its_date_order_together_with_a_missing_lead(client, app):
    """The end-before-start check runs even though another field failed."""
    login(client, make_user(Role.ADMIN, email="admin@example.org"))
    response = client.post("/campaigns/new", data={
        "slug": "", "title_en": "Lead in paint", "title_ru": "", "theme": "lead_paint",
        "status": "active", "starts_on": "2027-01-01", "ends_on": "2026-01-01",
        "lead_org_id": ""})
    assert response.status_code == 422
    summary = plain(summary_of(response.text))
    assert "Please correct 2 errors" in summary
    assert "The end date cannot be before the start date." in summary
    assert "Choose the lead organisation." in summary
    assert count_rows(Campaign) == 0


def test_the_public_pledge_form_opens_at_its_summary_without_a_script(client, drive):
    """The form posts to an address ending in #error-summary, where the refusal's summary is."""
    page = client.get(PUBLIC)
    assert f'action="{PUBLIC}#error-summary"' in page.text

    response = client.post(PUBLIC, data={"pledger_name": "Oleg", "contact_email": "nobody",
                                         "amount": "", "currency": "RUB", "website": ""})
    assert response.status_code == 422
    summary = summary_of(response.text)
    assert 'id="error-summary"' in summary and "data-error-summary" in summary
    assert 'href="#amount"' in summary and 'href="#contact_email"' in summary
    assert count_rows(Pledge) == 0


def test_a_form_without_errors_has_no_summary(as_lead, world):
    """An untouched form shows no alert and marks nothing invalid."""
    page = as_lead.get(NEW_DRIVE).text
    assert "error-summary" not in page and "aria-invalid" not in page


# --- 3: lengths limited in the field, counted, never cut on the server ---------------------


def test_a_title_shows_its_limit_and_a_counter(as_lead, world):
    """The Length validator gives the input its maxlength and a counter that the script updates."""
    page = as_lead.get(NEW_DRIVE).text
    tag = input_tag(page, "title_en")
    assert 'maxlength="200"' in tag and 'data-counter="title_en-count"' in tag
    assert re.search(r'id="title_en-count"[^>]*>0 / 200<', page)
    assert re.search(r'<script src="/static/js/forms\.[0-9a-f]+\.js" defer></script>', page)


LIMITED_FIELD = re.compile(r"<(?:input|textarea)\b[^>]*\bmaxlength=\"(\d+)\"[^>]*>")


def fields_without_counter(page: str) -> list[str]:
    """Tags of the page's length-limited fields that lack a counter showing their limit."""
    missing = []
    for match in LIMITED_FIELD.finditer(page):
        counter = re.search(r'data-counter="([^"]+)"', match.group(0))
        shown = counter and re.search(
            rf'id="{re.escape(counter.group(1))}"[^>]*>\d+ / {match.group(1)}<', page)
        if not shown:
            missing.append(match.group(0))
    return missing


def test_every_limited_field_of_the_proposal_editor_has_a_counter(client, app):
    """The narrative's 18 text areas, the logframe and work plan forms count their length too."""
    from tests.proposals_support import make_proposal_world

    application = make_proposal_world().application
    login(client, make_user(Role.FUNDRAISER, email="fundraiser@example.org"))
    editor = client.get(f"/applications/{application.id}/proposal").text
    assert len(LIMITED_FIELD.findall(editor)) >= 18
    assert fields_without_counter(editor) == []
    summary = input_tag(editor, "executive_summary_en")
    assert 'data-counter="executive_summary_en-count"' in summary
    assert "executive_summary_en-count" in re.search(r'aria-describedby="([^"]+)"',
                                                     summary).group(1)
    for kind in ("logframe", "activities"):
        link = re.search(rf'href="(/applications/{application.id}/proposal/{kind}/\d+)"', editor)
        assert link, kind
        page = client.get(link.group(1)).text
        assert LIMITED_FIELD.search(page) and fields_without_counter(page) == []


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Field cannot be longer than 200 characters."),
    ("ru", "Значение не должно содержать более 200 символов."),
])
def test_a_too_long_title_is_refused_not_cut(as_lead, world, language, message):
    """201 characters posted past the browser's limit: a clear error, nothing saved."""
    if language == "ru":
        switch_to_russian(as_lead)
    response = as_lead.post(NEW_DRIVE, data=drive_form(world, title_en="x" * 201))
    assert response.status_code == 422
    assert message in errors_next_to(response.text, "title_en")
    assert count_rows(Drive) == 0


def test_a_title_of_exactly_the_limit_is_kept_whole(as_lead, world):
    """200 characters are saved as typed, every one of them."""
    title = ("Чистый воздух " * 15)[:200]
    response = as_lead.post(NEW_DRIVE, data=drive_form(world, title_ru=title))
    assert response.status_code == 302
    assert db.session.scalars(select(Drive.title_ru)).one() == title


# --- 4: slugs made from the title ----------------------------------------------------------


def test_a_blank_slug_is_made_from_the_russian_title_and_kept_unique(as_lead, world):
    """Left blank, the address comes from the title by transliteration, -2 when taken."""
    for expected in ("chistyi-vozdukh", "chistyi-vozdukh-2"):
        response = as_lead.post(NEW_DRIVE, data=drive_form(
            world, slug="", title_en="", title_ru="Чистый воздух"))
        assert response.status_code == 302
        assert response.headers["Location"] == f"/drives/{expected}"
    assert sorted(db.session.scalars(select(Drive.slug))) == ["chistyi-vozdukh",
                                                               "chistyi-vozdukh-2"]


def test_the_drive_form_offers_the_slug_while_the_title_is_typed(as_lead, world):
    """The slug field is optional and tells the script where to ask for a suggestion."""
    page = as_lead.get(NEW_DRIVE).text
    tag = input_tag(page, "slug")
    assert "required" not in tag
    assert 'data-slug-from="title_en title_ru"' in tag
    assert 'data-slug-url="/slug?kind=drive"' in tag
    assert "Leave it empty to make it from the title." in page


def test_the_server_suggests_the_slug_it_would_make(as_lead, world):
    """One rule: the suggestion is what saving would make, unique among drives."""
    make_drive(world, slug="chistyi-vozdukh")
    answer = as_lead.get("/slug", query_string=[("kind", "drive"), ("title", ""),
                                                ("title", "Чистый воздух")])
    assert answer.status_code == 200
    assert json.loads(answer.text) == {"slug": "chistyi-vozdukh-2"}
    drive = db.session.scalars(select(Drive)).one()
    own = as_lead.get("/slug", query_string={"kind": "drive", "title": "Чистый воздух",
                                             "current": drive.id})
    assert json.loads(own.text) == {"slug": "chistyi-vozdukh"}
    assert as_lead.get("/slug?kind=planet&title=x").status_code == 400


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Use lowercase latin letters, digits and hyphens, e.g. eco-accord."),
    ("ru", "Используйте строчные латинские буквы, цифры и дефисы, например eco-accord."),
])
def test_a_typed_slug_is_still_checked(as_lead, world, language, message):
    """A hand-typed slug in Cyrillic is refused with a clear message, nothing saved."""
    if language == "ru":
        switch_to_russian(as_lead)
    response = as_lead.post(NEW_DRIVE, data=drive_form(world, slug="чистый-воздух"))
    assert response.status_code == 422
    assert message in errors_next_to(response.text, "slug")
    assert count_rows(Drive) == 0


@pytest.mark.parametrize(("language", "message"), [
    ("en", "A drive with the short name xrf-team already exists."),
    ("ru", "Сбор с кратким именем xrf-team уже существует."),
])
def test_a_taken_slug_is_reported_with_the_other_errors(as_lead, world, language, message):
    """A slug another drive has comes back in the same round as a bad goal and date order."""
    make_drive(world, slug="xrf-team")
    if language == "ru":
        switch_to_russian(as_lead)
    response = as_lead.post(NEW_DRIVE, data=drive_form(world, goal="-5", ends_on="2026-09-01"))
    assert response.status_code == 422
    summary = plain(summary_of(response.text))
    assert message in summary
    assert message in errors_next_to(response.text, "slug")
    assert 'href="#goal"' in summary and 'href="#ends_on"' in summary
    assert count_rows(Drive) == 1


def test_a_record_keeps_its_own_slug_and_cannot_take_anothers(client, app):
    """Editing an organisation and a campaign: its own slug passes, another's is refused."""
    login(client, make_user(Role.ADMIN, email="admin@example.org"))
    for name in ("Eco-Accord", "For Nature"):
        assert client.post("/orgs/new", data={"slug": "", "name_en": name, "name_ru": "",
                                              "country": "RU", "kind": "ngo"}).status_code == 302
    org = {"name_en": "Eco-Accord", "name_ru": "", "country": "RU", "kind": "ngo"}
    assert client.post("/orgs/eco-accord/edit",
                       data={**org, "slug": "eco-accord"}).status_code == 302
    refused = client.post("/orgs/eco-accord/edit", data={**org, "slug": "for-nature",
                                                          "name_en": ""})
    assert refused.status_code == 422
    summary = plain(summary_of(refused.text))
    assert "An organisation with the short name for-nature already exists." in summary
    assert 'href="#name_en"' in summary
    lead = db.session.scalar(select(Organization.id).where(Organization.slug == "eco-accord"))
    campaign = {"title_en": "Lead in paint", "title_ru": "", "theme": "lead_paint",
                "status": "active", "lead_org_id": str(lead)}
    for slug in ("lead-in-paint", "mercury"):
        assert client.post("/campaigns/new", data={**campaign, "slug": slug}).status_code == 302
    assert client.post("/campaigns/lead-in-paint/edit",
                       data={**campaign, "slug": "lead-in-paint"}).status_code == 302
    refused = client.post("/campaigns/lead-in-paint/edit", data={**campaign, "slug": "mercury"})
    assert refused.status_code == 422
    assert "A campaign with the short name mercury already exists." in \
        errors_next_to(refused.text, "slug")
    assert db.session.scalars(select(Campaign.slug).order_by(Campaign.slug)).all() == [
        "lead-in-paint", "mercury"]


def test_campaigns_and_organisations_make_their_slugs_too(client, app):
    """A campaign from its Russian title, an organisation from its Russian name."""
    login(client, make_user(Role.ADMIN, email="admin@example.org"))
    response = client.post("/orgs/new", data={
        "slug": "", "name_en": "", "name_ru": "Эко-Согласие", "country": "RU", "kind": "ngo"})
    assert response.status_code == 302
    org = db.session.scalars(select(Organization)).one()
    assert org.slug == "eko-soglasie"
    response = client.post("/campaigns/new", data={
        "slug": "", "title_en": "", "title_ru": "Свинец в красках", "theme": "lead_paint",
        "status": "active", "lead_org_id": str(org.id)})
    assert response.status_code == 302
    assert db.session.scalars(select(Campaign.slug)).one() == "svinets-v-kraskakh"


# --- 5: the coalition's currencies first, searchable; the public form offers a few ---------


@pytest.mark.parametrize(("language", "own", "other", "sample"), [
    ("en", "Coalition currencies", "Other currencies", "RUB — Russian Ruble"),
    ("ru", "Валюты коалиции", "Другие валюты", "RUB — российский рубль"),
])
def test_currency_lists_start_with_the_coalitions_own(as_lead, world, language, own, other,
                                                      sample):
    """The currencies of the coalition's rates come first, named in full, then the rest."""
    if language == "ru":
        switch_to_russian(as_lead)
    page = as_lead.get(NEW_DRIVE).text
    groups = option_groups(page, "currency")
    assert list(groups) == [own, other]
    assert [label[:3] for label in groups[own]] == ["EUR", "RUB", "KZT"]
    assert sample in groups[own]
    assert len(groups[own]) + len(groups[other]) > 150
    assert re.search(r'<input type="search"[^>]*hidden[^>]*data-filter-for="currency"', page)


def test_the_public_pledge_form_offers_the_drive_and_coalition_currencies_only(client, drive):
    """Not 156 currencies: the drive's and the coalition's; another one is refused."""
    groups = option_groups(client.get(PUBLIC).text, "currency")
    assert list(groups) == ["Coalition currencies"]
    assert [label[:3] for label in groups["Coalition currencies"]] == ["EUR", "RUB", "KZT"]
    response = client.post(PUBLIC, data={"pledger_name": "Oleg", "contact_email": "o@example.org",
                                         "amount": "100", "currency": "JPY", "website": ""})
    assert response.status_code == 422
    assert "Choose a known currency (ISO 4217 code)." in errors_next_to(response.text,
                                                                        "currency")
    assert count_rows(Pledge) == 0


# --- 6: amounts as the user's language writes them, and read back ---------------------------


@pytest.mark.parametrize(("language", "shown"), [
    ("en", "1,000.00"), ("ru", "1\u00a0000,00"),
])
def test_a_payment_is_prefilled_as_the_language_writes_amounts(as_lead, drive, language, shown):
    """The outstanding 1000 RUB is offered as "1,000.00" or "1 000,00", and accepted back."""
    if language == "ru":
        switch_to_russian(as_lead)
    pledge = make_pledge(drive, amount="1000")
    url = f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}"
    assert f'value="{shown}"' in input_tag(as_lead.get(url).text, "amount")

    response = as_lead.post(f"{url}/payments", data={
        "submission_key": "k" * 32, "amount": shown, "currency": "RUB",
        "paid_on": "2026-03-15", "method": "bank_transfer"})
    assert response.status_code == 302, errors_next_to(response.text, "amount")
    payment = db.session.scalars(select(Payment)).one()
    assert payment.amount.amount == Decimal("1000.00")


@pytest.mark.parametrize(("language", "typed", "stored"), [
    ("en", "350,000.00", "350000.00"), ("en", "1,5", "1.50"), ("en", "1,234,567", "1234567.00"),
    ("ru", "350 000,00", "350000.00"), ("ru", "1234.5", "1234.50"), ("ru", "5,5", "5.50"),
])
def test_an_amount_is_read_as_the_language_writes_it(as_lead, world, language, typed, stored):
    """English groups thousands with commas, Russian with spaces and a decimal comma."""
    if language == "ru":
        switch_to_russian(as_lead)
    response = as_lead.post(NEW_DRIVE, data=drive_form(world, goal=typed))
    assert response.status_code == 302
    assert db.session.scalars(select(Drive)).one().goal.amount == Decimal(stored)


def test_an_edited_drive_round_trips_its_goal_in_russian(as_lead, drive):
    """The edit form shows the goal in Russian digits; saving it unchanged keeps the goal."""
    switch_to_russian(as_lead)
    page = as_lead.get(f"/drives/{DRIVE_SLUG}/edit").text
    assert 'value="350\u00a0000,00"' in input_tag(page, "goal")
    fields = dict(re.findall(
        r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    response = as_lead.post(f"/drives/{DRIVE_SLUG}/edit", data={
        **fields, "organiser_org_id": str(drive.organiser_org_id), "currency": "RUB",
        "purpose_en": drive.purpose_en, "purpose_ru": drive.purpose_ru})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Drive, drive.id).goal.amount == Decimal("350000.00")


def test_an_organisation_slug_left_blank_needs_a_name(client, app):
    """No name and no slug: the name is asked for, and no organisation appears."""
    login(client, make_user(Role.ADMIN, email="admin@example.org"))
    make_org(slug="kept")
    response = client.post("/orgs/new", data={"slug": "", "name_en": "", "name_ru": "",
                                             "country": "RU", "kind": "ngo"})
    assert response.status_code == 422
    assert "Give the name in English or Russian." in errors_next_to(response.text, "name_en")
    assert count_rows(Organization) == 1
