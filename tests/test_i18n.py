"""English and Russian: choosing the language, formatting money, and a complete catalogue."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from tests.conftest import TEST_SECRET
from tests.pages import plain
from tracker import ROOT, create_app
from tracker.extensions import babel
from tracker.i18n import _form_catalogue, format_money
from tracker.money.value import Money

TRANSLATIONS = ROOT / "tracker" / "translations"
RUSSIAN_PO = TRANSLATIONS / "ru" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)")
# Keep in step with BABEL_KEYWORDS in the Makefile (`make translations`).
BABEL_KEYWORDS = ["_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2"]


def page_language(html: str) -> str:
    """The language the page declares on its <html> element."""
    start = html.index('<html lang="') + len('<html lang="')
    return html[start:html.index('"', start)]


@pytest.mark.usefixtures("signed_in_admin")
def test_choosing_russian_keeps_it_for_the_following_pages(client):
    response = client.post("/language", data={"language": "ru", "next": "/orgs/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/orgs/"
    with client.session_transaction() as session:
        assert session["lang"] == "ru"
    assert page_language(client.get("/orgs/").text) == "ru"
    assert page_language(client.get("/campaigns/").text) == "ru"

    client.post("/language", data={"language": "en", "next": "/orgs/"})
    assert page_language(client.get("/orgs/").text) == "en"


def test_an_unknown_language_is_ignored(client):
    client.post("/language", data={"language": "de", "next": "/login"})
    with client.session_transaction() as session:
        assert "lang" not in session
    assert page_language(client.get("/login").text) == "en"


def test_the_language_switch_needs_a_csrf_token(client):
    response = client.post("/language", data={"language": "ru"}, csrf=False)
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "lang" not in session


def test_the_browser_language_is_used_until_the_user_chooses(client):
    # Before logging in, on the login page: afterwards the account's own language applies.
    assert page_language(client.get("/login", headers={"Accept-Language": "ru"}).text) == "ru"
    assert page_language(
        client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}).text
    ) == "ru"
    assert page_language(client.get("/login", headers={"Accept-Language": "de"}).text) == "en"

    client.post("/language", data={"language": "en", "next": "/login"})
    assert page_language(client.get("/login", headers={"Accept-Language": "ru"}).text) == "en"


@pytest.mark.parametrize("target", [
    "https://evil.example/phish",
    "//evil.example/phish",
    "/\\evil.example/phish",
    "javascript:alert(1)",
    "",
])
def test_the_language_switch_only_returns_to_pages_of_this_site(client, target):
    response = client.post("/language", data={"language": "ru", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_language_switch_keeps_the_query_string(client):
    response = client.post("/language", data={"language": "ru", "next": "/campaigns/?theme=hhp"})
    assert response.headers["Location"] == "/campaigns/?theme=hhp"


@pytest.mark.parametrize(("amount", "currency", "language", "expected"), [
    ("1234567.50", "RUB", "ru", "1 234 567,50 ₽"),
    ("1234567.50", "USD", "en", "$1,234,567.50"),
    ("1234567.50", "EUR", "en", "€1,234,567.50"),
    ("1234567.50", "USD", "ru", "1 234 567,50 $"),
    ("1234567", "JPY", "en", "¥1,234,567"),
    ("-5.00", "EUR", "ru", "-5,00 €"),
])
def test_money_is_formatted_the_way_each_language_writes_it(amount, currency, language,
                                                           expected):
    assert plain(format_money(Money(Decimal(amount), currency), language)) == expected


def test_money_follows_the_language_of_the_request():
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "DATABASE_URL": "sqlite://"})
    money = Money(Decimal("1234567.50"), "RUB")
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert plain(format_money(money)) == "1 234 567,50 ₽"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert plain(format_money(money)) == "RUB 1,234,567.50"


def test_the_app_reads_compiled_catalogues_from_tracker_translations(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "DATABASE_URL": "sqlite://"})
    assert [Path(d) for d in app.extensions["babel"].translation_directories] == [TRANSLATIONS]
    assert RUSSIAN_PO.exists()

    catalog = Catalog(locale="ru")
    catalog.add("Page not found", "Страница не найдена")
    mo_file = tmp_path / "ru" / "LC_MESSAGES" / "messages.mo"
    mo_file.parent.mkdir(parents=True)
    with mo_file.open("wb") as out:
        write_mo(out, catalog)
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "DATABASE_URL": "sqlite://",
                      "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path)})
    # Flask-Babel caches catalogues per process, across apps: start and end clean.
    babel.domain_instance.cache.clear()
    try:
        russian = app.test_client().get("/missing", headers={"Accept-Language": "ru"})
        english = app.test_client().get("/missing", headers={"Accept-Language": "en"})
    finally:
        babel.domain_instance.cache.clear()
    assert "Страница не найдена" in russian.text
    assert "Page not found" in english.text


def extracted_entries() -> dict[tuple[str, str | None], str]:
    """Every (msgid, context) in the code and templates, as `make translations` finds them,
    → its place. A msgid with a context ("budget unit") is a catalogue entry of its own."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = parse_keywords(BABEL_KEYWORDS)
    found: dict[tuple[str, str | None], str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={**DEFAULT_KEYWORDS, **keywords}
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.setdefault((msgid, context), f"{filename}:{lineno}")
    return found


def extracted_messages() -> dict[str, str]:
    """Every msgid in the code and templates → its first place."""
    found: dict[str, str] = {}
    for (msgid, _context), place in extracted_entries().items():
        found.setdefault(msgid, place)
    return found


def test_message_extraction_finds_code_enum_labels_and_templates():
    messages = extracted_messages()
    assert messages["Page not found"].startswith("tracker/web.py")
    assert messages["Mercury-free"].startswith("tracker/campaigns/models.py")
    assert messages["Back to the start page"].startswith("templates/errors/error.html")
    assert "Demo data already present; nothing added." in messages
    assert ("Event", "budget unit") in extracted_entries()  # apart from the audit's "Event"


def test_every_message_has_a_russian_translation():
    with RUSSIAN_PO.open("rb") as po:
        catalog = read_po(po, locale="ru")
    missing = []
    for (msgid, context), place in sorted(extracted_entries().items(), key=lambda item: item[1]):
        entry = catalog.get(msgid, context)
        strings = () if entry is None else (
            entry.string if isinstance(entry.string, tuple) else (entry.string,)
        )
        if entry is None or entry.fuzzy or not strings or not all(s.strip() for s in strings):
            missing.append(f"{place}: {msgid!r}")
    assert not missing, (
        f"{len(missing)} messages lack a Russian translation in {RUSSIAN_PO.relative_to(ROOT)} "
        "(run `make translations`, then translate):\n" + "\n".join(missing)
    )


def test_every_russian_plural_form_names_the_number_it_counts():
    """Russian's first form also serves 21, 31, 101...: it must say the number, not "one"."""
    with RUSSIAN_PO.open("rb") as po:
        catalog = read_po(po, locale="ru")
    wrong = []
    for entry in catalog:
        if not entry.pluralizable or not entry.id:
            continue
        wanted = set(PLACEHOLDER.findall(entry.id[1]))
        wrong += [f"{entry.id[1]!r} form {index}" for index, form in enumerate(entry.string)
                  if set(PLACEHOLDER.findall(form)) != wanted]
    assert not wrong, "\n".join(wrong)


def test_the_russian_catalogue_passes_the_checks_pybabel_compile_runs():
    """`make compile-translations` fails on any error Babel's checkers find; catch it here first."""
    with RUSSIAN_PO.open("rb") as po:
        catalog = read_po(po, locale="ru")
    errors = [f"{entry.locations}: {entry.id!r}: {problems}" for entry, problems in catalog.check()]
    assert not errors, "\n".join(errors)


def test_country_names_follow_the_region_and_every_choice_has_a_name_in_both_languages(app):
    from tracker.i18n import country_choices, country_name

    assert country_name("KG", "ru") == "Кыргызстан"
    assert country_name("KG", "en") == "Kyrgyzstan"
    for language in ("en", "ru"):
        assert all(name != code for code, name in country_choices(language))


@pytest.mark.usefixtures("signed_in_admin")
def test_form_messages_come_in_the_readers_language_from_a_catalogue_read_once(
        client, monkeypatch):
    loads = []
    real_load = Translations.load

    def counted_load(dirname, locales, domain):
        loads.append(domain)
        return real_load(dirname, locales, domain)

    monkeypatch.setattr(Translations, "load", counted_load)
    _form_catalogue.cache_clear()
    too_long = {"on_date": "2026-01-05", "base": "USD", "quote": "KZT", "rate": "470",
                "source": "x" * 201}
    for language, message in (("en", "Field cannot be longer than 200 characters."),
                              ("ru", "Значение не должно содержать более 200 символов.")):
        client.post("/language", data={"language": language, "next": "/rates/new"})
        for _ in range(2):
            response = client.post("/rates/new", data=too_long)
            assert response.status_code == 422
            assert message in plain(response.text)
    # One read of WTForms' catalogue for each language, not one for each request.
    assert loads.count("wtforms") == 2
