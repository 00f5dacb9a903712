"""The Alembic migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask, current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, MetaData, String, Table, inspect, select, text

from tests.conftest import PG_URL, TEST_SECRET, fresh_postgresql_database
from tracker import create_app
from tracker.db import Base
from tracker.extensions import db
from tracker.money.models import Currency
from tracker.schema import init_migrations
from tracker.versions import UNVERSIONED

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


def _insert(table: str, **values) -> None:
    """A row through Core on the reflected table, as the database is at this revision."""
    reflected = Table(table, MetaData(), autoload_with=db.engine)
    with db.engine.begin() as connection:
        connection.execution_options(**UNVERSIONED)  # no versions' table before 0022
        connection.execute(reflected.insert().values(**values))


def _two_drives_with_payments() -> None:
    """Two drives of one campaign, a pledge in each and three payments, written as rows."""
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    stamps = {"created_at": now, "updated_at": now}
    _insert("organization", id=1, slug="ngo", name_en="NGO", name_ru="НКО", country="RU",
            city_en="", city_ru="", kind="ngo", website="", **stamps)
    _insert("campaign", id=1, slug="water", title_en="Water", title_ru="Вода", summary_en="",
            summary_ru="", theme="water_air", status="active", lead_org_id=1, **stamps)
    for drive_id in (1, 2):
        _insert("drive", id=drive_id, campaign_id=1, organiser_org_id=1, slug=f"d{drive_id}",
                title_en="Drive", title_ru="Сбор", purpose_en="", purpose_ru="",
                goal_minor=10_000_00, currency="RUB", starts_on=date(2026, 1, 1),
                status="live", is_public=True, **stamps)
        _insert("pledge", id=drive_id, drive_id=drive_id, pledger_name="", is_anonymous=True,
                contact_email="", amount_minor=1_000_00, currency="RUB",
                pledged_on=date(2026, 3, 1), status="partly_paid", status_reason="",
                channel="cash", note="", message="", source="staff",
                paid_minor=0, drive_amount_minor=1_000_00, drive_amount_currency="RUB",
                version=1, **stamps)
    for payment_id, pledge_id, minor in ((1, 1, 100_00), (2, 1, 50_00), (3, 2, 70_00)):
        _insert("payment", id=payment_id, pledge_id=pledge_id, amount_minor=minor,
                currency="RUB", paid_on=date(2026, 3, 15), method="cash", reference="",
                note="", pledge_amount_minor=minor, pledge_amount_currency="RUB",
                drive_amount_minor=minor, drive_amount_currency="RUB", **stamps)


def test_the_upgrade_gives_each_payment_its_pledges_drive_and_keeps_the_totals(empty_app):
    """Payments written before 0021 take their pledge's drive; the roll-ups are filled
    (0021, since the rebuild reads that drive) and check-totals finds no drift."""
    upgrade(revision="0019")
    _two_drives_with_payments()

    upgrade()

    with db.engine.connect() as connection:
        drives = dict(connection.execute(text("SELECT id, drive_id FROM payment")).all())
        received = dict(connection.execute(text(
            "SELECT drive_id, received_minor FROM drive_totals")).all())
    assert drives == {1: 1, 2: 1, 3: 2}
    assert received == {1: 150_00, 2: 70_00}
    result = empty_app.test_cli_runner().invoke(args=["check-totals"])
    assert result.exit_code == 0, result.output
    assert "0 drifts in 2 drives and 1 campaign" in result.output

    downgrade(revision="0020")
    columns = {column["name"] for column in inspect(db.engine).get_columns("payment")}
    assert "drive_id" not in columns
    indexes = {index["name"] for index in inspect(db.engine).get_indexes("payment")}
    assert "ix_payment_paid_on_currency" in indexes


def test_0022_stores_the_coalition_versions_and_downgrade_removes_them(empty_app):
    upgrade(revision="0022")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT name, n FROM coalition_version ORDER BY name"))
        assert [tuple(row) for row in rows] == [("currencies", 0), ("rates", 0)]
    downgrade(revision="0020")
    assert "coalition_version" not in table_names()


def test_0023_stores_the_filters_version_and_downgrade_removes_them(empty_app):
    upgrade(revision="0023")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT name, n FROM coalition_version ORDER BY name"))
        assert [tuple(row) for row in rows] == [("choices", 0), ("currencies", 0),
                                                ("rates", 0)]
    downgrade(revision="0022")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT name FROM coalition_version ORDER BY name"))
        assert [name for name, in rows] == ["currencies", "rates"]
