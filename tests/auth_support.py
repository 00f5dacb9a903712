"""Users and logins for tests: make an account in any role and log a test client in as it.

    from tests.auth_support import login, make_user
    lead = make_user(Role.LEAD, campaigns=[campaign])
    login(client, lead)                 # fast: no form, no argon2
    login_with_password(client, lead.email)   # through /login, as a person would
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import count

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tracker.auth import services
from tracker.auth.models import Role, User
from tracker.auth.passwords import hash_password
from tracker.auth.sessions import SESSION_KEY
from tracker.campaigns.models import Campaign
from tracker.extensions import db
from tracker.orgs.models import Organization

TEST_PASSWORD = "plum orchard under snow 7"
_sequence = count(1)


@cache
def _test_password_hash() -> str:
    # One argon2 hash for the whole run: each new user would otherwise cost about 0.1 s.
    return hash_password(TEST_PASSWORD)


def make_user(role: Role = Role.VIEWER, *, email: str | None = None,
              org: Organization | None = None, campaigns: Sequence[Campaign] = (),
              language: str = "en", password: str | None = TEST_PASSWORD,
              active: bool = True) -> User:
    """An account made through the service, with TEST_PASSWORD unless told otherwise.

    `password=None` leaves it without a password, like a person who was invited and
    has not used the link yet. English by default, so that tests can read the screens.
    """
    n = next(_sequence)
    user = services.create_user(
        services.UserInput(
            email=email or f"{role.value}{n}@example.org", role=role,
            organization_id=org.id if org else None,
            campaign_ids=tuple(c.id for c in campaigns), language=language,
        ),
        password=None,
    )
    if password is not None:
        user.password_hash = (_test_password_hash() if password == TEST_PASSWORD
                              else hash_password(password))
    user.is_active = active
    db.session.commit()
    return user


def login(client: FlaskClient, user: User) -> str:
    """Log the client in as the user without the form; return the session token."""
    _, token = services.start_session(user, services.ClientInfo("pytest", "127.0.0.1"))
    db.session.commit()
    with client.session_transaction() as session:
        language = session.get("lang")
        session.clear()
        session[SESSION_KEY] = token
        session["lang"] = language or user.language
    return token


def client_as(app, role: Role, **kwargs) -> FlaskClient:
    """A new test client logged in as a new user of this role (make_user's options)."""
    client = app.test_client()
    login(client, make_user(role, **kwargs))
    return client


def login_with_password(client: FlaskClient, email: str, password: str = TEST_PASSWORD,
                        **kwargs) -> TestResponse:
    """Post the login form as a person would; the response is the redirect (or the 422)."""
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def logout(client: FlaskClient) -> TestResponse:
    """Post the logout form from the navigation."""
    return client.post("/logout")
