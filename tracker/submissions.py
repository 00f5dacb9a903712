"""One-time submission keys: a form that creates money records is saved once per rendering.

A double click, a retry after a slow answer or the browser's "resend" posts the same form
twice. Each such form carries a random key in a hidden field (`SubmittedOnce`), made when
the form is rendered and kept when it is shown again with errors. The view runs its
service through `commit_once`, which claims the key *before* the record, in the same
transaction (one `INSERT ... ON CONFLICT (key) DO NOTHING RETURNING`), and stores what
the service created and the URL of its result after it:

    done = commit_once(form, "payment", lambda: services.record_payment(...),
                       lambda payment: url_for("drives.pledge", ...))
    if done.repeated:
        return done.redirect()          # "This was already saved", to the first result
    if done.refused:
        return render_form(..., status=422)

The unique key decides between concurrent posts: on PostgreSQL the second claim waits on
the first's index entry and, once that commits, inserts nothing; on SQLite the second
waits for the write lock and then finds the key. The loser's transaction is rolled back
(nothing it did is kept) and it is sent to the winner's result. A refused submission
rolls back its key too, so the corrected form can be posted again with the same key. A
post without a key (a script, a page rendered before keys existed) is saved as before,
unguarded.

The claim comes first, not after the service, so that it is the transaction's first
write: on SQLite that begins the transaction, and a savepoint the service takes (a
pledge with a reference) nests inside it rather than committing on its own. It does not
look before it inserts: a first post, by far the most common, pays two statements for
its key (the claim, and naming the record after), where a look first made it three.

Keys are worth keeping only while someone may still resend a page: rows older than
KEEP_DAYS may be pruned (`DELETE FROM submission WHERE created_at < ...`; no command yet).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import flash, redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Index, String, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response
from wtforms import HiddenField
from wtforms.validators import Optional, Regexp

from tracker.db import Base, UTCDateTime, utcnow
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.forms import apply_domain_error

KEEP_DAYS = 30
KEY_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
T = TypeVar("T")


class Submission(Base):
    """A form submission that was saved: its key, what it created, where its result is.

    Written in the transaction of the record it created, so both exist or neither does.
    Rows older than KEEP_DAYS may be pruned (see the module docstring).
    """

    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(64))
    result_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def new_key() -> str:
    """A fresh random submission key (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


class SubmittedOnce(FlaskForm):
    """A form saved once however often it is posted: render `form.submission_key()` in it."""

    submission_key = HiddenField(
        default=new_key,
        validators=[Optional(), Regexp(KEY_PATTERN, message=_l("Reload the page and try again."))],
    )


class KeyTaken(Exception):
    """Another post of the same submission holds (or committed) the key."""


@dataclass(frozen=True)
class Once(Generic[T]):
    """What a once-only submission came to: a value, a refusal, or the first post's result."""

    value: T | None = None
    error: DomainError | None = None
    earlier_url: str | None = None

    @property
    def repeated(self) -> bool:
        return self.earlier_url is not None

    @property
    def refused(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        return self.error.message if self.error is not None else ""

    def redirect(self) -> Response:
        """To the first post's result, saying that this was already saved."""
        flash(_("This was already saved: nothing new was added."), "info")
        return redirect(self.earlier_url or "/")


def earlier_result(key: str) -> str | None:
    """The result URL of a submission saved with this key, or None."""
    return db.session.scalar(select(Submission.result_url).where(Submission.key == key))


def repeat_of(form: SubmittedOnce) -> Response | None:
    """For a view that must look before it loads: the redirect when this was already saved."""
    key = form.submission_key.data or ""
    earlier = earlier_result(key) if key else None
    return Once[Any](earlier_url=earlier).redirect() if earlier is not None else None


@functools.lru_cache(maxsize=2)
def _claim_statement(dialect: str) -> Any:
    """The key's claim, built once per database: insert unless the key exists, return its id."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return (module.insert(Submission)
            .values(key=bindparam("key"), kind=bindparam("kind"), result_url="")
            .on_conflict_do_nothing(index_elements=[Submission.key])
            .returning(Submission.id))


_NAME_RESULT = (update(Submission).where(Submission.id == bindparam("claim_id"))
                .values(record_id=bindparam("record_id"), result_url=bindparam("result_url")))


def claim_key(key: str, kind: str) -> int:
    """Insert the key now, before the record: the unique key decides between posts.

    Returns the claim's id; raises KeyTaken when another post holds (or saved) the key.
    No savepoint: on SQLite releasing an outermost one would commit the key alone; the
    caller rolls the whole transaction back on KeyTaken.
    """
    connection = db.session.connection()
    claimed = connection.execute(_claim_statement(connection.dialect.name),
                                 {"key": key, "kind": kind}).scalar()
    if claimed is None:
        raise KeyTaken()
    return int(claimed)


def commit_once(form: SubmittedOnce, kind: str, action: Callable[[], T],
                result_url: Callable[[T], str]) -> Once[T]:
    """Run the service once per submission key and commit; a repeat gets the first result."""
    key = form.submission_key.data or ""
    try:
        claim = claim_key(key, kind) if key else None
        value = action()
        if claim is not None:
            db.session.connection().execute(_NAME_RESULT, {
                "claim_id": claim, "record_id": _record_id(value),
                "result_url": result_url(value)[:500]})
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error)
        return Once(error=error)
    except KeyTaken:
        db.session.rollback()
        return Once(earlier_url=earlier_result(key) or "")
    db.session.commit()
    return Once(value=value)


def _record_id(value: Any) -> str | None:
    record_id = getattr(value, "id", None)
    return None if record_id is None else str(record_id)
