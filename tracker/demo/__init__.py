"""Demo data: the coalition of the EECCA regional meeting report, its campaigns and budgets.

Eco-Accord, Independent Ecological Expertise and the donors are real organisations;
the other member NGOs are stand-ins with plausible names, and every budget, amount
and exchange rate is made up (rates are marked "Demo data (approximate)").

The records are in data files, tracker/demo/data/*.toml; one module per kind reads
its file and creates what is missing through the services, each record looked up by
its natural key first, so loading twice adds nothing and a partial load is completed.
`load_demo` runs them in a fixed order (a later kind names records of an earlier one).

The demo accounts, one per role, share one published password: the development
configuration's DEMO_PASSWORD, which no other configuration has.
"""

from __future__ import annotations

from tracker.demo.accounts import DEMO_USERS, DemoUser, accounts_exist, load_demo_users
from tracker.demo.applications import load_application_demo
from tracker.demo.budgets import load_budget_demo
from tracker.demo.coalition import (
    CAMPAIGNS,
    ORGANIZATIONS,
    TARGETS,
    all_lines,
    database_is_empty,
    load_campaigns,
    load_organizations,
    load_targets,
)
from tracker.demo.drives import XRF_CAMPAIGN, load_drive_demo
from tracker.demo.grants import load_grant_demo
from tracker.demo.proposals import load_proposal_demo
from tracker.demo.rates import load_rates
from tracker.demo.report import SeedReport

__all__ = [
    "CAMPAIGNS", "DEMO_USERS", "ORGANIZATIONS", "TARGETS", "XRF_CAMPAIGN", "DemoUser",
    "SeedReport", "accounts_exist", "all_lines", "database_is_empty", "load_demo",
    "load_demo_users",
]


def load_demo() -> SeedReport:
    """Create whatever part of the demo coalition is missing; the caller commits."""
    report = SeedReport()
    load_organizations(report)
    load_campaigns(report)
    load_targets(report)
    load_rates(report)
    load_application_demo(report)
    load_drive_demo(report)
    load_budget_demo()
    load_proposal_demo()
    load_grant_demo(report)
    return report
