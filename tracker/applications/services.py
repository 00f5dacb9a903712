"""The applications area's public face: donors' calls, applications, deadlines and the feed.

Each concern lives in its own module (calls, records, reports, pipeline, deadlines,
calendar); this module re-exports their public names so other areas import from one place.
"""

from __future__ import annotations

from tracker.applications.calendar import (
    MAX_TOKEN_LENGTH,
    calendar_token_of,
    deadlines_calendar,
    issue_calendar_token,
    revoke_calendar_token,
    user_for_calendar_token,
)
from tracker.applications.calls import (
    MAX_DURATION_MONTHS,
    CallInput,
    CallRow,
    DonorRow,
    call_applications,
    calls_by_donor,
    create_call,
    donors_with_calls,
    get_call,
    get_donor,
    is_donor,
    list_donors,
    update_call,
)
from tracker.applications.checks import (
    MAX_NOTE_LENGTH,
    MAX_NOTES_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
)
from tracker.applications.deadlines import (
    DEADLINE_WINDOW_DAYS,
    Deadline,
    DeadlineKind,
    open_deadlines,
    upcoming_deadlines,
)
from tracker.applications.models import MACHINE
from tracker.applications.pipeline import (
    AWAITING_DECISION,
    AWAITING_SUBMISSION,
    COMPETING,
    Collision,
    PipelineFilter,
    all_collisions,
    colliding_ids,
    collisions_for,
    is_overdue,
    list_applications,
)
from tracker.applications.records import (
    ApplicationInput,
    create_application,
    get_application,
    move,
    status_history,
    update_application,
)
from tracker.applications.reports import (
    ReportInput,
    add_report,
    get_report,
    mark_report_done,
)
from tracker.status import TransitionNotAllowed

__all__ = [
    "AWAITING_DECISION",
    "AWAITING_SUBMISSION",
    "COMPETING",
    "DEADLINE_WINDOW_DAYS",
    "MACHINE",
    "MAX_DURATION_MONTHS",
    "MAX_NOTES_LENGTH",
    "MAX_NOTE_LENGTH",
    "MAX_REFERENCE_LENGTH",
    "MAX_TITLE_LENGTH",
    "MAX_TOKEN_LENGTH",
    "MAX_URL_LENGTH",
    "ApplicationInput",
    "CallInput",
    "CallRow",
    "Collision",
    "Deadline",
    "DeadlineKind",
    "DonorRow",
    "PipelineFilter",
    "ReportInput",
    "TransitionNotAllowed",
    "add_report",
    "all_collisions",
    "calendar_token_of",
    "call_applications",
    "calls_by_donor",
    "colliding_ids",
    "collisions_for",
    "create_application",
    "create_call",
    "deadlines_calendar",
    "donors_with_calls",
    "get_application",
    "get_call",
    "get_donor",
    "get_report",
    "is_donor",
    "is_overdue",
    "issue_calendar_token",
    "list_applications",
    "list_donors",
    "mark_report_done",
    "move",
    "open_deadlines",
    "revoke_calendar_token",
    "status_history",
    "upcoming_deadlines",
    "update_application",
    "update_call",
    "user_for_calendar_token",
]
