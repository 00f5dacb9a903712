"""Messages about pledges, received by a real SMTP server: the leads hear of a public pledge;
the supporter gets thanks with the payment instructions, a receipt and reminders, in the
language of the page they pledged on, each with a one-click unsubscribe that is honoured."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.auth_support import login, make_user
from tests.drive_support import DRIVE_SLUG, make_drive, make_pledge, page_text
from tests.factories import count_rows, make_campaign
from tests.mail_support import html_part
from tests.mail_support import text_part as raw_text_part
from tests.pages import errors_next_to, plain
from tracker.auth.models import Membership, MembershipRole, Role
from tracker.drives import services
from tracker.drives.models import Drive, DriveStatus, Pledge, PledgeStatus
from tracker.drives.reminders import CATCH_UP_DAYS, due_reminder, send_unpaid_pledge_reminders
from tracker.extensions import db
from tracker.jobs import run_ready_jobs
from tracker.mail.models import OutboxMessage
from tracker.mail.suppression import MailSuppression, address_hash, is_suppressed
from tracker.money.services import add_rate

PUBLIC = f"/d/{DRIVE_SLUG}"
SUPPORTER = "oleg@example.org"
INSTRUCTIONS_EN = ("Bank: Chelyabinsk Savings Bank\nAccount 40703810000000000001\n"
                   "or pay at https://pay.example.org/xrf")
INSTRUCTIONS_RU = ("Банк: Челябинский сберегательный банк\nСчёт 40703810000000000001\n"
                   "или оплата на https://pay.example.org/xrf")


def text_part(message: EmailMessage) -> str:
    """The plain-text part, its line ends and Babel's no-break spaces made plain."""
    return plain(raw_text_part(message).replace("\r\n", "\n"))


def pledge_form(**overrides: Any) -> dict[str, Any]:
    """What a visitor types into the public pledge form."""
    data: dict[str, Any] = {"pledger_name": "Oleg Ivanov", "contact_email": SUPPORTER,
                            "amount": "1500", "currency": "RUB", "message": "Good luck!",
                            "website": ""}
    data.update(overrides)
    return data


def pledge_on_page(app, language: str = "en", **overrides: Any) -> Pledge:
    """A visitor (with a browser in `language`) pledges on the public page; the new pledge."""
    visitor = app.test_client()
    response = visitor.post(PUBLIC, data=pledge_form(**overrides),
                            headers={"Accept-Language": language})
    assert response.status_code == 302, response.text
    return db.session.scalars(select(Pledge).order_by(Pledge.id.desc())).first()


def confirm(client, pledge: Pledge):
    """The lead presses "Confirm" in the list awaiting confirmation."""
    response = client.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}/confirm",
                           data={"version": str(pledge.version)})
    assert response.status_code == 302, response.text
    db.session.expire_all()
    return response


def record_payment(client, pledge: Pledge, amount: str, paid_on: str = "2026-03-15"):
    response = client.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}/payments",
                           data={"amount": amount, "currency": "RUB", "paid_on": paid_on,
                                 "method": "bank_transfer"})
    assert response.status_code == 302, response.text
    db.session.expire_all()


def path_of(url: str) -> str:
    """The path of an absolute link on the test server (BASE_URL http://localhost)."""
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "localhost"), url
    return parts.path


def unsubscribe_link(message: EmailMessage) -> str:
    header = message["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">"), header
    return header[1:-1]


@pytest.fixture
def with_instructions(drive: Drive) -> Drive:
    drive.payment_instructions_en, drive.payment_instructions_ru = INSTRUCTIONS_EN, INSTRUCTIONS_RU
    db.session.commit()
    return drive


# --- the leads hear of a new public pledge ------------------------------------------------


def test_each_lead_hears_of_a_public_pledge_in_their_language_with_a_working_link(
        app, smtp_inbox, world, drive):
    english = make_user(Role.LEAD, email="anna@example.org", campaigns=[world.campaign])
    russian = make_user(Role.LEAD, email="boris@example.org", campaigns=[world.campaign],
                        language="ru")
    make_user(Role.LEAD, email="gone@example.org", campaigns=[world.campaign], active=False)
    make_user(Role.LEAD, email="other@example.org", campaigns=[world.other_campaign])

    pledge_on_page(app)

    assert sorted(m["To"] for m in smtp_inbox.messages) == ["anna@example.org",
                                                           "boris@example.org"]
    [to_anna] = smtp_inbox.to("anna@example.org")
    assert to_anna["Subject"] == ("A new pledge to “Invite the XRF team from Tajikistan to "
                                  "Chelyabinsk” awaits your confirmation")
    text = text_part(to_anna)
    assert "RUB 1,500.00 · Oleg Ivanov" in text
    assert "Good luck!" in text
    assert "1 pledge to this drive awaits confirmation." in text
    link = f"http://localhost/drives/{DRIVE_SLUG}#awaiting"
    assert link in text and f'href="{link}"' in html_part(to_anna)
    assert "List-Unsubscribe" not in to_anna  # staff messages have no unsubscribe

    [to_boris] = smtp_inbox.to("boris@example.org")
    assert to_boris["Subject"] == ("Новое обещание для «Пригласить в Челябинск команду с "
                                   "РФА-анализатором из Таджикистана» ждёт вашего "
                                   "подтверждения")
    assert "ждёт подтверждения" in text_part(to_boris)
    assert to_boris["Content-Language"] == "ru"

    # The link takes the lead to the list, where the pledge waits.
    client = app.test_client()
    login(client, english)
    page = client.get(path_of(link))
    assert page.status_code == 200
    assert 'id="awaiting"' in page.text and SUPPORTER in page.text
    assert russian.id  # (told above)


def test_a_burst_of_pledges_is_one_message_an_hour_and_a_robot_none(app, smtp_inbox, world,
                                                                    drive, lead):
    visitor = app.test_client()
    robot = visitor.post(PUBLIC, data=pledge_form(website="http://spam.example"))
    assert robot.status_code == 302
    assert smtp_inbox.messages == []

    pledge_on_page(app)
    pledge_on_page(app, contact_email="vera@example.org", pledger_name="Vera")
    assert count_rows(Pledge) == 2
    [message] = smtp_inbox.to(lead.email)
    assert "at most once an hour" in text_part(message)


# --- thanks with the payment instructions -------------------------------------------------


@pytest.mark.parametrize(("language", "subject", "instructions", "words"), [
    ("en", "Thank you for your pledge to “Invite the XRF team from Tajikistan to Chelyabinsk”",
     INSTRUCTIONS_EN, "The organisers have confirmed it."),
    ("ru", "Спасибо за ваше обещание для «Пригласить в Челябинск команду с РФА-анализатором "
     "из Таджикистана»", INSTRUCTIONS_RU, "Организаторы подтвердили его."),
])
def test_the_lead_confirms_and_the_supporter_is_thanked_in_the_page_language(
        app, smtp_inbox, as_lead, with_instructions, language, subject, instructions, words):
    pledge = pledge_on_page(app, language=language)
    assert pledge.language == language
    assert smtp_inbox.to(SUPPORTER) == []  # nothing before the lead confirms

    confirm(as_lead, pledge)

    [thanks] = smtp_inbox.to(SUPPORTER)
    assert thanks["Subject"] == subject
    assert thanks["Content-Language"] == language
    text = text_part(thanks)
    assert words in text
    assert instructions in text  # the bank details, line by line
    html = html_part(thanks)
    assert 'href="https://pay.example.org/xrf"' in html  # the payment link is a link
    assert f'href="http://localhost{PUBLIC}"' in html
    link = unsubscribe_link(thanks)
    assert thanks["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text and f'href="{link}"' in html
    assert path_of(link).startswith("/unsubscribe/")
    assert SUPPORTER not in link  # the token does not give the address away


def test_without_instructions_the_thanks_says_the_organisers_will_tell(app, smtp_inbox,
                                                                     as_lead, drive):
    confirm(as_lead, pledge_on_page(app))
    [thanks] = smtp_inbox.to(SUPPORTER)
    assert "The organisers will tell you how to pay." in text_part(thanks)


def test_a_staff_pledge_sends_the_supporter_nothing(app, smtp_inbox, as_lead, drive):
    pledge = make_pledge(drive, amount="1000", contact_email="ivan@example.org")
    record_payment(as_lead, pledge, "1000")
    assert db.session.get(Pledge, pledge.id).status is PledgeStatus.PAID
    assert smtp_inbox.to("ivan@example.org") == []


# --- the receipt ---------------------------------------------------------------------------


def test_a_receipt_when_the_pledge_is_paid_in_full_once(app, smtp_inbox, as_lead, drive):
    pledge = pledge_on_page(app, language="ru")
    confirm(as_lead, pledge)
    record_payment(as_lead, pledge, "500", "2026-03-15")
    assert len(smtp_inbox.to(SUPPORTER)) == 1  # the thanks; partly paid is no receipt

    record_payment(as_lead, pledge, "1000", "2026-03-20")

    _thanks, receipt = smtp_inbox.to(SUPPORTER)
    assert receipt["Subject"].startswith("Квитанция")
    text = text_part(receipt)
    assert "полностью оплачено" in text
    assert "15 мар. 2026 г.: 500,00 ₽" in text and "20 мар. 2026 г.: 1 000,00 ₽" in text
    assert unsubscribe_link(receipt) in text

    # A payment removed by mistake and recorded again: no second receipt.
    payment = db.session.get(Pledge, pledge.id).payments[-1]
    removed = as_lead.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}/payments/{payment.id}"
                           "/remove", data={"reason": "Typed twice"})
    assert removed.status_code == 302
    record_payment(as_lead, pledge, "1000", "2026-03-20")
    assert len(smtp_inbox.to(SUPPORTER)) == 2


# --- unsubscribing -------------------------------------------------------------------------


def test_one_click_unsubscribe_is_honoured_for_later_messages(app, smtp_inbox, as_lead, drive):
    pledge = pledge_on_page(app)
    confirm(as_lead, pledge)
    [thanks] = smtp_inbox.to(SUPPORTER)

    # What a mail program's button sends: a POST, no cookies, no CSRF token.
    mail_program = app.test_client()
    response = mail_program.post(path_of(unsubscribe_link(thanks)),
                                 data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert response.status_code == 200
    assert "You are unsubscribed." in page_text(response.text)
    assert is_suppressed("Oleg@Example.org ")  # one address, however it is typed
    assert address_hash(" OLEG@example.org") == address_hash(SUPPORTER)
    assert not db.session.scalar(select(MailSuppression.address_hash).where(
        MailSuppression.address_hash == SUPPORTER))  # only the hash is kept
    # A second click changes nothing and still answers kindly.
    again = mail_program.post(path_of(unsubscribe_link(thanks)),
                              data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert again.status_code == 200 and count_rows(MailSuppression) == 1

    record_payment(as_lead, pledge, "1500")  # paid: no receipt
    other = pledge_on_page(app, contact_email="OLEG@example.org")
    confirm(as_lead, other)  # confirmed: no thanks
    assert smtp_inbox.to(SUPPORTER) == [thanks]
    assert smtp_inbox.to("OLEG@example.org") == []
    assert db.session.get(Pledge, pledge.id).status is PledgeStatus.PAID


def test_the_link_opened_in_a_browser_asks_first_then_unsubscribes(app, smtp_inbox, as_lead,
                                                                  drive):
    confirm(as_lead, pledge_on_page(app, language="ru"))
    [thanks] = smtp_inbox.to(SUPPORTER)
    path = path_of(unsubscribe_link(thanks))

    browser = app.test_client()
    page = browser.get(path, headers={"Accept-Language": "ru"})
    assert page.status_code == 200
    assert "Больше не писать о ваших обещаниях?" in page_text(page.text)
    assert f'action="{path}"' in page.text
    assert not is_suppressed(SUPPORTER)  # opening the link (or a link checker) does nothing

    done = browser.post(path, data={"List-Unsubscribe": "One-Click"},
                        headers={"Accept-Language": "ru"})
    assert done.status_code == 200
    assert "Вы отписались." in page_text(done.text)
    assert is_suppressed(SUPPORTER)


def test_a_forged_or_damaged_link_unsubscribes_nobody(app, client):
    for token in ("nonsense", "eyJhIjoiYiJ9.forged"):
        assert client.get(f"/unsubscribe/{token}").status_code == 404
        response = client.post(f"/unsubscribe/{token}", data={}, csrf=False)
        assert response.status_code == 404
        assert "This unsubscribe link is not valid." in page_text(response.text)
    assert count_rows(MailSuppression) == 0


# --- reminders of unpaid pledges -----------------------------------------------------------


def test_reminder_days_follow_the_confirmation_and_catch_up_a_missed_day():
    confirmed = date(2026, 3, 1)
    assert [due_reminder(confirmed, 3, confirmed + timedelta(days=n)) for n in range(15)] == [
        None, None, None, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, None, None]
    assert CATCH_UP_DAYS == 7
    assert due_reminder(confirmed, 0, date(2026, 3, 20)) is None


def test_an_unpaid_pledge_is_reminded_twice_at_most_once_each(app, smtp_inbox, as_lead,
                                                             with_instructions):
    with_instructions.reminder_days = 3
    db.session.commit()
    unpaid = pledge_on_page(app, language="ru")
    confirm(as_lead, unpaid)
    paid = pledge_on_page(app, contact_email="vera@example.org", pledger_name="Vera")
    confirm(as_lead, paid)
    record_payment(as_lead, paid, "1500")
    waiting = pledge_on_page(app, contact_email="zoya@example.org")  # never confirmed
    confirmed_on = db.session.get(Pledge, unpaid.id).confirmed_at.date()
    before = count_rows(OutboxMessage)

    def run(days: int) -> int:
        queued = send_unpaid_pledge_reminders(confirmed_on + timedelta(days=days))
        db.session.commit()
        run_ready_jobs()
        return queued

    assert [run(n) for n in (0, 1, 2)] == [0, 0, 0]
    assert run(3) == 1
    assert run(3) == 0  # a rerun, or a second scheduler, sends nothing new
    assert run(4) == 0
    assert run(6) == 1
    assert [run(n) for n in (7, 12, 13, 30)] == [0, 0, 0, 0]
    assert count_rows(OutboxMessage) == before + 2

    first, second = smtp_inbox.to(SUPPORTER)[1:]
    assert first["Subject"].startswith("Напоминание")
    text = text_part(first)
    assert "Мы ещё не получили платёж." in text
    assert INSTRUCTIONS_RU in text
    assert unsubscribe_link(first) in text
    assert second["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len(smtp_inbox.to("vera@example.org")) == 2  # thanks and receipt only
    assert smtp_inbox.to("zoya@example.org") == []
    assert db.session.get(Pledge, waiting.id).status is PledgeStatus.UNCONFIRMED


def test_a_partly_paid_pledge_is_reminded_of_the_rest_unless_unsubscribed(app, smtp_inbox,
                                                                          as_lead, drive):
    drive.reminder_days = 10
    db.session.commit()
    pledge = pledge_on_page(app)
    confirm(as_lead, pledge)
    record_payment(as_lead, pledge, "500")
    day = db.session.get(Pledge, pledge.id).confirmed_at.date() + timedelta(days=10)
    assert send_unpaid_pledge_reminders(day) == 1
    db.session.commit()
    run_ready_jobs()
    reminder = smtp_inbox.to(SUPPORTER)[-1]
    assert "RUB 1,000.00 of it is still to be paid." in text_part(reminder)

    app.test_client().post(path_of(unsubscribe_link(reminder)), csrf=False)
    assert send_unpaid_pledge_reminders(day + timedelta(days=10)) == 0


def test_no_reminders_when_the_drive_has_none_or_is_cancelled(app, as_lead, world, drive):
    pledge = pledge_on_page(app)
    confirm(as_lead, pledge)
    day = db.session.get(Pledge, pledge.id).confirmed_at.date()
    assert all(send_unpaid_pledge_reminders(day + timedelta(days=n)) == 0 for n in range(40))
    other = make_drive(world, slug="cancelled-drive", reminder_days=1)
    public = services.submit_public_pledge(other, services.PublicPledgeInput(
        amount=Decimal("100"), currency="RUB", contact_email="x@example.org", language="en"))
    assert public is not None
    services.confirm_pledge(public)
    db.session.commit()
    assert send_unpaid_pledge_reminders(day + timedelta(days=1)) == 1  # live: reminded
    db.session.rollback()
    services.move_drive(other, DriveStatus.CANCELLED)
    db.session.commit()
    assert send_unpaid_pledge_reminders(day + timedelta(days=1)) == 0


# --- the drive's settings ------------------------------------------------------------------


def test_the_lead_sets_payment_instructions_and_reminder_days_on_the_drive_form(as_lead, drive):
    form = as_lead.get(f"/drives/{DRIVE_SLUG}/edit")
    assert "Messages to supporters" in form.text and 'name="reminder_days"' in form.text
    data = {"slug": DRIVE_SLUG, "title_en": drive.title_en, "title_ru": drive.title_ru,
            "purpose_en": "", "purpose_ru": "", "organiser_org_id": str(drive.organiser_org_id),
            "goal": "350000", "currency": "RUB", "starts_on": "2026-01-10", "ends_on": "",
            "is_public": "y", "payment_instructions_en": INSTRUCTIONS_EN,
            "payment_instructions_ru": INSTRUCTIONS_RU}
    for wrong in ("-1", "366", "soon"):
        response = as_lead.post(f"/drives/{DRIVE_SLUG}/edit", data={**data,
                                                                   "reminder_days": wrong})
        assert response.status_code == 422, wrong
        assert errors_next_to(response.text, "reminder_days"), wrong
        db.session.expire_all()
        assert (drive.reminder_days, drive.payment_instructions_en) == (0, ""), wrong

    response = as_lead.post(f"/drives/{DRIVE_SLUG}/edit", data={**data, "reminder_days": "14"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (drive.reminder_days, drive.payment_instructions_en,
            drive.payment_instructions_ru) == (14, INSTRUCTIONS_EN, INSTRUCTIONS_RU)
    again = as_lead.get(f"/drives/{DRIVE_SLUG}/edit")
    assert 'value="14"' in again.text and "40703810000000000001" in again.text

    # Left empty, as on forms from before the setting: no reminders.
    response = as_lead.post(f"/drives/{DRIVE_SLUG}/edit", data={**data, "reminder_days": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert drive.reminder_days == 0


def test_a_lead_of_another_campaign_is_not_told(app, smtp_inbox, world, drive):
    campaign = make_campaign(slug="hhp", title_en="HHP", title_ru="ВОП")
    make_user(Role.LEAD, email="hhp@example.org", campaigns=[campaign])
    assert db.session.scalar(select(Membership.role).where(
        Membership.campaign_id == campaign.id)) is MembershipRole.LEAD
    pledge_on_page(app)
    assert smtp_inbox.messages == []


def test_a_receipt_when_the_missing_rate_of_a_payment_arrives(app, smtp_inbox, as_lead, drive):
    pledge = pledge_on_page(app)
    confirm(as_lead, pledge)
    response = as_lead.post(f"/drives/{DRIVE_SLUG}/pledges/{pledge.id}/payments",
                            data={"amount": "15", "currency": "USD", "paid_on": "2026-03-15",
                                  "method": "bank_transfer"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).status is PledgeStatus.PLEDGED  # no USD rate
    assert len(smtp_inbox.to(SUPPORTER)) == 1

    add_rate(date(2026, 3, 1), "USD", "RUB", Decimal("100"), "Test rates")
    db.session.commit()
    assert as_lead.post(f"/drives/{DRIVE_SLUG}/reconvert").status_code == 302
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).status is PledgeStatus.PAID
    _thanks, receipt = smtp_inbox.to(SUPPORTER)
    assert "is paid in full" in text_part(receipt)
    assert "Mar 15, 2026: $15.00" in text_part(receipt)  # the payment as it was made


def test_the_daily_send_reminders_command_reminds_of_unpaid_pledges(app, runner, smtp_inbox,
                                                                    as_lead, drive):
    drive.reminder_days = 5
    db.session.commit()
    pledge = pledge_on_page(app)
    confirm(as_lead, pledge)
    day = db.session.get(Pledge, pledge.id).confirmed_at.date() + timedelta(days=5)

    result = runner.invoke(args=["send-reminders", "--today", day.isoformat()])
    again = runner.invoke(args=["send-reminders", "--today", day.isoformat()])

    assert result.exit_code == 0, result.output
    assert "1 reminder queued." in result.output
    assert "0 reminders queued." in again.output
    [reminder] = [m for m in smtp_inbox.to(SUPPORTER) if "reminder" in m["Subject"].lower()]
    assert "We have not received the payment yet." in text_part(reminder)
