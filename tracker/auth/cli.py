"""Account commands: `flask --app tracker create-user EMAIL --role ROLE [--invite] ...`."""

from __future__ import annotations

import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.auth import services
from tracker.auth.models import Role
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import LANGUAGES, format_timestamp
from tracker.jobs import run_ready_jobs
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.urls import external_url


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
              help="Language of the screens after logging in, and of the e-mails.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of asking.")
@click.option("--invite", is_flag=True,
              help="E-mail the person a one-time link to set their own password instead.")
@with_appcontext
def create_user(email: str, role: str, org_slug: str | None, campaign_slugs: tuple[str, ...],
                language: str, password_stdin: bool, invite: bool) -> None:
    """Create an account that can log in at once, or (--invite) e-mail its owner an invitation."""
    if invite and password_stdin:
        raise click.UsageError(_("Give either --invite or --password-stdin, not both."))
    password: str | None = None
    result: services.InviteResult | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not invite:
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
        if invite:
            valid_for = timedelta(days=current_app.config["INVITE_VALID_DAYS"])
            result = services.invite_user(data, by=None, valid_for=valid_for)
            user = result.user
        else:
            user = services.create_user(data, password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(_("Created the account %(email)s with the role %(role)s.",
                 email=user.email, role=user.role.label))
    if result is not None:
        _report_invitation(result)


def _report_invitation(result: services.InviteResult) -> None:
    """Say whether the invitation left; if it could not, print the link to pass on by hand."""
    run_ready_jobs()  # without Redis the message is sent now; with it, a worker sends it
    message = (db.session.get(OutboxMessage, result.message_id, populate_existing=True)
               if result.message_id else None)
    if message is not None:
        click.echo(_("Invitation to %(email)s: %(status)s.", email=result.user.email,
                     status=message.status.label))
        if message.status is MessageStatus.SENT or not message.last_error:
            return  # sent, or waiting for a worker: nothing has gone wrong
        click.echo(message.last_error, err=True)
    click.echo(_("If it does not arrive, pass on this link yourself; it works once, until "
                 "%(when)s:", when=format_timestamp(result.expires_at)), err=True)
    click.echo(external_url("auth.accept_invite", token=result.token), err=True)
