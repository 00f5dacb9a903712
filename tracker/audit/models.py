"""The audit event: one row per create, update or delete of an audited record. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import DDL, JSON, BigInteger, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, LabeledEnum, UTCDateTime, str_enum, utcnow


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit event: the trail is append-only."""


class AuditAction(LabeledEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    # Reading personal data leaves a trace too (who looked at or exported a supporter's contact
    # details), and erasing a supporter on request is recorded without the erased values.
    VIEW = "view"
    EXPORT = "export"
    ERASE = "erase"

    @classmethod
    def labels(cls):
        return {
            cls.CREATE: _l("Created"),
            cls.UPDATE: _l("Changed"),
            cls.DELETE: _l("Deleted"),
            cls.VIEW: _l("Viewed personal data"),
            cls.EXPORT: _l("Exported personal data"),
            cls.ERASE: _l("Erased personal data"),
        }


class AuditEvent(Base):
    """Who changed which record, when, and the values before and after.

    `changes` holds, for a create, the new values `{field: value}`; for a delete, the
    last values `{field: value}`; for an update, only the changed fields as
    `{field: [before, after]}`. Values are JSON-safe: decimals and dates as strings,
    enums as their values, money as its `<name>_minor` and currency columns.
    `context` keeps unchanged values an update needs to be read (the currency of a
    changed amount). `parent_type`/`parent_id` name the record a child row belongs to
    (a campaign for its partners), so the parent's history shows its children's changes.

    Rows are only ever inserted, through tracker/audit/chain.py, which gives each its id
    and the hash of the event before it (`prev_hash`) and of itself (`hash`). The session
    refuses to flush a changed or deleted event (tracker/audit/hooks.py), and the
    database refuses UPDATE and DELETE on the table (triggers, APPEND_ONLY_DDL below).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_record", "record_type", "record_id", "occurred_at"),
        Index("ix_audit_event_parent", "parent_type", "parent_id", "occurred_at"),
        Index("ix_audit_event_actor", "actor_id", "occurred_at"),
        Index("ix_audit_event_type_time", "record_type", "occurred_at"),
    )

    # BIGINT: the trail only grows. SQLite assigns ids only to an INTEGER primary key.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # A plain integer for now: the accounts area's user table did not exist when this was
    # written; the label keeps the history readable after a user is renamed or removed.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, "audit_action"))
    record_type: Mapped[str] = mapped_column(String(64))
    # A string so that composite keys fit ("12:KZ" for a campaign's focus country).
    record_id: Mapped[str] = mapped_column(String(120))
    parent_type: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(String(120))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(String(300), default="")
    # SHA-256 in hex (tracker/audit/chain.py): of the previous event, and of this one.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return (f"<AuditEvent {self.id} {self.action} {self.record_type}:{self.record_id} "
                f"by {self.actor_label!r}>")


# The database itself refuses to change or delete an audit row, whoever sends the SQL.
# The migration (0012) runs the same statements; create_all (tests) runs them from here.
# No "%" in them: SQLAlchemy's DDL would take it for a placeholder.
APPEND_ONLY_DDL = {
    "postgresql": [
        """CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit_event is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$$""",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
    ],
}
DROP_APPEND_ONLY_DDL = {
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
                   "DROP FUNCTION IF EXISTS audit_event_refuse_change()"],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update",
               "DROP TRIGGER IF EXISTS audit_event_no_delete"],
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(AuditEvent.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))
# The trigger goes with the table; its PostgreSQL function outlives it unless dropped.
event.listen(AuditEvent.__table__, "after_drop",
             DDL(DROP_APPEND_ONLY_DDL["postgresql"][1]).execute_if(dialect="postgresql"))
