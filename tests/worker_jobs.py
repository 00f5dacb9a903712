"""Jobs for tests/test_worker.py: module-level functions a worker process can import."""

from __future__ import annotations

import time

from tracker.mail.delivery import deliver


def slow_deliver(message_id: int, seconds: float) -> bool:
    """Deliver a message after a pause: a job still in hand when the worker is stopped."""
    time.sleep(seconds)
    return deliver(message_id)
