"""Security headers on every response: CSP without inline code, no sniffing, no framing, HSTS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from flask import current_app, request
from werkzeug.wrappers import Response

from tracker.auth.sessions import current_user

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}"
)
HSTS = "max-age=31536000; includeSubDomains"

View = Callable[..., Any]


@overload
def frameable(view: View) -> View: ...
@overload
def frameable(view: None = None, *, ancestors: str = "*") -> Callable[[View], View]: ...


def frameable(view: View | None = None, *, ancestors: str = "*") -> Any:
    """Let other sites put this view in a frame (the drive widget); `ancestors` narrows who.

    `@frameable` allows any site; `@frameable(ancestors="https://a.org")` only those named.
    """

    def mark(function: View) -> View:
        # Type check: a marker attribute on the view function.
        function.tracker_frame_ancestors = ancestors  # type: ignore[attr-defined]
        return function

    return mark(view) if view is not None else mark


def static_file_headers(production: bool) -> dict[str, str]:
    """The security headers of a static file (served by WhiteNoise, before any view)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY.format(ancestors="'none'"),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def set_security_headers(response: Response) -> Response:
    """After each request: add the security headers the view has not set itself."""
    view = current_app.view_functions.get(request.endpoint or "")
    ancestors = getattr(view, "tracker_frame_ancestors", None)
    headers = response.headers
    headers.setdefault("Content-Security-Policy",
                       CONTENT_SECURITY_POLICY.format(ancestors=ancestors or "'none'"))
    if ancestors is None:
        headers.setdefault("X-Frame-Options", "DENY")  # for browsers that ignore frame-ancestors
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    if current_user.is_authenticated and "Cache-Control" not in headers:
        # Pages with a person's data must not be kept by shared caches or shown from the
        # browser's history after logging out.
        headers["Cache-Control"] = "no-store"
    return response
