"""The public drive page as the organisers' own: their name, contact and payment details, the
preview tags and picture that messengers and networks show for a shared link, a header
without the software's login; the staff drive page's wording of time and of payments."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape as html_unescape
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from tests.drive_support import (
    DRIVE_SLUG,
    make_drive,
    make_payment,
    make_pledge,
    page_text,
)
from tests.history_support import details
from tests.pages import errors_next_to, switch_to_russian
from tracker.drives import services
from tracker.drives.models import Drive
from tracker.drives.sharing import trimmed_at_word
from tracker.extensions import db

PUBLIC = f"/d/{DRIVE_SLUG}"
EDIT = f"/drives/{DRIVE_SLUG}/edit"
CONTACT = {
    "contact_email": "xrf@fornature.example.org",
    "contact_phone": "+7 351 200-00-00",
    "contact_telegram": "https://t.me/fornature_chel",
    "payment_instructions_en": "Bank transfer: account 40703810000000000001\nBIK 047501000",
    "payment_instructions_ru": "Перевод на счёт 40703810000000000001\nБИК 047501000",
}


def meta(html: str, name: str) -> str:
    """The content of the page's <meta property|name="name">, or "" when it has none."""
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', html)
    return match.group(1) if match else ""


def drive_form(drive: Drive, **overrides: Any) -> dict[str, Any]:
    """The drive's edit form as a lead sends it, with these changes."""
    data: dict[str, Any] = {
        "slug": drive.slug, "title_en": drive.title_en, "title_ru": drive.title_ru,
        "purpose_en": drive.purpose_en, "purpose_ru": drive.purpose_ru,
        "organiser_org_id": str(drive.organiser_org_id), "goal": "350000", "currency": "RUB",
        "starts_on": drive.starts_on.isoformat(), "is_public": "y", "reminder_days": "0",
    }
    data.update(overrides)
    return data


def reloaded(drive: Drive) -> Drive:
    db.session.expire_all()
    return db.session.scalars(select(Drive).where(Drive.id == drive.id)).one()


# --- the organisers' details ---------------------------------------------------------------


def test_a_lead_gives_the_organisers_contact_and_the_public_page_shows_it(as_lead, drive):
    """Contact and payment details typed on the drive form appear on the public page."""
    form = as_lead.get(EDIT).text
    for name in ("organiser_name_en", "organiser_name_ru", "contact_email", "contact_phone",
                 "contact_telegram"):
        assert f'name="{name}"' in form
    response = as_lead.post(EDIT, data=drive_form(drive, **CONTACT))
    assert response.status_code == 302
    saved = reloaded(drive)
    assert (saved.contact_email, saved.contact_phone, saved.contact_telegram) == (
        "xrf@fornature.example.org", "+7 351 200-00-00", "@fornature_chel")

    html = as_lead.get(PUBLIC).text
    organiser = page_text(html.split('id="organiser"')[1].split("</section>")[0])
    assert "Organised by For Nature" in organiser
    assert "E-mail: xrf@fornature.example.org" in organiser
    assert "Phone: +7 351 200-00-00" in organiser and 'href="tel:+73512000000"' in html
    assert "Telegram: @fornature_chel" in organiser
    assert 'href="https://t.me/fornature_chel"' in html
    how_to_pay = page_text(html.split('id="how-to-pay"')[1].split("</section>")[0])
    assert "How to pay Bank transfer: account 40703810000000000001 BIK 047501000" in how_to_pay

    history = page_text(as_lead.get(f"/drives/{DRIVE_SLUG}?part=history").text)
    assert "organiser's e-mail" in history  # the sentence names the fields it changed
    # and each one's value is in the details, one link away (issue 15)
    shown = details(as_lead, as_lead.get(f"/drives/{DRIVE_SLUG}?part=history").text)
    assert any("xrf@fornature.example.org" in line for line in shown), shown


def test_the_organisers_name_defaults_to_the_organiser_organisation(client, drive):
    """Without a name of their own the organisers are the organisation; with one, that name."""
    html = client.get(PUBLIC).text
    assert page_text(html.split('id="public-organiser"')[1].split("</p>")[0]).endswith(
        "For Nature")
    assert "E-mail:" not in page_text(html) and 'id="how-to-pay"' not in html

    services.update_drive(drive, services.DriveInput(**{
        **drive_input(drive), "organiser_name_en": "Chelyabinsk NGOs for clean soil",
        "organiser_name_ru": "Челябинские НКО за чистую почву"}))
    db.session.commit()
    assert "Organised by Chelyabinsk NGOs for clean soil" in page_text(client.get(PUBLIC).text)
    switch_to_russian(client)
    assert "Организатор Челябинские НКО за чистую почву" in page_text(client.get(PUBLIC).text)


def drive_input(drive: Drive) -> dict[str, Any]:
    """The drive's current values as the service takes them."""
    return {"slug": drive.slug, "title_en": drive.title_en, "title_ru": drive.title_ru,
            "organiser_org_id": drive.organiser_org_id, "goal": drive.goal.amount,
            "currency": drive.currency, "starts_on": drive.starts_on, "ends_on": drive.ends_on,
            "purpose_en": drive.purpose_en, "purpose_ru": drive.purpose_ru,
            "is_public": drive.is_public}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("contact_email", "not an address", "Give a valid e-mail address, e.g. name@example.org."),
    ("contact_phone", "call me maybe", "Give a phone number of digits, e.g. +7 351 200-00-00."),
    ("contact_phone", "+7 12", "Give a phone number of digits, e.g. +7 351 200-00-00."),
    ("contact_telegram", "@no", "Give a Telegram username, e.g. @fornature, or its t.me link."),
    ("contact_telegram", "https://evil.example/x", "Give a Telegram username, e.g. @fornature,"
                                                   " or its t.me link."),
    ("organiser_name_en", "x" * 201, "Field cannot be longer than 200 characters."),
])
def test_bad_contact_data_is_refused_next_to_its_field_and_nothing_changes(
        as_lead, drive, field, value, message):
    """A wrong e-mail, phone, Telegram account or over-long name changes nothing."""
    response = as_lead.post(EDIT, data=drive_form(drive, **{**CONTACT, field: value}))
    assert response.status_code == 422
    assert message in errors_next_to(response.text, field)
    saved = reloaded(drive)
    assert (saved.contact_email, saved.contact_phone, saved.contact_telegram,
            saved.organiser_name_en, saved.payment_instructions_en) == ("", "", "", "", "")


def test_the_organisers_block_speaks_russian(client, drive):
    """The Russian public page: «Организатор», «Как оплатить», the Russian instructions."""
    services.update_drive(drive, services.DriveInput(**{
        **drive_input(drive), **{key: value.replace("https://t.me/", "@")
                                 for key, value in CONTACT.items()}}))
    db.session.commit()
    switch_to_russian(client)
    shown = page_text(client.get(PUBLIC).text)
    assert "Организатор За природу" in shown
    assert "Эл. почта: xrf@fornature.example.org" in shown
    assert "Телефон: +7 351 200-00-00" in shown
    assert "Как оплатить Перевод на счёт 40703810000000000001 БИК 047501000" in shown


# --- previews of a shared link -------------------------------------------------------------


def test_a_shared_link_has_open_graph_and_twitter_card_tags_with_the_progress(client, drive):
    """Telegram, VK, Facebook read og:*, X reads twitter:*: title, text, progress, picture."""
    make_payment(make_pledge(drive, amount="50000"), "45000")
    html = client.get(PUBLIC).text
    assert meta(html, "og:type") == "website"
    assert meta(html, "og:title") == "Invite the XRF team from Tajikistan to Chelyabinsk"
    description = meta(html, "og:description").replace("\u00a0", " ")
    assert description == ("Raised RUB 45,000.00 of RUB 350,000.00. Soil and product testing "
                           "in Chelyabinsk.")
    assert meta(html, "og:url") == f"http://localhost/d/{DRIVE_SLUG}"
    assert meta(html, "og:locale") == "en_GB"
    assert meta(html, "og:site_name") == "For Nature"
    image = meta(html, "og:image")
    assert image.startswith(f"http://localhost/d/{DRIVE_SLUG}/preview.png?lang=en&amp;v=")
    assert meta(html, "twitter:card") == "summary_large_image"
    assert meta(html, "twitter:title") == meta(html, "og:title")
    assert meta(html, "twitter:image") == image

    picture = client.get(image.replace("http://localhost", "").replace("&amp;", "&"))
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert "public" in picture.headers["Cache-Control"]
    with Image.open(io.BytesIO(picture.data)) as png:
        assert (png.format, png.size) == ("PNG", (1200, 630))
        # The thermometer's received part (13 % of the bar) is drawn in the page's green.
        assert png.convert("RGB").getpixel((100, 630 - 72 - 150 + 20)) == (25, 135, 84)


def test_the_preview_is_russian_on_the_russian_page(client, drive):
    """The Russian page's description and picture are Russian; the locale is ru_RU."""
    make_payment(make_pledge(drive, amount="50000"), "45000")
    switch_to_russian(client)
    html = client.get(PUBLIC).text
    assert meta(html, "og:locale") == "ru_RU"
    assert meta(html, "og:site_name") == "За природу"
    assert meta(html, "og:description").replace("\u00a0", " ") == (
        "Собрано 45 000,00 ₽ из 350 000,00 ₽. Проверка почвы и товаров в Челябинске.")
    image = meta(html, "og:image").replace("http://localhost", "").replace("&amp;", "&")
    assert "lang=ru" in image
    assert client.get(image).status_code == 200


def test_a_long_purpose_is_cut_at_a_word_in_the_description(client, world):
    """A purpose of many words ends at a whole word with an ellipsis, within 200 characters."""
    purpose = "Testing soil near the smelters " * 20
    make_drive(world, purpose_en=purpose)
    description = meta(client.get(PUBLIC).text, "og:description")
    full = f"Raised RUB 0.00 of RUB 350,000.00. {purpose}"
    assert 190 <= len(description) <= 200 and description.endswith("…")
    assert full.replace("\u00a0", " ").startswith(description[:-1].replace("\u00a0", " ") + " ")
    assert trimmed_at_word("one two three", 9) == "one two…"
    assert trimmed_at_word("one two", 9) == "one two"


def test_the_preview_picture_is_only_for_public_drives(client, world):
    """A draft drive has no picture either."""
    from tracker.drives.models import DriveStatus

    make_drive(world, status=DriveStatus.DRAFT)
    assert client.get(f"{PUBLIC}/preview.png").status_code == 404


def test_the_staff_page_offers_the_self_fitting_embed_code(as_lead, drive):
    """The code to copy: a frame tall enough for either language, and the fitting script."""
    html = as_lead.get(f"/drives/{DRIVE_SLUG}").text
    code = html.split('id="embed-code"')[1].split(">", 1)[1].split("</textarea>")[0]
    code = html_unescape(code)
    assert code.startswith(f'<iframe id="tracker-drive-{DRIVE_SLUG}" '
                           f'src="http://localhost/d/{DRIVE_SLUG}/widget" width="360" '
                           f'height="260"')
    assert '<script>addEventListener("message"' in code
    assert 'e.origin==="http://localhost"&&e.source===f.contentWindow' in code
    widget = as_lead.get(f"{PUBLIC}/widget").text
    assert '<script src="/static/js/widget.' in widget


# --- the header of public pages ------------------------------------------------------------


@pytest.mark.parametrize("russian", [False, True])
def test_public_pages_have_the_organisers_header_and_no_login(client, drive, russian):
    """The public page, its thanks: the organisers' name, languages, no Tracker, no Log in."""
    if russian:
        switch_to_russian(client)
    for url in (PUBLIC, f"{PUBLIC}/thanks"):
        html = client.get(url).text
        header = html.split("<header")[1].split("</header>")[0]
        assert ("За природу" if russian else "For Nature") in page_text(header)
        assert 'value="en"' in header and 'value="ru"' in header
        assert "Tracker" not in header and "/login" not in html
        assert ("Войти" if russian else "Log in") not in page_text(html)
        assert "navbar" not in html
        footer = page_text(html.split("<footer")[1].split(">", 1)[1])
        assert ("Работает на Tracker" if russian else "Powered by Tracker") in footer
    title = page_text(client.get(PUBLIC).text.split("<title>")[1].split("</title>")[0])
    assert title.endswith(" · За природу" if russian else " · For Nature")


def test_the_unsubscribe_page_of_supporters_has_no_login_either(client):
    """A supporter following a message's unsubscribe link meets no staff login."""
    from tracker.mail.suppression import unsubscribe_token

    html = client.get(f"/unsubscribe/{unsubscribe_token('anna@example.org')}").text
    assert "Stop messages about your pledges?" in page_text(html)
    assert "/login" not in html and "navbar" not in html
    assert "Powered by Tracker" in page_text(html.split("<footer")[1].split(">", 1)[1])


# --- how the staff drive page words time and payments ---------------------------------------


def days_text(client: Any) -> tuple[str, str, str]:
    """The 'time' figure on the staff page, the public page and the widget."""
    staff = re.search(r'data-figure="days-left">(.*?)</dd>', client.get(f"/drives/{DRIVE_SLUG}")
                      .text, re.S)
    public = re.search(r'data-figure="days-left">(.*?)</dd>', client.get(PUBLIC).text, re.S)
    assert staff and public
    return (page_text(staff.group(1)), page_text(public.group(1)),
            page_text(client.get(f"{PUBLIC}/widget").text))


@pytest.mark.parametrize(("starts", "ends", "english", "russian"), [
    (177, 300, "Starts in 177 days", "Начнётся через 177 дней"),
    (1, 300, "Starts in 1 day", "Начнётся через 1 день"),
    (-10, 2, "2 days left", "Осталось 2 дня"),
    (-10, 21, "21 days left", "Остался 21 день"),
    (-10, 0, "Last day", "Последний день"),
    (-40, -1, "Ended 1 day ago", "Завершился 1 день назад"),
    (-40, -5, "Ended 5 days ago", "Завершился 5 дней назад"),
])
def test_a_drive_says_when_it_starts_how_long_it_runs_or_when_it_ended(
        as_lead, world, starts, ends, english, russian):
    """Not started: starts in N days; running: N days left; ended: ended N days ago."""
    today = services.today()
    make_drive(world, starts_on=today + timedelta(days=starts),
               ends_on=today + timedelta(days=ends))
    staff, public, widget = days_text(as_lead)
    assert staff == public == english and english in widget
    switch_to_russian(as_lead)
    staff, public, widget = days_text(as_lead)
    assert staff == public == russian and russian in widget


@pytest.mark.parametrize("russian", [False, True])
def test_the_payments_table_names_each_column_once(as_lead, drive, russian):
    """'Towards the pledge, RUB' and 'Towards the drive, RUB', never 'In RUB' twice."""
    pledge = make_pledge(drive, amount="5000")
    make_payment(pledge, "2000")
    if russian:
        switch_to_russian(as_lead)
    html = as_lead.get(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}").text
    table = html.split('id="payments-table"')[1].split("</thead>")[0]
    headers = [page_text(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    headers = [header for header in headers if header]
    assert len(headers) == len(set(headers)), headers
    assert (["В счёт обещания, RUB", "В счёт сбора, RUB"] if russian else
            ["Towards the pledge, RUB", "Towards the drive, RUB"]) == headers[4:6]


# --- the demo ------------------------------------------------------------------------------


def test_the_demo_drive_names_its_organisers_and_how_to_pay_in_both_languages(app, client):
    """The demo's XRF drive: For Nature, Chelyabinsk, with contact and payment details."""
    from tracker.demo import load_demo
    from tracker.demo.drives import DRIVE_SLUG as DEMO_SLUG

    load_demo()
    db.session.commit()
    shown = page_text(client.get(f"/d/{DEMO_SLUG}").text)
    assert "Organised by For Nature Chelyabinsk" in shown
    assert "E-mail: xrf@fornature.example.org" in shown and "Telegram: @fornature_chel" in shown
    assert "How to pay Bank transfer to the Chelyabinsk regional NGO" in shown
    switch_to_russian(client)
    shown = page_text(client.get(f"/d/{DEMO_SLUG}").text)
    assert "Организатор За природу Челябинск" in shown
    assert "Как оплатить Перевод на счёт ЧРОО «За природу»" in shown
