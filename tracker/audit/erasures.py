"""Which audit events are about a supporter whose personal data was erased on request.

The trail keeps what its older events recorded (it is append-only); screens show those
values no more, to anyone, once the person's data was erased (tracker/audit/display.py).
Looked up for a list of events in one statement, or as a column of the statement that reads
a History (tracker/audit/queries.py), which then needs none of its own (issue 15).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import case, exists, false, or_
from sqlalchemy import select as sql_select
from sqlalchemy.orm import aliased

from tracker.audit.models import AuditAction, AuditEvent
from tracker.audit.registry import registered_specs, spec_for_type
from tracker.extensions import db


def erased_records(events: list[AuditEvent]) -> set[tuple[str, str]]:
    """The records among the events' (or their parents) whose personal data was erased on
    request (one query): a pledge, whose payments' events are then hidden with it.

    The trail keeps what its older events recorded (it is append-only); screens show those
    values no more, to anyone, once the person's data was erased.
    """
    keys: set[tuple[str, str]] = set()
    for event in events:
        spec = spec_for_type(event.record_type)
        if spec is not None and spec.personal:
            keys.add((event.record_type, event.record_id))
            if event.parent_type is not None and event.parent_id is not None:
                keys.add((event.parent_type, event.parent_id))
    if not keys:
        return set()
    rows = db.session.execute(
        sql_select(AuditEvent.record_type, AuditEvent.record_id).distinct()
        .where(AuditEvent.action == AuditAction.ERASE,
               AuditEvent.record_type.in_({key[0] for key in keys}),
               AuditEvent.record_id.in_({key[1] for key in keys})))
    erased = {(record_type, record_id) for record_type, record_id in rows
              if (record_type, record_id) in keys}
    return erased | {(event.record_type, event.record_id) for event in events
                     if (event.parent_type, event.parent_id) in erased}


# Built once: the expression is a few hundred calls to build, and fixed once the audited
# models are registered (which the app does before any request).
@lru_cache(maxsize=1)
def erased_flag() -> Any:
    """Per event read: whether it is about a supporter's personal data erased on request, its
    own record's or its parent's (a payment's pledge); what describe() otherwise looks up
    in a statement of its own (erased_records). Two probes of the record index,
    for the events of records with personal data only."""
    personal = sorted(spec.record_type for spec in registered_specs() if spec.personal)
    erase = aliased(AuditEvent, name="erase")
    parent_erase = aliased(AuditEvent, name="parent_erase")
    own = exists().where(erase.action == AuditAction.ERASE,
                         erase.record_type == AuditEvent.record_type,
                         erase.record_id == AuditEvent.record_id)
    parent = exists().where(parent_erase.action == AuditAction.ERASE,
                            parent_erase.record_type == AuditEvent.parent_type,
                            parent_erase.record_id == AuditEvent.parent_id)
    return case((AuditEvent.record_type.in_(personal), or_(own, parent)),
                else_=false()).label("erased")
