"""What the cross-cutting pages ask of the app: whether the database answers."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.extensions import db


def database_answers() -> bool:
    """Whether the database answers a trivial query (for the health check)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
