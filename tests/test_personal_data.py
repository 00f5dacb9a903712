"""Supporters' personal data on a need-to-know basis (issue 11, findings 6 and 12).

Who sees a supporter's e-mail and message (coordinators, admins, the campaign's leads),
what everyone else sees instead, the trace every look and export leaves in the audit
trail, and the list of public pledges awaiting confirmation: pages and a bulk reject.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tests.auth_support import client_as, login, make_user
from tests.drive_support import (
    DRIVE_SLUG,
    make_payment,
    make_pledge,
    page_text,
    public_pledge,
    recomputed_totals,
    stored_totals,
)
from tests.factories import count_rows
from tests.history_support import details, views_of_personal_data
from tracker.audit.models import AuditAction, AuditEvent
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.drives import services
from tracker.drives.exports import export_filename
from tracker.drives.models import Pledge, PledgeStatus
from tracker.extensions import db
from tracker.mail.models import OutboxMessage
from tracker.mail.outbox import queue_message

DRIVE = f"/drives/{DRIVE_SLUG}"
EMAIL = "oleg@example.org"
QUIET_EMAIL = "quiet@example.org"
MESSAGE = "Call me on +7 900 123 45 67"


@pytest.fixture
def supporters(drive):
    """A public pledge with an e-mail and a message; a staff pledge of a supporter who asked
    not to be named, with an e-mail."""
    public = public_pledge(drive, name="Oleg Ivanov", contact_email=EMAIL, message=MESSAGE)
    quiet = make_pledge(drive, amount="2500", name="Quiet Supporter", is_anonymous=True,
                        contact_email=QUIET_EMAIL)
    return public, quiet


# --- finding 6: who sees contact data ---------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FUNDRAISER, "lead elsewhere"])
def test_those_without_need_see_names_but_no_contact_data(app, world, supporters, role):
    public, quiet = supporters
    client = (client_as(app, Role.LEAD, campaigns=[world.other_campaign])
              if role == "lead elsewhere" else client_as(app, role))
    for url in (DRIVE, f"{DRIVE}/pledges/{public.id}", f"{DRIVE}/pledges/{quiet.id}"):
        html = client.get(url).text
        # The history's details, one link away, as well as the page itself.
        shown = html + " ".join(details(client, html))
        for secret in (EMAIL, QUIET_EMAIL, MESSAGE, "Quiet Supporter"):
            assert secret not in shown, (url, secret)
    drive_page = page_text(client.get(DRIVE).text)
    assert "Oleg Ivanov" in drive_page and "Anonymous" in drive_page
    # The history sections hide the recorded values as well.
    quiet_page = client.get(f"{DRIVE}/pledges/{quiet.id}").text
    assert "Contact e-mail: (hidden)" in details(client, quiet_page)
    # The files are refused, and nobody's looks at nothing were recorded.
    assert client.get(f"{DRIVE}/pledges.csv").status_code == 403
    assert client.get(f"{DRIVE}/pledges.xlsx").status_code == 403
    assert views_of_personal_data() == []


@pytest.mark.parametrize("role", [Role.LEAD, Role.COORDINATOR, Role.ADMIN])
def test_the_campaigns_leads_and_the_hub_see_contacts_and_each_look_is_recorded(
        app, world, supporters, role):
    public, quiet = supporters
    user = make_user(role, campaigns=[world.campaign] if role is Role.LEAD else [])
    client = app.test_client()
    login(client, user)

    html = client.get(DRIVE).text
    assert EMAIL in html and MESSAGE in html
    pledge_page = client.get(f"{DRIVE}/pledges/{quiet.id}").text
    assert QUIET_EMAIL in pledge_page and "Quiet Supporter" in pledge_page

    looks = views_of_personal_data()
    assert [(e.action, e.record_type, e.record_id, e.actor_label) for e in looks] == [
        (AuditAction.VIEW, "personal_data", f"drive:{public.drive_id}", user.email),
        (AuditAction.VIEW, "personal_data", f"pledge:{quiet.id}", user.email),
    ]
    # The drive page showed the supporter awaiting confirmation, by id only; its History,
    # folded unread, showed no one.
    assert looks[0].changes["supporters"] == 1
    assert looks[0].changes["pledge_ids"] == str(public.id)
    assert EMAIL not in str(looks[0].changes) and QUIET_EMAIL not in str(looks[1].changes)
    client.get(DRIVE)
    assert len(views_of_personal_data()) == 3  # one event per page that showed contacts
    # Opened, the History shows both supporters' pledges being logged: a look of its own.
    assert QUIET_EMAIL in " ".join(details(client, client.get(f"{DRIVE}?part=history").text))
    history_look = views_of_personal_data()[-1]
    assert (history_look.record_id, history_look.changes["shown_on"]) == (
        f"drive:{public.drive_id}", "drive")
    assert history_look.changes["pledge_ids"] == f"{public.id}, {quiet.id}"
    edit = client.get(f"{DRIVE}/pledges/{quiet.id}/edit").text
    assert QUIET_EMAIL in edit
    assert views_of_personal_data()[-1].changes["shown_on"] == "pledge_form"


def test_a_drive_page_without_contact_data_records_no_look(app, world, drive):
    make_pledge(drive, name="No Address")
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    assert lead.get(DRIVE).status_code == 200
    assert views_of_personal_data() == []


def test_a_look_counts_the_supporters_the_history_shows_not_those_it_folds_away(
        app, world, drive):
    """Seven pledges with e-mails: the drive page's History, opened, shows the latest five
    events, so the look names those five; "Show all" shows every one and names all seven."""
    pledges = [make_pledge(drive, amount=str(1000 + number), name=f"Supporter {number}",
                           contact_email=f"s{number}@example.org") for number in range(7)]
    coordinator = client_as(app, Role.COORDINATOR)
    html = coordinator.get(f"{DRIVE}?part=history").text
    shown = details(coordinator, html)  # what the history's lines show one link away
    assert "Contact e-mail: s6@example.org" in shown and "s0@example.org" not in str(shown)
    look = views_of_personal_data()[-1]
    assert look.changes["supporters"] == 5
    assert look.changes["pledge_ids"] == ", ".join(str(pledge.id) for pledge in pledges[2:])
    coordinator.get(f"{DRIVE}?history_page=1")
    every = views_of_personal_data()[-1]
    assert every.changes["supporters"] == len(pledges)


def test_every_export_is_recorded_from_the_screen_and_the_command_line(
        app, world, drive, supporters, runner, tmp_path):
    lead = make_user(Role.LEAD, campaigns=[world.campaign])
    client = app.test_client()
    login(client, lead)
    assert client.get(f"{DRIVE}/pledges.csv").status_code == 200
    assert client.get(f"{DRIVE}/pledges.xlsx", buffered=True).status_code == 200
    result = runner.invoke(args=["export-pledges", "--drive", DRIVE_SLUG,
                                 "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    exports = [(e.action, e.actor_label, e.changes["file"], e.changes["supporters"])
               for e in views_of_personal_data()]
    assert exports == [
        (AuditAction.EXPORT, lead.email, export_filename(drive, "csv"), 2),
        (AuditAction.EXPORT, lead.email, export_filename(drive, "xlsx"), 2),
        (AuditAction.EXPORT, "command line", "out.csv", 2),
    ]


def test_the_audit_screen_names_looks_and_exports(app, world, supporters):
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    lead.get(f"{DRIVE}?part=history")
    lead.get(f"{DRIVE}/pledges.csv")
    coordinator = client_as(app, Role.COORDINATOR)
    html = coordinator.get("/audit/?record_type=personal_data").text
    page = page_text(html)
    assert "viewed the supporters' personal data “xrf-chelyabinsk”" in page
    assert "exported the supporters' personal data “xrf-chelyabinsk”" in page
    assert "Supporters: 2" in details(coordinator, html)
    # The coordinator, who may see every campaign's contacts, sees them in the trail.
    assert f"Contact e-mail: {EMAIL}" in details(coordinator, coordinator.get("/audit/").text)
    # The trail's own CSV holds them too: downloading it is an export like any other.
    assert EMAIL in coordinator.get("/audit/export.csv?record_type=pledge").text
    last = views_of_personal_data()[-1]
    assert (last.action, last.record_type, last.changes["record_type"]) == (
        AuditAction.EXPORT, "audit_trail", "pledge")


# --- finding 12: the list awaiting confirmation -----------------------------------------


def flood(drive, count: int) -> list[Pledge]:
    """`count` unconfirmed public pledges, as a spam run would leave them."""
    pledges = [services.submit_public_pledge(drive, services.PublicPledgeInput(
        amount=Decimal("100"), currency="RUB", contact_email=f"bot{n}@spam.example",
        pledger_name=f"Bot {n}", message="x" * 200)) for n in range(count)]
    db.session.commit()
    return [pledge for pledge in pledges if pledge is not None]


def awaiting_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="awaiting-(\d+)"', html)


def test_500_unconfirmed_pledges_leave_the_drive_page_the_size_of_one_page(app, world, drive):
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    flood(drive, 30)
    small = len(lead.get(DRIVE).data)
    pledges = flood(drive, 470)
    response = lead.get(DRIVE)
    assert response.status_code == 200
    html = response.text
    assert len(awaiting_rows(html)) == services.AWAITING_PER_PAGE
    assert "Pledges from the public page awaiting confirmation (500)" in page_text(html)
    # 30 awaiting or 500: the page differs by the pager's links and the count only.
    assert len(response.data) - small < 3000, (small, len(response.data))
    last = lead.get(f"{DRIVE}?awaiting_page=20").text
    assert awaiting_rows(last)[-1] == str(pledges[-1].id)
    # A page past the end, or a page that is no number, shows a page that exists.
    assert awaiting_rows(lead.get(f"{DRIVE}?awaiting_page=999").text) == awaiting_rows(last)
    assert lead.get(f"{DRIVE}?awaiting_page=x").status_code == 200


def test_a_lead_rejects_the_ticked_pledges_after_confirming(app, world, drive):
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    spam = flood(drive, 4)
    real = public_pledge(drive, name="Real Person", contact_email="real@example.org")
    before = stored_totals(drive)
    ticked = {"scope": "selected", "pledge_ids": [str(spam[0].id), str(spam[1].id)],
              "page_ids": [str(p.id) for p in [*spam, real]]}

    asked = lead.post(f"{DRIVE}/awaiting/reject", data=ticked)
    assert asked.status_code == 200
    assert "Reject 2 pledges from the public page?" in page_text(asked.text)
    assert count_rows(Pledge) == 5 and all(
        p.status is PledgeStatus.UNCONFIRMED for p in db.session.scalars(select(Pledge)))

    done = lead.post(f"{DRIVE}/awaiting/reject", data={
        "confirmed": "yes", "pledge_ids": [str(spam[0].id), str(spam[1].id)],
        "reason": "Spam run"})
    assert done.status_code == 302
    db.session.expire_all()
    statuses = {p.id: (p.status, p.status_reason) for p in db.session.scalars(select(Pledge))}
    assert statuses[spam[0].id] == (PledgeStatus.REJECTED, "Spam run")
    assert statuses[spam[1].id] == (PledgeStatus.REJECTED, "Spam run")
    assert statuses[real.id][0] is PledgeStatus.UNCONFIRMED
    assert "2 pledges rejected." in page_text(lead.get(DRIVE).text)
    assert stored_totals(drive) == before == recomputed_totals(drive)
    # Each rejection is in its pledge's history, by the lead.
    updates = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "pledge", AuditEvent.action == AuditAction.UPDATE)).all()
    assert sorted(int(e.record_id) for e in updates) == sorted([spam[0].id, spam[1].id])


def test_all_pledges_on_the_page_are_rejected_and_stale_ones_skipped(app, world, drive):
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    spam = flood(drive, 30)
    page = lead.get(DRIVE).text
    on_page = awaiting_rows(page)
    assert len(on_page) == services.AWAITING_PER_PAGE
    services.confirm_pledge(spam[0])  # confirmed by a colleague meanwhile
    db.session.commit()
    asked = lead.post(f"{DRIVE}/awaiting/reject",
                      data={"scope": "page", "page_ids": on_page, "pledge_ids": on_page[:1]})
    assert "Reject 24 pledges from the public page?" in page_text(asked.text)
    assert len(re.findall(r'name="pledge_ids"', asked.text)) == 24
    response = lead.post(f"{DRIVE}/awaiting/reject",
                         data={"confirmed": "yes", "pledge_ids": on_page}, follow_redirects=True)
    text = page_text(response.text)
    assert "24 pledges rejected." in text
    assert "1 pledge was no longer awaiting confirmation and was left as it is." in text
    assert len(awaiting_rows(response.text)) == 5


@pytest.mark.parametrize("data", [
    {},
    {"scope": "selected"},
    {"confirmed": "yes", "pledge_ids": ["abc", "0", "-1", "99999999999999999999", "2³"]},
])
def test_a_bulk_reject_without_pledges_is_refused_and_changes_nothing(app, world, drive, data):
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    flood(drive, 3)
    changes = select(AuditEvent).where(AuditEvent.action != AuditAction.VIEW)
    before = len(db.session.scalars(changes).all())
    response = lead.post(f"{DRIVE}/awaiting/reject", data=data)
    assert response.status_code == 422
    assert "Select the pledges to reject." in page_text(response.text)
    assert len(db.session.scalars(changes).all()) == before  # only the look at the list
    assert {p.status for p in db.session.scalars(select(Pledge))} == {PledgeStatus.UNCONFIRMED}


def test_a_bulk_reject_leaves_other_drives_pledges_alone(app, world, drive):
    from tests.drive_support import make_drive

    other = make_drive(world, slug="other-drive")
    theirs = flood(other, 1)[0]
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    response = lead.post(f"{DRIVE}/awaiting/reject",
                         data={"confirmed": "yes", "pledge_ids": [str(theirs.id)]},
                         follow_redirects=True)
    assert "0 pledges rejected." in page_text(response.text)
    db.session.expire_all()
    assert db.session.get(Pledge, theirs.id).status is PledgeStatus.UNCONFIRMED


# --- a supporter's data: access and erasure ---------------------------------------------


def new_events_since(last_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id)))


def last_event_id() -> int:
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


@pytest.fixture
def oleg(drive):
    """Oleg's two pledges (one public, confirmed and partly paid with a note), and Anna's."""
    public = public_pledge(drive, name="Oleg Ivanov", contact_email=EMAIL, message=MESSAGE)
    services.confirm_pledge(public)
    db.session.commit()
    make_payment(public, "500")
    payment = public.payments[0]
    payment.note = "Oleg paid cash at the meeting"
    db.session.commit()
    staff = make_pledge(drive, amount="2500", name="O. Ivanov", contact_email="Oleg@Example.org",
                        note="Met Oleg at the conference")
    anna = make_pledge(drive, amount="700", name="Anna Petrova", contact_email="anna@example.org")
    return public, staff, anna


def test_a_coordinator_finds_gives_out_and_erases_a_supporters_data(app, world, drive, oleg):
    public, staff, anna = oleg
    coordinator = client_as(app, Role.COORDINATOR)
    lead = client_as(app, Role.LEAD, campaigns=[world.campaign])
    totals = stored_totals(drive)
    start = last_event_id()

    found = coordinator.get("/supporters/?email=OLEG%40example.org")
    assert found.status_code == 200
    text = page_text(found.text)
    assert "2 pledges given with this address" in text
    assert "Oleg Ivanov" in text and "O. Ivanov" in text and "Anna Petrova" not in text

    download = coordinator.get("/supporters/export.json?email=oleg%40example.org")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(download.data)
    assert [p["id"] for p in data["pledges"]] == [public.id, staff.id]
    assert data["pledges"][0]["message"] == MESSAGE
    assert data["pledges"][0]["payments"][0]["note"] == "Oleg paid cash at the meeting"
    assert data["pledges"][0]["amount"] == "1500.00"
    assert [d["slug"] for d in data["drives"]] == [DRIVE_SLUG]
    assert {(e["action"], e["record_type"]) for e in data["audit_events"]} >= {
        ("create", "pledge"), ("update", "pledge"), ("create", "payment")}
    assert "never changed or deleted" in data["audit_trail_note"]

    looks = new_events_since(start)
    assert [(e.action, e.record_type, e.changes["pledge_ids"]) for e in looks] == [
        (AuditAction.VIEW, "personal_data", f"{public.id}, {staff.id}"),
        (AuditAction.EXPORT, "personal_data", f"{public.id}, {staff.id}"),
    ]
    assert "oleg" not in str([(e.changes, e.summary, e.record_id) for e in looks]).lower()

    # Without the tick nothing happens.
    refused = coordinator.post("/supporters/erase", data={"email": EMAIL})
    assert refused.status_code == 422
    assert "Tick the box to confirm the erasure." in page_text(refused.text)
    db.session.expire_all()
    assert db.session.get(Pledge, public.id).contact_email == EMAIL

    start = last_event_id()
    done = coordinator.post("/supporters/erase", data={"email": EMAIL, "confirm": "y"},
                            follow_redirects=True)
    assert done.status_code == 200
    assert "The supporter's data was erased from 2 pledges" in page_text(done.text)
    db.session.expire_all()
    for pledge_id in (public.id, staff.id):
        pledge = db.session.get(Pledge, pledge_id)
        assert (pledge.pledger_name, pledge.contact_email, pledge.message, pledge.note,
                pledge.is_anonymous) == ("", "", "", "", True)
    kept = db.session.get(Pledge, public.id)
    assert (kept.amount_minor, kept.paid_minor, kept.status) == (150000, 50000,
                                                                 PledgeStatus.PARTLY_PAID)
    assert kept.payments[0].note == "" and kept.payments[0].amount_minor == 50000
    assert db.session.get(Pledge, anna.id).contact_email == "anna@example.org"
    assert stored_totals(drive) == totals == recomputed_totals(drive)

    erasures = new_events_since(start)
    assert [(e.action, e.record_id) for e in erasures] == [
        (AuditAction.ERASE, str(public.id)), (AuditAction.ERASE, str(staff.id))]
    assert erasures[0].changes == {"pledger_name": "[erased]", "contact_email": "[erased]",
                                   "message": "[erased]", "payment_notes": "[erased]"}
    assert "oleg" not in str([(e.changes, e.summary) for e in erasures]).lower()
    # The trail's older rows are not rewritten, but no screen shows their values any more.
    created = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "pledge", AuditEvent.record_id == str(public.id),
        AuditEvent.action == AuditAction.CREATE)).one()
    assert created.changes["contact_email"] == EMAIL
    for client in (lead, coordinator):
        for url in (f"{DRIVE}/pledges/{public.id}", DRIVE, "/audit/"):
            html = client.get(url).text
            html += " ".join(details(client, html))  # and the history's details
            assert EMAIL not in html and "Oleg Ivanov" not in html, url
            assert "Oleg paid cash" not in html and "Met Oleg" not in html, url
    page = lead.get(f"{DRIVE}/pledges/{public.id}?history_page=1").text
    history = page_text(page)
    assert "erased the personal data of the pledge no. " in history
    assert "Contact e-mail: (erased)" in details(lead, page)
    assert "Oleg Ivanov" not in page_text(app.test_client().get(f"/d/{DRIVE_SLUG}").text)
    assert "No pledge was given with this e-mail address." in page_text(
        coordinator.get(f"/supporters/?email={EMAIL}").text)


# A NUL is refused by the request-level check (400) before the lookup's own validation (422).
@pytest.mark.parametrize(("query", "status"), [
    ("", 200), ("?email=", 422), ("?email=%00", 400), ("?email=not-an-address", 422),
    ("?email=" + "a" * 300 + "%40example.org", 422)])
def test_a_lookup_without_a_valid_address_shows_a_message_and_records_nothing(
        app, oleg, query, status):
    coordinator = client_as(app, Role.COORDINATOR)
    start = last_event_id()
    response = coordinator.get(f"/supporters/{query}")
    assert response.status_code == status
    assert new_events_since(start) == []
    if query:
        assert coordinator.get(f"/supporters/export.json{query}").status_code == status


def test_erasing_an_unknown_address_is_refused(app, oleg):
    coordinator = client_as(app, Role.COORDINATOR)
    start = last_event_id()
    response = coordinator.post("/supporters/erase",
                                data={"email": "nobody@example.org", "confirm": "y"})
    assert response.status_code == 422
    assert "No pledge was given with this e-mail address." in page_text(response.text)
    assert new_events_since(start) == []


def test_the_commands_export_and_erase_a_supporter(app, drive, oleg, runner, tmp_path):
    public, staff, _anna = oleg
    target = tmp_path / "oleg.json"
    result = runner.invoke(args=["export-supporter", EMAIL, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert [p["id"] for p in json.loads(target.read_text())["pledges"]] == [public.id, staff.id]
    result = runner.invoke(args=["erase-supporter", EMAIL], input="n\n")
    assert result.exit_code == 1
    db.session.expire_all()
    assert db.session.get(Pledge, public.id).contact_email == EMAIL
    result = runner.invoke(args=["erase-supporter", EMAIL, "--yes"])
    assert result.exit_code == 0, result.output
    assert "erased from 2 pledges" in result.output
    db.session.expire_all()
    assert db.session.get(Pledge, staff.id).contact_email == ""
    assert runner.invoke(args=["erase-supporter", EMAIL, "--yes"]).exit_code == 1
    assert runner.invoke(args=["export-supporter", "not an address"]).exit_code == 1
    actors = {e.actor_label for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_([AuditAction.EXPORT, AuditAction.ERASE])))}
    assert actors == {"command line"}


# --- old unconfirmed public pledges are removed ------------------------------------------


def test_unconfirmed_public_pledges_older_than_the_setting_are_removed(app, world, drive,
                                                                      runner):
    old = utcnow() - timedelta(days=31)
    waiting, rejected, confirmed, fresh = (
        public_pledge(drive, contact_email=f"p{n}@example.org") for n in range(4))
    services.reject_pledge(rejected, "spam")
    services.confirm_pledge(confirmed)
    staff = make_pledge(drive, name="Staff Pledge")
    for pledge in (waiting, rejected, confirmed, staff):
        pledge.created_at = old
    db.session.commit()
    totals = stored_totals(drive)

    app.config["UNCONFIRMED_PLEDGE_DAYS"] = 60
    result = runner.invoke(args=["prune-unconfirmed-pledges"])
    assert result.exit_code == 0, result.output
    assert "0 unconfirmed public pledges older than 60 days removed." in result.output

    start = last_event_id()
    app.config["UNCONFIRMED_PLEDGE_DAYS"] = 30
    result = runner.invoke(args=["prune-unconfirmed-pledges"])
    assert result.exit_code == 0, result.output
    assert "2 unconfirmed public pledges older than 30 days removed." in result.output
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Pledge.id))) == sorted(
        [confirmed.id, fresh.id, staff.id])
    assert stored_totals(drive) == totals == recomputed_totals(drive)
    [event] = new_events_since(start)
    assert (event.action, event.record_type, event.parent_id, event.changes) == (
        AuditAction.DELETE, "pledge_retention", str(drive.id),
        {"pledges": 2, "older_than_days": 30})
    assert event.actor_label == "command line"
    assert runner.invoke(args=["prune-unconfirmed-pledges", "--days", "0"]).exit_code == 2


@pytest.mark.parametrize(("name", "value", "message"), [
    ("TRACKER_PUBLIC_PLEDGE_LIMIT", "lots", "must read like '60 per 10 minutes'"),
    ("TRACKER_PUBLIC_PLEDGE_DRIVE_HOURLY", "0", "at least 1"),
    ("TRACKER_UNCONFIRMED_PLEDGE_DAYS", "thirty", "at least 1"),
])
def test_a_privacy_setting_that_cannot_work_stops_the_start(tmp_path, monkeypatch, name, value,
                                                            message):
    from tracker import create_app
    from tracker.config import ConfigurationError

    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        create_app()


def test_the_messages_written_to_a_supporter_are_exported_and_erased_with_the_rest(
        app, oleg, runner, tmp_path):
    for address in ("OLEG@example.org", "anna@example.org"):
        queue_message(kind="test_message", recipient=address, language="en",
                      subject=_l("A test message from Tracker"),
                      context={"server": "smtp.example", "site_url": "http://localhost/"})
    db.session.commit()
    target = tmp_path / "oleg.json"

    assert runner.invoke(args=["export-supporter", EMAIL, "-o", str(target)]).exit_code == 0
    exported = [m for m in json.loads(target.read_text())["messages"]
                if m["kind"] == "test_message"]
    assert [m["subject"] for m in exported] == ["A test message from Tracker"]
    assert "This is a test message from Tracker." in exported[0]["text"]

    assert runner.invoke(args=["erase-supporter", EMAIL, "--yes"]).exit_code == 0
    recipients = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert "anna@example.org" in recipients
    assert not {r for r in recipients if r.lower() == EMAIL.lower()}
