"""The audit trail as a person reads it: who, which record, each field before and after.

Values are shown the way every other screen shows them (tracker/i18n), record names in
the user's language; tracker/audit/sentences.py turns an event into one sentence.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, DateTime, Enum, Numeric

from tracker.audit import sentences
from tracker.audit.actor import ANONYMOUS, COMMAND_LINE, SYSTEM
from tracker.audit.erasures import erased_records
from tracker.audit.models import AuditAction, AuditEvent
from tracker.audit.naming import current_values, record_labels
from tracker.audit.paging import EventPage
from tracker.audit.registry import (
    COUNTRY_SUMMARY,
    ERASED,
    EVENT_TYPE_LABELS,
    FIELD_LABELS,
    REDACTED,
    AuditSpec,
    spec_for_type,
)
from tracker.audit.trail import UNREADABLE
from tracker.audit.values import before_and_after, jsonable
from tracker.db import DecimalString, ScaledDecimal, UTCDateTime, table_of
from tracker.i18n import (
    country_name,
    current_language,
    format_day,
    format_money,
    format_timestamp,
)
from tracker.money.value import Money

LONG_TEXT = 300
# A rate or quantity is shown to this many significant digits ('0.164411', not 28 decimals).
SIGNIFICANT_DIGITS = 6
# Localized columns (`<base>_en` / `<base>_ru`) that may name a record, in that order.
NAME_BASES = ("title", "name", "description", "result", "purpose")
# What summaries written as plain text hold: '1500.00 RUB' and '2026-03-01'.
PLAIN_AMOUNT = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?) ([A-Z]{3})\b")
PLAIN_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")

ACTOR_NAMES = {
    SYSTEM: _l("System"),
    COMMAND_LINE: _l("Command line"),
    ANONYMOUS: _l("Anonymous visitor"),
}


@dataclass(frozen=True)
class FieldChange:
    """One field of an event: its label and the values before and after, ready to show."""

    name: str
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class EventView:
    """An event as a person reads it: who, what record, and each field's change."""

    event: AuditEvent
    actor: str
    record_label: str
    record_name: str
    fields: list[FieldChange]
    # An event written by hand (a pledge import), not by the hooks for one audited row.
    handwritten: bool = False
    # Described for its summary line only: the fields its sentence leaves out carry their
    # labels but not their values (see describe), so `details` is for the event's own page.
    summary_only: bool = False

    @property
    def action(self) -> AuditAction:
        return self.event.action

    @cached_property
    def sentence(self) -> str:
        """The event in one sentence of the user's language."""
        return sentences.sentence(self)

    @cached_property
    def details(self) -> list[str]:
        """What the sentence leaves out (each value of a new record), one line a field."""
        return sentences.details(self)

    @property
    def has_details(self) -> bool:
        """Whether the event has details beyond its sentence (a "Details" link to them)."""
        return sentences.has_details(self)

    @property
    def unreadable(self) -> bool:
        """True when the hooks could record only that the change happened."""
        return self.event.summary == UNREADABLE


def actor_name(label: str) -> str:
    """'System', 'Command line' in the user's language; a user's e-mail as it was recorded."""
    return str(ACTOR_NAMES.get(label, label))


def record_type_label(record_type: str) -> str:
    """The record type's name in the user's language ('Budget line')."""
    spec = spec_for_type(record_type)
    if spec is None and record_type in EVENT_TYPE_LABELS:
        return str(EVENT_TYPE_LABELS[record_type])
    return str(spec.label) if spec else record_type.replace("_", " ").capitalize()


def field_label(spec: AuditSpec | None, name: str) -> str:
    """A column's name for people: the area's own label, the shared one, or the name itself."""
    if spec is not None and name in spec.field_labels:
        return str(spec.field_labels[name])
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    shown = name.removesuffix("_minor").removesuffix("_id").replace("_", " ")
    return shown.capitalize()


def _column(spec: AuditSpec | None, name: str) -> Column[Any] | None:
    if spec is None:
        return None
    return _model_column(spec.model, name)


# The schema is fixed once the models are imported: each look-up is made once a process,
# not once a value (a page of 25 events asks a few hundred times).
@lru_cache(maxsize=4_096)
def _model_column(model: type, name: str) -> Column[Any] | None:
    return table_of(model).c.get(name)


def _reference(spec: AuditSpec | None, name: str) -> str | None:
    """The table a column of this record type points at, if it is a foreign key."""
    return None if spec is None else _model_reference(spec.model, name)


@lru_cache(maxsize=4_096)
def _model_reference(model: type, name: str) -> str | None:
    return _referenced_table(_model_column(model, name))


def _referenced_table(column: Column[Any] | None) -> str | None:
    if column is None:
        return None
    for foreign_key in column.foreign_keys:
        return foreign_key.target_fullname.rsplit(".", 1)[0]
    return None


def _values_of(event: AuditEvent) -> Iterator[tuple[str, Any]]:
    """(field, value) for every value an event holds: changes, both sides, and context."""
    for name, value in (event.changes or {}).items():
        if event.action is AuditAction.UPDATE and isinstance(value, list):
            for side in value:
                yield name, side
        else:
            yield name, value
    yield from (event.context or {}).items()


def _resolve_references(events: list[AuditEvent], valued: set[int] | None = None
                        ) -> dict[tuple[str, str], str]:
    """Names of the records the events point at (organisations, users), one query a table
    (none for those the page already holds: tracker/audit/naming.py).

    With `valued`, only the events of those ids have their values shown: the others need
    only the field that names their record (spec.named_by).
    """
    wanted: dict[str, set[int]] = {}
    for event in events:
        spec = spec_for_type(event.record_type)
        if valued is None or event.id in valued:
            values: Iterable[tuple[str, Any]] = _values_of(event)
        elif spec is not None and spec.named_by and not event.summary:
            values = [(name, value) for name, value in _values_of(event)
                      if name == spec.named_by]
        else:
            continue
        for name, value in values:
            table = _reference(spec, name)
            if table is not None and isinstance(value, int) and not isinstance(value, bool):
                wanted.setdefault(table, set()).add(value)
    return {(table_name, record_id): label for table_name, ids in wanted.items()
            for record_id, label in record_labels(table_name, ids).items()}


def currency_for(event: AuditEvent, name: str, side: int) -> str | None:
    """The currency of a '<name>_minor' amount in this event (side 0: before, 1: after)."""
    if not name.endswith("_minor"):
        return None
    changes, context = event.changes or {}, event.context or {}
    for key in (f"{name.removesuffix('_minor')}_currency", "currency"):
        if key in changes:
            value = changes[key]
            if event.action is AuditAction.UPDATE and isinstance(value, list):
                return value[side] if len(value) > side else None
            return value
        if key in context:
            return context[key]
    return None


def _shown(spec: AuditSpec | None, name: str, value: Any, currency: str | None,
           references: Mapping[tuple[str, str], str], language: str) -> str | None:
    """A stored value the way the user reads it (in `language`, the request's); the stored
    text when it cannot be parsed."""
    if value is None:
        return None
    if value == REDACTED:
        return _("(hidden)")
    if value == ERASED:
        return _("(erased)")
    if value == "":
        return _("(empty)")
    try:
        if currency and isinstance(value, int):
            return format_money(Money.from_minor(value, currency), language)
        column = _column(spec, name)
        table = _reference(spec, name)
        if table is not None:
            # A key that names itself (a currency code) is shown as it is; a number as '#7'.
            fallback = f"#{value}" if isinstance(value, int) else str(value)
            return references.get((table, str(value)), fallback)
        column_type = column.type if column is not None else None
        if isinstance(column_type, Enum) and column_type.enum_class is not None:
            member = column_type.enum_class(value)
            return str(getattr(member, "label", member.value))
        if isinstance(column_type, ScaledDecimal | DecimalString | Numeric):
            return _readable_decimal_text(str(value), language)
        if isinstance(column_type, Boolean) or isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(column_type, UTCDateTime | DateTime):
            return format_timestamp(datetime.fromisoformat(value), language)
        if isinstance(column_type, Date):
            return format_day(date.fromisoformat(value), language)
        if name == "country" or name.endswith("_country"):
            return country_name(str(value), language)
        if name == "language" or name.endswith("_language"):
            return language_name(str(value), language)
    except (ValueError, TypeError, LookupError, ArithmeticError):
        pass  # an old value that no longer fits today's column: show it as stored
    text = str(value)
    return text if len(text) <= LONG_TEXT else text[:LONG_TEXT] + "…"


def readable_decimal(value: Decimal, language: str) -> str:
    """'0,164411' for a rate stored to 28 places; whole numbers and short ones as they are."""
    if value.is_finite() and value != 0:
        places = max(0, SIGNIFICANT_DIGITS - 1 - value.adjusted())
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format_decimal(value, locale=language, decimal_quantization=False)


# Keyed by the stored text, not the Decimal: Decimal('1.0') == Decimal('1.00'), and a
# short value is shown with the places it was stored with.
@lru_cache(maxsize=4_096)
def _readable_decimal_text(text: str, language: str) -> str:
    return readable_decimal(Decimal(text), language)


def language_name(code: str, language: str) -> str:
    """'Russian' / 'русский' for 'ru', in the user's language; the code if unknown."""
    try:
        name = Locale.parse(code).get_language_name(language)
    except (ValueError, UnknownLocaleError):
        return code
    return (name[:1].upper() + name[1:]) if name else code


def readable_summary(text: str, language: str) -> str:
    """A summary written as plain text ('1500.00 RUB · 2026-03-01') with the amounts and
    dates in it formatted as every screen shows them."""

    def money(match: re.Match[str]) -> str:
        try:
            amount = Decimal(match.group(1))
            return format_money(Money.rounded(amount, match.group(2)), language)
        except (ArithmeticError, ValueError, LookupError):
            return match.group(0)

    def day(match: re.Match[str]) -> str:
        try:
            return format_day(date.fromisoformat(match.group(1)), language)
        except ValueError:
            return match.group(0)

    return PLAIN_DATE.sub(day, PLAIN_AMOUNT.sub(money, text))


def field_order(spec: AuditSpec | None, names: Iterable[str]) -> list[str]:
    """The field names in the order the record type lists them, others after, sorted."""
    if spec is None:
        return sorted(names)
    order = _column_order(spec.model)
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


@lru_cache(maxsize=512)
def _column_order(model: type) -> dict[str, int]:
    """A model's column names by their place in its table (fixed once the models load)."""
    return {name: position for position, name in enumerate(table_of(model).columns.keys())}


def personal_records(events: Iterable[AuditEvent] | EventPage,
                     fields: Iterable[str] | None = None) -> set[tuple[str, str]]:
    """(record type, id) of the records whose personal data (a supporter's e-mail) these
    events hold: what showing them shows, for the trail of who saw it.

    `fields` narrows the personal columns looked at (e.g. to contact data, leaving names).
    """
    items = events.items if isinstance(events, EventPage) else events
    wanted = None if fields is None else frozenset(fields)
    found = set()
    for event in items:
        spec = spec_for_type(event.record_type)
        if spec is None or not spec.personal:
            continue
        for name, value in (event.changes or {}).items():
            values = value if isinstance(value, list) else [value]
            looked_at = name in spec.personal and (wanted is None or name in wanted)
            if looked_at and any(v not in (None, "", REDACTED, ERASED) for v in values):
                found.add((event.record_type, event.record_id))
                break
    return found


def _raw_fields(event: AuditEvent, spec: AuditSpec | None,
                hidden: frozenset[str]) -> list[tuple[str, Any, Any]]:
    """(field, stored value before, after) of each field an event shows, in order, personal
    values already hidden: what describing it formats."""
    changes = event.changes or {}
    found = []
    shown_with_amounts = _currencies_of_amounts(changes)
    # A hand-written event lists its fields in the order it wrote them (the reason first).
    for name in field_order(spec, changes) if spec is not None else list(changes):
        if name in shown_with_amounts:
            continue  # 'RUB 5,000.00' already says it
        value = changes[name]
        before, after = before_and_after(event.action, value)
        if event.action is not AuditAction.UPDATE and value in (None, ""):
            continue  # a new or removed record's blank fields say nothing
        if name in hidden:
            before, after = (v if v in (None, "", ERASED) else REDACTED
                             for v in (before, after))
        found.append((name, before, after))
    return found


def _is_handwritten(event: AuditEvent, spec: AuditSpec | None) -> bool:
    return spec is None or event.record_type in EVENT_TYPE_LABELS


def describe(events: Iterable[AuditEvent] | EventPage, *, personal: bool = True,
             summary: bool = False, erased: Collection[tuple[str, str]] | None = None
             ) -> list[EventView]:
    """Events ready to show: labels and values in the user's language, references named.

    With `personal` false (a reader who may not see supporters' contact data), the values
    of personal columns are shown as hidden and such a record is named by its number only,
    since its summary may carry a name the supporter asked to keep off the screens. The
    same goes, for every reader, for a record whose personal data was erased on request.

    With `summary`, only what each event's summary line shows is formatted (a list of
    them, issue 15): the values its sentence names, not those it leaves to its details.
    `erased`: the events' records whose personal data was erased, when the statement that
    read them said (queries.HistoryPage); looked up otherwise.
    """
    items = list(events.items if isinstance(events, EventPage) else events)
    if erased is None:
        erased = erased_records(items)
    # Each event's fields as stored (personal ones hidden where they must be), once.
    raw_fields = {}
    for event in items:
        spec = spec_for_type(event.record_type)
        hidden: frozenset[str] = frozenset()
        if spec is not None and (not personal or (event.record_type, event.record_id) in erased):
            hidden = spec.personal
        raw_fields[event.id] = (spec, hidden, _raw_fields(event, spec, hidden))
    valued = None
    if summary:
        valued = {event.id for event in items if sentences.values_in_sentence(
            event.action, _is_handwritten(event, raw_fields[event.id][0]),
            len(raw_fields[event.id][2]))}
    references = _resolve_references(items, valued)
    live = _live_values(items)
    language = current_language()
    # Labels are looked up once a page (in the request's language), not once an event.
    labels: dict[tuple[str, str], str] = {}
    type_labels: dict[str, str] = {}

    def label_of(spec: AuditSpec | None, name: str) -> str:
        key = (spec.record_type if spec is not None else "", name)
        if key not in labels:
            labels[key] = field_label(spec, name)
        return labels[key]

    def type_label(record_type: str) -> str:
        if record_type not in type_labels:
            type_labels[record_type] = record_type_label(record_type)
        return type_labels[record_type]

    views = []
    for event in items:
        spec, hidden, raw = raw_fields[event.id]
        with_values = valued is None or event.id in valued
        named = with_values or sentences.labels_in_sentence(
            event.action, _is_handwritten(event, spec), len(raw))
        fields = [FieldChange(
            name=name,
            label=label_of(spec, name) if named else "",
            before=_shown(spec, name, before, currency_for(event, name, 0), references,
                          language) if with_values else None,
            after=_shown(spec, name, after, currency_for(event, name, 1), references,
                         language) if with_values else None,
        ) for name, before, after in raw]
        views.append(EventView(
            event=event,
            actor=actor_name(event.actor_label),
            record_label=type_label(event.record_type),
            record_name=(f"#{event.record_id}" if hidden
                         else _record_name(event, spec, references, live)),
            fields=fields,
            handwritten=_is_handwritten(event, spec),
            summary_only=not with_values,
        ))
    return views


def _currencies_of_amounts(changes: Mapping[str, Any]) -> set[str]:
    """The currency fields an event's amounts are shown with (so not shown on their own)."""
    found = set()
    for name in changes:
        if name.endswith("_minor"):
            own = f"{name.removesuffix('_minor')}_currency"
            found.add(own if own in changes else "currency")
    return found


def _live_values(events: list[AuditEvent]) -> dict[tuple[str, str], dict[str, Any]]:
    """The current values of the audited records the events are about, one query a type:
    what names a record in the user's language when its event holds only one language."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        spec = spec_for_type(event.record_type)
        if (spec is not None and event.action is not AuditAction.DELETE and event.summary
                and not _names_itself(event, _naming_columns(spec.model))):
            wanted.setdefault(event.record_type, set()).add(event.record_id)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for record_type, ids in wanted.items():
        spec = spec_for_type(record_type)
        if spec is None:
            continue
        table = table_of(spec.model)
        if table is None or len(table.primary_key.columns) != 1:
            continue
        key = next(iter(table.primary_key.columns))
        # Only what can name a record (see _in_language): not a whole row of each.
        naming = _naming_columns(spec.model)
        if not naming:
            continue
        try:
            numeric = key.type.python_type is int
        except NotImplementedError:
            numeric = False
        numbers = {int(i) for i in ids if i.isdigit()} if numeric else ids
        columns = [key, *(table.c[name] for name in naming if name != key.name)]
        for row in current_values(spec.model, key, columns, numbers):
            found[(record_type, str(row[key.name]))] = {
                name: jsonable(value) for name, value in row.items()}
    return found


def _names_itself(event: AuditEvent, naming: Iterable[str]) -> bool:
    """Whether the event holds every column that may name its record (a new record's
    event does), so that today's values would change nothing of _event_values' naming
    ones, and need not be read (issue 15: a drive's History is mostly new pledges)."""
    context, changes = event.context or {}, event.changes or {}
    for name in naming:
        if name in context:
            continue
        value = changes.get(name)
        if event.action is AuditAction.UPDATE and isinstance(value, list) and value:
            value = value[-1]
        if value in (None, ""):
            return False
    return True


def _event_values(event: AuditEvent, live: Mapping[str, Any]) -> dict[str, Any]:
    """The record's values this event knows (its new side), completed by today's."""
    values = dict(live)
    values.update(event.context or {})
    for name, value in (event.changes or {}).items():
        if event.action is AuditAction.UPDATE and isinstance(value, list) and value:
            value = value[-1]
        if value not in (None, ""):
            values[name] = value
    return values


def _in_language(summary: str, values: Mapping[str, Any], spec: AuditSpec,
                 language: str) -> str:
    """The summary in the user's language: a title saved in both, an enum by its label,
    amounts and dates formatted."""
    other = "ru" if language == "en" else "en"
    for base in NAME_BASES:
        pair = (values.get(f"{base}_en"), values.get(f"{base}_ru"))
        if summary in pair:
            return str(values.get(f"{base}_{language}") or values.get(f"{base}_{other}"))
    for column_name, enum_class in _choice_columns(spec.model):
        value = values.get(column_name)
        if not isinstance(value, str) or not value:
            continue
        # Summaries that start with a choice ('interim 2026-12-06', 'Executive summary');
        # the label is looked up only for the choice that does.
        for raw in (value.replace("_", " ").capitalize(), value):
            rest = summary[len(raw):]
            if summary.startswith(raw) and (not rest or rest[0].isspace()):
                try:
                    label = str(getattr(enum_class(value), "label", value))
                except ValueError:
                    break
                summary = label + summary[len(raw):]
                break
    return readable_summary(summary, language)


@lru_cache(maxsize=512)
def _choice_columns(model: type) -> tuple[tuple[str, Any], ...]:
    """(column name, enum class) of a model's choice columns, in the table's order."""
    found = []
    for column in table_of(model).columns:
        enum_class = getattr(column.type, "enum_class", None)
        if enum_class is not None:
            found.append((column.name, enum_class))
    return tuple(found)


@lru_cache(maxsize=512)
def _naming_columns(model: type) -> tuple[str, ...]:
    """The columns that may name a record of this model in a summary: the localized
    titles and names, and the choices (see _in_language)."""
    table = table_of(model)
    localized = [f"{base}_{language}" for base in NAME_BASES for language in ("en", "ru")
                 if f"{base}_{language}" in table.c]
    return tuple(localized) + tuple(name for name, _ in _choice_columns(model))


def _record_name(event: AuditEvent, spec: AuditSpec | None,
                 references: Mapping[tuple[str, str], str],
                 live: Mapping[tuple[str, str], dict[str, Any]]) -> str:
    """The event's summary (in the user's language), else the name of the record that
    names it, else '#id'."""
    if event.summary:
        if spec is not None and spec.summary == COUNTRY_SUMMARY:
            return country_name(event.summary)
        if spec is None:
            return readable_summary(event.summary, current_language())
        values = _event_values(event, live.get((event.record_type, event.record_id), {}))
        return _in_language(event.summary, values, spec, current_language())
    if spec is not None and spec.named_by:
        value = (event.context or {}).get(spec.named_by)
        if value is None:
            change = (event.changes or {}).get(spec.named_by)
            value = change[-1] if isinstance(change, list) else change
        table = _reference(spec, spec.named_by)
        if table is not None and value is not None and (table, str(value)) in references:
            return references[(table, str(value))]
    return f"#{event.record_id}"
