"""The campaign page's body is kept whole (tracker/campaigns/views/page.py, issue 15): a kept
body must never show a figure, a name, a line or a button that has changed since, however the
change was written. Each test shows the page, changes what it shows, and reads it again."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_payment, make_pledge, page_text
from tests.factories import make_line, make_target
from tests.pages import switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tests.test_kept_public_page import edit_drive
from tracker.auth.models import Role
from tracker.extensions import db


@pytest.fixture
def page(client, world):
    """The coordinator's view of the world's campaign, with a target and a drive."""
    make_line(make_target(world.campaign, currency="RUB"), quantity="1", unit_cost="100000")
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    return f"/campaigns/{world.campaign.slug}"


def figure(html: str, name: str) -> str:
    section = html.split('id="funding"', 1)[1]
    found = re.search(rf'data-figure="{name}">(.*?)</dd>', section, re.S)
    assert found, f"no figure {name}"
    return page_text(found.group(1))


def drives_section(html: str) -> str:
    return page_text(html.split('id="drives"', 1)[1].split("</details>", 1)[0])


def statements_of(client, path: str) -> list[str]:
    """The statements one request runs."""
    return statements_of_get(client, path)[0]


def test_a_kept_body_costs_the_same_statements_at_5_and_60_pledges(client, world, page):
    drive = make_drive(world)
    for _ in range(5):
        make_pledge(drive, amount="100")
    client.get(page)
    few = statements_of(client, page)
    for _ in range(55):
        make_pledge(drive, amount="100")
    rendered = statements_of(client, page)
    many = statements_of(client, page)
    assert len(many) == len(few) < len(rendered)
    # Kept: no roll-up, target or drive is loaded as an object, only the key's raw columns.
    assert not [s for s in many if re.search(r"FROM (campaign_funding|drive_totals)\s+WHERE", s)]


def test_a_pledge_and_a_payment_show_at_once_in_either_language(client, world, page):
    drive = make_drive(world)
    assert figure(client.get(page).text, "pledged") == "RUB 0.00"
    pledge = make_pledge(drive, amount="5000")
    html = client.get(page).text
    assert figure(html, "pledged") == "RUB 5,000.00"
    assert "RUB 5,000.00 pledged" in drives_section(html)
    switch_to_russian(client)
    assert figure(client.get(page).text, "pledged") == "5 000,00 ₽"
    make_payment(pledge, "1200")
    html = client.get(page).text
    assert (figure(html, "received"), figure(html, "pledged")) == ("1 200,00 ₽", "3 800,00 ₽")
    switch_to_english(client)
    assert "RUB 1,200.00 received" in drives_section(client.get(page).text)


def test_a_roll_up_changed_by_a_bare_delta_shows_at_once(client, world, page):
    make_pledge(make_drive(world), amount="5000")
    client.get(page)
    db.session.execute(text("UPDATE campaign_funding SET received_minor = received_minor + 12345"
                            " WHERE campaign_id = :id"), {"id": world.campaign.id})
    db.session.commit()
    assert figure(client.get(page).text, "received") == "RUB 123.45"


def test_a_renamed_drive_and_an_edited_budget_line_show_at_once(client, world, page):
    drive = make_drive(world)
    assert "Invite the XRF team" in drives_section(client.get(page).text)
    edit_drive(drive, title_en="XRF team in Chelyabinsk, autumn")
    db.session.execute(text("UPDATE budget_line SET description_en = 'Charter flights'"))
    db.session.commit()
    html = client.get(page).text
    assert "XRF team in Chelyabinsk, autumn" in drives_section(html)
    assert "Charter flights" in page_text(html)


def test_a_reader_without_rights_sees_no_edit_buttons_after_a_coordinator(client, world, page):
    assert "Add a funding target" in client.get(page).text
    viewer = client.application.test_client()
    login(viewer, make_user(Role.VIEWER, email="viewer@example.org"))
    html = viewer.get(page).text
    assert "Add a funding target" not in html
    assert "Start a drive" not in html
    assert "Open budget" in html


def test_the_history_shows_its_newest_events_and_all_of_them_on_request(client, world, page):
    for number in range(7):
        make_target(world.campaign, currency="RUB", title_en=f"Year {number}",
                    title_ru=f"Год {number}")
    folded = client.get(page).text.split('id="history"', 1)[1]
    assert "audit-event" not in folded  # read only when opened (issue 15)
    assert 'data-history-part="' in client.get(page).text
    opened = client.get(f"{page}?part=history").text
    assert opened.count('class="border-start') == 5 and "<html" not in opened
    assert "Year 6" in opened and f'href="{page}?history_page=1#history"' in opened
    whole = client.get(f"{page}?history_page=1").text.split('id="history"', 1)[1]
    assert whole.count('class="border-start') > 5
