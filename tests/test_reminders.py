"""Deadline reminders and the weekly digest, received by a real SMTP server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.applications_support import Coalition, make_application, make_coalition
from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_pledge, make_world
from tests.factories import make_line, make_target
from tests.mail_support import html_part, text_part
from tracker.applications import services as application_services
from tracker.applications.models import Application, ApplicationStatus, ReportKind
from tracker.audit.actor import acting_as
from tracker.auth.models import Role
from tracker.drives import services as drive_services
from tracker.extensions import db
from tracker.jobs import run_ready_jobs
from tracker.reminders import registry
from tracker.reminders.services import follow, run_daily_reminders, send_weekly_digest

TODAY = date(2026, 11, 2)  # a Monday: ISO week 2026-W45


def send_reminders(runner, on: date) -> str:
    """Run the command as cron would, then let the delivery jobs run; its output."""
    result = runner.invoke(args=["send-reminders", "--today", on.isoformat()])
    assert result.exit_code == 0, result.output
    run_ready_jobs()
    return result.output.strip()


class People:
    def __init__(self, coalition: Coalition) -> None:
        self.author = make_user(Role.FUNDRAISER, email="author@example.org")
        self.lead = make_user(Role.LEAD, email="lead@example.org", language="ru",
                              campaigns=[coalition.campaign])
        self.follower = make_user(Role.FUNDRAISER, email="follower@example.org")
        self.bystander = make_user(Role.FUNDRAISER, email="bystander@example.org")
        self.quiet_lead = make_user(Role.LEAD, email="quiet@example.org",
                                    campaigns=[coalition.campaign])
        self.quiet_lead.reminder_days = ""
        self.other_lead = make_user(Role.LEAD, email="other@example.org",
                                    campaigns=[coalition.other_campaign])
        db.session.commit()


@pytest.fixture
def coalition(app) -> Coalition:
    return make_coalition()


@pytest.fixture
def people(coalition) -> People:
    return People(coalition)


@pytest.fixture
def application(coalition, people) -> Application:
    with acting_as(people.author.id):  # who created it is its author
        application = make_application(coalition.campaign, coalition.undp, coalition.kazakh,
                                       status=ApplicationStatus.DRAFTING,
                                       submission_deadline=TODAY + timedelta(days=14))
    follow(people.follower, application)
    db.session.commit()
    return application


def plain(text: str) -> str:
    """Babel's narrow and non-breaking spaces as plain ones, for readable expectations."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def body(message) -> str:
    return plain(text_part(message))


def addresses(smtp_inbox) -> list[str]:
    return sorted(message["To"] for message in smtp_inbox.messages)


NOTIFIED = ["author@example.org", "follower@example.org", "lead@example.org"]


def test_reminders_go_out_14_7_and_1_days_ahead_to_the_people_of_the_application(
        runner, smtp_inbox, application):
    for day in (TODAY - timedelta(days=1), TODAY + timedelta(days=1), TODAY + timedelta(days=6)):
        assert send_reminders(runner, day) == "0 reminders queued."
    assert smtp_inbox.messages == []

    for day, left in ((TODAY, 14), (TODAY + timedelta(days=7), 7),
                      (TODAY + timedelta(days=13), 1)):
        smtp_inbox.messages.clear()
        assert send_reminders(runner, day) == "3 reminders queued."
        assert addresses(smtp_inbox) == NOTIFIED, day  # not the bystander, the quiet lead
        [english] = smtp_inbox.to("author@example.org")
        assert plain(english["Subject"]) == ("Reminder: Submission deadline on Nov 16, 2026: "
                                      "XRF testing of paint")
        text = body(english)
        assert (f"{left} days left." if left > 1 else "1 day left.") in text
        assert f"http://localhost/applications/{application.id}" in text
        assert "because you created this application" in text
        assert "http://localhost/account#reminders" in text
        assert f'href="http://localhost/applications/{application.id}"' in html_part(english)
        [russian] = smtp_inbox.to("lead@example.org")
        assert plain(russian["Subject"]) == ("Напоминание: Срок подачи заявки 16 нояб. 2026 г.: "
                                      "Испытания красок на РФА")
        assert "потому что руководите кампанией" in body(russian)
        assert '<html lang="ru">' in html_part(russian)
        assert "because you follow this application" in body(
            smtp_inbox.to("follower@example.org")[0])


def test_a_second_pass_the_same_day_sends_nothing_new(runner, smtp_inbox, people,
                                                       application):
    follow(people.lead, application)  # a lead who also follows: still one message
    follow(people.author, application)
    db.session.commit()
    assert send_reminders(runner, TODAY) == "3 reminders queued."
    assert send_reminders(runner, TODAY) == "0 reminders queued."
    assert run_daily_reminders(TODAY) == 0  # what the scheduler calls, twice
    assert addresses(smtp_inbox) == NOTIFIED


def test_reports_and_expected_decisions_are_reminded_too(runner, smtp_inbox, coalition,
                                                          people):
    with acting_as(people.author.id):
        submitted = make_application(coalition.campaign, coalition.undp, coalition.kazakh,
                                     status=ApplicationStatus.SUBMITTED,
                                     decision_date=TODAY + timedelta(days=7))
        awarded = make_application(coalition.campaign, coalition.undp, coalition.tajik,
                                   status=ApplicationStatus.AWARDED, title_en="Awarded one")
        application_services.add_report(awarded, application_services.ReportInput(
            kind=ReportKind.INTERIM, due_on=TODAY + timedelta(days=1), note="Six months"))
        done = application_services.add_report(awarded, application_services.ReportInput(
            kind=ReportKind.FINAL, due_on=TODAY + timedelta(days=1)))
        application_services.mark_report_done(done, TODAY)
        db.session.commit()

    # The decision in 7 days and the interim report tomorrow, to the author and the lead;
    # nothing for the final report that was already sent.
    assert send_reminders(runner, TODAY) == "4 reminders queued."
    subjects = sorted(message["Subject"] for message in smtp_inbox.to("author@example.org"))
    assert subjects == ["Reminder: Decision expected on Nov 9, 2026: XRF testing of paint",
                        "Reminder: Interim report due on Nov 3, 2026: Awarded one"]
    [interim] = [message for message in smtp_inbox.to("author@example.org")
                 if "Interim" in message["Subject"]]
    assert "Note: Six months" in body(interim)
    assert f"http://localhost/applications/{awarded.id}" in body(interim)
    assert len(smtp_inbox.to("lead@example.org")) == 2
    assert submitted.decision_date == TODAY + timedelta(days=7)


def test_a_user_who_chose_no_days_gets_none_and_other_days_are_honoured(
        client, runner, smtp_inbox, people, application):
    login(client, people.follower)
    response = client.post("/account/reminders", data={"days": "10, 3"})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    db.session.refresh(people.follower)
    assert people.follower.reminder_days == "10,3"

    assert send_reminders(runner, TODAY) == "2 reminders queued."
    assert "follower@example.org" not in addresses(smtp_inbox)
    smtp_inbox.messages.clear()
    assert send_reminders(runner, TODAY + timedelta(days=4)) == "1 reminder queued."
    assert addresses(smtp_inbox) == ["follower@example.org"]

    client.post("/account/reminders", data={"days": ""})
    db.session.refresh(people.follower)
    assert people.follower.reminder_days == ""
    assert send_reminders(runner, TODAY + timedelta(days=11)) == "0 reminders queued."


@pytest.mark.parametrize("days, message", [
    ("14,abc", "Write whole numbers of days from 0 to 90"),
    ("120", "Write whole numbers of days from 0 to 90"),
    ("-1", "Write whole numbers of days from 0 to 90"),
    ("1,2,3,4,5,6", "Choose at most 5 days."),
    ("1" * 61, "Field cannot be longer than 60 characters."),
])
def test_bad_reminder_days_are_refused_and_change_nothing(client, people, days, message):
    login(client, people.author)
    response = client.post("/account/reminders", data={"days": days})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(people.author)
    assert people.author.reminder_days == "14,7,1"


def test_the_account_page_shows_the_reminder_days(app, client, people):
    login(client, people.author)
    page = client.get("/account").get_data(as_text=True)
    assert 'id="reminders"' in page and 'value="14,7,1"' in page
    assert 'action="/account/reminders"' in page
    assert client.get("/account/reminders").status_code == 200
    russian = app.test_client()
    login(russian, people.lead)
    page = russian.get("/account").get_data(as_text=True)
    assert "Напоминания" in page and "Напоминать за столько дней" in page


def test_following_and_unfollowing_through_the_application_page(
        client, runner, smtp_inbox, people, application):
    login(client, people.bystander)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert f'action="/applications/{application.id}/follow"' in page
    response = client.post(f"/applications/{application.id}/follow", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "You follow “XRF testing of paint”" in page
    assert f'action="/applications/{application.id}/unfollow"' in page
    client.post(f"/applications/{application.id}/follow")  # twice: still one follower

    assert send_reminders(runner, TODAY) == "4 reminders queued."
    assert "bystander@example.org" in addresses(smtp_inbox)

    response = client.post(f"/applications/{application.id}/unfollow", follow_redirects=True)
    assert "You no longer follow" in response.get_data(as_text=True)
    smtp_inbox.messages.clear()
    assert send_reminders(runner, TODAY + timedelta(days=7)) == "3 reminders queued."
    assert "bystander@example.org" not in addresses(smtp_inbox)


def test_only_people_who_work_on_applications_may_follow(client, people, application):
    viewer = make_user(Role.VIEWER)
    login(client, viewer)
    assert 'id="follow"' not in client.get(f"/applications/{application.id}").get_data(
        as_text=True)
    assert client.post(f"/applications/{application.id}/follow").status_code == 403
    assert client.post("/applications/999999/follow").status_code in (403, 404)
    login(client, people.bystander)
    assert client.post("/applications/999999/follow").status_code == 404


def test_disabled_users_get_no_reminders(runner, smtp_inbox, people, application):
    people.lead.is_active = False
    db.session.commit()
    assert send_reminders(runner, TODAY) == "2 reminders queued."
    assert "lead@example.org" not in addresses(smtp_inbox)


def test_other_areas_passes_run_in_the_daily_pass(app, monkeypatch):
    monkeypatch.setattr(registry, "_passes", {})
    seen: list[date] = []

    def pledge_pass(today: date) -> int:
        seen.append(today)
        return 2

    registry.register_reminder_pass(pledge_pass)
    registry.register_reminder_pass(pledge_pass)  # building the app twice: still one
    assert run_daily_reminders(TODAY) == 2
    assert seen == [TODAY]


# --- the weekly digest -------------------------------------------------------------------


@pytest.fixture
def digest_world(coalition, people, application):
    """Coordinators in both languages, a target, a pledge of the week and a collision."""
    make_user(Role.COORDINATOR, email="hub@example.org")
    make_user(Role.COORDINATOR, email="hub-ru@example.org", language="ru")
    make_user(Role.COORDINATOR, email="gone@example.org", active=False)
    target = make_target(coalition.campaign)
    make_line(target, unit_cost="100")
    world = make_world()
    drive = make_drive(world)
    make_pledge(drive, amount="2500", pledged_on=TODAY - timedelta(days=3))
    make_pledge(drive, amount="999", pledged_on=TODAY - timedelta(days=30))  # not this week
    called_off = make_pledge(drive, amount="777", pledged_on=TODAY - timedelta(days=2))
    drive_services.cancel_pledge(called_off, "A mistake")
    db.session.commit()
    call = coalition.undp_call
    call.deadline = TODAY + timedelta(days=20)
    for org in (coalition.kazakh, coalition.tajik):
        make_application(coalition.campaign, coalition.undp, org, call_id=call.id,
                         title_en=f"Call bid of {org.slug}")
    db.session.commit()
    return target


def test_the_weekly_digest_in_both_languages(runner, smtp_inbox, digest_world, application):
    result = runner.invoke(args=["send-digest", "--today", TODAY.isoformat()])
    assert result.output.strip() == "2 digests queued."  # the disabled one gets none
    run_ready_jobs()

    [english] = smtp_inbox.to("hub@example.org")
    assert plain(english["Subject"]) == "Tracker: the week in funding (2026-W45)"
    text = body(english)
    assert "Oct 26, 2026 – Nov 1, 2026" in text
    assert "This is the first digest" in text
    assert "1 pledge made this week." in text and "2,500.00" in text
    assert "999.00" not in text and "777.00" not in text
    assert "Submission deadline: XRF testing of paint (UNDP)" in text
    assert f"http://localhost/applications/{application.id}" in text
    assert "Small grants 2027 (UNDP, deadline Nov 22, 2026)" in text
    assert "Greenwomen: Call bid of greenwomen" in text
    assert "Little Earth: Call bid of little-earth" in text
    assert 'href="http://localhost/"' in html_part(english)

    [russian] = smtp_inbox.to("hub-ru@example.org")
    assert plain(russian["Subject"]) == "Tracker: неделя в цифрах (2026-W45)"
    text = body(russian)
    assert "Это первый обзор" in text
    assert "Малые гранты 2027 (ПРООН" in text
    assert "Срок подачи заявки: Испытания красок на РФА (ПРООН)" in text
    assert "2 500,00 ₽" in text


def test_the_digest_shows_gaps_that_moved_since_the_previous_week(
        smtp_inbox, digest_world, coalition):
    assert send_weekly_digest(TODAY) == 2
    assert send_weekly_digest(TODAY + timedelta(days=2)) == 0  # same week: nothing new
    make_line(digest_world, unit_cost="200")  # the target grows: the gap with it
    run_ready_jobs()
    smtp_inbox.messages.clear()
    next_week = TODAY + timedelta(days=7)
    assert send_weekly_digest(next_week) == 2
    run_ready_jobs()

    [english] = smtp_inbox.to("hub@example.org")
    assert plain(english["Subject"]) == "Tracker: the week in funding (2026-W46)"
    text = body(english)
    assert "Lead in paint: $100.00 → $300.00 (+$200.00)" in text
    assert "Mercury-free" not in text.split("==")[2]  # its gap did not move
    [russian] = smtp_inbox.to("hub-ru@example.org")
    assert "Свинец в красках: 100,00 $ → 300,00 $ (+200,00 $)" in body(russian)


def test_no_digest_without_coordinators(app):
    assert send_weekly_digest(TODAY) == 0


def test_a_digest_is_not_for_everyone(smtp_inbox, digest_world):
    send_weekly_digest(TODAY)
    run_ready_jobs()
    assert sorted(m["To"] for m in smtp_inbox.messages) == ["hub-ru@example.org",
                                                            "hub@example.org"]
