"""Which models the audit trail records, and how each one is named and summarised.

A model is audited by decorating its class with `@audited(...)` in its own models module
(the money area's two models, which sit below the trail, are listed in `register_models`).
Nothing else is needed: the ORM hooks in `hooks.py` record every insert, update and
delete of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper

from tracker.db import Base, table_of

Model = TypeVar("Model", bound=type)
Summary = Callable[[Mapping[str, Any]], str]

# Columns that change on every save and say nothing a reader needs: the event's own
# timestamp already tells when.
NOISE_COLUMNS = frozenset({"created_at", "updated_at"})
# A column whose name contains one of these is recorded as changed but never by value:
# password hashes and tokens must not be copied into a table many people can read.
SECRET_MARKERS = ("password", "secret", "token", "otp")
REDACTED = "[redacted]"
# What a value erased on a supporter's request is replaced with in the erasure's own event.
ERASED = "[erased]"
# A record named by its ISO country code, shown as the country's name in the user's language.
COUNTRY_SUMMARY = ("country",)
# The first of these a record has (and is not empty) becomes the event's summary.
DEFAULT_SUMMARY_FIELDS = (
    "title_en", "title_ru", "name_en", "name_ru", "description_en", "description_ru",
    "description", "email", "slug", "code", "country",
)


@dataclass(frozen=True)
class AuditSpec:
    """How one audited model is recorded and shown."""

    model: type
    record_type: str
    label: Any
    parent_column: str | None = None
    exclude: frozenset[str] = frozenset()
    redact: frozenset[str] = frozenset()
    summary: Summary | tuple[str, ...] = DEFAULT_SUMMARY_FIELDS
    field_labels: Mapping[str, Any] = field(default_factory=dict)
    # A foreign key whose record names this one (a partner row is named by its organisation).
    named_by: str | None = None
    # Columns holding a person's data (a supporter's e-mail): history screens show their
    # values only to those who may see them (tracker.auth.permissions.may_see_contacts).
    personal: frozenset[str] = frozenset()

    @property
    def parent_type(self) -> str | None:
        """The record type (table name) the parent column refers to, e.g. 'campaign'."""
        if self.parent_column is None:
            return None
        column = table_of(self.model).c[self.parent_column]
        for foreign_key in column.foreign_keys:
            return foreign_key.target_fullname.rsplit(".", 1)[0]
        return None

    def is_secret(self, name: str) -> bool:
        """True for a column whose value must never be written into the trail."""
        lowered = name.lower()
        return name in self.redact or any(marker in lowered for marker in SECRET_MARKERS)

    def summarize(self, values: Mapping[str, Any]) -> str:
        """A short text naming the record ('Lead in paint', 'EUR/KZT 2026-03-01')."""
        if callable(self.summary):
            text = self.summary(values)
        else:
            text = next(
                (str(values[name]) for name in self.summary if values.get(name) not in (None, "")),
                "",
            )
        return text[:300]


REGISTRY: dict[type, AuditSpec] = {}
_BY_TYPE: dict[str, AuditSpec] = {}
_WITH_HISTORY: set[type] = set()
_WAITING = {"listening": False}


def audited(
    model: Model | None = None,
    *,
    label: Any = None,
    parent: str | None = None,
    exclude: tuple[str, ...] = (),
    redact: tuple[str, ...] = (),
    summary: Summary | tuple[str, ...] | None = None,
    fields: Mapping[str, Any] | None = None,
    named_by: str | None = None,
    personal: tuple[str, ...] = (),
) -> Any:
    """Audit a model: `audited(Pledge, label=_l("Pledge"), parent="drive_id")` or `@audited(...)`.

    `parent` names the foreign-key column of a child row, so that the parent's history
    also shows the child's changes; `exclude` drops columns, `redact` hides their values,
    `summary` picks the fields (or a function of the values) that name a record, and
    `fields` gives translatable labels for column names the shared list lacks, and
    `named_by` a foreign-key column whose record names this one on history screens, and
    `personal` the columns only those who may see a person's data see the values of.
    """

    def register(cls: Model) -> Model:
        record_type = table_of(cls).name
        spec = AuditSpec(
            model=cls,
            record_type=record_type,
            label=label if label is not None else record_type.replace("_", " ").capitalize(),
            parent_column=parent,
            exclude=frozenset(exclude),
            redact=frozenset(redact),
            summary=summary if summary is not None else DEFAULT_SUMMARY_FIELDS,
            field_labels=dict(fields or {}),
            named_by=named_by,
            personal=frozenset(personal),
        )
        REGISTRY[cls] = spec
        _BY_TYPE[record_type] = spec
        return cls

    return register(model) if model is not None else register


# Record types of events written by hand (hooks.record_event) rather than by the hooks,
# for changes no single audited row carries: their names on history screens.
EVENT_TYPE_LABELS: dict[str, Any] = {}


def event_type(record_type: str, *, label: Any, fields: Mapping[str, Any] | None = None) -> str:
    """Name a hand-written event's record type and its fields for history screens."""
    EVENT_TYPE_LABELS[record_type] = label
    FIELD_LABELS.update(fields or {})
    return record_type


def spec_for(model: type) -> AuditSpec | None:
    """The spec of an audited class (or of its nearest audited base class), else None."""
    spec = REGISTRY.get(model)
    if spec is not None:
        return spec
    for base in model.__mro__[1:]:
        if base in REGISTRY:
            return REGISTRY[base]
    return None


def spec_for_type(record_type: str) -> AuditSpec | None:
    """The spec registered for a record type (a table name), else None."""
    return _BY_TYPE.get(record_type)


def registered_specs() -> list[AuditSpec]:
    """Every audited model's spec."""
    return list(REGISTRY.values())


def _keep_old_value(target: Any, value: Any, oldvalue: Any, initiator: Any) -> None:
    """No-op: listening with active_history makes SQLAlchemy load the value being replaced."""


def activate_history() -> None:
    """Make every audited column remember its previous value, even when it was not loaded.

    Without this, setting an attribute of a record expired by a commit loses the old
    value and the update event would show no "before". It needs configured mappers:
    configuring them costs a fifth of a second, so when they are not configured yet
    this waits for SQLAlchemy to do it (before the first query or new record), rather
    than making every app start, `flask --help` included, pay for it.
    """
    if all(mapper.configured for mapper in Base.registry.mappers):
        _remember_old_values()
    elif not _WAITING["listening"]:
        event.listen(Mapper, "after_configured", _remember_old_values)
        _WAITING["listening"] = True


def _remember_old_values() -> None:
    """Listen with active_history to every audited column not yet listened to."""
    for model in list(REGISTRY):
        if model in _WITH_HISTORY:
            continue
        mapper: Mapper[Any] = inspect(model)
        for prop in mapper.column_attrs:
            event.listen(getattr(model, prop.key), "set", _keep_old_value, active_history=True)
        _WITH_HISTORY.add(model)


def _rate_summary(values: Mapping[str, Any]) -> str:
    return f"{values.get('base', '?')}/{values.get('quote', '?')} {values.get('on_date', '')}"


def register_models() -> None:
    """Audit the money area's models, which sit below the audit trail.

    Every other area declares `@audited(...)` on its own models. Money cannot: the
    trail shows amounts with money's value type, and an import back would be a cycle.
    """
    # Imported here: the registry is imported by the models of the areas above money.
    from tracker.money.models import Currency, ExchangeRate

    audited(Currency, label=_l("Currency"))
    audited(ExchangeRate, label=_l("Exchange rate"), summary=_rate_summary)


# Translatable names of the columns the audited models share; `fields=` adds others.
FIELD_LABELS: dict[str, Any] = {
    "slug": _l("Short name"),
    "name_en": _l("Name in English"),
    "name_ru": _l("Name in Russian"),
    "title_en": _l("Title in English"),
    "title_ru": _l("Title in Russian"),
    "summary_en": _l("Summary in English"),
    "summary_ru": _l("Summary in Russian"),
    "country": _l("Country"),
    "city_en": _l("City in English"),
    "city_ru": _l("City in Russian"),
    "kind": _l("Kind"),
    "website": _l("Website"),
    "theme": _l("Theme"),
    "status": _l("Status"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "lead_org_id": _l("Lead organisation"),
    "campaign_id": _l("Campaign"),
    "organization_id": _l("Organisation"),
    "role": _l("Role"),
    "target_id": _l("Funding target"),
    "category": _l("Category"),
    "description": _l("Description"),
    "description_en": _l("Description in English"),
    "description_ru": _l("Description in Russian"),
    "justification_en": _l("Justification in English"),
    "justification_ru": _l("Justification in Russian"),
    "partner_org_id": _l("Spent by"),
    "quantity": _l("Quantity"),
    "unit": _l("Unit"),
    "unit_cost_minor": _l("Unit cost"),
    "total_minor": _l("Total"),
    "amount_minor": _l("Amount"),
    "goal_minor": _l("Goal"),
    "requested_minor": _l("Requested amount"),
    "awarded_minor": _l("Awarded amount"),
    "currency": _l("Currency"),
    "justification": _l("Justification"),
    "on_date": _l("Date"),
    "base": _l("From currency"),
    "quote": _l("To currency"),
    "rate": _l("Rate"),
    "source": _l("Source"),
    "code": _l("Code"),
    "minor_units": _l("Decimal places"),
    "email": _l("E-mail"),
    "password_hash": _l("Password"),
    "is_active": _l("Active"),
    "language": _l("Language"),
    "user_id": _l("User"),
    "password_changed_at": _l("Password changed on"),
    "created_by_id": _l("Created by"),
    "expires_at": _l("Expires on"),
    "used_at": _l("Used on"),
    "revoked_at": _l("Revoked on"),
    "token_hash": _l("Link"),
    "drive_id": _l("Drive"),
    "pledge_id": _l("Pledge"),
    "donor_id": _l("Donor"),
    "call_id": _l("Funding call"),
    "applicant_org_id": _l("Applicant"),
    "probability": _l("Probability"),
    "deadline": _l("Deadline"),
    "notes": _l("Notes"),
    "budget_flexibility_percent": _l("Budget flexibility (%)"),
    "reporting_currency": _l("Reporting currency"),
    "reminder_days": _l("Reminder days"),
    "opened_by_id": _l("Opened by"),
    "grant_currency": _l("Grant currency"),
}
