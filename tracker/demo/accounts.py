"""The demo accounts (accounts.toml), one per role, sharing one published password.

That password is the development configuration's DEMO_PASSWORD, which no other
configuration has, so `flask seed-demo` creates the accounts only in development.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tracker.auth.models import Role, User
from tracker.auth.services import UserInput, create_user, find_user_by_email
from tracker.campaigns.services import find_campaign
from tracker.demo.files import read
from tracker.demo.report import SeedReport
from tracker.extensions import db
from tracker.orgs.services import find_organization


@dataclass(frozen=True)
class DemoUser:
    """A demo account: its role, organisation (slug), language and the campaigns it leads."""

    email: str
    role: Role
    org: str
    language: str
    campaigns: tuple[str, ...] = ()


DEMO_USERS: tuple[DemoUser, ...] = tuple(
    DemoUser(item["email"], Role(item["role"]), item["org"], item["language"],
             tuple(item.get("campaigns", ())))
    for item in read("accounts")["accounts"]
)


def accounts_exist() -> bool:
    """True once any user account has been recorded."""
    return db.session.scalar(select(User.id).limit(1)) is not None


def load_demo_users(password: str, report: SeedReport) -> None:
    """Create the demo accounts that are missing, all with `password`; the caller commits.

    An account that exists is left as it is (its password too). An organisation or
    campaign missing from the database (demo data not loaded) is left out of the account.
    """
    for item in DEMO_USERS:
        if find_user_by_email(item.email) is not None:
            continue
        org = find_organization(item.org)
        campaigns = [find_campaign(slug) for slug in item.campaigns]
        create_user(UserInput(
            email=item.email, role=item.role, organization_id=org.id if org else None,
            campaign_ids=tuple(c.id for c in campaigns if c is not None),
            language=item.language,
        ), password)
        report.users += 1
