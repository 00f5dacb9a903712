"""The dashboard's figures built from the rows its state already read, each campaign's line
kept for as long as its row reads the same (issue 15).

The funding sections are kept whole (tracker.dashboard.sections), but a pledge anywhere
changes their key, so under a steady trickle of pledges almost every dashboard rendered
them anew: 200 campaigns and their roll-ups loaded through the ORM, about 1,000 amounts
built and converted, 1,600 added up, some 60 ms a time, to change one campaign's row.

The dashboard's one statement of keys (tracker.dashboard.state) already reads every
campaign's roll-up row, every column of it, and the grants' dated sums. Here:

- each campaign's line (its figures in its own currency and as shown) is built from its
  row of that statement and kept under the row itself, the reporting currency, today and
  the rates' stored version: everything the line is made of. A pledge changes one row, so
  one line is built anew and the rest are taken as kept;
- the grants' spending is built from the statement's dated sums, kept under those sums,
  the rates' version, today, the reporting currency and the currency of each campaign
  with a grant;
- only what is built anew needs the rates, read then in one statement.

A campaign without a roll-up row has its figures computed from its pledges (the sections
are then not kept either), and its line is not kept. Kept in memory per process, as every
kept fragment is (tracker.fragments).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from tracker.dashboard.services import (
    CampaignHead,
    CampaignLine,
    DashboardFigures,
    in_reporting_currency,
)
from tracker.dashboard.state import DashboardState, column_at
from tracker.fragments import KeptFragments, digest, kept_store
from tracker.funding.services import Gap, compute_gap
from tracker.grants.services import (
    CampaignSpending,
    SpendingSums,
    dated_sums,
    shown_at,
    spending_in,
    spending_total,
)
from tracker.money.conversion import MissingPair, RateBook
from tracker.money.value import Money

# Every campaign's line in a few reporting currencies, with room for the next version's.
LINES_KEPT = 4_096
SPENDING_KEPT = 16


@cache
def _at() -> dict[str, int]:
    """Where each column the lines are built from stands in a campaign's row."""
    names = ("id", "slug", "title_en", "title_ru", "campaign_id", "currency", "target_minor",
             "awarded_minor", "received_minor", "pledged_minor", "pipeline_minor",
             "unconverted", "missing")
    return {name: column_at(0, name) for name in names}


def _own_gap(row: Sequence[Any]) -> Gap:
    """A campaign's figures in its own currency, from its roll-up columns as read (text)."""
    at = _at()
    currency = row[at["currency"]]

    def money(name: str) -> Money:
        return Money.stored(int(row[at[name]]), currency)

    target = row[at["target_minor"]]
    return Gap(
        currency=currency,
        target=None if target is None else Money.stored(int(target), currency),
        awarded=money("awarded_minor"), received=money("received_minor"),
        pledged=money("pledged_minor"), pipeline=money("pipeline_minor"),
        unconverted=int(row[at["unconverted"]]),
        missing=tuple(MissingPair(date.fromisoformat(on), base, quote)
                      for base, quote, on in json.loads(row[at["missing"]] or "[]") or ()),
    )


def _head(row: Sequence[Any]) -> CampaignHead:
    at = _at()
    return CampaignHead(row[at["title_en"]], row[at["title_ru"]], int(row[at["id"]]),
                        row[at["slug"]])


def _book(codes: set[str], today: date, every_rate: bool) -> RateBook:
    """The rates for these currencies: every one (spending converts each amount at its own
    date), or only the latest to today of each pair (the rows convert at today's rate)."""
    return RateBook.load(codes) if every_rate else RateBook.for_day(codes, today)


def campaign_lines(state: DashboardState, currency: str,
                   book_for: Callable[[set[str]], RateBook]) -> list[CampaignLine]:
    """Each shown campaign's line as shown in `currency`: kept while its row (and the rates,
    today) read the same, else built and converted with the book `book_for(codes)` gives."""
    at = _at()
    store: KeptFragments[CampaignLine] = kept_store("tracker.dashboard.lines", LINES_KEPT)
    rates = tuple(state.rates)
    # A campaign without a roll-up row (its figures computed live) has no key: not kept.
    keys: list[Hashable | None] = [
        (row, currency, state.today, rates) if row[at["campaign_id"]] is not None else None
        for row in state.campaigns]
    lines: list[CampaignLine | None] = [None if key is None else store.get(key)
                                        for key in keys]
    todo = [n for n, line in enumerate(lines) if line is None]
    if todo:
        own = []
        for n in todo:
            row = state.campaigns[n]
            head = _head(row)
            own.append(CampaignLine(head, _own_gap(row) if keys[n] is not None
                                    else compute_gap(head.id)))
        book = book_for({currency, *(line.gap.currency for line in own)})
        for n, line in zip(todo, in_reporting_currency(own, currency, state.today, book),
                           strict=True):
            lines[n] = line
            if (key := keys[n]) is not None:
                store.put(key, line)
    return [line for line in lines if line is not None]


def _spending(state: DashboardState, lines: list[CampaignLine], currency: str,
              book_for: Callable[[set[str]], RateBook]) -> dict[int, CampaignSpending]:
    """Each shown campaign's grant spending as its row shows it, kept while the sums, the
    rates, today and the currencies they convert into read the same."""
    awarded = dated_sums(row[1:6] for row in state.awarded)
    if not awarded:
        return {}  # no campaign has a grant, so nothing was spent
    shown = {line.campaign.id: line for line in lines if line.campaign.id in awarded}
    key = digest("spending", state.awarded, state.spent, state.rates, state.today, currency,
                 sorted((campaign_id, line.gap.currency, line.path.rate if line.path else None,
                         line.shown is None) for campaign_id, line in shown.items()))
    store: KeptFragments[dict[int, CampaignSpending]] = kept_store(
        "tracker.dashboard.spending", SPENDING_KEPT)
    found = store.get(key)
    if found is not None:
        return found
    sums = SpendingSums(awarded, dated_sums(row[1:6] for row in state.spent)).of(shown)
    codes = {currency, *sums.currencies, *(line.gap.currency for line in shown.values())}
    own = spending_in(sums, {k: line.gap.currency for k, line in shown.items()},
                      book_for(codes))
    spending = {}
    for campaign_id, line in shown.items():
        figures = own.get(campaign_id)
        if figures is None or line.shown is None:
            continue
        rate = line.path.rate if line.path is not None else Decimal(1)
        spending[campaign_id] = shown_at(figures, rate, currency)
    store.put(key, spending)
    return spending


def dashboard_figures(state: DashboardState, currency: str) -> DashboardFigures:
    """The dashboard's campaign lines and grant spending, as the state read them.

    A campaign's spending is shown as its row is: in the campaign's currency by the one
    rule (each amount at its own date), then at the row's rate into the reporting
    currency; a row without a rate shows no converted spending either.
    """
    every_rate = bool(state.awarded)
    at = _at()
    # Every currency the lines and the spending could convert, read in one statement, and
    # only if something is built anew (a campaign without a roll-up adds its own).
    codes = {currency, *(row[at["currency"]] for row in state.campaigns
                         if row[at["currency"]] is not None),
             *(row[2] for row in (*state.awarded, *state.spent))}
    book: RateBook | None = None

    def book_for(needed: set[str]) -> RateBook:
        nonlocal book
        if book is None or not needed <= book.currencies:
            codes.update(needed)
            book = _book(codes, state.today, every_rate)
        return book

    lines = campaign_lines(state, currency, book_for)
    spending = _spending(state, lines, currency, book_for)
    return DashboardFigures(lines, spending, spending_total(spending.values(), currency))
