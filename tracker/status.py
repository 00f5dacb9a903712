"""Status machines: one way to declare which moves are allowed, one `move`, one error.

Each machine sits next to its enum (a drive's in drives/models.py, an application's in
applications/models.py): the table of allowed moves is the only place that lists them,
services move records through `machine.move`, and templates ask `machine.allowed(status)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _

from tracker.db import LabeledEnum
from tracker.errors import DomainError

S = TypeVar("S", bound=LabeledEnum)


class TransitionNotAllowed(DomainError):
    """The record's status machine does not allow this move; the message says which are."""

    def __init__(self, machine: StatusMachine[Any], current: LabeledEnum,
                 to: LabeledEnum) -> None:
        message = str(machine.refusal) % {"current": current.label, "to": to.label}
        allowed = machine.allowed(current)
        if allowed:
            message += " " + _("From “%(current)s” it can move to: %(allowed)s.",
                               current=current.label,
                               allowed=", ".join(status.label for status in allowed))
        else:
            message += " " + _("“%(current)s” is final.", current=current.label)
        super().__init__(message, field="to")
        self.current, self.to = current, to


class StatusMachine(Generic[S]):
    """The allowed moves between the members of a status enum; unlisted statuses are final.

    `refusal` is a lazily translated sentence with %(current)s and %(to)s, such as
    "A drive cannot move from “%(current)s” to “%(to)s”.".
    """

    def __init__(self, statuses: type[S], moves: Mapping[S, Iterable[S]], *,
                 refusal: Any) -> None:
        self.statuses = statuses
        self.moves: dict[S, frozenset[S]] = {
            status: frozenset(moves.get(status, ())) for status in statuses
        }
        self.refusal = refusal

    def allows(self, current: S, to: S) -> bool:
        """Whether a record in `current` may move to `to`."""
        return to in self.moves[current]

    def allowed(self, current: S) -> list[S]:
        """The statuses a record in `current` may move to, in the enum's order."""
        return [status for status in self.statuses if status in self.moves[current]]

    def is_final(self, status: S) -> bool:
        return not self.moves[status]

    def check(self, current: S, to: S) -> None:
        """Raise TransitionNotAllowed unless the move is allowed."""
        if not self.allows(current, to):
            raise TransitionNotAllowed(self, current, to)

    def move(self, record: Any, to: S) -> S:
        """Move the record to `to` (or raise TransitionNotAllowed); return its old status."""
        current = record.status
        self.check(current, to)
        record.status = to
        return current
