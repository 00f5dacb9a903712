"""Organisations: member NGOs, the hub, governments, donors and others."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.audit.registry import audited
from tracker.db import Base, LabeledEnum, ScaledDecimal, UTCDateTime, str_enum, utcnow
from tracker.i18n import Localized


class OrgKind(LabeledEnum):
    NGO = "ngo"
    HUB = "hub"
    GOVERNMENT = "government"
    INTERGOVERNMENTAL = "intergovernmental"
    DONOR = "donor"
    FOUNDATION = "foundation"
    INDUSTRY = "industry"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.NGO: _l("NGO"),
            cls.HUB: _l("Regional hub"),
            cls.GOVERNMENT: _l("Government agency"),
            cls.INTERGOVERNMENTAL: _l("Intergovernmental organisation"),
            cls.DONOR: _l("Donor"),
            cls.FOUNDATION: _l("Foundation"),
            cls.INDUSTRY: _l("Industry"),
            cls.OTHER: _l("Other"),
        }


@audited(label=_l("Organisation"))
class Organization(Localized, Base):
    """An organisation with a bilingual name and city, an ISO 3166 country and a kind."""

    __tablename__ = "organization"
    __table_args__ = (CheckConstraint("length(country) = 2", name="country_alpha2"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_ru: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), index=True)
    city_en: Mapped[str] = mapped_column(String(120), default="")
    city_ru: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind"))
    website: Mapped[str] = mapped_column(String(300), default="")
    # A donor's rule: the share by which a budget category of its grants may be overspent
    # without its approval (None: tracker.grants' default of 10 %).
    budget_flexibility_percent: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def name(self) -> str:
        return self.localized("name")

    @property
    def city(self) -> str:
        """The city in the reader's language, else in the other one ("" when unknown)."""
        return self.localized("city")
