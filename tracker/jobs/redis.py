"""The RQ queue on TRACKER_REDIS_URL (imported only when Redis is configured)."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue

QUEUE_NAME = "tracker"  # the one queue web processes enqueue on and workers listen to


def redis_connection() -> Redis:
    """A Redis client for the configured URL (one per app and URL, reused)."""
    url = current_app.config["REDIS_URL"]
    cached = current_app.extensions.get("tracker.redis")
    if cached is None or cached[0] != url:
        cached = (url, Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5))
        current_app.extensions["tracker.redis"] = cached
    return cached[1]


def rq_queue() -> Queue:
    """The queue every web process enqueues on and every worker listens to."""
    return Queue(QUEUE_NAME, connection=redis_connection(),
                 default_timeout=int(current_app.config["JOB_TIMEOUT_SECONDS"]))
