"""The money area's services, as other areas import them.

The conversion rule lives in tracker.money.conversion (its top comment states it),
rates are recorded and listed by tracker.money.rates, and a rates file is imported by
tracker.money.rates_import; this module only gathers their public names.
"""

from __future__ import annotations

from tracker.csvfiles import RowError, size_label
from tracker.money.conversion import (
    NOT_CONVERTED,
    PIVOTS,
    Conversion,
    Converted,
    ConvertedTotal,
    DatedSum,
    Leg,
    MissingPair,
    RateBook,
    RateMissing,
    RatePath,
    add_converted,
    apply_rate,
    convert,
    converted,
    cross_rate,
    find_path,
    inverse,
    path_on,
    rate_on,
    storable_rate,
    stored_path,
)
from tracker.money.rates import (
    MAX_RATE,
    MAX_RATE_DIGITS,
    MAX_SOURCE_LENGTH,
    RATE_ANCHORS,
    RATES_PER_PAGE,
    CurrencyRow,
    LatestRate,
    add_rate,
    check_rate_input,
    find_rate,
    latest_rates_against,
    list_currencies,
    list_rates,
    rate_problem,
    source_problem,
)
from tracker.money.rates_import import CSV_HEADER, ImportResult, RatesImportError, import_rates_csv

__all__ = [
    "CSV_HEADER", "MAX_RATE", "MAX_RATE_DIGITS", "MAX_SOURCE_LENGTH", "NOT_CONVERTED",
    "PIVOTS", "RATES_PER_PAGE", "RATE_ANCHORS", "Conversion", "Converted", "ConvertedTotal",
    "CurrencyRow", "DatedSum", "ImportResult", "LatestRate", "Leg", "MissingPair", "RateBook",
    "RateMissing", "RatePath", "RatesImportError", "RowError", "add_converted", "add_rate",
    "apply_rate", "check_rate_input", "convert", "converted", "cross_rate", "find_path",
    "find_rate", "import_rates_csv", "inverse", "latest_rates_against", "list_currencies",
    "list_rates", "path_on", "rate_on", "rate_problem", "size_label", "source_problem",
    "storable_rate", "stored_path",
]
