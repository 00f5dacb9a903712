"""The History section: one sentence an event, in the user's language to the last word."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import Enum
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import Enum as SqlEnum

from tests.drive_support import DRIVE_SLUG, make_payment, make_pledge
from tests.factories import make_campaign, make_line, make_target
from tests.history_support import details
from tests.pages import plain, switch_to_russian
from tests.test_drives import edit_form
from tracker.audit.models import AuditAction
from tracker.audit.registry import EVENT_TYPE_LABELS, FIELD_LABELS, NOISE_COLUMNS, registered_specs
from tracker.db import table_of
from tracker.extensions import db
from tracker.money.services import add_rate
from tracker.targets.services import remove_line

PAGE = f"/drives/{DRIVE_SLUG}"
# The drive page's History as its fold fetches it when opened (folded, it is not read).
OPENED = f"{PAGE}?part=history"


def sentences(html: str) -> list[str]:
    """The history's sentences as a reader sees them, newest first."""
    found = re.findall(r'<span class="text-break audit-line">(.*?)</span>', html, re.S)
    return [plain(unescape(text)).strip() for text in found]


def history_section(html: str) -> str:
    """The History section of a record's page."""
    start = html.index(">", html.index('id="history"')) + 1
    return html[start:html.index("</section>", start)]


def _english_and_russian(label) -> tuple[str, str]:
    """The label (a lazy string, or an enum member by its label) in each language."""
    shown = (lambda: getattr(label, "label", label.value)) if isinstance(label, Enum) else (
        lambda: str(label))
    with force_locale("en"):
        english = shown()
    with force_locale("ru"):
        russian = shown()
    return english, russian


def _recorded_columns(spec) -> list[str]:
    """The columns the hooks record for a spec (tracker/audit/hooks.py: _columns)."""
    table = table_of(spec.model)
    keys = list(table.primary_key.columns)
    single_key = keys[0].name if len(keys) == 1 else None
    return [column.name for column in table.columns
            if column.name not in NOISE_COLUMNS and column.name not in spec.exclude
            and column.name != single_key]


def test_every_audited_field_record_type_and_choice_has_a_russian_name(app):
    """No field, record type or choice of an audited record reaches Russian history in English."""
    untranslated = []
    labels = {f"{spec.record_type} (record type)": spec.label for spec in registered_specs()}
    labels |= {f"{name} (event type)": label for name, label in EVENT_TYPE_LABELS.items()}
    labels |= {f"{name} (field)": label for name, label in FIELD_LABELS.items()}
    for spec in registered_specs():
        table = table_of(spec.model)
        for name in _recorded_columns(spec):
            label = spec.field_labels.get(name, FIELD_LABELS.get(name))
            if label is None:
                untranslated.append(f"{spec.record_type}.{name}: no label")
                continue
            labels[f"{spec.record_type}.{name}"] = label
            enum_class = getattr(table.c[name].type, "enum_class", None)
            if isinstance(table.c[name].type, SqlEnum) and enum_class is not None:
                for member in enum_class:
                    labels[f"{spec.record_type}.{name}={member.value}"] = member
    for member in AuditAction:
        labels[f"action {member.value}"] = member
    for where, label in labels.items():
        english, russian = _english_and_russian(label)
        # 'SHA-256' is the same in both; a word in small letters is English left over.
        if english == russian and any(letter.islower() and letter.isascii() for letter in english):
            untranslated.append(f"{where}: {english!r}")
    assert untranslated == [], "\n".join(untranslated)


def test_a_change_of_two_fields_reads_as_one_sentence_in_english(as_lead, drive):
    """A payment's effect on its pledge is one line: who changed what from what to what."""
    pledge = make_pledge(drive, amount="5000")
    make_payment(pledge, "250", paid_on=date(2026, 3, 15))

    lines = sentences(as_lead.get(f"{PAGE}/pledges/{pledge.id}").text)

    assert any(line.endswith(
        "changed the pledge “Anna Petrova · RUB 5,000.00”: status from Pledged to "
        "Partly paid and paid from RUB 0.00 to RUB 250.00") for line in lines), lines
    assert any(line.endswith("created the payment “RUB 250.00 · Mar 15, 2026”")
               for line in lines), lines
    assert "System created the pledge “Anna Petrova · RUB 5,000.00”" in lines


def test_the_same_history_reads_in_russian_with_every_name_in_the_nominative(as_lead, drive):
    """Russian sentences are impersonal, so no verb has to agree with a person's gender."""
    pledge = make_pledge(drive, amount="5000")
    make_payment(pledge, "250", paid_on=date(2026, 3, 15))
    switch_to_russian(as_lead)

    lines = sentences(as_lead.get(f"{PAGE}/pledges/{pledge.id}").text)

    assert any(line.startswith(
        "Изменено: обещанный взнос «Anna Petrova · 5 000,00 ₽» — статус Обещано → "
        "Оплачено частично; оплачено 0,00 ₽ → 250,00 ₽ · ") for line in lines), lines
    assert any(line.startswith("Создано: платёж «250,00 ₽ · 15 мар. 2026 г.» · ")
               for line in lines), lines
    assert "Создано: обещанный взнос «Anna Petrova · 5 000,00 ₽» · Система" in lines


def test_many_fields_changed_are_counted_with_each_change_on_demand(as_lead, drive):
    """An edit of four fields names them in its sentence and lists each in its details."""
    pledge = make_pledge(drive, amount="5000")
    url = f"{PAGE}/pledges/{pledge.id}"
    as_lead.post(f"{url}/edit", data=edit_form(as_lead.get(f"{url}/edit").text, amount="6000"))

    page = as_lead.get(url).text

    assert ("lead@example.org changed 4 fields of the pledge “Anna Petrova · RUB 6,000.00”: "
            "contact e-mail, amount, channel, and in the drive's currency") in sentences(page)
    assert "Amount: RUB 5,000.00 → RUB 6,000.00" in details(as_lead, page)
    assert "Amount: RUB 5,000.00" not in page  # on demand: a plain link, without JavaScript


@pytest.mark.usefixtures("signed_in_admin")
def test_a_deletion_says_who_deleted_what_in_both_languages(client):
    """'System deleted the budget line “Flights”' / 'Удалено: строка бюджета … · Система'."""
    target = make_target(make_campaign())
    remove_line(make_line(target, description="Flights"))
    db.session.commit()

    english = sentences(client.get(f"/targets/{target.id}").text)
    switch_to_russian(client)
    russian = sentences(client.get(f"/targets/{target.id}").text)

    assert english[0] == "System deleted the budget line “Flights”"
    assert russian[0].startswith("Удалено: ") and russian[0].endswith(" «Flights» · Система")


@pytest.mark.usefixtures("signed_in_admin")
def test_values_are_formatted_as_on_every_other_screen(client, drive):
    """Rates to six significant digits, dates, yes/no, choices and countries in the language."""
    add_rate(date(2026, 12, 6), "RUB", "KZT", Decimal("6.16441148907485655"), "Test")
    db.session.commit()

    english = client.get("/audit/?record_type=exchange_rate").text
    drive_page = client.get(f"{PAGE}?history_page=1").text
    countries = sentences(client.get("/audit/?record_type=campaign_country").text)
    english_details, drive_details = details(client, english), details(client, drive_page)
    switch_to_russian(client)
    russian = client.get("/audit/?record_type=exchange_rate").text
    russian_drive = client.get(f"{PAGE}?history_page=1").text
    russian_countries = sentences(client.get("/audit/?record_type=campaign_country").text)
    russian_details, russian_drive_details = details(client, russian), details(client,
                                                                               russian_drive)

    assert "System created the exchange rate “RUB/KZT Dec 6, 2026”" in sentences(english)
    assert "Rate: 6.16441" in english_details and "Date: Dec 6, 2026" in english_details
    assert "Курс: 6,16441" in russian_details and "Дата: 6 дек. 2026 г." in russian_details
    visible = plain(unescape(re.sub(r"<[^>]+>", " ", russian)))
    assert "6,1644114890" not in visible and "2026-12-06" not in visible
    assert "Public page: Yes" in drive_details
    assert "Публичная страница: Да" in russian_drive_details
    assert any(line.endswith("status from Draft to Live") for line in sentences(drive_page))
    assert any("статус Черновик → Идёт сбор" in line for line in sentences(russian_drive))
    assert "Goal: RUB 350,000.00" in drive_details
    assert "Целевая сумма: 350 000,00 ₽" in russian_drive_details
    assert "System created the focus country “Tajikistan”" in countries
    assert any(line.startswith("Создано: ") and "«Таджикистан»" in line
               for line in russian_countries), russian_countries


def test_a_record_page_shows_the_latest_five_changes_and_links_to_all(as_lead, drive):
    """The rest of a long history is one link away, a plain link that needs no JavaScript."""
    for number in range(7):
        make_pledge(drive, amount=str(1000 + number))

    page = history_section(as_lead.get(OPENED).text)

    assert len(sentences(page)) == 5
    assert f'href="{PAGE}?history_page=1#history"' in page
    assert "Show all 9 changes" in page
    everything = history_section(as_lead.get(f"{PAGE}?history_page=1").text)
    assert len(sentences(everything)) == 9
    assert "Show all" not in everything
    assert sentences(everything)[:5] == sentences(page)


def test_a_long_history_pages_on_after_show_all(as_lead, drive):
    """Past twenty changes the full history keeps its pager, page by page."""
    for number in range(20):
        make_pledge(drive, amount=str(1000 + number))

    everything = history_section(as_lead.get(f"{PAGE}?history_page=1").text)
    second = history_section(as_lead.get(f"{PAGE}?history_page=2").text)

    assert len(sentences(everything)) == 20 and "Older" in everything
    assert len(sentences(second)) == 2


def test_a_russian_history_has_no_english_word_but_the_users_own(as_lead, drive, lead):
    """Every word of the Russian history is Russian, except names and texts people typed."""
    pledge = make_pledge(drive, amount="5000")
    make_payment(pledge, "250", paid_on=date(2026, 3, 15))
    url = f"{PAGE}/pledges/{pledge.id}"
    as_lead.post(f"{url}/edit", data=edit_form(as_lead.get(f"{url}/edit").text, amount="6000"))
    switch_to_russian(as_lead)

    shown = " ".join(plain(unescape(re.sub(r"<[^>]+>", " ", history_section(
        as_lead.get(address).text)))) for address in (url, f"{PAGE}?history_page=1"))

    users_own = [drive.title_en, drive.purpose_en, drive.slug, "Anna Petrova", lead.email,
                 "anna@example.org", "UTC", "RUB",
                 "e-mail"]  # the Russian catalogue's own word for it ("Контактный e-mail")
    for text in users_own:
        shown = shown.replace(text, "")
    assert re.findall(r"[A-Za-z]{2,}", shown) == []
    assert re.findall(r"\d\.\d\d RUB|\d{4}-\d\d-\d\d", shown) == []  # '5000.00 RUB', ISO dates


@pytest.mark.usefixtures("signed_in_admin")
def test_a_users_history_in_russian_names_every_field_in_russian(client):
    """The account's reporting currency and reminder days were English labels in Russian."""
    from tests.auth_support import make_user
    from tracker.auth.models import Role

    user = make_user(Role.VIEWER, email="viewer@example.org")
    user.reporting_currency = "EUR"
    user.reminder_days = "3,7"
    db.session.commit()
    switch_to_russian(client)

    shown = plain(unescape(re.sub(r"<[^>]+>", " ", history_section(
        client.get(f"/admin/users/{user.id}?history_page=1").text))))

    assert "валюта отчётности → EUR; дни напоминаний 14,7,1 → 3,7" in shown
    for text in ("viewer@example.org", "admin@example.org", "UTC", "EUR", "e-mail"):
        shown = shown.replace(text, "")
    assert re.findall(r"[A-Za-z]{2,}", shown) == []


def test_a_long_drive_history_says_more_than_the_cap_in_english_and_russian(
        as_lead, drive, monkeypatch):
    """A record's History counts its events only up to a cap (issue 15: a drive of a hundred
    thousand pledges has as many events), says "more than" past it, and still pages on."""
    from tracker.audit import queries

    monkeypatch.setattr(queries, "RECORD_HISTORY_COUNT_CAP", 6)
    for number in range(7):
        make_pledge(drive, amount=str(1000 + number))

    section = history_section(as_lead.get(OPENED).text)
    assert len(sentences(section)) == 5
    assert "More than 6 changes" in plain(section)
    assert "Show all changes" in section and "Show all 9" not in section
    page = as_lead.get(f"{PAGE}?history_page=1").text
    fold = page.split('id="history-fold"', 1)[1].split('id="history"', 1)[0]
    assert '<span class="fold-count">(9)</span>' in fold  # its one page: counted to the end
    everything = history_section(page)
    assert len(sentences(everything)) == 9 and "Older" not in everything

    switch_to_russian(as_lead)
    russian = history_section(as_lead.get(OPENED).text)
    assert "Более 6 изменений" in plain(russian)
    assert "Показать все изменения" in russian


def test_a_short_drive_history_is_counted_exactly(as_lead, drive):
    for number in range(2):
        make_pledge(drive, amount=str(1000 + number))

    section = history_section(as_lead.get(OPENED).text)

    assert "More than" not in section
