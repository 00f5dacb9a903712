"""Money already received, in a pledge file: the payment columns, the status and the
anonymous flag, and how the pledges they pay are settled.

A row may carry one payment of its pledge (`paid_amount`, `paid_currency` defaulting to
the pledge's, `paid_on` to the pledge's date, `paid_method` to the import's channel); a
pledge paid several times has one further row per further payment, with the same
reference and the pledge's own columns (date, amount, currency) left empty. This keeps
every payment's currency and date, and so its conversion, exactly: a sum with the latest
date would convert at another rate and change the totals.

Payments are converted as drives.conversion.convert_payment converts them (the one rule,
through money.conversion.RateBook), and a pledge is settled as drives.pledges.settle_pledge
settles it: its payments summed per currency and date, each sum converted into the
pledge's currency (add_converted); the status and the unpaid rest by the service's own
helpers. A pledge's paid amount may not exceed the pledge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, NamedTuple

from flask_babel import gettext as _

from tracker.drives.models import PAYMENT_DRIVEN, Channel, PledgeStatus
from tracker.drives.pledges import status_from_payments, unpaid_in_drive_currency
from tracker.money.conversion import DatedSum, RateBook, add_converted
from tracker.tabular import cell_text

# Statuses a file may give a pledge; the payment-driven ones follow from its payments.
STATUS_VALUES = {status.value: status for status in PledgeStatus}
# A pledge in these statuses takes no payment, in a file as on a screen.
NO_PAYMENTS = frozenset({PledgeStatus.UNCONFIRMED, PledgeStatus.REJECTED})
METHOD_VALUES = {channel.value: channel for channel in Channel}
YES = frozenset({"yes", "y", "true", "1", "да", "д", "x"})
NO = frozenset({"no", "n", "false", "0", "нет", "н", ""})


class CheckedPayment(NamedTuple):
    """A checked payment, converted into its pledge's and the drive's currency."""

    row: int
    reference: str
    pledge_currency: str
    amount_minor: int
    currency: str
    paid_on: date
    method: Channel | None  # None: the import's channel
    pledge_minor: int | None
    pledge_rate: Decimal | None
    pledge_rate_on: date | None
    drive_minor: int | None
    drive_rate: Decimal | None
    drive_rate_on: date | None


class Settlement(NamedTuple):
    """What settling a new pledge stores: its paid amount, status and unpaid rest."""

    reference: str
    paid_minor: int
    status: PledgeStatus
    unpaid_drive_minor: int | None


@dataclass(frozen=True)
class PaidFields:
    """A row's payment as read: minor units, currency, date, method (None: the channel's)."""

    minor: int
    currency: str
    paid_on: date
    method: Channel | None


@dataclass
class FilePledge:
    """What the rest of the file needs to know of a pledge it holds (one per reference)."""

    row: int
    valid: bool = False
    is_new: bool = False
    currency: str = ""
    amount_minor: int = 0
    pledged_on: date | None = None
    status: PledgeStatus | None = None  # as the file gives it; None: from the payments
    drive_currency: str = ""
    drive_minor: int | None = None
    drive_rate: Decimal | None = None
    sums: dict[tuple[str, date], int] = field(default_factory=dict)

    def add(self, paid: PaidFields) -> None:
        key = (paid.currency, paid.paid_on)
        self.sums[key] = self.sums.get(key, 0) + paid.minor

    def settled(self, book: RateBook) -> tuple[int, PledgeStatus, bool]:
        """Paid amount in the pledge's currency, status, and whether a payment lacks a rate."""
        total = add_converted([DatedSum(currency, on, minor) for (currency, on), minor
                               in self.sums.items()], self.currency, book)
        view = SimpleNamespace(amount_minor=self.amount_minor, paid_minor=total.money.minor)
        status = self.status or PledgeStatus.PLEDGED
        if status in PAYMENT_DRIVEN:
            # Type check: a row stands in for the Pledge (the rule reads only these).
            status = status_from_payments(view)  # type: ignore[arg-type]
        return total.money.minor, status, total.unconverted > 0

    def settlement(self, reference: str, book: RateBook) -> Settlement:
        paid, status, unconverted = self.settled(book)
        view = SimpleNamespace(amount_minor=self.amount_minor, paid_minor=paid,
                               currency=self.currency, drive_rate=self.drive_rate,
                               drive_amount_minor=self.drive_minor,
                               drive_amount_currency=self.drive_currency)
        return Settlement(reference, paid, status,
                          # Type check: a row stands in for the Pledge (the rule reads only these).
                          unpaid_in_drive_currency(view, unconverted))  # type: ignore[arg-type]


def settlements(pledges: dict[str, FilePledge], book: RateBook) -> Iterator[Settlement]:
    """How each new pledge of the file that has payments is settled."""
    for reference, pledge in pledges.items():
        if pledge.is_new and pledge.sums:
            yield pledge.settlement(reference, book)


def read_status(value: Any, reasons: list[str]) -> PledgeStatus | None:
    """The status a row gives its pledge; None when it is left to the payments."""
    text = cell_text(value).casefold().replace(" ", "_")
    if not text:
        return None
    status = STATUS_VALUES.get(text)
    if status is None:
        reasons.append(_("“%(value)s” is not a pledge status; the statuses are %(values)s.",
                         value=cell_text(value)[:40], values=", ".join(STATUS_VALUES)))
        return None
    return None if status in PAYMENT_DRIVEN else status


def read_method(value: Any, reasons: list[str]) -> Channel | None:
    """The payment method a row gives; None when it is left to the import's channel."""
    text = cell_text(value).casefold().replace(" ", "_")
    if not text:
        return None
    method = METHOD_VALUES.get(text)
    if method is None:
        reasons.append(_("“%(value)s” is not a payment method; the methods are %(values)s.",
                         value=cell_text(value)[:40], values=", ".join(METHOD_VALUES)))
    return method


def read_anonymous(value: Any, reasons: list[str]) -> bool:
    """Whether a named pledger stays anonymous on public pages (yes/no, да/нет, 1/0)."""
    if isinstance(value, bool):
        return value
    text = cell_text(value).casefold()
    if text in YES:
        return True
    if text not in NO:
        reasons.append(_("“%(value)s” in the column anonymous is neither yes nor no.",
                         value=text[:40]))
    return False
