"""The synthetic coalition's pledges and payments: N pledges in mixed currencies, payments
for about half, each row with the stored conversions and status the services would store.

Pledges and payments are too many for the services: they are written in chunks by
`bulk_insert` (executemany on SQLite, pipelined chunks on PostgreSQL), each value through its
column's type. Their conversions come from money.services.RateBook, which converts as
the conversion rule does without a query per amount, and their paid amount, status and
unpaid rest from the drives service's own helpers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

from bench.coalition import PLEDGE_MEDIAN_USD, Coalition, DrivePlan
from bench.rates import RATED, UNRATED
from bench.rows import CHUNK, EventWriter, at, move_sequence, next_id
from tracker.bulk import bulk_insert
from tracker.db import table_of
from tracker.drives import services as drives
from tracker.drives.models import (
    PAYMENT_DRIVEN,
    Channel,
    Payment,
    Pledge,
    PledgeSource,
    PledgeStatus,
)
from tracker.extensions import db
from tracker.money.services import RateBook
from tracker.money.value import minor_units

FIRST_NAMES = ("Анна", "Мария", "Ольга", "Елена", "Айгуль", "Гульнара", "Нино", "Ани",
               "Иван", "Сергей", "Алексей", "Дмитрий", "Нурлан", "Азамат", "Давид", "Арман",
               "Anna", "Maria", "Olga", "Timur", "Dilnoza", "Sofia", "Andrei", "Rustam")
LAST_NAMES = ("Петрова", "Иванова", "Смирнова", "Ким", "Алиева", "Садыкова", "Беридзе",
              "Петров", "Иванов", "Кузнецов", "Сейткали", "Рахимов", "Гарибян", "Мельник",
              "Ceban", "Popescu", "Nazarova", "Karimov", "Shevchenko", "Abdullaeva")
PLEDGE_CHANNELS = (Channel.BANK_TRANSFER, Channel.CARD, Channel.CASH, Channel.ONLINE_PLATFORM,
                   Channel.OTHER)
PAYMENT_METHODS = (Channel.BANK_TRANSFER, Channel.CARD, Channel.CASH, Channel.ONLINE_PLATFORM)
PLEDGE_SPREAD = 1.0  # of the log-normal spread of pledge amounts around PLEDGE_MEDIAN_USD


def add_pledges(world: Coalition, pledge_count: int, progress: Callable[[int], Any]) -> None:
    """Every planned pledge, oldest first, with its payments, CHUNK pledges at a time."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        # A page cache big enough for the growing indexes (SQLite's default is 2 MB);
        # this connection's setting only.
        connection.exec_driver_sql("PRAGMA cache_size = -262144")
    pledge_table, payment_table = table_of(Pledge), table_of(Payment)
    events = EventWriter(connection)
    pledge_id, payment_id = next_id(pledge_table), next_id(payment_table)
    maker = PledgeMaker(world, RateBook.load((*RATED, *UNRATED)))
    pledges: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []

    def write() -> None:
        bulk_insert(connection, pledge_table, pledges)
        if payments:
            bulk_insert(connection, payment_table, payments)
        events.created(pledge_table, pledges)
        events.created(payment_table, payments)
        world.report.pledges += len(pledges)
        world.report.payments += len(payments)
        progress(len(pledges))

    for plan, pledged_on in _schedule(world):
        pledge, paid = maker.pledge(pledge_id, plan, pledged_on, payment_id)
        pledges.append(pledge)
        payments.extend(paid)
        pledge_id += 1
        payment_id += len(paid)
        if len(pledges) >= CHUNK:
            write()
            pledges, payments = [], []
    if pledges:
        write()
    move_sequence(pledge_table)
    move_sequence(payment_table)
    world.report.events += events.written
    # Fresh planner statistics, as autovacuum would gather them: without them the
    # roll-ups (and the first pages) plan the new million rows badly.
    connection.execute(text("ANALYZE"))


def _schedule(world: Coalition) -> Iterator[tuple[DrivePlan, date]]:
    """Every pledge's drive and date, oldest first (ids grow with time, as in life)."""
    rng, today = world.rng, world.today
    packed: list[int] = []
    for index, plan in enumerate(world.plans):
        first, last = plan.starts_on.toordinal(), today.toordinal()
        packed.extend(rng.randint(first, last) * 128 + index for _ in range(plan.count))
    packed.sort()
    for value in packed:
        yield world.plans[value % 128], date.fromordinal(value // 128)


class PledgeMaker:
    """One pledge row and its payments' rows, with every stored conversion and status."""

    def __init__(self, world: Coalition, book: RateBook) -> None:
        self.rng, self.today, self.book, self.user_id = world.rng, world.today, book, \
            world.user_id
        self.per_usd = {code: float(value) for code, value in world.per_usd.items()}

    def amount(self, currency: str) -> int:
        """A plausible amount in whole units of the currency (two significant digits).

        The float is only a random magnitude; the amount itself is an integer of minor units.
        """
        usd = min(5_000.0, max(2.0, self.rng.lognormvariate(math.log(PLEDGE_MEDIAN_USD),
                                                             PLEDGE_SPREAD)))
        whole = max(1, int(float(f"{usd * self.per_usd[currency]:.2g}")))
        return whole * 10 ** minor_units(currency)

    def pledge(self, pledge_id: int, plan: DrivePlan, pledged_on: date, payment_id: int
               ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A pledge to the planned drive on the date, and its payments, as rows."""
        rng, convert = self.rng, self.book.converted
        roll = rng.random()
        if roll < 0.0005:
            currency = rng.choice(UNRATED)
        elif roll < 0.75:
            currency = plan.currency
        else:
            currency = rng.choice(("USD", "EUR", "RUB", "KZT", "RUB", "EUR", "KGS", "UAH"))
        amount = self.amount(currency)
        anonymous = rng.random() < 0.15
        name = "" if anonymous else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        recent = (self.today - pledged_on).days < 14
        status, source, reason = PledgeStatus.PLEDGED, PledgeSource.STAFF, ""
        pays: list[tuple[int, str, date]] = []  # (minor, currency, paid on)
        roll = rng.random()
        if recent and roll < 0.05:
            status, source = PledgeStatus.UNCONFIRMED, PledgeSource.PUBLIC_FORM
        elif roll < 0.003:
            status, source = PledgeStatus.REJECTED, PledgeSource.PUBLIC_FORM
            reason = "Duplicate of an earlier pledge"
        elif roll < 0.023:
            status, reason = PledgeStatus.CANCELLED, "The pledger withdrew the pledge"
        elif roll < 0.043:
            status, reason = PledgeStatus.WRITTEN_OFF, "No answer after three reminders"
            if rng.random() < 0.4:
                pays.append(self._payment(amount // 2 or 1, currency, pledged_on))
        elif currency in UNRATED:
            pass  # waits for a rate: nobody chases a payment they cannot count
        elif roll < 0.453:
            pays += self._full(amount, currency, pledged_on)
        elif roll < 0.553:
            part = amount * rng.randint(20, 80) // 100 or 1
            pays.append(self._payment(part, currency, pledged_on))
        if source is PledgeSource.STAFF and rng.random() < 0.2:
            source = PledgeSource.IMPORT
        converted_pledge = convert(amount, currency, plan.currency, pledged_on)
        created_at = at(pledged_on, rng)
        row: dict[str, Any] = {
            "id": pledge_id, "drive_id": plan.id, "pledger_name": name,
            "is_anonymous": anonymous,
            "contact_email": f"supporter{pledge_id}@example.org" if rng.random() < 0.4 else "",
            "amount_minor": amount, "currency": currency, "pledged_on": pledged_on,
            "status": status, "status_reason": reason,
            "channel": rng.choice(PLEDGE_CHANNELS),
            "external_reference": f"BENCH-{pledge_id}" if source is PledgeSource.IMPORT else None,
            "note": "", "message": "Good luck!" if source is PledgeSource.PUBLIC_FORM else "",
            "source": source,
            "logged_by_id": self.user_id if source is PledgeSource.STAFF else None,
            "paid_minor": 0, "drive_amount_minor": converted_pledge.minor,
            "drive_amount_currency": plan.currency, "drive_rate": converted_pledge.rate,
            "drive_rate_on": converted_pledge.rate_on, "unpaid_drive_minor": None,
            "version": 1, "created_at": created_at, "updated_at": created_at,
            # The page's language of public pledges, and when a lead confirmed them.
            "language": (("en", "ru")[pledge_id % 2]
                         if source is PledgeSource.PUBLIC_FORM else None),
            "confirmed_at": (created_at if source is PledgeSource.PUBLIC_FORM
                             and status is not PledgeStatus.UNCONFIRMED else None),
        }
        payments = []
        for offset, (minor, pay_currency, paid_on) in enumerate(pays):
            to_pledge = convert(minor, pay_currency, currency, paid_on)
            to_drive = convert(minor, pay_currency, plan.currency, paid_on)
            paid_at = max(at(paid_on, rng), created_at)
            payments.append({
                "id": payment_id + offset, "pledge_id": pledge_id, "drive_id": plan.id,
                "amount_minor": minor,
                "currency": pay_currency, "paid_on": paid_on,
                "method": rng.choice(PAYMENT_METHODS), "reference": "", "note": "",
                "gave_more_reason": "",
                "logged_by_id": self.user_id,
                "pledge_amount_minor": to_pledge.minor, "pledge_amount_currency": currency,
                "pledge_rate": to_pledge.rate, "pledge_rate_on": to_pledge.rate_on,
                "drive_amount_minor": to_drive.minor, "drive_amount_currency": plan.currency,
                "drive_rate": to_drive.rate, "drive_rate_on": to_drive.rate_on,
                "created_at": paid_at, "updated_at": paid_at,
            })
            row["updated_at"] = max(row["updated_at"], paid_at)
        _settle(row, payments)
        return row, payments

    def _payment(self, minor: int, currency: str, after: date) -> tuple[int, str, date]:
        paid_on = min(self.today, after + timedelta(days=self.rng.randint(0, 45)))
        return minor, currency, paid_on

    def _full(self, amount: int, currency: str, pledged_on: date) -> list[tuple[int, str, date]]:
        """The whole pledge paid: at once, in two instalments, or in another currency."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            first = amount * rng.randint(30, 70) // 100 or 1
            one = self._payment(first, currency, pledged_on)
            two = self._payment(amount - first, currency, one[2]) if amount > first else None
            return [one] + ([two] if two else [])
        if roll < 0.25:
            other = rng.choice([code for code in ("USD", "EUR", "RUB") if code != currency])
            paid_on = min(self.today, pledged_on + timedelta(days=rng.randint(0, 45)))
            equivalent = self.book.converted(amount, currency, other, paid_on).minor
            if equivalent:  # someone pays the equivalent in another currency
                return [(equivalent, other, paid_on)]
        return [self._payment(amount, currency, pledged_on)]


def _settle(pledge: dict[str, Any], payments: list[dict[str, Any]]) -> None:
    """What the drives service stores when it settles a pledge: paid amount, status, and
    the unpaid rest in the drive's currency."""
    view = SimpleNamespace(**pledge)
    view.paid_minor = sum(p["pledge_amount_minor"] or 0 for p in payments)
    unconverted = any(p["pledge_amount_minor"] is None for p in payments)
    if view.status in PAYMENT_DRIVEN:
        # A row as a stand-in for the Pledge: the rule reads only these attributes.
        # Type check: a row stands in for the Pledge (the rule reads only these).
        view.status = drives.status_from_payments(view)  # type: ignore[arg-type]
    pledge["paid_minor"] = view.paid_minor
    pledge["status"] = view.status
    pledge["unpaid_drive_minor"] = drives.unpaid_in_drive_currency(
        view, unconverted)  # type: ignore[arg-type]  # the same stand-in
