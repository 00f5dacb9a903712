"""Slow work as tasks: started in the request, run as a job, followed on a progress page.

A view that would hold a web worker too long (a big export, a final proposal, a big
import) calls `start_task` instead of doing the work: a Task row and a job, both only
once the request's transaction commits. The job is a module-level function of the area
that owns the work; it hands `run_task` the work itself. `run_task` marks the task
running, reports progress as the work goes (on a connection of its own, so that the
owner's page sees it while the work's own transaction is still open), keeps the result
in the file storage (any server can serve it) and marks the task done, or failed with
the reason. A task whose heartbeat stopped (its worker died) is shown as failed after
TASK_STUCK_MINUTES.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import SQLAlchemyError

from tracker.auth.models import Role, User
from tracker.db import utcnow
from tracker.errors import DomainError, NotFound
from tracker.extensions import db
from tracker.jobs import enqueue
from tracker.storage import file_storage
from tracker.tasks.models import Task, TaskStatus

log = logging.getLogger(__name__)

RESULTS = "tasks/"  # the storage keys of the files tasks made (not a final's own file)
PROGRESS_EVERY_SECONDS = 1.0  # how often a running task writes its progress
EXPORT_XLSX, FINAL_PROPOSAL, PLEDGE_IMPORT = "drive_export_xlsx", "final_proposal", "pledge_import"
TITLES = {EXPORT_XLSX: _l("Excel export of pledges"), FINAL_PROPOSAL: _l("Final proposal"),
          PLEDGE_IMPORT: _l("Pledge import")}


@dataclass(frozen=True)
class TaskResult:
    """What a task made: the file to download (its bytes, or `key`: a file the work kept
    in the storage itself), its name and type, and a line for its owner."""

    data: bytes | None
    file_name: str
    mimetype: str
    message: str = ""
    key: str | None = None


class Progress:
    """Counts the work done; writes it (at most once a second) for the progress page."""

    def __init__(self, task_id: int, total: int = 0) -> None:
        self.task_id = task_id
        self.total = total
        self._written = 0.0

    def __call__(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        now = time.monotonic()
        if now - self._written < PROGRESS_EVERY_SECONDS:
            return
        self._written = now
        try:
            # Its own short transaction: the work's transaction may stay open for minutes.
            with db.engine.begin() as connection:
                connection.execute(update(Task).where(Task.id == self.task_id).values(
                    done=done, total=self.total, heartbeat_at=utcnow()))
        except SQLAlchemyError:
            # Progress is for the eyes only: the work goes on without it.
            log.warning("Could not write the progress of task %s", self.task_id, exc_info=True)


def start_task(job: Callable[[int], Any], kind: str, owner: User, *, back_url: str,
               params: dict[str, Any] | None = None, total: int = 0,
               language: str = "en") -> Task:
    """Record a task for `owner` and run job(task id) once the transaction commits."""
    task = Task(kind=kind, owner_id=owner.id, back_url=back_url, total=total,
                params={**(params or {}), "language": language}, message="")
    db.session.add(task)
    db.session.flush()
    enqueue(job, task.id)
    return task


def run_task(task_id: int, work: Callable[[Task, Progress], TaskResult]) -> None:
    """Run the work of a queued task, keep its result and mark it done or failed (a job)."""
    task = db.session.get(Task, task_id)
    if task is None or task.status != TaskStatus.QUEUED:
        return  # done already, or taken by another worker (a job run twice does it once)
    claimed: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(Task).where(Task.id == task_id, Task.status == TaskStatus.QUEUED)
        .values(status=TaskStatus.RUNNING, started_at=utcnow(), heartbeat_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.commit()
    if not claimed.rowcount:
        return
    db.session.refresh(task)
    language = str(task.params.get("language") or "en")
    with force_locale(language):
        try:
            result = work(task, Progress(task_id, task.total))
            key = result.key
            if result.data is not None:
                key = f"{RESULTS}{task_id}/result"
                file_storage().put(key, result.data)
            task.status = TaskStatus.DONE
            task.result_key, task.result_name = key, result.file_name or None
            task.result_type, task.message = result.mimetype or None, result.message[:500]
            task.done = task.total = max(task.total, task.done)
            task.finished_at = task.heartbeat_at = utcnow()
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            if isinstance(error, DomainError):
                message = error.message
            else:
                log.exception("Task %s (%s) failed", task_id, task.kind)
                message = _("The work stopped with an unexpected error; nothing was changed. "
                            "Try again, and tell an administrator if it happens again.")
            db.session.execute(update(Task).where(Task.id == task_id).values(
                status=TaskStatus.FAILED, message=message[:500], finished_at=utcnow()))
            db.session.commit()


def get_task(task_id: int) -> Task:
    """The task with this id, or NotFound."""
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound(_("No such task."))
    return task


def may_follow(user: User, task: Task) -> bool:
    """Whether `user` may see the task and download its file: whoever started it, and admins."""
    return task.owner_id == user.id or user.role == Role.ADMIN


@dataclass(frozen=True)
class TaskView:
    """A task as its page shows it: a stuck one is shown failed."""

    task: Task
    status: TaskStatus
    message: str
    percent: int | None

    @property
    def running(self) -> bool:
        return self.status in (TaskStatus.QUEUED, TaskStatus.RUNNING)


def stuck_after() -> timedelta:
    """How long a task may go without a sign of life before it is shown as failed."""
    return timedelta(minutes=current_app.config["TASK_STUCK_MINUTES"])


def view_of(task: Task, now: datetime | None = None) -> TaskView:
    """What the progress page says about the task now."""
    now = now or utcnow()
    status, message = task.status, task.message
    last_sign = task.heartbeat_at or task.created_at
    if status in (TaskStatus.QUEUED, TaskStatus.RUNNING) and now - last_sign > stuck_after():
        status = TaskStatus.FAILED
        message = _("The work stopped answering (its worker may have stopped). Start it "
                    "again.")
    percent = None
    if task.total:
        percent = 100 if status == TaskStatus.DONE else min(99, task.done * 100 // task.total)
    return TaskView(task, status, message, percent)


def result_of(task: Task) -> Any:
    """The pieces of a done task's file from the storage; NotFound if it is not there."""
    if task.status != TaskStatus.DONE or not task.result_key:
        raise NotFound(_("This task has no file to download yet."))
    pieces = file_storage().stream(task.result_key)
    if pieces is None:
        raise NotFound(_("The file of this task is no longer kept."))
    return pieces


def prune_tasks(now: datetime | None = None) -> int:
    """Forget tasks started more than TASK_KEPT_DAYS ago, and the files they
    made: an export holds pledgers' contacts, kept no longer than it is useful; how many."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["TASK_KEPT_DAYS"])
    old = list(db.session.scalars(select(Task).where(Task.created_at < cutoff)))
    storage = file_storage()
    for task in old:
        if task.result_key and task.result_key.startswith(RESULTS):
            storage.delete(task.result_key)
        db.session.delete(task)
    db.session.flush()
    return len(old)
