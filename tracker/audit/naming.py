"""What names the records the audit trail points at: their labels and current values, read
from the session when the page already holds the record, else one query a table.

A record page's History names its own record, its campaign and its organiser, which the
page read a moment before; reading them again cost a statement each (issue 15). A record
the session holds with every column loaded and not expired is what a query in the same
transaction would give back: the ORM hands a query its held instances without reading
their columns again, and a query flushes pending changes first, which the held instance
already shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, inspect
from sqlalchemy import select as sql_select

from tracker.db import Base
from tracker.extensions import db

LABEL_ATTRIBUTES = ("name", "title", "email", "code", "slug")

_MAPPERS: dict[str, Any] = {}


def mapper_of(table_name: str) -> Any:
    """The mapper of a table, kept once found (a table not mapped yet is looked for again)."""
    if table_name not in _MAPPERS:
        mapper = next((m for m in Base.registry.mappers
                       if getattr(m.local_table, "name", None) == table_name), None)
        if mapper is None:
            return None
        _MAPPERS[table_name] = mapper
    return _MAPPERS[table_name]


def held(mapper: Any, keys: Iterable[Any]) -> tuple[dict[Any, Any], list[Any]]:
    """The records of these primary keys the session holds whole and unexpired, by key, and
    the keys it does not hold so."""
    found: dict[Any, Any] = {}
    missing: list[Any] = []
    identity_map = db.session.identity_map
    for key in keys:
        instance = identity_map.get(mapper.identity_key_from_primary_key((key,)))
        state = inspect(instance) if instance is not None else None
        if state is None or state.expired or state.unloaded & set(mapper.column_attrs.keys()):
            missing.append(key)
        else:
            found[key] = instance
    return found, missing


def object_label(instance: Any) -> str:
    """The first of a record's label attributes that holds text, or ''."""
    for attribute in LABEL_ATTRIBUTES:
        value = getattr(instance, attribute, None)
        if isinstance(value, str) and value:
            return value
    return ""


@lru_cache(maxsize=256)
def _label_columns(mapper: Any) -> tuple[str, ...] | None:
    """The label attributes (object_label's, in its order) a model stores as columns; None
    when one of them is a Python property, which only the loaded record can answer."""
    found = []
    for attribute in LABEL_ATTRIBUTES:
        if attribute in mapper.column_attrs:
            found.append(attribute)
        elif hasattr(mapper.class_, attribute):
            return None
    return tuple(found)


def record_labels(table_name: str, ids: set[int]) -> dict[str, str]:
    """The labels of a table's records by id (as text), '#id' for one without any; nothing
    for a table that is not mapped by one key."""
    mapper = mapper_of(table_name)
    if mapper is None or len(mapper.primary_key) != 1:
        return {}
    key = mapper.primary_key[0]
    found, missing = held(mapper, ids)
    names = {str(record_id): object_label(instance) or f"#{record_id}"
             for record_id, instance in found.items()}
    if not missing:
        return names
    columns = _label_columns(mapper)
    if columns is None:  # a label computed in Python: it needs the whole record
        for instance in db.session.scalars(sql_select(mapper.class_).where(key.in_(missing))):
            record_id = getattr(instance, mapper.get_property_by_column(key).key)
            names[str(record_id)] = object_label(instance) or f"#{record_id}"
        return names
    attributes = [mapper.column_attrs[name].expression for name in columns]
    for record_id, *values in db.session.execute(
            sql_select(key, *attributes).where(key.in_(missing))):
        label = next((v for v in values if isinstance(v, str) and v), "")
        names[str(record_id)] = label or f"#{record_id}"
    return names


def current_values(model: type, key: Column[Any], columns: list[Column[Any]],
                   ids: Iterable[Any]) -> list[dict[str, Any]]:
    """The columns' current values (by column name) of the model's records with these keys."""
    mapper: Any = inspect(model)
    found, missing = held(mapper, ids)
    rows = [{column.name: getattr(instance, mapper.get_property_by_column(column).key)
             for column in columns} for instance in found.values()]
    if missing:
        rows += [dict(row) for row in db.session.execute(
            sql_select(*columns).where(key.in_(missing))).mappings()]
    return rows
