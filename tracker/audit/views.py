"""The audit screen, its CSV export, and the helpers record pages use to show a history."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_babel import lazy_gettext as _l

from tracker.audit import services
from tracker.audit.display import readable_summary
from tracker.audit.forms import AuditFilterForm
from tracker.audit.models import AuditAction
from tracker.audit.registry import event_type
from tracker.audit.services import EventPage, EventView
from tracker.audit.trail import record_event
from tracker.auth.permissions import Action, may_see_contacts, permission_required
from tracker.auth.sessions import current_user
from tracker.db import utcnow
from tracker.extensions import db
from tracker.i18n import current_language
from tracker.views import requested_page

bp = Blueprint("audit", __name__, url_prefix="/audit")

FILTER_ARGS = ("actor", "record_type", "record_id", "date_from", "date_to")
AUDIT_EXPORT = event_type("audit_trail", label=_l("Audit trail"))


def _filter_args() -> dict[str, Any]:
    """The filters in the query string, to carry over to the export link and the pager."""
    return {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}


@bp.get("/")
@permission_required(Action.VIEW_AUDIT)
def index():
    """The audit trail, newest first, filtered by user, record type and dates."""
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("audit/index.html", form=form, events=None,
                               export_url=None, record=None), 422
    filters = form.to_filter()
    events = services.search_events(**asdict(filters), page=requested_page())
    record = None
    if filters.record_type and filters.record_id:
        record = (services.record_type_label(filters.record_type),
                  readable_summary(services.record_title(filters.record_type, filters.record_id),
                                   current_language()))
    return render_template(
        "audit/index.html",
        form=form,
        events=events,
        export_url=url_for("audit.export", **_filter_args()),
        record=record,
        filtered=bool(_filter_args()),
    )


@bp.get("/export.csv")
@permission_required(Action.VIEW_AUDIT)
def export():
    """Download the filtered trail as CSV, streamed row by row."""
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("audit/index.html", form=form, events=None,
                               export_url=None, record=None), 422
    chunks = services.export_csv(**asdict(form.to_filter()))
    filename = f"tracker-audit-{utcnow():%Y-%m-%d}.csv"
    # The trail holds supporters' e-mails among its values: taking it out is recorded too.
    record_event(db.session(), action=AuditAction.EXPORT, record_type=AUDIT_EXPORT,
                 record_id="csv", summary=filename, changes={"file": filename, **_filter_args()})
    db.session.commit()
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"},
    )


@bp.record_once
def _history_globals(state: Any) -> None:
    """What audit/_history.html and its section use to cut a History to its latest events."""
    state.app.jinja_env.globals.update(history_shown=services.history_shown,
                                       RECORD_HISTORY_LATEST=services.RECORD_HISTORY_LATEST)


@bp.app_template_global("audit_view")
def audit_view(events: EventPage | list[Any], personal: bool | None = None) -> list[EventView]:
    """Template helper: events ready to show (used by audit/_history.html).

    `personal`: whether the reader may see supporters' contact data in them; when the
    page does not say, only those who may see every campaign's (the hub's staff) do.
    """
    if personal is None:
        personal = may_see_contacts(current_user)
    return services.describe(events, personal=personal)


@bp.app_template_global("audit_page_url")
def audit_page_url(page: int, param: str = "history_page", endpoint: str | None = None) -> str:
    """Template helper: this page's address (or `endpoint`'s) with another page of a history."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args[param] = [str(page)]
    return url_for(endpoint or request.endpoint or "dashboard.index", **(request.view_args or {}),
                   **args)
