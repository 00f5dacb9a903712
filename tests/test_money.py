"""Currencies and exchange rates: the lists, adding a rate, importing rates from CSV."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from tests.factories import count_rows
from tests.pages import errors_next_to, plain, switch_to_russian
from tracker.extensions import db
from tracker.money.models import ExchangeRate
from tracker.money.services import RatesImportError, add_rate, import_rates_csv

# These tests are about the screens; access is tested in tests/test_access.py.
pytestmark = pytest.mark.usefixtures("signed_in_admin")

HEADER = "date,base,quote,rate,source\n"


def listed_row_errors(html: str) -> list[str]:
    """The "Row N: reason" items the import page lists."""
    block = html[html.index('id="import-errors"'):]
    block = block[:block.index("</ul>")]
    return [plain(item.strip()) for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def rate(on: str, base: str, quote: str, value: str, source: str = "ECB") -> ExchangeRate:
    record = add_rate(date.fromisoformat(on), base, quote, Decimal(value), source)
    db.session.commit()
    return record


def stored_rates() -> list[tuple[date, str, str, Decimal, str]]:
    db.session.expire_all()
    return [(r.on_date, r.base, r.quote, r.rate, r.source) for r in db.session.scalars(
        db.select(ExchangeRate).order_by(ExchangeRate.on_date, ExchangeRate.base))]


def upload(client, content: bytes | str, filename: str = "rates.csv"):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post("/rates/import", data={"file": (io.BytesIO(raw), filename)},
                       content_type="multipart/form-data")


# The currency list


def test_currency_list_puts_the_coalitions_currencies_first_with_latest_rates(client):
    rate("2026-02-01", "USD", "RUB", "90")
    rate("2026-03-02", "USD", "RUB", "91.2345", "Central Bank of Russia")
    rate("2026-03-02", "EUR", "USD", "1.25")
    rate("2026-03-01", "KZT", "EUR", "0.002")
    response = client.get("/currencies")
    assert response.status_code == 200
    page = plain(response.text)
    table = page[page.index('id="currencies"'):]
    codes = re.findall(r'<tr id="currency-([A-Z]{3})">', table)
    assert codes[:4] == ["USD", "EUR", "RUB", "KZT"]
    assert "JPY" not in codes  # only the coalition's own until asked for all

    rub = table[table.index('id="currency-RUB"'):table.index('id="currency-KZT"')]
    assert "Russian Ruble" in rub
    assert "91.2345" in rub and "Mar 2, 2026" in rub  # the latest, not the February rate
    eur = table[table.index('id="currency-EUR"'):table.index('id="currency-RUB"')]
    assert "0.8" in eur and "inverse of EUR→USD" in eur  # 1 USD = 1 / 1.25 EUR
    kzt = table[table.index('id="currency-KZT"'):table.index('id="currency-KGS"')]
    assert "500" in kzt  # 1 EUR = 1 / 0.002 KZT
    assert "no rate yet" in kzt  # nothing against USD


def test_all_iso_currencies_are_one_click_away(client):
    page = client.get("/currencies").text
    assert 'href="/currencies?all=1"' in page
    everything = plain(client.get("/currencies?all=1").text)
    codes = re.findall(r'<tr id="currency-([A-Z]{3})">', everything)
    assert codes[:3] == ["USD", "EUR", "RUB"] and len(codes) > 150
    jpy = everything[everything.index('id="currency-JPY"'):]
    jpy = jpy[:jpy.index("</tr>")]
    assert "Japanese Yen" in jpy and '<td class="text-end">0</td>' in jpy


def test_currency_list_reads_the_latest_rates_in_a_fixed_number_of_queries(client):
    for day in range(1, 11):
        for code in ("RUB", "KZT", "KGS", "TJS", "UAH", "JPY"):
            add_rate(date(2026, 1, day), "USD", code, Decimal(day), "test")
            add_rate(date(2026, 1, day), code, "EUR", Decimal(day), "test")
    db.session.commit()
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        page = client.get("/currencies?all=1")
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert page.status_code == 200
    # The login check reads the session and the user on every page; the rest is the list's own.
    own = [s for s in statements if s.lstrip().upper().startswith("SELECT")
           and "user_session" not in s and "user_account" not in s]
    assert len(own) <= 3


def test_currency_list_in_russian_names_currencies_and_formats_rates(client):
    rate("2026-03-02", "USD", "RUB", "91.2345")
    switch_to_russian(client)
    page = plain(client.get("/currencies").text)
    assert "российский рубль" in page.lower()
    assert "91,2345" in page


# The rates list


def test_rates_are_listed_newest_first_with_pair_rate_and_source(client):
    rate("2026-01-01", "USD", "RUB", "90", "CBR")
    rate("2026-03-01", "USD", "KZT", "505.5", "National Bank of Kazakhstan")
    page = plain(client.get("/rates").text)
    table = page[page.index('id="rates"'):]
    assert table.index("Mar 1, 2026") < table.index("Jan 1, 2026")
    assert "USD → KZT" in table and "505.5" in table and "National Bank of Kazakhstan" in table
    assert "2 rates" in page


def test_rates_can_be_filtered_by_currency_and_dates(client):
    rate("2026-01-01", "USD", "RUB", "90")
    rate("2026-02-01", "RUB", "KZT", "5.6")
    rate("2026-03-01", "USD", "RUB", "91")
    rate("2026-03-01", "EUR", "USD", "1.1")

    by_currency = plain(client.get("/rates?currency=RUB").text)
    assert "3 rates" in by_currency and "EUR → USD" not in by_currency
    by_dates = plain(client.get("/rates?currency=RUB&date_from=2026-02-01&date_to=2026-02-28")
                     .text)
    assert "1 rate" in by_dates and "RUB → KZT" in by_dates and "USD → RUB" not in by_dates

    backwards = client.get("/rates?date_from=2026-03-01&date_to=2026-01-01")
    assert "The end date cannot be before the start date." in errors_next_to(
        backwards.text, "date_to")


def test_rates_are_paginated_fifty_a_page_keeping_the_filter(client):
    start = date(2026, 1, 1)
    for day in range(60):
        add_rate(start + timedelta(days=day), "USD", "RUB", Decimal(90 + day), "CBR")
    rate("2026-01-01", "EUR", "USD", "1.1")
    first = plain(client.get("/rates?currency=RUB").text)
    assert first.count("USD → RUB") == 50
    assert "page 1 of 2" in first
    assert "/rates?page=2&amp;currency=RUB" in first or "/rates?currency=RUB&amp;page=2" in first
    second = plain(client.get("/rates?currency=RUB&page=2").text)
    assert second.count("USD → RUB") == 10
    assert "Jan 1, 2026" in second and "Mar 1, 2026" not in second  # the oldest come last
    assert client.get("/rates?page=99").status_code == 200


def test_no_rates_yet_says_how_to_start(client):
    page = client.get("/rates").text
    assert "invalid-feedback" not in page  # an empty filter is not an error
    assert "No exchange rates recorded yet." in page
    assert 'href="/rates/import"' in page and 'href="/rates/new"' in page


# Adding a rate


def rate_form(**overrides: Any) -> dict[str, Any]:
    data = {"on_date": "2026-03-02", "base": "USD", "quote": "RUB", "rate": "91,2345",
            "source": "Central Bank of Russia"}
    data.update(overrides)
    return data


def test_adding_a_rate_stores_it_exactly(client):
    form = client.get("/rates/new")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    response = client.post("/rates/new", data=rate_form(rate="0.0109609876543"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/rates"
    assert stored_rates() == [(date(2026, 3, 2), "USD", "RUB", Decimal("0.0109609876543"),
                               "Central Bank of Russia")]
    page = plain(client.get("/rates").text)
    assert "Rate recorded: 1 USD = 0.0109609876543 RUB on Mar 2, 2026." in page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"quote": "USD"}, "quote", "Choose two different currencies."),
    ({"rate": "-91.5"}, "rate", "The rate must be greater than zero."),
    ({"rate": "0"}, "rate", "The rate must be greater than zero."),
    ({"rate": "1000000000"}, "rate", "This rate is implausible; check the digits."),
    ({"rate": "ninety"}, "rate", "Enter a number, e.g. 1500 or 1 500,50."),
    ({"base": "XYZ"}, "base", "Choose a known currency (ISO 4217 code)."),
    ({"source": ""}, "source", "Say where the rate comes from (e.g. ECB, central bank)."),
    ({"on_date": ""}, "on_date", "Give the date of the rate."),
])
def test_a_bad_rate_is_refused_next_to_its_field_and_nothing_is_written(
        client, changes, field, message):
    response = client.post("/rates/new", data=rate_form(**changes))
    assert response.status_code == 422
    assert message in errors_next_to(response.text, field)
    assert count_rows(ExchangeRate) == 0


def test_a_second_rate_for_the_same_pair_and_date_is_refused(client):
    rate("2026-03-02", "USD", "RUB", "91.2345")
    response = client.post("/rates/new", data=rate_form(rate="92"))
    assert response.status_code == 422
    assert "A USD→RUB rate for 2026-03-02 is already recorded." in errors_next_to(
        response.text, "on_date")
    assert stored_rates()[0][3] == Decimal("91.2345")
    assert count_rows(ExchangeRate) == 1


# Importing rates from CSV


GOOD_FILE = (HEADER
             + "2026-03-02,USD,RUB,91.2345,Central Bank of Russia\n"
             + "2026-03-02,EUR,KZT,548.170000001,National Bank of Kazakhstan\n"
             + "2026-03-03,USD,TJS,10.9,\"National Bank of Tajikistan, official\"\n")


def test_a_good_file_is_imported_exactly(client):
    page = client.get("/rates/import")
    assert page.status_code == 200 and "date,base,quote,rate,source" in page.text
    assert "at most 1 MB and 10,000 rows" in page.text
    response = upload(client, GOOD_FILE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/rates"
    assert stored_rates() == [
        (date(2026, 3, 2), "EUR", "KZT", Decimal("548.170000001"), "National Bank of Kazakhstan"),
        (date(2026, 3, 2), "USD", "RUB", Decimal("91.2345"), "Central Bank of Russia"),
        (date(2026, 3, 3), "USD", "TJS", Decimal("10.9"), "National Bank of Tajikistan, official"),
    ]
    assert "3 rates imported." in client.get("/rates").text


def test_a_file_with_a_byte_order_mark_and_windows_line_ends_is_imported(client):
    response = upload(client, b"\xef\xbb\xbf" + GOOD_FILE.replace("\n", "\r\n").encode())
    assert response.status_code == 302
    assert count_rows(ExchangeRate) == 3


def test_every_bad_row_is_listed_and_nothing_is_imported(client):
    rate("2026-03-01", "USD", "KGS", "87.5")
    content = (HEADER
               + "2026-03-02,USD,RUB,91.2345,CBR\n"              # row 2: good
               + "2026-02-30,USD,RUB,90,CBR\n"                   # row 3: no such day
               + "2026-03-02,USD,XYZ,1.5,CBR\n"                  # row 4: unknown currency
               + "2026-03-02,KZT,KZT,1,NBK\n"                    # row 5: same currency
               + "2026-03-02,USD,EUR,-0.9,ECB\n"                 # row 6: negative
               + "2026-03-02,USD,EUR,0,ECB\n"                    # row 7: zero
               + "2026-03-02,USD,UZS,999999999999,CBU\n"         # row 8: absurd
               + "2026-03-02,USD,GEL,2.7,\n"                     # row 9: no source
               + "2026-03-02,USD,AMD,390\n"                      # row 10: four columns
               + "2026-03-02,USD,RUB,91.2345,CBR\n"              # row 11: repeats row 2
               + "2026-03-01,USD,KGS,88,NBKR\n"                  # row 12: contradicts stored
               + "02.03.2026,USD,BYN,3,NBRB\n"                   # row 13: not an ISO date
               + "2026-03-02,USD,MDL,\"17,5\",NBM\n")            # row 14: decimal comma
    response = upload(client, content)
    assert response.status_code == 422
    assert ("Nothing was imported: 12 rows have problems. Correct them and upload the file "
            "again.") in errors_next_to(response.text, "file")
    assert listed_row_errors(response.text) == [
        "Row 3: “2026-02-30” is not a date in the form YYYY-MM-DD.",
        "Row 4: Unknown currency: “XYZ”.",
        "Row 5: The base and quote currencies are the same (KZT).",
        "Row 6: The rate must be greater than zero.",
        "Row 7: The rate must be greater than zero.",
        "Row 8: This rate is implausible; check the digits.",
        "Row 9: Say where the rate comes from (e.g. ECB, central bank).",
        "Row 10: Expected 5 values (date,base,quote,rate,source), found 4.",
        "Row 11: The USD→RUB rate for 2026-03-02 is already on row 2.",
        "Row 12: A USD→KGS rate for 2026-03-01 is already recorded as 87.5, not 88.",
        "Row 13: “02.03.2026” is not a date in the form YYYY-MM-DD.",
        "Row 14: The rate “17,5” is not a number; write it with a dot, e.g. 91.2345.",
    ]
    assert count_rows(ExchangeRate) == 1  # only the rate stored before


def test_a_row_with_several_problems_lists_them_all(app):
    with pytest.raises(RatesImportError) as refused:
        import_rates_csv(HEADER + "yesterday,usd,usd,abc,\n")
    assert [str(error) for error in refused.value.rows] == [
        "Row 2: “yesterday” is not a date in the form YYYY-MM-DD. The base and quote "
        "currencies are the same (USD). The rate “abc” is not a number; write it with a dot, "
        "e.g. 91.2345. Say where the rate comes from (e.g. ECB, central bank)."]


def test_reimporting_skips_and_counts_rates_already_recorded(client):
    assert upload(client, HEADER + "2026-03-02,USD,RUB,91.2345,CBR\n"
                  "2026-03-02,USD,KZT,505.1,NBK\n").status_code == 302
    response = upload(client, HEADER
                      + "2026-03-02,USD,RUB,91.23450,another source\n"  # same value: skipped
                      + "2026-03-02,USD,KZT,505.1,NBK\n"
                      + "2026-03-03,USD,RUB,91.5,CBR\n"
                      + "2026-03-03,USD,KZT,506,NBK\n"
                      + "2026-03-03,USD,TJS,10.9,NBT\n")
    assert response.status_code == 302
    assert "3 rates imported, 2 already recorded." in client.get("/rates").text
    assert count_rows(ExchangeRate) == 5

    again = upload(client, HEADER + "2026-03-03,USD,TJS,10.9,NBT\n")
    assert again.status_code == 302
    assert "Nothing new: the rate in the file was already recorded." in client.get("/rates").text
    assert count_rows(ExchangeRate) == 5


def test_a_file_over_the_size_limit_is_refused(client, app):
    app.config["RATES_CSV_MAX_BYTES"] = 1024
    response = upload(client, HEADER + "2026-03-02,USD,RUB,91.2345,CBR\n" * 40)
    assert response.status_code == 422
    assert "The file is larger than 1 KB. Split it into smaller files." in errors_next_to(
        response.text, "file")
    assert count_rows(ExchangeRate) == 0


def test_a_file_over_the_row_limit_is_refused(client, app):
    app.config["RATES_CSV_MAX_ROWS"] = 3
    rows = "".join(f"2026-03-0{day},USD,RUB,9{day},CBR\n" for day in range(1, 5))
    response = upload(client, HEADER + rows)
    assert response.status_code == 422
    assert "The file has more than 3 rates. Split it into smaller files." in errors_next_to(
        response.text, "file")
    assert count_rows(ExchangeRate) == 0
    assert upload(client, HEADER + rows.split("\n", 1)[1]).status_code == 302  # three fit


@pytest.mark.parametrize(("content", "message"), [
    ("day,from,to,value,who\n2026-03-02,USD,RUB,91,CBR\n",
     "The first line must be the header date,base,quote,rate,source; this file starts with "
     "“day,from,to,value,who”."),
    ("2026-03-02,USD,RUB,91,CBR\n",
     "The first line must be the header date,base,quote,rate,source; this file starts with "
     "“2026-03-02,USD,RUB,91,CBR”."),
    ("", "The file is empty. Its first line must be the header date,base,quote,rate,source."),
    (HEADER, "The file has a header but no rates."),
    ("date,base,quote,rate,source\n2026-03-02,USD,RUB,91,Центробанк\n".encode("cp1251"),
     "The file is not UTF-8 text. Save it as CSV (UTF-8) and upload it again."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
     "The file is not UTF-8 text. Save it as CSV (UTF-8) and upload it again."),
    (b"date,base\x00,quote", "This is not a CSV text file. Save the rates as CSV (UTF-8) and "
                             "upload them again."),
])
def test_a_file_that_is_not_a_rates_csv_gets_a_clear_message(client, content, message):
    response = upload(client, content)
    assert response.status_code == 422
    assert message in errors_next_to(response.text, "file")
    assert count_rows(ExchangeRate) == 0


def test_the_upload_must_be_a_csv_file(client):
    response = upload(client, GOOD_FILE, filename="rates.xlsx")
    assert response.status_code == 422
    assert "Upload a .csv file (comma-separated values, UTF-8)." in errors_next_to(
        response.text, "file")
    response = client.post("/rates/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a CSV file to upload." in errors_next_to(response.text, "file")
    assert count_rows(ExchangeRate) == 0


def test_the_import_service_reads_text_too_for_command_line_use(app):
    result = import_rates_csv("\ufeff" + GOOD_FILE)
    db.session.commit()
    assert (result.imported, result.already_recorded) == (3, 0)
    assert import_rates_csv(GOOD_FILE).already_recorded == 3


def test_the_sample_file_is_itself_importable(client):
    """The example file downloads as CSV and imports as it is."""
    sample = client.get("/rates/import/sample.csv")
    assert sample.status_code == 200 and sample.mimetype == "text/csv"
    assert upload(client, sample.data).status_code == 302
    assert count_rows(ExchangeRate) == 2


def test_the_sample_file_names_its_sources_in_the_readers_language(client):
    """In Russian the example's sources are the banks' Russian names, and still import."""
    switch_to_russian(client)
    sample = client.get("/rates/import/sample.csv").data.decode()
    assert "Центральный банк России" in sample and "Central Bank" not in sample
    assert "Центральный банк России" in client.get("/rates/import").text
    assert upload(client, sample.encode()).status_code == 302
    assert count_rows(ExchangeRate) == 2
