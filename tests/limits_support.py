"""Failed and successful logins from a given address, and a clock the login limits run on.

    fail(client, "lead@example.org", address="198.51.100.7")   # a wrong password: 422
    clock = stopped_clock(monkeypatch); clock.advance(61)      # the windows move on
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import limits.storage.memory
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import tracker.auth.limits
from tests.auth_support import TEST_PASSWORD, login_with_password
from tracker.extensions import limiter

WRONG_PASSWORD = "a wrong guess, again"


def fail(client: FlaskClient, email: str = "lead@example.org",
         address: str = "203.0.113.7") -> TestResponse:
    """A login with a wrong password from this address."""
    return login_with_password(client, email, WRONG_PASSWORD,
                               environ_base={"REMOTE_ADDR": address})


def succeed(client: FlaskClient, email: str = "lead@example.org",
            address: str = "203.0.113.7") -> TestResponse:
    """A login with the right password from this address."""
    return login_with_password(client, email, TEST_PASSWORD,
                               environ_base={"REMOTE_ADDR": address})


@dataclass
class Clock:
    """Stands in for the `time` module where the limits read the time; moves when told."""

    now: float

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Stop the clock of the in-memory limits storage and of tracker/auth/limits.py."""
    assert isinstance(limiter.storage, limits.storage.memory.MemoryStorage), limiter.storage
    clock = Clock(time.time())
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    monkeypatch.setattr(tracker.auth.limits, "time", clock)
    return clock
