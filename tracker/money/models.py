"""Currencies and dated exchange rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, DecimalString, UTCDateTime, utcnow


class Currency(Base):
    """An ISO 4217 currency; every money column refers to this table."""

    __tablename__ = "currency"
    __table_args__ = (CheckConstraint("minor_units BETWEEN 0 AND 4", name="minor_units_range"),)

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    minor_units: Mapped[int] = mapped_column(SmallInteger)


class ExchangeRate(Base):
    """How many units of `quote` one unit of `base` bought on a date, and who said so."""

    __tablename__ = "exchange_rate"
    __table_args__ = (
        UniqueConstraint("base", "quote", "on_date"),
        CheckConstraint("base <> quote", name="distinct_currencies"),
        CheckConstraint("CAST(rate AS NUMERIC) > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    on_date: Mapped[date] = mapped_column(Date, index=True)
    base: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    quote: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    rate: Mapped[Decimal] = mapped_column(DecimalString())
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
