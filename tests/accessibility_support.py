"""The accessibility crawl: every page a user can open with GET, checked by axe-core.

The pages come from the access matrix (tests/test_access.py): each GET route of the URL
map, on the records of its world, opened by whoever the matrix lets in (an anonymous
visitor for public pages, else a coordinator, else an administrator). Files (PDF, XLSX,
CSV, ICS, JSON) are told apart by the content type they are served with, asked once.
Each HTML page is opened once a language and checked at both widths: axe runs at
1366 px, the viewport is narrowed to 390 px and axe runs again in the same document.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.auth_support import TEST_PASSWORD
from tests.test_access import ADMIN, ANONYMOUS, COORDINATOR, ROUTES, World

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
CATALOGUE = Path(__file__).parents[1] / "tracker" / "translations" / "ru" / "LC_MESSAGES" / \
    "messages.po"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDE = {"width": 1366, "height": 768}
NARROW = {"width": 390, "height": 844}
LOCALES = {"en": "en-GB", "ru": "ru-RU"}

# axe's violations, each with the CSS selectors of the elements that break the rule.
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                           resultTypes: ['violations']});
  return results.violations.map(v => ({rule: v.id, help: v.help,
                                       targets: v.nodes.map(n => n.target.join(' '))}));
}"""
# The page's visible text without its History section (recorded values in any language).
VISIBLE_TEXT = """() => {
  const history = document.getElementById('history');
  if (history) history.style.display = 'none';
  const text = document.body.innerText;
  if (history) history.style.display = '';
  return text;
}"""
# The audit trail lists recorded values as they were stored, like a record's History
# section (left out of every page's text below): neither is read for untranslated messages.
RECORDED_VALUES = frozenset({"audit.index"})
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sd]|\{\w*\}")


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on one page at one width."""

    path: str
    width: int
    rule: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return (f"{self.path} at {self.width} px: {self.rule} ({self.help}) on "
                + ", ".join(self.targets[:6]) + (" …" if len(self.targets) > 6 else ""))


@dataclass
class LanguageCrawl:
    """What one language's crawl found."""

    pages: dict[str, str] = field(default_factory=dict)  # path -> endpoint
    refused: list[str] = field(default_factory=list)  # pages that did not open with 200
    violations: list[Violation] = field(default_factory=list)
    untranslated: dict[str, list[str]] = field(default_factory=dict)  # path -> messages
    seconds: float = 0.0


def crawl_targets(app: Flask, world: World) -> list[tuple[str, str, str]]:
    """(actor, endpoint, path) for every GET route: public pages anonymously, else staff."""
    targets = []
    for (endpoint, method), expect_ in ROUTES.items():
        if method != "GET" or endpoint == "static":
            continue
        if any(app.config.get(name) != value for name, value in expect_.settings):
            continue  # a page that exists under other settings only (development)
        if ANONYMOUS in expect_.allowed:
            actor = ANONYMOUS
        elif COORDINATOR in expect_.allowed:
            actor = COORDINATOR
        elif ADMIN in expect_.allowed:
            actor = ADMIN
        else:
            continue
        targets.append((actor, endpoint, expect_.path(world)))
    return targets


def translated_messages() -> list[str]:
    """The catalogue's English messages of two words or more that Russian says otherwise.

    A message with placeholders contributes its literal stretches of two words or more.
    """
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po, locale="ru")
    found: set[str] = set()
    for message in catalogue:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(not s for s in strings) or set(ids) == set(strings):
            continue
        for text in ids:
            for stretch in PLACEHOLDER.split(text):
                stretch = " ".join(stretch.split()).strip(" :.,;·—-")
                if len(re.findall(r"[A-Za-z]+", stretch)) >= 2 and stretch not in strings:
                    found.add(stretch)
    return sorted(found, key=len, reverse=True)


def untranslated_in(text: str, messages: Iterable[str], user_data: Iterable[str]) -> list[str]:
    """The English messages that stand whole-worded in the text, user data aside."""
    text = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    for value in user_data:
        text = text.replace(value, " ")
    return [m for m in messages if m in text
            and re.search(r"(?<![\w’'])" + re.escape(m) + r"(?![\w’'])", text)]


def log_in(context: BrowserContext, base_url: str, email: str) -> None:
    """Sign in through the login form, as a person would."""
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.locator("form:has(#password) [type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()
    page.close()


def is_html(context: BrowserContext, url: str) -> bool:
    """Whether the address is served as a page (not a PDF, XLSX, CSV, ICS or JSON file)."""
    response = context.request.get(url, max_redirects=0)
    try:
        return response.headers.get("content-type", "").startswith("text/html")
    finally:
        response.dispose()


def check_page(page: Page, base_url: str, path: str, crawl: LanguageCrawl,
               messages: list[str] | None, user_data: Iterable[str]) -> None:
    """Open the page, run axe at both widths, and look for English on a Russian screen.

    `messages` is None where the page's words are not looked at (English, or a page
    listing recorded values).
    """
    page.set_viewport_size(WIDE)
    response = page.goto(base_url + path)
    if response is None or response.status != 200 or page.url != base_url + path:
        crawl.refused.append(f"{path}: {response.status if response else '-'} {page.url}")
        return
    for size in (WIDE, NARROW):
        if size is NARROW:
            page.set_viewport_size(NARROW)
        for found in page.evaluate(RUN_AXE, WCAG_TAGS):
            crawl.violations.append(Violation(path, size["width"], found["rule"], found["help"],
                                              tuple(found["targets"])))
    if messages is not None:
        english = untranslated_in(page.evaluate(VISIBLE_TEXT), messages, user_data)
        if english:
            crawl.untranslated[path] = english


def crawl_language(browser: Browser, base_url: str, language: str, staff: dict[str, str],
                   targets: list[tuple[str, str, str]], html: dict[str, bool],
                   user_data: Iterable[str]) -> LanguageCrawl:
    """One language: a context per visitor (signed in once), every page at both widths.

    `html` remembers which addresses are pages, so that files are fetched once a crawl.
    """
    started = time.monotonic()
    crawl = LanguageCrawl()
    messages = translated_messages() if language == "ru" else None
    contexts = {}
    try:
        for actor in (ANONYMOUS, COORDINATOR, ADMIN):
            context = browser.new_context(locale=LOCALES[language], viewport=WIDE)
            # Given to the context once, axe is in every page it opens, before the page's
            # own scripts and under its Content Security Policy (which forbids a script tag).
            context.add_init_script(path=AXE_SCRIPT)
            context.set_default_timeout(15_000)
            contexts[actor] = context
            if actor in staff:
                log_in(context, base_url, staff[actor])
        tabs = {actor: context.new_page() for actor, context in contexts.items()}
        for actor, endpoint, path in targets:
            if path not in html:
                html[path] = is_html(contexts[actor], base_url + path)
            if not html[path]:
                continue
            crawl.pages[path] = endpoint
            check_page(tabs[actor], base_url, path, crawl,
                       None if endpoint in RECORDED_VALUES else messages, user_data)
    finally:
        for context in contexts.values():
            context.close()
    crawl.seconds = time.monotonic() - started
    return crawl
