"""The audit area's public face for reading the trail: history, search, display, export.

Each concern lives in its own module (queries, paging, display, export); this module
re-exports their public names so other areas import from one place. Nothing here writes
or changes an event: the trail is written only by the ORM hooks (tracker/audit/hooks.py).
"""

from __future__ import annotations

from tracker.audit.display import (
    ACTOR_NAMES,
    LONG_TEXT,
    EventView,
    FieldChange,
    actor_name,
    describe,
    field_label,
    personal_records,
    record_type_label,
)
from tracker.audit.export import FORMULA_STARTS, csv_header, export_csv, neutralize
from tracker.audit.paging import RECORD_HISTORY_LATEST, EventPage, history_shown
from tracker.audit.queries import (
    HISTORY_COUNT_CAP,
    HISTORY_PER_PAGE,
    PER_PAGE,
    RECORD_HISTORY_COUNT_CAP,
    EventFilter,
    actor_choices,
    filter_choices,
    history_for,
    record_title,
    record_type_choices,
    search_events,
)

__all__ = [
    "ACTOR_NAMES",
    "FORMULA_STARTS",
    "HISTORY_COUNT_CAP",
    "HISTORY_PER_PAGE",
    "LONG_TEXT",
    "PER_PAGE",
    "RECORD_HISTORY_COUNT_CAP",
    "RECORD_HISTORY_LATEST",
    "EventFilter",
    "EventPage",
    "EventView",
    "FieldChange",
    "actor_choices",
    "actor_name",
    "csv_header",
    "describe",
    "export_csv",
    "field_label",
    "filter_choices",
    "history_for",
    "history_shown",
    "neutralize",
    "personal_records",
    "record_title",
    "record_type_choices",
    "record_type_label",
    "search_events",
]
