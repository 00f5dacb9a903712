"""Every page passes axe-core's WCAG 2.2 A and AA rules, in English and Russian, on a
laptop (1366 px) and a phone (390 px); and no Russian screen shows a message the
catalogue translates still in English.

One crawl a database (tests/accessibility_support.py) over the access matrix's world,
which holds one of everything; the tests below read what it found.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser

from tests.accessibility_support import LanguageCrawl, crawl_languages, crawl_targets
from tests.auth_support import make_user
from tests.browser_support import serving
from tests.conftest import SHARED_LIMITER_STORAGE, empty_tables
from tests.test_access import ADMIN, COORDINATOR, build_world
from tracker.auth.models import Role
from tracker.extensions import db, limiter

pytestmark = [pytest.mark.browser]

# What the world's records say in English only: typed by users, not the catalogue's.
USER_DATA = ("XRF team to Chelyabinsk", "Anna Petrova", "Small grants", "XRF testing of paint",
             "Flights", "Paint tested", "Buy paint", "Mercury-free", "Travel",
             "A test message", "pledges.csv", "pledges.xlsx", "receipt.pdf")
# Pages any full crawl must reach (the signed-in, admin-only and public kinds).
LANDMARK_PAGES = ("dashboard.index", "drives.show", "grants.show", "proposals.edit",
                  "auth.users", "drives.public_page", "drives.widget", "auth.login",
                  "auth.reset_password")


@pytest.fixture(scope="module")
def crawls(shared_app: Flask, database_url: str, browser: Browser,
           tmp_path_factory) -> Iterator[dict[str, LanguageCrawl]]:
    """The world committed for the live server, crawled in English and Russian."""
    settings = dict(shared_app.config)
    shared_app.config["PROPOSAL_STORAGE_DIR"] = str(tmp_path_factory.mktemp("a11y"))
    limiter._storage, limiter._limiter = SHARED_LIMITER_STORAGE[shared_app]
    limiter.reset()
    try:
        with shared_app.app_context():
            world, _ = build_world()
            # Staff who chose each language: a login switches to the account's language.
            staff = {language: {
                COORDINATOR: make_user(Role.COORDINATOR, language=language,
                                       email=f"coordinator-{language}@example.org").email,
                ADMIN: make_user(Role.ADMIN, language=language,
                                 email=f"admin-{language}@example.org").email}
                for language in ("en", "ru")}
            targets = crawl_targets(shared_app, world)
            db.session.remove()
            with serving(shared_app) as base_url:
                started = time.monotonic()
                found = crawl_languages(browser, base_url, staff, targets, USER_DATA)
                print(f"\naccessibility crawl: {len(found['en'].pages)} pages × 2 languages × "
                      f"2 widths in {time.monotonic() - started:.1f} s")
            db.session.remove()
        yield found
    finally:
        shared_app.config.clear()
        shared_app.config.update(settings)
        empty_tables(database_url)


def test_the_crawl_opens_every_kind_of_page(crawls):
    """Each language's crawl opened the same pages, all with 200, the landmark ones among them."""
    for language, crawl in crawls.items():
        assert crawl.refused == [], f"{language}: pages that did not open"
        assert set(LANDMARK_PAGES) <= set(crawl.pages.values()), language
    assert crawls["en"].pages == crawls["ru"].pages


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_page_has_no_axe_violations(crawls, language):
    """axe-core finds nothing against WCAG 2.2 A and AA on any page at 1366 and 390 px."""
    violations = crawls[language].violations
    assert violations == [], f"{len(violations)} axe violations ({language}):\n" + "\n".join(
        str(v) for v in violations)


def test_no_untranslated_message_on_russian_screens(crawls):
    """No Russian page shows an English message that the catalogue translates."""
    untranslated = crawls["ru"].untranslated
    assert untranslated == {}, "English on Russian screens:\n" + "\n".join(
        f"{path}: {messages}" for path, messages in untranslated.items())
