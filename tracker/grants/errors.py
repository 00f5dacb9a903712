"""Errors raised by the grants services, each shown next to the field it concerns."""

from __future__ import annotations

from tracker.errors import DomainError


class GrantError(DomainError):
    """A grant's rule refused the change (the message says which)."""


class NotAwarded(GrantError):
    """A grant opens only from an application the donor has awarded."""


class GrantExists(GrantError):
    """An application has one grant; an agreement reference names one grant."""


class BudgetDoesNotAddUp(GrantError):
    """An approved budget must add up to the awarded amount, to the minor unit."""


class SpendingRefused(GrantError):
    """An expenditure that cannot stand (wrong line, partner, date, rate or receipt)."""


class DuplicateDocument(SpendingRefused):
    """A partner's document number is already recorded against the grant."""


class TransferRefused(GrantError):
    """A tranche that cannot stand (wrong partner, amount, dates or rate)."""
