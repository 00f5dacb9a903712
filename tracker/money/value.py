"""Money as a value: an exact Decimal amount in one ISO 4217 currency, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import cast

from tracker.money.iso4217 import MINOR_UNITS

# The one rounding rule: an amount that must fit a currency's minor unit (after a
# conversion, or a quantity times a unit cost) is rounded half away from zero.
ROUNDING = ROUND_HALF_UP

# Anything above this is a typing slip, not a grant: 10**13 in major units still
# fits a BIGINT of minor units even for three-decimal currencies.
MAX_AMOUNT = Decimal("1000000000000")


class MoneyError(ValueError):
    """Base of the money domain errors."""


class UnknownCurrency(MoneyError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Unknown currency: {code!r}")
        self.code = code


class CurrencyMismatch(MoneyError):
    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"Cannot combine {left} with {right} without a dated exchange rate")
        self.left, self.right = left, right


class TooManyDecimals(MoneyError):
    def __init__(self, amount: Decimal, currency: str) -> None:
        super().__init__(f"{amount} has more decimals than {currency} allows")


def minor_units(currency: str) -> int:
    """How many decimals the currency has (2 for EUR, 0 for JPY, 3 for KWD)."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise UnknownCurrency(currency) from None


@cache  # a few thousand amounts a page: one Decimal per currency
def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency, as a Decimal exponent (Decimal('0.01') for EUR)."""
    return Decimal(1).scaleb(-minor_units(currency))


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Adding two currencies raises CurrencyMismatch."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise TypeError("Money refuses floats; pass a Decimal or a string")
        try:
            amount = Decimal(self.amount)
        except InvalidOperation:
            raise MoneyError(f"Not an amount: {self.amount!r}") from None
        step = quantum(self.currency)
        if amount != amount.quantize(step, rounding=ROUNDING):
            raise TooManyDecimals(amount, self.currency)
        object.__setattr__(self, "amount", amount.quantize(step))

    @classmethod
    def from_minor(cls, minor: int | None, currency: str | None) -> Money | None:
        """Build from stored minor units (the composite constructor for models)."""
        if minor is None or currency is None:
            return None
        if type(minor) is not int:  # a bool or a Decimal: the constructor checks it
            return cls(Decimal(minor).scaleb(-minor_units(currency)), currency)
        return cls._exact(Decimal(minor).scaleb(-minor_units(currency)), currency)

    @classmethod
    def _exact(cls, amount: Decimal, currency: str) -> Money:
        """An amount already at the currency's exponent (scaled from minor units, or just
        quantized to it), without the constructor's checks, which it passes by construction:
        a page of roll-ups builds thousands of these."""
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def stored(cls, minor: int, currency: str) -> Money:
        """The composite constructor of a required (NOT NULL) amount, typed as never None.

        A stored row always has both columns; only a half-built new object could pass
        None, and then it gets None back, as from `from_minor`.
        """
        return cast(Money, cls.from_minor(minor, currency))

    @classmethod
    def rounded(cls, amount: Decimal, currency: str) -> Money:
        """Round an exact result (a conversion, a product) to the currency by the one rule."""
        result = Decimal(amount).quantize(quantum(currency), rounding=ROUNDING)
        # A NaN survives quantize: the constructor refuses it, as it always did.
        return cls._exact(result, currency) if result.is_finite() else cls(result, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @property
    def minor(self) -> int:
        """The amount in minor units: what the database stores."""
        return int(self.amount.scaleb(minor_units(self.currency)))

    def __composite_values__(self) -> tuple[int, str]:
        return self.minor, self.currency

    def _check(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)
        return other

    def __add__(self, other: Money) -> Money:
        other = self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        other = self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._check(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._check(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._check(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._check(other).amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
