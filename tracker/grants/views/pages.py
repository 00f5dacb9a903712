"""The list of grants (the opening, overview and budget screens join it here)."""

from __future__ import annotations

from flask import render_template

from tracker.auth.sessions import login_required
from tracker.grants import services
from tracker.grants.views import bp
from tracker.views import requested_page


@bp.get("/")
@login_required
def index() -> str:
    """The grants with their award, spending and holder, a page at a time."""
    return render_template("grants/index.html",
                           listed=services.page_of_grants(requested_page()))
