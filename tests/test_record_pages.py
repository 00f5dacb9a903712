"""Record pages show only the buttons a user may use, and each record's history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.auth_support import login, make_user
from tests.factories import make_campaign, make_line, make_target
from tests.pages import without_history
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.orgs.services import OrganizationInput, update_organization
from tracker.targets.models import BudgetLine
from tracker.targets.services import BudgetLineInput, update_line


@pytest.fixture
def world(app):
    """Two campaigns, each with a target and a line; a lead of the first one."""
    ours, theirs = make_campaign(slug="ours"), make_campaign(slug="theirs")
    our_target, their_target = make_target(ours), make_target(theirs)
    make_line(our_target, description="Our flights")
    make_line(their_target, description="Their flights")
    return {"ours": ours, "theirs": theirs, "our_target": our_target,
            "their_target": their_target, "lead": make_user(Role.LEAD, campaigns=[ours])}


def sign_in(client, world, who: str) -> User:
    user = world["lead"] if who == "lead" else make_user(Role(who))
    login(client, user)
    return user


EDIT_TARGET_MARKS = ("Edit target", "Delete target", "Add a budget line", "/lines/",
                     'action="/targets/')


@pytest.mark.parametrize("who", ["viewer", "fundraiser"])
def test_readers_see_the_records_but_no_button_to_change_them(client, world, who):
    sign_in(client, world, who)
    org = world["ours"].lead_org

    orgs = client.get("/orgs/").text
    assert org.name in orgs
    assert "Add an organisation" not in orgs and 'href="/orgs/new"' not in orgs
    page = without_history(client.get(f"/orgs/{org.slug}").text)
    assert org.name in page and f'href="/orgs/{org.slug}/edit"' not in page

    campaign = client.get("/campaigns/ours").text
    assert "Our flights" in campaign
    assert "Add a funding target" not in campaign and "/targets/new" not in campaign
    assert "Open budget" in campaign and "Edit budget" not in campaign
    assert 'href="/campaigns/ours/edit"' not in campaign

    budget = client.get(f"/targets/{world['our_target'].id}")
    assert budget.status_code == 200 and "Our flights" in budget.text
    for mark in EDIT_TARGET_MARKS:
        assert mark not in without_history(budget.text), mark


def test_a_lead_may_change_their_campaigns_budget_only(client, world):
    sign_in(client, world, "lead")

    ours = client.get(f"/targets/{world['our_target'].id}").text
    for mark in EDIT_TARGET_MARKS:
        assert mark in ours, mark
    assert "Edit budget" in client.get("/campaigns/ours").text

    theirs = without_history(client.get(f"/targets/{world['their_target'].id}").text)
    assert "Their flights" in theirs
    for mark in EDIT_TARGET_MARKS:
        assert mark not in theirs, mark
    campaign = client.get("/campaigns/theirs").text
    assert "Open budget" in campaign and "Add a funding target" not in campaign
    # Organisations are the coordinators' and admins'.
    assert "Add an organisation" not in client.get("/orgs/").text


def test_a_coordinator_sees_every_button(client, world):
    sign_in(client, world, "coordinator")
    assert "Add an organisation" in client.get("/orgs/").text
    slug = world["ours"].lead_org.slug
    assert f'href="/orgs/{slug}/edit"' in client.get(f"/orgs/{slug}").text
    for key in ("our_target", "their_target"):
        page = client.get(f"/targets/{world[key].id}").text
        for mark in EDIT_TARGET_MARKS:
            assert mark in page, mark


def test_empty_lists_invite_only_those_who_may_add(client, app):
    campaign = make_campaign(slug="bare")
    viewer = make_user(Role.VIEWER)
    login(client, viewer)
    page = client.get("/campaigns/bare").text
    assert "No funding targets yet." in page and "add one" not in page
    target = make_target(campaign)
    page = client.get(f"/targets/{target.id}").text
    assert "No budget lines yet." in page and "Add the first one below" not in page


def test_the_organisation_page_shows_its_history(client, world):
    org = world["ours"].lead_org
    update_organization(org, OrganizationInput(
        slug=org.slug, name_en=org.name_en, name_ru=org.name_ru, country=org.country,
        kind=org.kind, city_en="Karaganda"))
    db.session.commit()
    sign_in(client, world, "viewer")

    page = client.get(f"/orgs/{org.slug}").text
    history = page.split('id="history"')[1]
    assert "Almaty" in history and "Karaganda" in history
    assert "Organisation" in history


def test_the_target_page_shows_its_lines_history_with_before_and_after(client, world):
    line = world["our_target"].lines[0]
    update_line(line, BudgetLineInput(category=line.category, description_en=line.description_en,
                                      quantity=line.quantity, unit_cost=Decimal("150")))
    db.session.commit()
    sign_in(client, world, "viewer")

    page = client.get(f"/targets/{world['our_target'].id}").text
    history = page.split('id="history"')[1]
    assert ("changed the budget line “Our flights”: unit cost from $100.00 to $150.00 "
            "and total from $100.00 to $150.00") in history
    assert "Their flights" not in history


@pytest.mark.usefixtures("signed_in_admin")
def test_the_admins_user_page_shows_the_accounts_history(client, app):
    user = make_user(Role.VIEWER, email="viewer@example.org")
    user.role = Role.FUNDRAISER
    db.session.commit()

    page = client.get(f"/admin/users/{user.id}")
    assert page.status_code == 200
    history = page.text.split('id="history"')[1]
    assert "viewer@example.org" in history
    assert "Viewer" in history and "Fundraiser" in history


@pytest.mark.usefixtures("signed_in_admin")
def test_a_refused_line_keeps_the_history_pager_on_the_target_page(client, app):
    target = make_target(make_campaign())
    for number in range(25):
        make_line(target, description=f"Line {number}")
    response = client.post(f"/targets/{target.id}/lines", data={"quantity": "x"})
    assert response.status_code == 422
    # The link to the whole history leads to the target's page, not to the form's address.
    assert f'href="/targets/{target.id}?history_page=1#history"' in response.text
    assert db.session.query(BudgetLine).count() == 25
