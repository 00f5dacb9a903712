"""Slow work a user asked for: one row per task, from the request until its file is ready."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, LabeledEnum, UTCDateTime, str_enum, utcnow


class TaskStatus(LabeledEnum):
    """Where a task is: waiting for a worker, being worked on, its file ready, or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @classmethod
    def labels(cls):
        return {
            cls.QUEUED: _l("Waiting for a worker"),
            cls.RUNNING: _l("Working"),
            cls.DONE: _l("Done"),
            cls.FAILED: _l("Failed"),
        }


class Task(Base):
    """A slow piece of work (an export, a final proposal, an import) run as a job.

    Its owner alone (and admins) may follow it and download its result, which is kept in
    the file storage so that whichever server answers can serve it. `heartbeat_at` moves
    with the progress: a task that stops moving (its worker died) is shown as failed.
    Not audited: the work itself records what it changes.
    """

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_owner", "owner_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, "task_status"),
                                               default=TaskStatus.QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where the user goes back to, and what the download is called.
    back_url: Mapped[str] = mapped_column(String(300), default="")
    result_key: Mapped[str | None] = mapped_column(String(300))
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.kind} {self.status}>"
