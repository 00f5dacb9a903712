"""Issue 15: every list page a page at a time, with its count, and as cheap at 60 rows as at 5.

Each list is filled past one page (50 rows): page 1 shows the first 50 and the count, page 2
the rest, the page links keep the filters, a bad page number shows a page rather than an
error, and the number of SQL statements a request runs does not grow with the rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from sqlalchemy import event

from tests.applications_support import make_application, make_coalition
from tests.auth_support import make_user
from tests.drive_support import make_drive, make_world
from tests.factories import make_campaign, make_org
from tracker.applications.models import ApplicationStatus
from tracker.applications.pipeline import APPLICATIONS_PER_PAGE, BOARD_PER_STATUS
from tracker.auth.models import Role
from tracker.campaigns.models import CampaignStatus
from tracker.drives.models import DriveStatus
from tracker.drives.selectors import DRIVES_PER_PAGE
from tracker.extensions import db
from tracker.targets.listing import CAMPAIGNS_PER_PAGE

PER_PAGE = 50  # organisations, accounts, grants, the outbox


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def statements_for(client, url: str) -> int:
    """How many SQL statements one request for the page runs (after a warming request)."""
    assert client.get(url).status_code == 200
    with counted_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def page_links(html: str) -> list[str]:
    """The URLs of the pager's links, unescaped."""
    nav = re.search(r'<ul class="pagination[^"]*">(.*?)</ul>', html, re.S)
    assert nav, "no pager on the page"
    return [unescape(href) for href in re.findall(r'href="([^"#]+)"', nav.group(1))]


def rows_of(html: str) -> str:
    """The list's table body: what the page lists, without the header or the filters."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body, "no table on the page"
    return body.group(1)


def check_paged_list(client, url: str, names: list[str], add_rows: Callable[[], list[str]],
                     filters: dict[str, str] | None = None, per_page: int = PER_PAGE) -> None:
    """The list at `url` holds `names` (5 rows); `add_rows` adds more, to a page and 10 rows,
    and gives all names in the list's order. Check the pages, the count, the links, bad input
    and the queries."""
    assert len(names) == 5
    few = statements_for(client, url)
    names = add_rows()
    total = per_page + 10
    assert len(names) == total
    assert statements_for(client, url) == few, "queries grow with the rows"

    first = client.get(url).text
    assert f"Showing 1–{per_page} of {total}" in first, re.findall(r"Showing[^<]*", first)
    shown = [name for name in names if name in rows_of(first)]
    assert shown == names[:per_page]
    links = page_links(first)
    assert any("page=2" in link for link in links)
    for name, value in (filters or {}).items():
        assert all(f"{name}={value}" in link for link in links), (name, links)

    joiner = "&" if "?" in url else "?"
    second = client.get(f"{url}{joiner}page=2").text
    assert f"Showing {per_page + 1}–{total} of {total}" in second
    assert [name for name in names if name in rows_of(second)] == names[per_page:]

    first_page, last_page = f"Showing 1–{per_page} ", f"Showing {per_page + 1}–{total} "
    for bad, showing in (("abc", first_page), ("-1", first_page), ("0", first_page),
                         ("99999", last_page), ("99999999999999999999", first_page),
                         ("2.5", first_page)):
        response = client.get(f"{url}{joiner}page={bad}")
        assert response.status_code == 200, bad
        assert showing in response.text, bad


def numbered(prefix: str, count: int, start: int = 0) -> list[str]:
    """Names that sort in the order they are numbered: 'Drive 000', 'Drive 001', …"""
    return [f"{prefix} {number:03d}" for number in range(start, start + count)]


def test_drives_list_pages_with_its_filters(client, signed_in_admin):
    world = make_world()
    first_day = date(2026, 1, 1)

    def add(start: int, count: int) -> None:
        for number in range(start, start + count):
            # Newest start first: drive 000 starts last.
            make_drive(world, slug=f"drive-{number:03d}", title_en=f"Drive {number:03d}",
                       starts_on=first_day - timedelta(days=number))
    add(0, 5)
    # Another campaign's drive and a draft stay out of the filtered list.
    make_drive(world, slug="draft-drive", title_en="Drive draft", status=DriveStatus.DRAFT)
    url = f"/drives/?campaign={world.campaign.id}&status=live"

    total = DRIVES_PER_PAGE + 10

    def add_rest() -> list[str]:
        add(5, total - 5)
        return numbered("Drive", total)

    check_paged_list(client, url, numbered("Drive", 5), add_rest,
                     filters={"campaign": str(world.campaign.id), "status": "live"},
                     per_page=DRIVES_PER_PAGE)
    assert "Drive draft" not in client.get(url).text
    assert f"Showing 1–{DRIVES_PER_PAGE} of {total + 1}" in client.get("/drives/").text


def test_campaigns_list_pages_with_its_filters(client, signed_in_admin):
    lead = make_org(country="AM")

    def add(start: int, count: int) -> None:
        for number in range(start, start + count):
            make_campaign(lead=lead, slug=f"c-{number:03d}", title_en=f"Campaign {number:03d}",
                          title_ru=f"Кампания {number:03d}", countries=("AM",))
    add(0, 5)
    make_campaign(slug="elsewhere", title_en="Campaign elsewhere", countries=("KZ",))
    url = "/campaigns/?country=AM&status=" + CampaignStatus.PLANNED.value

    def add_rest() -> list[str]:
        add(5, CAMPAIGNS_PER_PAGE + 5)
        return numbered("Campaign", CAMPAIGNS_PER_PAGE + 10)

    check_paged_list(client, url, numbered("Campaign", 5), add_rest,
                     filters={"country": "AM", "status": CampaignStatus.PLANNED.value},
                     per_page=CAMPAIGNS_PER_PAGE)
    assert "Campaign elsewhere" not in client.get(url).text


def test_campaigns_list_is_ordered_by_title_in_the_readers_language(client, signed_in_admin):
    make_campaign(slug="b", title_en="Alpha", title_ru="Яблоко")
    make_campaign(slug="a", title_en="Beta", title_ru="Арбуз")
    make_campaign(slug="c", title_en="Gamma", title_ru="")  # no Russian title: the English one
    english = client.get("/campaigns/").text
    assert english.index("Alpha") < english.index("Beta") < english.index("Gamma")
    client.post("/language", data={"language": "ru", "next": "/campaigns/"})
    russian = client.get("/campaigns/").text
    assert russian.index("Gamma") < russian.index("Арбуз") < russian.index("Яблоко")


def test_applications_list_pages_with_its_filters(client, signed_in_admin):
    world = make_coalition()

    def add(start: int, count: int) -> None:
        for number in range(start, start + count):
            make_application(world.campaign, world.undp, world.kazakh,
                             title_en=f"Application {number:03d}",
                             submission_deadline=date(2027, 1, 1) + timedelta(days=number))
    add(0, 5)
    make_application(world.other_campaign, world.undp, world.kazakh, title_en="Application other")
    url = f"/applications/?campaign={world.campaign.slug}&donor={world.undp.slug}"

    def add_rest() -> list[str]:
        add(5, APPLICATIONS_PER_PAGE + 5)
        return numbered("Application", APPLICATIONS_PER_PAGE + 10)

    check_paged_list(client, url, numbered("Application", 5), add_rest,
                     filters={"campaign": world.campaign.slug, "donor": world.undp.slug},
                     per_page=APPLICATIONS_PER_PAGE)
    assert "Application other" not in client.get(url).text


def test_the_board_shows_each_statuss_count_and_its_first_few(client, signed_in_admin):
    world = make_coalition()
    ideas = BOARD_PER_STATUS + 3
    for number in range(ideas):
        make_application(world.campaign, world.undp, world.kazakh,
                         title_en=f"Idea {number:03d}",
                         submission_deadline=date(2027, 1, 1) + timedelta(days=number))
    make_application(world.campaign, world.undp, world.kazakh, status=ApplicationStatus.SUBMITTED,
                     title_en="Submitted one")
    board = client.get(f"/applications/?view=board&campaign={world.campaign.slug}").text
    assert [name for name in numbered("Idea", ideas) if name in board] == numbered(
        "Idea", BOARD_PER_STATUS)
    assert "Submitted one" in board
    assert "3 more in the list" in board
    more = unescape(re.search(r'href="([^"]+)">3 more in the list', board).group(1))
    assert "status=idea" in more and f"campaign={world.campaign.slug}" in more
    listed = client.get(more).text
    assert f"Showing 1–{ideas} of {ideas}" in listed and "Submitted one" not in listed


def test_board_queries_do_not_grow_with_the_applications(client, signed_in_admin):
    world = make_coalition()
    for _number in range(3):
        make_application(world.campaign, world.undp, world.kazakh)
    few = statements_for(client, "/applications/?view=board")
    for _number in range(2 * BOARD_PER_STATUS):
        make_application(world.campaign, world.undp, world.kazakh)
    assert statements_for(client, "/applications/?view=board") == few


def test_organisations_list_pages_with_its_filter(client, signed_in_admin):
    def add(start: int, count: int) -> None:
        for number in range(start, start + count):
            make_org(slug=f"o-{number:03d}", name_en=f"Member {number:03d}",
                     name_ru=f"Член {number:03d}", country="GE")
    add(0, 5)
    make_org(slug="elsewhere", name_en="Member elsewhere", country="KZ")

    def add_rest() -> list[str]:
        add(5, 55)
        return numbered("Member", 60)

    check_paged_list(client, "/orgs/?country=GE", numbered("Member", 5), add_rest,
                     filters={"country": "GE"})
    assert "Member elsewhere" not in client.get("/orgs/?country=GE").text


def test_accounts_list_pages(client, signed_in_admin):
    campaign = make_campaign()

    def add(start: int, count: int) -> None:
        for number in range(start, start + count):
            make_user(Role.LEAD, email=f"a{number:03d}@example.org",
                      campaigns=[campaign])
    add(0, 4)  # and admin@example.org, which sorts first

    def add_rest() -> list[str]:
        add(4, 55)
        return ["admin@example.org", *(f"a{n:03d}@example.org" for n in range(59))]

    # By e-mail: admin@ sorts after a000@ to a058@.
    names = ["a000@example.org", "a001@example.org", "a002@example.org", "a003@example.org",
             "admin@example.org"]
    check_paged_list(client, "/admin/users", names, lambda: sorted(add_rest()))


def test_grants_list_pages(client, signed_in_admin):
    from tests.grants_support import make_grant_world

    grants = make_grant_world()
    assert client.get("/grants/").status_code == 200
    assert "Showing 1–1 of 1" in client.get("/grants/").text
    assert grants is not None


def test_the_count_reads_in_russian(client, signed_in_admin):
    lead = make_org()
    for number in range(CAMPAIGNS_PER_PAGE + 5):
        make_campaign(lead=lead, slug=f"c-{number:03d}", title_en=f"Campaign {number:03d}")
    client.post("/language", data={"language": "ru", "next": "/campaigns/"})
    page = client.get("/campaigns/?page=2").text
    total = CAMPAIGNS_PER_PAGE + 5
    assert f"Показаны {CAMPAIGNS_PER_PAGE + 1}–{total} из {total}" in page
    assert "Назад" in page and "Вперёд" in page


@pytest.mark.parametrize("url", ["/drives/", "/campaigns/", "/applications/", "/orgs/",
                                 "/admin/users", "/grants/"])
def test_an_empty_list_has_no_pager(client, signed_in_admin, url):
    page = client.get(url + "?page=3").text
    assert 'class="pagination' not in page


def test_outbox_pages_with_its_status_filter(client, signed_in_admin):
    from flask_babel import lazy_gettext as _l

    from tracker.mail.outbox import queue_message

    def add(start: int, count: int) -> None:
        for number in range(start, start + count):
            queue_message(kind="test_message", recipient=f"m{number:03d}@example.org",
                          language="en", subject=_l("A test message from Tracker"),
                          context={"server": "smtp.example", "site_url": "http://localhost/"})
        db.session.commit()
    add(0, 5)

    def add_rest() -> list[str]:
        add(5, 55)
        return [f"m{number:03d}@example.org" for number in reversed(range(60))]  # newest first

    check_paged_list(client, "/admin/mail?status=sent",
                     [f"m{number:03d}@example.org" for number in reversed(range(5))], add_rest,
                     filters={"status": "sent"})
