"""User administration (list, invite, access, disable, links) and each user's account page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.auth_support import TEST_PASSWORD, login, login_with_password, make_user
from tests.factories import count_rows, make_campaign, make_org
from tracker.auth.models import Invite, Membership, Role, SessionEnd, User, UserSession
from tracker.db import utcnow
from tracker.extensions import db

NEW_PASSWORD = "soil samples from Shymkent 2026"


@pytest.fixture
def admin(app):
    return make_user(Role.ADMIN, email="admin@eco-accord.org")


@pytest.fixture
def admin_client(client, admin):
    login(client, admin)
    return client


def invite_form(**overrides) -> dict:
    data = {"email": "Zarina@LittleEarth.tj", "role": "viewer", "organization": "",
            "language": "ru"}
    data.update(overrides)
    return data


def link_in(page: str) -> str:
    """The path of the one-time link shown on the page."""
    match = re.search(r'value="http://localhost(/invite/[A-Za-z0-9_-]+)"', page)
    assert match, "no invitation link on the page"
    return match.group(1)


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- Who may open the admin screens -----------------------------------------------------------


ADMIN_GETS = ["/admin/users", "/admin/users/invite", "/admin/users/{id}"]
ADMIN_POSTS = ["/admin/users/invite", "/admin/users/{id}", "/admin/users/{id}/disable",
               "/admin/users/{id}/enable", "/admin/users/{id}/link"]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.FUNDRAISER, Role.LEAD, Role.VIEWER])
def test_only_admins_may_use_the_admin_screens(client, admin, role):
    login(client, make_user(role))
    for path in ADMIN_GETS:
        response = client.get(path.format(id=admin.id))
        assert response.status_code == 403, path
        assert "You do not have access to this page" in response.text
    for path in ADMIN_POSTS:
        response = client.post(path.format(id=admin.id), data=invite_form(role="admin"))
        assert response.status_code == 403, path
    assert count_rows(User) == 2
    assert fresh(admin).is_active
    assert count_rows(Invite) == 0
    assert 'href="/admin/users"' not in client.get("/account").text


def test_anonymous_visitors_of_admin_screens_are_sent_to_login(client, admin):
    for path in ADMIN_GETS:
        response = client.get(path.format(id=admin.id))
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    response = client.post(f"/admin/users/{admin.id}/disable")
    assert response.status_code == 302
    assert fresh(admin).is_active


# --- The list --------------------------------------------------------------------------------


def test_users_list_shows_role_organisation_campaigns_status_and_last_login(admin_client):
    org = make_org(slug="little-earth", name_en="Little Earth", country="TJ")
    campaign = make_campaign(title_en="XRF testing in the Urals")
    lead = make_user(Role.LEAD, email="lead@littleearth.tj", org=org, campaigns=[campaign])
    make_user(Role.VIEWER, email="gone@example.org", active=False)
    make_user(Role.FUNDRAISER, email="new@example.org", password=None)
    login_with_password(admin_client.application.test_client(), lead.email)
    page = admin_client.get("/admin/users").text
    assert "lead@littleearth.tj" in page and "Campaign lead" in page
    assert "Little Earth" in page and "XRF testing in the Urals" in page
    assert "Disabled" in page and "Invited" in page and "Active" in page
    assert "Never" in page  # the invited user has not logged in
    assert "UTC" in page  # the lead's last login
    assert 'href="/admin/users/invite"' in page
    assert "Showing 1–4 of 4" in page
    assert 'href="/admin/users"' in page  # the navigation offers the screen to admins


# --- Inviting ---------------------------------------------------------------------------------


def test_invite_creates_the_account_and_shows_a_one_time_link_with_its_expiry(admin_client):
    org = make_org(slug="little-earth", name_en="Little Earth", country="TJ")
    campaign = make_campaign(title_en="XRF testing in the Urals")
    form = admin_client.get("/admin/users/invite").text
    assert 'name="email"' in form and 'name="campaigns"' in form and "Little Earth" in form
    response = admin_client.post("/admin/users/invite", data=invite_form(
        role="lead", organization=str(org.id), campaigns=[str(campaign.id)]))
    assert response.status_code == 200
    page = response.text
    assert "The account of zarina@littleearth.tj is created." in page
    assert "It works once, until" in page and "UTC" in page
    path = link_in(page)
    user = db.session.scalar(select(User).where(User.email == "zarina@littleearth.tj"))
    assert user.role == Role.LEAD and user.organization_id == org.id
    assert user.led_campaign_ids == {campaign.id} and user.language == "ru"
    assert user.password_hash is None
    invite = db.session.scalar(select(Invite))
    token = path.rsplit("/", 1)[1]
    assert invite.token_hash != token  # only its hash is stored
    assert timedelta(days=6, hours=23) < invite.expires_at - utcnow() <= timedelta(days=7)


def test_the_invited_person_sets_a_password_and_is_logged_in(app, admin_client):
    page = admin_client.post("/admin/users/invite", data=invite_form(language="en")).text
    path = link_in(page)
    person = app.test_client()
    form = person.get(path)
    assert form.status_code == 200
    assert "zarina@littleearth.tj" in form.text and 'name="new_password"' in form.text
    response = person.post(path, data={"new_password": NEW_PASSWORD,
                                       "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Welcome to Tracker!" in person.get("/account").text
    # The link worked once.
    again = app.test_client().get(path)
    assert again.status_code == 404
    assert "This link is no longer valid" in again.text
    assert login_with_password(app.test_client(), "zarina@littleearth.tj",
                               NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(("new", "confirm", "message"), [
    ("short", "short", "Use at least 12 characters"),
    ("qwerty123456", "qwerty123456", "list of commonly used passwords"),
    ("zarina@littleearth.tj", "zarina@littleearth.tj", "must not be your e-mail address"),
    (NEW_PASSWORD, NEW_PASSWORD + "!", "The two passwords differ."),
])
def test_a_weak_password_through_the_link_is_refused(app, admin_client, new, confirm, message):
    path = link_in(admin_client.post("/admin/users/invite", data=invite_form()).text)
    person = app.test_client()
    response = person.post(path, data={"new_password": new, "confirm_password": confirm})
    assert response.status_code == 422
    assert message in response.text
    user = db.session.scalar(select(User).where(User.email == "zarina@littleearth.tj"))
    db.session.refresh(user)
    assert user.password_hash is None
    assert person.get(path).status_code == 200  # the link still works


def test_an_expired_link_is_refused(app, admin_client):
    path = link_in(admin_client.post("/admin/users/invite", data=invite_form()).text)
    invite = db.session.scalar(select(Invite))
    invite.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    person = app.test_client()
    assert person.get(path).status_code == 404
    response = person.post(path, data={"new_password": NEW_PASSWORD,
                                       "confirm_password": NEW_PASSWORD})
    assert response.status_code == 404
    assert count_rows(UserSession) == 1  # the admin's only


@pytest.mark.parametrize(("overrides", "field_message"), [
    ({"email": "ADMIN@eco-accord.org"}, "There is already an account for admin@eco-accord.org."),
    ({"email": "not an address"}, "Give a valid e-mail address"),
    ({"email": ""}, "Give the e-mail address of the person to invite."),
    ({"role": "superuser"}, "Choose a role from the list."),
    ({"organization": "99999"}, "Choose an organisation from the list."),
    ({"role": "viewer", "campaigns": ["CAMPAIGN"]}, "Only campaign leads are members"),
    ({"language": "de"}, "Choose English or Russian."),
])
def test_a_bad_invitation_is_refused_and_nothing_is_written(admin_client, overrides,
                                                              field_message):
    overrides = dict(overrides)  # the parameter is shared by every database's run
    campaign = make_campaign()
    if overrides.get("campaigns") == ["CAMPAIGN"]:
        overrides["campaigns"] = [str(campaign.id)]
    users_before = count_rows(User)
    response = admin_client.post("/admin/users/invite", data=invite_form(**overrides))
    assert response.status_code == 422
    assert field_message in response.text
    assert count_rows(User) == users_before
    assert count_rows(Invite) == 0
    assert count_rows(Membership) == 0


# --- Changing access --------------------------------------------------------------------------


def test_admin_changes_role_organisation_and_memberships(admin_client):
    org = make_org(slug="eco-forum", name_en="Eco Forum", country="KZ")
    paint, xrf, waste = make_campaign(), make_campaign(), make_campaign()
    user = make_user(Role.LEAD, email="lead@example.org", campaigns=[paint, xrf])
    page = admin_client.get(f"/admin/users/{user.id}").text
    assert re.search(rf'value="{paint.id}" id="campaign-{paint.id}"\s+checked', page)
    response = admin_client.post(f"/admin/users/{user.id}", data={
        "role": "lead", "organization": str(org.id), "campaigns": [str(xrf.id), str(waste.id)]})
    assert response.status_code == 302
    assert "Access of lead@example.org saved." in admin_client.get("/admin/users").text
    user = fresh(user)
    assert user.organization_id == org.id
    assert user.led_campaign_ids == {xrf.id, waste.id}
    # Leaving the lead role needs the campaigns cleared: memberships only grant a lead's rights.
    response = admin_client.post(f"/admin/users/{user.id}", data={
        "role": "viewer", "organization": "", "campaigns": [str(xrf.id)]})
    assert response.status_code == 422
    assert "Only campaign leads are members of campaigns" in response.text
    assert fresh(user).role == Role.LEAD
    response = admin_client.post(f"/admin/users/{user.id}", data={"role": "viewer",
                                                                  "organization": ""})
    assert response.status_code == 302
    user = fresh(user)
    assert user.role == Role.VIEWER and user.organization_id is None
    assert count_rows(Membership) == 0


def test_the_only_admin_cannot_stop_being_one(admin_client, admin):
    response = admin_client.post(f"/admin/users/{admin.id}", data={"role": "coordinator",
                                                                   "organization": ""})
    assert response.status_code == 422
    assert "only active administrator" in response.text
    assert fresh(admin).role == Role.ADMIN


def test_an_unknown_user_is_a_404(admin_client):
    assert admin_client.get("/admin/users/99999").status_code == 404
    assert admin_client.post("/admin/users/99999/disable").status_code == 404


# --- Disabling and links ----------------------------------------------------------------------


def test_disabling_ends_the_users_sessions_and_refuses_their_login(app, admin_client):
    user = make_user(Role.LEAD, email="lead@example.org")
    theirs = app.test_client()
    login(theirs, user)
    assert theirs.get("/account").status_code == 200
    response = admin_client.post(f"/admin/users/{user.id}/disable")
    assert response.status_code == 302
    assert "is disabled; its sessions have ended" in admin_client.get(
        response.headers["Location"]).text
    assert not fresh(user).is_active
    assert theirs.get("/account").status_code == 302
    session = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert session.end_reason == SessionEnd.DISABLED
    response = login_with_password(app.test_client(), "lead@example.org")
    assert response.status_code == 422 and "Wrong e-mail address or password." in response.text

    response = admin_client.post(f"/admin/users/{user.id}/enable")
    assert response.status_code == 302
    assert fresh(user).is_active
    assert login_with_password(app.test_client(), "lead@example.org").status_code == 302


def test_disabling_without_csrf_token_is_refused(admin_client):
    user = make_user()
    response = admin_client.post(f"/admin/users/{user.id}/disable", csrf=False)
    assert response.status_code == 400
    assert fresh(user).is_active


def test_an_admin_cannot_disable_their_own_account(admin_client, admin):
    make_user(Role.ADMIN)  # even with another admin around
    response = admin_client.post(f"/admin/users/{admin.id}/disable")
    assert response.status_code == 422
    assert "You cannot disable your own account." in response.text
    assert fresh(admin).is_active


def test_a_new_link_replaces_the_old_one_and_resets_a_forgotten_password(app, admin_client):
    user = make_user(Role.FUNDRAISER, email="fund@example.org")
    theirs = app.test_client()
    login(theirs, user)
    first = link_in(admin_client.post(f"/admin/users/{user.id}/link").text)
    page = admin_client.post(f"/admin/users/{user.id}/link").text
    assert "older links no longer work" in page
    second = link_in(page)
    person = app.test_client()
    assert person.get(first).status_code == 404
    response = person.post(second, data={"new_password": NEW_PASSWORD,
                                         "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert theirs.get("/account").status_code == 302  # the old session ended with the reset
    assert login_with_password(app.test_client(), "fund@example.org").status_code == 422
    assert login_with_password(app.test_client(), "fund@example.org",
                               NEW_PASSWORD).status_code == 302


def test_a_disabled_accounts_link_no_longer_works(app, admin_client):
    path = link_in(admin_client.post("/admin/users/invite", data=invite_form()).text)
    user = db.session.scalar(select(User).where(User.email == "zarina@littleearth.tj"))
    admin_client.post(f"/admin/users/{user.id}/disable")
    assert app.test_client().get(path).status_code == 404


# --- The account page -------------------------------------------------------------------------


def test_account_page_shows_role_organisation_and_campaigns(client):
    org = make_org(slug="greenwomen", name_en="Greenwomen", country="KZ")
    campaign = make_campaign(title_en="Women and chemicals")
    login(client, make_user(Role.LEAD, email="lead@example.org", org=org, campaigns=[campaign]))
    page = client.get("/account").text
    for text in ("lead@example.org", "Campaign lead", "Greenwomen", "Women and chemicals",
                 "Change your password", 'name="current_password"', "This session"):
        assert text in page


def test_account_page_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account"


@pytest.mark.parametrize(("data", "message"), [
    ({"current_password": "not my password!"}, "The current password is not correct."),
    ({"new_password": "tiny", "confirm_password": "tiny"}, "Use at least 12 characters"),
    ({"confirm_password": "something else entirely"}, "The two passwords differ."),
    ({"new_password": "Lead@Example.org", "confirm_password": "Lead@Example.org"},
     "must not be your e-mail address"),
])
def test_a_refused_password_change_changes_nothing(client, data, message):
    user = make_user(email="lead@example.org")
    login(client, user)
    before = user.password_hash
    form = {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD}
    form.update(data)
    response = client.post("/account/password", data=form)
    assert response.status_code == 422
    assert message in response.text
    assert fresh(user).password_hash == before


def test_the_saved_language_changes_the_screens_now_and_at_the_next_login(app, client):
    user = make_user(email="lead@example.org", language="en")
    login(client, user)
    response = client.post("/account/language", data={"language": "ru"})
    assert response.status_code == 302
    assert '<html lang="ru">' in client.get("/account").text
    assert fresh(user).language == "ru"
    other_browser = app.test_client()
    login_with_password(other_browser, "lead@example.org")
    assert '<html lang="ru">' in other_browser.get("/account").text


def test_an_unknown_language_is_refused(client):
    user = make_user(email="lead@example.org", language="en")
    login(client, user)
    response = client.post("/account/language", data={"language": "de"})
    assert response.status_code == 422
    assert "Choose English or Russian." in response.text
    assert fresh(user).language == "en"


# --- The audit trail names who did it ---------------------------------------------------------


def user_updates(user: User) -> list:
    from tracker.audit.models import AuditEvent

    db.session.expire_all()
    return [event for event in db.session.scalars(select(AuditEvent))
            if event.record_id == str(user.id) and event.record_type == "user_account"
            and event.action == "update"]


def test_admin_changes_are_attributed_to_the_admin(admin_client, admin):
    user = make_user(Role.VIEWER, email="viewer@example.org")
    admin_client.post(f"/admin/users/{user.id}", data={"role": "fundraiser",
                                                       "organization": ""})
    changes = [e for e in user_updates(user) if "role" in (e.changes or {})]
    assert len(changes) == 1 and changes[0].actor_id == admin.id


def test_setting_ones_password_through_a_link_is_attributed_to_oneself(app, admin_client):
    path = link_in(admin_client.post("/admin/users/invite", data=invite_form()).text)
    app.test_client().post(path, data={"new_password": NEW_PASSWORD,
                                       "confirm_password": NEW_PASSWORD})
    user = db.session.scalar(select(User).where(User.email == "zarina@littleearth.tj"))
    password_set = [e for e in user_updates(user) if "password_hash" in (e.changes or {})]
    assert len(password_set) == 1 and password_set[0].actor_id == user.id
    assert NEW_PASSWORD not in str(password_set[0].changes)
    assert user.password_hash not in str(password_set[0].changes)
