"""Cross-cutting pages: health check, language switch, a slug made from a title."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session, url_for

from tracker.auth.sessions import is_local_path
from tracker.campaigns.models import Campaign
from tracker.core import services
from tracker.drives.models import Drive
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.forms import optional_whole_number
from tracker.i18n import LANGUAGES
from tracker.orgs.models import Organization
from tracker.slugs import made_slug

# A title longer than any title field holds makes no better slug (slugs stop at 80 characters).
MAX_TITLE_CHARS = 1000

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


# The records a slug is unique among, by the name a slug field gives (tracker/forms.SlugField).
SLUGGED: dict[str, type[Drive] | type[Campaign] | type[Organization]] = {
    "drive": Drive, "campaign": Campaign, "organisation": Organization}


@bp.get("/slug")
def suggest_slug():
    """The slug the server would make from the titles typed so far (for a form's script)."""
    model = SLUGGED.get(request.args.get("kind", ""))
    if model is None:
        return jsonify(error="unknown kind"), 400
    titles = [title[:MAX_TITLE_CHARS] for title in request.args.getlist("title")[:2]]
    current = optional_whole_number(request.args.get("current"))
    try:
        return jsonify(slug=made_slug(model, titles, current_id=current))
    except DomainError:
        return jsonify(slug="")
