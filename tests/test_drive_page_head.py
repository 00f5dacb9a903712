"""The staff drive page keeps its top part (tracker/drives/views/head.py, issue 15): a kept
head must never show a title, a status, a figure, a campaign's or an organiser's name, a
right, an error or a token that has changed since, however the change was written, in
either language."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import text

from tests.auth_support import login, make_user
from tests.drive_support import make_payment, make_pledge, page_text
from tests.fragments_support import rendered_templates
from tests.pages import switch_to_russian
from tests.test_dashboard_rows import switch_to_english
from tracker.auth.models import Role
from tracker.drives.views.head import HEAD_TEMPLATE
from tracker.extensions import db


@pytest.fixture
def coordinator(client):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    return client


def head_of(page: str) -> str:
    """The page's top part: from the breadcrumb to the first folded list."""
    return page.split('<ol class="breadcrumb">', 1)[1].split('<details class="fold', 1)[0]


def head_text(client, drive) -> str:
    return page_text(head_of(client.get(f"/drives/{drive.slug}").text))


def execute(statement: str, **values) -> None:
    db.session.execute(text(statement), values)
    db.session.commit()


def test_an_unchanged_head_is_rendered_once(app, coordinator, drive):
    make_pledge(drive, amount="1000", name="Anna Petrova")
    first = coordinator.get(f"/drives/{drive.slug}").text
    with rendered_templates(app) as rendered:
        again = coordinator.get(f"/drives/{drive.slug}").text
    assert HEAD_TEMPLATE not in rendered
    assert head_of(again) == head_of(first)


def test_a_changed_drive_campaign_or_organiser_shows_at_once(coordinator, drive):
    assert "Invite the XRF team" in head_text(coordinator, drive)
    # A bare UPDATE leaves any version as it was: the key holds the columns themselves.
    execute("UPDATE drive SET title_en = 'Bring the XRF team', purpose_en = 'Soil tests'"
            " WHERE id = :id", id=drive.id)
    shown = head_text(coordinator, drive)
    assert "Bring the XRF team" in shown and "Soil tests" in shown
    execute("UPDATE campaign SET title_en = 'Lead-free Urals' WHERE id = :id",
            id=drive.campaign_id)
    assert "Lead-free Urals" in head_text(coordinator, drive)
    execute("UPDATE organization SET name_en = 'For Nature Urals' WHERE id = :id",
            id=drive.organiser_org_id)
    assert "For Nature Urals" in head_text(coordinator, drive)
    execute("UPDATE drive SET status = 'closed' WHERE id = :id", id=drive.id)
    assert "Closed" in head_text(coordinator, drive)


def test_a_pledge_or_payment_moves_the_progress_at_once(coordinator, drive):
    before = head_text(coordinator, drive)
    pledge = make_pledge(drive, amount="100000", name="Anna Petrova")
    pledged = head_text(coordinator, drive)
    assert pledged != before and "100,000" in pledged
    make_payment(pledge, "40000")
    paid = head_text(coordinator, drive)
    assert paid != pledged and "40,000" in paid


def test_each_reader_sees_their_own_rights_and_token(app, coordinator, drive):
    page = coordinator.get(f"/drives/{drive.slug}").text
    assert "Edit drive" in head_of(page) and 'id="status-moves"' in head_of(page)
    viewer = app.test_client()
    login(viewer, make_user(Role.VIEWER, email="viewer@example.org"))
    other = viewer.get(f"/drives/{drive.slug}").text
    assert "Edit drive" not in head_of(other) and 'id="status-moves"' not in head_of(other)
    tokens = re.findall(r'name="csrf_token" value="([^"]+)"', head_of(page))
    again = re.findall(r'name="csrf_token" value="([^"]+)"',
                       head_of(coordinator.get(f"/drives/{drive.slug}").text))
    assert tokens and set(again) == set(tokens[:1])  # this session's token, filled in
    response = coordinator.post(f"/drives/{drive.slug}/status",
                                data={"csrf_token": again[0], "to": "closed"})
    assert response.status_code == 302  # the kept form's token is this session's


def test_an_error_shows_once_and_the_language_follows_the_reader(coordinator, drive):
    refused = coordinator.post(f"/drives/{drive.slug}/status", data={"to": "nowhere"})
    assert refused.status_code == 422 and 'id="drive-error"' in head_of(refused.text)
    assert 'id="drive-error"' not in head_of(coordinator.get(f"/drives/{drive.slug}").text)
    switch_to_russian(coordinator)
    assert "Пригласить в Челябинск" in head_text(coordinator, drive)
    switch_to_english(coordinator)
    assert "Invite the XRF team" in head_text(coordinator, drive)


def test_the_amounts_left_out_for_want_of_a_rate_are_kept_and_shown_as_they_change(
        app, coordinator, drive):
    pledge = make_pledge(drive, amount="100", currency="USD", pledged_on=date(2026, 3, 10))
    first = coordinator.get(f"/drives/{drive.slug}").text
    assert "No exchange rate from USD to RUB on or before 2026-03-10." in page_text(first)
    with rendered_templates(app) as rendered:
        again = coordinator.get(f"/drives/{drive.slug}").text
    assert HEAD_TEMPLATE not in rendered and head_of(again) == head_of(first)
    # A bare UPDATE of the date, then the currency: the message follows each.
    execute("UPDATE pledge SET pledged_on = '2026-03-12' WHERE id = :id", id=pledge.id)
    assert "on or before 2026-03-12." in head_text(coordinator, drive)
    execute("UPDATE pledge SET currency = 'EUR' WHERE id = :id", id=pledge.id)
    assert "No exchange rate from EUR to RUB on or before 2026-03-12." in head_text(
        coordinator, drive)
    make_pledge(drive, amount="50", currency="USD", pledged_on=date(2026, 3, 20))
    assert "No exchange rate from USD to RUB on or before 2026-03-20." in head_text(
        coordinator, drive)
