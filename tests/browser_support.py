"""A live Tracker server in a thread, for Playwright journeys in Debian's Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from tests.auth_support import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
# Chromium must not try to reach the internet: this machine has none, and the
# attempts slow every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _closing(app: Flask) -> Any:
    """The app, each response's body closed however its sending ends.

    When Chromium drops a connection mid-response (a page left while its CSS loads),
    werkzeug's development server can fail before it closes the body, and WhiteNoise's
    open static file then warns as it is collected: an error under this suite's warning
    filter, in a test that did nothing wrong. Closed here, in the generator's `finally`.
    """

    def wsgi(environ: Any, start_response: Any) -> Iterator[bytes]:
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve the app on a free loopback port for the duration of the block; yield its URL."""
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def log_in(page: Page, base_url: str, email: str) -> None:
    """Sign in through the login form, as a person would (the header may be folded away)."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.locator("form:has(#password) [type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page for one test."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
