"""Slow work moves to the queue (issue 12): a large XLSX export, a long final proposal and a
large pledge import run as jobs, with a progress page that works without JavaScript and a
download when done; small work stays in the request, as fast as before."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select

import tracker.jobs.queue
from tests.auth_support import login, make_user
from tests.drive_support import DRIVE_SLUG, make_drive, make_pledge, make_world
from tests.factories import count_rows
from tests.proposals_support import make_proposal_world
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.drives import exports
from tracker.drives.models import Pledge, PledgeSource, PledgeUpload
from tracker.extensions import db
from tracker.jobs import run_ready_jobs
from tracker.proposals.models import ProposalVersion
from tracker.storage import file_storage
from tracker.storage.models import StoredFile
from tracker.tasks.models import Task, TaskStatus
from tracker.tasks.services import Progress

pytestmark = pytest.mark.commits  # the job and the progress page see committed rows
REFRESH = '<meta http-equiv="refresh" content="2">'


@pytest.fixture
def held_jobs(monkeypatch):
    """Jobs wait until the test runs them, as if no worker had taken them yet."""
    monkeypatch.setattr(tracker.jobs.queue, "run_ready_jobs", lambda: 0)

    def run() -> int:
        monkeypatch.undo()
        return run_ready_jobs()
    return run


@pytest.fixture
def big_drive(app):
    """A drive of three pledges, with the export threshold at three rows."""
    app.config["TASK_EXPORT_MIN_ROWS"] = 3
    world = make_world()
    drive = make_drive(world)
    for amount in ("1000", "2000", "3000"):
        make_pledge(drive, amount=amount)
    lead = make_user(Role.LEAD, email="lead@example.org", campaigns=[world.campaign])
    db.session.commit()
    return drive, lead, world


def _task_id(response) -> int:
    assert response.status_code == 302, response.text
    match = re.fullmatch(r"/tasks/(\d+)", response.location)
    assert match, response.location
    return int(match.group(1))


def _tasks() -> int:
    return db.session.scalar(select(func.count()).select_from(Task)) or 0


@pytest.mark.parametrize("storage", ["folder", "database"])
def test_a_large_export_is_made_by_a_job_shown_in_progress_then_downloaded(
        app, client, big_drive, held_jobs, storage):
    app.config["FILE_STORAGE"] = storage
    _drive, lead, _world = big_drive
    login(client, lead)
    task_id = _task_id(client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx"))

    waiting = client.get(f"/tasks/{task_id}")
    assert waiting.status_code == 200
    assert "Waiting for a worker" in waiting.text
    assert REFRESH in waiting.text  # the page reloads itself, no JavaScript
    assert "Excel export of pledges" in waiting.text
    assert "task-download" not in waiting.text
    assert client.get(f"/tasks/{task_id}/download").status_code == 404

    assert held_jobs() == 1
    done = client.get(f"/tasks/{task_id}")
    assert "Done." in done.text and REFRESH not in done.text
    assert "The export of Invite the XRF team" in done.text
    assert "3 of 3 done" in done.text
    assert f'href="/tasks/{task_id}/download"' in done.text

    response = client.get(f"/tasks/{task_id}/download")
    assert response.status_code == 200
    assert response.mimetype == exports.XLSX_TYPE
    assert f"pledges-{DRIVE_SLUG}-{utcnow():%Y-%m-%d}.xlsx" in response.headers[
        "Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(
        values_only=True))
    assert len(rows) == 4 and [row[3] for row in rows[1:]] == [1000, 2000, 3000]
    kept_in_database = db.session.scalar(select(func.count()).select_from(StoredFile))
    assert kept_in_database == (1 if storage == "database" else 0)


def test_a_small_export_stays_in_the_request(app, client, big_drive):
    app.config["TASK_EXPORT_MIN_ROWS"] = 4
    _drive, lead, _world = big_drive
    login(client, lead)
    response = client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == exports.XLSX_TYPE
    assert _tasks() == 0


def test_only_the_owner_and_admins_see_a_task_and_its_file(app, client, big_drive):
    _drive, lead, world = big_drive
    other_lead = make_user(Role.LEAD, email="lead2@example.org", campaigns=[world.campaign])
    coordinator = make_user(Role.COORDINATOR, email="coordinator@example.org")
    admin = make_user(Role.ADMIN, email="admin@example.org")
    db.session.commit()
    login(client, lead)
    task_id = _task_id(client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx"))
    assert client.get(f"/tasks/{task_id}/download").status_code == 200

    for user in (other_lead, coordinator):
        login(client, user)
        assert client.get(f"/tasks/{task_id}").status_code == 403
        assert client.get(f"/tasks/{task_id}/download").status_code == 403
    assert client.get(f"/tasks/{task_id + 1}").status_code == 404
    login(client, admin)
    assert client.get(f"/tasks/{task_id}").status_code == 200
    assert client.get(f"/tasks/{task_id}/download").status_code == 200
    client.post("/logout")
    assert client.get(f"/tasks/{task_id}").status_code == 302  # to the login page
    assert client.get(f"/tasks/{task_id + 1}").status_code == 302


def test_a_failed_job_says_so_and_keeps_no_file(app, client, big_drive, monkeypatch, caplog):
    _drive, lead, _world = big_drive

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(exports, "export_xlsx", broken)
    login(client, lead)
    task_id = _task_id(client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx"))
    page = client.get(f"/tasks/{task_id}")
    assert "Failed." in page.text and REFRESH not in page.text
    assert "The work stopped with an unexpected error; nothing was changed." in page.text
    assert "disk full" not in page.text  # the details go to the log, for the administrator
    assert "disk full" in caplog.text
    assert client.get(f"/tasks/{task_id}/download").status_code == 404
    task = db.session.get(Task, task_id)
    assert task.status == TaskStatus.FAILED and task.result_key is None


def test_a_task_whose_worker_died_is_shown_failed_after_the_timeout(
        app, client, big_drive, held_jobs):
    _drive, lead, _world = big_drive
    login(client, lead)
    task_id = _task_id(client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx"))
    task = db.session.get(Task, task_id)
    task.status = TaskStatus.RUNNING
    task.heartbeat_at = utcnow() - timedelta(minutes=14)
    db.session.commit()
    assert "Working" in client.get(f"/tasks/{task_id}").text

    task.heartbeat_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    page = client.get(f"/tasks/{task_id}")
    assert "Failed." in page.text and REFRESH not in page.text
    assert "The work stopped answering" in page.text


def test_a_job_run_twice_does_the_work_once(app, client, big_drive, monkeypatch):
    _drive, lead, _world = big_drive
    login(client, lead)
    task_id = _task_id(client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx"))
    finished = db.session.get(Task, task_id).finished_at
    calls = []
    monkeypatch.setattr(exports, "export_xlsx", lambda *args: calls.append(args))
    exports.xlsx_task(task_id)
    assert calls == []
    db.session.expire_all()
    assert db.session.get(Task, task_id).finished_at == finished


# --- final proposals ---------------------------------------------------------------------------


@pytest.fixture
def proposal(app):
    """An application with its proposal, and a fundraiser signed in to print it."""
    world = make_proposal_world()
    fundraiser = make_user(Role.FUNDRAISER, email="fundraiser@example.org")
    db.session.commit()
    return world, fundraiser


@pytest.mark.parametrize("storage", ["folder", "database"])
def test_a_long_final_is_printed_by_a_job_then_downloaded(app, client, proposal, held_jobs,
                                                          storage):
    app.config["TASK_RENDER_MIN_CHARS"] = 1
    app.config["FILE_STORAGE"] = storage
    world, fundraiser = proposal
    login(client, fundraiser)
    base = f"/applications/{world.application.id}/proposal"
    task_id = _task_id(client.post(f"{base}/finals", data={"language": "en",
                                                          "template": "generic"}))
    waiting = client.get(f"/tasks/{task_id}")
    assert "Final proposal" in waiting.text and REFRESH in waiting.text
    assert count_rows(ProposalVersion) == 0

    assert held_jobs() == 1
    done = client.get(f"/tasks/{task_id}")
    assert "Final version 1 printed and kept." in done.text and REFRESH not in done.text
    assert f'href="/applications/{world.application.id}#proposal"' in done.text
    download = client.get(f"/tasks/{task_id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "generic-en-v1.pdf" in download.headers["Content-Disposition"]
    version = db.session.scalar(select(ProposalVersion))
    assert version.author_id == fundraiser.id
    assert hashlib.sha256(download.data).hexdigest() == version.sha256
    assert client.get(f"{base}/finals/1.pdf").data == download.data
    assert db.session.get(Task, task_id).result_key == version.storage_key  # kept once


def test_a_final_refused_by_its_checks_is_refused_on_the_form_and_starts_no_job(
        app, client, proposal):
    app.config["TASK_RENDER_MIN_CHARS"] = 1
    world, fundraiser = proposal
    world.call.max_duration_months = 6
    db.session.commit()
    login(client, fundraiser)
    refused = client.post(f"/applications/{world.application.id}/proposal/finals",
                          data={"language": "en", "template": "generic"})
    assert refused.status_code == 422
    assert "Some eligibility checks have not passed" in refused.text
    assert _tasks() == 0 and count_rows(ProposalVersion) == 0


def test_a_short_final_is_printed_in_the_request(app, client, proposal):
    world, fundraiser = proposal
    login(client, fundraiser)
    response = client.post(f"/applications/{world.application.id}/proposal/finals",
                           data={"language": "en", "template": "generic"})
    assert response.status_code == 302
    assert response.location == f"/applications/{world.application.id}#proposal"
    assert _tasks() == 0 and count_rows(ProposalVersion) == 1


# --- pledge imports ----------------------------------------------------------------------------


def _pledge_file(rows: int) -> bytes:
    lines = ["date,name,email,amount,currency,reference"]
    lines += [f"2026-03-10,Supporter {n},,{100 + n},RUB,imp-{n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _preview(client, content: bytes) -> str:
    response = client.post(f"/drives/{DRIVE_SLUG}/import",
                           data={"file": (io.BytesIO(content), "pledges.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    return response.location


def test_a_large_import_is_made_by_a_job_and_says_what_it_did(
        app, client, big_drive, held_jobs):
    app.config["TASK_IMPORT_MIN_ROWS"] = 30
    _drive, lead, _world = big_drive
    login(client, lead)
    preview = _preview(client, _pledge_file(30))
    task_id = _task_id(client.post(f"{preview}/confirm", data={"channel": "other"}))
    waiting = client.get(f"/tasks/{task_id}")
    assert "Pledge import" in waiting.text and REFRESH in waiting.text
    assert count_rows(Pledge) == 3

    assert held_jobs() == 1
    done = client.get(f"/tasks/{task_id}")
    assert "30 pledges imported." in done.text and REFRESH not in done.text
    assert "task-download" not in done.text
    assert f'href="/drives/{DRIVE_SLUG}#pledges"' in done.text
    assert count_rows(Pledge) == 33 and count_rows(PledgeUpload) == 0
    imported = db.session.scalars(select(Pledge.logged_by_id).where(
        Pledge.source == PledgeSource.IMPORT)).all()
    assert set(imported) == {lead.id}


def test_an_import_whose_file_is_gone_fails_with_the_reason(app, client, big_drive, held_jobs):
    app.config["TASK_IMPORT_MIN_ROWS"] = 30
    _drive, lead, _world = big_drive
    login(client, lead)
    preview = _preview(client, _pledge_file(30))
    task_id = _task_id(client.post(f"{preview}/confirm", data={"channel": "other"}))
    db.session.execute(delete(PledgeUpload))
    db.session.commit()
    held_jobs()
    page = client.get(f"/tasks/{task_id}")
    assert "Failed." in page.text
    assert "This file is no longer waiting to be imported" in page.text
    assert count_rows(Pledge) == 3


def test_a_small_import_stays_in_the_request(app, client, big_drive):
    app.config["TASK_IMPORT_MIN_ROWS"] = 31
    _drive, lead, _world = big_drive
    login(client, lead)
    preview = _preview(client, _pledge_file(30))
    response = client.post(f"{preview}/confirm", data={"channel": "other"})
    assert response.status_code == 302
    assert response.location == f"/drives/{DRIVE_SLUG}#pledges"
    assert count_rows(Pledge) == 33 and _tasks() == 0


def test_the_page_and_the_jobs_message_speak_the_owners_language(app, client, big_drive):
    _drive, lead, _world = big_drive
    login(client, lead)
    client.post("/language", data={"language": "ru", "next": "/"})
    task_id = _task_id(client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx"))
    page = client.get(f"/tasks/{task_id}").text
    assert "Выгрузка обещаний в Excel" in page and "Готово." in page
    assert "Выгрузка сбора «Пригласить в Челябинск команду" in page
    assert "Скачать pledges-" in page


@pytest.mark.parametrize("storage", ["folder", "database"])
def test_old_tasks_and_their_files_are_forgotten_but_never_a_kept_final(
        app, client, runner, big_drive, storage):
    app.config["FILE_STORAGE"] = storage
    _drive, lead, _world = big_drive
    login(client, lead)
    old_id = _task_id(client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx"))
    new_id = _task_id(client.get(f"/drives/{DRIVE_SLUG}/pledges.xlsx"))
    file_storage().put("finals/1/kept.pdf", b"%PDF final")
    final = Task(kind="final_proposal", owner_id=lead.id, status=TaskStatus.DONE,
                 result_key="finals/1/kept.pdf", result_name="kept.pdf", message="")
    db.session.add(final)
    for task_id in (old_id,):
        db.session.get(Task, task_id).created_at = utcnow() - timedelta(days=8)
    final.created_at = utcnow() - timedelta(days=8)
    db.session.commit()
    old_key = db.session.get(Task, old_id).result_key
    assert file_storage().exists(old_key)

    result = runner.invoke(args=["prune-tasks"])
    assert result.exit_code == 0 and "2 old tasks forgotten." in result.output
    db.session.expire_all()
    assert db.session.get(Task, old_id) is None and db.session.get(Task, new_id) is not None
    assert not file_storage().exists(old_key)
    assert file_storage().get("finals/1/kept.pdf") == b"%PDF final"
    assert client.get(f"/tasks/{new_id}/download").status_code == 200
    assert client.get(f"/tasks/{old_id}").status_code == 404


def test_progress_is_seen_by_the_page_while_the_works_transaction_is_open(app, client, big_drive):
    """Progress goes through a connection of its own: the page sees it at once."""
    _drive, lead, _world = big_drive
    task = Task(kind="drive_export_xlsx", owner_id=lead.id, status=TaskStatus.RUNNING,
                message="", total=4000)
    db.session.add(task)
    db.session.commit()
    task_id = task.id
    progress = Progress(task_id, 4000)
    progress(1000)
    progress(2000)  # within the second: not written yet, the page shows the first
    login(client, lead)
    page = client.get(f"/tasks/{task_id}").text
    assert "1000 of 4000 done" in page and "25%" in page and REFRESH in page
