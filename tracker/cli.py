"""Command-line commands: `flask --app tracker <command>`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.auth.cli import register_commands as auth_commands
from tracker.demo import SeedReport, database_is_empty, load_demo
from tracker.errors import DomainError
from tracker.extensions import db


def register_commands(app: Flask) -> None:
    """Attach the project's commands to the app's CLI."""
    app.cli.add_command(seed_demo)
    auth_commands(app)


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True,
              help="Load nothing when the database already holds organisations or campaigns.")
@click.option("--allow-production", is_flag=True,
              help="Load the demo data even though TRACKER_ENV is production.")
@with_appcontext
def seed_demo(if_empty: bool, allow_production: bool) -> None:
    """Load the demo coalition from the EECCA meeting report; a second run adds nothing."""
    if current_app.config["ENV"] == "production" and not allow_production:
        # Invented NGOs and budgets must not end up among a live coalition's records.
        raise click.ClickException(
            _("This is a production database: demo data is not loaded without "
              "--allow-production.")
        )
    if if_empty and not database_is_empty():
        click.echo(_("The database already holds data; demo data not loaded."))
        return
    try:
        report = load_demo()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if not report.created_anything:
        click.echo(_("Demo data already present; nothing added."))
        return
    click.echo(_("Created %(items)s.", items=", ".join(_created_items(report))))


def _created_items(report: SeedReport) -> list[str]:
    """'16 organisations', '7 campaigns', ...: each kind that was created, with its plural."""
    counts = [
        (report.organisations, ngettext("%(num)d organisation", "%(num)d organisations",
                                        report.organisations)),
        (report.campaigns, ngettext("%(num)d campaign", "%(num)d campaigns", report.campaigns)),
        (report.targets, ngettext("%(num)d funding target", "%(num)d funding targets",
                                  report.targets)),
        (report.lines, ngettext("%(num)d budget line", "%(num)d budget lines", report.lines)),
        (report.rates, ngettext("%(num)d exchange rate", "%(num)d exchange rates", report.rates)),
    ]
    return [text for number, text in counts if number]
