"""The schema's migrations: Flask-Migrate (and so Alembic) set up only when one runs.

Importing Alembic costs about a fifth of a second, which every web worker and every
`flask` command would pay at start for commands they do not run. `flask db ...` loads
it through MigrationCommands; tests and scripts call `init_migrations(app)` first.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo

from tracker.db import render_migration_item
from tracker.extensions import db

MIGRATIONS_HELP = "Perform database migrations."


def init_migrations(app: Flask) -> None:
    """Set Flask-Migrate up on the app (the migrations folder, batch mode for SQLite)."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from tracker import ROOT

    Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
            compare_type=True, render_item=render_migration_item)


class MigrationCommands(click.Group):
    """`flask db ...`: Flask-Migrate's command group, loaded when it is used.

    Listed by `flask --help` with its own help line; asked to run, it hands its
    arguments to Flask-Migrate's real group, which parses and runs them.
    """

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        info = parent.find_object(ScriptInfo) if parent is not None else None
        init_migrations(info.load_app() if info is not None else ScriptInfo().load_app())
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


def register_migration_commands(app: Flask) -> None:
    """Offer `flask db ...` without importing Flask-Migrate until it runs."""
    app.cli.add_command(MigrationCommands("db", help=MIGRATIONS_HELP))
