"""The money lists keep what they render (tracker/money/views/kept.py, issue 15): the rates' table,
the rates' filter form and each currency's row. Nothing kept may ever show a rate, a date, a
source, a currency's decimals or a filter's value or error that has changed since, however the
change was written, in either language."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.fragments_support import rendered_templates
from tests.pages import errors_next_to, plain, switch_to_russian
from tests.test_dashboard_rows import switch_to_english
from tests.test_kept_public_page import as_a_new_request
from tracker.extensions import db
from tracker.money.services import add_rate
from tracker.money.views.kept import (
    CURRENCY_ROW_TEMPLATE,
    RATE_FILTERS_TEMPLATE,
    RATE_PAGER_TEMPLATE,
    RATE_ROWS_TEMPLATE,
)

pytestmark = pytest.mark.usefixtures("signed_in_admin")


@pytest.fixture(autouse=True)
def new_process(app):
    """Each test starts as a new process would: nothing kept from another test's pages."""
    from tracker.money.views.kept import clear_kept

    with app.app_context():
        clear_kept()


def rate(on: str, base: str, quote: str, value: str, source: str = "ECB") -> None:
    add_rate(date.fromisoformat(on), base, quote, Decimal(value), source)
    db.session.commit()


def execute(statement: str, **values) -> None:
    """A write no hook of the application sees: plain SQL."""
    db.session.execute(text(statement), values)
    db.session.commit()


def rates_table(client, query: str = "") -> str:
    page = plain(client.get("/rates" + query).text)
    table = page[page.index('id="rates"'):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table[:table.index("</table>")]))


def currency_row(client, code: str, query: str = "") -> str:
    page = plain(client.get("/currencies" + query).text)
    found = re.search(rf'<tr id="currency-{code}">.*?</tr>', page, re.S)
    assert found, f"no row for {code}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


# The rates


def test_a_rate_changed_by_plain_sql_shows_at_once_in_either_language(client):
    rate("2026-03-02", "USD", "RUB", "91.2345", "Central Bank of Russia")
    assert "91.2345" in rates_table(client)
    assert "Central Bank of Russia" in rates_table(client)
    execute("UPDATE exchange_rate SET rate = '92.5', source = 'ECB', on_date = :day",
            day=date(2026, 3, 3))
    shown = rates_table(client)
    assert "92.5" in shown and "91.2345" not in shown
    assert "Mar 3, 2026" in shown and "Mar 2, 2026" not in shown
    assert "ECB" in shown and "Central Bank" not in shown
    switch_to_russian(client)
    shown = rates_table(client)
    assert "92,5" in shown and "3 мар. 2026" in shown
    execute("UPDATE exchange_rate SET source = 'Central Bank of Russia', quote = 'KZT'")
    shown = rates_table(client)
    assert "Центральный банк России" in shown and "USD → KZT" in shown
    switch_to_english(client)
    shown = rates_table(client)
    assert "Central Bank of Russia" in shown and "USD → KZT" in shown


def test_a_rate_deleted_by_plain_sql_leaves_the_list_at_once(client):
    rate("2026-03-02", "USD", "RUB", "91")
    rate("2026-03-01", "USD", "KZT", "505")
    assert "USD → RUB" in rates_table(client)
    execute("DELETE FROM exchange_rate WHERE quote = 'RUB'")
    shown = rates_table(client)
    assert "USD → RUB" not in shown and "USD → KZT" in shown


def test_an_unchanged_page_of_rates_is_rendered_once(client, app):
    rate("2026-03-02", "USD", "RUB", "91")
    rate("2026-03-01", "USD", "KZT", "505")
    with rendered_templates(app) as rendered:
        first = client.get("/rates").text
        second = client.get("/rates").text
    assert rendered.count(RATE_ROWS_TEMPLATE) == 1
    assert rendered.count(RATE_FILTERS_TEMPLATE) == 1
    assert rendered.count("money/rates.html") == 2
    assert first == second


def test_the_kept_filter_form_shows_each_requests_values_and_errors(client):
    rate("2026-03-02", "USD", "RUB", "91")
    backwards = client.get("/rates?date_from=2026-03-01&date_to=2026-01-01").text
    assert "The end date cannot be before the start date." in errors_next_to(backwards,
                                                                             "date_to")
    assert 'value="2026-03-01"' in backwards
    again = client.get("/rates?date_from=2026-01-01&date_to=2026-03-01").text
    assert errors_next_to(again, "date_to") == []
    assert 'value="2026-01-01"' in again and 'value="2026-03-01"' in again
    chosen = client.get("/rates?currency=RUB").text
    assert re.search(r'<option selected value="RUB">|<option value="RUB" selected>', chosen)
    plain_page = client.get("/rates").text
    assert not re.search(r'<option selected value="RUB">|<option value="RUB" selected>',
                         plain_page)
    switch_to_russian(client)
    backwards = client.get("/rates?date_from=2026-03-01&date_to=2026-01-01").text
    assert "Дата окончания не может быть раньше даты начала." in errors_next_to(backwards,
                                                                                "date_to")
    assert "Любая валюта" in backwards
    switch_to_english(client)
    assert "Any currency" in client.get("/rates").text


def test_a_currency_in_a_new_pair_is_offered_in_the_kept_filter_at_once(client):
    rate("2026-03-02", "USD", "RUB", "91")
    page = client.get("/rates").text
    coalition = page[page.index("Coalition currencies"):page.index("Other currencies")]
    assert 'value="MNT"' not in coalition
    rate("2026-03-02", "USD", "MNT", "3400")
    as_a_new_request()
    page = client.get("/rates").text
    coalition = page[page.index("Coalition currencies"):page.index("Other currencies")]
    assert 'value="MNT"' in coalition


def test_the_kept_page_links_follow_the_count_and_carry_the_filter(client, app):
    for day in range(51):
        add_rate(date(2026, 1, 1) + timedelta(days=day), "USD", "RUB", Decimal(90 + day), "CBR")
    db.session.commit()
    page = client.get("/rates?currency=RUB").text
    assert re.search(r'href="/rates\?(page=2&amp;currency=RUB|currency=RUB&amp;page=2)"', page)
    assert 'aria-label="Pages of rates"' in page
    with rendered_templates(app) as rendered:
        again = client.get("/rates?currency=RUB").text
    assert rendered.count(RATE_PAGER_TEMPLATE) == 0 and again == page
    assert 'href="/rates?page=2"' in client.get("/rates").text
    execute("DELETE FROM exchange_rate WHERE on_date = :day", day=date(2026, 1, 1))
    page = client.get("/rates?currency=RUB").text
    assert 'aria-label="Pages of rates"' not in page and "page=2" not in page
    switch_to_russian(client)
    execute("INSERT INTO exchange_rate (on_date, base, quote, rate, source, created_at)"
            " VALUES (:day, 'USD', 'RUB', '90', 'CBR', :day)", day=date(2026, 1, 1))
    page = client.get("/rates?currency=RUB").text
    assert 'aria-label="Страницы списка курсов"' in page and "page=2" in page
    switch_to_english(client)


# The currencies


def test_a_currencys_rate_and_decimals_changed_by_plain_sql_show_at_once(client):
    rate("2026-03-02", "USD", "RUB", "91.2345")
    assert "91.2345" in currency_row(client, "RUB")
    assert "Mar 2, 2026" in currency_row(client, "RUB")
    execute("UPDATE exchange_rate SET rate = '93', on_date = :day", day=date(2026, 3, 4))
    execute("UPDATE currency SET minor_units = 0 WHERE code = 'RUB'")
    shown = currency_row(client, "RUB")
    assert "93" in shown and "91.2345" not in shown and "Mar 4, 2026" in shown
    assert " 0 " in shown
    switch_to_russian(client)
    shown = currency_row(client, "RUB")
    assert "российский рубль" in shown.lower() and "4 мар. 2026" in shown
    execute("UPDATE exchange_rate SET rate = '94.5'")
    assert "94,5" in currency_row(client, "RUB")
    switch_to_english(client)
    shown = currency_row(client, "RUB", "?all=1")
    assert "94.5" in shown and "Russian Ruble" in shown
    execute("UPDATE currency SET minor_units = 2 WHERE code = 'RUB'")


def test_a_rate_deleted_by_plain_sql_leaves_the_currency_row_at_once(client):
    rate("2026-03-02", "USD", "KZT", "505")
    assert "505" in currency_row(client, "KZT")
    execute("DELETE FROM exchange_rate")
    assert "no rate yet" in currency_row(client, "KZT")


def test_the_currency_list_reads_its_currencies_with_their_latest_rates(client):
    from tests.statements_support import statements_of_get

    rate("2026-03-02", "USD", "RUB", "91")
    rate("2026-03-01", "KZT", "EUR", "0.002")
    statements, page = statements_of_get(client, "/currencies?all=1")
    own = [s for s in statements if s.lstrip().upper().startswith("SELECT")
           and "user_session" not in s and "user_account" not in s]
    assert len(own) == 2, own  # the currencies with their rates' ids, then those rates
    assert "0.002" not in page  # shown per 1 EUR: the inverse, 500
    assert "500" in currency_row(client, "KZT")
    assert "91" in currency_row(client, "RUB", "?all=1")


def test_unchanged_currency_rows_are_rendered_once(client, app):
    rate("2026-03-02", "USD", "RUB", "91")
    with rendered_templates(app) as rendered:
        first = client.get("/currencies").text
        second = client.get("/currencies").text
    assert rendered.count("money/index.html") == 2
    rows = rendered.count(CURRENCY_ROW_TEMPLATE)
    assert rows == first.count('<tr id="currency-') > 5
    assert first == second
