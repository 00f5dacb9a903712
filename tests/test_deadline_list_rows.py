"""The deadlines screen keeps each rendered row (tracker/applications/rows.py, issue 15): a
kept row must never show a title, a donor, a status, a report's note, a date or a count of
days that has changed since, however the change was written, in either language, nor a
deadline that is no longer open."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.applications_support import Coalition, make_application, make_coalition
from tests.auth_support import login, make_user
from tests.fragments_support import rendered_templates
from tests.pages import plain, switch_to_russian
from tests.test_dashboard_rows import switch_to_english
from tracker.applications import services
from tracker.applications.models import ApplicationStatus as Status
from tracker.applications.models import ReportKind
from tracker.applications.rows import DEADLINE_TEMPLATE, kept_deadline_rows
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.extensions import db


@pytest.fixture
def world(client) -> Coalition:
    world = make_coalition()
    login(client, make_user(Role.FUNDRAISER, email="fundraiser@example.org"))
    return world


def day(offset: int):
    return utcnow().date() + timedelta(days=offset)


@pytest.fixture
def application(world):
    return make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                            title_en="XRF testing of paint",
                            title_ru="Испытания красок на РФА", submission_deadline=day(5))


def table_text(client) -> str:
    """The visible text of the deadlines' table."""
    page = client.get("/deadlines").text
    found = re.search(r'<table[^>]*id="deadlines".*?</table>', page, re.S)
    assert found, "no deadlines table"
    return " ".join(plain(re.sub(r"<[^>]+>", " ", found.group(0))).split())


def execute(statement: str, **values) -> None:
    db.session.execute(text(statement), values)
    db.session.commit()


def test_renamed_titles_and_names_and_a_status_show_at_once_in_either_language(
        client, world, application):
    shown = table_text(client)
    assert "XRF testing of paint" in shown and "Lead in paint" in shown and "UNDP" in shown
    execute("UPDATE application SET title_en = 'Paint tests', title_ru = 'Проверка красок',"
            " status = 'idea' WHERE id = :id", id=application.id)
    execute("UPDATE campaign SET title_en = 'Lead-free paint', title_ru = 'Краски без свинца'"
            " WHERE id = :id", id=world.campaign.id)
    execute("UPDATE organization SET name_en = 'UNDP Kazakhstan', name_ru = 'ПРООН Казахстан'"
            " WHERE id = :id", id=world.undp.id)
    shown = table_text(client)
    assert "Paint tests" in shown and "Lead-free paint" in shown
    assert "UNDP Kazakhstan" in shown and "Idea" in shown and "Drafting" not in shown
    switch_to_russian(client)
    shown = table_text(client)
    assert "Проверка красок" in shown and "Краски без свинца" in shown
    assert "ПРООН Казахстан" in shown
    switch_to_english(client)


def test_a_moved_date_a_note_and_a_done_report_show_at_once(client, world, application):
    assert "in 5 days" in table_text(client)
    execute("UPDATE application SET submission_deadline = :day WHERE id = :id", day=day(-2),
            id=application.id)
    shown = table_text(client)
    assert "overdue" in shown and "2 days ago" in shown and "in 5 days" not in shown
    report = services.add_report(application, services.ReportInput(ReportKind.INTERIM, day(7),
                                                                   note="Lab results"))
    db.session.commit()
    assert "Interim report due" in table_text(client) and "Lab results" in table_text(client)
    execute("UPDATE report_due SET note = 'Lab results and photos' WHERE id = :id",
            id=report.id)
    assert "Lab results and photos" in table_text(client)
    switch_to_russian(client)
    assert "просрочено" in table_text(client)
    switch_to_english(client)
    execute("UPDATE report_due SET done_on = :day WHERE id = :id", day=day(0), id=report.id)
    assert "Interim report due" not in table_text(client)


def test_the_days_left_follow_the_date(client, application, monkeypatch):
    from tracker.applications import views

    assert "in 5 days" in table_text(client)
    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr(views, "utcnow", lambda: tomorrow)
    assert "in 4 days" in table_text(client)


def test_an_unchanged_row_is_rendered_once(client, app, application):
    with app.app_context():
        kept_deadline_rows().clear()  # as a new process: another test may have shown this row
    with rendered_templates(app) as rendered:
        client.get("/deadlines")
        client.get("/deadlines")
    assert rendered.count(DEADLINE_TEMPLATE) == 1
    assert rendered.count("applications/deadlines.html") == 2
