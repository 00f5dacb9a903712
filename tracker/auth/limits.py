"""Brute-force protection that stops guessing without locking anyone out.

Only failures count, so a person who mistypes once and then logs in uses up
nothing. Each failed login counts twice, in `limits` windows (LOGIN_ACCOUNT_LIMITS,
LOGIN_ADDRESS_LIMITS) whose waits grow from a minute to a day:

- against the account, in one of its buckets: the browser's own when it has logged
  in to the account before (the known-device cookie, tracker/auth/devices.py), else
  the address's own when the account logged in from it lately, else the bucket of
  everyone else. A stranger's guesses fill the last one only, so the owner at their
  own browser or usual address still gets in, while the account can be guessed
  only a few times a minute;
- against the client address, across accounts: a ceiling an office behind one NAT
  does not reach. A known device is not held to it: it has proved itself before.

The right password is refused too while a bucket is full, so that a guesser cannot
learn it was right. Counts live in Flask-Limiter's storage: Redis when
TRACKER_REDIS_URL is set (shared by every worker), memory otherwise. E-mail
addresses are hashed in the keys so that the rate-limit store holds no personal data.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, current_app, make_response, render_template, request
from flask_babel import format_timedelta
from limits import RateLimitItem, parse, parse_many
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from tracker.auth.devices import this_device
from tracker.auth.failures import logged_in_from
from tracker.auth.identity import find_user_by_email, normalize_email
from tracker.config import ConfigurationError
from tracker.extensions import limiter


class TooManyAttempts(TooManyRequests):
    """Too many failed logins; `retry_after` says in how many seconds one is counted again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


def _strategy() -> MovingWindowRateLimiter:
    # A moving window: "5 a minute" means any 60 seconds, not 5 at 12:00:59 and 5 more at 12:01:00.
    return MovingWindowRateLimiter(limiter.storage)


def _prefix() -> str:
    return current_app.config["RATELIMIT_KEY_PREFIX"]


def _account_limits() -> list[RateLimitItem]:
    return parse_many(current_app.config["LOGIN_ACCOUNT_LIMITS"])


def _address_limits() -> list[RateLimitItem]:
    return parse_many(current_app.config["LOGIN_ADDRESS_LIMITS"])


@dataclass(frozen=True)
class Bucket:
    """One count of failures: its key in the storage and the windows it is held to."""

    key: str
    limits: Sequence[RateLimitItem]


def seconds_to_wait(buckets: Sequence[Bucket]) -> int:
    """0 when every bucket has room for one more failure, else the seconds until they all do."""
    strategy = _strategy()
    resets = [strategy.get_window_stats(item, bucket.key).reset_time
              for bucket in buckets for item in bucket.limits
              if not strategy.test(item, bucket.key)]
    return max(1, math.ceil(max(resets) - time.time())) if resets else 0


def count_failure(buckets: Sequence[Bucket]) -> None:
    """Count one failure in every bucket, in each of its windows."""
    strategy = _strategy()
    for bucket in buckets:
        for item in bucket.limits:
            strategy.hit(item, bucket.key)


def check_settings(app: Flask) -> None:
    """Refuse to start with login limits `limits` cannot read, rather than fail at a login."""
    for name in ("LOGIN_ACCOUNT_LIMITS", "LOGIN_ADDRESS_LIMITS", "PASSWORD_RESET_ACCOUNT_LIMITS",
                 "PASSWORD_RESET_ADDRESS_LIMITS"):
        try:
            parse_many(app.config[name])
        except (ValueError, TypeError) as error:
            raise ConfigurationError(
                f"TRACKER_{name} must read like '5/minute;20/hour', not "
                f"{app.config[name]!r}.") from error


# --- Logging in --------------------------------------------------------------------------------


def login_buckets(email: str, address: str, *, check: bool) -> list[Bucket]:
    """The buckets a login for this e-mail from this address (and browser) is held to.

    With `check`, those that may refuse it; otherwise those that count its failure.
    """
    account = hashlib.sha256(normalize_email(email).encode()).hexdigest()
    base = f"{_prefix()}/login-failures"
    user = find_user_by_email(email)
    device = this_device()
    if user is not None and device is not None and device.knows(user.id):
        mine = Bucket(f"{base}/account/{account}/device/{device.id}", _account_limits())
        by_address = Bucket(f"{base}/address/{address}", _address_limits())
        return [mine] if check else [mine, by_address]
    if user is not None and logged_in_from(user, address):
        mine = Bucket(f"{base}/account/{account}/address/{address}", _account_limits())
    else:
        mine = Bucket(f"{base}/account/{account}/elsewhere", _account_limits())
    return [mine, Bucket(f"{base}/address/{address}", _address_limits())]


def client_address() -> str:
    """The client's address: the connecting one, or the proxies' (TRACKER_TRUSTED_PROXIES)."""
    return request.remote_addr or "unknown"


def limit_failed_logins(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse a login POST while its buckets are full; count the view's refusals in them.

    A refused login is the view answering 422 (wrong credentials or invalid form).
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return view(*args, **kwargs)
        email, address = request.form.get("email", ""), client_address()
        wait = seconds_to_wait(login_buckets(email, address, check=True))
        if wait:
            raise TooManyAttempts(retry_after=wait)
        response = make_response(view(*args, **kwargs))
        if response.status_code == 422:
            count_failure(login_buckets(email, address, check=False))
        return response

    return wrapped


# --- Checking the current password (the account page) -----------------------------------------


def password_check_buckets(user_id: int) -> list[Bucket]:
    """Wrong current passwords on the account page: counted per account, like logins."""
    return [Bucket(f"{_prefix()}/password-failures/account/{user_id}", _account_limits())]


# --- Asking for a new password (the login page's "Forgot your password?") ---------------------


def password_reset_buckets(email: str, address: str) -> list[Bucket]:
    """Every request for a reset link counts, per address asked for and per client address.

    The address asked for is counted whether or not it has an account, so a full bucket
    tells nothing about it; its limit is how many messages a stranger can make one
    mailbox receive.
    """
    account = hashlib.sha256(normalize_email(email).encode()).hexdigest()
    base = f"{_prefix()}/password-resets"
    config = current_app.config
    return [
        Bucket(f"{base}/account/{account}", parse_many(config["PASSWORD_RESET_ACCOUNT_LIMITS"])),
        Bucket(f"{base}/address/{address}", parse_many(config["PASSWORD_RESET_ADDRESS_LIMITS"])),
    ]


# --- The answer ----------------------------------------------------------------------------------


def wait_text(seconds: int) -> str:
    """'in 5 minutes' in the user's language, rounded up to the unit shown."""
    for unit in (86400, 3600, 60):
        if seconds >= unit:
            seconds = math.ceil(seconds / unit) * unit
            break
    return format_timedelta(timedelta(seconds=seconds), threshold=1, add_direction=True)


def too_many_requests(error: TooManyRequests) -> Any:
    """The 429 page: what happened and when to try again, in the user's language."""
    retry_after = getattr(error, "retry_after", 60)
    response = make_response(render_template(
        "auth/too_many_attempts.html", retry_after=retry_after, wait=wait_text(retry_after)
    ), 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


# Keeping typed text for someone not logged in writes a row: an address may do so this often.
ANONYMOUS_RESCUE_LIMIT = "20 per hour"


def take_one(limit: str, key: str) -> int:
    """Count one use of `limit` ('60 per 10 minutes') under `key`; 0 if it was allowed,
    else the seconds until one more is (the use is then not counted)."""
    item, strategy, full_key = parse(limit), _strategy(), f"{_prefix()}/{key}"
    if strategy.hit(item, full_key):
        return 0
    reset = strategy.get_window_stats(item, full_key).reset_time
    return max(1, math.ceil(reset - time.time()))


def may_keep_anonymous_text(address: str) -> bool:
    """Count one keeping of typed text for a visitor not logged in; False once too many."""
    return take_one(ANONYMOUS_RESCUE_LIMIT, f"rescued-forms/address/{address}") == 0
