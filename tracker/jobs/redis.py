"""The RQ queue on TRACKER_REDIS_URL (imported only when Redis is configured)."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue

QUEUE_NAME = "tracker"  # the one queue web processes enqueue on and workers listen to


def redis_connection() -> Redis:
    """A Redis client for the configured URL (one per app, reused)."""
    connection = current_app.extensions.get("tracker.redis")
    if connection is None:
        connection = Redis.from_url(current_app.config["REDIS_URL"],
                                    socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["tracker.redis"] = connection
    return connection


def rq_queue() -> Queue:
    """The queue every web process enqueues on and every worker listens to."""
    return Queue(QUEUE_NAME, connection=redis_connection())
