"""The unsubscribe link of supporters' messages (tracker/mail/suppression.py): a page that
asks, and the one-click POST.

RFC 8058: a mail program's "Unsubscribe" button POSTs `List-Unsubscribe=One-Click` to the
link, without cookies or a CSRF token, so the POST alone unsubscribes (the signed token is
the proof). A GET only shows a page with the button: link checkers and previews that
fetch every link in a message must not unsubscribe anyone.
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from tracker.auth.sessions import public
from tracker.drives.views import bp
from tracker.extensions import csrf, db
from tracker.mail.suppression import hash_from_token, suppress


@bp.get("/unsubscribe/<token>")
@public
def unsubscribe_page(token: str) -> Any:
    """Ask the person to confirm that they want no more messages (a button, no JavaScript)."""
    if hash_from_token(token) is None:
        return render_template("drives/unsubscribe.html", state="invalid"), 404
    return render_template("drives/unsubscribe.html", state="confirm", token=token)


@bp.post("/unsubscribe/<token>")
@public
@csrf.exempt
def unsubscribe(token: str) -> Any:
    """Unsubscribe the address of the link: one click, no login, no CSRF token (RFC 8058)."""
    hashed = hash_from_token(token)
    if hashed is None:
        return render_template("drives/unsubscribe.html", state="invalid"), 404
    suppress(hashed)
    db.session.commit()
    return render_template("drives/unsubscribe.html", state="done")
