"""Mail commands: a test message, and the sweep that sends what is due."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from tracker.extensions import db
from tracker.jobs import run_ready_jobs
from tracker.mail.delivery import send_due_messages
from tracker.mail.outbox import queue_message
from tracker.urls import external_url


@click.command("send-test-mail")
@click.argument("address")
@click.option("--lang", type=click.Choice(["en", "ru"]), default="en", show_default=True)
@with_appcontext
def send_test_mail(address: str, lang: str) -> None:
    """Send a test message to ADDRESS through the configured mail server (or folder)."""
    server = current_app.config["MAIL_SERVER"] or _("the mail folder")
    message = queue_message(kind="test_message", recipient=address, language=lang,
                            subject=_l("A test message from Tracker"),
                            context={"server": server, "site_url": external_url("dashboard.index")})
    db.session.commit()
    run_ready_jobs()
    assert message is not None
    db.session.refresh(message)
    click.echo(_("Message %(id)s to %(address)s: %(status)s.", id=message.id, address=address,
                 status=message.status.label))
    if message.last_error:
        click.echo(message.last_error, err=True)
        raise SystemExit(1)


@click.command("send-mail")
@with_appcontext
def send_mail() -> None:
    """Send every outbox message that is due (retries, and any a lost job left waiting)."""
    sent = send_due_messages()
    click.echo(ngettext("%(num)d message sent.", "%(num)d messages sent.", sent))


def mail_commands(app: Flask) -> None:
    """Attach the mail commands to the app's CLI."""
    app.cli.add_command(send_test_mail)
    app.cli.add_command(send_mail)
