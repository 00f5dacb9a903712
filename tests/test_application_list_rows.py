"""The applications list keeps each rendered row (tracker/applications/rows.py, issue 15): a
kept row must never show a title, a donor, a call, an applicant, a status, an amount, a
probability, a deadline, an overdue mark or a collision that has changed since, however the
change was written, in either language."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text, update

from tests.applications_support import Coalition, make_application, make_coalition
from tests.auth_support import login, make_user
from tests.fragments_support import rendered_templates
from tests.pages import plain, switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tracker.applications.models import ApplicationStatus as Status
from tracker.applications.rows import ROW_TEMPLATE, kept_rows
from tracker.auth.models import Role
from tracker.campaigns.models import Campaign
from tracker.db import utcnow
from tracker.extensions import db
from tracker.orgs.models import Organization


@pytest.fixture
def world(client) -> Coalition:
    world = make_coalition()
    login(client, make_user(Role.FUNDRAISER, email="fundraiser@example.org"))
    return world


@pytest.fixture
def application(world):
    return make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                            title_en="XRF testing of paint", call_id=world.undp_call.id,
                            requested=Decimal("1234.5"), probability=30,
                            submission_deadline=utcnow().date() + timedelta(days=10))


def row_text(client, application_id: int) -> str:
    """The visible text of the application's row in the list."""
    page = client.get("/applications/").text
    found = re.search(rf'<tr>\s*<td>\s*<a href="/applications/{application_id}">.*?</tr>',
                      page, re.S)
    assert found, f"no row for application {application_id}"
    return " ".join(plain(re.sub(r"<[^>]+>", " ", found.group(0))).split())


def execute(statement: str, **values) -> None:
    db.session.execute(text(statement), values)
    db.session.commit()


def write(statement: Any) -> None:
    db.session.execute(statement)
    db.session.commit()


def test_renamed_titles_and_names_show_at_once_in_either_language(client, world, application):
    shown = row_text(client, application.id)
    assert "XRF testing of paint" in shown and "Lead in paint" in shown
    assert "UNDP" in shown and "Small grants 2027" in shown and "Greenwomen" in shown
    execute("UPDATE application SET title_en = 'Paint tests', title_ru = 'Проверка красок'"
            " WHERE id = :id", id=application.id)
    execute("UPDATE campaign SET title_en = 'Lead-free paint', title_ru = 'Краски без свинца'"
            " WHERE id = :id", id=world.campaign.id)
    execute("UPDATE organization SET name_en = 'UNDP Kazakhstan', name_ru = 'ПРООН Казахстан'"
            " WHERE id = :id", id=world.undp.id)
    execute("UPDATE organization SET name_en = 'Greenwomen KZ', name_ru = 'Гринвумен КЗ'"
            " WHERE id = :id", id=world.kazakh.id)
    execute("UPDATE funding_call SET title_en = 'Small grants 2028',"
            " title_ru = 'Малые гранты 2028' WHERE id = :id", id=world.undp_call.id)
    shown = row_text(client, application.id)
    for expected in ("Paint tests", "Lead-free paint", "UNDP Kazakhstan", "Greenwomen KZ",
                     "Small grants 2028"):
        assert expected in shown
    switch_to_russian(client)
    shown = row_text(client, application.id)
    for expected in ("Проверка красок", "Краски без свинца", "ПРООН Казахстан", "Гринвумен КЗ",
                     "Малые гранты 2028"):
        assert expected in shown
    switch_to_english(client)


def test_status_amounts_probability_and_deadline_show_at_once(client, world, application):
    shown = row_text(client, application.id)
    assert "Drafting" in shown and "$1,234.50" in shown and "30%" in shown
    assert "overdue" not in shown
    late = utcnow().date() - timedelta(days=2)
    execute("UPDATE application SET requested_minor = 500000, probability = 45,"
            " submission_deadline = :day WHERE id = :id", day=late, id=application.id)
    shown = row_text(client, application.id)
    assert "$5,000.00" in shown and "45%" in shown and "overdue" in shown
    execute("UPDATE application SET status = 'awarded', awarded_minor = 400000,"
            " awarded_currency = 'USD' WHERE id = :id", id=application.id)
    shown = row_text(client, application.id)
    assert "Awarded" in shown and "$4,000.00" in shown and "overdue" not in shown
    switch_to_russian(client)
    shown = row_text(client, application.id)
    assert "4 000,00 $" in shown and "45 %" in shown and "Одобрена" in shown
    switch_to_english(client)


def test_a_collision_shows_at_once(client, world, application):
    other = make_application(world.campaign, world.undp, world.tajik, Status.DRAFTING,
                             title_en="Another member's request")
    assert "collision" not in row_text(client, application.id)
    execute("UPDATE application SET call_id = :call WHERE id = :id", call=world.undp_call.id,
            id=other.id)
    assert "collision" in row_text(client, application.id)
    execute("UPDATE application SET status = 'withdrawn' WHERE id = :id", id=other.id)
    assert "collision" not in row_text(client, application.id)


def test_an_unchanged_row_is_rendered_once(client, app, application):
    with app.app_context():
        kept_rows().clear()  # as a new process: another test may have shown this row
    with rendered_templates(app) as rendered:
        client.get("/applications/")
        client.get("/applications/")
    assert rendered.count(ROW_TEMPLATE) == 1
    assert rendered.count("applications/index.html") == 2


def test_the_list_reads_only_its_page_of_applications_with_their_names(client, application):
    """The page's applications are chosen first, then joined: no statement reads a whole
    application record or joins every application to its campaign and organisations."""
    statements = statements_of_get(client, "/applications/")[0]
    assert any("FROM application" in s for s in statements)
    # Only the columns the list shows: a whole record would read its notes too.
    assert not any("application.notes" in s for s in statements)


def test_applications_without_a_deadline_come_last(client, world, application):
    undated = make_application(world.campaign, world.undp, world.tajik, Status.IDEA,
                               title_en="No date yet")
    earlier = make_application(world.campaign, world.undp, world.tajik, Status.IDEA,
                               title_en="Earlier one",
                               submission_deadline=utcnow().date() + timedelta(days=1))
    page = client.get("/applications/").text
    order = [int(found) for found in re.findall(r'<tr>\s*<td>\s*<a href="/applications/(\d+)"',
                                                page)]
    assert order == [earlier.id, application.id, undated.id]


def options_of(html: str, select_id: str) -> list[tuple[str, str, bool]]:
    """The (value, label, selected) of each option of the select with this id."""
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select {select_id}"
    return [(value, label, bool(chosen)) for value, chosen, label in re.findall(
        r'<option value="([^"]*)"( selected)?>([^<]*)</option>', found.group(1))]


def test_the_filters_options_show_renamed_campaigns_and_donors_at_once(
        client, world, application):
    campaigns = options_of(client.get("/applications/").text, "filter-campaign")
    assert ("lead-in-paint", "Lead in paint", False) in campaigns
    # Through SQLAlchemy statements (no service), which bump the filters' versions as every
    # write of the application does (tracker.versions): the options are kept under those.
    write(update(Campaign).where(Campaign.id == world.campaign.id)
          .values(title_en="Lead-free paint", title_ru="Краски без свинца"))
    write(update(Organization).where(Organization.id == world.undp.id)
          .values(name_en="UNDP Kazakhstan", name_ru="ПРООН Казахстан"))
    html = client.get("/applications/?campaign=lead-in-paint&donor=undp").text
    assert ("lead-in-paint", "Lead-free paint", True) in options_of(html, "filter-campaign")
    assert ("undp", "UNDP Kazakhstan", True) in options_of(html, "filter-donor")
    assert sum(chosen for _, _, chosen in options_of(html, "filter-campaign")) == 1
    html = client.get("/applications/").text
    assert not any(chosen for _, _, chosen in options_of(html, "filter-campaign"))
    switch_to_russian(client)
    html = client.get("/applications/?donor=undp").text
    assert ("lead-in-paint", "Краски без свинца", False) in options_of(html, "filter-campaign")
    assert ("undp", "ПРООН Казахстан", True) in options_of(html, "filter-donor")
    switch_to_english(client)
