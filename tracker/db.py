"""Declarative base with a naming convention, and the column types the models share."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Enum, MetaData, String, Table, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; constraint names follow NAMING_CONVENTION on both databases."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (a callable for column defaults)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so naive values read from it are UTC by construction;
    naive values are refused on the way in so that local time cannot slip in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use an aware UTC timestamp")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact decimal stored as an integer count of 10**-scale units (BIGINT).

    Both databases add and multiply integers exactly, so sums stay exact in SQL,
    where SQLite's NUMERIC would silently become a float.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self.unit = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-self.scale).quantize(self.unit)


class DecimalString(TypeDecorator[Decimal]):
    """An exact decimal of any precision stored as its canonical text (exchange rates)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = format(Decimal(value).normalize(), "f")
        if len(text) > 40:
            raise ValueError(f"{value} is too long to store exactly")
        return text

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class LabeledEnum(enum.StrEnum):
    """A StrEnum whose members carry a translatable label: `Theme.HHP.label`."""

    @classmethod
    def labels(cls) -> dict[Any, Any]:
        """Member → lazy_gettext label; every subclass lists all of its members."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        return str(type(self).labels()[self])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for a select field, in declaration order."""
        return [(member.value, member.label) for member in cls]


def str_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, storing the member values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_class),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def render_migration_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render this module's column types as plain SQL types in migration scripts.

    Migrations must not import app code that may change later; the stored
    representation (BIGINT, VARCHAR, DATETIME) is what the schema holds.
    """
    if kind == "type" and isinstance(obj, TypeDecorator) and type(obj).__module__ == __name__:
        return f"sa.{obj.impl_instance!r}"
    return False


def table_of(model: type) -> Table:
    """A mapped class's table (SQLAlchemy types `__table__` as any FromClause)."""
    return cast(Table, inspect(model).local_table)
