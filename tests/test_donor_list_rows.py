"""The donors' list is paged and keeps each donor's rendered section (tracker/applications/
rows.py, issue 15): a kept section must never show a name, a call, a limit, a deadline, an
application count or a button that has changed since, however the change was written, in
either language."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.applications_support import (
    Coalition,
    make_application,
    make_call,
    make_coalition,
)
from tests.auth_support import login, make_user
from tests.factories import make_org
from tests.fragments_support import rendered_templates
from tests.pages import plain, switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tracker.applications.calls import DONORS_PER_PAGE
from tracker.applications.models import ApplicationStatus as Status
from tracker.applications.rows import DONOR_TEMPLATE, kept_donor_rows
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.extensions import db
from tracker.orgs.models import OrgKind


@pytest.fixture
def world(client) -> Coalition:
    world = make_coalition()
    login(client, make_user(Role.FUNDRAISER, email="fundraiser@example.org"))
    return world


def day(offset: int):
    return utcnow().date() + timedelta(days=offset)


@pytest.fixture
def call(world):
    return make_call(world.undp, title_en="Small grants 2028", title_ru="Малые гранты 2028",
                     reference="UNDP-SG-28", deadline=day(30), max_amount=Decimal("150000"),
                     max_duration_months=12)


def section_text(client, slug: str, page: int = 1) -> str:
    """The visible text of the donor's section of the list."""
    html = client.get(f"/donors/?page={page}").text
    found = re.search(rf'<section class="card mb-3" id="donor-{slug}".*?</section>', html, re.S)
    assert found, f"no section for {slug}"
    return " ".join(plain(re.sub(r"<[^>]+>", " ", found.group(0))).split())


def execute(statement: str, **values) -> None:
    db.session.execute(text(statement), values)
    db.session.commit()


def test_a_renamed_donor_and_call_and_new_limits_show_at_once_in_either_language(
        client, world, call):
    shown = section_text(client, "undp")
    assert "UNDP" in shown and "Small grants 2028" in shown and "UNDP-SG-28" in shown
    assert "up to $150,000.00" in shown and "Up to 12 months" in shown
    execute("UPDATE organization SET name_en = 'UNDP Istanbul', name_ru = 'ПРООН Стамбул'"
            " WHERE id = :id", id=world.undp.id)
    execute("UPDATE funding_call SET title_en = 'Small grants 2029',"
            " title_ru = 'Малые гранты 2029', reference = 'UNDP-SG-29',"
            " max_amount_minor = 9000000, max_duration_months = 24, countries = :countries"
            " WHERE id = :id", id=call.id, countries='["KZ"]')
    shown = section_text(client, "undp")
    assert "UNDP Istanbul" in shown and "Small grants 2029" in shown and "UNDP-SG-29" in shown
    assert "up to $90,000.00" in shown and "Up to 24 months" in shown
    assert "Kazakhstan" in shown
    switch_to_russian(client)
    shown = section_text(client, "undp")
    assert "ПРООН Стамбул" in shown and "Малые гранты 2029" in shown
    assert "90 000,00 $" in shown and "Казахстан" in shown
    switch_to_english(client)


def test_an_application_count_and_a_passed_deadline_show_at_once(client, world, call):
    shown = section_text(client, "undp")
    assert "closed call" not in shown
    make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                     call_id=call.id)
    assert re.search(r"Small grants 2028 UNDP-SG-28 .* 1$", section_text(client, "undp"))
    execute("UPDATE funding_call SET deadline = :day WHERE id = :id", day=day(-1), id=call.id)
    shown = section_text(client, "undp")
    assert "1 closed call " in shown and "Up to 12 months" not in shown


def test_a_call_closes_when_the_day_passes(client, world, call, monkeypatch):
    from tracker.applications import views

    execute("UPDATE funding_call SET deadline = :day WHERE id = :id", day=day(0), id=call.id)
    assert "Up to 12 months" in section_text(client, "undp")  # open until the day ends
    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr(views, "utcnow", lambda: tomorrow)
    shown = section_text(client, "undp")
    assert "Up to 12 months" not in shown and "1 closed call " in shown


def test_the_add_a_call_button_follows_the_readers_rights(client, world, call):
    assert "Add a call" in section_text(client, "undp")
    login(client, make_user(Role.VIEWER, email="viewer@example.org"))
    assert "Add a call" not in section_text(client, "undp")


def test_the_list_pages_its_donors_with_a_count(client, world):
    for number in range(DONORS_PER_PAGE):
        make_org(slug=f"fund-{number:02d}", name_en=f"Fund {number:02d}",
                 name_ru=f"Фонд {number:02d}", kind=OrgKind.FOUNDATION)
    total = DONORS_PER_PAGE + 3  # and UNDP, the Special Programme and the ministry
    first = plain(client.get("/donors/").text)
    assert f"Showing 1–{DONORS_PER_PAGE} of {total}" in first
    assert first.count('<section class="card mb-3"') == DONORS_PER_PAGE
    assert "/donors/?page=2" in first
    last = plain(client.get("/donors/?page=2").text)
    assert f"Showing {DONORS_PER_PAGE + 1}–{total} of {total}" in last
    assert last.count('<section class="card mb-3"') == 3
    # A page past the end, or no number at all, shows a page rather than an error.
    assert client.get("/donors/?page=99").text.count('<section class="card mb-3"') == 3
    assert client.get("/donors/?page=nonsense").status_code == 200
    switch_to_russian(client)
    assert f"из {total}" in plain(client.get("/donors/").text)
    switch_to_english(client)


def test_the_list_runs_as_many_statements_at_many_calls_as_at_one(client, world, call):
    few = len(statements_of_get(client, "/donors/")[0])
    for number in range(20):
        make_call(world.special_programme, title_en=f"Round {number}", deadline=day(number))
    assert len(statements_of_get(client, "/donors/")[0]) == few


def test_an_unchanged_section_is_rendered_once(client, app, world, call):
    with app.app_context():
        kept_donor_rows().clear()  # as a new process: another test may have shown it
    with rendered_templates(app) as rendered:
        client.get("/donors/")
        client.get("/donors/")
    assert rendered.count(DONOR_TEMPLATE) == 3  # UNDP, the Special Programme, the ministry
    assert rendered.count("applications/donors.html") == 2
