"""Domain errors: raised by services, shown by views next to the field they concern."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """A rule refused the change; `message` is in the user's language, `field` names the input."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """The record asked for does not exist; a view that lets it through answers 404."""


def found(record: T | None, message: str = "") -> T:
    """The record, or NotFound: how services' `get_…` functions fetch what a URL names."""
    if record is None:
        raise NotFound(message or "not found")
    return record
