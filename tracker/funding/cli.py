"""Command-line commands of the funding area."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import ngettext

from tracker.extensions import db
from tracker.funding.services import refresh_all_campaign_funding


@click.command("refresh-funding")
@with_appcontext
def refresh_funding() -> None:
    """Recompute every campaign's funding roll-up (after an upgrade or a bulk load)."""
    count = refresh_all_campaign_funding()
    db.session.commit()
    click.echo(ngettext("Funding figures recomputed for %(num)d campaign.",
                        "Funding figures recomputed for %(num)d campaigns.", count))


def register_commands(app: Flask) -> None:
    """Attach the funding commands to the app's CLI."""
    app.cli.add_command(refresh_funding)
