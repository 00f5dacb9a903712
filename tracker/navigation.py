"""The header's links (templates/_navigation.html), rendered once per language, rights and
page, and kept (issue 15).

Every staff page drew the same header: eleven links built with url_for, translated and
marked by the current section, a "More" menu by the reader's rights, and the phone menu
repeating them all. What the links show depends only on the language, the application's
root path, the page's endpoint (which link is current), whether someone is signed in and
which of RIGHTS the reader holds, and that is their key; a reader with other rights or
another language gets other links, never someone else's. What differs for each request
(the account's e-mail, the CSRF token, the page the language switch returns to, flashes)
stays in templates/base.html and is rendered each time.

The header's tools (templates/_site_tools.html: the account link, the log-out form and the
language switch) are kept too, with this request's CSRF token cut out (fragments.Holed) and
filled in for each request: they show only the language, the root path, whether someone is
signed in and their e-mail (read with the session on every request), whether this is the
login page, and the page the language switch comes back to, and that is their key.

Kept in memory per process (tracker.fragments), at most KEPT sets of links and of tools.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from tracker.auth.permissions import Action, can
from tracker.auth.sessions import current_user
from tracker.fragments import Holed, KeptFragments, kept, kept_store, kept_with_holes
from tracker.i18n import current_language

NAVIGATION_TEMPLATE = "_navigation.html"
TOOLS_TEMPLATE = "_site_tools.html"
EXTENSION = "tracker.navigation"
TOOLS_EXTENSION = "tracker.navigation.tools"
# The rights the header asks about: each adds a link under "More" (templates/_navigation.html
# reads them from `allowed`, never through can(), so that the key holds all it depends on).
RIGHTS = (Action.VIEW_AUDIT, Action.MANAGE_SUPPORTER_DATA, Action.MANAGE_USERS,
          Action.MANAGE_MAIL)
# The pages' endpoints (about 200) times the two languages and the few sets of rights in use;
# for the tools, the pages and accounts in use.
KEPT = 2048
# Where the template's wide links end and its phone menu begins.
SPLIT = "<!-- site-tools -->"


class Navigation(NamedTuple):
    """The header's links before the account and language tools, and the phone menu after."""

    links: Markup
    menu: Markup


def kept_navigation() -> KeptFragments[Navigation]:
    """The application's kept links (one store per app, created on first use)."""
    return kept_store(EXTENSION, KEPT)


def site_navigation() -> Navigation:
    """The header's links for this reader and page, rendered or taken from the kept ones."""
    signed_in = bool(current_user.is_authenticated)
    allowed = frozenset(right.value for right in RIGHTS if can(current_user, right))
    endpoint = request.endpoint or ""
    key = (current_language(), request.script_root, endpoint, signed_in, allowed)

    def render() -> Navigation:
        html = render_template(NAVIGATION_TEMPLATE, endpoint=endpoint, signed_in=signed_in,
                               allowed=allowed)
        links, menu = html.split(SPLIT)
        return Navigation(Markup(links.strip()), Markup(menu.strip()))

    return kept(kept_navigation(), lambda: key, render)


def kept_tools() -> KeptFragments[Holed]:
    """The application's kept header tools, each with its CSRF token cut out."""
    return kept_store(TOOLS_EXTENSION, KEPT)


def site_tools() -> Markup:
    """The header's account link, log-out form and language switch, with this request's CSRF
    token, rendered or taken from the kept ones."""
    token = generate_csrf()
    signed_in = bool(current_user.is_authenticated)
    back = request.full_path if request.query_string else request.path
    key = (current_language(), request.script_root, signed_in,
           current_user.email if signed_in else "", request.endpoint == "auth.login", back)

    return kept_with_holes(kept_tools(), lambda: key, lambda: render_template(TOOLS_TEMPLATE),
                           {"csrf_token": token})
