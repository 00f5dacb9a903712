"""Pages go compressed to the site's own requests and as they are to anything else (BREACH):
a page's secrets never travel compressed beside text another site's request put there."""

from __future__ import annotations

import re

import brotli
import pytest

from tests.auth_support import login, make_user
from tests.drive_support import DRIVE_SLUG, make_drive, make_pledge, make_world
from tracker.auth.models import Role

EVERY_ENCODING = "gzip, deflate, br, zstd"
CSRF_VALUE = re.compile(rb'(name="csrf_token"[^>]*value=")[^"]+"')


def get(client, path: str, site: str | None):
    headers = {"Accept-Encoding": EVERY_ENCODING}
    if site is not None:
        headers["Sec-Fetch-Site"] = site
    return client.get(path, headers=headers)


def without_tokens(html: bytes) -> bytes:
    return CSRF_VALUE.sub(rb'\1"', html)


@pytest.fixture
def drive(client):
    """A coordinator signed in, and a drive with a pledge (its page has forms and tokens)."""
    world = make_world()
    login(client, make_user(Role.COORDINATOR, email="coordinator@example.org"))
    drive = make_drive(world)
    make_pledge(drive, amount="5000")
    return drive


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_a_page_the_site_or_the_user_asked_for_comes_compressed(client, drive, site):
    """The staff drive page, for a link on the site or a typed address: brotli, same page."""
    plain = client.get(f"/drives/{DRIVE_SLUG}")
    response = get(client, f"/drives/{DRIVE_SLUG}", site)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert {"Accept-Encoding", "Sec-Fetch-Site"} <= set(response.vary)
    body = brotli.decompress(response.get_data())
    assert b'name="csrf_token"' in body
    assert without_tokens(body) == without_tokens(plain.get_data())
    assert len(response.get_data()) < len(body) / 3
    assert int(response.headers["Content-Length"]) == len(response.get_data())


@pytest.mark.parametrize("site", ["cross-site", "same-site", None])
def test_a_page_another_site_asked_for_comes_as_it_is(client, drive, site):
    """A request from another site, or from a client that does not say, is not compressed."""
    response = get(client, f"/drives/{DRIVE_SLUG}", site)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert "Sec-Fetch-Site" in response.vary
    assert b'name="csrf_token"' in response.get_data()


def test_the_public_page_shared_in_a_messenger_comes_as_it_is_then_compressed(client, drive):
    """Opened from a Telegram link (cross-site) it comes whole; from the site, compressed."""
    client.post("/logout")
    assert "Content-Encoding" not in get(client, f"/d/{DRIVE_SLUG}", "cross-site").headers
    assert get(client, f"/d/{DRIVE_SLUG}", "same-origin").headers["Content-Encoding"] == "br"


def test_downloads_and_data_are_never_compressed_by_the_app(client, drive):
    """A CSV export and JSON answers keep their bytes and headers as they are."""
    export = get(client, f"/drives/{DRIVE_SLUG}/pledges.csv", "same-origin")
    assert export.status_code == 200
    assert "Content-Encoding" not in export.headers
    assert "5000" in export.get_data(as_text=True)
    health = get(client, "/healthz", "same-origin")
    assert "Content-Encoding" not in health.headers
    assert health.get_json() == {"status": "ok", "database": "ok"}


def test_a_client_that_accepts_no_compression_gets_the_page_as_it_is(client, drive):
    """Without Accept-Encoding even the site's own request gets plain HTML."""
    response = client.get(f"/drives/{DRIVE_SLUG}", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert b"<html" in response.get_data()
