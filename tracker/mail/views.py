"""Screens of the outbox: failed and waiting messages for administrators; in development,
every message itself (so `make run` shows what would have been sent, without a mail server).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.auth.permissions import Action, permission_required
from tracker.mail import admin
from tracker.mail.delivery import mail_folder
from tracker.mail.models import MessageStatus
from tracker.views import commit, requested_page

bp = Blueprint("mail", __name__)

# The message's own HTML, shown in a frame of the development outbox: its inline styles
# are allowed, nothing else (no scripts, no requests); the frame is a sandbox.
MESSAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                  "sandbox; frame-ancestors 'self'")


def _status_filter() -> MessageStatus | None:
    value = request.args.get("status", "")
    try:
        return MessageStatus(value) if value else None
    except ValueError:
        abort(404)


@bp.get("/admin/mail")
@permission_required(Action.MANAGE_MAIL)
def outbox():
    """The outbox: every message with its status, attempts and last error, newest first."""
    status = _status_filter()
    counts = admin.status_counts()
    return render_template("mail_admin/outbox.html", status=status, counts=counts,
                           failed=counts[MessageStatus.FAILED],
                           messages=admin.list_messages(status, requested_page()),
                           server=current_app.config["MAIL_SERVER"],
                           development=_in_development())


@bp.post("/admin/mail/<int:message_id>/retry")
@permission_required(Action.MANAGE_MAIL)
def retry(message_id: int):
    """Send a failed message again, with a fresh series of attempts."""
    message = admin.get_message(message_id)
    outcome = commit(lambda: admin.retry_message(message))
    if outcome.refused:
        flash(outcome.message, "danger")
    else:
        flash(_("Message to %(address)s queued again.", address=message.recipient), "success")
    return redirect(url_for("mail.outbox", status=request.args.get("status") or None))


@bp.post("/admin/mail/retry-failed")
@permission_required(Action.MANAGE_MAIL)
def retry_failed():
    """Queue every failed message again; the next sweep sends them."""
    count = commit(admin.retry_failed).value
    flash(ngettext("%(num)d failed message queued again; it is sent within a minute.",
                   "%(num)d failed messages queued again; they are sent within a minute.",
                   count), "success")
    return redirect(url_for("mail.outbox"))


# --- development only: the messages themselves ------------------------------------------------


def _in_development() -> bool:
    return current_app.config["ENV"] == "development"


def _development_only() -> None:
    # Message bodies hold one-time links (invitations, password resets): outside
    # development no screen shows them, and the pages do not even exist.
    if not _in_development():
        abort(404)


@bp.get("/dev/mail")
@permission_required(Action.MANAGE_MAIL)
def dev_outbox():
    """Development: every message Tracker wrote, newest first, to open and read."""
    _development_only()
    return render_template("mail_admin/dev_outbox.html",
                           messages=admin.list_messages(None, requested_page()),
                           folder=mail_folder())


@bp.get("/dev/mail/<int:message_id>")
@permission_required(Action.MANAGE_MAIL)
def dev_message(message_id: int):
    """Development: one message as its recipient gets it, the HTML and the plain text."""
    _development_only()
    return render_template("mail_admin/dev_message.html",
                           message=admin.get_message(message_id))


@bp.get("/dev/mail/<int:message_id>/body.html")
@permission_required(Action.MANAGE_MAIL)
def dev_message_html(message_id: int):
    """Development: the message's HTML alone, for the frame of its page."""
    _development_only()
    message = admin.get_message(message_id)
    response = current_app.response_class(message.html_body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MESSAGE_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
