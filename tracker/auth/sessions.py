"""Who is asking: the session cookie, the server-side check on every request, the login guard.

The signed cookie holds only a random session token (under SESSION_KEY). Each
request looks the token's hash up in `user_session`; a session that has ended or
timed out is refused and its cookie forgotten. `current_user` is the logged-in
User or ANONYMOUS.

Every endpoint needs a login except the static files, the health check, the
language switch, the login and invitation pages and views marked `@public`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from tracker.auth import services
from tracker.auth.models import SessionEnd, User, UserSession
from tracker.extensions import db

SESSION_KEY = "sid"
# Endpoints of other areas that anyone may reach; this package's own use @public.
ALWAYS_OPEN = frozenset({"static", "core.healthz", "core.set_language"})


class AnonymousUser:
    """The visitor who has not logged in: can do nothing, has no role."""

    is_authenticated = False
    is_active = False
    id = None
    email = ""
    role = None
    language = None
    organization = None
    organization_id = None
    memberships: tuple = ()
    led_campaign_ids: frozenset[int] = frozenset()


ANONYMOUS = AnonymousUser()


def _current_user() -> User | AnonymousUser:
    return g.get("auth_user", ANONYMOUS)


# Type check: a LocalProxy stands for the user or the anonymous visitor.
current_user: User | AnonymousUser = LocalProxy(_current_user)  # type: ignore[assignment]


def signed_in_user() -> User:
    """The logged-in user, in a view only logged-in users reach (login is checked first)."""
    user = _current_user()
    if not isinstance(user, User):
        raise RuntimeError("signed_in_user() in a view open to anonymous visitors")
    return user


def signed_in_session() -> UserSession:
    """The server-side session of the logged-in user, in a view only they reach."""
    record = current_session()
    if record is None:
        raise RuntimeError("signed_in_session() in a view open to anonymous visitors")
    return record


def current_session() -> UserSession | None:
    """The server-side record of the session serving this request, if logged in."""
    return g.get("auth_session")


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as open to anonymous visitors (the public drive pages)."""
    view.tracker_public = True  # type: ignore[attr-defined]  # a LocalProxy stands for the user
    return view


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors of this view to the login page, whatever else is open."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect_to_login()
        return view(*args, **kwargs)

    return wrapped


# The key under app.extensions of the page shown to a form posted after the session ended.
SESSION_ENDED_PAGE = "tracker.session_ended_page"


def is_local_path(target: str | None) -> bool:
    """True for a path on this site ('/campaigns/x?y'); false for other hosts and odd schemes."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def redirect_to_login(message: str | None = None) -> Response:
    """Redirect to the login page, coming back to this page (GET only) afterwards.

    A post of typed text is not redirected (that would lose it): it is kept and a
    page offers to log in again and get it back (tracker/auth/rescue.py).
    """
    # Registered by tracker/auth/rescue.py (init_rescue), which builds on this module.
    session_ended_page = current_app.extensions.get(SESSION_ENDED_PAGE)
    if request.method == "POST" and session_ended_page is not None:
        page = session_ended_page(message or _("Your session has ended. Please log in again."))
        if page is not None:
            return page
    flash(message or _("Please log in to continue."), "info")
    target = request.full_path if request.query_string else request.path
    if request.method in {"GET", "HEAD"} and is_local_path(target) and target != "/":
        return redirect(url_for("auth.login", next=target))
    return redirect(url_for("auth.login"))


def begin(token: str, language: str) -> None:
    """Put a new session's token in the cookie, dropping everything the old cookie held.

    Clearing defeats session fixation and renews the CSRF token; the language
    chosen before logging in stays, otherwise the user's saved one applies.
    """
    chosen = session.get("lang")
    session.clear()
    session[SESSION_KEY] = token
    session["lang"] = chosen or language


def forget() -> None:
    """Drop the session token (and everything else but the language) from the cookie."""
    chosen = session.get("lang")
    session.clear()
    if chosen:
        session["lang"] = chosen


def _is_open(endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # no such page: let the 404 (or 405) answer
    if endpoint in ALWAYS_OPEN or endpoint.endswith(".static"):
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "tracker_public", False))


def _ended_message(reason: SessionEnd | None) -> str:
    if reason == SessionEnd.IDLE:
        return _("You were logged out after %(num)d minutes without activity. "
                 "Please log in again.", num=current_app.config["SESSION_IDLE_MINUTES"])
    if reason == SessionEnd.EXPIRED:
        return _("Sessions last at most %(num)d hours; yours has ended. Please log in again.",
                 num=current_app.config["SESSION_ABSOLUTE_HOURS"])
    if reason == SessionEnd.PASSWORD_CHANGED:
        return _("The password of this account was changed, so this session has ended. "
                 "Please log in again.")
    return _("Your session has ended. Please log in again.")


def load_user() -> Response | None:
    """Before each request: find the session behind the cookie, or refuse and forget it."""
    g.auth_user = ANONYMOUS
    g.auth_session = None
    g.pop("ended_user_id", None)
    g.pop("audit_actor_id", None)  # nobody is the author until the session says who
    g.pop("audit_actor_label", None)
    if request.endpoint == "static":
        return None  # stylesheets and scripts neither need a user nor count as activity
    token = session.get(SESSION_KEY)
    if token:
        config = current_app.config
        check = services.resume_session(
            str(token),
            idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            absolute=timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
        )
        if check.changed:
            db.session.commit()  # the new last-seen time, or the ending of a timed-out session
        if check.session is None:
            forget()
            g.ended_user_id = check.ended_user_id  # text kept now goes back to that user only
            message = _ended_message(check.ended_because)
            if _is_open(request.endpoint):
                flash(message, "warning")
                return None
            return redirect_to_login(message)
        user = check.session.user
        g.auth_user = user
        g.auth_session = check.session
        g.audit_actor_id = user.id  # the audit trail names this user as the author of changes
        g.audit_actor_label = user.email  # loaded already: the trail need not read it again
    if not current_user.is_authenticated and not _is_open(request.endpoint):
        return redirect_to_login()
    return None


def init_sessions(app: Flask) -> None:
    """Check the session on every request and offer `current_user` to templates."""
    app.before_request(load_user)

    @app.context_processor
    def inject_user() -> dict[str, Any]:
        return {"current_user": current_user}
