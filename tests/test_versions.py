"""The coalition's stored versions (tracker.versions, issue 15): every write of an exchange
rate, and every write that may change the currencies in use, bumps a stored version in its
own transaction, however it is written (the ORM, an ORM bulk statement, a Core statement,
the rates import, the rate form). The kept public page, the dashboard's kept sections and
the coalition's currency list read those versions instead of walking the rates, so each
test shows a page, writes, and reads the page again: what changed must show at once."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, update

from tests.auth_support import login, make_user
from tests.drive_support import DRIVE_SLUG, make_drive, make_world
from tests.factories import make_line, make_target
from tests.grants_support import make_grant_world, spend
from tests.pages import plain
from tests.statements_support import recorded_statements
from tests.test_forms import option_groups
from tests.test_kept_public_page import as_a_new_request, edit_drive
from tracker.auth.models import Role
from tracker.bulk import bulk_insert
from tracker.db import utcnow
from tracker.extensions import db
from tracker.forms import coalition_currencies
from tracker.money.models import ExchangeRate
from tracker.money.services import add_rate, find_rate
from tracker.versions import CURRENCIES, RATES, read_versions

PUBLIC = f"/d/{DRIVE_SLUG}"


@pytest.fixture
def world(client):
    world = make_world()
    make_line(make_target(world.campaign, currency="RUB"), quantity="1", unit_cost="100000")
    db.session.commit()
    return world


@pytest.fixture
def coordinator(client, world):
    """The client signed in as the coordinator, reporting in KZT (the latest RUB→KZT rate of
    make_world is 6.20, of 2026-03-01)."""
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    client.post("/reporting-currency", data={"currency": "KZT"})
    return client


def target_in_kzt(client) -> str:
    page = client.get("/").text
    section = page.split('id="coalition-totals"', 1)[1].split("</section>", 1)[0]
    found = re.search(r'data-total="target">(.*?)</dd>', section, re.S)
    assert found
    return re.sub(r"<[^>]+>", "", plain(found.group(1))).strip()


def coalition_offered(html: str) -> list[str]:
    return sorted(label[:3] for label in option_groups(html, "currency")["Coalition currencies"])


# --- rates: every way of writing one shows on the kept dashboard at once --------------------


def test_a_rate_edited_through_the_orm_shows_on_the_kept_dashboard_at_once(coordinator):
    assert target_in_kzt(coordinator) == "KZT 620,000.00"
    assert target_in_kzt(coordinator) == "KZT 620,000.00"  # kept
    rate = find_rate("RUB", "KZT", date(2026, 3, 1))
    assert rate is not None
    rate.rate = Decimal("6.50")
    db.session.commit()
    assert target_in_kzt(coordinator) == "KZT 650,000.00"


def test_a_rate_changed_by_a_core_update_shows_on_the_kept_dashboard_at_once(coordinator):
    """No ORM object, no roll-up hook: the version is bumped by the statement itself."""
    assert target_in_kzt(coordinator) == "KZT 620,000.00"
    db.session.connection().execute(
        update(ExchangeRate.__table__)
        .where(ExchangeRate.__table__.c.base == "RUB", ExchangeRate.__table__.c.quote == "KZT",
               ExchangeRate.__table__.c.on_date == date(2026, 3, 1))
        .values(rate="6.5"))
    db.session.commit()
    assert target_in_kzt(coordinator) == "KZT 650,000.00"


def test_a_rate_deleted_shows_on_the_kept_dashboard_at_once(coordinator):
    """The earlier RUB→KZT rate (6.30) is the latest once the 6.20 one is gone."""
    assert target_in_kzt(coordinator) == "KZT 620,000.00"
    db.session.execute(delete(ExchangeRate).where(ExchangeRate.on_date == date(2026, 3, 1),
                                                  ExchangeRate.base == "RUB"))
    db.session.commit()
    assert target_in_kzt(coordinator) == "KZT 630,000.00"


def test_a_rate_from_the_form_and_from_the_import_show_at_once(coordinator, client):
    login(client, make_user(Role.ADMIN, email="admin@example.org"))
    client.post("/reporting-currency", data={"currency": "KZT"})
    assert target_in_kzt(client) == "KZT 620,000.00"
    yesterday = utcnow().date() - timedelta(days=1)
    response = client.post("/rates/new", data={
        "on_date": yesterday.isoformat(), "base": "RUB", "quote": "KZT", "rate": "6.40",
        "source": "Test rates"})
    assert response.status_code == 302, response.text
    assert target_in_kzt(client) == "KZT 640,000.00"

    csv = f"date,base,quote,rate,source\n{utcnow().date().isoformat()},RUB,KZT,6.60,Test rates\n"
    response = client.post("/rates/import", data={"file": (io.BytesIO(csv.encode()), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 302), response.text
    assert target_in_kzt(client) == "KZT 660,000.00"


# --- currencies: a new one shows in the selects at once ----------------------------------


def test_a_drive_in_a_new_currency_is_offered_at_once_on_the_public_page(client, world):
    make_drive(world)
    db.session.commit()
    assert "AMD" not in coalition_offered(client.get(PUBLIC).text)
    make_drive(world, slug="yerevan-soil", currency="AMD")
    db.session.commit()
    as_a_new_request()
    assert "AMD" in coalition_offered(client.get(PUBLIC).text)


def test_a_rate_in_a_new_pair_inserted_by_core_is_offered_at_once(client, world):
    make_drive(world)
    db.session.commit()
    assert "GEL" not in coalition_offered(client.get(PUBLIC).text)
    db.session.execute(insert(ExchangeRate), [{
        "on_date": date(2026, 3, 1), "base": "GEL", "quote": "RUB", "rate": Decimal("35"),
        "source": "Test rates"}])
    db.session.commit()
    as_a_new_request()
    assert "GEL" in coalition_offered(client.get(PUBLIC).text)


def test_a_currency_gone_with_its_last_rate_leaves_the_list_at_once(client, world):
    add_rate(date(2026, 3, 1), "GEL", "RUB", Decimal("35"), "Test rates")
    db.session.commit()
    as_a_new_request()
    assert "GEL" in coalition_currencies()
    db.session.execute(delete(ExchangeRate).where(ExchangeRate.base == "GEL"))
    db.session.commit()
    as_a_new_request()
    assert "GEL" not in coalition_currencies()


def test_a_rolled_back_writer_never_leaves_its_currencies_behind(world):
    """A version a rolled-back transaction saw is never met again: a list worked out inside
    it (with its drive's currency) is not taken for a later writer's."""
    as_a_new_request()
    assert "AMD" not in coalition_currencies()
    savepoint = db.session.begin_nested()
    add_rate(date(2026, 3, 1), "AMD", "RUB", Decimal("0.23"), "Test rates")
    as_a_new_request()
    assert "AMD" in coalition_currencies()
    savepoint.rollback()
    # The next writer's bump adds one to the same count the rolled-back one had reached.
    add_rate(date(2026, 3, 1), "GEL", "RUB", Decimal("35"), "Test rates")
    db.session.commit()
    as_a_new_request()
    currencies = coalition_currencies()
    assert "GEL" in currencies and "AMD" not in currencies


def test_the_currency_list_is_worked_out_once_per_version(world):
    as_a_new_request()
    coalition_currencies()
    as_a_new_request()
    with recorded_statements() as statements:
        codes = coalition_currencies()
    assert "RUB" in codes
    assert len(statements) == 1
    assert "coalition_version" in statements[0]


# --- the keys read one indexed row, not a walk of the rates ------------------------------


def test_a_kept_public_page_reads_no_exchange_rate(client, world):
    make_drive(world)
    db.session.commit()
    client.get(PUBLIC)
    as_a_new_request()
    with recorded_statements() as statements:
        assert client.get(PUBLIC).status_code == 200
    assert len(statements) == 1, statements  # the page's state and the versions together
    assert not [s for s in statements if "exchange_rate" in s]
    assert [s for s in statements if "coalition_version" in s]


def test_the_kept_dashboard_reads_no_exchange_rate(coordinator):
    coordinator.get("/")
    with recorded_statements() as statements:
        assert coordinator.get("/").status_code == 200
    assert not [s for s in statements if "exchange_rate" in s], statements


def test_rates_written_by_the_bulk_writer_are_offered_at_once(client, world):
    """The bench generator's path: pipelined INSERTs on PostgreSQL, a driver's executemany
    on SQLite, which no statement hook sees."""
    as_a_new_request()
    assert "GEL" not in coalition_currencies()
    bulk_insert(db.session.connection(), ExchangeRate.__table__, [{
        "on_date": date(2026, 3, 1), "base": "GEL", "quote": "RUB", "rate": Decimal("35"),
        "source": "Test rates", "created_at": utcnow()}])
    db.session.commit()
    as_a_new_request()
    assert "GEL" in coalition_currencies()


def test_a_drive_moved_to_a_new_currency_is_offered_and_an_edit_elsewhere_bumps_nothing(
        client, world):
    """Only a write of a currency column bumps: everyday edits of a drive do not queue on the
    versions' row."""
    drive = make_drive(world)
    db.session.commit()
    before = read_versions([CURRENCIES, RATES])
    edit_drive(drive, title_en="XRF testing in Chelyabinsk, second round")
    assert read_versions([CURRENCIES, RATES]) == before
    as_a_new_request()
    assert "UZS" not in coalition_currencies()
    edit_drive(drive, currency="UZS")
    assert read_versions([CURRENCIES])[CURRENCIES][0] == before[CURRENCIES][0] + 1
    as_a_new_request()
    assert "UZS" in coalition_currencies()


def test_a_rate_changed_by_a_core_update_shows_on_the_kept_campaign_page_at_once(client):
    """The campaign body converts its USD grant's spending into the campaign's MDL at the
    rates: a rate changed by a bare statement shows at once."""
    grant_world = make_grant_world()
    make_target(grant_world.campaign, currency="MDL")
    spend(grant_world.grant, "2.1", "1000", "USD", date(2027, 3, 2), "H-1")
    db.session.commit()
    login(client, make_user(Role.VIEWER))
    path = f"/campaigns/{grant_world.campaign.slug}"
    spent = re.compile(r'data-spending="spent">MDL\xa0([0-9,.]+)<')
    assert spent.findall(client.get(path).text) == ["17,850.00"]  # at 17.85 of 2027-01-01
    assert spent.findall(client.get(path).text) == ["17,850.00"]  # kept
    rates = ExchangeRate.__table__.c
    db.session.connection().execute(
        update(ExchangeRate.__table__)
        .where(rates.base == "USD", rates.quote == "MDL", rates.on_date == date(2027, 1, 1))
        .values(rate="17.5"))
    db.session.commit()
    assert spent.findall(client.get(path).text) == ["17,500.00"]
