"""Tranches to partners through the screens, each partner's balance, and the campaigns'
spending beside their secured money."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from tests.auth_support import login, make_user
from tests.grants_support import make_grant_world, spend
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.grants.models import Transfer, TransferStatus
from tracker.money.rates import add_rate
from tracker.money.value import Money


def _transfers() -> list[Transfer]:
    return list(db.session.scalars(select(Transfer).order_by(Transfer.id)))


def _figure(html: str, row_attr: str, figure: str) -> str:
    """The text of a figure cell in the table row marked `row_attr` (e.g. data-partner="3")."""
    row = re.search(rf'<tr {row_attr}[^>]*>(.*?)</tr>', html, re.S)
    assert row, row_attr
    cell = re.search(rf'data-figure="{figure}">\s*([^<]*)', row.group(1))
    assert cell, (row_attr, figure)
    return cell.group(1).strip()


@pytest.fixture
def world(app):
    return make_grant_world()


@pytest.fixture
def staff(client, world):
    user = make_user(Role.COORDINATOR)
    login(client, user)
    return user


def _plan(client, world, partner, amount="10000", planned_on="2027-02-01", **extra):
    data = {"partner_org_id": str(partner.id), "amount": amount, "planned_on": planned_on,
            "received_currency": "", **extra}
    return client.post(f"/grants/{world.grant.id}/transfers/new", data=data)


def test_a_tranche_is_planned_then_recorded_sent_with_what_arrived_in_mdl(client, world, staff):
    response = _plan(client, world, world.moldova)
    assert response.status_code == 302
    [transfer] = _transfers()
    assert (transfer.tranche, transfer.status) == (1, TransferStatus.PLANNED)
    assert transfer.amount == Money(Decimal("10000"), "USD")

    response = client.post(
        f"/grants/{world.grant.id}/transfers/{transfer.id}/edit",
        data={"amount": "10000", "planned_on": "2027-02-01", "sent_on": "2027-02-03",
              "received": "180 500,00", "received_currency": "MDL", "note": "First tranche"})
    assert response.status_code == 302
    db.session.refresh(transfer)
    assert transfer.status is TransferStatus.SENT
    assert transfer.received == Money(Decimal("180500"), "MDL")
    # The bank's rate is kept: received ÷ sent.
    assert transfer.rate == Decimal("18.05")
    assert transfer.rate_source == "bank"

    page = client.get(f"/grants/{world.grant.id}/transfers").get_data(as_text=True)
    assert "First tranche" in page
    assert 'data-received="MDL"' in page


def test_only_the_currency_received_converts_by_the_rate_of_the_day_sent(client, world, staff):
    _plan(client, world, world.kazakh, amount="5000", sent_on="2027-03-01",
          received_currency="KZT")
    [transfer] = _transfers()
    assert transfer.received == Money(Decimal("2526000"), "KZT")  # 5000 × 505.20
    assert transfer.rate == Decimal("505.20")
    assert transfer.rate_on == date(2027, 1, 1)


def test_the_balances_page_shows_exact_figures_per_partner_and_country(client, world, staff):
    grant = world.grant
    grants.record_transfer(grant, grants.TransferInput(
        partner_org_id=world.moldova.id, planned_on=date(2027, 2, 1),
        amount=Money(Decimal("10000"), "USD"), sent_on=date(2027, 2, 3),
        received=Money(Decimal("180500"), "MDL")))
    grants.record_transfer(grant, grants.TransferInput(
        partner_org_id=world.kazakh.id, planned_on=date(2027, 3, 1),
        amount=Money(Decimal("5000"), "USD"), sent_on=date(2027, 3, 1),
        received_currency="KZT"))
    grants.record_transfer(grant, grants.TransferInput(
        partner_org_id=world.moldova.id, planned_on=date(2027, 9, 1),
        amount=Money(Decimal("7000"), "USD")))
    db.session.commit()
    spend(grant, "2.2", "17850", "MDL", date(2027, 3, 2), "M-1")  # 1000.00 USD
    spend(grant, "2.1", "500", "USD", date(2027, 3, 2), "H-1")
    spend(grant, "1.1", "10", "USD", date(2027, 3, 2), "K-1", approve=False)

    page = client.get(f"/grants/{grant.id}/transfers").get_data(as_text=True)
    hub, md, kz = (f'data-partner="{org.id}"'
                   for org in (world.hub, world.moldova, world.kazakh))
    assert _figure(page, hub, "incoming") == "$60,000.00"
    assert _figure(page, hub, "passed-on") == "$15,000.00"
    assert _figure(page, hub, "planned") == "$7,000.00"
    assert _figure(page, hub, "spent") == "$500.00"
    assert _figure(page, hub, "balance") == "$44,500.00"
    assert _figure(page, md, "incoming") == "$10,000.00"
    assert _figure(page, md, "planned") == "$7,000.00"
    assert _figure(page, md, "spent") == "$1,000.00"
    assert _figure(page, md, "balance") == "$9,000.00"
    assert _figure(page, kz, "balance") == "$5,000.00"
    assert _figure(page, 'data-country="RU"', "balance") == "$44,500.00"
    assert _figure(page, 'data-country="MD"', "balance") == "$9,000.00"
    assert _figure(page, 'data-country="KZ"', "spent") == "$0.00"
    # The balances add up to the grant's unspent money.
    balances = grants.partner_balances(grant)
    assert sum(row.balance_minor for row in balances) == 6_000_000 - 150_000


def test_a_sent_tranche_cannot_be_removed_a_planned_one_can(client, world, staff):
    _plan(client, world, world.moldova, sent_on="2027-02-03")
    _plan(client, world, world.moldova, amount="500")
    sent, planned = _transfers()
    response = client.post(f"/grants/{world.grant.id}/transfers/{sent.id}/remove",
                           follow_redirects=True)
    assert "A tranche that was sent cannot be removed" in response.get_data(as_text=True)
    assert len(_transfers()) == 2
    response = client.post(f"/grants/{world.grant.id}/transfers/{planned.id}/remove",
                           follow_redirects=True)
    assert "The planned tranche was removed." in response.get_data(as_text=True)
    assert [transfer.id for transfer in _transfers()] == [sent.id]


def test_a_tranche_to_an_organisation_outside_the_grant_is_refused_and_nothing_written(
        client, world, staff):
    for outsider in (world.donor, world.hub):
        response = _plan(client, world, outsider)
        assert response.status_code == 422
        assert "Choose one of the grant" in response.get_data(as_text=True)
    with pytest.raises(grants.TransferRefused):
        grants.record_transfer(world.grant, grants.TransferInput(
            partner_org_id=world.donor.id, planned_on=date(2027, 2, 1),
            amount=Money(Decimal("1"), "USD")))
    db.session.rollback()
    assert _transfers() == []


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_written(client, world, staff):
    response = _plan(client, world, world.moldova, amount="-5", received="100")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The amount must be greater than zero." in page
    assert "Give the currency of the amount received." in page
    # Received without the day it was sent: the service's refusal, next to "Sent on".
    response = _plan(client, world, world.moldova, received="100", received_currency="MDL")
    assert response.status_code == 422
    assert "Give the date it was sent with what was received." in response.get_data(as_text=True)
    # A currency without a rate on that day: named, and nothing written.
    response = _plan(client, world, world.moldova, sent_on="2027-02-03", received_currency="GEL")
    assert response.status_code == 422
    assert "No exchange rate from USD to GEL" in response.get_data(as_text=True)
    assert _transfers() == []


def test_the_same_form_posted_twice_plans_one_tranche(client, world, staff):
    form = client.get(f"/grants/{world.grant.id}/transfers/new").get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="submission_key"', form)
    assert key
    for _ in range(2):
        assert _plan(client, world, world.moldova,
                     submission_key=key.group(1)).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1


def test_a_partners_lead_sees_only_its_own_tranches_and_balance(client, world):
    for partner in (world.moldova, world.kazakh):
        grants.record_transfer(world.grant, grants.TransferInput(
            partner_org_id=partner.id, planned_on=date(2027, 2, 1),
            amount=Money(Decimal("1000"), "USD"), note=f"For {partner.slug}"))
    db.session.commit()
    login(client, make_user(Role.LEAD, org=world.moldova))
    response = client.get(f"/grants/{world.grant.id}/transfers")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "For eco-moldova" in page and "For greenwomen-kz" not in page
    assert f'data-partner="{world.moldova.id}"' in page
    assert f'data-partner="{world.kazakh.id}"' not in page
    assert f'data-partner="{world.hub.id}"' not in page
    assert "Plan a tranche" not in page
    login(client, make_user(Role.LEAD, org=world.donor))
    assert client.get(f"/grants/{world.grant.id}/transfers").status_code == 403


def test_the_campaign_page_and_dashboard_show_spent_and_remaining(client, world):
    spend(world.grant, "2.2", "17850", "MDL", date(2027, 3, 2), "M-1")  # 1000.00 USD
    spend(world.grant, "2.1", "500", "USD", date(2027, 3, 2), "H-1")
    spend(world.grant, "1.1", "99", "USD", date(2027, 3, 2), "K-1", approve=False)
    login(client, make_user(Role.VIEWER))
    page = client.get(f"/campaigns/{world.campaign.slug}").get_data(as_text=True)
    assert re.search(r'data-spending="spent">\$1,500\.00<', page)
    assert re.search(r'data-spending="remaining">\$58,500\.00<', page)
    dashboard = client.get("/").get_data(as_text=True)
    row = f'data-campaign="{world.campaign.slug}"'
    assert _figure(dashboard, row, "spent") == "$1,500.00"
    assert _figure(dashboard, row, "remaining") == "$58,500.00"
    assert re.search(r'data-spending="spent">\$1,500\.00<', dashboard)


def test_the_dashboard_shows_a_campaigns_spending_at_its_rows_rate_and_reads_rates_once(
        client, world):
    """In another reporting currency, spent and awarded follow the row's own conversion:
    the campaign's figures at the latest rate, so "remaining" and the row agree."""
    add_rate(date(2026, 1, 1), "USD", "MDL", Decimal("17.5"), "test rates")
    db.session.commit()
    spend(world.grant, "2.2", "17850", "MDL", date(2027, 3, 2), "M-1")  # 1000.00 USD
    spend(world.grant, "2.1", "500", "USD", date(2027, 3, 2), "H-1")
    login(client, make_user(Role.VIEWER))
    client.post("/reporting-currency", data={"currency": "MDL"})
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        dashboard = client.get("/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    row = f'data-campaign="{world.campaign.slug}"'
    # 1,500 USD and 60,000 USD at 17.5, the rate the row itself is shown at.
    assert _figure(dashboard, row, "spent") == "MDL\xa026,250.00"
    assert _figure(dashboard, row, "remaining") == "MDL\xa01,023,750.00"
    # The kept sections' key (tracker.dashboard.sections) reads only the rates' count and
    # latest id and date; the rates themselves are read once.
    assert len([s for s in statements
                if "exchange_rate" in s and "max(exchange_rate.id)" not in s]) == 1


def test_spending_in_another_currency_is_converted_at_its_own_date_and_missing_rates_named(
        app, world):
    spend(world.grant, "2.2", "17850", "MDL", date(2027, 3, 2), "M-1")  # 1000.00 USD
    spend(world.grant, "2.1", "500", "USD", date(2027, 8, 2), "H-1")
    in_mdl = grants.campaign_spending([world.campaign.id], "MDL")[world.campaign.id]
    # 1000 USD at 17.85 (2027-03-02) + 500 USD at 18.10 (2027-08-02)
    assert in_mdl.spent == Money(Decimal("26900.00"), "MDL")
    in_gel = grants.campaign_spending([world.campaign.id], "GEL")[world.campaign.id]
    assert in_gel.unconverted == 3 and in_gel.spent == Money.zero("GEL")
    assert {pair.quote for pair in in_gel.missing} == {"GEL"}


def test_the_transfers_page_reads_in_russian(client, world):
    login(client, make_user(Role.COORDINATOR, language="ru"))
    page = client.get(f"/grants/{world.grant.id}/transfers").get_data(as_text=True)
    assert "Остатки" in page and "Запланировать транш" in page
    form = client.get(f"/grants/{world.grant.id}/transfers/new").get_data(as_text=True)
    assert "Сохранить транш" in form


def test_a_refused_edit_changes_nothing(client, world, staff):
    _plan(client, world, world.moldova, note="As planned")
    [transfer] = _transfers()
    url = f"/grants/{world.grant.id}/transfers/{transfer.id}/edit"
    assert 'value="10,000' in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"amount": "12000", "planned_on": "2027-02-01",
                                      "received": "100", "received_currency": "MDL",
                                      "note": "Changed"})
    assert response.status_code == 422
    assert "Give the date it was sent with what was received." in response.get_data(as_text=True)
    db.session.expire_all()
    [transfer] = _transfers()
    assert (transfer.amount, transfer.note, transfer.status) == (
        Money(Decimal("10000"), "USD"), "As planned", TransferStatus.PLANNED)
