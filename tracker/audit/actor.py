"""Who is making a change right now: the request's user, a command, or a named actor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import click
from flask import g, has_app_context, has_request_context
from sqlalchemy import Connection, select

from tracker.db import Base

SYSTEM = "system"
COMMAND_LINE = "command line"
ANONYMOUS = "anonymous"

_actor_override: ContextVar[tuple[int | None, str | None] | None] = ContextVar(
    "tracker_audit_actor", default=None
)


@contextmanager
def acting_as(user_id: int | None, label: str | None = None) -> Iterator[None]:
    """Attribute the changes made inside the block to a user (or a named non-user actor).

    For commands and background jobs; it wins over the request's user, as the
    innermost, most explicit choice.
    """
    token = _actor_override.set((user_id, label))
    try:
        yield
    finally:
        _actor_override.reset(token)


def current_actor(connection: Connection | None = None) -> tuple[int | None, str]:
    """(user id or None, label) of whoever is making the change right now."""
    override = _actor_override.get()
    if override is not None:
        user_id, label = override
        return user_id, label or _user_label(connection, user_id)
    if has_app_context():
        user_id = g.get("audit_actor_id")
        if user_id is not None:
            return user_id, g.get("audit_actor_label") or _user_label(connection, user_id)
    if has_request_context():
        return None, ANONYMOUS
    if click.get_current_context(silent=True) is not None:
        return None, COMMAND_LINE
    return None, SYSTEM


def _user_label(connection: Connection | None, user_id: int | None) -> str:
    """The user's e-mail, read once per request; 'user N' when it cannot be read."""
    if user_id is None:
        return SYSTEM
    cache: dict[int, str] = g.setdefault("_audit_actor_labels", {}) if has_app_context() else {}
    if user_id in cache:
        return cache[user_id]
    label = f"user {user_id}"
    if connection is not None:
        # The accounts table by name: the trail records every area's changes, accounts'
        # included, so it depends on none of them.
        users = Base.metadata.tables["user_account"]
        email = connection.execute(select(users.c.email).where(users.c.id == user_id)).scalar()
        if email:
            label = str(email)
    cache[user_id] = label
    return label
