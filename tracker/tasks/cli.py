"""`flask --app tracker prune-tasks`: forget old tasks and their files (a scheduler runs it
daily)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import ngettext

from tracker.extensions import db
from tracker.tasks.services import prune_tasks


@click.command("prune-tasks")
@with_appcontext
def prune_tasks_command() -> None:
    """Forget tasks older than TASK_KEPT_DAYS and the files they made."""
    pruned = prune_tasks()
    db.session.commit()
    click.echo(ngettext("%(num)d old task forgotten.", "%(num)d old tasks forgotten.", pruned))


def register_commands(app: Flask) -> None:
    """Attach the task commands to the app's CLI."""
    app.cli.add_command(prune_tasks_command)
