"""The permission table: who may do what, per role and, for leads, per campaign."""

from __future__ import annotations

import pytest
from flask import render_template_string
from werkzeug.exceptions import Forbidden

from tests.auth_support import login, make_user
from tests.factories import make_campaign, make_org
from tracker.auth.models import Role
from tracker.auth.permissions import PERMISSIONS, Action, can, require
from tracker.auth.sessions import ANONYMOUS

# Written out by hand from issue 3 (not derived from PERMISSIONS, which it checks).
# Columns: admin, coordinator, fundraiser, lead in their campaign, lead elsewhere, viewer.
EXPECTED = {
    Action.VIEW:              "Y Y Y Y Y Y",
    Action.MANAGE_USERS:      "Y . . . . .",
    Action.MANAGE_RATES:      "Y Y . . . .",
    Action.EDIT_ORGS:         "Y Y . . . .",
    Action.EDIT_CAMPAIGN:     "Y Y . . . .",
    Action.EDIT_TARGETS:      "Y Y . Y . .",
    Action.EDIT_DRIVES:       "Y Y . Y . .",
    Action.LOG_PLEDGES:       "Y Y . Y . .",
    Action.EDIT_APPLICATIONS: "Y Y Y . . .",
    Action.EDIT_DONORS:       "Y Y Y . . .",
    Action.EDIT_PROPOSALS:    "Y Y Y . . .",
    Action.VIEW_AUDIT:        "Y Y . . . .",
    Action.SEE_CONTACTS:      "Y Y . Y . .",
    Action.MANAGE_SUPPORTER_DATA: "Y Y . . . .",
    Action.MANAGE_MAIL:       "Y . . . . .",
    # Issue 13: a lead records and sees spending only of its own organisation (below).
    Action.MANAGE_GRANTS:     "Y Y Y . . .",
    Action.APPROVE_SPENDING:  "Y Y . . . .",
    Action.RECORD_SPENDING:   "Y Y . . . .",
    Action.SEE_SPENDING:      "Y Y Y . . Y",
}
COLUMNS = ["admin", "coordinator", "fundraiser", "lead of A", "lead of B", "viewer"]


@pytest.fixture
def world(app):
    a, b = make_campaign(slug="campaign-a"), make_campaign(slug="campaign-b")
    users = {
        "admin": make_user(Role.ADMIN),
        "coordinator": make_user(Role.COORDINATOR),
        "fundraiser": make_user(Role.FUNDRAISER),
        "lead of A": make_user(Role.LEAD, campaigns=[a]),
        "lead of B": make_user(Role.LEAD, campaigns=[b]),
        "viewer": make_user(Role.VIEWER),
    }
    return a, users


def test_every_action_has_a_row_in_the_expected_table():
    assert set(EXPECTED) == set(Action) == set(PERMISSIONS)


@pytest.mark.parametrize("action", list(Action))
def test_permission_table_on_campaign_a(world, action):
    campaign_a, users = world
    actual = " ".join("Y" if can(users[who], action, campaign_a) else "." for who in COLUMNS)
    by_user = dict(zip(COLUMNS, actual.split(), strict=True))
    assert actual == EXPECTED[action], f"{action}: {by_user}"


def test_a_lead_has_no_campaign_rights_without_naming_the_campaign(world):
    _, users = world
    lead = users["lead of A"]
    assert not can(lead, Action.EDIT_TARGETS)
    assert not can(lead, Action.LOG_PLEDGES, None)
    assert can(lead, Action.VIEW)


def test_a_campaign_may_be_given_by_id_and_actions_by_name(world):
    campaign_a, users = world
    assert can(users["lead of A"], "log_pledges", campaign_a.id)
    assert not can(users["lead of B"], "log_pledges", campaign_a.id)


def test_a_lead_records_and_sees_only_its_own_organisations_spending(world):
    _, users = world
    lead, viewer = users["lead of A"], users["viewer"]
    own, other = make_org(slug="own-ngo"), make_org(slug="other-ngo")
    lead.organization_id = own.id
    for action in (Action.RECORD_SPENDING, Action.SEE_SPENDING):
        assert can(lead, action, organization=own)
        assert can(lead, action, organization=own.id)
        assert not can(lead, action, organization=other)
        assert not can(lead, action)
    assert can(viewer, Action.SEE_SPENDING, organization=other)
    assert not can(viewer, Action.RECORD_SPENDING, organization=other)
    lead.organization_id = None
    assert not can(lead, Action.RECORD_SPENDING, organization=own)


def test_a_misspelt_action_fails_loudly(world):
    _, users = world
    with pytest.raises(ValueError, match="edit_everything"):
        can(users["admin"], "edit_everything")


def test_a_lead_membership_grants_nothing_once_the_user_is_no_longer_a_lead(world):
    campaign_a, users = world
    lead = users["lead of A"]
    lead.role = Role.VIEWER  # as if changed behind the service's back
    assert not can(lead, Action.LOG_PLEDGES, campaign_a)


@pytest.mark.parametrize("action", list(Action))
def test_disabled_and_anonymous_users_may_do_nothing(world, action):
    campaign_a, users = world
    admin = users["admin"]
    admin.is_active = False
    assert not can(admin, action, campaign_a)
    assert not can(ANONYMOUS, action, campaign_a)
    assert not can(None, action, campaign_a)


def test_require_answers_403_when_the_condition_fails():
    require(True)
    with pytest.raises(Forbidden):
        require(False)


def test_templates_ask_can_for_the_logged_in_user(app, world):
    campaign_a, users = world
    template = ("{% if can('log_pledges', campaign) %}log{% else %}read{% endif %}"
                "/{% if can('manage_users') %}admin{% endif %}")
    expected = {"admin": "log/admin", "lead of A": "log/", "lead of B": "read/",
                "viewer": "read/"}
    for who, shown in expected.items():
        client = app.test_client()
        login(client, users[who])
        with client:
            client.get("/healthz")  # a request context in which this user is logged in
            assert render_template_string(template, campaign=campaign_a) == shown
    with app.test_request_context("/"):
        assert render_template_string(template, campaign=campaign_a) == "read/"
