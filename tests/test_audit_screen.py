"""The audit screen at any size: a capped count with a pager that goes on, and the same
statements whether the trail holds a few events or many (issue 15)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.factories import make_org
from tests.pages import plain, switch_to_russian
from tests.statements_support import statements_of_get
from tracker.audit import queries
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.fragments import kept_store


def shown_ids(html: str) -> list[int]:
    return [int(number) for number in re.findall(r'id="audit-event-(\d+)"', html)]


def newest_first_ids() -> list[int]:
    return list(db.session.scalars(select(AuditEvent.id).order_by(
        AuditEvent.occurred_at.desc(), AuditEvent.id.desc())))


@pytest.mark.usefixtures("signed_in_admin")
def test_a_long_trail_says_more_than_the_cap_and_pages_on_to_its_oldest_event(
        client, monkeypatch):
    monkeypatch.setattr(queries, "HISTORY_COUNT_CAP", 5)
    monkeypatch.setattr(queries, "PER_PAGE", 3)
    for number in range(8):
        make_org(name_en=f"NGO {number}", slug=f"ngo-{number}")

    first = client.get("/audit/")

    assert first.status_code == 200
    assert "More than 5 changes" in plain(first.text)
    assert "page 1" not in first.text
    seen, page, html = [], 1, first.text
    while True:
        seen += shown_ids(html)
        if f'href="/audit/?page={page + 1}' not in html:
            break
        page += 1
        html = client.get(f"/audit/?page={page}").text
        if page > 1 and shown_ids(html):
            assert f"page {page}" in html
    assert len(seen) > 5
    assert seen == newest_first_ids()


@pytest.mark.usefixtures("signed_in_admin")
def test_the_capped_count_is_said_in_russian(client, monkeypatch):
    monkeypatch.setattr(queries, "HISTORY_COUNT_CAP", 5)
    monkeypatch.setattr(queries, "PER_PAGE", 3)
    for number in range(6):
        make_org(name_en=f"NGO {number}", slug=f"ngo-{number}")
    switch_to_russian(client)

    page = client.get("/audit/?page=2")

    assert "Более 5 изменений" in plain(page.text)
    assert "страница 2" in page.text
    assert "Более ранние" in page.text


@pytest.mark.usefixtures("signed_in_admin")
def test_a_page_past_the_end_of_a_long_trail_shows_the_last_counted_page(client, monkeypatch):
    monkeypatch.setattr(queries, "HISTORY_COUNT_CAP", 5)
    monkeypatch.setattr(queries, "PER_PAGE", 3)
    for number in range(6):
        make_org(name_en=f"NGO {number}", slug=f"ngo-{number}")

    page = client.get("/audit/?page=40")

    assert "More than 5 changes" in plain(page.text) and "page 2" in page.text
    assert shown_ids(page.text) == newest_first_ids()[3:6]


@pytest.mark.usefixtures("signed_in_admin")
def test_a_short_trail_is_counted_exactly(client):
    make_org(name_en="First NGO")

    page = client.get("/audit/")

    assert "3 changes" in page.text and "More than" not in page.text


def statements_for(client, path: str) -> int:
    """How many statements one request runs."""
    return len(statements_of_get(client, path)[0])


@pytest.mark.usefixtures("signed_in_admin")
@pytest.mark.parametrize("path", ["/audit/?record_type=organization", "/audit/?actor=system&page=2",
                                  "/audit/?record_type=organization&page=9"])
def test_the_audit_screen_runs_as_many_statements_for_5_events_as_for_60(client, path):
    """A page of one kind of record costs the same few statements at any length of trail
    (the choices of users and record types, the capped count, the page, its records)."""
    for number in range(5):
        make_org(name_en=f"NGO {number}", slug=f"ngo-{number}")
    few = statements_for(client, path)
    for number in range(5, 60):
        make_org(name_en=f"NGO {number}", slug=f"ngo-{number}")
    many = statements_for(client, path)

    assert few == many, (few, many)


def _options(html: str, select_id: str) -> list[str]:
    """The labels of a select's options, as listed."""
    block = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return [plain(label).strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", block)]


@pytest.mark.usefixtures("signed_in_admin")
def test_the_kept_filters_list_a_new_user_and_keep_the_address_in_both_languages(client):
    """The filters are kept rendered (issue 15): a user who first appears in the trail is
    listed at once, and the values in the address show as chosen, in English and Russian."""
    from tracker.audit.actor import acting_as

    before = client.get("/audit/").text
    assert "newcomer@example.org" not in _options(before, "actor")
    with acting_as(424242, "newcomer@example.org"):
        make_org(name_en="Newcomer NGO", slug="newcomer-ngo")
    db.session.commit()

    after = client.get("/audit/").text
    chosen = client.get("/audit/?record_type=organization&date_from=2026-01-02").text
    switch_to_russian(client)
    russian = client.get("/audit/?record_type=organization&date_from=2026-01-02").text

    assert "newcomer@example.org" in _options(after, "actor")
    assert '<option selected value="organization">' in chosen
    assert 'value="2026-01-02"' in chosen and 'value="2026-01-02"' in russian
    assert "Все типы записей" in _options(russian, "record_type")
    assert '<option selected value="organization">' in russian


@pytest.mark.usefixtures("signed_in_admin")
@pytest.mark.parametrize("path", ["/audit/", "/audit/?record_type=organization"])
def test_the_audit_screen_reads_its_page_and_its_choices_in_a_statement_each(client, path):
    """The count, the page's events and their erasures in one statement; every user and
    record type of the filters in another (issue 15: they were five)."""
    for number in range(3):
        make_org(name_en=f"NGO {number}", slug=f"ngo-{number}")
    db.session.commit()

    kept_choices().clear()
    statements, html = statements_of_get(client, path)

    reading = [s for s in statements if "audit_event" in s and not _reads_head(s)]
    assert len(reading) == 2, reading
    assert "created the organisation “NGO 2”" in plain(html)


def kept_choices():
    return kept_store(queries.CHOICES_STORE, queries.CHOICES_KEPT)


def _reads_head(statement: str) -> bool:
    return statement.startswith("SELECT audit_event.id, audit_event.hash")


def _reads_choices(statements: list[str]) -> bool:
    return any("trail_actors" in statement for statement in statements)


@pytest.mark.usefixtures("signed_in_admin")
def test_the_filters_choices_are_read_again_only_once_the_trail_has_grown(client):
    """The users and record types are kept under the trail's head (issue 15): its newest
    event's id and chain hash, which vouches for every event before it (the trail only
    grows). A view reads the head alone until an event is added; then a new user is listed."""
    from tracker.audit.actor import acting_as

    kept_choices().clear()
    make_org(name_en="First NGO", slug="first-ngo")
    db.session.commit()
    first, _html = statements_of_get(client, "/audit/")
    again, html = statements_of_get(client, "/audit/?record_type=organization")
    with acting_as(424244, "latecomer@example.org"):
        make_org(name_en="Latecomer NGO", slug="latecomer-ngo")
    db.session.commit()
    grown, after = statements_of_get(client, "/audit/")

    assert _reads_choices(first) and [s for s in first if _reads_head(s)]
    assert not _reads_choices(again) and [s for s in again if _reads_head(s)]
    assert "latecomer@example.org" not in _options(html, "actor")
    assert _reads_choices(grown)
    assert "latecomer@example.org" in _options(after, "actor")


@pytest.mark.usefixtures("signed_in_admin")
def test_each_user_in_the_filter_is_named_by_their_newest_event(client):
    """Each user's own newest label, read through the (user, time) index: the newest time
    first, then its last event (ordered by time and id at once, the database sorted every
    event of a user, 5 ms for the bench user's 10,000 and growing)."""
    from tracker.audit.actor import acting_as

    with acting_as(424242, "old-address@example.org"):
        make_org(name_en="First NGO", slug="first-ngo")
    with acting_as(424243, "other@example.org"):
        make_org(name_en="Second NGO", slug="second-ngo")
    with acting_as(424242, "new-address@example.org"):
        make_org(name_en="Third NGO", slug="third-ngo")
    db.session.commit()

    actors = _options(client.get("/audit/").text, "actor")

    assert "new-address@example.org" in actors
    assert "other@example.org" in actors
    assert "old-address@example.org" not in actors
