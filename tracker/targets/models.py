"""Funding targets of a campaign and the budget lines they are built from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, composite, mapped_column, relationship

from tracker.audit.registry import audited
from tracker.campaigns.models import Campaign
from tracker.db import Base, LabeledEnum, ScaledDecimal, UTCDateTime, str_enum, utcnow
from tracker.i18n import Localized
from tracker.money.value import Money
from tracker.orgs.models import Organization


class BudgetCategory(LabeledEnum):
    STAFF = "staff"
    CONSULTANTS = "consultants"
    TRAVEL = "travel"
    MEETINGS = "meetings"
    EQUIPMENT = "equipment"
    LAB_TESTING = "lab_testing"
    PUBLICATIONS = "publications"
    COMMUNICATIONS = "communications"
    MONITORING = "monitoring"
    AUDIT = "audit"
    OVERHEAD = "overhead"

    @classmethod
    def labels(cls):
        return {
            cls.STAFF: _l("Staff"),
            cls.CONSULTANTS: _l("Consultants"),
            cls.TRAVEL: _l("Travel"),
            cls.MEETINGS: _l("Meetings and workshops"),
            cls.EQUIPMENT: _l("Equipment"),
            cls.LAB_TESTING: _l("Laboratory testing"),
            cls.PUBLICATIONS: _l("Publications"),
            cls.COMMUNICATIONS: _l("Communications"),
            cls.MONITORING: _l("Monitoring and evaluation"),
            cls.AUDIT: _l("Audit"),
            cls.OVERHEAD: _l("Overhead"),
        }


class BudgetUnit(LabeledEnum):
    """What one unit of a budget line is: a closed list, so that each language names it well.

    Labels are nouns in the nominative singular, as a budget table's "Unit" column shows
    them beside a separate "Quantity" column: no number has to agree with the noun.
    Their msgids carry the context "budget unit" (a literal, for the extractor): short
    words such as "Event" or "Copy" mean something else elsewhere in the interface.
    """

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    PERSON_DAY = "person_day"
    PERSON_MONTH = "person_month"
    TRIP = "trip"
    FLIGHT = "flight"
    KM = "km"
    NIGHT = "night"
    PER_DIEM = "per_diem"
    EVENT = "event"
    PARTICIPANT = "participant"
    SAMPLE = "sample"
    TEST = "test"
    ANALYSIS = "analysis"
    SURVEY = "survey"
    ITEM = "item"
    SET = "set"
    KIT = "kit"
    COPY = "copy"
    LICENSE = "license"
    PACKAGE = "package"
    LUMP_SUM = "lump_sum"

    @classmethod
    def labels(cls):
        return {
            cls.HOUR: lazy_pgettext("budget unit", "Hour"),
            cls.DAY: lazy_pgettext("budget unit", "Day"),
            cls.MONTH: lazy_pgettext("budget unit", "Month"),
            cls.YEAR: lazy_pgettext("budget unit", "Year"),
            cls.PERSON_DAY: lazy_pgettext("budget unit", "Person-day"),
            cls.PERSON_MONTH: lazy_pgettext("budget unit", "Person-month"),
            cls.TRIP: lazy_pgettext("budget unit", "Trip"),
            cls.FLIGHT: lazy_pgettext("budget unit", "Flight"),
            cls.KM: lazy_pgettext("budget unit", "km"),
            cls.NIGHT: lazy_pgettext("budget unit", "Night (accommodation)"),
            cls.PER_DIEM: lazy_pgettext("budget unit", "Per diem"),
            cls.EVENT: lazy_pgettext("budget unit", "Event"),
            cls.PARTICIPANT: lazy_pgettext("budget unit", "Participant"),
            cls.SAMPLE: lazy_pgettext("budget unit", "Sample"),
            cls.TEST: lazy_pgettext("budget unit", "Test"),
            cls.ANALYSIS: lazy_pgettext("budget unit", "Analysis"),
            cls.SURVEY: lazy_pgettext("budget unit", "Survey"),
            cls.ITEM: lazy_pgettext("budget unit", "Item"),
            cls.SET: lazy_pgettext("budget unit", "Set"),
            cls.KIT: lazy_pgettext("budget unit", "Kit"),
            cls.COPY: lazy_pgettext("budget unit", "Copy"),
            cls.LICENSE: lazy_pgettext("budget unit", "Licence"),
            cls.PACKAGE: lazy_pgettext("budget unit", "Package"),
            cls.LUMP_SUM: lazy_pgettext("budget unit", "Lump sum"),
        }


@audited(label=_l("Funding target"), parent="campaign_id")
class FundingTarget(Localized, Base):
    """What a campaign needs for a period, in one currency; its total is its lines' sum."""

    __tablename__ = "funding_target"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    title_en: Mapped[str] = mapped_column(String(200), default="")
    title_ru: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship(
        backref="funding_targets", order_by="FundingTarget.starts_on"
    )
    lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="target", cascade="all, delete-orphan", order_by="BudgetLine.id"
    )

    @property
    def title(self) -> str:
        return self.localized("title")


@audited(label=_l("Budget line"), parent="target_id")
class BudgetLine(Localized, Base):
    """Quantity × unit cost for one category, spent by one partner; the total is derived.

    The unit comes from a closed list (BudgetUnit) so that both languages can name it.

    What the line pays for and why are written in English and Russian; either may be
    empty until translated, and the properties fall back to the other language.
    """

    __tablename__ = "budget_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_cost_minor >= 0", name="unit_cost_not_negative"),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("funding_target.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[BudgetCategory] = mapped_column(str_enum(BudgetCategory, "budget_category"))
    description_en: Mapped[str] = mapped_column(String(300), default="")
    description_ru: Mapped[str] = mapped_column(String(300), default="")
    partner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    unit: Mapped[BudgetUnit] = mapped_column(str_enum(BudgetUnit, "budget_unit"),
                                             default=BudgetUnit.LUMP_SUM)
    unit_cost_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    justification_en: Mapped[str] = mapped_column(Text, default="")
    justification_ru: Mapped[str] = mapped_column(Text, default="")

    unit_cost: Mapped[Money] = composite(Money.stored, "unit_cost_minor", "currency")
    total: Mapped[Money] = composite(Money.stored, "total_minor", "currency")

    target: Mapped[FundingTarget] = relationship(back_populates="lines")
    partner: Mapped[Organization | None] = relationship()

    @property
    def description(self) -> str:
        return self.localized("description")

    @property
    def justification(self) -> str:
        return self.localized("justification")
