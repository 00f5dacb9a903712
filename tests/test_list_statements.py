"""List pages that must not grow with the data (issue 15): the same statements at a few rows
and at many, and the same answers as before they were made so."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import g

from tests.pages import plain
from tests.statements_support import statements_of_get
from tracker.extensions import db
from tracker.money.services import add_rate

pytestmark = pytest.mark.usefixtures("signed_in_admin")

PAIRS = (("USD", "RUB"), ("KZT", "EUR"), ("USD", "AMD"), ("GEL", "USD"))


def add_days_of_rates(first_day: int, days: int) -> None:
    for day in range(first_day, first_day + days):
        for base, quote in PAIRS:
            add_rate(date(2026, 1, 1) + timedelta(day), base, quote, Decimal(day + 1), "test")
    db.session.commit()


def statements_for(client, path: str) -> int:
    """How many statements one request runs."""
    g.pop("coalition_currencies", None)  # the tests' app context outlives a request
    return len(statements_of_get(client, path)[0])


@pytest.mark.parametrize("path", ["/currencies", "/currencies?all=1", "/rates",
                                  "/rates?currency=USD"])
def test_rate_pages_run_as_many_statements_at_one_day_of_rates_as_at_sixty(client, path):
    add_days_of_rates(0, 1)
    few = statements_for(client, path)
    add_days_of_rates(1, 59)
    many = statements_for(client, path)

    assert few == many


def test_the_rates_filter_offers_every_currency_of_the_stored_rates_first(client):
    """Both ends of every pair, a currency that is only ever quoted too (AMD)."""
    add_days_of_rates(0, 3)

    page = client.get("/rates").text

    select = page[page.index('id="currency"'):]
    own = select[:select.index("</optgroup>")]
    assert {"USD", "EUR", "RUB", "KZT", "GEL", "AMD"} <= set(
        re.findall(r'<option value="([A-Z]{3})"', own))


def test_the_currency_list_shows_the_latest_rate_of_either_direction(client):
    """The later of USD→GEL and GEL→USD wins; on the same day, the anchor's own direction."""
    add_rate(date(2026, 3, 1), "USD", "GEL", Decimal("2.5"), "test")
    add_rate(date(2026, 3, 2), "GEL", "USD", Decimal("0.5"), "test")  # later: 1 / 0.5 = 2
    add_rate(date(2026, 3, 3), "USD", "AMD", Decimal("400"), "test")
    add_rate(date(2026, 3, 3), "AMD", "USD", Decimal("0.004"), "test")  # same day: USD→AMD
    db.session.commit()

    page = plain(client.get("/currencies").text)

    gel = page[page.index('id="currency-GEL"'):]
    gel = gel[:gel.index("</tr>")]
    assert "inverse of GEL→USD" in gel and "Mar 2, 2026" in gel
    amd = page[page.index('id="currency-AMD"'):]
    amd = amd[:amd.index("</tr>")]
    assert "400" in amd and "inverse" not in amd.split("</td>")[3]


def test_years_of_rates_say_more_than_the_cap_and_page_on_to_the_oldest(client, monkeypatch):
    from tracker import paging
    from tracker.money import rates

    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    monkeypatch.setattr(rates, "RATES_PER_PAGE", 3)
    add_days_of_rates(0, 3)  # 12 rates, 9 of them with USD

    first = plain(client.get("/rates?currency=USD").text)
    assert "More than 5 rates" in first
    past = plain(client.get("/rates?currency=USD&page=9").text)  # beyond the counted pages
    assert "More than 5 rates" in past and "page 2" in past
    shown, page, html = 0, 1, first
    while True:
        shown += html.count('<td class="money">')
        if f"page={page + 1}&amp;currency=USD" not in html:
            break
        page += 1
        html = plain(client.get(f"/rates?currency=USD&page={page}").text)
    assert shown == 9 and page == 3
    assert "9 rates · page 3 of 3" in html  # the last page knows the whole count


def test_a_capped_rate_count_is_said_in_russian(client, monkeypatch):
    from tests.pages import switch_to_russian
    from tracker import paging
    from tracker.money import rates

    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    monkeypatch.setattr(rates, "RATES_PER_PAGE", 3)
    add_days_of_rates(0, 2)
    switch_to_russian(client)

    assert "Более 5 курсов" in plain(client.get("/rates").text)
