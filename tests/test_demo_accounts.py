"""`seed-demo` adds one demo account per role, in the development configuration only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import PRODUCTION_SETTINGS, TEST_SECRET, Client
from tests.factories import make_org
from tracker import create_app
from tracker.auth.models import Role, User
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
    assert "5 demo accounts" in first.output
    assert account_count() == len(DEMO_USERS) == len(Role)
    assert {find_user_by_email(item.email).role for item in DEMO_USERS} == set(Role)

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
