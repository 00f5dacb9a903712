"""The public drive pages: what anyone sees at /d/<slug>, the pledge form with its guards
(CSRF, honeypot, rate limit), the thank-you page, the embeddable widget, both languages."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.auth_support import login, make_user
from tests.drive_support import (
    DRIVE_SLUG,
    make_drive,
    make_payment,
    make_pledge,
    page_text,
    public_pledge,
    stored_totals,
)
from tests.factories import count_rows
from tests.pages import errors_next_to, switch_to_russian
from tracker.auth.models import Role
from tracker.drives import services
from tracker.drives.models import DriveStatus, Pledge, PledgeSource, PledgeStatus
from tracker.extensions import db

PUBLIC = f"/d/{DRIVE_SLUG}"


def pledge_form(**overrides: Any) -> dict[str, Any]:
    """What a visitor types into the public pledge form."""
    data: dict[str, Any] = {"pledger_name": "Oleg Ivanov", "contact_email": "oleg@example.org",
                            "amount": "1500", "currency": "RUB", "message": "Good luck!",
                            "website": ""}
    data.update(overrides)
    return data


def supporter_names(html: str) -> list[str]:
    block = re.search(r'<ul[^>]*id="supporter-names"[^>]*>(.*?)</ul>', html, re.S)
    if block is None:
        return []
    return [page_text(item).rstrip(",") for item in
            re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)]


# --- what the public sees ----------------------------------------------------------------


def test_the_public_page_shows_progress_supporters_share_link_and_form(client, drive):
    paid = make_pledge(drive, amount="100000", name="Ural Green Movement")
    make_payment(paid, "40000")
    make_pledge(drive, amount="30000", name="Secret Donor", is_anonymous=True)
    make_pledge(drive, amount="5000", name="")
    cancelled = make_pledge(drive, amount="7000", name="Changed Mind")
    services.cancel_pledge(cancelled, "Withdrawn")
    public_pledge(drive, name="Not Yet Confirmed")
    rejected = public_pledge(drive, name="Spam Bot", contact_email="bot@example.org")
    services.reject_pledge(rejected, "spam")
    db.session.commit()

    response = client.get(PUBLIC)
    assert response.status_code == 200
    html = response.text
    shown = page_text(html)
    assert "Invite the XRF team from Tajikistan to Chelyabinsk" in shown
    assert "Soil and product testing in Chelyabinsk." in shown
    # Only confirmed pledges, only the names of those who did not ask to stay anonymous.
    assert supporter_names(html) == ["Ural Green Movement"]
    for hidden in ("Secret Donor", "Not Yet Confirmed", "Spam Bot", "Changed Mind",
                   "oleg@example.org"):
        assert hidden not in html
    assert "and 2 more supporters" in shown
    # The thermometer: 40 000 received and 95 000 pledged of 350 000.
    assert "Received RUB 40,000.00" in shown
    assert "Pledged, not yet paid RUB 95,000.00" in shown
    assert "Goal RUB 350,000.00" in shown
    assert "Supporters 3" in shown
    assert 'class="thermometer-received" x="0" y="0" width="11.4%"' in html
    assert 'class="thermometer-pledged" x="11.4%" y="0" width="27.1%"' in html
    assert not re.search(r"\sstyle=", html)
    # The share link is the page's own address, ready to copy; no outside widgets.
    assert f'value="http://localhost/d/{DRIVE_SLUG}"' in html and "readonly" in html
    assert "<iframe" not in html and "facebook" not in html.lower()
    assert 'name="csrf_token"' in html and 'name="website"' in html
    assert 'class="contact-trap" aria-hidden="true"' in html


def test_days_left_are_counted_to_the_end_date(client, world):
    from tracker.drives.services import today

    make_drive(world, ends_on=date.fromordinal(today().toordinal() + 12))
    assert "12 days left" in page_text(client.get(PUBLIC).text)


@pytest.mark.parametrize(("status", "public", "visible"), [
    (DriveStatus.DRAFT, True, False),
    (DriveStatus.CANCELLED, True, False),
    (DriveStatus.LIVE, False, False),
    (DriveStatus.LIVE, True, True),
    (DriveStatus.FUNDED, True, True),
    (DriveStatus.CLOSED, True, True),
])
def test_only_public_live_funded_or_closed_drives_have_a_public_page(
        client, world, status, public, visible):
    make_drive(world, status=status, public=public)
    for url in (PUBLIC, f"{PUBLIC}/widget", f"{PUBLIC}/thanks"):
        assert client.get(url).status_code == (200 if visible else 404), url
    response = client.post(PUBLIC, data=pledge_form())
    assert response.status_code in ((200, 302, 422) if visible else (404,))
    assert client.get("/d/no-such-drive").status_code == 404


def test_a_closed_drive_thanks_its_supporters_and_takes_no_pledges(client, world):
    make_drive(world, status=DriveStatus.CLOSED)
    page = client.get(PUBLIC)
    assert "This drive no longer takes pledges." in page.text
    assert 'name="amount"' not in page.text
    response = client.post(PUBLIC, data=pledge_form())
    assert response.status_code == 422
    assert count_rows(Pledge) == 0


# --- pledging on the public page ---------------------------------------------------------


def test_a_public_pledge_waits_for_a_lead_who_confirms_it(app, client, world, drive):
    response = client.post(PUBLIC, data=pledge_form())
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PUBLIC}/thanks"
    thanks = client.get(response.headers["Location"])
    assert ("Thank you! Your pledge of RUB 1,500.00 is recorded; the organisers will confirm "
            "it.") in page_text(thanks.text)

    pledge = db.session.scalars(select(Pledge)).one()
    assert (pledge.status, pledge.source, pledge.logged_by_id) == (
        PledgeStatus.UNCONFIRMED, PledgeSource.PUBLIC_FORM, None)
    assert (pledge.pledger_name, pledge.contact_email, pledge.message) == (
        "Oleg Ivanov", "oleg@example.org", "Good luck!")
    assert stored_totals(drive)["supporters"] == 0  # not yet
    assert supporter_names(client.get(PUBLIC).text) == []

    lead = app.test_client()
    login(lead, make_user(Role.LEAD, campaigns=[world.campaign]))
    page = lead.get(f"/drives/{DRIVE_SLUG}")
    assert "Pledges from the public page awaiting confirmation" in page.text
    assert "oleg@example.org" in page.text and "Good luck!" in page.text
    response = lead.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}/confirm",
                         data={"version": str(pledge.version)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).status == PledgeStatus.PLEDGED
    assert stored_totals(drive) == {"pledged_minor": 150000, "received_minor": 0,
                                    "supporters": 1, "unconverted": 0}
    assert supporter_names(client.get(PUBLIC).text) == ["Oleg Ivanov"]


def test_a_lead_rejects_a_public_pledge(app, world, drive):
    pledge = public_pledge(drive, name="Spam Spam")
    lead = app.test_client()
    login(lead, make_user(Role.LEAD, campaigns=[world.campaign]))
    response = lead.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}/reject",
                         data={"version": str(pledge.version)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).status == PledgeStatus.REJECTED
    assert stored_totals(drive)["supporters"] == 0
    # Confirming it afterwards is not a move the table allows.
    response = lead.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}/confirm",
                         data={"version": str(db.session.get(Pledge, pledge.id).version)})
    assert response.status_code == 422
    assert "A pledge cannot move from “Rejected” to “Pledged”." in response.text


def test_an_anonymous_public_pledge_keeps_the_name_from_the_page(client, drive):
    client.post(PUBLIC, data=pledge_form(pledger_name="Quiet Supporter", is_anonymous="y"))
    pledge = db.session.scalars(select(Pledge)).one()
    services.confirm_pledge(pledge)
    db.session.commit()
    assert pledge.is_anonymous and pledge.pledger_name == "Quiet Supporter"
    html = client.get(PUBLIC).text
    assert "Quiet Supporter" not in html
    assert "1 supporter, who prefers not to be named." in page_text(html)


def test_a_pledge_in_another_currency_is_accepted_and_converted(client, drive):
    response = client.post(PUBLIC, data=pledge_form(amount="100", currency="EUR"))
    assert response.status_code == 302
    pledge = db.session.scalars(select(Pledge)).one()
    assert (pledge.amount.amount, pledge.currency) == (100, "EUR")
    assert pledge.drive_amount.currency == "RUB"  # at the latest rate, 100 per euro
    assert pledge.drive_amount.amount == 10000


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"amount": "-5"}, "amount", "The amount must be greater than zero."),
    ({"amount": ""}, "amount", "Give the amount you pledge."),
    ({"contact_email": ""}, "contact_email",
     "Give an e-mail address so that the organisers can confirm your pledge."),
    ({"contact_email": "nobody"}, "contact_email",
     "Give a valid e-mail address, e.g. name@example.org."),
    ({"currency": "XXQ"}, "currency", "Choose a known currency (ISO 4217 code)."),
])
def test_a_bad_public_pledge_is_refused_next_to_its_field(client, drive, changes, field,
                                                          message):
    response = client.post(PUBLIC, data=pledge_form(**changes))
    assert response.status_code == 422
    assert message in errors_next_to(response.text, field)
    assert count_rows(Pledge) == 0


def test_the_thanks_show_how_to_pay_and_whom_to_ask(client, drive):
    """With payment details the thanks repeat them and the organisers' contacts; without,
    they say that the organisers will write about paying."""
    drive.payment_instructions_en = "Bank transfer: account 40703810000000000001"
    drive.payment_instructions_ru = "Перевод на счёт 40703810000000000001"
    drive.contact_telegram = "@xrf_team"
    db.session.commit()
    thanks = page_text(client.get(client.post(PUBLIC, data=pledge_form()).headers["Location"]).text)
    assert "You can pay now as described below." in thanks
    assert "How to pay Bank transfer: account 40703810000000000001" in thanks
    assert "Organised by" in thanks and "@xrf_team" in thanks
    switch_to_russian(client)
    thanks = page_text(client.get(f"{PUBLIC}/thanks").text)
    assert "Перевод на счёт 40703810000000000001" in thanks

    drive.payment_instructions_en = drive.payment_instructions_ru = ""
    db.session.commit()
    client.post("/language", data={"language": "en", "next": "/"})
    client.post(PUBLIC, data=pledge_form(amount="700"))
    thanks = page_text(client.get(f"{PUBLIC}/thanks").text)
    assert "They will write to the e-mail address you gave about how to pay." in thanks
    assert "How to pay" not in thanks and "@xrf_team" in thanks


def test_a_filled_honeypot_is_silently_discarded_with_the_same_thanks(client, drive):
    response = client.post(PUBLIC, data=pledge_form(website="http://spam.example"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PUBLIC}/thanks"
    assert "Thank you! Your pledge of RUB 1,500.00 is recorded" in page_text(
        client.get(f"{PUBLIC}/thanks").text)
    assert count_rows(Pledge) == 0


def test_an_office_behind_one_address_may_pledge_more_than_five_times(app, drive):
    # Issue 11, finding 1: everyone behind one NAT shared 5 pledges per 10 minutes.
    address = {"REMOTE_ADDR": "198.51.100.23"}
    for n in range(12):
        response = app.test_client().post(
            PUBLIC, data=pledge_form(contact_email=f"p{n}@example.org"), environ_base=address)
        assert response.status_code == 302, n
    assert count_rows(Pledge) == 12


def test_the_per_address_limit_is_configurable_and_answers_429(app, drive):
    app.config["PUBLIC_PLEDGE_LIMIT"] = "3 per 10 minutes"
    client = app.test_client()
    address = {"REMOTE_ADDR": "198.51.100.23"}
    for n in range(3):
        response = client.post(PUBLIC, data=pledge_form(contact_email=f"p{n}@example.org"),
                               environ_base=address)
        assert response.status_code == 302, n
    response = client.post(PUBLIC, data=pledge_form(), environ_base=address)
    assert response.status_code == 429
    assert "Too many pledges from your address" in response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 600
    assert count_rows(Pledge) == 3
    # Another address is not held up, and reading the page is never limited.
    other = app.test_client().post(PUBLIC, data=pledge_form(),
                                   environ_base={"REMOTE_ADDR": "198.51.100.99"})
    assert other.status_code == 302
    assert client.get(PUBLIC, environ_base=address).status_code == 200


def test_a_drive_takes_a_ceiling_of_unconfirmed_public_pledges_an_hour(app, drive):
    app.config["PUBLIC_PLEDGE_DRIVE_HOURLY"] = 3

    def pledge_from(n: int):
        return app.test_client().post(
            PUBLIC, data=pledge_form(contact_email=f"p{n}@example.org"),
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"})

    assert [pledge_from(n).status_code for n in range(3)] == [302, 302, 302]
    refused = pledge_from(3)
    assert refused.status_code == 429
    assert ("not confirmed yet, so it takes no more for now. Please try again in an hour; "
            "nothing was recorded.") in page_text(refused.text)
    assert count_rows(Pledge) == 3
    # A pledge the organisers confirmed no longer waits; one older than an hour no longer counts.
    first, second, _third = db.session.scalars(select(Pledge).order_by(Pledge.id)).all()
    services.confirm_pledge(first)
    db.session.commit()
    assert pledge_from(4).status_code == 302
    assert pledge_from(5).status_code == 429
    second.created_at = second.created_at - timedelta(hours=2)
    db.session.commit()
    assert pledge_from(6).status_code == 302
    assert count_rows(Pledge) == 5


def test_a_pledge_without_the_csrf_token_is_refused(client, drive):
    client.get(PUBLIC)
    response = client.post(PUBLIC, data=pledge_form(), csrf=False)
    assert response.status_code == 303  # the form again, typed values kept (test_lost_work.py)
    assert count_rows(Pledge) == 0


# --- the widget and the headers ----------------------------------------------------------


def test_only_the_widget_may_be_framed_by_other_sites(client, drive):
    make_pledge(drive, amount="35000")
    widget = client.get(f"{PUBLIC}/widget")
    assert widget.status_code == 200
    csp = widget.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in csp and "frame-ancestors *" in csp
    assert "X-Frame-Options" not in widget.headers
    shown = page_text(widget.text)
    assert "Invite the XRF team from Tajikistan to Chelyabinsk" in shown
    assert "RUB 0.00 received, RUB 35,000.00 pledged of RUB 350,000.00" in shown
    assert f'href="http://localhost/d/{DRIVE_SLUG}"' in widget.text and ">Support<" in widget.text
    assert '<form' not in widget.text

    page = client.get(PUBLIC)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


# --- in Russian --------------------------------------------------------------------------


def test_the_public_page_and_the_thanks_speak_russian(client, drive):
    paid = make_pledge(drive, amount="1500", name="Ирина Соколова")
    make_payment(paid, "1500")
    switch_to_russian(client)
    page = page_text(client.get(PUBLIC).text)
    assert "Пригласить в Челябинск команду с РФА-анализатором из Таджикистана" in page
    assert "Проверка почвы и товаров в Челябинске." in page
    assert "1 500,00 ₽" in page and "350 000,00 ₽" in page
    assert "Ирина Соколова" in page

    response = client.post(PUBLIC, data=pledge_form(amount="1 500,00"))
    assert response.status_code == 302
    thanks = page_text(client.get(response.headers["Location"]).text)
    assert "1 500,00 ₽" in thanks
    assert "Спасибо!" in thanks
