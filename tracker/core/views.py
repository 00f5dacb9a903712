"""Cross-cutting pages: health check, language switch."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session, url_for

from tracker.auth.sessions import is_local_path
from tracker.core import services
from tracker.extensions import db
from tracker.i18n import LANGUAGES

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the app and its database answer."""
    if not services.database_answers():
        db.session.rollback()  # the failed query's transaction is this request's own
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")


@bp.post("/language")
def set_language():
    """Remember the chosen language in the session and go back to the page."""
    language = request.form.get("language", "")
    if language in LANGUAGES:
        session["lang"] = language
    target = request.form.get("next", "")
    if not is_local_path(target):
        target = url_for("dashboard.index")
    return redirect(target)
