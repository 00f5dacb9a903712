"""Account commands: `flask --app tracker create-user EMAIL --role ROLE ...`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.auth import services
from tracker.auth.models import Role
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import LANGUAGES


def register_commands(app: Flask) -> None:
    """Attach the account commands to the app's CLI."""
    app.cli.add_command(create_user)


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]),
              help="What the person may do (see tracker/auth/permissions.py).")
@click.option("--org", "org_slug", metavar="SLUG", help="Short name of the person's organisation.")
@click.option("--campaign", "campaign_slugs", metavar="SLUG", multiple=True,
              help="A campaign the person leads (role lead only); repeat for several.")
@click.option("--language", type=click.Choice(LANGUAGES), default="ru", show_default=True,
              help="Language of the screens after logging in.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of asking.")
@with_appcontext
def create_user(email: str, role: str, org_slug: str | None, campaign_slugs: tuple[str, ...],
                language: str, password_stdin: bool) -> None:
    """Create an account that can log in at once (e.g. the first administrator)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True,
                                err=True)
    try:
        data = services.UserInput(
            email=email,
            role=Role(role),
            organization_id=services.find_organization_id(org_slug) if org_slug else None,
            campaign_ids=tuple(services.find_campaign_ids(campaign_slugs)),
            language=language,
        )
        user = services.create_user(data, password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(_("Created the account %(email)s with the role %(role)s.",
                 email=user.email, role=user.role.label))
