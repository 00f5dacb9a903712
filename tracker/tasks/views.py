"""The progress page of a task and its download: for the task's owner and admins only."""

from __future__ import annotations

from flask import Blueprint, render_template, stream_with_context
from werkzeug.wrappers import Response

from tracker.auth.permissions import require
from tracker.auth.sessions import login_required, signed_in_user
from tracker.tasks import services

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

REFRESH_SECONDS = 2  # how often the page reloads itself while the work runs (no JavaScript)


@bp.get("/<int:task_id>")
@login_required
def show(task_id: int):
    """How far the task has got; the download link once it is done."""
    task = services.get_task(task_id)
    require(services.may_follow(signed_in_user(), task))
    view = services.view_of(task)
    response = Response(render_template("tasks/show.html", view=view, task=task,
                                        task_titles=services.TITLES,
                                        refresh=REFRESH_SECONDS if view.running else None))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:task_id>/download")
@login_required
def download(task_id: int):
    """The task's file, streamed from the storage (whichever server made it)."""
    task = services.get_task(task_id)
    require(services.may_follow(signed_in_user(), task))
    pieces = services.result_of(task)
    return Response(stream_with_context(pieces), mimetype=task.result_type, headers={
        "Content-Disposition": f'attachment; filename="{task.result_name}"',
        "Cache-Control": "no-store"})
