"""What every area's views share: commit a service call, or show its refusal on the form.

A view validates its form, then calls one service through `commit`:

    outcome = commit(lambda: services.create_drive(campaign, form.to_input()), form)
    if outcome.refused:
        return _render_form(campaign, form, status=422)
    drive = outcome.value

On a DomainError the view's own transaction is rolled back (the view owns it; services
never roll back) and the message is shown next to the field it names, or above the form.
Records named in a URL are fetched through services' `get_…` functions, which raise
tracker.errors.NotFound; the app answers that with its 404 page (tracker/web.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from flask import request
from flask_wtf import FlaskForm

from tracker.errors import DomainError
from tracker.extensions import db
from tracker.forms import apply_domain_error

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a service call came to: its value, or the refusal that was shown."""

    result: T | None = None
    error: DomainError | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None

    @property
    def value(self) -> T:
        """The service's result; only for an outcome that was not refused."""
        if self.error is not None:
            raise RuntimeError("a refused outcome has no value") from self.error
        return cast(T, self.result)  # a service may itself return None

    @property
    def message(self) -> str:
        return self.error.message if self.error is not None else ""


def commit(action: Callable[[], T], form: FlaskForm | None = None) -> Outcome[T]:
    """Run a service call and commit; on a DomainError roll back and show it on the form."""
    try:
        value = action()
    except DomainError as error:
        db.session.rollback()
        if form is not None:
            apply_domain_error(form, error)
        return Outcome(error=error)
    db.session.commit()
    return Outcome(result=value)


def requested_page(name: str = "page") -> int:
    """The page number the query string asks for: 1 when missing, malformed or below 1.

    A number past the end is left to tracker.paging.page_of, which shows the last page.
    """
    return max(1, request.args.get(name, 1, type=int) or 1)
