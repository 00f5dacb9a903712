"""Drive commands: `flask --app tracker import-pledges FILE --drive SLUG`, `export-pledges`."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.audit.hooks import COMMAND_LINE, acting_as
from tracker.auth.models import User
from tracker.auth.permissions import Action, can
from tracker.auth.services import find_user_by_email
from tracker.csvfiles import FileRefused, excel_dialect, size_label
from tracker.drives import exports, imports
from tracker.drives.models import Channel, Drive
from tracker.drives.privacy import record_contacts_exported
from tracker.drives.services import find_drive
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.i18n import LANGUAGES
from tracker.tabular import map_option, refused_on_command_line

PROGRESS_FROM_ROWS = 1_000  # smaller files are done before a bar would be worth drawing


def register_commands(app: Flask) -> None:
    """Attach the drive commands to the app's CLI."""
    app.cli.add_command(import_pledges)
    app.cli.add_command(export_pledges)


def _drive(slug: str) -> Drive:
    drive = find_drive(slug)
    if drive is None:
        raise click.ClickException(_("No drive with the short name %(slug)s.", slug=slug))
    return drive


def _actor(email: str | None, drive: Drive) -> User | None:
    """The account the import is recorded under (--as), which must manage the drive's pledges."""
    if email is None:
        return None
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        raise click.ClickException(_("No active account with the e-mail %(email)s.",
                                     email=email))
    if not can(user, Action.LOG_PLEDGES, drive.campaign):
        raise click.ClickException(_("%(email)s may not log pledges for this drive.",
                                     email=user.email))
    return user


def _bar(length: int, label: str) -> Any:
    """A progress bar on standard error for large files; nothing for small ones."""
    if length <= PROGRESS_FROM_ROWS:
        return nullcontext(None)
    return click.progressbar(length=length, label=label, file=sys.stderr)


def _refuse(error: DomainError) -> None:
    """List a refused file's bad rows on standard error, then stop with a non-zero exit."""
    db.session.rollback()
    if isinstance(error, FileRefused):
        raise refused_on_command_line(error)
    raise click.ClickException(str(error))


@click.command("import-pledges")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--drive", "slug", required=True, metavar="SLUG",
              help="Short name of the drive the pledges go to.")
@click.option("--dry-run", is_flag=True,
              help="Check every row and report what would be imported; write nothing.")
@click.option("--map", "pairs", multiple=True, metavar="FIELD=HEADER",
              help="Read a field from a column with another header, e.g. --map "
                   "amount=\"Sum pledged\"; fields: date, name, email, amount, currency, "
                   "reference, and the optional paid_amount, paid_currency, paid_on, "
                   "paid_method, status, anonymous. Repeat for several.")
@click.option("--as", "as_email", metavar="EMAIL",
              help="Record the pledges as logged by this account (it must manage the "
                   "drive's pledges).")
@click.option("--channel", type=click.Choice([channel.value for channel in Channel]),
              default=Channel.OTHER.value, show_default=True,
              help="How the pledged money reaches the drive.")
@with_appcontext
def import_pledges(file: Path, slug: str, dry_run: bool, pairs: tuple[str, ...],
                   as_email: str | None, channel: str) -> None:
    """Import pledges from a CSV or XLSX file: every row valid, or nothing is imported."""
    drive = _drive(slug)
    user = _actor(as_email, drive)
    mapping = map_option(pairs)
    limit = current_app.config["PLEDGE_IMPORT_MAX_BYTES"]
    if file.stat().st_size > limit:  # refuse before reading a huge file into memory
        raise click.ClickException(_("The file is larger than %(limit)s. Split it into smaller "
                                     "files.", limit=size_label(limit)))
    content = file.read_bytes()
    rows = imports.estimate_rows(content, file.name)
    try:
        if dry_run:
            with _bar(rows, _("Checking rows")) as bar:
                checked = imports.check_pledge_file(
                    drive, content, file.name, mapping,
                    progress=bar.update if bar is not None else None)
        else:
            # Without --as the audit trail names the command line as the author.
            author = acting_as(user.id) if user is not None else nullcontext()
            # One reading: each row is written as it passes, all undone if one is bad.
            with author, _bar(rows, _("Importing")) as bar:
                result = imports.import_file(
                    drive, content, file.name, mapping, by=user, channel=Channel(channel),
                    progress=bar.update if bar is not None else None)
                db.session.commit()
    except DomainError as error:
        _refuse(error)
    if dry_run:
        db.session.rollback()
        click.echo(ngettext("Dry run: nothing was written. %(num)d row checked: it is valid.",
                            "Dry run: nothing was written. %(num)d rows checked: all are valid.",
                            checked.total_rows))
        click.echo(ngettext("%(num)d pledge would be imported.",
                            "%(num)d pledges would be imported.", checked.new))
        if checked.payments:
            click.echo(ngettext("%(num)d payment would be recorded.",
                                "%(num)d payments would be recorded.", checked.payments))
        skipped, without_rate = checked.skipped, checked.without_rate
    else:
        click.echo(ngettext("%(num)d pledge imported.", "%(num)d pledges imported.",
                            result.imported))
        if result.payments:
            click.echo(ngettext("%(num)d payment recorded.", "%(num)d payments recorded.",
                                result.payments))
        skipped, without_rate = result.skipped, result.without_rate
    click.echo(ngettext("%(num)d row skipped: its reference was already imported.",
                        "%(num)d rows skipped: their references were already imported.",
                        skipped))
    if without_rate:
        click.echo(ngettext(
            "%(num)d pledge has no exchange rate on or before its date yet: add the rates, "
            "then convert again on the drive's page.",
            "%(num)d pledges have no exchange rate on or before their dates yet: add the rates, "
            "then convert again on the drive's page.", without_rate))


@click.command("export-pledges")
@click.option("--drive", "slug", required=True, metavar="SLUG",
              help="Short name of the drive whose pledges are exported.")
@click.option("-o", "--output", required=True,
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write: .csv or .xlsx.")
@click.option("--lang", "language", type=click.Choice(LANGUAGES), default="en",
              show_default=True,
              help="The spreadsheet language the CSV is for: en writes commas and decimal "
                   "dots, ru semicolons and decimal commas (as Excel set to Russian reads "
                   "them).")
@with_appcontext
def export_pledges(slug: str, output: Path, language: str) -> None:
    """Export a drive's pledges, with their payments, to a CSV or XLSX file (by its extension).

    The file has the import's own columns: importing it into an empty drive gives the
    same pledges, payments and totals.
    """
    drive = _drive(slug)
    extension = output.suffix.lower()
    if extension not in (".csv", ".xlsx"):
        raise click.ClickException(_("Name the output file .csv or .xlsx."))
    # Taking supporters' e-mails out is recorded like a download (actor: Command line).
    with acting_as(None, COMMAND_LINE):
        record_contacts_exported(drive, file=output.name)
    db.session.commit()
    if extension == ".xlsx":
        exports.export_xlsx(drive, str(output))
    else:
        with output.open("w", encoding="utf-8", newline="") as target:
            for chunk in exports.export_csv(drive, excel_dialect(language)):
                target.write(chunk)
    click.echo(_("Pledges of %(drive)s written to %(file)s.", drive=drive.slug, file=output))
