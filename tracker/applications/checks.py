"""The checks that funding calls and applications share: titles, countries, lengths."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

from tracker.errors import DomainError
from tracker.i18n import is_country

MAX_TITLE_LENGTH = 200
MAX_NOTE_LENGTH = 2_000
MAX_NOTES_LENGTH = 10_000
MAX_REFERENCE_LENGTH = 100
MAX_URL_LENGTH = 500


def check_titles(title_en: str, title_ru: str) -> tuple[str, str]:
    """The titles stripped; at least one is given and neither is too long."""
    title_en, title_ru = title_en.strip(), title_ru.strip()
    if not (title_en or title_ru):
        raise DomainError(_("Give the title in English or Russian."), field="title_en")
    for name, title in (("title_en", title_en), ("title_ru", title_ru)):
        if len(title) > MAX_TITLE_LENGTH:
            raise DomainError(_("Keep the title under %(limit)s characters.",
                                limit=MAX_TITLE_LENGTH), field=name)
    return title_en, title_ru


def check_countries(codes: Iterable[str]) -> list[str]:
    """The country codes sorted and without repeats; an unknown one is refused."""
    codes = sorted(set(codes))
    for code in codes:
        if not is_country(code):
            raise DomainError(_("Unknown country code: %(code)s.", code=code), field="countries")
    return codes


def check_length(text: str, limit: int, field_name: str) -> str:
    """The text stripped; refused when it is longer than the limit."""
    text = text.strip()
    if len(text) > limit:
        raise DomainError(_("Keep this under %(limit)s characters.", limit=limit),
                          field=field_name)
    return text
