"""Reading pages the way a user does: visible text, errors next to fields, the language."""

from __future__ import annotations

import re


def plain(text: str) -> str:
    """The text with Babel's no-break and narrow no-break spaces as ordinary spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def without_history(text: str) -> str:
    """The page above its History section, which shows every language's recorded values."""
    return text.split('id="history"')[0]


def switch_to_russian(client) -> None:
    """Choose Russian with the header's language buttons."""
    client.post("/language", data={"language": "ru", "next": "/"})


def errors_next_to(html: str, name: str) -> list[str]:
    """The error messages shown in the form group of the input named `name`."""
    for group in html.split('<div class="mb-3')[1:]:
        if f'name="{name}"' in group:
            return [plain(m.strip()) for m in re.findall(
                r'<div class="invalid-feedback d-block"[^>]*>(.*?)</div>', group, re.S)]
    raise AssertionError(f"no field named {name!r} on the page")


def assert_error_next_to(page: str, field_id: str, message: str) -> None:
    """The message is shown under the input it concerns (before the next label), marked invalid."""
    start = page.index(f'id="{field_id}"')
    tag = page[page.rfind("<", 0, start):page.index(">", start)]
    assert "is-invalid" in tag, tag
    end = page.find("<label", start)
    assert message in page[start:end if end != -1 else None]
