"""Short names in web addresses (slugs): made from a title by transliteration when left blank,
unique by a numbered suffix, and checked when typed by hand.

One rule for the server and the page: the form's script asks the server (core.suggest_slug)
for what it would make, so a slug shown while typing is the one saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy import select

from tracker.errors import DomainError
from tracker.extensions import db

MAX_SLUG_LENGTH = 80


class SluggedInput(Protocol):
    """A form's input (a dataclass) that carries the slug typed, maybe blank."""

    @property
    def slug(self) -> str: ...


InputT = TypeVar("InputT", bound=SluggedInput)
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slug_problem(slug: str) -> str | None:
    """Why a typed slug cannot be used, in the user's language, or None."""
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > MAX_SLUG_LENGTH:
        return _("Use lowercase latin letters, digits and hyphens, e.g. eco-accord.")
    return None


def slug_from_titles(titles: Iterable[str]) -> str:
    """The slug of the first title that gives one ("Чистый воздух" → "chistyi-vozdukh"), or ''."""
    for title in titles:
        slug = slugify(title or "", max_length=MAX_SLUG_LENGTH, word_boundary=True)
        if slug:
            return slug
    return ""


def first_free_slug(base: str, taken: Callable[[str], bool]) -> str:
    """`base`, or `base-2`, `base-3`… : the first that `taken` says is free."""
    candidate, number = base, 2
    while taken(candidate):
        suffix = f"-{number}"
        candidate = base[:MAX_SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
        number += 1
    return candidate


def slug_taken(model: Any, slug: str, current_id: int | None = None) -> bool:
    """Whether another record of `model` than `current_id` has this slug."""
    query = select(model.id).where(model.slug == slug)
    if current_id is not None:
        query = query.where(model.id != current_id)
    return db.session.scalar(query.limit(1)) is not None


def made_slug(model: Any, titles: Iterable[str], *, current_id: int | None = None) -> str:
    """A free slug for a record of `model` (a class with `id` and `slug`) made from its titles;
    raise DomainError on the slug field when no title gives one."""
    base = slug_from_titles(titles)
    if not base:
        raise DomainError(_("Give a short name: none can be made from the title or name."),
                          field="slug")
    return first_free_slug(base, lambda slug: slug_taken(model, slug, current_id))


def with_slug(data: InputT, model: Any, titles: Iterable[str], current: Any | None) -> InputT:
    """The input with a slug made from `titles` when none was typed; `current` is the record
    being edited (its own slug does not count as taken), or None for a new one."""
    if data.slug:
        return data
    slug = made_slug(model, titles, current_id=current.id if current is not None else None)
    return replace(data, slug=slug)  # type: ignore[type-var]  # every InputT is a dataclass
