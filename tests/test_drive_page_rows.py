"""The staff drive page keeps each pledge row and each awaiting row it renders
(tracker/drives/views/rows.py, issue 15): a kept row must never show a name, a status, an
amount, a payment or a contact that has changed since, however the change was written, in
either language, nor contacts to a reader who may not see them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.auth_support import login, make_user
from tests.drive_support import make_payment, make_pledge, page_text, public_pledge
from tests.fragments_support import rendered_templates
from tests.pages import switch_to_russian
from tests.test_dashboard_rows import switch_to_english
from tracker.auth.models import Role
from tracker.drives import services
from tracker.drives.views.rows import (
    AWAITING_TEMPLATE,
    PLEDGE_TEMPLATE,
    kept_awaiting_rows,
    kept_pledge_rows,
)
from tracker.extensions import db


@pytest.fixture
def coordinator(client):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    return client


def row_text(client, drive, row_id: str) -> str:
    """The visible text of the row with this id on the staff drive page."""
    page = client.get(f"/drives/{drive.slug}").text
    found = re.search(rf'<tr id="{row_id}">.*?</tr>', page, re.S)
    assert found, f"no row {row_id}"
    return page_text(found.group(0))


def execute(statement: str, **values) -> None:
    db.session.execute(text(statement), values)
    db.session.commit()


def test_a_pledge_edited_paid_and_made_anonymous_shows_at_once(coordinator, drive):
    pledge = make_pledge(drive, amount="1000", name="Anna Petrova")
    row = f"pledge-{pledge.id}"
    assert "Anna Petrova" in row_text(coordinator, drive, row)
    assert "1,000.00" in row_text(coordinator, drive, row)
    # A bare UPDATE leaves the version as it was: the key holds the columns themselves.
    execute("UPDATE pledge SET pledger_name = 'Anna Sidorova', amount_minor = 250000,"
            " drive_amount_minor = 250000 WHERE id = :id", id=pledge.id)
    shown = row_text(coordinator, drive, row)
    assert "Anna Sidorova" in shown and "2,500.00" in shown and "1,000.00" not in shown
    make_payment(db.session.get(type(pledge), pledge.id), "300")
    shown = row_text(coordinator, drive, row)
    assert "300.00" in shown and "Partly paid" in shown
    execute("UPDATE pledge SET is_anonymous = true WHERE id = :id", id=pledge.id)
    assert "Anonymous on the public page" in row_text(coordinator, drive, row)
    switch_to_russian(coordinator)
    shown = row_text(coordinator, drive, row)
    assert "Anna Sidorova" in shown and "Anonymous" not in shown and "2 500,00" in shown
    switch_to_english(coordinator)


def test_a_confirmed_or_rejected_pledge_and_a_changed_contact_show_at_once(coordinator, drive):
    kept_pledge = public_pledge(drive, name="Oleg Ivanov", contact_email="oleg@example.org")
    spam = public_pledge(drive, name="Spam Bot", contact_email="spam@example.org")
    assert "oleg@example.org" in row_text(coordinator, drive, f"awaiting-{kept_pledge.id}")
    execute("UPDATE pledge SET contact_email = 'oleg.i@example.org', message = 'Good luck'"
            " WHERE id = :id", id=kept_pledge.id)
    shown = row_text(coordinator, drive, f"awaiting-{kept_pledge.id}")
    assert "oleg.i@example.org" in shown and "Good luck" in shown
    services.confirm_pledge(kept_pledge)
    services.reject_pledge(spam, "Spam")
    db.session.commit()
    page = coordinator.get(f"/drives/{drive.slug}").text
    assert f'id="awaiting-{kept_pledge.id}"' not in page
    assert "Pledged" in row_text(coordinator, drive, f"pledge-{kept_pledge.id}")
    assert "Rejected" in row_text(coordinator, drive, f"pledge-{spam.id}")


def test_a_reader_without_contact_rights_sees_no_contacts_after_one_with_them(
        client, coordinator, drive, world):
    waiting = public_pledge(drive, name="Oleg Ivanov", contact_email="oleg@example.org",
                            is_anonymous=True)
    logged = make_pledge(drive, name="Irina Smirnova", is_anonymous=True)
    assert "oleg@example.org" in coordinator.get(f"/drives/{drive.slug}").text
    assert "Oleg Ivanov" in row_text(coordinator, drive, f"awaiting-{waiting.id}")
    assert "Irina Smirnova" in row_text(coordinator, drive, f"pledge-{logged.id}")
    viewer = make_user(Role.VIEWER, email="viewer@example.org")
    login(client, viewer)
    page = client.get(f"/drives/{drive.slug}").text
    assert "oleg@example.org" not in page
    above_history = page_text(page.split('id="history"')[0])
    assert "Oleg Ivanov" not in above_history and "Irina Smirnova" not in above_history


def test_the_awaiting_rows_forms_carry_this_requests_token(coordinator, drive):
    waiting = public_pledge(drive)
    coordinator.get(f"/drives/{drive.slug}")
    page = coordinator.get(f"/drives/{drive.slug}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    row = re.search(rf'<tr id="awaiting-{waiting.id}">.*?</tr>', page, re.S).group(0)
    assert row.count(f'value="{token}"') == 2


def test_an_unchanged_row_is_rendered_once(coordinator, app, drive):
    make_pledge(drive)
    public_pledge(drive)
    with app.app_context():
        kept_pledge_rows().clear()  # as a new process: another test may have shown these rows
        kept_awaiting_rows().clear()
    with rendered_templates(app) as rendered:
        coordinator.get(f"/drives/{drive.slug}")
        coordinator.get(f"/drives/{drive.slug}")
    assert rendered.count(PLEDGE_TEMPLATE) == 1
    assert rendered.count(AWAITING_TEMPLATE) == 1
    assert rendered.count("drives/show.html") == 2
