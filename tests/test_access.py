"""Who may open what: every route of the app × every kind of visitor, and CSRF on every POST.

The table below is the expected outcome, written out by hand from issue 3's roles,
not derived from tracker.auth.permissions: a mistake in the permission table must
show up here. A route added to the app without a row here fails
`test_every_route_has_an_expected_outcome`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask

from tests.auth_support import login, make_user
from tests.factories import count_rows, make_campaign, make_line, make_org, make_target
from tracker.audit.models import AuditEvent
from tracker.auth import services as auth_services
from tracker.auth.models import Role
from tracker.extensions import db

ANONYMOUS, VIEWER, LEAD_A, LEAD_B = "anonymous", "viewer", "lead of A", "lead of B"
FUNDRAISER, COORDINATOR, ADMIN = "fundraiser", "coordinator", "admin"
ACTORS = (ANONYMOUS, VIEWER, LEAD_A, LEAD_B, FUNDRAISER, COORDINATOR, ADMIN)

SIGNED_IN = frozenset(ACTORS) - {ANONYMOUS}
EVERYONE = frozenset(ACTORS)
HUB_STAFF = frozenset({COORDINATOR, ADMIN})  # campaigns, organisations, rates, audit trail
BUDGET_OF_A = frozenset({LEAD_A, COORDINATOR, ADMIN})  # campaign A's targets and lines
ADMINS = frozenset({ADMIN})


@dataclass(frozen=True)
class World:
    """The records the routes are exercised on: campaign A (led by LEAD_A) and campaign B."""

    org: str
    campaign_a: str
    target_a: int
    line_a: int
    other_user: int
    invite_token: str


@dataclass(frozen=True)
class Expect:
    """Where a route is and who may use it; anyone else is refused."""

    path: Callable[[World], str]
    allowed: frozenset[str]


def at(path: str) -> Callable[[World], str]:
    return lambda world: path


ROUTES: dict[tuple[str, str], Expect] = {
    ("static", "GET"): Expect(at("/static/css/app.css"), EVERYONE),
    ("core.healthz", "GET"): Expect(at("/healthz"), EVERYONE),
    ("core.set_language", "POST"): Expect(at("/language"), EVERYONE),
    ("core.index", "GET"): Expect(at("/"), SIGNED_IN),
    # Accounts
    ("auth.login", "GET"): Expect(at("/login"), EVERYONE),
    ("auth.login", "POST"): Expect(at("/login"), EVERYONE),
    ("auth.logout", "POST"): Expect(at("/logout"), EVERYONE),
    ("auth.accept_invite", "GET"): Expect(lambda w: f"/invite/{w.invite_token}", EVERYONE),
    ("auth.accept_invite", "POST"): Expect(lambda w: f"/invite/{w.invite_token}", EVERYONE),
    ("auth.account", "GET"): Expect(at("/account"), SIGNED_IN),
    ("auth.change_password", "POST"): Expect(at("/account/password"), SIGNED_IN),
    ("auth.change_language", "POST"): Expect(at("/account/language"), SIGNED_IN),
    ("auth.end_other_sessions", "POST"): Expect(at("/account/sessions/end-others"), SIGNED_IN),
    ("auth.users", "GET"): Expect(at("/admin/users"), ADMINS),
    ("auth.invite", "GET"): Expect(at("/admin/users/invite"), ADMINS),
    ("auth.invite", "POST"): Expect(at("/admin/users/invite"), ADMINS),
    ("auth.edit_user", "GET"): Expect(lambda w: f"/admin/users/{w.other_user}", ADMINS),
    ("auth.edit_user", "POST"): Expect(lambda w: f"/admin/users/{w.other_user}", ADMINS),
    ("auth.disable_user", "POST"): Expect(lambda w: f"/admin/users/{w.other_user}/disable",
                                          ADMINS),
    ("auth.enable_user", "POST"): Expect(lambda w: f"/admin/users/{w.other_user}/enable",
                                         ADMINS),
    ("auth.new_link", "POST"): Expect(lambda w: f"/admin/users/{w.other_user}/link", ADMINS),
    # Organisations
    ("orgs.index", "GET"): Expect(at("/orgs/"), SIGNED_IN),
    ("orgs.show", "GET"): Expect(lambda w: f"/orgs/{w.org}", SIGNED_IN),
    ("orgs.new", "GET"): Expect(at("/orgs/new"), HUB_STAFF),
    ("orgs.new", "POST"): Expect(at("/orgs/new"), HUB_STAFF),
    ("orgs.edit", "GET"): Expect(lambda w: f"/orgs/{w.org}/edit", HUB_STAFF),
    ("orgs.edit", "POST"): Expect(lambda w: f"/orgs/{w.org}/edit", HUB_STAFF),
    # Campaigns
    ("campaigns.index", "GET"): Expect(at("/campaigns/"), SIGNED_IN),
    ("campaigns.show", "GET"): Expect(lambda w: f"/campaigns/{w.campaign_a}", SIGNED_IN),
    ("campaigns.new", "GET"): Expect(at("/campaigns/new"), HUB_STAFF),
    ("campaigns.new", "POST"): Expect(at("/campaigns/new"), HUB_STAFF),
    ("campaigns.edit", "GET"): Expect(lambda w: f"/campaigns/{w.campaign_a}/edit", HUB_STAFF),
    ("campaigns.edit", "POST"): Expect(lambda w: f"/campaigns/{w.campaign_a}/edit", HUB_STAFF),
    # Funding targets and budget lines of campaign A
    ("targets.show", "GET"): Expect(lambda w: f"/targets/{w.target_a}", SIGNED_IN),
    ("targets.new_target", "GET"): Expect(lambda w: f"/campaigns/{w.campaign_a}/targets/new",
                                          BUDGET_OF_A),
    ("targets.new_target", "POST"): Expect(lambda w: f"/campaigns/{w.campaign_a}/targets/new",
                                           BUDGET_OF_A),
    ("targets.edit", "GET"): Expect(lambda w: f"/targets/{w.target_a}/edit", BUDGET_OF_A),
    ("targets.edit", "POST"): Expect(lambda w: f"/targets/{w.target_a}/edit", BUDGET_OF_A),
    ("targets.confirm_delete", "GET"): Expect(lambda w: f"/targets/{w.target_a}/delete",
                                              BUDGET_OF_A),
    ("targets.delete", "POST"): Expect(lambda w: f"/targets/{w.target_a}/delete", BUDGET_OF_A),
    ("targets.add_line", "POST"): Expect(lambda w: f"/targets/{w.target_a}/lines", BUDGET_OF_A),
    ("targets.edit_line", "GET"): Expect(
        lambda w: f"/targets/{w.target_a}/lines/{w.line_a}/edit", BUDGET_OF_A),
    ("targets.edit_line", "POST"): Expect(
        lambda w: f"/targets/{w.target_a}/lines/{w.line_a}/edit", BUDGET_OF_A),
    ("targets.confirm_remove_line", "GET"): Expect(
        lambda w: f"/targets/{w.target_a}/lines/{w.line_a}/remove", BUDGET_OF_A),
    ("targets.remove_line", "POST"): Expect(
        lambda w: f"/targets/{w.target_a}/lines/{w.line_a}/remove", BUDGET_OF_A),
    # Currencies and exchange rates
    ("money.index", "GET"): Expect(at("/currencies"), SIGNED_IN),
    ("money.rates", "GET"): Expect(at("/rates"), SIGNED_IN),
    ("money.sample_csv", "GET"): Expect(at("/rates/import/sample.csv"), SIGNED_IN),
    ("money.new_rate", "GET"): Expect(at("/rates/new"), HUB_STAFF),
    ("money.new_rate", "POST"): Expect(at("/rates/new"), HUB_STAFF),
    ("money.import_rates", "GET"): Expect(at("/rates/import"), HUB_STAFF),
    ("money.import_rates", "POST"): Expect(at("/rates/import"), HUB_STAFF),
    # The audit trail
    ("audit.index", "GET"): Expect(at("/audit/"), HUB_STAFF),
    ("audit.export", "GET"): Expect(at("/audit/export.csv"), HUB_STAFF),
}


def app_routes(app: Flask) -> set[tuple[str, str]]:
    """(endpoint, method) for every rule the app serves, without HEAD and OPTIONS."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


def build_world() -> tuple[World, dict[str, object]]:
    """Two campaigns with their leads, a target and line in A, and one account of each role."""
    org = make_org(slug="eco-accord")
    campaign_a = make_campaign(lead=org, slug="campaign-a")
    campaign_b = make_campaign(lead=org, slug="campaign-b")
    target_a = make_target(campaign_a)
    line_a = make_line(target_a)
    users = {
        VIEWER: make_user(Role.VIEWER),
        LEAD_A: make_user(Role.LEAD, campaigns=[campaign_a]),
        LEAD_B: make_user(Role.LEAD, campaigns=[campaign_b]),
        FUNDRAISER: make_user(Role.FUNDRAISER),
        COORDINATOR: make_user(Role.COORDINATOR),
        ADMIN: make_user(Role.ADMIN),
    }
    invited = auth_services.invite_user(
        auth_services.UserInput(email="invited@example.org", role=Role.VIEWER),
        by=None, valid_for=timedelta(days=7),
    )
    other = make_user(Role.VIEWER, email="other@example.org")
    db.session.commit()
    world = World(org=org.slug, campaign_a=campaign_a.slug, target_a=target_a.id,
                  line_a=line_a.id, other_user=other.id, invite_token=invited.token)
    return world, users


def request_as(client, actor: str, users: dict, method: str, path: str, **kwargs):
    if actor != ANONYMOUS:
        login(client, users[actor])
    # Buffered, so that a streamed response (a static file) is read and closed here.
    if method == "GET":
        return client.get(path, buffered=True, **kwargs)
    return client.post(path, data={}, buffered=True, **kwargs)


def test_every_route_has_an_expected_outcome(app):
    served = app_routes(app)
    assert sorted(served - ROUTES.keys()) == [], "routes without an entry in ROUTES"
    assert sorted(ROUTES.keys() - served) == [], "entries in ROUTES for routes that are gone"


def outcome_problem(route: tuple[str, str], actor: str, response) -> str | None:
    """Why the response is not what ROUTES expects for this actor, or None."""
    endpoint, method = route
    location = response.headers.get("Location", "")
    sent_to_login = response.status_code == 302 and location.split("?")[0] == "/login"
    if actor in ROUTES[route].allowed:
        if response.status_code in {200, 302, 303, 422} and (
                not sent_to_login or endpoint == "auth.logout"):
            return None
        return f"{actor} should reach {method} {endpoint}, got {response.status_code} {location}"
    if actor == ANONYMOUS:
        # A page comes back after login (?next=); a refused POST cannot be replayed, so not.
        if sent_to_login:
            return None
        return f"anonymous {method} {endpoint} should go to log in, got {response.status_code}"
    if response.status_code == 403:
        return None
    return f"{actor} must not reach {method} {endpoint}, got {response.status_code}"


GET_ROUTES = sorted(route for route in ROUTES if route[1] == "GET")
POST_ROUTES = sorted(route for route in ROUTES if route[1] == "POST")


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda route: route[0])
def test_pages_open_only_to_those_allowed(app, route):
    world, users = build_world()
    problems = []
    for actor in ACTORS:  # reading changes nothing, so one world serves every visitor
        client = app.test_client()
        response = request_as(client, actor, users, "GET", ROUTES[route].path(world))
        problems.append(outcome_problem(route, actor, response))
    assert [problem for problem in problems if problem] == []


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda route: route[0])
def test_actions_open_only_to_those_allowed_and_refusals_change_nothing(client, route, actor):
    world, users = build_world()
    changes_before = count_rows(AuditEvent)

    response = request_as(client, actor, users, "POST", ROUTES[route].path(world))

    assert outcome_problem(route, actor, response) is None, outcome_problem(
        route, actor, response)
    if actor not in ROUTES[route].allowed:
        assert count_rows(AuditEvent) == changes_before


@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda route: route[0])
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(client, route):
    expected = ROUTES[route]
    world, users = build_world()
    actor = ADMIN if ADMIN in expected.allowed else next(iter(expected.allowed))
    if actor != ANONYMOUS:
        login(client, users[actor])
    changes_before = count_rows(AuditEvent)

    response = client.post(expected.path(world), data={}, csrf=False)

    assert response.status_code == 400
    assert count_rows(AuditEvent) == changes_before
    if actor != ANONYMOUS:  # not even the session was touched: a forged logout does nothing
        assert client.get("/account").status_code == 200
