"""The header's tools (the account link, the log-out form, the language switch) are kept
rendered with the CSRF token cut out (tracker/navigation.py, issue 15): every page shows this
request's token, the page the language switch comes back to, the account's current e-mail,
and the reader's language, however they changed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.auth_support import login, make_user
from tests.fragments_support import rendered_templates
from tests.pages import switch_to_russian
from tests.test_dashboard_rows import switch_to_english
from tests.test_kept_public_page import as_a_new_request
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.navigation import TOOLS_TEMPLATE, kept_navigation


@pytest.fixture
def user(client, app):
    with app.app_context():
        kept_navigation().clear()  # as a new process
    user = make_user(Role.COORDINATOR, email="coordinator@example.org")
    login(client, user)
    return user


def tools(page: str) -> str:
    """The header's tools: from the account link to the end of the language switch."""
    start = page.index('class="d-flex align-items-center gap-2 ms-auto site-tools"')
    return page[start:page.index("</form>", page.index('name="language"', start))]


def tokens(page: str) -> list[str]:
    return re.findall(r'name="csrf_token" value="([^"]+)"', tools(page))


def test_the_tools_are_rendered_once_and_each_page_gets_a_working_token(client, app, user):
    with rendered_templates(app) as rendered:
        first = client.get("/orgs/").text
        second = client.get("/orgs/").text
    assert rendered.count(TOOLS_TEMPLATE) == 1
    assert len(tokens(second)) == 2 and len(set(tokens(second))) == 1
    assert tools(first).replace(tokens(first)[0], "") == tools(second).replace(
        tokens(second)[0], "")
    response = client.post("/logout", data={"csrf_token": tokens(second)[0]})
    assert response.status_code == 302
    assert client.get("/orgs/").status_code == 302  # logged out: sent to the login page


def test_a_token_of_another_session_is_never_shown(client, app, user):
    first = tokens(client.get("/orgs/").text)[0]
    other = app.test_client()
    login(other, make_user(Role.COORDINATOR, email="other@example.org"))
    as_a_new_request()
    theirs = other.get("/orgs/").text
    assert tokens(theirs)[0] != first and "other@example.org" in tools(theirs)
    as_a_new_request()
    mine = client.get("/orgs/").text
    assert tokens(mine)[0] != tokens(theirs)[0]
    assert "other@example.org" not in tools(mine) and "coordinator@example.org" in tools(mine)


def test_the_language_switch_comes_back_to_this_page_with_its_query(client, user):
    assert 'name="next" value="/orgs/?country=KZ"' in tools(client.get("/orgs/?country=KZ").text)
    assert 'name="next" value="/orgs/"' in tools(client.get("/orgs/").text)
    assert 'name="next" value="/campaigns/"' in tools(client.get("/campaigns/").text)


def test_an_email_changed_by_plain_sql_and_the_language_show_at_once(client, user):
    page = tools(client.get("/orgs/").text)
    assert "coordinator@example.org" in page and "Log out" in page
    db.session.execute(text("UPDATE user_account SET email = 'lead@example.org' WHERE id = :id"),
                       {"id": user.id})
    db.session.commit()
    page = tools(client.get("/orgs/").text)
    assert "lead@example.org" in page and "coordinator@example.org" not in page
    switch_to_russian(client)
    page = tools(client.get("/orgs/").text)
    assert "Выйти" in page and "Ваша учётная запись" in page
    assert re.search(r'value="ru"[^>]*aria-current="true"', page)
    switch_to_english(client)
    page = tools(client.get("/orgs/").text)
    assert "Log out" in page and re.search(r'value="en"[^>]*aria-current="true"', page)


def test_the_login_page_offers_no_log_in_button_and_others_do(client, app):
    with app.app_context():
        kept_navigation().clear()
    login_page = client.get("/login").text
    assert 'class="btn btn-sm btn-light text-nowrap" href="/login"' not in login_page
    assert 'name="language"' in login_page
