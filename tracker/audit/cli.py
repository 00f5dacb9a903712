"""Audit commands: `flask --app tracker audit-verify` checks the trail's hash chain."""

from __future__ import annotations

import re

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.audit.chain import ChainBreak, Problem, verify_chain
from tracker.audit.models import AuditEvent
from tracker.extensions import db

HEAD = re.compile(r"^(\d{1,18}):([0-9a-f]{64})$")


def register_commands(app: Flask) -> None:
    """Attach the audit commands to the app's CLI."""
    app.cli.add_command(audit_verify)


def _head(_ctx: click.Context, _param: click.Parameter, value: str | None
          ) -> tuple[int, str] | None:
    if value is None:
        return None
    match = HEAD.match(value.strip().lower())
    if match is None:
        raise click.BadParameter(_("Give the head as ID:HASH: the id and hash of the last "
                                   "event, as audit-verify printed them."))
    return int(match.group(1)), match.group(2)


@click.command("audit-verify")
@click.option("--head", callback=_head, metavar="ID:HASH",
              help="An event's id and hash noted from an earlier run: it must still be "
                   "there unchanged (finds events deleted from the end).")
@click.option("--after", type=click.IntRange(min=1), metavar="ID",
              help="Check only the events after this one: past a broken link already "
                   "investigated and recorded.")
@click.option("--batch-size", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Events read at a time.")
@with_appcontext
def audit_verify(head: tuple[int, str] | None, after: int | None, batch_size: int) -> None:
    """Walk the audit trail's hash chain and report its first broken link, or that it is whole."""
    connection = db.session.connection(bind_arguments={"mapper": AuditEvent})
    try:
        report = verify_chain(connection, batch_size=batch_size, head=head, after=after)
    except LookupError:
        raise click.BadParameter(_("There is no event %(id)d.", id=after),
                                 param_hint="--after") from None
    db.session.commit()  # nothing written: only ends the read, which holds a lock on the table
    if report.broken is None:
        click.echo(ngettext("The audit trail is whole: %(num)d event checked.",
                            "The audit trail is whole: %(num)d events checked.",
                            report.events))
        if report.last_id is not None:
            click.echo(_("Last event: %(id)d, hash %(hash)s.", id=report.last_id,
                         hash=report.last_hash))
        return
    broken = report.broken
    click.echo(_("The audit trail is broken at event %(id)d.", id=broken.event_id), err=True)
    click.echo(_explain(broken), err=True)
    click.echo(ngettext("%(num)d event before it is whole.",
                        "%(num)d events before it are whole.", report.events), err=True)
    raise click.exceptions.Exit(1)


def _explain(broken: ChainBreak) -> str:
    """What is wrong at the broken link, in words."""
    event_id, previous = broken.event_id, broken.previous_id
    if broken.problem is Problem.CHANGED:
        return _("Event %(id)d was changed after it was written: its columns no longer match "
                 "its hash.", id=event_id)
    if broken.problem is Problem.UNCHAINED:
        return _("Event %(id)d has no hash: it was written past the audit trail.", id=event_id)
    if broken.problem is Problem.MISSING:
        if previous is None:
            return _("The events before it are missing: it does not start the chain, so the "
                     "first events were deleted.")
        if event_id - previous == 2:
            return _("The event before it, event %(missing)d, is missing: it was deleted.",
                     missing=previous + 1)
        return _("The events between event %(previous)d and it are missing: they were "
                 "deleted, or its link was rewritten.", previous=previous)
    if broken.problem is Problem.WRONG_LINK:
        return _("It does not follow event %(previous)d: its link names another event, so "
                 "the link was rewritten or an event was replaced.", previous=previous)
    if broken.problem is Problem.HEAD_MISSING:
        return _("The recorded head, event %(id)d, is missing: events were deleted from the "
                 "end of the trail.", id=event_id)
    return _("The recorded head, event %(id)d, has another hash now: the chain was rewritten "
             "from there back.", id=event_id)
