"""Command-line commands of the funding area."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.extensions import db
from tracker.funding.drift import find_drifts
from tracker.funding.services import refresh_all_rollups


@click.command("refresh-funding")
@with_appcontext
def refresh_funding() -> None:
    """Rebuild every drive's and campaign's roll-up from the rows (after a bulk load)."""
    _drives, count = refresh_all_rollups()
    db.session.commit()
    click.echo(ngettext("Funding figures recomputed for %(num)d campaign.",
                        "Funding figures recomputed for %(num)d campaigns.", count))


@click.command("check-totals")
@with_appcontext
def check_totals() -> None:
    """Recompute every drive's and campaign's figures and report where the stored ones drift."""
    report = find_drifts()
    db.session.rollback()
    for drift in report.drifts:
        click.echo(_("%(record)s: %(figure)s is %(stored)s, recomputed %(computed)s",
                     record=drift.record, figure=drift.figure, stored=drift.stored,
                     computed=drift.computed))
    drives = ngettext("%(num)d drive", "%(num)d drives", report.drives)
    campaigns = ngettext("%(num)d campaign", "%(num)d campaigns", report.campaigns)
    click.echo(ngettext("%(num)d drift in %(drives)s and %(campaigns)s",
                        "%(num)d drifts in %(drives)s and %(campaigns)s", len(report.drifts),
                        drives=drives, campaigns=campaigns))
    if report.drifts:
        sys.exit(1)


def register_commands(app: Flask) -> None:
    """Attach the funding commands to the app's CLI."""
    app.cli.add_command(refresh_funding)
    app.cli.add_command(check_totals)
