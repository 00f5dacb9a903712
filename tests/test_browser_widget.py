"""The drive widget on another site, in Chromium: its embed code's frame holds the whole
widget, pledge button included, in English and Russian, on a laptop and on a phone, with
the script that fits the frame and without it; a message from elsewhere resizes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.browser_support import serving
from tests.drive_support import make_drive, make_payment, make_pledge, make_world
from tracker.drives.sharing import WIDGET_HEIGHT, embed_code

# The live server answers in threads of its own, which must see what the test commits.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


def host_page(code: str) -> str:
    """A member NGO's page with the embed code pasted into it."""
    return (f"<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
            f"<title>Our news</title></head><body><h1>Support our drive</h1>{code}</body></html>")


@contextmanager
def open_host(browser: Browser, language: str, width: int, code: str) -> Iterator[Page]:
    """The NGO's page in a browser of this language and width, the widget loaded in it.

    The NGO's site is a server of its own on another port: another origin, and (like the
    widget's server here) a local address, which Chromium lets frame a local page.
    """
    site = Flask("ngo_site")
    site.add_url_rule("/news", "news", lambda: host_page(code))
    context = browser.new_context(locale="ru-RU" if language == "ru" else "en-GB",
                                  viewport={"width": width, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    with serving(site) as host:
        page.goto(f"{host}/news")
        expect(page.frame_locator("iframe").locator("a.btn")).to_be_visible()
        try:
            yield page
        finally:
            context.close()


def assert_button_inside_the_frame(page: Page) -> None:
    """The pledge button lies wholly inside the frame, and the widget needs no scrolling."""
    frame_box = page.locator("iframe").bounding_box()
    button_box = page.frame_locator("iframe").locator("a.btn").bounding_box()
    assert frame_box and button_box
    assert button_box["y"] >= frame_box["y"]
    assert button_box["y"] + button_box["height"] <= frame_box["y"] + frame_box["height"], (
        button_box, frame_box)
    frame = page.frames[1]
    assert frame.evaluate("document.documentElement.scrollHeight <= innerHeight")


@pytest.fixture
def widget_code(app: Flask) -> Iterator[tuple[str, str]]:
    """The live server's address and the drive's embed code, pointing at that server."""
    drive = make_drive(make_world())
    make_payment(make_pledge(drive, amount="120000", name="Ural Green Movement"), "45000")
    make_pledge(drive, amount="15000", name="Anna Petrova")
    with serving(app) as base_url:
        app.config["BASE_URL"] = base_url
        with app.test_request_context():
            yield base_url, embed_code(drive)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("width", [1366, 390])
def test_the_embed_code_fits_its_frame_to_the_widget(browser, widget_code, language, width):
    """With the script: the frame takes the widget's own height; the button is inside."""
    _, code = widget_code
    with open_host(browser, language, width, code) as page:
        frame = page.locator("iframe")
        expect(frame).not_to_have_attribute("height", str(WIDGET_HEIGHT))
        assert_button_inside_the_frame(page)
        content = page.frames[1].evaluate("Math.ceil(document.body.getBoundingClientRect()"
                                          ".height)")
        assert abs(int(frame.get_attribute("height") or 0) - content) <= 20


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("width", [1366, 390])
def test_the_frame_alone_is_tall_enough_for_the_widget(browser, widget_code, language, width):
    """A site that drops the script (or blocks it) still shows the whole widget."""
    _, code = widget_code
    frame_only = code.split("<script>")[0]
    with open_host(browser, language, width, frame_only) as page:
        expect(page.locator("iframe")).to_have_attribute("height", str(WIDGET_HEIGHT))
        assert_button_inside_the_frame(page)


def test_only_the_widget_itself_can_resize_its_frame(browser, widget_code):
    """A message from the host page (or any other origin) with a height is ignored."""
    _, code = widget_code
    with open_host(browser, "en", 1366, code) as page:
        frame = page.locator("iframe")
        expect(frame).not_to_have_attribute("height", str(WIDGET_HEIGHT))
        fitted = frame.get_attribute("height")
        # Messages arrive in order: once the last one is seen, the forged one was handled.
        page.evaluate("""() => new Promise((done) => {
            addEventListener('message', (e) => { if (e.data === 'seen') done(); });
            postMessage({height: 40}, '*');
            postMessage('seen', '*');
        })""")
        assert frame.get_attribute("height") == fitted
        assert_button_inside_the_frame(page)
