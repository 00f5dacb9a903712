"""Backups that restore (issue 11, finding 13): `flask --app tracker backup -o FILE` and
`flask --app tracker restore FILE`, on SQLite and PostgreSQL.

Each test has databases of its own (a SQLite file in tmp_path, or a PostgreSQL database
made for it), because a backup is read by other connections and pg_dump: nothing of it
could live inside the rolled-back transaction the other tests share.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, make_url, select, text

from tests.auth_support import login, make_user
from tests.conftest import (
    BACKENDS,
    build_schema,
    drop_postgresql_database,
    fresh_postgresql_database,
    make_test_app,
)
from tests.drive_support import make_drive, make_pledge, make_world
from tests.grants_support import make_grant_world
from tests.proposals_support import make_proposal_world
from tracker import ROOT
from tracker.auth.models import Role, User
from tracker.backup.files import member_name
from tracker.backup.snapshot import libpq_target
from tracker.drives import services as drive_services
from tracker.drives.models import Drive, Pledge
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.money.value import Money
from tracker.proposals.registry import GENERIC
from tracker.proposals.services import keep_final
from tracker.storage import file_storage

FAKE_PDF = b"%PDF-1.4\n% a final proposal kept by the storage\n%%EOF\n"


# --- databases and apps of the tests' own ----------------------------------------------------


class Site:
    """One Tracker: an app on a database of its own, with its own proposal storage."""

    def __init__(self, url: str, storage: Path) -> None:
        self.url = url
        self.storage = storage
        self.app: Flask = make_test_app(url, PROPOSAL_STORAGE_DIR=str(storage))

    def cli(self, *args: str):
        """Run a command as an operator would (outside any app context)."""
        return self.app.test_cli_runner().invoke(args=list(args))

    def scalar(self, statement):
        with self.app.app_context():
            try:
                return db.session.scalar(statement)
            finally:
                db.session.remove()


def _create_schema(site: Site) -> None:
    build_schema(site.app)


@pytest.fixture(params=BACKENDS)
def make_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Site]]:
    """Sites on fresh databases of one backend: `make_site("source", schema=True)`."""
    sites: list[Site] = []

    def make(name: str, *, schema: bool = False) -> Site:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        else:
            url = fresh_postgresql_database(f"backup_{name}")
        site = Site(url, tmp_path / f"{name}-proposals")
        sites.append(site)
        if schema:
            _create_schema(site)
        return site

    yield make
    for site in sites:
        with site.app.app_context():
            db.session.remove()
            db.engine.dispose()
        if site.url.startswith("postgresql"):
            drop_postgresql_database(site.url)


def _with_a_drive(site: Site) -> int:
    """A campaign with a live drive and two pledges, committed; the drive's id."""
    with site.app.app_context():
        drive = make_drive(make_world())
        make_pledge(drive, "1000")
        make_pledge(drive, "62000", currency="KZT")
        drive_id = drive.id
        db.session.remove()
        return drive_id


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read()
                for member in tar.getmembers() if member.isfile()}


def _rewrite(archive: Path, change: Callable[[dict[str, bytes]], None]) -> None:
    """Write the archive again with some members changed, as a tamperer would."""
    members = _members(archive)
    change(members)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


# --- the backup taken while writers run ------------------------------------------------------


def test_backup_while_writing_restores_every_pledge_acknowledged_before_it(make_site, tmp_path):
    """Writers keep pledging during the backup; the restore holds every pledge acknowledged
    before the backup began, nothing never written, and its manifest check passes."""
    source = make_site("source", schema=True)
    drive_id = _with_a_drive(source)
    # (pledge id, when its transaction began, when its commit returned)
    acknowledged: list[tuple[int, float, float]] = []
    lock = threading.Lock()
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        amount = 100 + number
        while not stop.is_set():
            with source.app.app_context():
                try:
                    started = time.monotonic()
                    drive = db.session.get(Drive, drive_id)
                    assert drive is not None
                    pledge = drive_services.log_pledge(drive, drive_services.PledgeInput(
                        amount=Decimal(amount), currency="RUB", pledged_on=date(2026, 3, 10),
                        pledger_name=f"Writer {number}"), by=None)
                    pledge_id = pledge.id
                    db.session.commit()
                    with lock:
                        acknowledged.append((pledge_id, started, time.monotonic()))
                    time.sleep(0.002)  # a busy office, not a tight loop starving the others
                except BaseException as error:
                    failures.append(error)
                    return
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        while len(acknowledged) < 30 and not failures:
            time.sleep(0.01)
        began = time.monotonic()
        backup = source.cli("backup", "-o", str(tmp_path / "tracker.tar.gz"))
        ended = time.monotonic()
        while sum(1 for _, at, _ in acknowledged if at > ended) < 10 and not failures:
            time.sleep(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures
    assert backup.exit_code == 0, backup.output
    assert "Backup written to" in backup.output

    before = {pledge_id for pledge_id, _, acked in acknowledged if acked < began}
    after = {pledge_id for pledge_id, started, _ in acknowledged if started > ended}
    assert len(before) >= 30 and len(after) >= 10  # the writers ran before and after it
    written = _pledge_ids(source)

    target = make_site("target")
    restore = target.cli("restore", str(tmp_path / "tracker.tar.gz"))
    assert restore.exit_code == 0, restore.output
    restored = _pledge_ids(target)
    manifest = json.loads(_members(tmp_path / "tracker.tar.gz")["manifest.json"])
    assert f"restore verified: {len(manifest['tables'])} tables, {len(restored)} pledges, " \
           "totals match" in restore.output
    assert before <= restored  # nothing acknowledged before the snapshot is lost
    assert restored <= written  # and nothing appears that was never written
    assert not after & restored  # begun after the backup ended: not in its snapshot
    assert manifest["tables"]["pledge"] == len(restored)
    drive_entry = next(entry for entry in manifest["drives"] if entry["id"] == drive_id)
    with target.app.app_context():
        restored_count = db.session.scalar(select(func.count()).select_from(Pledge)
                                           .where(Pledge.drive_id == drive_id))
        db.session.remove()
    assert drive_entry["supporters"] == restored_count  # the totals describe the snapshot


def _pledge_ids(site: Site) -> set[int]:
    with site.app.app_context():
        try:
            return set(db.session.scalars(select(Pledge.id)))
        finally:
            db.session.remove()


def test_a_plain_copy_of_the_sqlite_file_loses_pledges_the_backup_keeps(tmp_path):
    """Finding 13: pledges committed but still in the -wal file are missing from a copy of
    the database file, whose integrity check still says ok; the backup has them all."""
    site = Site(f"sqlite:///{tmp_path / 'live.sqlite'}", tmp_path / "proposals")
    try:
        _create_schema(site)
        _with_a_drive(site)  # the app's pooled connection stays open: no final checkpoint
        shutil.copyfile(tmp_path / "live.sqlite", tmp_path / "copy.sqlite")
        with closing(sqlite3.connect(tmp_path / "copy.sqlite")) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            has_pledges = copy.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'pledge'").fetchone()[0]
            copied = copy.execute("SELECT count(*) FROM pledge").fetchone()[0] \
                if has_pledges else 0
        assert copied < 2

        result = site.cli("backup", "-o", str(tmp_path / "tracker.tar.gz"))
        assert result.exit_code == 0, result.output
        assert json.loads(_members(tmp_path / "tracker.tar.gz")["manifest.json"])[
            "tables"]["pledge"] == 2
    finally:
        with site.app.app_context():
            db.engine.dispose()


# --- files, refusals, damage -----------------------------------------------------------------


def test_a_stored_final_proposal_is_served_after_restore(make_site, tmp_path):
    """The final PDFs live outside the database: the archive carries them back."""
    source = make_site("source", schema=True)
    with source.app.app_context():
        world = make_proposal_world()
        version = keep_final(world.application, FAKE_PDF, language="en", template=GENERIC,
                             source_sha256="0" * 64, by=None)
        make_user(Role.VIEWER, email="viewer@example.org")
        db.session.commit()
        application_id, number = world.application.id, version.number
        db.session.remove()
    archive = tmp_path / "tracker.tar.gz"
    assert source.cli("backup", "-o", str(archive)).exit_code == 0

    target = make_site("target")
    result = target.cli("restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "1 stored file put back" in result.output
    with target.app.app_context():
        client = target.app.test_client()
        login(client, db.session.scalar(select(User).where(User.email == "viewer@example.org")))
        response = client.get(f"/applications/{application_id}/proposal/finals/{number}.pdf")
        db.session.remove()
    assert response.status_code == 200
    assert response.data == FAKE_PDF


def test_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
        make_site, tmp_path):
    """Loading over live data would mix two histories: refused, naming what was found."""
    source = make_site("source", schema=True)
    drive_id = _with_a_drive(source)
    archive = tmp_path / "tracker.tar.gz"
    assert source.cli("backup", "-o", str(archive)).exit_code == 0
    with source.app.app_context():
        make_pledge(db.session.get(Drive, drive_id), "500")
        db.session.remove()
    pledges = _pledge_ids(source)

    result = source.cli("restore", str(archive))
    assert result.exit_code == 1
    assert "The database is not empty" in result.output
    assert "pledge (3 rows)" in result.output
    assert "Nothing was restored" in result.output
    assert _pledge_ids(source) == pledges

    migrated = make_site("migrated", schema=True)  # tables, though no pledge yet
    result = migrated.cli("restore", str(archive))
    assert result.exit_code == 1
    assert "The database is not empty" in result.output
    assert _pledge_ids(migrated) == set()


def test_a_tampered_manifest_is_reported_after_the_restore(make_site, tmp_path):
    """The restored database is recounted: figures that differ from the manifest are named."""
    source = make_site("source", schema=True)
    _with_a_drive(source)
    archive = tmp_path / "tracker.tar.gz"
    assert source.cli("backup", "-o", str(archive)).exit_code == 0

    def inflate(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["tables"]["pledge"] += 1
        manifest["drives"][0]["pledged_minor"] += 100
        members["manifest.json"] = json.dumps(manifest).encode()

    _rewrite(archive, inflate)
    result = make_site("target").cli("restore", str(archive))
    assert result.exit_code == 1
    assert "restore NOT verified" in result.output
    assert "table pledge: 2 rows, the manifest says 3" in result.output
    assert "drive xrf-chelyabinsk: pledged 11000.00 RUB, the manifest says 11001.00 RUB" \
        in result.output


def test_a_damaged_archive_is_refused_before_anything_is_loaded(make_site, tmp_path):
    """A member whose SHA-256 is not the manifest's is refused; the database stays empty."""
    source = make_site("source", schema=True)
    _with_a_drive(source)
    archive = tmp_path / "tracker.tar.gz"
    assert source.cli("backup", "-o", str(archive)).exit_code == 0

    def damage(members: dict[str, bytes]) -> None:
        name = next(name for name in members if name.startswith("database/"))
        data = bytearray(members[name])
        data[len(data) // 2] ^= 0xFF
        members[name] = bytes(data)

    _rewrite(archive, damage)
    target = make_site("target")
    result = target.cli("restore", str(archive))
    assert result.exit_code == 1
    assert "The archive is damaged" in result.output
    assert "Nothing was restored" in result.output
    with target.app.app_context():
        assert db.session.scalar(text(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            if target.url.startswith("sqlite") else
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) == 0
        db.session.remove()

    def escape(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        # A whole member, listed as a file to put back outside the storage.
        manifest["files"].append({**manifest["database"], "key": "../../secret"})
        members["manifest.json"] = json.dumps(manifest).encode()

    assert source.cli("backup", "-o", str(tmp_path / "second.tar.gz")).exit_code == 0
    _rewrite(tmp_path / "second.tar.gz", escape)
    result = target.cli("restore", str(tmp_path / "second.tar.gz"))
    assert result.exit_code == 1
    assert "cannot be put back" in result.output
    assert not (tmp_path.parent / "secret").exists()

    (tmp_path / "notes.txt").write_text("not a backup")
    result = target.cli("restore", str(tmp_path / "notes.txt"))
    assert result.exit_code == 1
    assert "is not a Tracker backup" in result.output


# --- what the commands say -------------------------------------------------------------------


def test_the_commands_say_what_they_did_and_refuse_clearly(make_site, tmp_path):
    """The operator reads what was written, where the secret key is, and every refusal."""
    source = make_site("source", schema=True)
    _with_a_drive(source)
    archive = tmp_path / "tracker.tar.gz"
    result = source.cli("backup", "-o", str(archive))
    assert result.exit_code == 0
    assert f"Backup written to {archive}" in result.output
    assert "2 pledges" in result.output
    assert "The secret key is not in the archive" in result.output
    manifest = json.loads(_members(archive)["manifest.json"])
    assert manifest["format_version"] == 2
    assert manifest["backend"] == ("sqlite" if source.url.startswith("sqlite") else "postgresql")
    assert manifest["created_at"].endswith("Z")
    assert manifest["app_version"]
    assert [campaign["slug"] for campaign in manifest["campaigns"]] == ["water-air", "lead-paint"]

    written = archive.read_bytes()
    again = source.cli("backup", "-o", str(archive))
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert archive.read_bytes() == written

    target = make_site("target")
    restored = target.cli("restore", str(archive))
    assert restored.exit_code == 0
    assert "Restored the" in restored.output
    assert "restore verified" in restored.output

    other = "postgresql" if manifest["backend"] == "sqlite" else "sqlite"

    def elsewhere(members: dict[str, bytes]) -> None:
        changed = json.loads(members["manifest.json"])
        changed["backend"] = other
        members["manifest.json"] = json.dumps(changed).encode()

    _rewrite(archive, elsewhere)
    crossed = make_site("crossed").cli("restore", str(archive))
    assert crossed.exit_code == 1
    assert "Restoring into another kind of database is not supported" in crossed.output


def test_a_database_that_is_not_there_is_said_so_and_no_archive_is_left(make_site, tmp_path):
    """A wrong TRACKER_DATABASE_URL gives one clear line, not a traceback or half a file."""
    site = make_site("source")
    if site.url.startswith("postgresql"):
        drop_postgresql_database(site.url)
        expected = "The database cannot be reached"
    else:
        expected = "does not exist"
    result = site.cli("backup", "-o", str(tmp_path / "tracker.tar.gz"))
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    assert not (tmp_path / "tracker.tar.gz").exists()


def test_pg_dump_gets_the_password_from_the_environment_never_its_command_line():
    """Command lines are visible to every user of the machine (ps); the environment is not."""
    uri, env = libpq_target(make_url(
        "postgresql+psycopg://tracker:s%40cret@db.example:5433/tracker?sslmode=require"))
    assert uri == "postgresql://tracker@db.example:5433/tracker?sslmode=require"
    assert env["PGPASSWORD"] == "s@cret"


def test_the_readmes_backup_units_parse(tmp_path):
    """The systemd service and timer the README's Backups section ships are valid units."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Backups"):readme.index("## Security")]
    block = re.search(r"```ini\n(.*?)```", section, re.S)
    assert block is not None
    parts = re.split(r"^# /etc/systemd/system/(\S+)\n", block.group(1), flags=re.M)
    units = dict(zip(parts[1::2], parts[2::2], strict=True))
    assert set(units) == {"tracker-backup.service", "tracker-backup.timer"}
    for name, unit in units.items():
        (tmp_path / name).write_text(unit)
        sections = re.findall(r"^\[(\w+)\]$", unit, re.M)
        assert sections and all(re.fullmatch(r"\[\w+\]|\w+=.+|#.*|", line)
                                for line in unit.splitlines()), name
    assert "flask --app tracker backup -o" in units["tracker-backup.service"]
    analyze = shutil.which("systemd-analyze")
    if analyze:  # Debian has it; elsewhere the shape check above stands alone
        result = subprocess.run([analyze, "verify", *(str(tmp_path / name) for name in units)],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert "Unknown" not in result.stderr and "nvalid" not in result.stderr, result.stderr


def test_an_expenditures_receipt_and_a_final_report_are_carried_and_put_back(make_site,
                                                                           tmp_path):
    """Receipts and final donor reports live in the file storage as proposals' finals do:
    the archive carries them back."""
    source = make_site("source", schema=True)
    receipt = b"%PDF-1.7 receipt of the analyser"
    report = b"%PDF-1.7 interim financial report"
    with source.app.app_context():
        world = make_grant_world()
        line = world.grant.lines[0]
        expenditure = grants.record_expenditure(world.grant, grants.ExpenditureInput(
            line_code=line.code, partner_org_id=line.partner_org_id,
            spent_on=date(2027, 3, 1), amount=Money(Decimal("100"), "USD"),
            document_number="INV-7"), by=None,
            receipt=grants.ReceiptFile("invoice.pdf", receipt))
        final = grants.keep_final(world.grant, world.grant.periods[0], report, language="en",
                                  report_format=grants.format_for(world.application),
                                  source_sha256="0" * 64, by=None)
        db.session.commit()
        keys = {expenditure.receipt_key: receipt, final.storage_key: report}
        db.session.remove()
    archive = tmp_path / "tracker.tar.gz"
    assert source.cli("backup", "-o", str(archive)).exit_code == 0
    members = _members(archive)
    assert {key: members[member_name(key)] for key in keys} == keys

    target = make_site("target")
    result = target.cli("restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "2 stored files put back" in result.output
    with target.app.app_context():
        assert {key: file_storage().get(key) for key in keys} == keys
        db.session.remove()
