"""Demo accounts work in the development configuration only, whatever the database holds.

`seed-demo` creates them in the reserved domain demo.tracker (tracker/demo/data/accounts.toml)
with a published password. A database seeded in development may be switched to production,
so outside development this module refuses them at login and ends their sessions: an
account in the demo domain, and any account that logs in with the published password.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.config import DEVELOPMENT_DEMO_PASSWORD
from tracker.errors import DomainError

# Not a real top-level domain, so no real person's address is ever in it.
DEMO_EMAIL_DOMAIN = "demo.tracker"


def is_demo_email(email: str) -> bool:
    """True for an address in the demo domain (or one of its subdomains), whatever its case."""
    domain = email.rpartition("@")[2].strip().lower()
    return domain == DEMO_EMAIL_DOMAIN or domain.endswith("." + DEMO_EMAIL_DOMAIN)


def demo_accounts_allowed() -> bool:
    """Only the development configuration lets demo accounts in."""
    return bool(current_app.config["ENV"] == "development")


def refuse_demo_login(user: User, password: str) -> None:
    """Outside development, refuse a demo account or the published password (checked already)."""
    if demo_accounts_allowed():
        return
    if is_demo_email(user.email) or password == DEVELOPMENT_DEMO_PASSWORD:
        raise DomainError(_("Demo accounts work only in development. Ask an administrator "
                            "for an account of your own."))


def demo_session_refused(user: User) -> bool:
    """True when a session of this user must end: a demo account outside development."""
    return not demo_accounts_allowed() and is_demo_email(user.email)
