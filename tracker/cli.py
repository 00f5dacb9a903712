"""The app's commands, `flask --app tracker <command>`: seed-demo here, each area's own
from its cli.py. Developer tools that are not part of the app (the benchmark's data
generator) live under bench/."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.audit.cli import register_commands as audit_commands
from tracker.auth.cli import register_commands as auth_commands
from tracker.backup.cli import register_commands as backup_commands
from tracker.drives.cli import register_commands as drive_commands
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.funding.cli import register_commands as funding_commands
from tracker.grants.cli import register_commands as grant_commands
from tracker.grants.report_cli import render_report
from tracker.jobs.cli import job_commands
from tracker.mail.cli import mail_commands
from tracker.proposals.cli import render_proposal
from tracker.reminders.cli import register_commands as reminder_commands
from tracker.supporters.cli import register_commands as supporter_commands
from tracker.tasks.cli import register_commands as task_commands

if TYPE_CHECKING:
    from tracker.demo import SeedReport


def register_commands(app: Flask) -> None:
    """Attach the project's commands to the app's CLI."""
    app.cli.add_command(seed_demo)
    app.cli.add_command(render_proposal)
    app.cli.add_command(render_report)
    audit_commands(app)
    auth_commands(app)
    funding_commands(app)
    drive_commands(app)
    supporter_commands(app)
    backup_commands(app)
    mail_commands(app)
    job_commands(app)
    reminder_commands(app)
    task_commands(app)
    grant_commands(app)


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True,
              help="Load no demo data when the database already holds organisations or "
                   "campaigns (demo accounts are still added while there is no account).")
@click.option("--allow-production", is_flag=True,
              help="Load the demo data even though TRACKER_ENV is production.")
@with_appcontext
def seed_demo(if_empty: bool, allow_production: bool) -> None:
    """Load the demo coalition and, in development, one demo account per role; idempotent."""
    # Imported here: the demo reads its data files when imported, and only this command
    # needs them, not every start of the app.
    from tracker.demo import (
        SeedReport,
        accounts_exist,
        database_is_empty,
        load_demo,
        load_demo_users,
    )

    if current_app.config["ENV"] == "production" and not allow_production:
        # Invented NGOs and budgets must not end up among a live coalition's records.
        raise click.ClickException(
            _("This is a production database: demo data is not loaded without "
              "--allow-production.")
        )
    load_data = not if_empty or database_is_empty()
    # Into a database that already has data, demo accounts go only while nobody can log in.
    add_accounts = load_data or not accounts_exist()
    password = current_app.config.get("DEMO_PASSWORD")
    report = SeedReport()
    try:
        if load_data:
            report = load_demo()
        if add_accounts and password:
            load_demo_users(password, report)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if not load_data:
        click.echo(_("The database already holds data; demo data not loaded."))
    if report.created_anything:
        click.echo(_("Created %(items)s.", items=", ".join(_created_items(report))))
    elif load_data:
        click.echo(_("Demo data already present; nothing added."))
    if add_accounts and not password:
        click.echo(_("No demo accounts created: their shared password is allowed only in the "
                     "development configuration (TRACKER_ENV=development)."))


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
        (report.calls, ngettext("%(num)d funding call", "%(num)d funding calls", report.calls)),
        (report.applications, ngettext("%(num)d application", "%(num)d applications",
                                       report.applications)),
        (report.drives, ngettext("%(num)d drive", "%(num)d drives", report.drives)),
        (report.pledges, ngettext("%(num)d pledge", "%(num)d pledges", report.pledges)),
        (report.grants, ngettext("%(num)d grant", "%(num)d grants", report.grants)),
        (report.expenditures, ngettext("%(num)d expenditure", "%(num)d expenditures",
                                       report.expenditures)),
        (report.users, ngettext("%(num)d demo account", "%(num)d demo accounts", report.users)),
    ]
    return [text for number, text in counts if number]
