"""`flask --app tracker render-proposal APPLICATION_ID --lang en -o FILE.pdf`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from tracker.applications.services import get_application
from tracker.errors import DomainError, NotFound
from tracker.extensions import db
from tracker.i18n import LANGUAGES
from tracker.proposals import services
from tracker.proposals.registry import TEMPLATES, find_template, template_for


@click.command("render-proposal")
@click.argument("application_id", type=int)
@click.option("--lang", "language", required=True, type=click.Choice(LANGUAGES),
              help="Language of the proposal (independent of any screen's language).")
@click.option("--template", "template_name", type=click.Choice(sorted(TEMPLATES)),
              help="Donor template; the donor's own by default, else the generic one.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The PDF file to write.")
@click.option("--final", is_flag=True,
              help="Print a final version and keep it (listed on the application page); "
                   "without it, a draft with the eligibility checklist.")
@click.option("--override-reason", default="",
              help="With --final: why the final is printed although eligibility checks fail.")
@with_appcontext
def render_proposal(application_id: int, language: str, template_name: str | None,
                    output: str, final: bool, override_reason: str) -> None:
    """Write an application's proposal as a PDF (a draft unless --final)."""
    try:
        application = get_application(application_id)
    except NotFound:
        raise click.ClickException(
            _("There is no application %(id)s.", id=application_id)) from None
    template = find_template(template_name) if template_name else template_for(application)
    assert template is not None  # click checked the name
    try:
        if final:
            result = services.print_final(application, language=language, template=template,
                                          by=None, override_reason=override_reason)
            data = services.version_pdf(result.version)
        else:
            data = services.draft_pdf(application, language=language, template=template).data
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    Path(output).write_bytes(data)
    if final and not result.created:
        click.echo(_("Nothing changed since final version %(number)s: wrote that version.",
                     number=result.version.number))
    elif final:
        click.echo(_("Final version %(number)s printed and kept.", number=result.version.number))
    click.echo(_("Wrote %(file)s (%(size)s bytes, template %(template)s, language %(language)s).",
                 file=output, size=len(data), template=template.name, language=language))
