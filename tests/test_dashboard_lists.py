"""The dashboard's collisions, upcoming deadlines and recent pledges are kept rendered
(tracker.dashboard.lists, issue 15): a kept list must never show a deadline, a status, a
pledge, a language or a day that has changed since. Each test shows the dashboard, changes
what it shows, and reads it again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.applications_support import make_application, make_call
from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_pledge, make_world
from tests.fragments_support import rendered_templates
from tests.pages import switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tests.test_deadline_lines import _day, _text, add_applications, coordinator, world  # noqa: F401
from tracker.applications import services
from tracker.applications.models import ApplicationStatus
from tracker.auth.models import Role
from tracker.dashboard.lists import kept_lists
from tracker.db import utcnow
from tracker.drives import services as drives
from tracker.extensions import db

Status = ApplicationStatus
LISTS = ("dashboard/_deadlines.html", "dashboard/_collisions.html", "dashboard/_pledges.html")


def _section(html: str, anchor: str) -> str:
    """The text of the dashboard's section with this id ('' when it is not shown)."""
    if f'id="{anchor}"' not in html:
        return ""
    start = html.index(f'id="{anchor}"')
    return _text(html[start:html.index("</section>", start)])


def _rendered(app, client) -> list[str]:
    """The list partials one dashboard request renders."""
    with rendered_templates(app) as names:
        assert client.get("/").status_code == 200
    return [name for name in names if name in LISTS]


def test_an_unchanged_dashboard_shows_its_lists_as_kept(app, client, world, coordinator):  # noqa: F811
    add_applications(world, 6)
    kept_lists().clear()  # the app is shared: another test may have kept the same lists
    assert sorted(_rendered(app, client)) == sorted(LISTS)
    assert _rendered(app, client) == []


def test_a_new_deadline_and_a_status_change_show_at_once(client, world, coordinator):  # noqa: F811
    add_applications(world, 6)
    assert "Fresh idea" not in _section(client.get("/").text, "upcoming-deadlines")

    fresh = make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                             title_en="Fresh idea", submission_deadline=_day(1))
    assert "Fresh idea" in _section(client.get("/").text, "upcoming-deadlines")

    services.move(fresh, Status.SUBMITTED, by=None)
    db.session.commit()
    assert "Fresh idea" not in _section(client.get("/").text, "upcoming-deadlines")


def test_a_collision_shows_a_status_change_and_a_withdrawal_at_once(client, world, coordinator):  # noqa: F811
    call = make_call(world.undp, title_en="Lead-free paint round", deadline=_day(20))
    first = make_application(world.campaign, world.undp, world.kazakh, Status.IDEA,
                             call_id=call.id, title_en="Kazakh lead study")
    second = make_application(world.campaign, world.undp, world.tajik, Status.IDEA,
                              call_id=call.id, title_en="Tajik lead study")
    shown = _section(client.get("/").text, "collisions")
    assert "Lead-free paint round" in shown and "Tajik lead study Idea" in shown

    services.move(second, Status.DRAFTING, by=None)
    db.session.commit()
    assert "Tajik lead study Drafting" in _section(client.get("/").text, "collisions")

    services.move(first, Status.WITHDRAWN, by=None)
    db.session.commit()
    assert _section(client.get("/").text, "collisions") == ""


def test_the_lists_follow_the_language(client, world, coordinator):  # noqa: F811
    add_applications(world, 6)
    english = client.get("/").text
    assert "Application 000" in _section(english, "upcoming-deadlines")
    assert "Round 0" in _section(english, "collisions")

    switch_to_russian(client)
    russian = client.get("/").text
    assert "Заявка 000" in _section(russian, "upcoming-deadlines")
    assert "Раунд 0" in _section(russian, "collisions")
    assert "Ближайшие сроки" in _section(russian, "upcoming-deadlines")

    switch_to_english(client)
    assert "Application 000" in _section(client.get("/").text, "upcoming-deadlines")


def test_the_days_left_move_on_with_today(client, world, coordinator, monkeypatch):  # noqa: F811
    make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                     title_en="Due soon", submission_deadline=_day(3))
    assert "in 3 days" in _section(client.get("/").text, "upcoming-deadlines")

    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr("tracker.dashboard.views.utcnow", lambda: tomorrow)
    assert "in 2 days" in _section(client.get("/").text, "upcoming-deadlines")


@pytest.fixture
def drive_world(app):
    return make_world()


def test_a_new_pledge_and_a_status_change_show_at_once(client, drive_world):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    drive = make_drive(drive_world)
    make_pledge(drive, amount="1000", name="Anna Petrova")
    assert "Anna Petrova" in _section(client.get("/").text, "recent-pledges")

    newer = make_pledge(drive, amount="2500", name="Ivan Sidorov",
                        pledged_on=utcnow().date())
    shown = _section(client.get("/").text, "recent-pledges")
    assert "Ivan Sidorov" in shown and "RUB 2,500.00" in shown

    assert "Cancelled" not in shown
    drives.cancel_pledge(newer, "The pledger withdrew it.")
    db.session.commit()
    assert "Cancelled" in _section(client.get("/").text, "recent-pledges")

    switch_to_russian(client)
    assert "1 000,00 ₽" in _section(client.get("/").text, "recent-pledges")


def test_a_reader_without_contact_rights_never_gets_a_kept_name(app, client, drive_world):
    drive = make_drive(drive_world)
    make_pledge(drive, name="Anna Petrova", is_anonymous=True)
    coordinator_user = make_user(Role.COORDINATOR, email="coordinator@example.org")
    fundraiser = make_user(Role.FUNDRAISER, email="fundraiser@example.org")

    login(client, coordinator_user)
    assert "Anna Petrova" in _section(client.get("/").text, "recent-pledges")
    other = app.test_client()
    login(other, fundraiser)
    shown = _section(other.get("/").text, "recent-pledges")
    assert "Anna Petrova" not in shown and "Anonymous" in shown
    assert "Anna Petrova" in _section(client.get("/").text, "recent-pledges")


def _statements(client) -> int:
    client.get("/")  # warm: the kept sections and lists are read, not rendered
    db.session.expire_all()
    return len(statements_of_get(client, "/")[0])


def test_statements_are_equal_at_five_and_sixty_pledges(client, drive_world):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    drive = make_drive(drive_world)
    for number in range(5):
        make_pledge(drive, name=f"Pledger {number}")
    few = _statements(client)
    for number in range(5, 60):
        make_pledge(drive, name=f"Pledger {number}")
    assert _statements(client) == few


def test_statements_are_equal_at_five_and_sixty_applications(client, world, coordinator):  # noqa: F811
    add_applications(world, 5)
    few = _statements(client)
    add_applications(world, 55, start=5)
    assert _statements(client) == few
