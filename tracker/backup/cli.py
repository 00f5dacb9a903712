"""`flask --app tracker backup -o FILE` and `flask --app tracker restore FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.backup.errors import BackupError
from tracker.backup.services import create_backup, restore_backup, snapshot_time


def _tables(count: int) -> str:
    return ngettext("%(num)d table", "%(num)d tables", count)


def _pledges(count: int) -> str:
    return ngettext("%(num)d pledge", "%(num)d pledges", count)


def _files(count: int) -> str:
    return ngettext("%(num)d stored file", "%(num)d stored files", count)


@click.command("backup")
@click.option("-o", "--output", required=True,
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The archive to write (a new file, e.g. tracker-2026-12-06.tar.gz).")
@with_appcontext
def backup_command(output: Path) -> None:
    """Write a consistent backup of the running database, its stored files and a manifest."""
    try:
        report = create_backup(output)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = report.manifest
    click.echo(_("Backup written to %(path)s (%(size)s bytes), snapshot of %(when)s: "
                 "%(tables)s, %(pledges)s, %(files)s.", path=output, size=report.size,
                 when=snapshot_time(manifest), tables=_tables(len(manifest["tables"])),
                 pledges=_pledges(report.pledges),
                 files=_files(len(manifest["files"]) + len(manifest["database_files"]))))
    for warning in report.warnings:
        click.echo(_("Warning: %(warning)s.", warning=warning), err=True)
    click.echo(_("The secret key is not in the archive: keep TRACKER_SECRET_KEY in your "
                 "secret store, apart from the backups."))


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(archive: Path) -> None:
    """Load a backup into an empty database, put its files back, and check it against its
    manifest."""
    try:
        report = restore_backup(archive)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = report.manifest
    click.echo(_("Restored the %(backend)s backup of %(when)s (Tracker %(version)s, schema "
                 "revision %(revision)s).", backend=manifest.get("backend"),
                 when=snapshot_time(manifest), version=manifest.get("app_version"),
                 revision=manifest.get("alembic_revision") or "—"))
    click.echo(_("%(files)s put back.", files=_files(len(manifest.get("files") or []))))
    if manifest.get("database_files"):
        click.echo(_("%(files)s came back inside the database.",
                     files=_files(len(manifest["database_files"]))))
    if report.verified:
        click.echo(_("restore verified: %(tables)s, %(pledges)s, totals match",
                     tables=_tables(len(manifest["tables"])), pledges=_pledges(report.pledges)))
        return
    click.echo(_("restore NOT verified: the restored database differs from the manifest:"),
               err=True)
    for line in report.differences:
        click.echo(f"  - {line}", err=True)
    raise SystemExit(1)


def register_commands(app: Flask) -> None:
    """Attach the backup commands to the app's CLI."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
