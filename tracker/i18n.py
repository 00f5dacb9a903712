"""Language choice, bilingual content and locale-aware formatting of money, dates, countries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import NumberPattern, get_currency_name, get_currency_symbol, parse_pattern
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale
from sqlalchemy import func
from wtforms.i18n import messages_path

from tracker.money.iso4217 import MINOR_UNITS, REGIONAL
from tracker.money.value import Money

LANGUAGES = ("en", "ru")
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


def select_locale() -> str:
    """The user's choice kept in the session, else the browser's Accept-Language."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def current_language() -> str:
    """'en' or 'ru' for the request being served (English outside a request)."""
    if not has_request_context():
        return "en"
    locale = getattr(_babel_state(), "babel_locale", None) or get_locale()
    return locale.language if locale and locale.language in LANGUAGES else "en"


def _babel_state() -> Any:
    """flask_babel's per-context namespace (`g._flask_babel`), None before its first use.

    Read through one resolution of `g`: flask_babel itself resolves `g` three times for
    each look-up, and a page makes thousands of them.
    """
    try:
        state = g._get_current_object()
    except RuntimeError:  # outside an application context
        return None
    return getattr(state, "_flask_babel", None)


class RequestDomain(Domain):
    """flask_babel's message domain, with the context's translations kept on first use.

    flask_babel finds the translations anew for each string (the context, the locale, the
    locale's name, the cache): 1,400 to 3,300 times on a busy page. They are kept beside the
    locale they belong to, so that `force_locale` (a mail or a report in the reader's
    language) still gets its own: another locale, another look-up.
    """

    def get_translations(self) -> Translations | NullTranslations:
        state = _babel_state()
        kept = getattr(state, "tracker_translations", None)
        if kept is not None and kept[0] is getattr(state, "babel_locale", None):
            return kept[1]
        translations = super().get_translations()
        state = _babel_state()
        if state is not None and getattr(state, "babel_locale", None) is not None:
            state.tracker_translations = (state.babel_locale, translations)
        return translations


def install_request_translations(app: Flask, babel: Babel) -> None:
    """Make flask_babel's gettext, in code and templates, look the translations up once."""
    domain = RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    # flask_babel's `domain_instance` is a cached property: this is its value from now on.
    babel.domain_instance = domain
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
    )
    app.before_request(_offer_form_translations)


class FormMessages:
    """WTForms' own messages ("This field is required.") in the request's language.

    Flask-WTF reads its catalogue from disk again for every request that renders or checks
    a form (0.3 to 0.4 ms); the catalogue of each language is read once a process instead.
    """

    def ugettext(self, string: str) -> str:
        return _form_catalogue(current_language()).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _form_catalogue(current_language()).ungettext(singular, plural, n)


FORM_MESSAGES = FormMessages()


@cache
def _form_catalogue(language: str) -> Translations | NullTranslations:
    return Translations.load(messages_path(), [Locale.parse(language)], domain="wtforms")


def _offer_form_translations() -> None:
    # Where flask_wtf.i18n looks for the request's catalogue before it loads one itself.
    request.wtforms_translations = FORM_MESSAGES  # type: ignore[attr-defined]


class Localized:
    """Mixin for models with `<field>_en` / `<field>_ru` columns."""

    def localized(self, field: str, language: str | None = None) -> str:
        """The field in the given (or current) language, falling back to the other one."""
        language = language or current_language()
        other = "ru" if language == "en" else "en"
        return getattr(self, f"{field}_{language}") or getattr(self, f"{field}_{other}") or ""


@dataclass(frozen=True)
class TitleLine(Localized):
    """A title in both languages (a campaign's, a call's), as a list row shows it."""

    title_en: str
    title_ru: str

    @property
    def title(self) -> str:
        return self.localized("title")


@dataclass(frozen=True)
class NameLine(Localized):
    """An organisation's name in both languages, as a list row shows it."""

    name_en: str
    name_ru: str

    @property
    def name(self) -> str:
        return self.localized("name")


def sortable_localized(model: Any, field: str, language: str | None = None) -> Any:
    """SQL for `Localized.localized(field)`, to order a list by it in the database.

    Lower-cased for a case-insensitive order (SQLite's lower() leaves Cyrillic alone;
    names and titles begin with a capital, so their order holds).
    """
    language = language or current_language()
    other = "ru" if language == "en" else "en"
    own, fallback = getattr(model, f"{field}_{language}"), getattr(model, f"{field}_{other}")
    return func.lower(func.coalesce(func.nullif(own, ""), fallback))


def format_money(money: Money | None, language: str | None = None) -> str:
    """'1 234 567,50 ₽' in Russian, 'RUB 1,234,567.50' in English."""
    if money is None:
        return ""
    # str(): an amount's digits, sign and exponent, which Decimal's equality would merge.
    return _formatted_amount(str(money.amount), money.currency, language or current_language())


# A page shows a few hundred amounts, most of them the same from request to request (the
# dashboard's figures are roll-ups): each is formatted by Babel once per process.
@lru_cache(maxsize=16_384)
def _formatted_amount(amount: str, currency: str, language: str) -> str:
    locale, pattern = _money_pattern(currency, language)
    return pattern.apply(Decimal(amount), locale, currency=currency)


@lru_cache(maxsize=1_024)
def _money_pattern(currency: str, language: str) -> tuple[Locale, NumberPattern]:
    """The locale and currency pattern `babel.numbers.format_currency` would pick."""
    locale = Locale.parse(language)
    symbol = get_currency_symbol(currency, locale=locale)
    if language == "en" and symbol[-1:].isalpha():
        # CLDR's currency-spacing rule, which Babel does not apply: a symbol that is
        # a letter code is kept apart from the digits ("RUB 1,500.00", not "RUB1,500.00").
        return locale, parse_pattern("¤\u00a0#,##0.00")
    return locale, locale.currency_formats["standard"]


def format_day(value: date | datetime | None, language: str | None = None) -> str:
    """A date in the language's medium format ('24 Nov 2026', '24 нояб. 2026 г.')."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return _formatted_day(value, language or current_language())


# A list of fifty pledges shows a handful of distinct days: Babel formats each once.
@lru_cache(maxsize=8_192)
def _formatted_day(value: date, language: str) -> str:
    return babel_format_date(value, format="medium", locale=language)


def format_timestamp(value: datetime | None, language: str | None = None) -> str:
    """A UTC timestamp in the language's medium format, with its zone."""
    if value is None:
        return ""
    return babel_format_datetime(
        value, format="medium", tzinfo=None, locale=language or current_language()
    ) + " UTC"


# Names the region itself uses where CLDR's differ: Kyrgyzstan's official Russian name.
PREFERRED_COUNTRY_NAMES = {"ru": {"KG": "Кыргызстан"}}
# CLDR codes that are not countries (unknown region, pseudo-locales, unions, outlying
# Oceania) or that lack a name in one of our languages (Sark).
NOT_COUNTRIES = {"ZZ", "XA", "XB", "EU", "EZ", "UN", "QO", "CQ"}


@cache
def _territories(language: str) -> dict[str, str]:
    names = Locale(language).territories
    territories = {code: name for code, name in names.items() if len(code) == 2 and code.isalpha()}
    territories.update(PREFERRED_COUNTRY_NAMES.get(language, {}))
    return territories


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code Babel knows (e.g. 'KZ')."""
    return code in _territories("en") and code not in NOT_COUNTRIES


def country_name(code: str, language: str | None = None) -> str:
    """The country's name in the language ('Kazakhstan', 'Казахстан'); the code if unknown."""
    return _territories(language or current_language()).get(code, code)


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, name) for every country, sorted by name in the language."""
    language = language or current_language()
    codes = [c for c in _territories("en") if is_country(c)]
    return sorted(((c, country_name(c, language)) for c in codes), key=lambda pair: pair[1])


def currency_name(code: str, language: str | None = None) -> str:
    return get_currency_name(code, locale=language or current_language())


def currency_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, 'CODE: name') with the coalition's currencies first, then the rest by code."""
    language = language or current_language()
    rest = sorted(set(MINOR_UNITS) - set(REGIONAL))
    return [(c, f"{c}: {currency_name(c, language)}") for c in (*REGIONAL, *rest)]
