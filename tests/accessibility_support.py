"""The accessibility crawl: every page a user can open with GET, checked by axe-core.

The pages come from the access matrix (tests/test_access.py): each GET route of the URL
map, on the records of its world, opened by whoever the matrix lets in (an anonymous
visitor for public pages, else a coordinator, else an administrator). Files (PDF, XLSX,
CSV, ICS, JSON) are told apart by how they are served: as a download, or with a content
type other than HTML.
Each HTML page is opened once a language and checked at both widths: axe runs at
1366 px, the viewport is narrowed to 390 px and axe runs again in the same document;
the two languages go side by side, one's page loading while axe works on the other's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.auth_support import TEST_PASSWORD
from tests.catalogue_support import english_left_in
from tests.test_access import ADMIN, ANONYMOUS, COORDINATOR, ROUTES, World

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDE = {"width": 1366, "height": 768}
NARROW = {"width": 390, "height": 844}
LOCALES = {"en": "en-GB", "ru": "ru-RU"}

# axe started in the page without waiting for it (so that the other language's page
# loads meanwhile), then its violations collected, each with the CSS selectors of the
# elements that break the rule.
START_AXE = """(tags) => {
  window.trackerAxe = axe.run(document, {runOnly: {type: 'tag', values: tags},
                                         resultTypes: ['violations']})
    .then(results => results.violations.map(v => ({
      rule: v.id, help: v.help, targets: v.nodes.map(n => n.target.join(' '))})));
}"""
AXE_RESULTS = "() => window.trackerAxe"
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


def log_in(context: BrowserContext, base_url: str, email: str) -> None:
    """Sign in through the login form, as a person would."""
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.locator("form:has(#password) [type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()
    page.close()


def open_page(page: Page, base_url: str, path: str, crawl: LanguageCrawl) -> bool | None:
    """Open the page at the laptop width and start axe on it.

    True when axe is running; None for a file (a download, or a type other than HTML);
    False for a page that did not open with 200 (noted in the crawl).
    """
    page.set_viewport_size(WIDE)
    try:
        response = page.goto(base_url + path)
    except PlaywrightError as error:
        if "Download is starting" in error.message:
            return None
        raise
    if response is not None and not response.headers.get("content-type", "").startswith(
            "text/html"):
        return None
    if response is None or response.status != 200 or page.url != base_url + path:
        crawl.refused.append(f"{path}: {response.status if response else '-'} {page.url}")
        return False
    page.evaluate(START_AXE, WCAG_TAGS)
    return True


def collect_axe(page: Page, path: str, width: int, crawl: LanguageCrawl) -> None:
    """Wait for the axe run started on the page and keep its violations."""
    for found in page.evaluate(AXE_RESULTS):
        crawl.violations.append(Violation(path, width, found["rule"], found["help"],
                                          tuple(found["targets"])))


def crawl_languages(browser: Browser, base_url: str, staff: dict[str, dict[str, str]],
                    targets: list[tuple[str, str, str]],
                    user_data: Iterable[str]) -> dict[str, LanguageCrawl]:
    """Both languages side by side: a context per language and visitor (signed in once).

    Each page is opened in both languages before either's axe result is awaited, so that
    one language's page loads while axe runs on the other's.
    """
    crawls = {language: LanguageCrawl() for language in LOCALES}
    typed_by_users = tuple(user_data)
    contexts: list[BrowserContext] = []
    tabs: dict[str, dict[str, Page]] = {}
    try:
        for language, locale in LOCALES.items():
            tabs[language] = {}
            for actor in (ANONYMOUS, COORDINATOR, ADMIN):
                context = browser.new_context(locale=locale, viewport=WIDE)
                context.set_default_timeout(15_000)
                # Given to the context once, axe is in every page it opens, before the
                # page's scripts and under its Content Security Policy (no script tags).
                context.add_init_script(path=AXE_SCRIPT)
                contexts.append(context)
                if actor in staff[language]:
                    log_in(context, base_url, staff[language][actor])
                tabs[language][actor] = context.new_page()
        for actor, endpoint, path in targets:
            opened = []
            for language, crawl in crawls.items():  # English first: it tells files apart
                started = open_page(tabs[language][actor], base_url, path, crawl)
                if started is None:
                    break
                crawl.pages[path] = endpoint
                if started:
                    opened.append(language)
            for language in opened:
                page = tabs[language][actor]
                collect_axe(page, path, WIDE["width"], crawls[language])
                page.set_viewport_size(NARROW)
                page.evaluate(START_AXE, WCAG_TAGS)
            for language in opened:
                page = tabs[language][actor]
                collect_axe(page, path, NARROW["width"], crawls[language])
                if language == "ru" and endpoint not in RECORDED_VALUES:
                    english = english_left_in(page.evaluate(VISIBLE_TEXT), typed_by_users)
                    if english:
                        crawls[language].untranslated[path] = english
    finally:
        for context in contexts:
            context.close()
    return crawls
