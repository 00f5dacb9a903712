"""What a slow connection pays: a coordinator's first visit of four pages weighs at most
150 KB, and a second visit fetches only the pages' HTML (at most 20 KB), no static file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.auth_support import make_user
from tests.browser_support import log_in, serving
from tests.drive_support import DRIVE_SLUG, make_drive, make_pledge, make_world
from tracker.auth.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.commits]

FIRST_VISIT_BUDGET = 150 * 1024
REPEAT_HTML_BUDGET = 20 * 1024


class Recorder:
    """WSGI middleware that remembers each path the live server was asked for."""

    def __init__(self, application: Callable[..., Iterable[bytes]]) -> None:
        self.application = application
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        self.paths.append(environ.get("PATH_INFO", ""))
        return self.application(environ, start_response)


class Transfers:
    """Bytes received from the network per request (headers included), from Chromium's CDP."""

    def __init__(self, page: Page) -> None:
        self.session = page.context.new_cdp_session(page)
        self.session.send("Network.enable")
        self.types: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        self.urls: dict[str, str] = {}
        self.encodings: dict[str, str] = {}
        self.session.on("Network.responseReceived", self._response)
        self.session.on("Network.loadingFinished", self._finished)

    def _response(self, event: dict[str, Any]) -> None:
        self.types[event["requestId"]] = event["type"]
        self.urls[event["requestId"]] = event["response"]["url"]
        headers = {name.lower(): value for name, value in event["response"]["headers"].items()}
        self.encodings[event["requestId"]] = headers.get("content-encoding", "")

    def _finished(self, event: dict[str, Any]) -> None:
        self.bytes[event["requestId"]] = int(event["encodedDataLength"])

    def clear_cache(self) -> None:
        self.session.send("Network.clearBrowserCache")

    def reset(self) -> None:
        self.types.clear()
        self.urls.clear()
        self.bytes.clear()
        self.encodings.clear()

    def documents(self) -> dict[str, int]:
        """Bytes of each page's HTML, by address."""
        return {self.urls[request]: size for request, size in self.bytes.items()
                if self.types.get(request) == "Document"}

    def document_encodings(self) -> set[str]:
        """How the pages' HTML was encoded on the wire."""
        return {self.encodings.get(request, "") for request in self.bytes
                if self.types.get(request) == "Document"}

    def total(self, kind: str | None = None) -> int:
        return sum(size for request, size in self.bytes.items()
                   if kind is None or self.types.get(request) == kind)



def visit(page: Page, base_url: str, paths: Iterable[str]) -> None:
    for path in paths:
        response = page.goto(f"{base_url}{path}", wait_until="load")
        assert response is not None and response.ok, path


def test_pages_are_light_on_a_first_visit_and_lighter_on_the_next(app, page: Page):
    """Dashboard, campaign, drive and public drive: ≤150 KB first, then HTML only, ≤20 KB."""
    world = make_world()
    make_user(Role.COORDINATOR, email="coordinator@example.org")
    drive = make_drive(world)
    make_pledge(drive, amount="5000")
    paths = ["/", f"/campaigns/{world.campaign.slug}", f"/drives/{DRIVE_SLUG}",
             f"/d/{DRIVE_SLUG}"]
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder
    try:
        with serving(app) as base_url:
            transfers = Transfers(page)
            log_in(page, base_url, "coordinator@example.org")
            transfers.clear_cache()
            transfers.reset()
            visit(page, base_url, paths)
            first = transfers.total()
            print(f"first visit: {first} bytes, of which HTML {transfers.total('Document')}")

            transfers.reset()
            recorder.paths.clear()
            visit(page, base_url, paths)
            repeat, pages = transfers.total(), transfers.documents()
            encodings = transfers.document_encodings()
            print(f"repeat visit: {repeat} bytes, of which HTML {sum(pages.values())}")
    finally:
        app.wsgi_app = recorder.application

    assert first <= FIRST_VISIT_BUDGET, f"first visit weighs {first} bytes"
    assert len(pages) == len(paths)
    assert all(size <= REPEAT_HTML_BUDGET for size in pages.values()), pages
    assert encodings == {"br"}  # the site's own pages come compressed (tracker/assets/compression)
    assert repeat == sum(pages.values())  # nothing but the pages came over the network
    assert [path for path in recorder.paths if path.startswith("/static/")] == []
