"""A large pledge file imported by a job (tracker/tasks), so no web worker waits on it.

The request that confirms a file of TASK_IMPORT_MIN_ROWS rows or more records a task and
returns at once; the job checks the file again against the drive as it is then and
writes it in one transaction, as the request would have. If a row no longer passes,
the task fails with the reason and the upload stays, to be previewed again.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.auth.models import User
from tracker.drives.imports.importer import ImportResult
from tracker.drives.imports.uploads import confirm_upload
from tracker.drives.models import Channel, PledgeUpload
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.tasks.models import Task
from tracker.tasks.services import PLEDGE_IMPORT, Progress, TaskResult, run_task, start_task
from tracker.workbook import estimate_rows


def needs_job(upload: PledgeUpload) -> bool:
    """Whether importing the upload is long enough work to go to a job."""
    rows = estimate_rows(upload.content, upload.filename)
    return rows >= current_app.config["TASK_IMPORT_MIN_ROWS"]


def start_import(upload: PledgeUpload, *, by: User, channel: Channel, language: str) -> Task:
    """Record the import as a task of `by`; its job runs once the request commits."""
    return start_task(import_task, PLEDGE_IMPORT, by, language=language,
                      back_url=url_for("drives.show", slug=upload.drive.slug,
                                       _anchor="pledges"),
                      params={"upload_id": upload.id, "channel": channel.value},
                      total=estimate_rows(upload.content, upload.filename))


def import_task(task_id: int) -> None:
    """The job importing a large pledge file."""
    run_task(task_id, _import_work)


def _import_work(task: Task, progress: Progress) -> TaskResult:
    upload = db.session.get(PledgeUpload, task.params["upload_id"])
    owner = db.session.get(User, task.owner_id)
    if upload is None or owner is None:
        raise DomainError(_("This file is no longer waiting to be imported (it was imported, "
                            "or kept longer than a day): upload it again."))
    # Progress is written before the import only: its rows go in one transaction, which
    # on SQLite holds the one write lock a progress update would wait for.
    progress(0)
    result = confirm_upload(upload, by=owner, channel=Channel(task.params["channel"]))
    task.done = task.total = result.total_rows
    return TaskResult(None, "", "", " ".join(filter(None, (import_summary(result),
                                                            rate_warning(result)))))


def import_summary(result: ImportResult) -> str:
    """What an import did, in one or two sentences."""
    summary = _pledges_summary(result)
    if result.payments:
        summary += " " + ngettext("%(num)d payment recorded.", "%(num)d payments recorded.",
                                  result.payments)
    return summary


def rate_warning(result: ImportResult) -> str:
    """What is left to do for imported pledges without a rate ('' if none)."""
    if not result.without_rate:
        return ""
    return ngettext("%(num)d imported pledge has no exchange rate yet: add the rate, then "
                    "convert again.",
                    "%(num)d imported pledges have no exchange rate yet: add the rates, then "
                    "convert again.", result.without_rate)


def _pledges_summary(result: ImportResult) -> str:
    if result.imported == 0:
        return ngettext("Nothing new: the pledge in the file was already imported.",
                        "Nothing new: all %(num)d pledges in the file were already imported.",
                        result.skipped)
    if result.skipped == 0:
        return ngettext("%(num)d pledge imported.", "%(num)d pledges imported.",
                        result.imported)
    return ngettext("%(num)d pledge imported, %(skipped)d already imported before.",
                    "%(num)d pledges imported, %(skipped)d already imported before.",
                    result.imported, skipped=result.skipped)
