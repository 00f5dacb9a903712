"""`flask create-user`: the first admin in production, and any account from a shell."""

from __future__ import annotations

from sqlalchemy import select

from tests.auth_support import login_with_password
from tests.factories import count_rows, make_campaign, make_org
from tracker.auth.models import Role, User
from tracker.auth.passwords import verify_password
from tracker.extensions import db

PASSWORD = "Aral Sea dust and pesticides"


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_create_user_reads_the_password_from_stdin(runner, client):
    org = make_org(slug="eco-accord")
    result = runner.invoke(args=["create-user", "Admin@Eco-Accord.org", "--role", "admin",
                                 "--org", "eco-accord", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created the account admin@eco-accord.org with the role Administrator." in result.output
    user = user_by_email("admin@eco-accord.org")
    assert user.role == Role.ADMIN and user.organization_id == org.id and user.is_active
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)
    assert login_with_password(client, "admin@eco-accord.org", PASSWORD).status_code == 302


def test_create_user_prompts_twice_for_a_hidden_password(runner):
    result = runner.invoke(args=["create-user", "viewer@example.org", "--role", "viewer"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    user = user_by_email("viewer@example.org")
    assert verify_password(user.password_hash, PASSWORD)
    assert user.language == "ru"


def test_prompt_asks_again_when_the_two_entries_differ(runner):
    result = runner.invoke(args=["create-user", "viewer@example.org", "--role", "viewer"],
                           input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert user_by_email("viewer@example.org") is not None


def test_create_user_makes_a_lead_of_campaigns(runner):
    paint, xrf = make_campaign(slug="lead-in-paint"), make_campaign(slug="xrf-urals")
    result = runner.invoke(args=["create-user", "lead@example.org", "--role", "lead",
                                 "--campaign", "lead-in-paint", "--campaign", "xrf-urals",
                                 "--language", "en", "--password-stdin"], input=PASSWORD)
    assert result.exit_code == 0, result.output
    user = user_by_email("lead@example.org")
    assert user.led_campaign_ids == {paint.id, xrf.id} and user.language == "en"


def test_an_unknown_role_is_refused(runner):
    result = runner.invoke(args=["create-user", "x@example.org", "--role", "superuser",
                                 "--password-stdin"], input=PASSWORD)
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output
    assert count_rows(User) == 0


def test_an_unknown_organisation_is_refused(runner):
    result = runner.invoke(args=["create-user", "x@example.org", "--role", "viewer",
                                 "--org", "no-such-ngo", "--password-stdin"], input=PASSWORD)
    assert result.exit_code == 1
    assert "There is no organisation with the short name no-such-ngo." in result.output
    assert count_rows(User) == 0


def test_an_unknown_campaign_is_refused(runner):
    result = runner.invoke(args=["create-user", "x@example.org", "--role", "lead",
                                 "--campaign", "nope", "--password-stdin"], input=PASSWORD)
    assert result.exit_code == 1
    assert "There is no campaign with the short name nope." in result.output
    assert count_rows(User) == 0


def test_campaigns_for_a_role_other_than_lead_are_refused(runner):
    make_campaign(slug="lead-in-paint")
    result = runner.invoke(args=["create-user", "x@example.org", "--role", "viewer",
                                 "--campaign", "lead-in-paint", "--password-stdin"],
                           input=PASSWORD)
    assert result.exit_code == 1
    assert "Only campaign leads are members of campaigns" in result.output
    assert count_rows(User) == 0


def test_the_password_policy_applies(runner):
    for password, message in [("short", "Use at least 12 characters"),
                              ("password1234", "list of commonly used passwords"),
                              ("X@Example.org", "must not be your e-mail address")]:
        result = runner.invoke(args=["create-user", "x@example.org", "--role", "viewer",
                                     "--password-stdin"], input=password + "\n")
        assert result.exit_code == 1, password
        assert message in result.output
    assert count_rows(User) == 0


def test_an_existing_email_is_refused_whatever_its_case(runner):
    runner.invoke(args=["create-user", "x@example.org", "--role", "viewer", "--password-stdin"],
                  input=PASSWORD)
    result = runner.invoke(args=["create-user", "X@EXAMPLE.ORG", "--role", "admin",
                                 "--password-stdin"], input=PASSWORD)
    assert result.exit_code == 1
    assert "There is already an account for x@example.org." in result.output
    assert count_rows(User) == 1
    assert user_by_email("x@example.org").role == Role.VIEWER


def test_an_invalid_email_is_refused(runner):
    result = runner.invoke(args=["create-user", "not-an-address", "--role", "viewer",
                                 "--password-stdin"], input=PASSWORD)
    assert result.exit_code == 1
    assert "Give a valid e-mail address" in result.output
