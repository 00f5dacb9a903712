"""Supporters' data commands: `export-supporter`, `erase-supporter`, and
`prune-unconfirmed-pledges`, which a scheduler runs daily."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import ngettext

from tracker.audit.hooks import COMMAND_LINE, acting_as
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.supporters import services


def register_commands(app: Flask) -> None:
    """Attach the supporters' data commands to the app's CLI."""
    app.cli.add_command(export_supporter)
    app.cli.add_command(erase_supporter)
    app.cli.add_command(prune_unconfirmed_pledges)


def _refuse(error: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(str(error))


@click.command("export-supporter")
@click.argument("email")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The JSON file to write (standard output without it).")
@with_appcontext
def export_supporter(email: str, output: Path | None) -> None:
    """Write everything Tracker holds about the supporter with this e-mail as JSON."""
    try:
        pledges = services.supporter_pledges(email)
        data = services.supporter_data(email)
        with acting_as(None, COMMAND_LINE):
            services.record_supporter_view(pledges, exported=True)
        db.session.commit()
    except DomainError as error:
        _refuse(error)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(ngettext("%(num)d pledge written to %(file)s.",
                            "%(num)d pledges written to %(file)s.", len(pledges), file=output),
                   err=True)


@click.command("erase-supporter")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Erase without asking.")
@with_appcontext
def erase_supporter(email: str, yes: bool) -> None:
    """Anonymise every pledge given with this e-mail; amounts, payments and totals stay."""
    try:
        count = len(services.supporter_pledges(email))
    except DomainError as error:
        _refuse(error)
    if count and not yes:
        click.confirm(ngettext("Erase the supporter's data from %(num)d pledge?",
                               "Erase the supporter's data from %(num)d pledges?", count),
                      abort=True)
    try:
        with acting_as(None, COMMAND_LINE):
            erased = services.erase_supporter(email)
        db.session.commit()
    except DomainError as error:
        _refuse(error)
    click.echo(ngettext("The supporter's data was erased from %(num)d pledge.",
                        "The supporter's data was erased from %(num)d pledges.",
                        erased.pledges))


@click.command("prune-unconfirmed-pledges")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Remove those older than this many days (default: "
                   "TRACKER_UNCONFIRMED_PLEDGE_DAYS, 30).")
@with_appcontext
def prune_unconfirmed_pledges(days: int | None) -> None:
    """Remove public pledges nobody confirmed (unconfirmed or rejected) after N days."""
    days = days or int(current_app.config["UNCONFIRMED_PLEDGE_DAYS"])
    try:
        with acting_as(None, COMMAND_LINE):
            removed = services.prune_unconfirmed_pledges(days)
        db.session.commit()
    except DomainError as error:
        _refuse(error)
    click.echo(ngettext("%(num)d unconfirmed public pledge older than %(days)d days removed.",
                        "%(num)d unconfirmed public pledges older than %(days)d days removed.",
                        removed, days=days))
