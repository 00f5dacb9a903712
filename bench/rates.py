"""The synthetic coalition's exchange rates: weekday rates for every pair of its currencies
over the two years the pledges span, written in chunks."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Any

from bench.coalition import PLEDGE_DAYS, Coalition
from bench.rows import EventWriter, next_id, write_in_chunks
from tracker.db import table_of, utcnow
from tracker.extensions import db
from tracker.money.models import ExchangeRate

RATE_SOURCE = "Synthetic benchmark rates"
RATE_DAYS = PLEDGE_DAYS + 40  # rates start a little before the oldest drive
# Units of each currency per US dollar on the first day; every pair of these gets rates.
# Ordered from the most to the least valuable: each pair is stored once, as the earlier
# currency to the later one (a rate above 1), so the other direction is an inverse.
START_PER_USD: dict[str, str] = {
    "EUR": "0.92", "USD": "1", "AZN": "1.70", "GEL": "2.70", "BYN": "3.25", "TJS": "10.9",
    "MDL": "17.8", "UAH": "40.5", "KGS": "87.5", "RUB": "90.5", "AMD": "390", "KZT": "470",
    "UZS": "12600",
}
RATED = tuple(START_PER_USD)
# Currencies some pledges come in that have no rate at all: their conversions stay missing.
UNRATED = ("GBP", "CHF")
# Only roughly: what a pledge in a currency without rates would be worth in dollars.
UNRATED_PER_USD = {"GBP": Decimal("0.79"), "CHF": Decimal("0.88")}


def significant(value: Decimal, digits: int) -> Decimal:
    """The value rounded to this many significant digits."""
    with localcontext() as ctx:
        ctx.prec = digits
        return +value


def rate_rows(first_day: date, last_day: date, rng: random.Random
              ) -> tuple[list[dict[str, Any]], dict[str, Decimal]]:
    """Weekday rates for every pair of RATED currencies, and each one's units per dollar today.

    Each currency walks randomly against the dollar; a pair's rate is the ratio of the
    two, to six significant digits, stored once (the more valuable currency as base).
    """
    per_usd = {code: Decimal(value) for code, value in START_PER_USD.items()}
    rows: list[dict[str, Any]] = []
    day = first_day
    while day <= last_day:
        for code in RATED:
            if code != "USD":
                step = Decimal(rng.randint(-40, 40)) / 10_000
                per_usd[code] = significant(per_usd[code] * (1 + step), 6)
        if day.weekday() < 5:  # no rates at weekends: those days use Friday's
            for i, base in enumerate(RATED):
                for quote in RATED[i + 1:]:
                    rate = significant(per_usd[quote] / per_usd[base], 6)
                    rows.append({"on_date": day, "base": base, "quote": quote,
                                 "rate": rate, "source": RATE_SOURCE})
        day += timedelta(days=1)
    return rows, dict(per_usd)


def add_rates(world: Coalition) -> None:
    """Write the rates, and keep each currency's units per dollar for amounts and goals."""
    rows, per_usd = rate_rows(world.today - timedelta(days=RATE_DAYS), world.today, world.rng)
    world.per_usd = {**per_usd, **UNRATED_PER_USD}
    connection = db.session.connection()
    table = table_of(ExchangeRate)
    events = EventWriter(connection)
    first_id = next_id(table)
    now = utcnow()
    for number, row in enumerate(rows):
        row.update(id=first_id + number, created_at=now)
    write_in_chunks(connection, events, table, rows)
    world.report.rates = len(rows)
    world.report.events += events.written
