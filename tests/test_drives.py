"""Crowdfunding drives behind the login: drives and their status, pledges in any currency,
payments, write-offs, optimistic locking, the roll-up of totals, permissions and history."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import render_template_string
from sqlalchemy import select, update

from tests.auth_support import login, make_user
from tests.drive_support import (
    DRIVE_SLUG,
    make_drive,
    make_payment,
    make_pledge,
    page_text,
    public_pledge,
    recomputed_totals,
    stored_totals,
    version_in,
)
from tests.factories import count_rows
from tests.history_support import details
from tests.pages import errors_next_to
from tracker.auth.models import Role
from tracker.drives import services
from tracker.drives.models import (
    PLEDGE_MACHINE,
    Drive,
    DriveStatus,
    DriveTotals,
    Payment,
    Pledge,
    PledgeStatus,
)
from tracker.extensions import db
from tracker.funding.rollups import refresh_changed_rollups
from tracker.money.services import add_rate
from tracker.status import TransitionNotAllowed

PAGE = f"/drives/{DRIVE_SLUG}"


def pledge_form(**overrides: Any) -> dict[str, Any]:
    """What a lead types into "Log a pledge"."""
    data: dict[str, Any] = {"pledger_name": "Anna Petrova", "contact_email": "anna@example.org",
                            "amount": "1000", "currency": "RUB", "pledged_on": "2026-03-10",
                            "channel": "bank_transfer", "external_reference": "", "note": ""}
    data.update(overrides)
    return data


def drive_form(world, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "xrf-team", "title_en": "Invite the XRF team", "title_ru": "Пригласить команду",
        "purpose_en": "Testing soil.", "purpose_ru": "Проверка почвы.",
        "organiser_org_id": str(world.organiser.id), "goal": "350 000", "currency": "RUB",
        "starts_on": "2026-09-15", "ends_on": "2027-01-31", "is_public": "y",
    }
    data.update(overrides)
    return data


def reload(model: Any) -> Any:
    db.session.expire_all()
    return db.session.get(type(model), model.id)


def figures(drive: Drive) -> services.DriveFigures:
    db.session.expire_all()
    return services.drive_figures(db.session.get(Drive, drive.id))


def rub(amount: str) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


# --- drives ------------------------------------------------------------------------------


def test_a_lead_starts_a_drive_from_the_campaign_and_it_is_a_draft(as_lead, world):
    page = as_lead.get("/campaigns/water-air/drives/new")
    assert page.status_code == 200
    assert 'name="title_en"' in page.text and 'name="title_ru"' in page.text
    assert f'<option selected value="{world.organiser.id}">' in page.text

    response = as_lead.post("/campaigns/water-air/drives/new", data=drive_form(world))
    assert response.status_code == 302
    assert response.headers["Location"] == "/drives/xrf-team"
    drive = db.session.scalars(select(Drive)).one()
    assert (drive.status, drive.goal.amount, drive.currency, drive.is_public) == (
        DriveStatus.DRAFT, Decimal("350000.00"), "RUB", True)
    assert stored_totals(drive) == {"pledged_minor": 0, "received_minor": 0, "supporters": 0,
                                    "unconverted": 0}

    shown = page_text(as_lead.get("/drives/xrf-team").text)
    assert "Invite the XRF team" in shown and "Draft" in shown
    assert "Make it “Live”" in shown and "Make it “Cancelled”" in shown


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"goal": "-5"}, "goal", "The amount must be greater than zero."),
    ({"goal": "12.345"}, "goal", "RUB allows at most 2 decimal places."),
    ({"ends_on": "2026-09-01"}, "ends_on", "The end date cannot be before the start date."),
    ({"title_en": "", "title_ru": ""}, "title_en", "Give the title in English or Russian."),
    ({"slug": "Not a slug!"}, "slug",
     "Use lowercase latin letters, digits and hyphens, e.g. eco-accord."),
    ({"currency": "XYZ"}, "currency", "Choose a known currency (ISO 4217 code)."),
])
def test_a_bad_drive_is_refused_next_to_its_field_and_nothing_is_written(
        as_lead, world, changes, field, message):
    response = as_lead.post("/campaigns/water-air/drives/new", data=drive_form(world, **changes))
    assert response.status_code == 422
    assert message in errors_next_to(response.text, field)
    assert count_rows(Drive) == 0


def test_the_organiser_must_take_part_in_the_campaign(as_lead, world):
    outsider = world.other_campaign.lead_org
    response = as_lead.post("/campaigns/water-air/drives/new",
                            data=drive_form(world, organiser_org_id=str(outsider.id)))
    assert response.status_code == 422
    assert "Choose an organisation that takes part in the campaign." in errors_next_to(
        response.text, "organiser_org_id")
    assert count_rows(Drive) == 0


def test_a_short_name_is_used_by_one_drive_only(as_lead, world, drive):
    response = as_lead.post("/campaigns/water-air/drives/new",
                            data=drive_form(world, slug=DRIVE_SLUG))
    assert response.status_code == 422
    assert f"A drive with the short name {DRIVE_SLUG} already exists." in errors_next_to(
        response.text, "slug")
    assert count_rows(Drive) == 1


def test_the_goal_currency_is_fixed_once_pledges_exist(as_lead, world, drive):
    make_pledge(drive)
    response = as_lead.post(f"{PAGE}/edit", data=drive_form(world, slug=DRIVE_SLUG,
                                                             currency="EUR"))
    assert response.status_code == 422
    assert ("The goal currency cannot change once pledges are recorded: their conversions are "
            "in RUB.") in errors_next_to(response.text, "currency")
    assert reload(drive).currency == "RUB"


# The machines' tables written out by hand: a change to either machine must change these.
DRIVE_MOVES_ALLOWED = {
    ("draft", "live"), ("draft", "cancelled"),
    ("live", "funded"), ("live", "closed"), ("live", "cancelled"),
    ("funded", "closed"), ("funded", "live"),
}
PLEDGE_MOVES_ALLOWED = {
    ("unconfirmed", "pledged"), ("unconfirmed", "rejected"),
    ("pledged", "partly_paid"), ("pledged", "paid"), ("pledged", "cancelled"),
    ("pledged", "written_off"),
    ("partly_paid", "pledged"), ("partly_paid", "paid"), ("partly_paid", "cancelled"),
    ("partly_paid", "written_off"),
    ("paid", "pledged"), ("paid", "partly_paid"),
}
DRIVE_STATUSES = ("draft", "live", "funded", "closed", "cancelled")
PLEDGE_STATUSES = ("unconfirmed", "pledged", "partly_paid", "paid", "cancelled", "written_off",
                   "rejected")


@pytest.mark.parametrize(("current", "to"), [(current, to) for current in DRIVE_STATUSES
                                              for to in DRIVE_STATUSES])
def test_the_drive_status_machine_allows_exactly_these_moves(world, current, to):
    drive = make_drive(world, status=DriveStatus(current))
    if (current, to) in DRIVE_MOVES_ALLOWED:
        services.move_drive(drive, DriveStatus(to))
        assert drive.status == DriveStatus(to)
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            services.move_drive(drive, DriveStatus(to))
        assert (f"A drive cannot move from “{DriveStatus(current).label}” to "
                f"“{DriveStatus(to).label}”.") in str(refused.value)
        db.session.rollback()
        assert reload(drive).status == DriveStatus(current)


@pytest.mark.parametrize(("current", "to"), [(current, to) for current in PLEDGE_STATUSES
                                              for to in PLEDGE_STATUSES])
def test_the_pledge_status_machine_allows_exactly_these_moves(app, current, to):
    pledge = Pledge(status=PledgeStatus(current))
    if (current, to) in PLEDGE_MOVES_ALLOWED:
        assert PLEDGE_MACHINE.move(pledge, PledgeStatus(to)) == PledgeStatus(current)
        assert pledge.status == PledgeStatus(to)
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            PLEDGE_MACHINE.move(pledge, PledgeStatus(to))
        assert (f"A pledge cannot move from “{PledgeStatus(current).label}” to "
                f"“{PledgeStatus(to).label}”.") in str(refused.value)
        assert pledge.status == PledgeStatus(current)


def test_status_buttons_follow_the_table_and_a_refused_move_says_why(as_lead, world):
    make_drive(world, status=DriveStatus.DRAFT)
    for step, label in ((DriveStatus.LIVE, "Live"), (DriveStatus.FUNDED, "Funded"),
                        (DriveStatus.LIVE, "Live"), (DriveStatus.CLOSED, "Closed")):
        response = as_lead.post(f"{PAGE}/status", data={"to": step.value})
        assert response.status_code == 302, step
        assert f"The drive is now “{label}”." in page_text(as_lead.get(PAGE).text)

    page = as_lead.get(PAGE).text
    assert "Make it" not in page  # closed is final: no buttons
    response = as_lead.post(f"{PAGE}/status", data={"to": "live"})
    assert response.status_code == 422
    assert "A drive cannot move from “Closed” to “Live”. “Closed” is final." in response.text
    assert db.session.scalar(select(Drive.status)) == DriveStatus.CLOSED


def test_a_draft_cannot_be_funded_and_the_message_names_the_allowed_moves(as_lead, world):
    make_drive(world, status=DriveStatus.DRAFT)
    response = as_lead.post(f"{PAGE}/status", data={"to": "funded"})
    assert response.status_code == 422
    assert ("A drive cannot move from “Draft” to “Funded”. From “Draft” it can move to: Live, "
            "Cancelled.") in response.text
    assert db.session.scalar(select(Drive.status)) == DriveStatus.DRAFT


def test_the_drives_list_filters_by_campaign_and_status(as_lead, world, drive):
    make_drive(world, slug="second-drive", status=DriveStatus.DRAFT, title_en="Second drive",
               title_ru="Второй сбор")
    page = as_lead.get("/drives/").text
    assert "Invite the XRF team from Tajikistan to Chelyabinsk" in page and "Second drive" in page
    live = as_lead.get("/drives/?status=live").text
    assert "Invite the XRF team" in live and "Second drive" not in live
    other = as_lead.get(f"/drives/?campaign={world.other_campaign.id}").text
    assert "No drives match these filters." in other


def test_the_campaign_page_partial_lists_the_campaigns_drives(as_lead, world, drive):
    make_pledge(drive, amount="100000")
    with as_lead.application.test_request_context():
        html = render_template_string('{% include "drives/_campaign_drives.html" %}',
                                      campaign=world.campaign)
    shown = page_text(html)
    assert "Crowdfunding drives" in shown
    assert "Invite the XRF team from Tajikistan to Chelyabinsk" in shown
    assert "RUB 0.00 received, RUB 100,000.00 pledged of RUB 350,000.00" in shown
    assert "1 supporter" in shown


# --- pledges and conversions -------------------------------------------------------------


def test_a_lead_logs_a_pledge_in_roubles(as_lead, drive):
    form = as_lead.get(f"{PAGE}/pledges/new")
    assert form.status_code == 200
    assert '<option selected value="RUB">' in form.text  # the drive's currency by default

    response = as_lead.post(f"{PAGE}/pledges/new", data=pledge_form(amount="1 500,50"))
    assert response.status_code == 302
    pledge = db.session.scalars(select(Pledge)).one()
    assert (pledge.amount.amount, pledge.currency, pledge.status) == (
        Decimal("1500.50"), "RUB", PledgeStatus.PLEDGED)
    assert pledge.logged_by.email == "lead@example.org"
    assert "Pledge of RUB 1,500.50 logged." in page_text(as_lead.get(PAGE).text)
    assert stored_totals(drive)["pledged_minor"] == 150050


@pytest.mark.parametrize(("amount", "pledged_on", "rate_on"), [
    ("62000", "2026-03-10", date(2026, 3, 1)),   # 1 / 6.20
    ("63000", "2026-02-15", date(2026, 1, 5)),   # 1 / 6.30: the latest rate on or before
])
def test_a_pledge_in_tenge_is_converted_at_the_rate_of_its_date_and_kept_as_given(
        as_lead, drive, amount, pledged_on, rate_on):
    response = as_lead.post(f"{PAGE}/pledges/new",
                            data=pledge_form(amount=amount, currency="KZT", pledged_on=pledged_on))
    assert response.status_code == 302
    pledge = db.session.scalars(select(Pledge)).one()
    assert pledge.amount.amount == Decimal(amount) and pledge.currency == "KZT"
    assert pledge.drive_amount.amount == rub("10000") and pledge.drive_amount.currency == "RUB"
    assert pledge.drive_rate_on == rate_on
    assert pledge.drive_rate == (1 / Decimal("6.20") if rate_on.month == 3
                                 else 1 / Decimal("6.30")).quantize(pledge.drive_rate)

    table = page_text(as_lead.get(PAGE).text)
    assert f"KZT {int(amount):,}.00 RUB 10,000.00" in table  # the original, then converted
    assert figures(drive).pledged.amount == rub("10000")


def test_a_pledge_in_euros_is_converted_directly(drive):
    pledge = make_pledge(drive, amount="100", currency="EUR", pledged_on=date(2026, 1, 20))
    assert pledge.drive_amount.amount == rub("9500")  # 95.00 on 2026-01-05
    assert pledge.drive_rate == Decimal("95")


def test_a_missing_rate_is_named_with_pair_and_date_and_never_counted_as_zero(as_lead, drive):
    make_pledge(drive, amount="2000")
    response = as_lead.post(f"{PAGE}/pledges/new", data=pledge_form(
        amount="50000", currency="KZT", pledged_on="2025-12-01", pledger_name="Early bird"))
    assert response.status_code == 302  # the pledge is recorded as given...
    pledge = db.session.scalar(select(Pledge).where(Pledge.currency == "KZT"))
    assert pledge.drive_amount_minor is None and pledge.drive_rate is None  # ...not as zero
    assert stored_totals(drive) == {"pledged_minor": 200000, "received_minor": 0,
                                    "supporters": 2, "unconverted": 1}

    page = page_text(as_lead.get(PAGE).text)
    assert "No exchange rate from KZT to RUB on or before 2025-12-01." in page
    assert "1 amount is left out of these totals: it has no exchange rate yet." in page
    assert "no rate" in page  # in the pledges table instead of a converted amount
    pledge_page = page_text(as_lead.get(f"{PAGE}/pledges/{pledge.id}").text)
    assert "No exchange rate from KZT to RUB on or before 2025-12-01." in pledge_page

    # Once the rate is known, converting again counts it.
    add_rate(date(2025, 12, 1), "RUB", "KZT", Decimal("6.25"), "Test rates")
    db.session.commit()
    assert as_lead.post(f"{PAGE}/reconvert").status_code == 302
    assert reload(pledge).drive_amount.amount == rub("8000")
    assert stored_totals(drive) == {"pledged_minor": 1000000, "received_minor": 0,
                                    "supporters": 2, "unconverted": 0}
    assert "left out of these totals" not in as_lead.get(PAGE).text


def test_a_payment_without_a_rate_is_named_and_left_out(drive):
    pledge = make_pledge(drive, amount="100", currency="USD")
    make_payment(pledge, "40", paid_on=date(2026, 3, 20))
    assert pledge.paid.amount == Decimal("40.00") and pledge.status == PledgeStatus.PARTLY_PAID
    messages = [item.message for item in services.missing_rates(reload(drive))]
    assert messages == ["No exchange rate from USD to RUB on or before 2026-03-10.",
                        "No exchange rate from USD to RUB on or before 2026-03-20."]
    assert stored_totals(drive) == {"pledged_minor": 0, "received_minor": 0, "supporters": 1,
                                    "unconverted": 2}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"amount": "-5"}, "amount", "The amount must be greater than zero."),
    ({"amount": "0"}, "amount", "The amount must be greater than zero."),
    ({"amount": "10.555"}, "amount", "RUB allows at most 2 decimal places."),
    ({"amount": "abc"}, "amount", "Enter a number, e.g. 1500 or 1 500,50."),
    ({"amount": "9" * 16}, "amount", "This amount is implausibly large; check the digits."),
    ({"currency": "XYZ"}, "currency", "Choose a known currency (ISO 4217 code)."),
    ({"pledged_on": ""}, "pledged_on", "Give the date of the pledge."),
    ({"pledged_on": (date.today() + timedelta(days=3)).isoformat()}, "pledged_on",
     "The date cannot be in the future."),
    ({"contact_email": "not an address"}, "contact_email",
     "Give a valid e-mail address, e.g. name@example.org."),
])
def test_a_bad_pledge_is_refused_next_to_its_field_and_nothing_is_written(
        as_lead, drive, changes, field, message):
    response = as_lead.post(f"{PAGE}/pledges/new", data=pledge_form(**changes))
    assert response.status_code == 422
    assert message in errors_next_to(response.text, field)
    assert count_rows(Pledge) == 0
    assert stored_totals(drive)["supporters"] == 0


def test_an_external_reference_is_used_once_per_drive(as_lead, world, drive):
    make_pledge(drive, external_reference="BANK-1")
    response = as_lead.post(f"{PAGE}/pledges/new", data=pledge_form(external_reference="BANK-1"))
    assert response.status_code == 422
    assert "A pledge with the reference BANK-1 is already recorded for this drive." in \
        errors_next_to(response.text, "external_reference")
    assert count_rows(Pledge) == 1
    other = make_drive(world, slug="other-drive")
    make_pledge(other, external_reference="BANK-1")  # another drive may use it
    assert count_rows(Pledge) == 2


def test_an_anonymous_pledge_needs_no_name(as_lead, drive):
    response = as_lead.post(f"{PAGE}/pledges/new", data=pledge_form(pledger_name=""))
    assert response.status_code == 302
    pledge = db.session.scalars(select(Pledge)).one()
    assert pledge.is_anonymous and pledge.pledger_name == ""
    assert "Anonymous" in page_text(as_lead.get(PAGE).text)


def test_closed_drives_take_no_new_pledges(as_lead, world):
    make_drive(world, status=DriveStatus.CLOSED)
    response = as_lead.post(f"{PAGE}/pledges/new", data=pledge_form())
    assert response.status_code == 422
    assert "This drive is “Closed”: it takes no new pledges." in response.text
    assert count_rows(Pledge) == 0


# --- payments, write-offs, cancellations -------------------------------------------------


def test_payments_move_a_pledge_from_pledged_to_partly_paid_to_paid(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    url = f"{PAGE}/pledges/{pledge.id}"
    page = as_lead.get(url)
    assert "Record a payment" in page.text
    assert 'value="1,000.00"' in page.text  # the outstanding amount, as English writes it

    response = as_lead.post(f"{url}/payments", data={"amount": "400", "currency": "RUB",
                                                     "paid_on": "2026-03-12",
                                                     "method": "card", "reference": "R-1"})
    assert response.status_code == 302
    pledge = reload(pledge)
    assert (pledge.status, pledge.paid.amount) == (PledgeStatus.PARTLY_PAID, rub("400"))
    assert stored_totals(drive) == {"pledged_minor": 60000, "received_minor": 40000,
                                    "supporters": 1, "unconverted": 0}

    as_lead.post(f"{url}/payments", data={"amount": "600", "currency": "RUB",
                                          "paid_on": "2026-03-20", "method": "cash"})
    pledge = reload(pledge)
    assert (pledge.status, pledge.paid.amount) == (PledgeStatus.PAID, rub("1000"))
    assert stored_totals(drive)["pledged_minor"] == 0
    assert stored_totals(drive)["received_minor"] == 100000
    shown = page_text(as_lead.get(url).text)
    assert "Paid RUB 1,000.00 Still to pay RUB 0.00" in shown


def test_a_payment_in_another_currency_is_converted_into_the_pledge_and_the_drive(drive):
    pledge = make_pledge(drive, amount="200", currency="EUR", pledged_on=date(2026, 3, 2))
    payment = make_payment(pledge, "6200", currency="RUB", paid_on=date(2026, 3, 5))
    # 6 200 RUB at 1/100 EUR is 62.00 EUR towards the pledge, and 6 200 RUB received.
    assert (payment.amount.amount, payment.amount.currency) == (rub("6200"), "RUB")
    assert payment.pledge_amount.amount == Decimal("62.00")
    assert payment.pledge_rate_on == date(2026, 3, 1)
    assert payment.drive_amount.amount == rub("6200") and payment.drive_rate_on is None
    pledge = reload(pledge)
    assert (pledge.status, pledge.paid.amount) == (PledgeStatus.PARTLY_PAID, Decimal("62.00"))
    # The unpaid 138 EUR at the pledge's own rate (100): 13 800 RUB still pledged.
    assert stored_totals(drive) == {"pledged_minor": 1380000, "received_minor": 620000,
                                    "supporters": 1, "unconverted": 0}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"amount": "0"}, "amount", "The amount must be greater than zero."),
    ({"amount": ""}, "amount", "Give the amount paid."),
    ({"paid_on": (date.today() + timedelta(days=1)).isoformat()}, "paid_on",
     "The date cannot be in the future."),
])
def test_a_bad_payment_is_refused_and_nothing_changes(as_lead, drive, changes, field, message):
    pledge = make_pledge(drive)
    data = {"amount": "100", "currency": "RUB", "paid_on": "2026-03-12", "method": "cash",
            **changes}
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments", data=data)
    assert response.status_code == 422
    assert message in errors_next_to(response.text, field)
    assert count_rows(Payment) == 0
    assert reload(pledge).status == PledgeStatus.PLEDGED


@pytest.mark.parametrize("status", ["unconfirmed", "cancelled", "rejected"])
def test_payments_are_refused_on_unconfirmed_cancelled_and_rejected_pledges(drive, status):
    pledge = public_pledge(drive)
    if status == "cancelled":
        services.confirm_pledge(pledge)
        services.cancel_pledge(pledge, "Changed their mind")
    elif status == "rejected":
        services.reject_pledge(pledge, "Spam")
    db.session.commit()
    with pytest.raises(services.PaymentRefused) as refused:
        services.record_payment(pledge, services.PaymentInput(
            amount=Decimal("10"), currency="RUB", paid_on=date(2026, 3, 1)), by=None)
    assert "Payments cannot be recorded on this pledge" in str(refused.value)
    db.session.rollback()
    assert count_rows(Payment) == 0


def test_a_write_off_keeps_what_was_paid_and_drops_only_the_rest(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    make_payment(pledge, "300")
    other = make_pledge(drive, amount="500", name="Boris")
    assert stored_totals(drive) == {"pledged_minor": 120000, "received_minor": 30000,
                                    "supporters": 2, "unconverted": 0}
    url = f"{PAGE}/pledges/{pledge.id}"

    refused = as_lead.post(f"{url}/write-off", data={"reason": "", "version": pledge.version})
    assert refused.status_code == 422
    assert "Say why, so that others understand later." in errors_next_to(refused.text, "reason")
    assert reload(pledge).status == PledgeStatus.PARTLY_PAID

    response = as_lead.post(f"{url}/write-off", data={
        "reason": "The pledger moved abroad.", "version": reload(pledge).version})
    assert response.status_code == 302
    pledge = reload(pledge)
    assert pledge.status == PledgeStatus.WRITTEN_OFF
    assert pledge.paid.amount == rub("300") and count_rows(Payment) == 1  # history kept
    # received keeps the 300 once; pledged drops the 700 rest, keeps Boris's 500.
    assert stored_totals(drive) == {"pledged_minor": 50000, "received_minor": 30000,
                                    "supporters": 2, "unconverted": 0}
    assert stored_totals(drive) == recomputed_totals(drive)
    shown = page_text(as_lead.get(url).text)
    assert "Written off" in shown and "The pledger moved abroad." in shown

    # A late payment after the write-off is received money, counted once, status kept.
    make_payment(reload(pledge), "100")
    assert reload(pledge).status == PledgeStatus.WRITTEN_OFF
    assert stored_totals(drive)["received_minor"] == 40000
    assert stored_totals(drive)["pledged_minor"] == 50000
    assert reload(other).status == PledgeStatus.PLEDGED


def test_a_cancelled_pledge_stops_counting_and_a_paid_one_cannot_be_cancelled(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/cancel", data={
        "reason": "Withdrawn by phone", "version": pledge.version})
    assert response.status_code == 302
    assert reload(pledge).status == PledgeStatus.CANCELLED
    assert stored_totals(drive) == {"pledged_minor": 0, "received_minor": 0, "supporters": 0,
                                    "unconverted": 0}

    paid = make_pledge(drive, amount="100", name="Vera")
    make_payment(paid, "100")
    response = as_lead.post(f"{PAGE}/pledges/{paid.id}/cancel", data={
        "reason": "Oops", "version": reload(paid).version})
    assert response.status_code == 422
    assert "A pledge cannot move from “Paid” to “Cancelled”." in response.text
    assert reload(paid).status == PledgeStatus.PAID


def test_removing_a_payment_recomputes_the_pledge_and_the_drive(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    first = make_payment(pledge, "400")
    make_payment(reload(pledge), "600")
    assert reload(pledge).status == PledgeStatus.PAID
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments/{first.id}/remove",
                            data={"reason": "Recorded twice"})
    assert response.status_code == 302
    pledge = reload(pledge)
    assert (pledge.status, pledge.paid.amount) == (PledgeStatus.PARTLY_PAID, rub("600"))
    assert stored_totals(drive) == {"pledged_minor": 40000, "received_minor": 60000,
                                    "supporters": 1, "unconverted": 0}


# --- optimistic locking ------------------------------------------------------------------


def edit_form(page: str, **changes: Any) -> dict[str, Any]:
    data = pledge_form(version=version_in(page))
    data.update(changes)
    return data


def test_two_people_editing_one_pledge_the_second_gets_a_conflict(app, client, lead, drive):
    pledge = make_pledge(drive, amount="1000")
    url = f"{PAGE}/pledges/{pledge.id}/edit"
    other_client = app.test_client()
    login(client, lead)
    login(other_client, make_user(Role.COORDINATOR, email="coordinator@example.org"))

    mine = client.get(url).text
    theirs = other_client.get(url).text
    assert version_in(mine) == version_in(theirs)

    first = client.post(url, data=edit_form(mine, amount="1500"))
    assert first.status_code == 302
    second = other_client.post(url, data=edit_form(theirs, amount="2000", note="Mine!"))
    assert second.status_code == 409
    assert ("Someone else changed this pledge while you were editing; reload to see their "
            "changes.") in second.text
    assert 'value="2000"' in second.text  # what they typed is still in their form

    pledge = reload(pledge)
    assert pledge.amount.amount == rub("1500") and pledge.note == ""
    assert stored_totals(drive)["pledged_minor"] == 150000

    # After reloading, their change goes through.
    fresh = other_client.get(url).text
    assert other_client.post(url, data=edit_form(fresh, amount="2000")).status_code == 302
    assert reload(pledge).amount.amount == rub("2000")


@pytest.mark.commits
def test_a_stale_version_at_the_database_is_the_same_conflict(drive):
    pledge = make_pledge(drive, amount="1000")
    seen = pledge.version
    # Someone else's save lands, in its own transaction, between our read and our write.
    with db.engine.begin() as connection:
        connection.execute(update(Pledge.__table__).where(Pledge.__table__.c.id == pledge.id)
                           .values(version=seen + 1, note="theirs"))
    with pytest.raises(services.PledgeConflict):
        services.update_pledge(pledge, services.PledgeInput(
            amount=Decimal("1500"), currency="RUB", pledged_on=date(2026, 3, 10),
            pledger_name="Anna Petrova", version=seen))
    db.session.rollback()
    pledge = reload(pledge)
    assert pledge.note == "theirs" and pledge.amount.amount == rub("1000")


def test_an_edit_without_its_version_is_refused(as_lead, drive):
    pledge = make_pledge(drive)
    data = pledge_form(amount="5")
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/edit", data=data)
    assert response.status_code == 422
    assert reload(pledge).amount.amount == rub("1000")


# --- the roll-up -------------------------------------------------------------------------


def test_the_roll_up_equals_a_fresh_computation_after_a_sequence_of_writes(drive):
    anna = make_pledge(drive, amount="1000")
    tenge = make_pledge(drive, amount="62000", currency="KZT", name="Steppe")
    euro = make_pledge(drive, amount="100", currency="EUR", name="Hans",
                       pledged_on=date(2026, 1, 20))
    dollars = make_pledge(drive, amount="50", currency="USD", name="No rate")
    make_payment(anna, "250")
    make_payment(tenge, "31000")
    make_payment(euro, "3000", currency="RUB", paid_on=date(2026, 3, 2))
    web = public_pledge(drive, amount="700")
    services.confirm_pledge(web)
    db.session.commit()
    spam = public_pledge(drive, amount="999999", name="Spam")
    services.reject_pledge(spam, "spam")
    services.write_off_pledge(reload(tenge), "Organisation closed")
    services.update_pledge(reload(anna), services.PledgeInput(
        amount=Decimal("40"), currency="EUR", pledged_on=date(2026, 3, 10),
        pledger_name="Anna Petrova", version=reload(anna).version))
    db.session.commit()
    make_payment(reload(dollars), "10")
    services.cancel_pledge(reload(dollars), "Duplicate")
    db.session.commit()

    stored = stored_totals(drive)
    assert stored == recomputed_totals(drive)
    # And by hand: received 250 + 5 000 (31 000 KZT) + 3 000 = 8 250 RUB (the USD payment has
    # no rate); pledged: Anna's 40 EUR less her 250 RUB (2.50 EUR) leaves 37.50 EUR at 100 =
    # 3 750 RUB; Hans's 100 EUR less 3 000 RUB (30 EUR) leaves 70 EUR at 95 = 6 650 RUB; the
    # web pledge 700 RUB. The written-off tenge pledge adds nothing more; the USD one is
    # cancelled, its unconverted payment is the one amount left out.
    assert stored == {"received_minor": 825000, "pledged_minor": 375000 + 665000 + 70000,
                      "supporters": 4, "unconverted": 1}
    assert figures(drive).received.amount == rub("8250")


def test_the_drive_page_reads_the_roll_up_not_the_pledges(as_lead, drive):
    make_pledge(drive, amount="1000")
    db.session.execute(update(DriveTotals).values(received_minor=4242))
    db.session.commit()
    assert "RUB 42.42" in page_text(as_lead.get(PAGE).text)


# --- permissions -------------------------------------------------------------------------


STAFF_ACTIONS = [
    ("get", "/drives/{slug}/edit", {}),
    ("post", "/drives/{slug}/edit", {"slug": "hijacked"}),
    ("post", "/drives/{slug}/status", {"to": "cancelled"}),
    ("post", "/drives/{slug}/reconvert", {}),
    ("get", "/drives/{slug}/pledges/new", {}),
    ("post", "/drives/{slug}/pledges/new", pledge_form(amount="5")),
    ("get", "/drives/{slug}/pledges/{pledge}/edit", {}),
    ("post", "/drives/{slug}/pledges/{pledge}/edit", pledge_form(amount="5", version="1")),
    ("post", "/drives/{slug}/pledges/{pledge}/payments",
     {"amount": "5", "currency": "RUB", "paid_on": "2026-03-12", "method": "cash"}),
    ("get", "/drives/{slug}/pledges/{pledge}/payments/{payment}/remove", {}),
    ("post", "/drives/{slug}/pledges/{pledge}/payments/{payment}/remove", {"reason": "x"}),
    ("get", "/drives/{slug}/pledges/{unconfirmed}/delete", {}),
    ("post", "/drives/{slug}/pledges/{unconfirmed}/delete", {"reason": "x"}),
    ("post", "/drives/{slug}/pledges/{pledge}/cancel", {"reason": "x", "version": "2"}),
    ("post", "/drives/{slug}/pledges/{pledge}/write-off", {"reason": "x", "version": "2"}),
    ("post", "/drives/{slug}/pledges/{unconfirmed}/confirm", {"version": "1"}),
    ("post", "/drives/{slug}/pledges/{unconfirmed}/reject", {"version": "1"}),
    ("get", "/campaigns/water-air/drives/new", {}),
    ("post", "/campaigns/water-air/drives/new", {"slug": "another"}),
]


@pytest.mark.parametrize("role", ["lead of another campaign", "viewer", "fundraiser"])
def test_others_get_403_on_this_drives_staff_actions_and_nothing_changes(
        client, world, drive, role):
    pledge = make_pledge(drive, amount="1000")
    payment = make_payment(pledge, "100")
    unconfirmed = public_pledge(drive)
    before = (stored_totals(drive), count_rows(Pledge), count_rows(Payment), count_rows(Drive))
    user = {
        "lead of another campaign": lambda: make_user(Role.LEAD, campaigns=[world.other_campaign]),
        "viewer": lambda: make_user(Role.VIEWER),
        "fundraiser": lambda: make_user(Role.FUNDRAISER),
    }[role]()
    login(client, user)
    for method, path, data in STAFF_ACTIONS:
        url = path.format(slug=DRIVE_SLUG, pledge=pledge.id, payment=payment.id,
                          unconfirmed=unconfirmed.id)
        response = client.get(url) if method == "get" else client.post(url, data=data)
        assert response.status_code == 403, (method, url)
    after = (stored_totals(drive), count_rows(Pledge), count_rows(Payment), count_rows(Drive))
    assert after == before
    assert reload(drive).status == DriveStatus.LIVE
    assert reload(unconfirmed).status == PledgeStatus.UNCONFIRMED
    # They may still read the drive and its pledges, without the buttons.
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Log a pledge" not in page.text and "Edit drive" not in page.text
    assert "Confirm" not in page_text(page.text)
    pledge_page = client.get(f"{PAGE}/pledges/{pledge.id}").text
    assert "Record a payment" not in pledge_page and "Edit pledge" not in pledge_page


def test_the_campaigns_lead_and_the_coordinator_see_the_buttons(client, lead, drive):
    public_pledge(drive)
    for user in (lead, make_user(Role.COORDINATOR)):
        login(client, user)
        page = client.get(PAGE).text
        assert "Log a pledge" in page and "Edit drive" in page and ">Confirm<" in page


def test_anonymous_visitors_are_sent_to_the_login_page(client, drive):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- history -----------------------------------------------------------------------------


def test_the_pledge_history_shows_an_edit_with_its_before_and_after(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    url = f"{PAGE}/pledges/{pledge.id}"
    page = as_lead.get(f"{url}/edit").text
    response = as_lead.post(f"{url}/edit", data=edit_form(page, amount="1500"))
    assert response.status_code == 302

    html = as_lead.get(url).text
    history = page_text(html)
    history = history[history.index("History"):]
    assert ("lead@example.org changed 4 fields of the pledge “Anna Petrova · RUB 1,500.00”: "
            "contact e-mail, amount, channel, and in the drive's currency") in history
    # Each field before and after is one "Details" link away (issue 15).
    assert "Amount: RUB 1,000.00 → RUB 1,500.00" in details(as_lead, html)
    assert "System created the pledge “Anna Petrova · RUB 1,000.00”" in history
    # The drive's own history (opened: its fold's part) lists its pledges' changes too.
    opened = as_lead.get(f"{PAGE}?part=history").text
    assert "Amount: RUB 1,000.00 → RUB 1,500.00" in details(as_lead, opened)


def test_payments_appear_in_the_pledges_history(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    make_payment(pledge, "250", paid_on=date(2026, 3, 15))
    history = page_text(as_lead.get(f"{PAGE}/pledges/{pledge.id}").text)
    assert "created the payment “RUB 250.00 · Mar 15, 2026”" in history
    assert "paid from RUB 0.00 to RUB 250.00" in history


# --- demo data ---------------------------------------------------------------------------


def test_the_demo_drive_loads_once_and_adds_up(app):
    from tracker.demo import load_demo
    from tracker.demo.drives import DRIVE_SLUG as DEMO_SLUG
    from tracker.demo.drives import load_drive_demo

    report = load_demo()  # the drive comes with the rest of the demo coalition
    db.session.commit()
    assert report.rates >= 8  # RUB→KZT and EUR→RUB on each demo rate date, among others
    again = load_drive_demo()
    db.session.commit()
    assert (again.drives, again.pledges, again.payments, again.rates) == (0, 0, 0, 0)

    drive = services.find_drive(DEMO_SLUG)
    assert drive.status == DriveStatus.LIVE and drive.is_public and drive.currency == "RUB"
    assert drive.organiser.slug == "for-nature-chelyabinsk"
    assert drive.campaign.lead_org_id == drive.organiser_org_id
    statuses = {p.status for p in db.session.scalars(select(Pledge))}
    assert statuses >= {PledgeStatus.PLEDGED, PledgeStatus.PARTLY_PAID, PledgeStatus.PAID,
                        PledgeStatus.UNCONFIRMED}
    assert {p.currency for p in db.session.scalars(select(Pledge))} >= {"RUB", "KZT", "EUR"}
    assert stored_totals(drive) == recomputed_totals(drive)
    assert stored_totals(drive)["unconverted"] == 0
    assert app.test_client().get(f"/d/{DEMO_SLUG}").status_code == 200


def test_no_page_of_the_drive_uses_inline_styles(as_lead, drive):
    pledge = make_pledge(drive)
    for url in (PAGE, f"{PAGE}/pledges/{pledge.id}", f"{PAGE}/edit", f"{PAGE}/pledges/new",
                "/drives/", f"/d/{DRIVE_SLUG}", f"/d/{DRIVE_SLUG}/widget"):
        html = as_lead.get(url).text
        assert not re.search(r"\sstyle=", html), url
        assert "<script>" not in html, url


@pytest.mark.commits
def test_two_writers_at_once_cannot_make_the_roll_up_drift(app, backend, drive):
    """On PostgreSQL: the second writer waits for the first's lock, then sums its pledge too."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")
    import threading

    first_holds_lock = threading.Event()
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            with app.app_context():
                first_holds_lock.wait(10)
                other = db.session.get(Drive, drive.id)
                make_pledge(other, amount="200", name="Second")
                db.session.remove()
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    thread = threading.Thread(target=second_writer)
    thread.start()
    services.log_pledge(drive, services.PledgeInput(
        amount=Decimal("100"), currency="RUB", pledged_on=date(2026, 3, 10),
        pledger_name="First"), by=None)  # uncommitted: its commit locks the roll-up row
    first_holds_lock.set()
    thread.join(0.5)  # the second writer is now waiting on the row
    db.session.commit()
    thread.join(10)
    assert not errors, errors
    assert stored_totals(drive) == recomputed_totals(drive)
    assert stored_totals(drive)["pledged_minor"] == 30000


def test_totals_follow_at_the_commit_or_when_asked_for_before_it(world, drive):
    """No service refreshes a roll-up: the commit does, or refresh_changed_rollups on demand."""
    services.log_pledge(drive, services.PledgeInput(
        amount=Decimal("1500.50"), currency="RUB", pledged_on=date(2026, 3, 10),
        pledger_name="Anna"), by=None)
    assert stored_totals(drive)["pledged_minor"] == 0  # not yet: nothing committed
    refresh_changed_rollups()
    assert stored_totals(drive) == recomputed_totals(drive)
    assert stored_totals(drive)["pledged_minor"] == 150050
    services.log_pledge(drive, services.PledgeInput(
        amount=Decimal("100"), currency="RUB", pledged_on=date(2026, 3, 10),
        pledger_name="Boris"), by=None)
    db.session.commit()
    assert stored_totals(drive)["pledged_minor"] == 160050
    assert stored_totals(drive)["supporters"] == 2


def test_drive_money_is_grouped_by_currency_and_date_for_the_gap(world, drive):
    tenge = make_pledge(drive, amount="62000", currency="KZT", name="Steppe")
    make_pledge(drive, amount="500", name="Boris")
    make_pledge(drive, amount="700", name="Vera")
    anna = make_pledge(drive, amount="1000", pledged_on=date(2026, 3, 11))
    make_payment(tenge, "31000", paid_on=date(2026, 3, 15))
    make_payment(anna, "1000", paid_on=date(2026, 3, 15))
    spam = public_pledge(drive, amount="5")
    services.reject_pledge(spam, "spam")
    db.session.commit()

    money = services.drive_money([drive.id])
    assert [(s.currency, s.on, s.amount, s.count) for s in money.received] == [
        ("KZT", date(2026, 3, 15), Decimal("31000.00"), 1),
        ("RUB", date(2026, 3, 15), Decimal("1000.00"), 1)]
    assert [(s.currency, s.on, s.amount, s.count) for s in money.pledged] == [
        ("KZT", date(2026, 3, 10), Decimal("31000.00"), 1),
        ("RUB", date(2026, 3, 10), Decimal("1200.00"), 2)]
    assert money.unknown_rest == 0
    assert services.drive_money([]) == services.DriveMoney([], [])
