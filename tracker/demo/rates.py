"""The demo's exchange rates (rates.toml): made up, marked "Demo data (approximate)".

Each rate is looked up first, so loading twice adds nothing. The drives demo adds two
cross rates derived from these (`cross_rates`), for the currencies its pledges come in.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from tracker.demo.files import read
from tracker.demo.report import SeedReport
from tracker.money.services import add_rate, find_rate

_RATES = read("rates")
RATE_SOURCE: str = _RATES["source"]
RATE_DATES: tuple[date, ...] = tuple(_RATES["dates"])
# Units of each currency per US dollar on RATE_DATES (EUR is quoted the usual way,
# US dollars per euro).
USD_RATES: dict[str, tuple[str, ...]] = {
    code: tuple(values) for code, values in _RATES["per_usd"].items()}
EUR_USD: tuple[str, ...] = tuple(_RATES["eur_usd"])


def load_rates(report: SeedReport) -> None:
    """Add the demo rates that are missing: EUR→USD, then USD→each currency, by date."""
    pairs = [("EUR", "USD", EUR_USD)]
    pairs += [("USD", quote, values) for quote, values in USD_RATES.items()]
    for base, quote, values in pairs:
        for on_date, value in zip(RATE_DATES, values, strict=True):
            if find_rate(base, quote, on_date) is None:
                add_rate(on_date, base, quote, Decimal(value), RATE_SOURCE)
                report.rates += 1


def cross_rates() -> list[tuple[str, str, date, Decimal]]:
    """RUB→KZT and EUR→RUB on the demo's rate dates, derived from its dollar rates."""
    rates = []
    for index, on_date in enumerate(RATE_DATES):
        usd_rub = Decimal(USD_RATES["RUB"][index])
        usd_kzt = Decimal(USD_RATES["KZT"][index])
        eur_usd = Decimal(EUR_USD[index])
        rates.append(("RUB", "KZT", on_date,
                      (usd_kzt / usd_rub).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)))
        rates.append(("EUR", "RUB", on_date,
                      (eur_usd * usd_rub).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)))
    return rates
