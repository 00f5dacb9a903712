"""The list of grants (the opening, overview and budget screens join it here)."""

from __future__ import annotations

from flask import render_template

from tracker.auth.sessions import login_required
from tracker.grants import services
from tracker.grants.views import bp


@bp.get("/")
@login_required
def index() -> str:
    """Every grant with its award, spending and holder."""
    return render_template("grants/index.html", grants=services.list_grants())
