"""Currencies and dated exchange rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
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


class MoneyBucketColumns:
    """The columns of one sum behind a roll-up: a kind (received | pledged), a currency and a
    date, the sum in that currency, and the sum converted at that date's rate (NULL when the
    rate is missing).

    Mixed into drives' and campaigns' buckets, whose owner column comes first in the primary
    key (a mapped class's own columns precede its mixins'). The sort orders keep the tables'
    columns in migration 0020's order: a drive bucket's counters before `converted_minor`.
    """

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # received | pledged
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    on_date: Mapped[date] = mapped_column(Date, primary_key=True)
    minor: Mapped[int] = mapped_column(BigInteger, default=0)
    count: Mapped[int] = mapped_column(Integer, default=0)
    unknown_rest: Mapped[int] = mapped_column(Integer, default=0)
    converted_minor: Mapped[int | None] = mapped_column(BigInteger, sort_order=2)
