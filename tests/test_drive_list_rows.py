"""The drives list keeps each rendered row (tracker/drives/views/list_rows.py, issue 15): a
kept row must never show a title, an organiser, a campaign, a status, a figure or a count of
days that has changed since, however the change was written, in either language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.auth_support import login, make_user
from tests.drive_support import make_payment, make_pledge, page_text
from tests.fragments_support import rendered_templates
from tests.pages import switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.drives.views.list_rows import ROW_TEMPLATE, kept_rows
from tracker.extensions import db


@pytest.fixture
def coordinator(client):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    return client


def row_text(client, slug: str) -> str:
    """The visible text of the drive's row in the list."""
    page = client.get("/drives/").text
    found = re.search(rf'<tr>\s*<td>\s*<a href="/drives/{slug}">.*?</tr>', page, re.S)
    assert found, f"no row for {slug}"
    return page_text(found.group(0))


def execute(statement: str, **values) -> None:
    db.session.execute(text(statement), values)
    db.session.commit()


def test_a_renamed_drive_organiser_and_campaign_show_at_once_in_either_language(
        coordinator, drive, world):
    shown = row_text(coordinator, drive.slug)
    assert "Invite the XRF team" in shown and "For Nature" in shown
    assert "Water and air quality" in shown
    execute("UPDATE drive SET title_en = 'XRF week', title_ru = 'Неделя РФА' WHERE id = :id",
            id=drive.id)
    execute("UPDATE organization SET name_en = 'For Nature Ural', name_ru = 'За природу Урал'"
            " WHERE id = :id", id=world.organiser.id)
    execute("UPDATE campaign SET title_en = 'Clean water', title_ru = 'Чистая вода'"
            " WHERE id = :id", id=world.campaign.id)
    shown = row_text(coordinator, drive.slug)
    assert "XRF week" in shown and "For Nature Ural" in shown and "Clean water" in shown
    switch_to_russian(coordinator)
    shown = row_text(coordinator, drive.slug)
    assert "Неделя РФА" in shown and "За природу Урал" in shown and "Чистая вода" in shown
    switch_to_english(coordinator)


def test_figures_a_status_and_the_days_left_show_at_once(coordinator, drive):
    assert "RUB 350,000.00" in row_text(coordinator, drive.slug)
    pledge = make_pledge(drive, amount="1000")
    shown = row_text(coordinator, drive.slug)
    assert "RUB 1,000.00" in shown and shown.endswith("RUB 350,000.00 1")  # one supporter
    make_payment(pledge, "400")
    shown = row_text(coordinator, drive.slug)
    assert "RUB 400.00" in shown and "RUB 600.00" in shown
    execute("UPDATE drive_totals SET received_minor = 90000 WHERE drive_id = :id", id=drive.id)
    assert "RUB 900.00" in row_text(coordinator, drive.slug)
    execute("UPDATE drive SET goal_minor = 50000000, status = 'funded', is_public = false"
            " WHERE id = :id", id=drive.id)
    shown = row_text(coordinator, drive.slug)
    assert "RUB 500,000.00" in shown and "Funded" in shown and "Public" not in shown
    assert "No end date" in shown
    today = utcnow().date()
    execute("UPDATE drive SET ends_on = :day WHERE id = :id", day=today + timedelta(days=3),
            id=drive.id)
    assert "3 days left" in row_text(coordinator, drive.slug)
    switch_to_russian(coordinator)
    shown = row_text(coordinator, drive.slug)
    assert "500 000,00 ₽" in shown and "Осталось 3 дня" in shown
    switch_to_english(coordinator)


def test_the_days_left_follow_the_date(coordinator, drive, monkeypatch):
    from tracker.drives import inputs

    execute("UPDATE drive SET ends_on = :day WHERE id = :id", day=date(2030, 1, 10),
            id=drive.id)
    monkeypatch.setattr(inputs, "utcnow", lambda: datetime(2030, 1, 7, 12, tzinfo=UTC))
    assert "3 days left" in row_text(coordinator, drive.slug)
    monkeypatch.setattr(inputs, "utcnow", lambda: datetime(2030, 1, 8, 12, tzinfo=UTC))
    assert "2 days left" in row_text(coordinator, drive.slug)


def test_an_unchanged_row_is_rendered_once(coordinator, app, drive):
    with app.app_context():
        kept_rows().clear()  # as a new process: another test may have shown this row
    with rendered_templates(app) as rendered:
        coordinator.get("/drives/")
        coordinator.get("/drives/")
    assert rendered.count(ROW_TEMPLATE) == 1
    assert rendered.count("drives/index.html") == 2


def test_the_list_reads_only_the_columns_it_shows(coordinator, drive):
    """A drive's texts, payment instructions and contacts are not read for the list."""
    statements = statements_of_get(coordinator, "/drives/")[0]
    assert any("FROM drive" in statement for statement in statements)
    assert not any("purpose_en" in statement or "contact_email" in statement
                   for statement in statements)


def test_the_campaign_filter_shows_a_renamed_campaign_at_once(coordinator, drive, world):
    def options(html: str) -> list[tuple[str, str]]:
        select = html[html.index('id="filter-campaign"'):]
        return re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>',
                          select[:select.index("</select>")])

    campaign = str(world.campaign.id)
    assert (campaign, "", "Water and air quality") in options(coordinator.get("/drives/").text)
    execute("UPDATE campaign SET title_en = 'Clean water', title_ru = 'Чистая вода'"
            " WHERE id = :id", id=world.campaign.id)
    html = coordinator.get(f"/drives/?campaign={campaign}").text
    assert options(html) == [(campaign, " selected", "Clean water")]
    switch_to_russian(coordinator)
    assert options(coordinator.get("/drives/").text) == [(campaign, "", "Чистая вода")]
    switch_to_english(coordinator)
