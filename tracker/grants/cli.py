"""Grant commands: `flask --app tracker import-expenditures FILE --grant REF`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.csvfiles import FileRefused, check_size
from tracker.errors import DomainError, NotFound
from tracker.extensions import db
from tracker.grants import services
from tracker.grants.models import Grant
from tracker.i18n import format_money
from tracker.tabular import map_option, refused_on_command_line


def register_commands(app: Flask) -> None:
    """Attach the grant commands to the app's CLI."""
    app.cli.add_command(import_expenditures)


def _grant(reference: str) -> Grant:
    try:
        return services.find_grant(reference)
    except NotFound:
        raise click.ClickException(_("No grant with the agreement reference %(reference)s.",
                                     reference=reference)) from None


def _row_line(row: services.ImportRow) -> str:
    """One checked row as the command prints it."""
    if row.duplicate:
        return _("Row %(row)s: document %(document)s of %(partner)s is already recorded: "
                 "skipped.", row=row.row, document=row.document, partner=row.partner)
    return _("Row %(row)s: %(date)s, line %(line)s, %(partner)s, %(amount)s = %(converted)s, "
             "document %(document)s", row=row.row, date=row.spent_on.isoformat(),
             line=row.line_code, partner=row.partner, amount=format_money(row.amount),
             converted=format_money(row.grant_amount), document=row.document)


@click.command("import-expenditures")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--grant", "reference", required=True, metavar="REF",
              help="The agreement reference of the grant the money was spent from.")
@click.option("--dry-run", is_flag=True,
              help="Check every row and print what would be imported; write nothing.")
@click.option("--map", "pairs", multiple=True, metavar="FIELD=HEADER",
              help="Read a field from a column with another header, e.g. --map "
                   "document=\"Payment order\"; fields: date, line, partner, amount, "
                   "currency, document, description. Repeat for several.")
@with_appcontext
def import_expenditures(file: Path, reference: str, dry_run: bool,
                        pairs: tuple[str, ...]) -> None:
    """Import expenditures from a CSV or XLSX file: every row valid, or nothing is imported.

    They wait for approval; rows whose document the grant already holds are skipped.
    """
    grant = _grant(reference)
    mapping = map_option(pairs)
    try:
        # Refused before a huge file is read into memory.
        check_size(file.stat().st_size, current_app.config["EXPENDITURE_IMPORT_MAX_BYTES"],
                   services.ExpenditureImportError)
        result = services.import_expenditures(grant, file.read_bytes(), file.name, mapping,
                                              by=None, dry_run=dry_run)
    except FileRefused as error:
        db.session.rollback()
        raise refused_on_command_line(error) from None
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for row in result.rows:
        click.echo(_row_line(row))
    new = len(result.new)
    if dry_run:
        click.echo(ngettext("Dry run: nothing was written. %(num)d row checked: it is valid.",
                            "Dry run: nothing was written. %(num)d rows checked: all are valid.",
                            len(result.rows)))
        click.echo(ngettext("%(num)d expenditure would be imported, waiting for approval: "
                            "%(total)s.",
                            "%(num)d expenditures would be imported, waiting for approval: "
                            "%(total)s.", new, total=format_money(result.total)))
    else:
        click.echo(ngettext("%(num)d expenditure imported, waiting for approval: %(total)s.",
                            "%(num)d expenditures imported, waiting for approval: %(total)s.",
                            new, total=format_money(result.total)))
    click.echo(ngettext("%(num)d row skipped: its document was already recorded.",
                        "%(num)d rows skipped: their documents were already recorded.",
                        len(result.skipped)))
