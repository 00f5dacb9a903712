"""Known devices: a signed, long-lived cookie naming the accounts that logged in from a browser.

Set on every successful login, it lets the login limits count a browser's failures
apart from a stranger's (tracker/auth/limits.py): the owner's own browser is never
locked out by guesses made elsewhere. It grants nothing else: the password is
still checked, and a copied cookie only gives its thief a guessing budget of its own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE_NAME = "tracker_device"
# A browser shared by a few colleagues remembers this many accounts, the latest kept.
MAX_ACCOUNTS = 10


@dataclass(frozen=True)
class Device:
    """This browser's random id and the accounts (ids) that logged in from it."""

    id: str
    user_ids: tuple[int, ...] = ()

    def knows(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.user_ids


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="tracker.known-device")


def _max_age() -> timedelta:
    return timedelta(days=current_app.config["KNOWN_DEVICE_DAYS"])


def this_device() -> Device | None:
    """The device the request's cookie names, if it is genuine and not too old."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=int(_max_age().total_seconds()))
        device = Device(str(data["d"]), tuple(int(uid) for uid in data["u"]))
    except (BadData, KeyError, TypeError, ValueError):
        return None
    return device if device.id else None


def remember_device(response: Response, user_id: int) -> Response:
    """Mark this browser as one the account logged in from (renewing the cookie's age)."""
    device = this_device()
    device_id = device.id if device else secrets.token_urlsafe(16)
    known = [uid for uid in (device.user_ids if device else ()) if uid != user_id]
    user_ids = [*known, user_id][-MAX_ACCOUNTS:]
    response.set_cookie(
        COOKIE_NAME, _serializer().dumps({"d": device_id, "u": user_ids}),
        max_age=_max_age(), httponly=True, samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response
