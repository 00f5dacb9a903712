"""The drives area's refusals that are more than a message on a field."""

from __future__ import annotations

from flask_babel import gettext as _

from tracker.drives.models import Drive
from tracker.errors import DomainError


class PledgeConflict(DomainError):
    """Someone else saved the pledge after this form was loaded."""

    def __init__(self) -> None:
        super().__init__(_("Someone else changed this pledge while you were editing; reload to "
                           "see their changes."))


class PaymentRefused(DomainError):
    """The pledge takes no payments in its status."""


class NoNewPledges(DomainError):
    """The drive's status takes no pledges from staff (logged or imported)."""

    def __init__(self, drive: Drive) -> None:
        super().__init__(_("This drive is “%(status)s”: it takes no new pledges.",
                           status=drive.status.label))


class TooManyAwaiting(DomainError):
    """The drive holds as many unconfirmed public pledges from the last hour as it takes."""

    def __init__(self) -> None:
        super().__init__(_("This drive has received many pledges in the last hour that its "
                           "organisers have not confirmed yet, so it takes no more for now. "
                           "Please try again in an hour; nothing was recorded."))


def require_staff_pledgeable(drive: Drive) -> None:
    """Refuse with NoNewPledges unless staff may add pledges to the drive now."""
    if not drive.takes_staff_pledges:
        raise NoNewPledges(drive)
