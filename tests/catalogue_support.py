"""Reading screens and PDFs for words of the wrong language: the catalogue's English phrases.

Every message the catalogue translates (its msgstr differs from its msgid) is English that a
Russian screen or PDF must never show. A message with placeholders is cut at them, and each piece of
two words or more is looked for. What users typed in English only is taken out of the text
first: it is theirs to translate, not the app's.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = (Path(__file__).resolve().parent.parent
             / "tracker/translations/ru/LC_MESSAGES/messages.po")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|%%|<[^>]+>|\{[^}]*\}")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


@cache
def translated_english_phrases() -> frozenset[str]:
    """The catalogue's translated English messages, cut at placeholders, of ≥ 2 words each."""
    with CATALOGUE.open("rb") as file:
        catalogue = read_po(file)
    phrases: set[str] = set()
    for message in catalogue:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if ids[0] == strings[0]:  # the same in both languages ("UNDP", "SHA-256")
            continue
        for text in ids:
            for piece in _PLACEHOLDER.split(text):
                piece = " ".join(piece.split()).strip(" .,:;!?[]«»“”\"'–—-·=+*/")
                if piece.count("(") != piece.count(")"):
                    piece = piece.strip(" ()")
                if len(_WORD.findall(piece)) >= 2:
                    phrases.add(piece)
    return frozenset(phrases)


def english_left_in(text: str, typed_by_users: tuple[str, ...] = ()) -> list[str]:
    """The catalogue's English phrases found in `text`, once users' own words are taken out."""
    text = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    for typed in sorted(typed_by_users, key=len, reverse=True):
        text = text.replace(typed, " ")
    found = []
    for phrase in translated_english_phrases():
        if phrase in text and re.search(
                rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", text):
            found.append(phrase)
    return sorted(found)
