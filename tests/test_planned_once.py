"""The reads run on every view of the busiest pages keep their app's own values (statuses,
limits, version names, today's date) in their SQL, so that PostgreSQL keeps one plan for
each on a connection instead of planning it at every request (issue 15): with a status list
or a LIMIT as parameters it kept choosing a custom plan, 2.7 ms of planning for the
dashboard's key read and 0.5 ms for the public page's, on each view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from tests.auth_support import login, make_user
from tests.drive_support import DRIVE_SLUG, make_pledge
from tests.test_bench_http import post_filled
from tracker.auth.models import Role
from tracker.extensions import db


@contextmanager
def statements_with_parameters() -> Iterator[list[tuple[str, Any]]]:
    """Each statement run inside the block, with the parameters sent beside it."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((" ".join(statement.split()), parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture(autouse=True)
def postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("only PostgreSQL keeps a statement's plan; SQLite plans each, cheaply")


def parameters_of(client, path: str, starts: str) -> Any:
    """The parameters of the one statement of a GET of the path that starts so."""
    with statements_with_parameters() as seen:
        assert client.get(path).status_code == 200
    found = [parameters for statement, parameters in seen if statement.startswith(starts)]
    assert len(found) == 1, [statement[:80] for statement, _ in seen]
    return found[0]


def test_the_public_pages_state_is_read_with_the_slug_as_its_only_parameter(client, drive):
    make_pledge(drive, amount="100", name="Supporter")
    db.session.commit()
    client.get(f"/d/{DRIVE_SLUG}")

    parameters = parameters_of(client, f"/d/{DRIVE_SLUG}", "SELECT drive.is_public")

    assert list(parameters.values() if isinstance(parameters, dict) else parameters) \
        == [DRIVE_SLUG]


def test_the_dashboards_key_read_sends_no_parameter(client, drive):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    make_pledge(drive, amount="100", name="Supporter")
    db.session.commit()
    client.get("/")

    parameters = parameters_of(client, "/", "SELECT 0 AS part")

    assert not parameters
    assert "Supporter" in client.get("/").text  # the recent pledges it keys, shown


def test_the_drives_list_is_read_with_its_filters_as_its_only_parameters(client, drive):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    path = f"/drives/?campaign={drive.campaign_id}&page=1"
    client.get(path)

    parameters = parameters_of(client, path, "SELECT drive.id, drive.slug")

    assert list(parameters.values()) == [drive.campaign_id]


def test_a_pledges_rate_look_up_sends_only_its_dates(as_lead, drive):
    with statements_with_parameters() as seen:
        answer = post_filled(as_lead, f"/drives/{DRIVE_SLUG}/pledges/new", has_field="amount",
                             pledger_name="Writer", amount="25.00", currency="EUR")
    assert answer.status_code == 302

    look_ups = [parameters for statement, parameters in seen
                if statement.startswith("SELECT anon_1.base, anon_1.quote")]
    assert look_ups
    for parameters in look_ups:
        assert {type(value) for value in parameters.values()} == {date}
