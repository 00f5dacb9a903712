"""A History line's details on their own page (issue 15): who may open it, with which rights.

A record's page lists each event in one line; the fields before and after are one plain
link away, on /audit/events/<id>. Readers of the whole trail open any event; others open
the events the record's page showed them, with the rights that page gave them.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.auth_support import client_as
from tests.drive_support import DRIVE_SLUG, make_pledge, page_text
from tests.history_support import details, details_links, details_of
from tests.pages import switch_to_russian
from tests.statements_support import statements_of_get
from tracker.audit import views as audit_views
from tracker.audit.hooks import UNREADABLE, record_event
from tracker.audit.models import AuditAction, AuditEvent
from tracker.auth.models import Role
from tracker.extensions import db

DRIVE = f"/drives/{DRIVE_SLUG}"
# The drive page's History, as its fold fetches it when opened (it is not read before).
HISTORY = f"{DRIVE}?part=history"
EMAIL = "anna@example.org"


def pledge_event_link(client, pledge) -> str:
    """The "Details" link of the pledge's creation, from its own page's History."""
    (link,) = details_links(client.get(f"{DRIVE}/pledges/{pledge.id}").text)
    return link


def test_the_drive_page_lists_lines_and_a_lead_opens_their_details(app, world, drive):
    """The campaign's lead sees the e-mail on the details page, not in the line."""
    pledge = make_pledge(drive, amount="5000", contact_email=EMAIL)
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])

    html = lead.get(HISTORY).text
    section = html[html.index('id="history"'):]

    assert "created the pledge “Anna Petrova · RUB 5,000.00”" in page_text(section)
    assert EMAIL not in section and "Amount: RUB" not in section
    shown = details(lead, html)
    assert f"Contact e-mail: {EMAIL}" in shown and "Amount: RUB 5,000.00" in shown
    assert pledge.id


def test_details_read_in_russian(app, world, drive):
    make_pledge(drive, amount="5000", contact_email=EMAIL)
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    switch_to_russian(lead)

    page = lead.get(details_links(lead.get(HISTORY).text)[0]).text

    assert "Подробности изменения" in page
    assert f"Контактный e-mail: {EMAIL}" in details_of(page)
    assert "Сумма: 5 000,00 ₽" in details_of(page)


def test_a_link_passed_to_someone_else_is_refused(app, world, drive):
    """The pass is the reader's: another user, even one who sees the drive, is refused."""
    pledge = make_pledge(drive, contact_email=EMAIL)
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    link = pledge_event_link(lead, pledge)
    other = client_as(app, Role.LEAD, campaigns=[world.campaign])

    answer = other.get(link)

    assert answer.status_code == 403
    assert EMAIL not in answer.text
    assert "You may not see the details of this change." in page_text(answer.text)


@pytest.mark.parametrize("taken_away", ["moved off the campaign", "made a viewer"])
def test_rights_taken_away_stop_a_pass_already_shown_at_once(app, world, drive, taken_away):
    """A lead moved off the campaign cannot open details through a link they kept."""
    pledge = make_pledge(drive, contact_email=EMAIL)
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    link = pledge_event_link(lead, pledge)
    assert lead.get(link).status_code == 200
    user_id = db.session.scalar(text(
        "SELECT user_id FROM membership ORDER BY id DESC LIMIT 1"))
    statement = {"moved off the campaign": "DELETE FROM membership WHERE user_id = :id",
                 "made a viewer": "UPDATE user_account SET role = 'viewer' WHERE id = :id"}
    db.session.execute(text(statement[taken_away]), {"id": user_id})
    db.session.commit()

    refused = lead.get(link)

    assert refused.status_code == 403
    assert EMAIL not in refused.text
    assert "You may not see the details of this change." in page_text(refused.text)


def test_a_readers_pass_reads_no_campaigns_led_unless_they_lead(app, world, drive):
    """A viewer's rights are their role and organisation: the page signing their pass does
    not load campaign memberships only to write down that they lead none."""
    make_pledge(drive, contact_email=EMAIL)
    viewer = client_as(app, Role.VIEWER)
    viewer.get(HISTORY)
    db.session.expire_all()

    statements, page = statements_of_get(viewer, HISTORY)

    assert not [s for s in statements if "FROM membership" in s]
    assert viewer.get(details_links(page)[0]).status_code == 200


@pytest.mark.parametrize("tamper", ["none", "garbled", "other event"])
def test_without_a_valid_pass_only_readers_of_the_trail_get_in(app, world, drive, tamper):
    first = make_pledge(drive, contact_email=EMAIL)
    second = make_pledge(drive, contact_email="b@example.org")
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    link = pledge_event_link(lead, first)
    event_id = int(re.search(r"/audit/events/(\d+)", link).group(1))
    other_id = db.session.scalar(db.select(AuditEvent.id).where(
        AuditEvent.record_type == "pledge", AuditEvent.record_id == str(second.id)))
    pass_ = link.split("h=", 1)[1]
    address = {"none": f"/audit/events/{event_id}",
               "garbled": f"/audit/events/{event_id}?h={pass_[:-3]}xyz",
               "other event": f"/audit/events/{other_id}?h={pass_}"}[tamper]

    refused = lead.get(address)

    assert refused.status_code == 403
    assert EMAIL not in refused.text and "b@example.org" not in refused.text
    coordinator = client_as(app, Role.COORDINATOR)
    opened = coordinator.get(address)
    assert opened.status_code == 200
    assert any("@example.org" in line for line in details_of(opened.text))
    assert coordinator.get("/audit/events/999999").status_code == 404
    assert app.test_client().get(address).status_code == 302  # to the login page


def test_an_expired_pass_says_so_in_both_languages(app, world, drive, monkeypatch):
    pledge = make_pledge(drive, contact_email=EMAIL)
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    link = pledge_event_link(lead, pledge)
    monkeypatch.setattr(audit_views, "PASS_MAX_AGE", -1)

    english = lead.get(link)
    switch_to_russian(lead)
    russian = lead.get(link)

    assert english.status_code == russian.status_code == 403
    assert "This link has expired: reload the page" in page_text(english.text)
    assert "Срок действия ссылки истёк" in page_text(russian.text)
    assert EMAIL not in english.text + russian.text


def test_a_reader_without_contact_rights_sees_them_hidden_on_the_details_page(
        app, world, drive):
    pledge = make_pledge(drive, contact_email=EMAIL, name="Anna Petrova")
    viewer = client_as(app, Role.VIEWER)

    page = viewer.get(pledge_event_link(viewer, pledge))

    assert page.status_code == 200
    assert "Contact e-mail: (hidden)" in details_of(page.text)
    assert EMAIL not in page.text and "Anna Petrova" not in page.text


def test_a_change_whose_values_could_not_be_recorded_says_so(app, world, drive):
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    record_event(db.session(), action=AuditAction.UPDATE, record_type="drive",
                 record_id=str(drive.id), changes={}, summary=UNREADABLE)
    db.session.commit()

    section = page_text(lead.get(f"{DRIVE}?history_page=1").text.split('id="history"')[1])

    assert "The values of this change could not be recorded." in section


def test_the_drive_pages_history_asks_about_erasures_in_the_statement_that_reads_it(
        app, world, drive):
    """Whether a line's supporter was erased comes with the History's own read (issue 15):
    no statement of its own, and an erasure still hides the name at once. A new record's
    event holds what names it, so the record's values of today are not read either."""
    pledge = make_pledge(drive, contact_email=EMAIL, name="Anna Petrova")
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])

    statements, html = statements_of_get(lead, HISTORY)

    assert "Anna Petrova" in page_text(html.split('id="history"')[1])
    assert not [s for s in statements if s.startswith(
        "SELECT DISTINCT audit_event.record_type, audit_event.record_id")], statements
    assert len([s for s in statements if "FROM audit_event" in s]) == 1, statements
    # A new pledge's event names it by itself: today's values of the pledge are not read.
    trail, html = statements_of_get(client_as(app, Role.COORDINATOR), "/audit/?record_type=pledge")
    assert "created the pledge “Anna Petrova · RUB 1,000.00”" in page_text(html)
    assert not [s for s in trail if "pledge.id IN" in s], trail
    record_event(db.session(), action=AuditAction.ERASE, record_type="pledge",
                 record_id=str(pledge.id), changes={"pledger_name": "[erased]"})
    db.session.commit()
    section = page_text(lead.get(HISTORY).text.split('id="history"')[1])
    assert "Anna Petrova" not in section and f"the pledge no. {pledge.id}" in section


def test_a_change_names_its_record_by_todays_title_in_the_readers_language(app, world, drive):
    """The status change holds no title: its line names the drive by today's title in the
    reader's language, read afresh (a raw UPDATE shows at once); the creation keeps its own."""
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    switch_to_russian(lead)

    def russian_lines() -> str:
        return page_text(lead.get(f"{DRIVE}?history_page=1").text.split('id="history"')[1])

    title = drive.title_ru
    assert "статус Черновик → Идёт сбор" in russian_lines()
    assert f"«{title}» — статус Черновик" in russian_lines()
    # Raw SQL, past the ORM and its audit hooks: nothing but today's value changes.
    db.session.execute(text("UPDATE drive SET title_ru = :title WHERE id = :id"),
                       {"title": "Новое название сбора", "id": drive.id})
    db.session.commit()
    assert "«Новое название сбора» — статус Черновик" in russian_lines()
    assert f"Создано: сбор средств «{title}»" in russian_lines()


def test_a_kept_line_carries_each_readers_own_pass(app, world, drive):
    """Two leads see the same line (kept once); each one's Details link is their own."""
    make_pledge(drive, contact_email=EMAIL)
    first = client_as(app, Role.LEAD, campaigns=[world.campaign])
    second = client_as(app, Role.LEAD, campaigns=[world.campaign])

    first_link = details_links(first.get(HISTORY).text)[0]
    second_link = details_links(second.get(HISTORY).text)[0]

    assert first_link != second_link
    assert first.get(first_link).status_code == second.get(second_link).status_code == 200
    assert first.get(second_link).status_code == 403


def test_a_kept_line_never_shows_a_supporter_erased_since_in_either_language(
        app, world, drive):
    pledge = make_pledge(drive, contact_email=EMAIL, name="Anna Petrova")
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    russian = client_as(app, Role.LEAD, campaigns=[world.campaign])
    switch_to_russian(russian)

    def history(client) -> str:
        return page_text(client.get(f"{DRIVE}?history_page=1").text.split('id="history"')[1])

    assert "Anna Petrova" in history(lead) and "Anna Petrova" in history(russian)
    record_event(db.session(), action=AuditAction.ERASE, record_type="pledge",
                 record_id=str(pledge.id), changes={"pledger_name": "[erased]"})
    db.session.commit()

    assert "Anna Petrova" not in history(lead) and "Anna Petrova" not in history(russian)
    assert f"the pledge no. {pledge.id}" in history(lead)
    assert f"№{pledge.id}" in history(russian) or f"№ {pledge.id}" in history(russian)


def test_the_details_open_under_the_line_with_the_script_and_the_same_rights(
        app, world, drive):
    """static/js/history.js fetches the page's fragment (no inline script: the CSP forbids
    it); the fragment is refused as the page is, and says the same as the page."""
    make_pledge(drive, amount="5000", contact_email=EMAIL)
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    page = lead.get(HISTORY)
    link = details_links(page.text)[0]

    fragment = lead.get(link + "&part=details")
    other = client_as(app, Role.LEAD, campaigns=[world.campaign])

    assert "<html" not in fragment.text and "<script" not in fragment.text
    assert details_of(fragment.text) == details_of(lead.get(link).text)
    assert f"Contact e-mail: {EMAIL}" in details_of(fragment.text)
    assert other.get(link + "&part=details").status_code == 403
    script = re.search(r'<script defer src="([^"]*history[^"]*\.js)"></script>', page.text)
    assert script is not None
    served = lead.get(script.group(1))
    served.close()
    assert served.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in page.text
