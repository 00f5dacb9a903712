"""Column values as the audit trail stores them: JSON-safe, secrets redacted, never raising."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from tracker.audit.models import AuditAction
from tracker.audit.registry import REDACTED, AuditSpec


def jsonable(value: Any) -> Any:
    """A JSON-safe form of a column value; never raises (unknown types become text)."""
    try:
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, enum.Enum):
            return jsonable(value.value)
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime | date | time):
            return value.isoformat()
        if isinstance(value, float):
            return repr(value)  # money is never a float; keep whatever it was, exactly
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return f"({len(bytes(value))} bytes)"
        if isinstance(value, Mapping):
            return {str(key): jsonable(item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            items = [jsonable(item) for item in value]
            return sorted(items, key=str) if isinstance(value, set | frozenset) else items
        return str(value)
    except Exception:  # a broken __str__ must not break somebody else's save
        return f"<{type(value).__name__}>"


def recorded_value(spec: AuditSpec, name: str, value: Any) -> Any:
    """The value as the trail keeps it: JSON-safe, or REDACTED for a secret column."""
    return REDACTED if spec.is_secret(name) and value is not None else jsonable(value)


def currency_key(columns: Sequence[str], name: str) -> str | None:
    """The currency column that goes with a '<name>_minor' amount column, if any."""
    if not name.endswith("_minor"):
        return None
    own = f"{name.removesuffix('_minor')}_currency"
    if own in columns:
        return own
    return "currency" if "currency" in columns else None


def comparable(value: Any) -> Any:
    """A value as two reads of the same row compare equal (Decimal('1.0') == Decimal('1'))."""
    return value.normalize() if isinstance(value, Decimal) else value


def before_and_after(action: AuditAction, value: Any) -> tuple[Any, Any]:
    """A field's value before and after the change, as an event of this action stores it:
    an update [before, after], a deletion the value it had, a creation the value it got."""
    if action is AuditAction.UPDATE and isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    if action is AuditAction.DELETE:
        return value, None
    return None, value
