"""The deadlines feed: a secret link per user that calendar programs subscribe to."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.applications_support import Coalition, Status, make_application, make_coalition
from tests.auth_support import login, make_user
from tracker.applications import services
from tracker.applications.models import CalendarToken, ReportKind
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.extensions import db


@pytest.fixture
def world(app) -> Coalition:
    return make_coalition()


@pytest.fixture
def viewer(client, world):
    user = make_user(Role.VIEWER, email="viewer@example.org")
    login(client, user)
    return user


def _day(offset: int) -> date:
    return utcnow().date() + timedelta(days=offset)


@pytest.fixture
def deadlines(world):
    """One open deadline of each kind: a submission, an expected decision, a report."""
    drafting = make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                                title_en="Paint survey", title_ru="Обследование красок",
                                submission_deadline=_day(10))
    waiting = make_application(world.campaign, world.special_programme, world.ministry,
                               Status.UNDER_REVIEW, title_en="National plan",
                               title_ru="Национальный план", decision_date=_day(100))
    won = make_application(world.campaign, world.undp, world.tajik, Status.AWARDED,
                           title_en="XRF tour", title_ru="Тур с РФА-анализатором")
    report = services.add_report(won, services.ReportInput(ReportKind.INTERIM, _day(-5)))
    db.session.commit()
    return {"drafting": drafting, "waiting": waiting, "won": won, "report": report}


def make_link(client) -> str:
    """Press "Make my calendar link" on the deadlines page; return the link it shows once."""
    response = client.post("/deadlines/calendar-link")
    assert response.status_code == 200
    match = re.search(r'id="calendar-link" type="text" readonly value="([^"]+)"', response.text)
    assert match, response.text
    return match.group(1).replace("&amp;", "&")


def fetch(app, link: str, **query: str):
    """Fetch the feed as a calendar program does: a fresh client, no cookie, no login."""
    path = link.split("://", 1)[1].split("/", 1)[1]
    path = "/" + path.split("?", 1)[0]
    return app.test_client().get(path, query_string=query)


def events(body: bytes) -> dict[str, dict[str, object]]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): {"summary": str(event["SUMMARY"]),
                                "start": event.decoded("DTSTART"),
                                "description": str(event["DESCRIPTION"])}
            for event in calendar.walk("VEVENT")}


def test_the_feed_lists_every_open_deadline_as_an_all_day_event(app, client, viewer,
                                                                 deadlines):
    link = make_link(client)
    assert "/deadlines/" in link and link.split("?")[0].endswith(".ics")
    response = fetch(app, link, lang="en")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    found = events(response.data)
    drafting, waiting, won = deadlines["drafting"], deadlines["waiting"], deadlines["won"]
    assert found == {
        f"application-{drafting.id}-submission@tracker": {
            "summary": "Submission deadline: Paint survey (UNDP)", "start": _day(10),
            "description": found[f"application-{drafting.id}-submission@tracker"]["description"],
        },
        f"application-{waiting.id}-decision@tracker": {
            "summary": "Decision expected: National plan (UNEP Special Programme)",
            "start": _day(100),  # beyond the page's 60 days: a calendar shows them all
            "description": found[f"application-{waiting.id}-decision@tracker"]["description"],
        },
        f"report-{deadlines['report'].id}@tracker": {
            "summary": "Interim report due: XRF tour (UNDP)", "start": _day(-5),
            "description": found[f"report-{deadlines['report'].id}@tracker"]["description"],
        },
    }
    for event in found.values():
        assert type(event["start"]) is date  # all-day, not a timestamp
    description = found[f"report-{deadlines['report'].id}@tracker"]["description"]
    assert "Lead in paint" in description and f"/applications/{won.id}" in description

    # The same deadlines keep their UIDs from one fetch to the next.
    assert set(events(fetch(app, link, lang="en").data)) == set(found)


def test_the_feed_speaks_russian_when_asked(app, client, viewer, deadlines):
    link = make_link(client)
    summaries = {event["summary"] for event in events(fetch(app, link, lang="ru").data).values()}
    assert summaries == {
        "Срок подачи заявки: Обследование красок (ПРООН)",
        "Ожидается решение: Национальный план (Специальная программа ЮНЕП)",
        "Срок промежуточного отчёта: Тур с РФА-анализатором (ПРООН)",
    }
    description = next(iter(events(fetch(app, link, lang="ru").data).values()))["description"]
    assert "Кампания: Свинец в красках" in description


def test_the_link_follows_the_page_language_and_the_token_is_stored_hashed(
        app, client, viewer, deadlines):
    link = make_link(client)
    assert "lang=en" in link
    token = link.split("/deadlines/")[1].split(".ics")[0]
    record = db.session.scalars(select(CalendarToken)).one()
    assert record.user_id == viewer.id
    assert record.token_hash != token and token not in record.token_hash
    assert len(record.token_hash) == 64
    # Later visits say a link exists but cannot show it again.
    page = client.get("/deadlines").text
    assert token not in page
    assert "You made a calendar link on" in page


@pytest.mark.parametrize("token", ["wrong", "x" * 43, "x" * 500])
def test_a_wrong_token_is_not_found(app, client, viewer, deadlines, token):
    make_link(client)
    assert app.test_client().get(f"/deadlines/{token}.ics").status_code == 404


def test_a_new_link_or_stopping_it_ends_the_old_one(app, client, viewer, deadlines):
    first = make_link(client)
    second = make_link(client)
    assert fetch(app, first).status_code == 404
    assert fetch(app, second).status_code == 200
    response = client.post("/deadlines/calendar-link/revoke")
    assert response.status_code == 302
    assert fetch(app, second).status_code == 404
    assert db.session.scalars(select(CalendarToken)).first() is None


def test_a_disabled_account_s_link_stops_working(app, client, viewer, deadlines):
    link = make_link(client)
    viewer.is_active = False
    db.session.commit()
    assert fetch(app, link).status_code == 404


def test_the_feed_needs_no_cookie_but_the_page_and_the_link_do(app, client, world):
    anonymous = app.test_client()
    assert anonymous.get("/deadlines").status_code == 302
    assert anonymous.post("/deadlines/calendar-link",
                          data={"csrf_token": client.csrf_token()}).status_code in (302, 400)
    assert db.session.scalars(select(CalendarToken)).first() is None


def test_a_done_report_and_a_decided_application_leave_the_feed(app, client, viewer,
                                                                deadlines):
    link = make_link(client)
    services.mark_report_done(deadlines["report"])
    services.move(deadlines["waiting"], Status.REJECTED, by=None)
    db.session.commit()
    assert set(events(fetch(app, link).data)) == {
        f"application-{deadlines['drafting'].id}-submission@tracker"}
