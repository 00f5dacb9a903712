"""An audit event told in one sentence of the user's language, with its details on demand.

English says who did what ("anna@example.org changed the pledge “Anna”: amount from
RUB 5,000.00 to RUB 6,000.00"). Russian cannot inflect a person's name or agree a verb with
an unknown gender, so its sentences keep every name in the nominative: an impersonal
heading, the record, the values, then who ("Изменено: залог «Анна» — сумма 5 000,00 ₽ →
6 000,00 ₽ · anna@example.org"). The patterns are whole msgids, so that each language
orders the parts its own way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.lists import format_list
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.audit.models import AuditAction
from tracker.i18n import current_language

if TYPE_CHECKING:
    from tracker.audit.display import EventView, FieldChange

# An update naming more fields than this says how many, and lists them in its details.
INLINE_FIELDS = 2
NOTHING = "—"


def lowercase_first(text: str) -> str:
    """'Budget line' → 'budget line' inside a sentence; 'SHA-256' stays as it is."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _is_number(name: str) -> bool:
    return name.removeprefix("#").isdigit()


def record_phrase(view: EventView) -> str:
    """'the pledge “Anna”' / 'залог «Анна»'; 'the pledge #12' / 'залог №12' for a number."""
    kind = lowercase_first(view.record_label)
    if _is_number(view.record_name):
        return _("the %(type)s no. %(number)s", type=kind,
                 number=view.record_name.removeprefix("#"))
    return _("the %(type)s “%(name)s”", type=kind, name=view.record_name)


def change_phrase(change: FieldChange) -> str:
    """One changed field: 'amount from RUB 5,000.00 to RUB 6,000.00' / 'сумма 5 000,00 ₽ → …'.

    No article in English: a label may be a phrase ('in the drive's currency').
    """
    field = lowercase_first(change.label)
    if change.before is None and change.after is None:
        return field
    if change.before is None:
        return _("%(field)s set to %(after)s", field=field, after=change.after)
    if change.after is None:
        return _("%(field)s from %(before)s to none", field=field, before=change.before)
    return _("%(field)s from %(before)s to %(after)s", field=field, before=change.before,
             after=change.after)


def value_phrase(change: FieldChange) -> str:
    """A field of a new, removed or noted record: 'Amount: RUB 5,000.00'."""
    value = change.after if change.after is not None else change.before
    return f"{change.label}: {NOTHING if value is None else value}"


def change_line(change: FieldChange) -> str:
    """A changed field in the details: 'Amount: RUB 5,000.00 → RUB 6,000.00'."""
    before = NOTHING if change.before is None else change.before
    after = NOTHING if change.after is None else change.after
    return f"{change.label}: {before} → {after}"


def _joined(phrases: list[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return _("%(first)s and %(second)s", first=phrases[0], second=phrases[1])


def _names(view: EventView) -> str:
    labels = [lowercase_first(change.label) for change in view.fields]
    return format_list(labels, locale=current_language())


def sentence(view: EventView) -> str:
    """The event in one sentence of the user's language."""
    actor, record = view.actor, record_phrase(view)
    action = view.action
    if view.handwritten and action in (AuditAction.CREATE, AuditAction.DELETE,
                                       AuditAction.UPDATE):
        return _handwritten(view)
    if action is AuditAction.UPDATE:
        if not view.fields:
            return _("%(actor)s changed %(record)s", actor=actor, record=record)
        if len(view.fields) <= INLINE_FIELDS:
            return _("%(actor)s changed %(record)s: %(changes)s", actor=actor, record=record,
                     changes=_joined([change_phrase(change) for change in view.fields]))
        return ngettext("%(actor)s changed %(num)d field of %(record)s: %(names)s",
                        "%(actor)s changed %(num)d fields of %(record)s: %(names)s",
                        len(view.fields), actor=actor, record=record, names=_names(view))
    if action is AuditAction.CREATE:
        return _("%(actor)s created %(record)s", actor=actor, record=record)
    if action is AuditAction.DELETE:
        return _("%(actor)s deleted %(record)s", actor=actor, record=record)
    if action is AuditAction.VIEW:
        return _("%(actor)s viewed %(record)s", actor=actor, record=record)
    if action is AuditAction.EXPORT:
        return _("%(actor)s exported %(record)s", actor=actor, record=record)
    return _("%(actor)s erased the personal data of %(record)s", actor=actor, record=record)


def _handwritten(view: EventView) -> str:
    """An event written by hand (a pledge import, a deletion's reason): what and who."""
    what = view.record_label
    if view.record_name and not _is_number(view.record_name):
        what = _("%(type)s “%(name)s”", type=what, name=view.record_name)
    if view.fields and len(view.fields) <= INLINE_FIELDS:
        values = "; ".join(value_phrase(change) for change in view.fields)
        return _("%(actor)s: %(what)s — %(values)s", actor=view.actor, what=what, values=values)
    return _("%(actor)s: %(what)s", actor=view.actor, what=what)


def values_in_sentence(action: AuditAction, handwritten: bool, fields: int) -> bool:
    """Whether an event's sentence names the values of its fields (so its summary line needs
    them formatted), given how many fields it shows; otherwise they are in its details."""
    if handwritten and action in (AuditAction.CREATE, AuditAction.DELETE, AuditAction.UPDATE):
        return 0 < fields <= INLINE_FIELDS
    return action is AuditAction.UPDATE and 0 < fields <= INLINE_FIELDS


def labels_in_sentence(action: AuditAction, handwritten: bool, fields: int) -> bool:
    """Whether an event's sentence names its fields without their values (a long update)."""
    return action is AuditAction.UPDATE and not handwritten and fields > INLINE_FIELDS


def has_details(view: EventView) -> bool:
    """Whether `details` has anything to show, told without formatting any value."""
    if view.action is AuditAction.UPDATE and not view.handwritten:
        return len(view.fields) > INLINE_FIELDS
    if view.handwritten and len(view.fields) <= INLINE_FIELDS:
        return False
    return bool(view.fields)


def details(view: EventView) -> list[str]:
    """What the sentence leaves out, one line a field: shown on demand under it."""
    if view.action is AuditAction.UPDATE and not view.handwritten:
        if len(view.fields) <= INLINE_FIELDS:
            return []
        return [change_line(change) for change in view.fields]
    if view.handwritten and len(view.fields) <= INLINE_FIELDS:
        return []
    return [value_phrase(change) for change in view.fields]
