"""Nothing typed is lost: forms posted after the session ended, or with a stale CSRF token.

Each test types into a real form (the proposal editor, a campaign edit, a pledge), loses
the session one way or another, posts, and checks that nothing was saved, no bare 400 was
shown, and that after logging in again the form comes back with the text in it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from tests.auth_support import TEST_PASSWORD, login, make_user
from tests.drive_support import make_drive, make_world
from tests.factories import count_rows
from tests.proposals_support import make_proposal_world
from tracker.auth.models import RescuedForm, Role, UserSession
from tracker.auth.sessions import SESSION_KEY
from tracker.db import utcnow
from tracker.drives.models import Pledge
from tracker.extensions import db
from tracker.proposals import services as proposals

TYPED = "Customs may hold the analyser for weeks; we ship it in advance. «Свинец»"


@pytest.fixture
def world(app):
    return make_proposal_world()


def _user(client, language: str = "en"):
    user = make_user(Role.ADMIN, email=f"admin-{language}@example.org", language=language)
    login(client, user)
    return user


def _idle(user) -> None:
    """Let the user's session sit idle past the limit, as after a long phone call."""
    for record in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        record.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()


def _logged_out_elsewhere(client) -> str:
    """Log out in another tab: the shared cookie loses the session and its CSRF token."""
    stale = client.csrf_token()
    client.post("/logout")
    return stale


def _login_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match, html
    return unescape(match.group(1))


def _textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, name
    return unescape(match.group(1)).strip()


def _editor_post(world) -> tuple[str, dict[str, str]]:
    url = f"/applications/{world.application.id}/proposal"
    return url, {"executive_summary_en": "A new summary", "risks_en": TYPED,
                 "risks_ru": "Таможня может задержать анализатор."}


def _relogin_and_get_back(client, page, email: str):
    action = _login_action(page.text)
    assert action.startswith("/login?next=")
    response = client.post(action, data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client.get(response.headers["Location"])


def test_saving_the_editor_after_the_session_went_idle_keeps_every_word(client, world):
    user = _user(client)
    url, typed = _editor_post(world)
    _idle(user)

    page = client.post(url, data=typed)

    assert page.status_code == 401
    assert "Your session ended; log in again to save what you typed" in page.text
    assert "after 30 minutes without activity" in page.text
    assert "The request could not be understood" not in page.text
    assert TYPED not in str([s.body_en for s in proposals.sections_of(world.application).values()])

    form = _relogin_and_get_back(client, page, user.email)
    assert form.status_code == 200
    assert "What you typed before the session ended is back in the form" in form.text
    assert _textarea(form.text, "risks_en") == TYPED
    assert _textarea(form.text, "risks_ru") == "Таможня может задержать анализатор."
    assert _textarea(form.text, "executive_summary_en") == "A new summary"
    # The user presses Save: now it is saved.
    saved = client.post(url, data=typed, follow_redirects=True)
    assert "is saved" in saved.text
    sections = proposals.sections_of(world.application)
    assert any(section.body_en == TYPED for section in sections.values())


def test_the_editor_after_logging_out_in_another_tab_keeps_the_text(client, world):
    user = _user(client)
    url, typed = _editor_post(world)
    stale = _logged_out_elsewhere(client)

    page = client.post(url, data={**typed, "csrf_token": stale}, csrf=False)

    assert page.status_code == 401
    assert "log in again to save what you typed" in page.text
    form = _relogin_and_get_back(client, page, user.email)
    assert _textarea(form.text, "risks_en") == TYPED


def test_a_stale_token_while_logged_in_shows_the_form_again_pre_filled(client, world):
    _user(client)
    url, typed = _editor_post(world)

    response = client.post(url, data={**typed, "csrf_token": "stale"}, csrf=False)

    assert response.status_code == 303
    form = client.get(response.headers["Location"])
    assert "This page had expired, so nothing was saved yet" in form.text
    assert _textarea(form.text, "risks_en") == TYPED
    assert count_rows(RescuedForm) == 0  # read once, then gone
    again = client.get(response.headers["Location"])
    assert _textarea(again.text, "risks_en") != TYPED


def test_a_campaign_edit_comes_back_in_russian_after_the_session_ended(client, world):
    user = _user(client, "ru")
    url = f"/campaigns/{world.coalition.campaign.slug}/edit"
    edit_page = client.get(url)
    assert edit_page.status_code == 200
    _idle(user)

    page = client.post(url, data={"title_en": "Lead-free paint by 2030",
                                  "summary_ru": "Краски без свинца к 2030 году"})

    assert page.status_code == 401
    assert "Сеанс завершён; войдите снова, чтобы сохранить введённое" in page.text
    form = _relogin_and_get_back(client, page, user.email)
    assert "Введённое вами до окончания сеанса снова в форме" in form.text
    assert "Lead-free paint by 2030" in form.text
    assert "Краски без свинца к 2030 году" in unescape(form.text)
    db.session.expire_all()
    assert world.coalition.campaign.title_en != "Lead-free paint by 2030"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_pledge_with_a_stale_token_is_not_logged_but_comes_back(client, app, language):
    drive = make_drive(make_world())
    _user(client, language)
    url = f"/drives/{drive.slug}/pledges/new"
    before = count_rows(Pledge)

    response = client.post(url, data={"amount": "2500", "currency": "RUB",
                                      "pledged_on": "2026-03-01", "pledger_name": "Irina K.",
                                      "csrf_token": "stale"}, csrf=False)

    assert response.status_code == 303
    assert count_rows(Pledge) == before
    form = client.get(response.headers["Location"])
    assert 'value="Irina K."' in form.text and 'value="2500"' in form.text
    expected = {"en": "This page had expired", "ru": "Страница устарела"}[language]
    assert expected in form.text


def test_a_pledge_after_the_session_ended_comes_back_after_logging_in(client, app):
    drive = make_drive(make_world())
    user = _user(client)
    _idle(user)
    before = count_rows(Pledge)

    page = client.post(f"/drives/{drive.slug}/pledges/new",
                       data={"amount": "2500", "currency": "RUB", "pledged_on": "2026-03-01",
                             "pledger_name": "Irina K."})

    assert page.status_code == 401 and count_rows(Pledge) == before
    form = _relogin_and_get_back(client, page, user.email)
    assert 'value="Irina K."' in form.text


def test_passwords_and_the_token_are_never_kept(client, world):
    _user(client)
    response = client.post("/account/password", csrf=False, data={
        "current_password": "secret-old", "new_password": "secret-new",
        "confirm_password": "secret-new", "csrf_token": "stale"})
    assert response.status_code == 400  # nothing but passwords: nothing to keep
    assert "This page had expired" in response.text
    assert count_rows(RescuedForm) == 0
    url, typed = _editor_post(world)
    client.post(url, data={**typed, "csrf_token": "stale", "password": "x"}, csrf=False)
    stored = db.session.scalar(select(RescuedForm))
    assert "csrf" not in stored.fields and "password" not in stored.fields


def test_someone_else_cannot_take_the_text_kept_for_a_user(client, world):
    _user(client)
    url, typed = _editor_post(world)
    location = client.post(url, data={**typed, "csrf_token": "stale"},
                           csrf=False).headers["Location"]
    other = make_user(Role.ADMIN, email="other@example.org")
    login(client, other)
    assert _textarea(client.get(location).text, "risks_en") != TYPED
    assert count_rows(RescuedForm) == 1


def test_logout_and_the_language_switch_are_never_replayed(client, world):
    _user(client)
    for path, data in (("/logout", {}), ("/language", {"language": "ru", "next": "/"})):
        response = client.post(path, data={**data, "csrf_token": "stale"}, csrf=False)
        assert response.status_code == 400
        assert "This page had expired" in response.text
        assert "Back to the page" in response.text
    assert count_rows(RescuedForm) == 0
    with client.session_transaction() as session:
        assert session.get(SESSION_KEY) and session.get("lang") == "en"
    assert client.get("/account").status_code == 200


def test_a_stale_login_form_asks_again_without_a_bare_400(client, world):
    response = client.post("/login", csrf=False, data={"email": "a@example.org",
                                                      "password": "x", "csrf_token": "stale"})
    assert response.status_code == 400
    assert "This page had expired. Please log in again." in response.text
    assert 'name="password"' in response.text


def test_a_visitor_not_logged_in_cannot_fill_the_database_with_kept_text(client, world):
    url = f"/campaigns/{world.coalition.campaign.slug}/edit"
    answers = [client.post(url, data={"title_en": f"Spam {n}"}).status_code for n in range(21)]
    assert answers[:20] == [401] * 20
    assert answers[20] == 302  # simply asked to log in; nothing more is stored
    assert count_rows(RescuedForm) == 20


def test_the_editor_s_preview_after_the_session_ended_keeps_nothing_and_says_why(client, world):
    user = _user(client)
    url = f"/applications/{world.application.id}/proposal/preview"
    token = client.csrf_token()
    stale = client.post(url, data={"text": "# Title"}, csrf=False,
                        headers={"X-CSRFToken": "stale", "Accept": "application/json"})
    assert stale.status_code == 400
    assert stale.json == {"error": "This page had expired. Please reload it."}
    _idle(user)
    client.post(url, data={"text": "# Title"}, csrf=False,
                headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert count_rows(RescuedForm) == 0


def test_the_editor_marks_a_rescued_or_refused_text_as_unsaved_for_its_draft(client, world):
    user = _user(client)
    url, typed = _editor_post(world)
    page = client.get(url)
    assert f'data-draft-key="tracker:proposal-draft:{world.application.id}:{user.id}"' in page.text
    assert "data-unsaved" not in page.text and "js/proposal-draft." in page.text
    assert "Restored your unsaved draft from {time}." in page.text
    location = client.post(url, data={**typed, "csrf_token": "stale"},
                           csrf=False).headers["Location"]
    assert 'data-unsaved="1"' in client.get(location).text
    refused = client.post(url, data={**typed, "risks_en": "x" * 100_000})
    assert refused.status_code == 422 and 'data-unsaved="1"' in refused.text


def test_text_kept_after_an_idle_session_goes_back_to_its_author_only(client, world):
    author = _user(client)
    url, typed = _editor_post(world)
    _idle(author)
    page = client.post(url, data=typed)
    assert page.status_code == 401
    action = _login_action(page.text)
    make_user(Role.ADMIN, email="colleague@example.org")
    response = client.post(action, data={"email": "colleague@example.org",
                                         "password": TEST_PASSWORD})
    assert _textarea(client.get(response.headers["Location"]).text, "risks_en") != TYPED
    assert count_rows(RescuedForm) == 1  # still there for its author
