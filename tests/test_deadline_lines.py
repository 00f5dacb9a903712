"""Deadlines and collisions on screens read only what they show (issue 15).

The dashboard and /deadlines loaded whole Application graphs for their lists; they now
read the shown columns in a bounded number of statements, whatever the number of
applications, reports and calls, and /deadlines shows its list a page at a time.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.applications_support import Coalition, make_application, make_call, make_coalition
from tests.auth_support import login, make_user
from tests.pages import plain, switch_to_russian
from tests.statements_support import statements_of_get
from tracker.applications import services
from tracker.applications.models import ApplicationStatus, ReportKind
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.extensions import db
from tracker.money.services import add_rate

Status = ApplicationStatus


@pytest.fixture
def world(app) -> Coalition:
    return make_coalition()


@pytest.fixture
def coordinator(client, world):
    user = make_user(Role.COORDINATOR, email="coordinator@example.org")
    login(client, user)
    return user


def _day(offset: int):
    return utcnow().date() + timedelta(days=offset)


def _text(html: str) -> str:
    return " ".join(plain(re.sub(r"<[^>]+>", " ", html)).split())


def _rows(html: str) -> list[str]:
    """The text of each row of the deadlines table."""
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return [_text(row) for row in body.split("<tr")[1:]]


def add_applications(world: Coalition, count: int, start: int = 0) -> None:
    """`count` applications of two members: deadlines, decisions, reports and collisions."""
    for number in range(start, start + count):
        applicant = world.kazakh if number % 2 else world.tajik
        kind = number % 3
        call = make_call(world.undp, title_en=f"Round {number // 2}",
                         title_ru=f"Раунд {number // 2}",
                         deadline=_day(10 + number)) if number % 2 == 0 else None
        if call is not None:
            add_applications.last_call = call  # type: ignore[attr-defined]
        call_id = (call or add_applications.last_call).id  # type: ignore[attr-defined]
        title = {"title_en": f"Application {number:03d}", "title_ru": f"Заявка {number:03d}"}
        if kind == 0:
            make_application(world.campaign, world.undp, applicant, Status.DRAFTING,
                             submission_deadline=_day(number - 3), call_id=call_id, **title)
        elif kind == 1:
            make_application(world.other_campaign, world.undp, applicant, Status.UNDER_REVIEW,
                             decision_date=_day(number), call_id=call_id, **title)
        else:
            won = make_application(world.campaign, world.undp, applicant, Status.AWARDED,
                                   call_id=call_id, **title)
            services.add_report(won, services.ReportInput(ReportKind.INTERIM, _day(number),
                                                          note=f"Note {number}"))
            db.session.commit()


def statements_of(client, path: str) -> int:
    """How many statements a GET of the path sends (the test's savepoints aside)."""
    client.get(path)  # the dashboard keeps its funding sections: count a warm request
    db.session.expire_all()
    return len(statements_of_get(client, path)[0])


@pytest.mark.parametrize("path", ["/", "/deadlines"])
def test_statements_per_request_are_equal_at_few_and_many_applications(
        client, world, coordinator, path):
    add_applications(world, 4)
    few = statements_of(client, path)

    add_applications(world, 40, start=4)
    many = statements_of(client, path)

    assert many == few


def test_deadlines_come_a_page_at_a_time_in_their_order(client, world, coordinator):
    add_applications(world, 30)
    everything = [(d.due_on, d.application.title_en) for d in services.upcoming_deadlines()]
    assert len(everything) == 30

    first = client.get("/deadlines").text
    second = client.get("/deadlines?page=2").text

    rows = _rows(first) + _rows(second)
    assert len(_rows(first)) == services.DEADLINES_PER_PAGE == 25
    # The same deadlines in the same order as the whole list, overdue ones first.
    assert [re.search(r"Application \d{3}", row).group(0) for row in rows] == [
        title for _, title in everything]
    assert "overdue" in rows[0] and "overdue" not in rows[-1]
    assert "Showing 1–25 of 30" in _text(first)
    assert "Showing 26–30 of 30" in _text(second)
    assert _rows(client.get("/deadlines?page=99").text) == _rows(second)  # past the end
    assert 'aria-label="Pages of deadlines"' in first
    switch_to_russian(client)
    assert 'aria-label="Страницы сроков"' in client.get("/deadlines").text


def test_deadline_rows_read_in_russian(client, world, coordinator):
    add_applications(world, 3)
    switch_to_russian(client)

    rows = _rows(client.get("/deadlines").text)

    assert any("Заявка 000" in row and "Свинец в красках" in row and "ПРООН" in row
               for row in rows)
    assert any("Срок промежуточного отчёта" in row and "Note 2" in row for row in rows)


def test_the_dashboards_collisions_are_those_of_all_collisions_in_both_languages(
        client, world, coordinator):
    add_applications(world, 8)
    expected = [(c.call.title_en, [(a.applicant.name_en, a.title_en) for a in c.applications])
                for c in services.all_collisions(deadline_from=utcnow().date())]
    assert len(expected) == 4

    page = client.get("/").text
    section = page[page.index('id="collisions"'):page.index("</section>",
                                                           page.index('id="collisions"'))]
    shown = [(_text(block.split("</p>")[0]),
              [_text(item) for item in block.split("<li>")[1:]])
             for block in section.split('role="alert"')[1:]]
    assert [(call in head, [f"{name}: {title}" in item for (name, title), item
                            in zip(apps, items, strict=True)])
            for (call, apps), (head, items) in zip(expected, shown, strict=True)] == [
        (True, [True] * len(apps)) for _, apps in expected]

    switch_to_russian(client)
    russian = _text(client.get("/").text)
    assert "Раунд 0" in russian and "Маленькая Земля: Заявка 000" in russian


def test_the_reporting_currency_offers_both_ends_of_every_rate(client, world, coordinator):
    """The rates' currencies come from their distinct pairs, read through their index."""
    for base, quote in (("USD", "KGS"), ("EUR", "AMD"), ("GEL", "TJS"), ("EUR", "UZS"),
                        ("AZN", "EUR")):
        for day in (1, 2):
            add_rate(date(2026, 1, day), base, quote, Decimal("2"), "Test")
    db.session.commit()

    page = client.get("/").text
    select = re.search(r'<select[^>]*name="currency".*?</select>', page, re.S).group(0)
    group = select.split("<optgroup")[1]  # the coalition's own currencies
    offered = set(re.findall(r'<option[^>]*value="([A-Z]{3})"', group))
    assert {"USD", "KGS", "EUR", "AMD", "GEL", "TJS", "UZS", "AZN"} <= offered
