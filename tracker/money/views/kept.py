"""The money lists' rendered parts, kept for as long as what they show holds (issue 15).

Rendering was most of `/rates` and `/currencies`: fifty rates each formatted by Babel, a filter
form whose currency list names every ISO 4217 currency, and two latest rates a currency. Each
part is kept (tracker.fragments) under a key made of exactly what it shows, as read in this
request:

- the rates' table: the language and each shown rate's date, pair, rate and source, read from
  the database for the page anyway. A rate changed or deleted in any way, even by plain SQL
  that no hook sees, changes the key.
- the rates' filter form: the language, the application's root (its links), the currencies
  the select offers first (tracker.forms.coalition_currencies, read for the request), each
  field's value as it is shown and its errors, and whether a filter applies (the "Clear" link).
- the rates' page links: the language, the root, the page, its size, the count (and whether
  counting stopped at its cap) and the filters the links carry.
- a currency's row: the language, the root, its code and decimals and each anchor's latest
  rate, date and direction.

A kept part can thus never show a stale value; keeping only saves rendering HTML identical to
what was rendered before. Kept in memory per process.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from functools import partial
from typing import Any

from flask import render_template, request
from markupsafe import Markup

from tracker.forms import coalition_currencies
from tracker.fragments import KeptFragments, digest, kept, kept_each, kept_store
from tracker.i18n import currency_name, current_language
from tracker.money.forms import RateFilterForm
from tracker.money.models import ExchangeRate
from tracker.money.rates import CurrencyRow
from tracker.paging import Page

RATE_ROWS_TEMPLATE = "money/_rate_rows.html"
RATE_FILTERS_TEMPLATE = "money/_rate_filters.html"
RATE_PAGER_TEMPLATE = "money/_rate_pager.html"
CURRENCY_ROW_TEMPLATE = "money/_currency_row.html"
# Stores, and how many parts each keeps: pages of rates in both languages, the filters people
# try, every ISO 4217 currency in both languages with room for rates changed since.
STORES = {"tracker.money.rate_rows": 512, "tracker.money.rate_filters": 256,
          "tracker.money.currency_rows": 1_024}
RATE_ROWS, RATE_FILTERS, CURRENCY_ROWS = STORES


def _store(name: str) -> KeptFragments[Markup]:
    return kept_store(name, STORES[name])


def clear_kept() -> None:
    """Forget every kept money part (as a new process would start)."""
    for name in STORES:
        _store(name).clear()


def rate_rows(rates: Sequence[ExchangeRate]) -> Markup:
    """The rows of the rates' table for this page, rendered or kept."""
    language = current_language()
    key = digest(language, [(rate.on_date, rate.base, rate.quote, rate.rate, rate.source)
                            for rate in rates])
    return kept(_store(RATE_ROWS), lambda: key,
                lambda: Markup(render_template(RATE_ROWS_TEMPLATE, rates=rates)))


def rate_pager(pagination: Page[ExchangeRate], filters: dict[str, Any]) -> Markup:
    """The rates' page links, rendered or kept."""
    key = (current_language(), request.script_root, pagination.page, pagination.per_page,
           pagination.total, pagination.more, tuple(sorted(filters.items())))
    return kept(_store(RATE_FILTERS), lambda: key, lambda: Markup(render_template(
        RATE_PAGER_TEMPLATE, pagination=pagination, filters=filters)))


def _shown(field: Any) -> tuple[Any, ...]:
    """What a filter field shows: its value (as read, and as typed) and its errors."""
    return (field.name, field.data, tuple(field.raw_data or ()),
            tuple(str(error) for error in field.errors))


def rate_filters(form: RateFilterForm, filters: dict[str, Any]) -> Markup:
    """The rates' filter form, rendered or kept."""
    key = digest(current_language(), request.script_root, tuple(coalition_currencies()),
                 bool(filters), *(_shown(form[name]) for name in ("currency", "date_from",
                                                                   "date_to")))
    return kept(_store(RATE_FILTERS), lambda: key,
                lambda: Markup(render_template(RATE_FILTERS_TEMPLATE, form=form,
                                               filters=filters)))


def currency_key(row: CurrencyRow, anchors: Sequence[str], language: str,
                 root: str) -> Hashable:
    """Everything templates/money/_currency_row.html shows, as one hashable value."""
    return (language, root, row.code, row.minor_units, tuple(anchors),
            tuple((anchor, latest.per_anchor, latest.on_date, latest.inverse)
                  if (latest := row.against.get(anchor)) is not None else (anchor,)
                  for anchor in anchors))


def currency_rows(rows: Iterable[CurrencyRow], anchors: Sequence[str]) -> list[Markup]:
    """Each currency's table row, rendered or kept."""
    return kept_each(_store(CURRENCY_ROWS), rows,
                     partial(currency_key, anchors=tuple(anchors), language=current_language(),
                             root=request.script_root),
                     partial(_render_currency, anchors=anchors))


def _render_currency(row: CurrencyRow, anchors: Sequence[str]) -> Markup:
    return Markup(render_template(CURRENCY_ROW_TEMPLATE, currency=row, anchors=anchors,
                                  currency_name=currency_name))
