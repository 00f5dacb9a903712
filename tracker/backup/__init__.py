"""Backups that restore: one archive holding a consistent snapshot of the database, the
stored files and a manifest that says what they hold; and loading it into an empty database.

snapshot.py takes and loads the database (pg_dump/pg_restore, SQLite's backup API),
manifest.py counts what a database holds, files.py carries the stored proposal PDFs,
archive.py writes and reads the tar.gz, services.py runs a backup and a restore, cli.py
gives them to the operator (`flask --app tracker backup|restore`).
"""
