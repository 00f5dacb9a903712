"""The header's links are rendered once per language, rights and page, and kept
(tracker.navigation, issue 15): each reader must still see exactly the links their rights
give, the current section marked, in their language, whoever was shown the header before."""

from __future__ import annotations

import re

from tests.auth_support import login, make_user
from tests.fragments_support import rendered_templates
from tests.pages import switch_to_russian
from tests.statements_support import recorded_statements
from tests.test_dashboard_rows import switch_to_english
from tracker.auth.models import Role
from tracker.navigation import kept_navigation


def header_links(page: str) -> dict[str, bool]:
    """The wide header's links: each label, and whether it is marked as the current page."""
    links = page.split('class="navbar-nav flex-row', 1)[1].split("</ul>\n    </li>", 1)[0]
    return {label: "aria-current" in attributes for attributes, label in
            re.findall(r'<a class="(?:nav-link|site-menu-item)([^"]*"[^>]*)>([^<]+)</a>',
                       links)}


def phone_links(page: str) -> list[str]:
    """The phone menu's links, in order."""
    menu = page.split('class="navbar-nav site-phone-panel"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<a [^>]*>([^<]+)</a>", menu)


def test_each_reader_sees_the_links_of_their_own_rights_whoever_came_before(client, app):
    admin = client
    login(admin, make_user(Role.ADMIN, email="admin@example.org"))
    viewer = app.test_client()
    login(viewer, make_user(Role.VIEWER, email="viewer@example.org"))
    coordinator = app.test_client()
    login(coordinator, make_user(Role.COORDINATOR, email="coordinator@example.org"))

    for _ in range(2):  # the second round is served from the kept links
        assert {"Users", "Mail", "Audit trail"} <= set(header_links(admin.get("/").text))
        viewed = viewer.get("/").text
        assert not {"Users", "Mail", "Audit trail", "Supporters’ data"} & set(
            header_links(viewed))
        assert "Campaigns" in header_links(viewed)
        assert "Users" not in phone_links(viewed)
        coordinated = header_links(coordinator.get("/").text)
        assert {"Audit trail", "Supporters’ data"} <= set(coordinated)
        assert not {"Users", "Mail"} & set(coordinated)


def test_the_current_section_is_marked_on_each_page(client):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    for _ in range(2):
        campaigns = header_links(client.get("/campaigns/").text)
        assert campaigns["Campaigns"] and not campaigns["Drives"]
        drives = header_links(client.get("/drives/").text)
        assert drives["Drives"] and not drives["Campaigns"]
        deadlines = header_links(client.get("/deadlines").text)
        assert deadlines["Deadlines"] and not deadlines["Applications"]
        audit = header_links(client.get("/audit/").text)
        assert audit["Audit trail"] and not audit["Campaigns"]


def test_the_links_speak_the_readers_language_and_the_account_stays_their_own(client, app):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    other = app.test_client()
    login(other, make_user(Role.COORDINATOR, email="other@example.org"))
    assert "Campaigns" in header_links(client.get("/").text)
    switch_to_russian(client)
    page = client.get("/").text
    assert "Кампании" in header_links(page) and "Campaigns" not in header_links(page)
    assert "coordinator@example.org" in page
    page = other.get("/").text
    assert "Campaigns" in header_links(page)
    assert "other@example.org" in page and "coordinator@example.org" not in page
    switch_to_english(client)
    assert "Campaigns" in header_links(client.get("/").text)


def test_a_visitor_signed_out_sees_no_links_and_a_login_button(client):
    page = client.get("/login").text
    assert 'class="navbar-nav flex-row' not in page
    assert "Log out" not in page


def test_the_kept_header_reads_nothing_more_from_the_database(client):
    login(client, make_user(Role.ADMIN, email="admin@example.org"))
    client.get("/account")
    with recorded_statements() as first:
        client.get("/account")
    with recorded_statements() as second:
        client.get("/account")
    assert len(second) == len(first)


def test_the_links_are_rendered_once_per_language_rights_and_page(client, app):
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    with app.app_context():
        kept_navigation().clear()  # as a new process: another test may have shown this header
    with rendered_templates(app) as rendered:
        client.get("/account")
        client.get("/account")
        other = app.test_client()
        login(other, make_user(Role.COORDINATOR, email="other@example.org"))
        other.get("/account")
    assert rendered.count("_navigation.html") == 1
    assert rendered.count("auth/account.html") == 3
