"""Payments cannot overshoot their pledge: an overpayment is refused with the unpaid amount,
unless the supporter gave more (the pledge is then raised, with the reason, in the same
transaction); and deleting a payment or a pledge asks first, with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.auth_support import login, make_user
from tests.drive_support import (
    DRIVE_SLUG,
    make_payment,
    make_pledge,
    page_text,
    stored_totals,
)
from tests.factories import count_rows
from tests.pages import errors_next_to, switch_to_russian
from tracker.auth.models import Role
from tracker.drives import services
from tracker.drives.models import Payment, Pledge, PledgeStatus
from tracker.errors import DomainError
from tracker.extensions import db

PAGE = f"/drives/{DRIVE_SLUG}"


@pytest.fixture
def as_lead(client, world):
    login(client, make_user(Role.LEAD, email="lead@example.org", campaigns=[world.campaign]))
    return client


def payment_form(**overrides: str) -> dict[str, str]:
    data = {"amount": "999999", "currency": "RUB", "paid_on": "2026-03-12",
            "method": "bank_transfer", "reference": "", "note": ""}
    data.update(overrides)
    return data


def reload(model):
    db.session.expire_all()
    return db.session.get(type(model), model.id)


# --- overpayments ------------------------------------------------------------------------


def test_a_payment_far_above_the_pledge_is_refused_with_the_unpaid_amount(as_lead, drive):
    pledge = make_pledge(drive, amount="5000")
    make_payment(pledge, "1000")
    before = stored_totals(drive)
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments", data=payment_form())
    assert response.status_code == 422
    errors = " ".join(errors_next_to(response.text, "amount"))
    assert "more than the RUB 4,000.00 still unpaid" in errors
    assert count_rows(Payment) == 1
    pledge = reload(pledge)
    assert (pledge.status, pledge.amount.amount) == (PledgeStatus.PARTLY_PAID, Decimal("5000.00"))
    assert stored_totals(drive) == before
    public = page_text(as_lead.get(f"/d/{DRIVE_SLUG}").text)
    assert "312" not in public


def test_the_refusal_names_the_unpaid_amount_in_russian(as_lead, drive):
    pledge = make_pledge(drive, amount="5000")
    switch_to_russian(as_lead)
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments", data=payment_form())
    assert response.status_code == 422
    errors = " ".join(errors_next_to(response.text, "amount"))
    assert "больше неоплаченного остатка 5 000,00 ₽" in errors


def test_a_payment_in_another_currency_is_compared_in_the_pledges_currency(as_lead, drive):
    # 200 EUR pledged; 62.00 EUR is 6 200 RUB at the rate of 2026-03-05: fits; 20 000 RUB is not.
    pledge = make_pledge(drive, amount="200", currency="EUR", pledged_on=date(2026, 3, 2))
    fits = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments",
                        data=payment_form(amount="6200", currency="RUB", paid_on="2026-03-05"))
    assert fits.status_code == 302
    too_much = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments",
                            data=payment_form(amount="20000", currency="RUB",
                                              paid_on="2026-03-05"))
    assert too_much.status_code == 422
    assert "more than the €138.00 still unpaid" in " ".join(
        errors_next_to(too_much.text, "amount"))
    assert count_rows(Payment) == 1


def test_exactly_the_unpaid_rest_is_accepted_and_a_paid_pledge_takes_no_more(as_lead, drive):
    pledge = make_pledge(drive, amount="5000")
    assert as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments",
                        data=payment_form(amount="5000")).status_code == 302
    assert reload(pledge).status == PledgeStatus.PAID
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments",
                            data=payment_form(amount="0.01"))
    assert response.status_code == 422
    assert "more than the RUB 0.00 still unpaid" in " ".join(
        errors_next_to(response.text, "amount"))


def test_the_supporter_gave_more_raises_the_pledge_with_the_reason(as_lead, drive):
    pledge = make_pledge(drive, amount="5000")
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments",
                            data=payment_form(amount="7000", gave_more="y",
                                              gave_more_reason="Added 2 000 at the concert"))
    assert response.status_code == 302
    pledge = reload(pledge)
    assert (pledge.amount.amount, pledge.paid.amount, pledge.status) == (
        Decimal("7000.00"), Decimal("7000.00"), PledgeStatus.PAID)
    assert stored_totals(drive)["received_minor"] == 700000
    shown = page_text(as_lead.get(f"{PAGE}/pledges/{pledge.id}").text)
    assert "amount from RUB 5,000.00 to RUB 7,000.00" in shown
    assert "The supporter gave more: Added 2 000 at the concert" in shown
    assert "created the payment “RUB 7,000.00 · Mar 12, 2026”" in shown


def test_gave_more_without_a_reason_is_refused_and_nothing_changes(as_lead, drive):
    pledge = make_pledge(drive, amount="5000")
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments",
                            data=payment_form(amount="7000", gave_more="y"))
    assert response.status_code == 422
    assert "Say why the supporter gave more than pledged." in errors_next_to(
        response.text, "gave_more_reason")
    assert count_rows(Payment) == 0
    assert reload(pledge).amount.amount == Decimal("5000.00")


def test_the_rule_lives_in_the_service_for_imports_and_commands(drive):
    pledge = make_pledge(drive, amount="5000")
    with pytest.raises(DomainError) as refused:
        services.record_payment(pledge, services.PaymentInput(
            amount=Decimal("999999"), currency="RUB", paid_on=date(2026, 3, 12)), by=None)
    assert refused.value.field == "amount"
    db.session.rollback()
    services.record_payment(reload(pledge), services.PaymentInput(
        amount=Decimal("6000"), currency="RUB", paid_on=date(2026, 3, 12), gave_more=True,
        gave_more_reason="Round sum"), by=None)
    db.session.commit()
    assert reload(pledge).amount.amount == Decimal("6000.00")


def test_a_payment_without_a_rate_cannot_be_checked_and_is_kept_unconverted(drive):
    # No USD rate at all: the payment is recorded (the money came in) but counts nowhere
    # until a rate exists, as the drive page says; it cannot make the pledge look paid.
    pledge = make_pledge(drive, amount="5000")
    make_payment(pledge, "999999", currency="USD")
    pledge = reload(pledge)
    assert (pledge.status, pledge.paid_minor) == (PledgeStatus.PLEDGED, 0)
    # Left out and named: the payment, and the pledge's rest it makes unknown.
    assert stored_totals(drive)["unconverted"] == 2


def test_a_pledge_cannot_be_lowered_below_what_was_paid(as_lead, drive):
    from tests.drive_support import version_in
    pledge = make_pledge(drive, amount="5000")
    make_payment(pledge, "3000")
    url = f"{PAGE}/pledges/{pledge.id}/edit"
    data = {"pledger_name": "Anna Petrova", "contact_email": "", "amount": "2000",
            "currency": "RUB", "pledged_on": "2026-03-10", "channel": "bank_transfer",
            "external_reference": "", "note": "", "version": version_in(as_lead.get(url).text)}
    response = as_lead.post(url, data=data)
    assert response.status_code == 422
    assert "The pledge cannot be less than the RUB 3,000.00 already paid." in errors_next_to(
        response.text, "amount")
    assert reload(pledge).amount.amount == Decimal("5000.00")


# --- deleting asks first ------------------------------------------------------------------


def test_one_click_no_longer_deletes_a_payment(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    payment = make_payment(pledge, "400")
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments/{payment.id}/remove")
    assert response.status_code == 422
    assert "Say why, so that others understand later." in errors_next_to(response.text, "reason")
    assert count_rows(Payment) == 1
    assert stored_totals(drive)["received_minor"] == 40000


def test_removing_a_payment_asks_first_says_the_new_totals_and_keeps_the_reason(as_lead,
                                                                                 drive):
    pledge = make_pledge(drive, amount="1000")
    payment = make_payment(pledge, "400")
    page = as_lead.get(f"{PAGE}/pledges/{pledge.id}").text
    remove_url = f"{PAGE}/pledges/{pledge.id}/payments/{payment.id}/remove"
    assert f'href="{remove_url}"' in page  # a link to the confirmation, not a one-click form
    confirm = as_lead.get(remove_url)
    assert confirm.status_code == 200
    shown = page_text(confirm.text)
    assert "Remove the payment of RUB 400.00 of Mar 15, 2026?" in shown
    assert "Received RUB 400.00 → becomes RUB 0.00" in shown
    assert "Pledged, not yet paid RUB 600.00 → becomes RUB 1,000.00" in shown
    assert count_rows(Payment) == 1 and stored_totals(drive)["received_minor"] == 40000

    done = as_lead.post(remove_url, data={"reason": "Recorded on the wrong pledge"})
    assert done.status_code == 302
    assert done.headers["Location"] == f"{PAGE}/pledges/{pledge.id}#payments"
    assert count_rows(Payment) == 0
    assert stored_totals(drive) == {"pledged_minor": 100000, "received_minor": 0,
                                    "supporters": 1, "unconverted": 0}
    history = page_text(as_lead.get(f"{PAGE}/pledges/{pledge.id}?history_page=1").text)
    assert ("lead@example.org: Reason for the deletion “RUB 400.00 · Mar 15, 2026” — "
            "Reason: Recorded on the wrong pledge; Amount: RUB 400.00") in history


def test_deleting_a_pledge_asks_first_and_the_drive_keeps_the_reason(as_lead, drive):
    keep = make_pledge(drive, amount="2000", name="Boris")
    pledge = make_pledge(drive, amount="1000")
    url = f"{PAGE}/pledges/{pledge.id}/delete"
    assert f'href="{url}"' in as_lead.get(f"{PAGE}/pledges/{pledge.id}").text
    shown = page_text(as_lead.get(url).text)
    assert "Delete the pledge of RUB 1,000.00 by Anna Petrova?" in shown
    assert "Pledged, not yet paid RUB 3,000.00 → becomes RUB 2,000.00" in shown
    assert "Received RUB 0.00 → becomes RUB 0.00" in shown

    refused = as_lead.post(url, data={"reason": ""})
    assert refused.status_code == 422 and count_rows(Pledge) == 2

    done = as_lead.post(url, data={"reason": "Logged twice by mistake"})
    assert done.status_code == 302 and done.headers["Location"] == f"{PAGE}#pledges"
    assert count_rows(Pledge) == 1 and reload(keep) is not None
    assert stored_totals(drive) == {"pledged_minor": 200000, "received_minor": 0,
                                    "supporters": 1, "unconverted": 0}
    history = page_text(as_lead.get(f"{PAGE}?history_page=1").text)
    assert ("lead@example.org: Reason for the deletion “Anna Petrova · RUB 1,000.00” — "
            "Reason: Logged twice by mistake; Amount: RUB 1,000.00") in history


def test_a_pledge_with_payments_cannot_be_deleted_until_they_are(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    make_payment(pledge, "400")
    url = f"{PAGE}/pledges/{pledge.id}/delete"
    page = page_text(as_lead.get(url).text)
    assert "This pledge has payments: remove each of them first, with its reason." in page
    refused = as_lead.post(url, data={"reason": "Mistake"})
    assert refused.status_code == 422
    assert count_rows(Pledge) == 1 and count_rows(Payment) == 1


def test_the_confirmation_speaks_russian(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    payment = make_payment(pledge, "400")
    switch_to_russian(as_lead)
    shown = page_text(as_lead.get(
        f"{PAGE}/pledges/{pledge.id}/payments/{payment.id}/remove").text)
    assert "Удалить платёж на 400,00 ₽ от 15 мар. 2026 г.?" in shown
    assert "Получено 400,00 ₽ → станет 0,00 ₽" in shown
