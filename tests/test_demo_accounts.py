"""`seed-demo` adds one demo account per role, in the development configuration only; under
any other TRACKER_ENV demo accounts can neither log in nor keep a session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.auth_support import TEST_PASSWORD, login_with_password, make_user
from tests.conftest import PRODUCTION_SETTINGS, TEST_SECRET, Client
from tests.factories import make_org
from tracker import create_app
from tracker.auth.demo import is_demo_email
from tracker.auth.models import Role, SessionEnd, User, UserSession
from tracker.auth.services import find_user_by_email
from tracker.campaigns.services import find_campaign
from tracker.config import DEVELOPMENT_DEMO_PASSWORD
from tracker.demo import DEMO_USERS, XRF_CAMPAIGN
from tracker.extensions import db

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


def account_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User))


def app_in(env: str, database_url: str, **settings) -> Flask:
    """Another app on the test database, in the given ENV (the `app` fixture's is 'testing')."""
    production = PRODUCTION_SETTINGS if env == "production" else {}
    other = create_app({"TESTING": True, "ENV": env, "DATABASE_URL": database_url,
                        "SECRET_KEY": TEST_SECRET, **production, **settings})
    other.test_client_class = Client
    return other


@contextmanager
def running(other: Flask) -> Iterator[Flask]:
    """Make `other` the current app (commands and db.session use it) for the block."""
    with other.app_context():
        try:
            yield other
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def dev_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The development configuration, current, on the database `app` has just emptied."""
    with running(app_in("development", database_url)) as development:
        yield development


def test_only_the_development_configuration_has_a_demo_password(app, dev_app, database_url):
    assert dev_app.config["DEMO_PASSWORD"] == DEVELOPMENT_DEMO_PASSWORD
    assert app.config["DEMO_PASSWORD"] is None  # testing
    production = app_in("production", database_url, DEMO_PASSWORD="set-by-mistake-2026")
    assert production.config["DEMO_PASSWORD"] is None


def test_seed_demo_creates_one_account_per_role_once(dev_app):
    first = dev_app.test_cli_runner().invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "6 demo accounts" in first.output
    assert account_count() == len(DEMO_USERS) == len(Role) + 1
    assert {find_user_by_email(item.email).role for item in DEMO_USERS} == set(Role)
    partner = find_user_by_email("partner@demo.tracker")  # the grant's Moldovan sub-grantee
    assert (partner.role, partner.organization.slug) == (Role.LEAD, "chemical-safety-moldova")

    coordinator = find_user_by_email("coordinator@demo.tracker")
    assert (coordinator.role, coordinator.organization.slug) == (Role.COORDINATOR, "eco-accord")
    lead = find_user_by_email("lead@demo.tracker")
    xrf = find_campaign(XRF_CAMPAIGN)
    assert lead.organization.slug == "for-nature-chelyabinsk" == xrf.lead_org.slug
    assert lead.led_campaign_ids == {xrf.id}

    second = dev_app.test_cli_runner().invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "Demo data already present; nothing added."
    assert account_count() == len(DEMO_USERS)


def test_each_demo_account_logs_in_with_the_demo_password(dev_app):
    dev_app.test_cli_runner().invoke(args=["seed-demo"])
    for item in DEMO_USERS:
        client = dev_app.test_client()
        response = client.post("/login", data={"email": item.email,
                                               "password": DEVELOPMENT_DEMO_PASSWORD})
        assert response.status_code == 302, (item.email, response.text)
        home = client.get("/campaigns/")
        assert home.status_code == 200
        assert 'action="/logout"' in home.text, item.email


def test_if_empty_adds_demo_accounts_only_while_there_is_no_account(dev_app):
    make_org(slug="our-own-ngo")
    runner = dev_app.test_cli_runner()

    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "demo data not loaded" in first.output
    assert account_count() == len(DEMO_USERS)
    assert find_user_by_email("lead@demo.tracker").led_campaign_ids == set()  # no demo campaign

    db.session.delete(find_user_by_email("viewer@demo.tracker"))
    db.session.commit()
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert account_count() == len(DEMO_USERS) - 1


def test_outside_development_seed_demo_creates_no_demo_accounts(runner, database_url):
    result = runner.invoke(args=["seed-demo"])  # the testing configuration
    assert result.exit_code == 0, result.output
    assert "No demo accounts created" in result.output
    assert account_count() == 0

    with running(app_in("production", database_url)) as production:
        refused = production.test_cli_runner().invoke(args=["seed-demo"])
        assert refused.exit_code != 0
        loaded = production.test_cli_runner().invoke(args=["seed-demo", "--allow-production"])
        assert loaded.exit_code == 0, loaded.output
        assert "No demo accounts created" in loaded.output
        assert "development configuration" in loaded.output
        assert account_count() == 0


def test_make_run_prints_the_demo_logins():
    makefile = MAKEFILE.read_text()
    assert re.search(rf"^DEMO_PASSWORD := {re.escape(DEVELOPMENT_DEMO_PASSWORD)}$", makefile,
                     re.MULTILINE)
    for item in DEMO_USERS:
        assert item.email in makefile
    assert "There is no login yet" not in makefile


# --- Production means production: demo accounts work in development only (issue 11, finding 3)

HTTPS = "https://localhost"  # production's session cookie is Secure: its browser speaks HTTPS


def post_login(other: Flask, client: Client, email: str, password: str):
    """The login form as a person posts it to `other` (over HTTPS in production)."""
    if other.config["ENV"] == "production":
        return client.post("/login", data={"email": email, "password": password},
                           base_url=HTTPS, headers={"Referer": f"{HTTPS}/login"})
    return client.post("/login", data={"email": email, "password": password})


def get(other: Flask, client: Client, path: str):
    return client.get(path, base_url=HTTPS if other.config["ENV"] == "production" else None)


@pytest.mark.parametrize("env", ["production", "testing", "staging"])
def test_seeded_demo_accounts_cannot_log_in_outside_development(dev_app, database_url, env):
    assert dev_app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with running(app_in(env, database_url)) as other:
        for item in DEMO_USERS:
            client = other.test_client()
            response = post_login(other, client, item.email, DEVELOPMENT_DEMO_PASSWORD)
            assert response.status_code == 422, (env, item.email)
            assert "Demo accounts work only in development" in response.text
            admin_page = get(other, client, "/admin/users")
            assert admin_page.status_code == 302
            assert "/login" in admin_page.headers["Location"]


def test_a_session_opened_in_development_stops_working_outside_it(dev_app, database_url):
    assert dev_app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = dev_app.test_client()
    assert post_login(dev_app, client, "admin@demo.tracker",
                      DEVELOPMENT_DEMO_PASSWORD).status_code == 302
    assert client.get("/admin/users").status_code == 200

    with running(app_in("staging", database_url)) as staging:
        staging_client = staging.test_client()
        name = staging.config["SESSION_COOKIE_NAME"]  # the same browser, now served by staging
        staging_client.set_cookie(name, client.get_cookie(name).value)
        response = staging_client.get("/admin/users")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        session = db.session.scalar(select(UserSession).where(
            UserSession.user_id == find_user_by_email("admin@demo.tracker").id))
        assert session.ended_at is not None and session.end_reason == SessionEnd.DISABLED


@pytest.mark.parametrize("email", ["admin@demo.tracker", "Someone@Demo.Tracker",
                                   "x@staff.demo.tracker"])
def test_any_account_in_the_demo_domain_is_refused_whatever_its_password(client, email):
    make_user(Role.ADMIN, email=email)  # the testing configuration, not development
    response = login_with_password(client, email)
    assert response.status_code == 422
    assert "Demo accounts work only in development" in response.text
    assert client.get("/admin/users").status_code == 302


def test_an_account_with_the_published_demo_password_is_refused_outside_development(client):
    make_user(Role.ADMIN, email="renamed-demo@eco-accord.org",
              password=DEVELOPMENT_DEMO_PASSWORD)
    response = login_with_password(client, "renamed-demo@eco-accord.org",
                                   DEVELOPMENT_DEMO_PASSWORD)
    assert response.status_code == 422
    assert "Demo accounts work only in development" in response.text
    assert client.get("/admin/users").status_code == 302


def test_real_accounts_still_log_in_in_production(app, database_url):
    make_user(Role.ADMIN, email="admin@eco-accord.org")
    with running(app_in("production", database_url)) as production:
        client = production.test_client()
        response = post_login(production, client, "admin@eco-accord.org", TEST_PASSWORD)
        assert response.status_code == 302, response.text
        assert get(production, client, "/admin/users").status_code == 200


def test_a_wrong_password_for_a_demo_account_reads_like_any_wrong_password(client):
    make_user(Role.VIEWER, email="viewer@demo.tracker")
    response = login_with_password(client, "viewer@demo.tracker", "not the password 2026")
    assert response.status_code == 422
    assert "Wrong e-mail address or password." in response.text
    assert "Demo accounts" not in response.text


def test_every_demo_account_is_in_the_reserved_demo_domain():
    assert all(is_demo_email(item.email) for item in DEMO_USERS)
    assert not is_demo_email("admin@demo.tracker.example.org")
    assert not is_demo_email("demo.tracker@example.org")
