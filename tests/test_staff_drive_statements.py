"""The staff drive page costs the same number of statements at a few and at many pledges,
and it reads nothing again after noting the contacts it showed (issue 15)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_payment, make_pledge, make_world, public_pledge
from tests.statements_support import statements_of_get
from tracker.audit.models import AuditAction, AuditEvent
from tracker.auth.models import Role
from tracker.drives.models import Pledge, PledgeStatus
from tracker.drives.privacy import commit_without_waiting_for_the_disk
from tracker.extensions import db


def add_pledges(drive, count: int, start: int = 0) -> None:
    """`count` logged pledges (every other one partly paid) and half as many public ones."""
    for number in range(start, start + count):
        pledge = make_pledge(drive, amount=str(1000 + number), name=f"Pledger {number:03d}",
                             pledged_on=date(2026, 3, 1 + number % 28))
        if number % 2:
            make_payment(pledge, "100")
        if number % 2 == 0:
            public_pledge(drive, name=f"Public {number:03d}",
                          contact_email=f"public{number}@example.org")


def drive_page_seen(client, pledges: int):
    """A live drive with `pledges` logged pledges (add_pledges), its staff page opened once by
    a signed-in coordinator, and the session's objects expired: what the next view reads."""
    world = make_world()
    drive = make_drive(world)
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    add_pledges(drive, pledges)
    client.get(f"/drives/{drive.slug}")
    db.session.expire_all()
    return drive


def statements_of(client, path: str) -> tuple[int, str]:
    """How many statements a GET of the path sends (the test's savepoints aside), and the page.

    Counted on the second of two requests: the first fills the per-process caches (the
    audit trail's actor labels)."""
    client.get(path)
    db.session.expire_all()
    statements, page = statements_of_get(client, path)
    # The History names its pledges from those the page listed when it holds them all,
    # else with one statement: that one depends on which pledges are newest, not on how many.
    naming = [s for s in statements if s.startswith("SELECT pledge.id, pledge.status, ")]
    assert len(naming) <= 1
    return len(statements) - len(naming), page


def test_the_staff_drive_page_costs_the_same_statements_at_few_and_many_pledges(app, client):
    world = make_world()
    drive = make_drive(world)
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    add_pledges(drive, 4)
    few, page = statements_of(client, f"/drives/{drive.slug}")
    assert "public0@example.org" in page  # contacts shown: the page notes it in the trail

    add_pledges(drive, 60, start=4)
    many, page = statements_of(client, f"/drives/{drive.slug}")

    assert "public0@example.org" in page
    assert many == few
    views = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.VIEW, AuditEvent.record_id == f"drive:{drive.id}")).all()
    assert len(views) == 4  # one a request that showed contacts


def test_the_staff_drive_page_lists_pledges_25_at_a_time_with_their_count(app, client):
    world = make_world()
    drive = make_drive(world)
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    for number in range(30):
        make_pledge(drive, amount=str(1000 + number), name=f"Pledger {number:03d}",
                    pledged_on=date(2026, 3, 1 + number % 28))

    first = client.get(f"/drives/{drive.slug}")
    second = client.get(f"/drives/{drive.slug}?page=2")

    rows = first.text.split('id="pledges-table"', 1)[1].split("</table>", 1)[0]
    assert rows.count('<tr id="pledge-') == 25
    assert 'aria-label="Pages of pledges"' in first.text
    rest = second.text.split('id="pledges-table"', 1)[1].split("</table>", 1)[0]
    assert rest.count('<tr id="pledge-') == 5
    fold = first.text.split('id="pledges-fold"', 1)[1].split('id="pledges"', 1)[0]
    assert '<span class="fold-count">(30)</span>' in fold


def test_the_drive_page_names_its_organiser_without_a_statement_of_its_own(app, client):
    world = make_world()
    drive = make_drive(world)
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    client.get(f"/drives/{drive.slug}")
    db.session.expire_all()
    statements, page = statements_of_get(client, f"/drives/{drive.slug}")

    assert drive.organiser.name in page
    # Read with the drive (a join), not loaded by its key on first use.
    assert not [s for s in statements if s.startswith("SELECT organization.")
                and "WHERE organization.id = " in s]


def test_the_drive_page_looks_for_missing_rates_only_when_its_totals_leave_some_out(app, client):
    world = make_world()
    drive = make_drive(world)
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    add_pledges(drive, 4)
    statements, page = statements_of_get(client, f"/drives/{drive.slug}")

    assert 'id="missing-rates"' not in page
    assert not [s for s in statements if "drive_amount_minor IS NULL" in s]


def history_statements(statements: list[str]) -> list[str]:
    """The statements that read the drive's History (not the chain's head, not erasures)."""
    return [s for s in statements if "FROM audit_event" in s and "DISTINCT" not in s
            and not s.startswith("INSERT") and "ORDER BY audit_event.id DESC" not in s]


def test_the_drive_page_reads_its_history_with_its_capped_count_in_one_statement(app, client):
    """Folded, the History is not read at all; opened (its part) or paged, in one statement."""
    drive = drive_page_seen(client, 8)

    folded, _page = statements_of_get(client, f"/drives/{drive.slug}")
    opened, _part = statements_of_get(client, f"/drives/{drive.slug}?part=history")
    paged, _page = statements_of_get(client, f"/drives/{drive.slug}?history_page=1")

    assert history_statements(folded) == []
    assert len(history_statements(opened)) == 1
    assert len(history_statements(paged)) == 1


def test_the_drive_page_names_in_its_history_the_records_it_already_read(app, client):
    """The History names the drive, its campaign and its organiser: the page read them with
    the drive, and reads none of them again."""
    drive = drive_page_seen(client, 4)

    statements, page = statements_of_get(client, f"/drives/{drive.slug}?history_page=1")

    assert drive.title in page.split('id="history"')[1]
    assert len([s for s in statements if s.startswith("SELECT drive.")]) == 1
    assert not [s for s in statements if "FROM campaign WHERE campaign.id IN" in s]
    assert not [s for s in statements if "FROM organization WHERE organization.id IN" in s]


def test_the_drive_page_reads_those_awaiting_with_their_count_in_one_statement(app, client):
    world = make_world()
    drive = make_drive(world)
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    for number in range(3):
        make_pledge(drive, amount=str(1000 + number), name=f"Pledger {number}")
    client.get(f"/drives/{drive.slug}")
    db.session.expire_all()

    statements, page = statements_of_get(client, f"/drives/{drive.slug}")

    assert 'id="awaiting"' not in page
    assert len([s for s in statements if "ORDER BY pledge.created_at" in s]) == 1
    add_pledges(drive, 6, start=3)  # three of them from the public page
    db.session.expire_all()

    statements, page = statements_of_get(client, f"/drives/{drive.slug}")

    assert 'id="awaiting"' in page
    assert page.count('<tr id="awaiting-') == 3
    assert len([s for s in statements if "ORDER BY pledge.created_at" in s]) == 1


def test_every_pledge_row_links_where_url_for_does(app, client):
    """The rows' links are built once a table (url_for costs about 20 µs a call, and the page
    links each of 50 rows up to three times): each is still the pledge's own address."""
    from flask import url_for

    world = make_world()
    drive = make_drive(world)
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    add_pledges(drive, 4)

    page = client.get(f"/drives/{drive.slug}").text

    pledges = db.session.scalars(select(Pledge).where(Pledge.drive_id == drive.id)).all()
    with app.test_request_context():
        for pledge in pledges:
            link = url_for("drives.pledge", slug=drive.slug, pledge_id=pledge.id)
            assert f'href="{link}"' in page
            if pledge.status.value == "unconfirmed":
                for endpoint in ("drives.confirm_pledge", "drives.reject_pledge"):
                    action = url_for(endpoint, slug=drive.slug, pledge_id=pledge.id)
                    assert f'action="{action}"' in page


def pledge_reads(statements: list[str]) -> list[str]:
    """The statements that read a page of the drive's pledges (not the History's names)."""
    return [s for s in statements if s.startswith("SELECT") and "pledge.drive_id = " in s
            and not s.startswith("SELECT pledge.id, pledge.status, ")]


def test_the_drive_page_reads_both_its_lists_of_pledges_in_one_statement(app, client):
    """The page of pledges and the page of those awaiting confirmation (with their count)
    come back in one round trip, each in its own order."""
    drive = drive_page_seen(client, 60)  # 30 waiting: two pages of each list

    statements, page = statements_of_get(client, f"/drives/{drive.slug}")
    later, second = statements_of_get(client, f"/drives/{drive.slug}?page=2&awaiting_page=2")

    assert len(pledge_reads(statements)) == 1
    assert len(pledge_reads(later)) == 1
    listed = db.session.scalars(select(Pledge).where(
        Pledge.drive_id == drive.id, Pledge.status != PledgeStatus.UNCONFIRMED)
        .order_by(Pledge.pledged_on.desc(), Pledge.id.desc())).all()
    waiting = db.session.scalars(select(Pledge).where(
        Pledge.drive_id == drive.id, Pledge.status == PledgeStatus.UNCONFIRMED)
        .order_by(Pledge.created_at, Pledge.id)).all()
    for shown, first in ((page, 0), (second, 25)):
        rows = shown.split('id="pledges-table"', 1)[1].split("</table>", 1)[0]
        assert rows.count('<tr id="pledge-') == len(listed[first:first + 25])
        assert [int(part.split('"', 1)[0]) for part in rows.split('<tr id="pledge-')[1:]] == [
            pledge.id for pledge in listed[first:first + 25]]
        awaiting = shown.split('id="awaiting-table"', 1)[1].split("</table>", 1)[0]
        assert [int(part.split('"', 1)[0]) for part in awaiting.split('<tr id="awaiting-')[1:]
                ] == [pledge.id for pledge in waiting[first:first + 25]]
        fold = shown.split('id="awaiting-fold"', 1)[1].split('id="awaiting"', 1)[0]
        assert '<span class="fold-count">(30)</span>' in fold


def test_the_drive_page_costs_five_statements_with_contacts_shown(app, client):
    """The session, the drive with its totals, both lists of pledges, the History with its
    count and the note of the contacts shown (in a test, the chain's lock and head are
    already held by the test's transaction); on PostgreSQL, one more lets that note's commit
    return without waiting for the disk."""
    drive = drive_page_seen(client, 12)

    statements, page = statements_of_get(client, f"/drives/{drive.slug}")

    assert "public0@example.org" in page
    unflushed = [s for s in statements if "set_config('synchronous_commit'" in s]
    assert len(unflushed) == (1 if db.engine.dialect.name == "postgresql" else 0)
    counted = [s for s in statements if s not in unflushed
               and not s.startswith("SELECT pledge.id, pledge.status, ")]
    assert len(counted) <= 5


def test_a_note_of_contacts_alone_commits_without_waiting_for_the_disk(app):
    """Only a transaction that wrote nothing before the note stops waiting for the disk at
    its commit: a change noted in the same transaction is never made less durable."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's commits are the connection's setting, not the transaction's")
    engine = create_engine(db.engine.url)
    try:
        with Session(engine) as session:
            commit_without_waiting_for_the_disk(session)
            assert session.scalar(text("SELECT current_setting('synchronous_commit')")) == "off"
            session.rollback()
            session.execute(text("SELECT pg_current_xact_id()"))  # as a write would
            commit_without_waiting_for_the_disk(session)
            assert session.scalar(text("SELECT current_setting('synchronous_commit')")) == "on"
            session.rollback()
    finally:
        engine.dispose()


def test_a_pledge_page_reads_nothing_again_after_noting_the_contacts_it_shows(app, client):
    """The pledge page notes the look before it renders: its commit keeps what the request
    read (the note is all it commits), where expiring it read the pledge, its drive, the
    campaign, the reader and the History again (five statements)."""
    world = make_world()
    drive = make_drive(world)
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    pledge = public_pledge(drive, name="Asel", contact_email="asel@example.org")
    client.get(f"/drives/{drive.slug}/pledges/{pledge.id}")
    db.session.expire_all()

    statements, page = statements_of_get(client, f"/drives/{drive.slug}/pledges/{pledge.id}")

    assert "asel@example.org" in page
    noted = next(at for at, s in enumerate(statements) if s.startswith("INSERT INTO audit_event"))
    after = statements[noted + 1:]
    assert not [s for s in after if s.startswith(("SELECT drive.", "SELECT pledge.",
                                                  "SELECT campaign.", "SELECT user_account.",
                                                  "SELECT audit_event."))]


def test_the_drive_page_names_the_amounts_left_out_in_one_statement(app, client):
    """Pledges and payments lacking a rate are read together, their ids and dates only."""
    world = make_world()
    drive = make_drive(world)
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    pledge = make_pledge(drive, amount="100", currency="USD", pledged_on=date(2026, 3, 10))
    make_payment(pledge, "40")
    client.get(f"/drives/{drive.slug}")
    db.session.expire_all()

    statements, page = statements_of_get(client, f"/drives/{drive.slug}")

    assert 'id="missing-rates"' in page
    assert page.count("No exchange rate from USD to RUB") == 2
    assert len([s for s in statements if "drive_amount_minor IS NULL" in s]) == 1


def synchronous(raw) -> int:
    """The SQLite connection's synchronous setting: 1 NORMAL, 2 FULL."""
    return raw.execute("PRAGMA synchronous").fetchone()[0]


def test_a_note_of_contacts_alone_commits_without_waiting_for_the_disk_on_sqlite(app):
    """SQLite: a transaction whose only write is the note commits with synchronous=NORMAL
    (WAL: an OS crash may lose it, never corrupt the file), and its connection is back to
    FULL once returned to the pool, after a commit or a rollback; a transaction that wrote
    anything before the note keeps FULL."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's is the transaction's setting (the test above)")
    engine = create_engine(db.engine.url, pool_size=1, max_overflow=0)
    try:
        for end in ("commit", "rollback"):
            with Session(engine) as session:
                raw = session.connection().connection.driver_connection
                session.execute(text("SELECT 1"))  # reads open no transaction
                commit_without_waiting_for_the_disk(session)
                assert synchronous(raw) == 1
                getattr(session, end)()
            assert synchronous(raw) == 2
        with Session(engine) as session:
            raw = session.connection().connection.driver_connection
            session.execute(text("UPDATE audit_event SET id = id WHERE 0"))  # a write first
            commit_without_waiting_for_the_disk(session)
            assert synchronous(raw) == 2
            session.rollback()
        with Session(engine) as session:
            raw = session.connection().connection.driver_connection
            session.execute(text("SELECT 1"))
            session.add(AuditEvent())  # a change not yet flushed: never NORMAL
            commit_without_waiting_for_the_disk(session)
            assert synchronous(raw) == 2
            session.rollback()
    finally:
        engine.dispose()


def test_the_drive_page_reads_its_pledges_as_the_columns_its_rows_show(app, client):
    """Both lists come back as the columns their rows show and key on, not as 50 whole
    pledges loaded through the ORM (1.6 to 2.4 ms of the big drive's page)."""
    from sqlalchemy import event

    drive = drive_page_seen(client, 12)
    loaded: list[Pledge] = []

    def count(target, _context) -> None:
        loaded.append(target)

    event.listen(Pledge, "load", count)
    try:
        statements, page = statements_of_get(client, f"/drives/{drive.slug}")
    finally:
        event.remove(Pledge, "load", count)

    assert "public0@example.org" in page and "Pledger 011" in page
    assert loaded == []
    (read,) = pledge_reads(statements)
    assert "note" not in read and "external_reference" not in read


def test_a_connection_that_cannot_be_set_back_to_full_is_never_pooled_again(app):
    """Should FULL fail to be set again, the connection is closed, never reused with NORMAL."""
    import sqlite3

    from sqlalchemy.pool import QueuePool

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's setting only")

    class Failing(sqlite3.Connection):
        def execute(self, sql, *args):
            if sql == "PRAGMA synchronous = FULL":
                raise sqlite3.OperationalError("disk I/O error")
            return super().execute(sql, *args)

    path = db.engine.url.database
    engine = create_engine("sqlite://", poolclass=QueuePool, pool_size=1, max_overflow=0,
                           creator=lambda: sqlite3.connect(path, factory=Failing))
    try:
        with Session(engine) as session:
            first = session.connection().connection.driver_connection
            session.execute(text("SELECT 1"))
            commit_without_waiting_for_the_disk(session)
            assert synchronous(first) == 1
            session.rollback()
        with Session(engine) as session:
            raw = session.connection().connection.driver_connection
            assert raw is not first
            assert synchronous(raw) == 2
    finally:
        engine.dispose()
