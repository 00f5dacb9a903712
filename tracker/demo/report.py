"""What a load of the demo created: the counts `flask seed-demo` prints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SeedReport:
    """How many records of each kind a load created."""

    organisations: int = 0
    campaigns: int = 0
    targets: int = 0
    lines: int = 0
    rates: int = 0
    calls: int = 0
    applications: int = 0
    drives: int = 0
    pledges: int = 0
    users: int = 0
    grants: int = 0
    expenditures: int = 0

    @property
    def created_anything(self) -> bool:
        return any((self.organisations, self.campaigns, self.targets, self.lines, self.rates,
                    self.calls, self.applications, self.drives, self.pledges, self.users,
                    self.grants, self.expenditures))
