"""`flask --app tracker render-report GRANT_REF --period N --lang ru -o FILE.pdf|.xlsx`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.errors import DomainError, NotFound
from tracker.extensions import db
from tracker.grants import services
from tracker.i18n import LANGUAGES

EXTENSIONS = (".pdf", ".xlsx")


@click.command("render-report")
@click.argument("grant_reference")
@click.option("--period", "period_number", required=True, type=click.IntRange(min=1),
              help="The reporting period's number (1, 2, ...).")
@click.option("--lang", "language", required=True, type=click.Choice(LANGUAGES),
              help="Language of the report (independent of any screen's language).")
@click.option("--format", "format_name", type=click.Choice(sorted(services.FORMATS)),
              help="Donor's format; the donor's own by default, else the generic one.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write: .pdf (a draft) or .xlsx.")
@with_appcontext
def render_report(grant_reference: str, period_number: int, language: str,
                  format_name: str | None, output: str) -> None:
    """Write a grant's financial report for one period as a PDF or an XLSX workbook."""
    extension = Path(output).suffix.lower()
    if extension not in EXTENSIONS:
        raise click.BadParameter(
            _("Name a .pdf or .xlsx file, not %(file)s.", file=output),
            param_hint="'-o' / '--output'")
    try:
        grant = services.find_grant(grant_reference)
    except NotFound:
        raise click.ClickException(
            _("There is no grant %(reference)s.", reference=grant_reference)) from None
    try:
        period = services.get_period(grant, period_number)
    except NotFound:
        raise click.ClickException(
            _("Grant %(reference)s has no reporting period %(n)s (it has %(count)s).",
              reference=grant.reference, n=period_number, count=len(grant.periods))) from None
    report_format = (services.find_format(format_name) if format_name
                     else services.format_for(grant.application))
    assert report_format is not None  # click checked the name
    try:
        if extension == ".pdf":
            data = services.report_pdf(grant, period, language=language,
                                       report_format=report_format)
        else:
            data = services.report_xlsx(grant, period, language=language,
                                        report_format=report_format)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    Path(output).write_bytes(data)
    click.echo(_("Wrote %(file)s (%(size)s bytes, format %(format)s, language %(language)s).",
                 file=output, size=len(data), format=report_format.name, language=language))
