"""The History section: one sentence an event, in the user's language to the last word."""

from __future__ import annotations

from enum import Enum

from flask_babel import force_locale
from sqlalchemy import Enum as SqlEnum

from tracker.audit.models import AuditAction
from tracker.audit.registry import EVENT_TYPE_LABELS, FIELD_LABELS, NOISE_COLUMNS, registered_specs
from tracker.db import table_of


def _english_and_russian(label) -> tuple[str, str]:
    """The label (a lazy string, or an enum member by its label) in each language."""
    shown = (lambda: getattr(label, "label", label.value)) if isinstance(label, Enum) else (
        lambda: str(label))
    with force_locale("en"):
        english = shown()
    with force_locale("ru"):
        russian = shown()
    return english, russian


def _recorded_columns(spec) -> list[str]:
    """The columns the hooks record for a spec (tracker/audit/hooks.py: _columns)."""
    table = table_of(spec.model)
    keys = list(table.primary_key.columns)
    single_key = keys[0].name if len(keys) == 1 else None
    return [column.name for column in table.columns
            if column.name not in NOISE_COLUMNS and column.name not in spec.exclude
            and column.name != single_key]


def test_every_audited_field_record_type_and_choice_has_a_russian_name(app):
    """No field, record type or choice of an audited record reaches the Russian history in English."""
    untranslated = []
    labels = {f"{spec.record_type} (record type)": spec.label for spec in registered_specs()}
    labels |= {f"{name} (event type)": label for name, label in EVENT_TYPE_LABELS.items()}
    labels |= {f"{name} (field)": label for name, label in FIELD_LABELS.items()}
    for spec in registered_specs():
        table = table_of(spec.model)
        for name in _recorded_columns(spec):
            label = spec.field_labels.get(name, FIELD_LABELS.get(name))
            if label is None:
                untranslated.append(f"{spec.record_type}.{name}: no label")
                continue
            labels[f"{spec.record_type}.{name}"] = label
            enum_class = getattr(table.c[name].type, "enum_class", None)
            if isinstance(table.c[name].type, SqlEnum) and enum_class is not None:
                for member in enum_class:
                    labels[f"{spec.record_type}.{name}={member.value}"] = member
    for member in AuditAction:
        labels[f"action {member.value}"] = member
    for where, label in labels.items():
        english, russian = _english_and_russian(label)
        # 'SHA-256' is the same in both; a word in small letters is English left over.
        if english == russian and any(letter.islower() and letter.isascii() for letter in english):
            untranslated.append(f"{where}: {english!r}")
    assert untranslated == [], "\n".join(untranslated)
