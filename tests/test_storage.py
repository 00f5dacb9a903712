"""The file storage (issue 12): the folder by default, the database when several machines
share one (TRACKER_FILE_STORAGE=database), and the backup of files kept in the database."""

from __future__ import annotations

import json
import tarfile

import pytest
from sqlalchemy import func, select

from tests.auth_support import login, make_user
from tests.conftest import make_test_app
from tests.proposals_support import make_proposal_world
from tests.test_backup import make_site  # noqa: F401  # the fixture, shared
from tracker.auth.models import Role, User
from tracker.config import ConfigurationError
from tracker.extensions import db
from tracker.proposals.registry import GENERIC
from tracker.proposals.services import keep_final
from tracker.storage import DatabaseStorage, FolderStorage, InvalidKey, file_storage
from tracker.storage.database import CHUNK_BYTES
from tracker.storage.models import StoredFile, StoredFileChunk

BIG = bytes(range(256)) * (CHUNK_BYTES * 2 // 256) + b"tail"  # two chunks and a bit


def _chunks(key: str) -> list[int]:
    return list(db.session.scalars(select(func.length(StoredFileChunk.data))
                                   .where(StoredFileChunk.file_key == key)
                                   .order_by(StoredFileChunk.seq)))


def test_the_database_backend_keeps_reads_and_replaces_a_file(app):
    """put, get and exists; a second put of a key replaces its file; absent keys are None."""
    storage = DatabaseStorage()
    assert storage.get("finals/1/a.pdf") is None
    assert not storage.exists("finals/1/a.pdf")
    assert storage.stream("finals/1/a.pdf") is None

    storage.put("finals/1/a.pdf", b"%PDF first")
    assert storage.exists("finals/1/a.pdf")
    assert storage.get("finals/1/a.pdf") == b"%PDF first"
    storage.put("finals/1/a.pdf", b"%PDF second")
    assert storage.get("finals/1/a.pdf") == b"%PDF second"
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 1

    storage.delete("finals/1/a.pdf")
    assert not storage.exists("finals/1/a.pdf") and storage.get("finals/1/a.pdf") is None
    storage.delete("finals/1/a.pdf")  # nothing there: nothing happens

    storage.put("empty.txt", b"")
    assert storage.get("empty.txt") == b""
    assert list(storage.stream("empty.txt") or ["missing"]) == []


def test_a_file_larger_than_a_chunk_is_kept_in_chunks_and_streamed_a_chunk_at_a_time(app):
    storage = DatabaseStorage()
    storage.put("exports/big.xlsx", BIG)
    db.session.expire_all()
    assert _chunks("exports/big.xlsx") == [CHUNK_BYTES, CHUNK_BYTES, 4]
    row = db.session.get(StoredFile, "exports/big.xlsx")
    assert row is not None and row.size == len(BIG) and row.chunks == 3
    assert storage.get("exports/big.xlsx") == BIG
    pieces = list(storage.stream("exports/big.xlsx") or [])
    assert [len(piece) for piece in pieces] == [CHUNK_BYTES, CHUNK_BYTES, 4]
    assert b"".join(pieces) == BIG

    storage.put("exports/big.xlsx", b"small now")
    assert _chunks("exports/big.xlsx") == [9]  # the old chunks went with the old file


def test_a_file_written_in_a_transaction_that_rolls_back_is_not_kept(app):
    """In the database a file commits with the row that names it, or not at all."""
    storage = DatabaseStorage()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        storage.put("finals/2/b.pdf", b"%PDF")
        assert storage.exists("finals/2/b.pdf")
        raise RuntimeError("the version could not be recorded")
    assert not storage.exists("finals/2/b.pdf")


@pytest.mark.parametrize("backend", ["folder", "database"])
def test_keys_that_are_not_the_apps_own_are_refused(app, backend, tmp_path):
    storage = FolderStorage(tmp_path) if backend == "folder" else DatabaseStorage()
    for key in ("../secret", "/etc/passwd", "Finals/1.pdf", "a//b", ""):
        with pytest.raises(InvalidKey):
            storage.put(key, b"x")
        with pytest.raises(InvalidKey):
            storage.get(key)
    assert not list(tmp_path.iterdir())


def test_the_setting_chooses_the_backend_and_refuses_an_unknown_one(app, tmp_path):
    assert isinstance(file_storage(), FolderStorage)
    app.config["FILE_STORAGE"] = "database"
    assert isinstance(file_storage(), DatabaseStorage)
    with pytest.raises(ConfigurationError, match="TRACKER_FILE_STORAGE must be"):
        make_test_app(f"sqlite:///{tmp_path / 'x.sqlite'}", FILE_STORAGE="s3")


def test_the_folder_backend_streams_and_deletes_too(tmp_path):
    storage = FolderStorage(tmp_path)
    storage.put("exports/big.xlsx", BIG)
    assert b"".join(storage.stream("exports/big.xlsx") or []) == BIG
    assert storage.stream("exports/none.xlsx") is None
    storage.delete("exports/big.xlsx")
    storage.delete("exports/big.xlsx")
    assert not storage.exists("exports/big.xlsx")


def test_a_final_kept_in_the_database_is_served_and_no_file_is_written(app, client, tmp_path):
    app.config["FILE_STORAGE"] = "database"
    world = make_proposal_world()
    version = keep_final(world.application, BIG, language="en", template=GENERIC,
                         source_sha256="0" * 64, by=None)
    viewer = make_user(Role.VIEWER, email="viewer@example.org")
    db.session.commit()
    login(client, viewer)
    response = client.get(f"/applications/{world.application.id}/proposal/finals/"
                          f"{version.number}.pdf")
    assert response.status_code == 200
    assert response.data == BIG
    assert not (tmp_path / "proposals").exists()


# --- the backup of files kept in the database --------------------------------------------------


def test_files_kept_in_the_database_travel_in_the_dump_and_are_verified(make_site, tmp_path):  # noqa: F811
    """No files/ member: the dump carries them; the manifest lists them; restore checks them."""
    source = make_site("source", schema=True)
    source.app.config["FILE_STORAGE"] = "database"
    with source.app.app_context():
        world = make_proposal_world()
        version = keep_final(world.application, BIG, language="en", template=GENERIC,
                             source_sha256="0" * 64, by=None)
        make_user(Role.VIEWER, email="viewer@example.org")
        db.session.commit()
        application_id, number, key = world.application.id, version.number, version.storage_key
        db.session.remove()
    archive = tmp_path / "tracker.tar.gz"
    result = source.cli("backup", "-o", str(archive))
    assert result.exit_code == 0, result.output
    assert "1 stored file" in result.output
    assert not source.storage.exists()  # nothing went to a folder

    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert not [name for name in names if name.startswith("files/")]
    assert manifest["files"] == []
    assert [(entry["key"], entry["size"]) for entry in manifest["database_files"]] \
        == [(key, len(BIG))]
    assert manifest["tables"]["stored_file_chunk"] == 3
    assert manifest["missing_files"] == []

    target = make_site("target")
    target.app.config["FILE_STORAGE"] = "database"
    result = target.cli("restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "1 stored file came back inside the database" in result.output
    assert "restore verified" in result.output
    with target.app.app_context():
        client = target.app.test_client()
        login(client, db.session.scalar(select(User).where(User.email == "viewer@example.org")))
        response = client.get(f"/applications/{application_id}/proposal/finals/{number}.pdf")
        db.session.remove()
    assert response.status_code == 200
    assert response.data == BIG


def test_a_file_changed_in_the_database_after_the_backup_fails_the_check(make_site, tmp_path):  # noqa: F811
    """The manifest's SHA-256 is the dump's: a restored file that differs is named; a restore
    onto the folder backend says where the files are."""
    source = make_site("source", schema=True)
    source.app.config["FILE_STORAGE"] = "database"
    with source.app.app_context():
        world = make_proposal_world()
        version = keep_final(world.application, b"%PDF-1.4 kept", language="en",
                             template=GENERIC, source_sha256="0" * 64, by=None)
        db.session.commit()
        key = version.storage_key
        db.session.remove()
    archive = tmp_path / "tracker.tar.gz"
    assert source.cli("backup", "-o", str(archive)).exit_code == 0

    def tamper(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["database_files"][0]["sha256"] = "f" * 64
        members["manifest.json"] = json.dumps(manifest).encode()

    from tests.test_backup import _rewrite
    _rewrite(archive, tamper)
    target = make_site("target")  # the folder backend, by default
    result = target.cli("restore", str(archive))
    assert result.exit_code == 1
    assert "restore NOT verified" in result.output
    assert "set TRACKER_FILE_STORAGE=database" in result.output
    assert f"stored file {key} differs from the manifest's SHA-256" in result.output


def test_a_folder_backup_restored_with_the_database_backend_moves_its_files_in(
        make_site, tmp_path):  # noqa: F811
    """The way from one machine to several: back up with the folder, restore into the
    database storage; the files are then rows, and served."""
    source = make_site("source", schema=True)
    with source.app.app_context():
        world = make_proposal_world()
        version = keep_final(world.application, BIG, language="en", template=GENERIC,
                             source_sha256="0" * 64, by=None)
        make_user(Role.VIEWER, email="viewer@example.org")
        db.session.commit()
        application_id, number, key = world.application.id, version.number, version.storage_key
        db.session.remove()
    archive = tmp_path / "tracker.tar.gz"
    assert source.cli("backup", "-o", str(archive)).exit_code == 0

    target = make_site("target")
    target.app.config["FILE_STORAGE"] = "database"
    result = target.cli("restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "1 stored file put back" in result.output and "restore verified" in result.output
    assert not target.storage.exists()
    assert target.scalar(select(StoredFile.size).where(StoredFile.key == key)) == len(BIG)
    with target.app.app_context():
        client = target.app.test_client()
        login(client, db.session.scalar(select(User).where(User.email == "viewer@example.org")))
        response = client.get(f"/applications/{application_id}/proposal/finals/{number}.pdf")
        db.session.remove()
    assert response.data == BIG
