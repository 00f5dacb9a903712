"""The audit screen, its CSV export, and the helpers record pages use to show a history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup

from tracker.audit import services
from tracker.audit.display import readable_summary
from tracker.audit.forms import AuditFilterForm
from tracker.audit.lines import rendered_lines
from tracker.audit.models import AuditAction, AuditEvent
from tracker.audit.paging import HistoryPage
from tracker.audit.registry import event_type
from tracker.audit.services import EventPage, EventView
from tracker.audit.trail import record_event
from tracker.auth.models import Role
from tracker.auth.permissions import Action, can, may_see_contacts, permission_required
from tracker.auth.sessions import current_user, login_required
from tracker.db import utcnow
from tracker.extensions import db
from tracker.fragments import digest, kept, kept_store
from tracker.i18n import current_language
from tracker.views import requested_page

bp = Blueprint("audit", __name__, url_prefix="/audit")

FILTER_ARGS = ("actor", "record_type", "record_id", "date_from", "date_to")
AUDIT_EXPORT = event_type("audit_trail", label=_l("Audit trail"))
# The audit screen's rendered filters (two selects of every user and record type in the
# trail), kept for each set of choices, address and language (issue 15).
FILTERS_STORE = "tracker.audit.filters"


# --- Who may open an event's details page (/audit/events/<id>), and with which rights ---
#
# A History shows each event as one line; its field-by-field details are one link away
# (issue 15). Those who may read the audit trail open any event, as on the audit screen.
# Everyone else may open only the events a record's page showed them: the page signs, once,
# the ids of the events it lists, for this user, with whether it showed them supporters'
# contact data (may_see_contacts for that record), and the details page checks that pass.
# So the details page grants exactly what the record's page granted, whatever its rules,
# and no more: a passed-on link is refused to another user, and it expires. It also holds
# the rights the user had (role, organisation, campaigns led), so that rights taken away
# stop reaching through links already shown at once, not when the pass expires. (Here, in the
# screens' layer: the rights are the auth area's, which builds on the audit trail.)

SALT = "tracker.audit.history"
# Long enough to read a page and open its details; a link kept for later is refused.
PASS_MAX_AGE = 8 * 3600


@dataclass(frozen=True)
class EventAccess:
    """Whether the reader may open an event's details, and see its personal data there."""

    allowed: bool
    personal: bool = False
    expired: bool = False


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=SALT)


def reads_trail() -> bool:
    """Whether the current user may read the whole audit trail (the audit screen's right)."""
    return can(current_user, Action.VIEW_AUDIT)


def history_pass(event_ids: Iterable[int], personal: bool) -> str | None:
    """The pass a History's "Details" links carry, for the events it lists; None for those
    who read the whole trail and need none."""
    if reads_trail() or not current_user.is_authenticated:
        return None
    return _serializer().dumps([current_user.id, int(personal), sorted(event_ids),
                                _rights_held()])


def _rights_held() -> list[Any]:
    """What decides the current user's rights to records: changed, a pass no longer holds."""
    role = current_user.role
    # Only a lead's rights depend on campaigns led: no one else's memberships are read.
    led = sorted(current_user.led_campaign_ids) if role is Role.LEAD else []
    return [role and role.value, current_user.organization_id, led]


def event_access(event_id: int, token: str | None) -> EventAccess:
    """What the current user may see of this event's details, with the pass they came with."""
    if reads_trail():
        return EventAccess(True, personal=may_see_contacts(current_user))
    if not token:
        return EventAccess(False)
    try:
        user_id, personal, ids, rights = _serializer().loads(token, max_age=PASS_MAX_AGE)
    except SignatureExpired:
        return EventAccess(False, expired=True)
    except (BadData, ValueError, TypeError):  # tampered with, or not a pass at all
        return EventAccess(False)
    if user_id != current_user.id or event_id not in ids or rights != _rights_held():
        return EventAccess(False)
    return EventAccess(True, personal=bool(personal))


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
    filtered = bool(_filter_args())
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
        filtered=filtered,
        filters_html=kept(kept_store(FILTERS_STORE, 256), partial(_filters_key, form),
                          partial(_render_filters, form, filtered)),
    )


def _filters_key(form: AuditFilterForm) -> bytes:
    """Everything the valid filter form shows: its choices as listed now (users and record
    types from the trail, in the user's language), the address's values, the language."""
    choices = [[(value, str(label)) for value, label in field.choices]
               for field in (form.actor, form.record_type)]
    return digest(choices, sorted(request.args.items(multi=True)), current_language())


def _render_filters(form: AuditFilterForm, filtered: bool) -> Markup:
    return Markup(render_template("audit/_filters.html", form=form, filtered=filtered,
                                  events=True))


@bp.get("/events/<int:event_id>")
@login_required
def event(event_id: int):
    """One event's details, field by field: what its History line leaves out."""
    access = event_access(event_id, request.args.get("h"))
    if not access.allowed:
        message = (_("This link has expired: reload the page it was on and open the details "
                     "again.") if access.expired
                   else _("You may not see the details of this change."))
        return render_template("audit/event.html", item=None, refusal=message), 403
    found = db.session.get(AuditEvent, event_id)
    if found is None:
        abort(404)
    item = services.describe([found], personal=access.personal)[0]
    if request.args.get("part") == "details":  # for static/js/history.js: under its line
        return render_template("audit/_event_details.html", item=item)
    return render_template("audit/event.html", item=item, refusal=None,
                           record_url=url_for("audit.index", record_type=found.record_type,
                                              record_id=found.record_id)
                           if reads_trail() else None)


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


@dataclass(frozen=True)
class HistoryLines:
    """What audit/_history.html lists: each event's summary line, and the pass its
    "Details" links carry (tracker/audit/access.py; None for readers of the whole trail)."""

    views: list[EventView]
    details_pass: str | None
    # Each line's HTML, kept or rendered (tracker/audit/lines.py).
    html: list[Markup]


@bp.app_template_global("history_lines")
def history_lines(events: EventPage | list[Any], personal: bool | None = None,
                  shown: list[Any] | None = None, record_links: bool = False) -> HistoryLines:
    """Template helper: the events (or those `shown` of their page) as summary lines, their
    details left to their own page (issue 15: formatting every field of every event was a
    quarter of a record's page). `record_links`: each line links to its record's history."""
    if personal is None:
        personal = may_see_contacts(current_user)
    erased = events.erased if isinstance(events, HistoryPage) else None
    views = services.describe(events if shown is None else shown, personal=personal,
                              summary=True, erased=erased)
    details_pass = history_pass([view.event.id for view in views], personal)
    return HistoryLines(views, details_pass, rendered_lines(
        views, record_links=record_links, details_pass=details_pass))


@bp.app_template_global("audit_page_url")
def audit_page_url(page: int, param: str = "history_page", endpoint: str | None = None) -> str:
    """Template helper: this page's address (or `endpoint`'s) with another page of a history."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args.pop("part", None)  # a page's part, fetched by a script, links to the whole page
    args[param] = [str(page)]
    return url_for(endpoint or request.endpoint or "dashboard.index", **(request.view_args or {}),
                   **args)
