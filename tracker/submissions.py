"""One-time submission keys: a form that creates money records is saved once per rendering.

A double click, a retry after a slow answer or the browser's "resend" posts the same form
twice. Each such form carries a random key in a hidden field (`SubmittedOnce`), made when
the form is rendered and kept when it is shown again with errors. The view runs its
service through `commit_once`, which writes a `submission` row with that key *before* the
record, in the same transaction, and the URL of the result after it:

    done = commit_once(form, "payment", lambda: services.record_payment(...),
                       lambda payment: url_for("drives.pledge", ...))
    if done.repeated:
        return done.redirect()          # "This was already saved", to the first result
    if done.refused:
        return render_form(..., status=422)

The unique key decides between concurrent posts: on PostgreSQL the second insert waits on
the first's index entry and fails once it commits; on SQLite the second waits for the
write lock and then finds the key. The loser's transaction is rolled back (nothing it did
is kept) and it is sent to the winner's result. A refused submission rolls back its key
too, so the corrected form can be posted again with the same key. A post without a key
(a script, a page rendered before keys existed) is saved as before, unguarded.

Keys are worth keeping only while someone may still resend a page: rows older than
KEEP_DAYS may be pruned (`DELETE FROM submission WHERE created_at < ...`; no command yet).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import flash, redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Index, String, select
from sqlalchemy.exc import IntegrityError
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


class _KeyTaken(Exception):
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


def _claim(key: str, kind: str) -> Submission:
    """Insert the key now, before the record: the unique constraint decides between posts."""
    claim = Submission(key=key, kind=kind)
    db.session.add(claim)
    try:
        # No savepoint: on SQLite releasing an outermost one would commit the key alone.
        # The caller rolls the whole transaction back on _KeyTaken.
        db.session.flush()
    except IntegrityError:
        raise _KeyTaken() from None
    return claim


def commit_once(form: SubmittedOnce, kind: str, action: Callable[[], T],
                result_url: Callable[[T], str]) -> Once[T]:
    """Run the service once per submission key and commit; a repeat gets the first result."""
    key = form.submission_key.data or ""
    if key:
        earlier = earlier_result(key)
        if earlier is not None:
            return Once(earlier_url=earlier)
    try:
        claim = _claim(key, kind) if key else None
        value = action()
        if claim is not None:
            claim.result_url = result_url(value)[:500]
            claim.record_id = _record_id(value)
            db.session.flush()
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error)
        return Once(error=error)
    except _KeyTaken:
        db.session.rollback()
        return Once(earlier_url=earlier_result(key) or "")
    db.session.commit()
    return Once(value=value)


def _record_id(value: Any) -> str | None:
    record_id = getattr(value, "id", None)
    return None if record_id is None else str(record_id)
