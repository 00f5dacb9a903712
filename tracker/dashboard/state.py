"""Everything the dashboard's kept fragments are keyed by, read by one statement (issue 15).

The funding sections (tracker.dashboard.sections) and the three lists (tracker.dashboard.lists)
each read their key with a statement of their own: five statements, most of what a dashboard
with every fragment kept still cost. The same reads are the parts of one statement here
(tracker.key_reads), each as exact as before:

- the campaigns shown with their roll-up rows, every column (the sections);
- every campaign's grant awards and approved spending as dated sums, and the exchange
  rates' stored version (the sections' converted figures);
- the upcoming deadlines, the collisions and the recent pledges, each as the rows its list
  shows, with the columns that order them (the lists);
- the stored version of the coalition's currencies (tracker.versions), the choices of the
  reporting-currency form (tracker.dashboard.views).

A request reads the state once, and each fragment's key is worked out from it. A fragment
rendered on a miss reads its own figures afterwards, and is kept only if a fresh read of the
state gives the same key (`key_from`), as tracker.fragments.kept requires.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import select, true

from tracker.applications.services import (
    DEADLINE_WINDOW_DAYS,
    collision_rows_statement,
    deadline_rows_query,
)
from tracker.campaigns.models import Campaign, CampaignStatus
from tracker.dashboard import services
from tracker.funding.models import CampaignFunding
from tracker.grants.services import spending_sums_statements
from tracker.key_reads import KeyRead, Rows
from tracker.prepared import planned_once
from tracker.versions import CURRENCIES, RATES, CoalitionVersion

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class DashboardState:
    """The rows each kept fragment of the dashboard is keyed by, as text (tracker.key_reads)."""

    today: date
    campaigns: Rows
    awarded: Rows
    spent: Rows
    rates: Rows
    deadlines: Rows
    collisions: Rows
    pledges: Rows
    currencies: Rows

    @property
    def funded(self) -> bool:
        """Whether every campaign shown has its roll-up row (else its figures are live)."""
        at = _read().column(0, FUNDED)
        return all(row[at] is not None for row in self.campaigns)

    def pledge_campaigns(self) -> list[int]:
        """The campaign of each recent pledge, in their order."""
        at = _read().column(6, "campaign_id")
        return [int(row[at]) for row in self.pledges]


# The roll-up's campaign_id among the campaigns' columns: None for a campaign without one.
FUNDED = "campaign_id"


@cache  # Built once: the statement is long to build and to compile.
def _read() -> KeyRead:
    """The state's one statement: the campaigns' part first (its roll-up's campaign_id is
    the only column of that name in it)."""
    campaigns = (
        select(Campaign.id, Campaign.slug, Campaign.title_en, Campaign.title_ru,
               Campaign.status, Campaign.updated_at, *CampaignFunding.__table__.c)
        .outerjoin(CampaignFunding, CampaignFunding.campaign_id == Campaign.id)
        .where(Campaign.status != CampaignStatus.ARCHIVED)
    )
    # Every campaign's, archived too: a superset is as exact.
    awarded, spent = spending_sums_statements(true())
    version = CoalitionVersion.__table__.c
    rates, currencies = (select(version.n, version.stamp).where(version.name == name)
                         for name in (RATES, CURRENCIES))
    deadlines, _ = deadline_rows_query(date.min, date.min, services.DEADLINES_SHOWN)
    read = KeyRead.of(campaigns, awarded, spent, rates, deadlines, collision_rows_statement(),
                      services.recent_statement(), currencies)
    # Every value in the SQL, today's date too: one plan a day on each connection.
    return KeyRead(planned_once(read.statement), read.names)


def column_at(part: int, name: str) -> int:
    """Where the named column stands in a row of the state's part `part` (0: the campaigns)."""
    return _read().column(part, name)


def read_state(today: date) -> DashboardState:
    """What every kept fragment of the dashboard shows, as stored now (one statement)."""
    until = today + timedelta(days=DEADLINE_WINDOW_DAYS)
    _, params = deadline_rows_query(today, until, services.DEADLINES_SHOWN)
    parts = _read().read({**params, "deadline_from": today,
                          "recent_limit": services.RECENT_PLEDGES_SHOWN})
    return DashboardState(today, *parts)


def key_from(state: DashboardState, key: Callable[[DashboardState], K]) -> Callable[[], K]:
    """A fragment's key: from this request's state first, then (asked again after the
    fragment was rendered) from a fresh read, so that what was rendered is kept only if
    nothing it shows changed meanwhile."""
    first: list[Any] = [state]

    def key_of() -> K:
        return key(first.pop() if first else read_state(state.today))

    return key_of
