"""Joint regional campaigns, their partner organisations and focus countries."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.audit.registry import COUNTRY_SUMMARY, audited
from tracker.db import Base, LabeledEnum, UTCDateTime, str_enum, utcnow
from tracker.i18n import Localized
from tracker.orgs.models import Organization


class Theme(LabeledEnum):
    WOMEN_AND_CHEMICALS = "women_and_chemicals"
    HHP = "hhp"
    WATER_AIR = "water_air"
    WASTE = "waste"
    MERCURY = "mercury"
    LEAD_PAINT = "lead_paint"
    CHEMICALS_IN_PRODUCTS = "chemicals_in_products"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.WOMEN_AND_CHEMICALS: _l("Women and chemicals"),
            cls.HHP: _l("Highly hazardous pesticides"),
            cls.WATER_AIR: _l("Water and air quality"),
            cls.WASTE: _l("Safe waste management"),
            cls.MERCURY: _l("Mercury-free"),
            cls.LEAD_PAINT: _l("Lead in paint"),
            cls.CHEMICALS_IN_PRODUCTS: _l("Chemicals in products"),
            cls.OTHER: _l("Other"),
        }


class CampaignStatus(LabeledEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"

    @classmethod
    def labels(cls):
        return {
            cls.PLANNED: _l("Planned"),
            cls.ACTIVE: _l("Active"),
            cls.COMPLETED: _l("Completed"),
            cls.ARCHIVED: _l("Archived"),
        }


class PartnerRole(LabeledEnum):
    CO_LEAD = "co_lead"
    PARTNER = "partner"
    ASSOCIATE = "associate"
    ADVISOR = "advisor"

    @classmethod
    def labels(cls):
        return {
            cls.CO_LEAD: _l("Co-lead"),
            cls.PARTNER: _l("Partner"),
            cls.ASSOCIATE: _l("Associate"),
            cls.ADVISOR: _l("Advisor"),
        }


@audited(label=_l("Campaign"))
class Campaign(Localized, Base):
    """A joint campaign led by one organisation with partners in several countries."""

    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                        name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_en: Mapped[str] = mapped_column(String(200), default="")
    title_ru: Mapped[str] = mapped_column(String(200), default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_ru: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[Theme] = mapped_column(str_enum(Theme, "campaign_theme"), index=True)
    status: Mapped[CampaignStatus] = mapped_column(
        str_enum(CampaignStatus, "campaign_status"), default=CampaignStatus.PLANNED, index=True
    )
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    lead_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lead_org: Mapped[Organization] = relationship()
    partners: Mapped[list[CampaignPartner]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignPartner.id"
    )
    countries: Mapped[list[CampaignCountry]] = relationship(
        cascade="all, delete-orphan", order_by="CampaignCountry.country"
    )

    @property
    def title(self) -> str:
        return self.localized("title")

    @property
    def summary(self) -> str:
        return self.localized("summary")

    @property
    def country_codes(self) -> list[str]:
        return [c.country for c in self.countries]


@audited(label=_l("Campaign partner"), parent="campaign_id", summary=(),
         named_by="organization_id")
class CampaignPartner(Base):
    """An organisation taking part in a campaign, with its role."""

    __tablename__ = "campaign_partner"
    __table_args__ = (UniqueConstraint("campaign_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    role: Mapped[PartnerRole] = mapped_column(str_enum(PartnerRole, "partner_role"))

    campaign: Mapped[Campaign] = relationship(back_populates="partners")
    organization: Mapped[Organization] = relationship()


@audited(label=_l("Focus country"), parent="campaign_id", summary=COUNTRY_SUMMARY)
class CampaignCountry(Base):
    """A focus country of a campaign (ISO 3166 alpha-2)."""

    __tablename__ = "campaign_country"
    __table_args__ = (CheckConstraint("length(country) = 2", name="country_alpha2"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)
