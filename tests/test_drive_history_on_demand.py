"""The staff drive page's History is read when the reader opens it, not on every view
(issue 15: reading and describing its events was a fifth of the page, folded shut).

The page's History fold holds a link to the page's full History (it works without a script)
and the address of its latest events alone (`?part=history`), which static/js/history.js
fetches when the fold opens. That part is the page's own History section: the same rights,
the same lines, the same note of the supporters whose contact data it shows.
"""

from __future__ import annotations

import re
from html import unescape

from tests.auth_support import client_as
from tests.drive_support import DRIVE_SLUG, make_pledge
from tests.history_support import details_links, views_of_personal_data
from tracker.auth.models import Role

DRIVE = f"/drives/{DRIVE_SLUG}"


def history_fold(html: str) -> str:
    found = re.search(r'<details class="fold [^"]*" id="history-fold".*?</details>', html, re.S)
    assert found, "the page has no History fold"
    return found.group(0)


def test_the_drive_page_folds_its_history_unread_with_links_to_it(app, world, drive):
    make_pledge(drive, name="Anna Petrova")
    html = client_as(app, Role.COORDINATOR).get(DRIVE).text
    fold = history_fold(html)
    assert "audit-event" not in fold  # no event read for a fold nobody opened
    assert "Anna Petrova" not in fold
    # Without a script, the link opens the page with its whole History.
    assert f'href="{DRIVE}?history_page=1#history"' in unescape(fold)
    assert "Show all changes" in fold
    # With one, the latest events come from here when the fold opens.
    assert f'data-history-part="{DRIVE}?part=history"' in unescape(fold)
    assert "/static/js/history." in html  # the script that fetches it


def test_its_part_is_the_history_section_with_the_latest_events(app, world, drive):
    for number in range(7):
        make_pledge(drive, amount=str(100 + number), name=f"Supporter {number}")
    coordinator = client_as(app, Role.COORDINATOR)
    answer = coordinator.get(f"{DRIVE}?part=history")
    assert answer.status_code == 200
    part = answer.text
    assert part.lstrip().startswith('<section class="mt-5" id="history">')
    assert "<html" not in part  # the section alone, not a page around it
    assert part.count('class="border-start') == 5  # the latest five, as the page showed
    assert "Supporter 6" in part and "Supporter 1" not in part
    # "Show all" leads to the page's full History, not to another part.
    show_all = re.search(r'<a href="([^"]*)#history" class="audit-show-all">', part)
    assert show_all and unescape(show_all.group(1)) == f"{DRIVE}?history_page=1"
    # Its Details links open, as on the page.
    assert all(coordinator.get(link).status_code == 200 for link in details_links(part))


def test_the_page_asked_for_its_history_still_shows_it_open(app, world, drive):
    make_pledge(drive, name="Anna Petrova")
    html = client_as(app, Role.COORDINATOR).get(f"{DRIVE}?history_page=1").text
    fold = history_fold(html)
    assert 'id="history-fold" open' in fold
    assert "audit-event" in fold and "data-history-part" not in fold


def test_only_the_opened_history_notes_the_contact_data_it_shows(app, world, drive):
    pledges = [make_pledge(drive, amount=str(1000 + number), name=f"Supporter {number}",
                           contact_email=f"s{number}@example.org") for number in range(3)]
    coordinator = client_as(app, Role.COORDINATOR)
    before = len(views_of_personal_data())
    coordinator.get(DRIVE)
    assert len(views_of_personal_data()) == before  # the folded History showed no one
    coordinator.get(f"{DRIVE}?part=history")
    look = views_of_personal_data()[-1]
    assert look.changes["supporters"] == len(pledges)
    assert look.changes["pledge_ids"] == ", ".join(str(pledge.id) for pledge in pledges)


def test_its_part_keeps_to_the_readers_rights(app, world, drive):
    make_pledge(drive, name="Anna Petrova", contact_email="anna@example.org")
    viewer = client_as(app, Role.VIEWER)
    part = viewer.get(f"{DRIVE}?part=history").text
    # As on the page: those who may not see supporters' data read "the pledge no. 1".
    assert "created the pledge no. " in part
    assert "anna@example.org" not in part and "Anna Petrova" not in part
    anonymous = app.test_client().get(f"{DRIVE}?part=history")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client_as(app, Role.VIEWER).get("/drives/no-such-drive?part=history").status_code \
        == 404
