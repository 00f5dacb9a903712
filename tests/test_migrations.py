"""The Alembic migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask, current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, MetaData, String, inspect, select, text

from tests.conftest import PG_URL, TEST_SECRET, fresh_postgresql_database
from tracker import create_app
from tracker.db import Base
from tracker.extensions import db
from tracker.money.models import Currency
from tracker.schema import init_migrations

BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(autouse=True)
def _keep_logging():
    """Alembic's env.py reconfigures logging from alembic.ini; give pytest its handlers back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    disabled = {name: log.disabled for name, log in logging.Logger.manager.loggerDict.items()
                if isinstance(log, logging.Logger)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was_disabled in disabled.items():
        logging.getLogger(name).disabled = was_disabled


@pytest.fixture(params=BACKENDS)
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on an empty database of the chosen backend, inside an app context."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite'}"
    else:
        url = fresh_postgresql_database("migrations")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET})
    init_migrations(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def schema_differences(metadata: MetaData) -> list:
    """What autogenerate would write to turn the database into `metadata` (as `flask db check`)."""
    configure_args = current_app.extensions["migrate"].configure_args
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": configure_args["compare_type"],
            "render_as_batch": configure_args["render_as_batch"],
        })
        return compare_metadata(context, metadata)


def test_upgrade_to_head_builds_the_models_schema_and_downgrade_removes_it(empty_app):
    upgrade()
    assert table_names() == {table.name for table in Base.metadata.sorted_tables} | {
        "alembic_version"
    }
    assert schema_differences(Base.metadata) == []

    downgrade(revision="base")
    assert table_names() == {"alembic_version"}
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0


def test_upgrade_seeds_the_iso_4217_currencies(empty_app):
    upgrade()
    units = dict(db.session.execute(select(Currency.code, Currency.minor_units)).all())
    assert len(units) == 156
    assert (units["USD"], units["JPY"], units["KWD"], units["RUB"]) == (2, 0, 3, 2)


def test_the_schema_comparison_notices_a_model_change(empty_app):
    upgrade()
    assert schema_differences(MetaData()), "an empty model would drop every table"

    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["organization"].append_column(Column("phone", String(40), nullable=True))
    differences = schema_differences(changed)
    assert [(d[0], d[2], d[3].name) for d in differences] == [
        ("add_column", "organization", "phone")
    ]


def test_flask_db_check_finds_nothing_to_migrate(empty_app):
    upgrade()
    result = empty_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_0022_stores_the_coalition_versions_and_downgrade_removes_them(empty_app):
    upgrade(revision="0022")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT name, n FROM coalition_version ORDER BY name"))
        assert [tuple(row) for row in rows] == [("currencies", 0), ("rates", 0)]
    downgrade(revision="0020")
    assert "coalition_version" not in table_names()
