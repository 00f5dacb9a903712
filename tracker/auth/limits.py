"""Brute-force protection: at most LOGIN_FAILURE_LIMIT failed logins per account and per address.

Only failures count, so a person who mistypes once and then logs in uses up
nothing. Counts live in Flask-Limiter's storage: Redis when TRACKER_REDIS_URL is set
(shared by every worker), memory otherwise. E-mail addresses are hashed in the
keys so that the rate-limit store holds no personal data.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, make_response, render_template, request
from limits import RateLimitItem, parse
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from tracker.auth.services import normalize_email
from tracker.extensions import limiter


class TooManyAttempts(TooManyRequests):
    """Too many failed logins; `retry_after` says in how many seconds one is counted again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


def _limit() -> RateLimitItem:
    return parse(current_app.config["LOGIN_FAILURE_LIMIT"])


def _strategy() -> MovingWindowRateLimiter:
    # A moving window: "5 a minute" means any 60 seconds, not 5 at 12:00:59 and 5 more at 12:01:00.
    return MovingWindowRateLimiter(limiter.storage)


def _keys(email: str, address: str) -> list[str]:
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    account = hashlib.sha256(normalize_email(email).encode()).hexdigest()
    return [f"{prefix}/login-failures/account/{account}",
            f"{prefix}/login-failures/address/{address}"]


def check_login_allowed(email: str, address: str) -> None:
    """Raise TooManyAttempts when the account or the address has used up its failures."""
    item, strategy = _limit(), _strategy()
    blocked = [key for key in _keys(email, address) if not strategy.test(item, key)]
    if blocked:
        reset = max(strategy.get_window_stats(item, key).reset_time for key in blocked)
        raise TooManyAttempts(retry_after=max(1, math.ceil(reset - time.time())))


def record_login_failure(email: str, address: str) -> None:
    """Count one failed login against the account and the address."""
    item, strategy = _limit(), _strategy()
    for key in _keys(email, address):
        strategy.hit(item, key)


def limit_failed_logins(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse a login POST once its account or address has failed too often; count refusals.

    A refused login is the view answering 422 (wrong credentials or invalid form).
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return view(*args, **kwargs)
        email = request.form.get("email", "")
        address = request.remote_addr or "unknown"
        check_login_allowed(email, address)
        response = make_response(view(*args, **kwargs))
        if response.status_code == 422:
            record_login_failure(email, address)
        return response

    return wrapped


def too_many_requests(error: TooManyRequests) -> Any:
    """The 429 page: what happened and when to try again, in the user's language."""
    retry_after = getattr(error, "retry_after", 60)
    response = make_response(
        render_template("auth/too_many_attempts.html", retry_after=retry_after), 429
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


# Keeping typed text for someone not logged in writes a row: an address may do so this often.
ANONYMOUS_RESCUE_LIMIT = "20 per hour"


def may_keep_anonymous_text(address: str) -> bool:
    """Count one keeping of typed text for a visitor not logged in; False once too many."""
    item = parse(ANONYMOUS_RESCUE_LIMIT)
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    return _strategy().hit(item, f"{prefix}/rescued-forms/address/{address}")
