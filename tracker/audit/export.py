"""The audit trail as a CSV file, streamed, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select

from tracker.audit.display import currency_for, field_order
from tracker.audit.models import AuditEvent
from tracker.audit.queries import EventFilter, events_where, newest_first
from tracker.audit.registry import spec_for_type
from tracker.audit.values import before_and_after
from tracker.extensions import db
from tracker.money.value import Money

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: Any) -> Any:
    """Prefix a quote to text a spreadsheet would run as a formula ('=HYPERLINK(...)')."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _csv_value(event: AuditEvent, name: str, value: Any, side: int) -> Any:
    """A stored value for the CSV: exact, with amounts as '150.00 USD' rather than minor units."""
    currency = currency_for(event, name, side)
    if currency and isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(Money.from_minor(value, currency))
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return str(value)
    return "" if value is None else value


def _csv_rows(event: AuditEvent) -> Iterator[list[Any]]:
    """One row per changed field (one row with no field for an event without values)."""
    head = [
        event.occurred_at.isoformat(), event.id, "" if event.actor_id is None else event.actor_id,
        event.actor_label, event.action.value, event.record_type, event.record_id,
        event.parent_type or "", event.parent_id or "", event.summary,
    ]
    changes = event.changes or {}
    if not changes:
        yield [*head, "", "", ""]
        return
    spec = spec_for_type(event.record_type)
    for name in field_order(spec, changes):
        value = changes[name]
        before, after = before_and_after(event.action, value)
        yield [*head, name, _csv_value(event, name, before, 0),
               _csv_value(event, name, after, 1)]


def csv_header() -> list[str]:
    """The export's column titles in the user's language."""
    return [_("Time (UTC)"), _("Event"), _("User id"), _("User"), _("Action"),
            _("Record type"), _("Record id"), _("Parent type"), _("Parent id"), _("Summary"),
            _("Field"), _("Before"), _("After")]


def export_csv(actor_id: int | None = None, record_type: str | None = None,
               date_from: date | None = None, date_to: date | None = None, *,
               without_user: bool = False, record_id: str | None = None) -> Iterator[str]:
    """The filtered events as CSV text chunks, newest first, streamed from the database.

    The filters are checked now (a DomainError is raised before anything is sent); the
    rows are read in batches while the response streams. Text that a spreadsheet would
    treat as a formula is prefixed with a quote.
    """
    query = newest_first(events_where(EventFilter(
        actor_id=actor_id, without_user=without_user, record_type=record_type,
        record_id=record_id, date_from=date_from, date_to=date_to,
    ))).execution_options(yield_per=500)
    return _stream(query)


def _stream(query: Select[AuditEvent]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # A byte-order mark makes spreadsheet programs read the Cyrillic text as UTF-8.
    buffer.write("\ufeff")
    writer.writerow(csv_header())
    for number, event in enumerate(db.session.scalars(query), start=1):
        for row in _csv_rows(event):
            writer.writerow([neutralize(cell) for cell in row])
        if number % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
