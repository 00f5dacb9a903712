"""What list screens show of applications, campaigns and organisations: columns, no records.

The dashboard and the deadlines screen read these straight from SQL rows, so a list of a
hundred deadlines or collisions costs one query and no whole Application graphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker.applications.models import ApplicationStatus
from tracker.i18n import Localized, NameLine, TitleLine
from tracker.money.value import Money


@dataclass(frozen=True)
class ApplicationLine(Localized):
    """An application as a list row (or a calendar event) shows it: its title and status,
    campaign and donor, amount requested and when it last changed."""

    id: int
    title_en: str
    title_ru: str
    status: ApplicationStatus
    campaign: TitleLine
    donor: NameLine
    requested: Money
    updated_at: datetime

    @property
    def title(self) -> str:
        return self.localized("title")
