"""Nothing typed is lost: a form posted after the session ended, or with a stale CSRF token.

Such a post is not carried out. What was typed (never passwords, file uploads or the
CSRF token) is kept in `rescued_form` under a random one-time key; the person logs in
again if needed and the form's page is shown (a GET, never a replayed POST) pre-filled
with those values, so they check them and press Save themselves.

Posts that are not something a person typed (logout, the language switch, log in
itself, buttons without text) are never kept: they are simply asked again.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from flask import (
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from tracker.auth.identity import token_digest
from tracker.auth.limits import may_keep_anonymous_text
from tracker.auth.models import RescuedForm
from tracker.db import utcnow
from tracker.extensions import db

RESCUE_PARAM = "_rescued"
# Posts whose replay, even as a pre-filled page, makes no sense or no safety.
NEVER_KEPT = frozenset({"auth.logout", "auth.login", "auth.accept_invite", "core.set_language"})
MAX_TYPED_CHARS = 200_000
KEPT_FOR = timedelta(days=2)


# --- Keeping and taking back (services: no request here) -------------------------------------


def keep_typed(fields: list[tuple[str, str]], target: str, user_id: int | None) -> str:
    """Store typed fields for the page `target`; return the one-time key that gets them back."""
    db.session.execute(delete(RescuedForm).where(RescuedForm.created_at < utcnow() - KEPT_FOR))
    key = secrets.token_urlsafe(24)
    db.session.add(RescuedForm(key_hash=token_digest(key), user_id=user_id, target=target,
                               fields=json.dumps(fields, ensure_ascii=False)))
    db.session.flush()
    return key


def take_typed(key: str, target: str, user_id: int | None) -> MultiDict | None:
    """The fields kept under `key` for this page and user, once; None if there are none."""
    record = db.session.scalar(
        select(RescuedForm).where(RescuedForm.key_hash == token_digest(key))
    )
    if record is None or record.target != target:
        return None
    if record.user_id is not None and record.user_id != user_id:
        return None
    db.session.delete(record)
    db.session.flush()
    return MultiDict([tuple(pair) for pair in json.loads(record.fields)])


# --- On the web --------------------------------------------------------------------------------


def _typed_fields() -> list[tuple[str, str]]:
    """The posted text fields worth keeping: no token, password or (not-form) upload."""
    fields = []
    for name, value in request.form.items(multi=True):
        lowered = name.lower()
        if lowered == "csrf_token" or "password" in lowered:
            continue
        fields.append((name, value))
    return fields


def _has_get_page(path: str) -> bool:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return False
    return True


def _form_page() -> str | None:
    """The page that showed the form: the posted URL itself, or (a POST-only URL) its referrer."""
    from tracker.auth.sessions import is_local_path

    if _has_get_page(request.path):
        return request.path
    referrer = request.referrer or ""
    parts = referrer.split(request.host_url.rstrip("/"), 1)
    path = parts[1] if len(parts) == 2 and not parts[0] else ""
    path = path.split("?", 1)[0].split("#", 1)[0]
    if is_local_path(path) and _has_get_page(path):
        return path
    return None


def _from_a_script() -> bool:
    """A fetch from the page's own script (the editor's preview), not a form a person sent."""
    accept = request.accept_mimetypes
    return bool(request.is_json or request.headers.get("X-CSRFToken")
                or (accept and not accept.accept_html))


def keep_post(user_id: int | None) -> str | None:
    """Keep this post's typed fields; the URL that shows them again, or None if not kept."""
    if request.method != "POST" or request.endpoint in NEVER_KEPT or _from_a_script():
        return None
    fields = _typed_fields()
    if not any(value.strip() for name, value in fields if name != "next"):
        return None
    if sum(len(name) + len(value) for name, value in fields) > MAX_TYPED_CHARS:
        return None
    page = _form_page()
    if page is None:
        return None
    if user_id is None and not may_keep_anonymous_text(request.remote_addr or "unknown"):
        return None
    key = keep_typed(fields, page, user_id)
    db.session.commit()
    return f"{page}?{RESCUE_PARAM}={key}"


def session_ended_page(message: str) -> Response | None:
    """For a post of typed text after the session ended: keep it, offer to log in again."""
    again = keep_post(g.get("ended_user_id"))
    if again is None:
        return None
    from tracker.auth.forms import LoginForm

    form = LoginForm(formdata=None)
    html = render_template("auth/session_ended.html", form=form, message=message,
                           action=url_for("auth.login", next=again))
    return Response(html, status=401, mimetype="text/html")


def stale_token(error: HTTPException) -> Any:
    """A post whose CSRF token is missing or stale: show the form again, typed values kept."""
    from tracker.auth.sessions import current_user, load_user

    refused = load_user()  # CSRFProtect ran before the session check
    if refused is not None:
        return refused
    if not current_user.is_authenticated and request.endpoint == "auth.logout":
        return redirect(url_for("auth.login"))
    again = keep_post(current_user.id)
    if again is not None:
        flash(_("This page had expired, so nothing was saved yet. What you typed is below: "
                "check it and press Save again."), "warning")
        return redirect(again, 303)
    # Nothing typed to keep (a button, the log-in form): say what happened, do nothing.
    if _from_a_script():
        return jsonify(error=_("This page had expired. Please reload it.")), 400
    if request.endpoint == "auth.login":
        from tracker.auth.forms import LoginForm

        form = LoginForm()
        form.form_errors.append(_("This page had expired. Please log in again."))
        return render_template("auth/login.html", form=form), 400
    back = _form_page() or url_for("dashboard.index")
    return render_template(
        "errors/error.html", code=400, title=_("This page had expired"),
        message=_("Nothing was done. Go back to the page and try again."), back=back,
    ), 400


def restore_typed() -> None:
    """Before a GET with a rescue key: give this page's forms the kept values."""
    from tracker.auth.sessions import current_user

    g.pop("rescued_formdata", None)
    key = request.args.get(RESCUE_PARAM)
    if request.method != "GET" or not key:
        return
    values = take_typed(key, request.path, current_user.id)
    db.session.commit()
    if values is None:
        return
    g.rescued_formdata = values
    flash(_("What you typed before the session ended is back in the form. "
            "Check it and press Save."), "info")


def _wrap_formdata_with_rescue() -> None:
    """Forms built without explicit formdata on a rescued page read the kept values."""
    original = FlaskForm.Meta.wrap_formdata

    def wrap_formdata(self: Any, form: Any, formdata: Any) -> Any:
        rescued = g.get("rescued_formdata")
        # Flask-WTF's "take it from the request" marker is neither None nor a mapping.
        if rescued is not None and formdata is not None and not hasattr(formdata, "getlist"):
            return rescued
        return original(self, form, formdata)

    if not getattr(original, "tracker_rescue", False):
        # Type check: a marker attribute on the wrapped function.
        wrap_formdata.tracker_rescue = True  # type: ignore[attr-defined]
        FlaskForm.Meta.wrap_formdata = wrap_formdata


def rescued_formdata() -> MultiDict | None:
    """The kept values on this page, for a view that builds its form with explicit data."""
    return g.get("rescued_formdata")


def init_rescue(app: Flask) -> None:
    """Handle stale CSRF tokens, and pre-fill pages opened with a rescue key."""
    from flask_wtf.csrf import CSRFError

    from tracker.auth.sessions import SESSION_ENDED_PAGE

    app.extensions[SESSION_ENDED_PAGE] = session_ended_page
    _wrap_formdata_with_rescue()
    app.register_error_handler(CSRFError, stale_token)
    app.before_request(restore_typed)
