"""The one check of a typed money amount, with its messages, for forms, services and imports."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from tracker.errors import DomainError
from tracker.money.value import MAX_AMOUNT, Money, MoneyError, UnknownCurrency, minor_units


def amount_problem(amount: Decimal | None, currency: str | None, *,
                   allow_zero: bool = False) -> str | None:
    """Why the amount cannot be money in the currency, in the user's language, or None.

    An unknown currency is not the amount's problem: the currency's own check names it.
    """
    if amount is None or not amount.is_finite():
        return _("Enter a number, e.g. 1500 or 1 500,50.")
    if amount < 0 or (amount == 0 and not allow_zero):
        return _("The amount must be greater than zero.")
    if amount > MAX_AMOUNT:
        return _("This amount is implausibly large; check the digits.")
    if not currency:
        return None
    try:
        places = minor_units(currency)
    except UnknownCurrency:
        return None
    if -int(amount.as_tuple().exponent) > places:
        return _("%(currency)s allows at most %(places)s decimal places.",
                 currency=currency, places=places)
    return None


def currency_problem(currency: str | None) -> str | None:
    """Why the code is not a known ISO 4217 currency, or None."""
    try:
        minor_units(currency or "")
    except MoneyError:
        return _("Choose a known currency (ISO 4217 code).")
    return None


def checked_money(amount: Decimal | None, currency: str, *, field: str = "amount",
                  allow_zero: bool = False) -> Money:
    """The amount as Money, or a DomainError naming the field (`currency` for the currency)."""
    problem = currency_problem(currency)
    if problem:
        raise DomainError(problem, field="currency")
    problem = amount_problem(amount, currency, allow_zero=allow_zero)
    if problem:
        raise DomainError(problem, field=field)
    assert amount is not None  # amount_problem refuses None
    return Money(amount, currency)
