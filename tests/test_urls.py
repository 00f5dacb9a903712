"""Absolute links are built from BASE_URL, never from the request's Host (issue 11, finding 10).

A forged Host header must not put another site's address into a share link, an
invitation, a calendar feed or the widget's button: a visitor who copies the link, or
a cache that keeps the page, would send people to the attacker.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from tests.applications_support import Status, make_application, make_coalition
from tests.auth_support import login, make_user
from tests.drive_support import DRIVE_SLUG
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.urls import external_url

FORGED = {"Host": "evil.example"}
BASE = "https://tracker.example.org"


@pytest.fixture
def configured(app: Flask) -> Flask:
    app.config["BASE_URL"] = BASE
    return app


def forging(client) -> dict[str, str]:
    """Copy the session cookie to the forged host, as a browser sent there would hold one."""
    name = client.application.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    client.set_cookie(name, cookie.value, domain="evil.example")
    return FORGED


def absolute_links(html: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>&]+", html)


def test_the_public_share_link_ignores_a_forged_host(configured, client, drive):
    page = client.get(f"/d/{DRIVE_SLUG}", headers=FORGED)
    assert page.status_code == 200
    assert f'value="{BASE}/d/{DRIVE_SLUG}"' in page.text
    assert "evil.example" not in page.text


def test_the_widget_button_ignores_a_forged_host(configured, client, drive):
    widget = client.get(f"/d/{DRIVE_SLUG}/widget", headers=FORGED)
    assert widget.status_code == 200
    assert f'href="{BASE}/d/{DRIVE_SLUG}"' in widget.text
    assert "evil.example" not in widget.text


def test_the_staff_page_share_link_and_embed_code_ignore_a_forged_host(configured, as_lead,
                                                                        drive):
    page = as_lead.get(f"/drives/{DRIVE_SLUG}", headers=forging(as_lead))
    assert page.status_code == 200
    assert f'id="share-link" type="text" readonly value="{BASE}/d/{DRIVE_SLUG}"' in page.text
    assert f'src=&#34;{BASE}/d/{DRIVE_SLUG}/widget&#34;' in page.text
    assert f'e.origin===&#34;{BASE}&#34;' in page.text  # the script trusts only this site
    assert "evil.example" not in page.text


def test_an_invitation_link_ignores_a_forged_host(configured, client):
    login(client, make_user(Role.ADMIN, email="admin@eco-accord.org"))
    token = client.csrf_token()
    page = client.post("/admin/users/invite", headers=forging(client), data={
        "email": "zarina@littleearth.tj", "role": "viewer", "organization": "",
        "language": "en", "csrf_token": token})
    assert page.status_code == 200
    assert re.search(rf'value="{re.escape(BASE)}/invite/[A-Za-z0-9_-]+"', page.text)
    assert "evil.example" not in page.text


def test_the_calendar_link_and_the_feed_ignore_a_forged_host(configured, client):
    world = make_coalition()
    make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                     title_en="Paint survey", title_ru="Обследование красок",
                     submission_deadline=utcnow().date() + timedelta(days=10))
    login(client, make_user(Role.VIEWER, email="viewer@example.org"))
    token = client.csrf_token()
    page = client.post("/deadlines/calendar-link", headers=forging(client),
                       data={"csrf_token": token})
    link = re.search(r'id="calendar-link" type="text" readonly value="([^"]+)"', page.text)
    assert link and link.group(1).startswith(f"{BASE}/deadlines/")
    feed = configured.test_client().get(link.group(1).replace("&amp;", "&")[len(BASE):],
                                        headers=FORGED)
    assert feed.status_code == 200
    body = feed.get_data(as_text=True)
    assert f"{BASE}/applications/" in body.replace("\r\n ", "")
    assert "evil.example" not in body


def test_every_absolute_link_of_the_pages_uses_the_base_url(configured, as_lead, drive):
    for path in (f"/d/{DRIVE_SLUG}", f"/d/{DRIVE_SLUG}/widget", f"/drives/{DRIVE_SLUG}"):
        html = as_lead.get(path, headers=forging(as_lead)).text
        links = [link for link in absolute_links(html) if "/d/" in link]
        assert links, path
        assert all(link.startswith(BASE + "/") for link in links), (path, links)


def test_external_url_works_outside_a_request_for_mail_and_jobs(configured):
    # No request context: what a mail job or a command has.
    assert external_url("drives.public_page", slug="xrf") == f"{BASE}/d/xrf"
    assert external_url("drives.public_page", slug="xrf", _anchor="pledge") == \
        f"{BASE}/d/xrf#pledge"


def test_a_base_url_with_a_path_prefixes_every_link(app):
    app.config["BASE_URL"] = "https://ngo.example.org/tracker"
    assert external_url("drives.widget", slug="a b") == \
        "https://ngo.example.org/tracker/d/a%20b/widget"
    assert external_url("applications.calendar_feed", token="t", lang="ru") == \
        "https://ngo.example.org/tracker/deadlines/t.ics?lang=ru"
