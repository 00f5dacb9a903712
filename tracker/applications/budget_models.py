"""An application's own budget: lines for its project period, each split between the amount
requested from the donor and co-financing by source.

Every amount of the split is in the application's currency; a line costed in another
currency keeps its own quantity × unit cost and the dated rate its total was converted at.
The database itself refuses a line whose parts do not add up to its total cost.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, composite, mapped_column, relationship

from tracker.applications.models import Application
from tracker.db import (
    Base,
    DecimalString,
    LabeledEnum,
    ScaledDecimal,
    UTCDateTime,
    str_enum,
    utcnow,
)
from tracker.drives.models import Drive
from tracker.i18n import Localized
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.targets.models import BudgetLine, BudgetUnit


class CofinancingSource(LabeledEnum):
    """Where the part of a line that the donor is not asked for comes from."""

    GRANT = "grant"
    CROWDFUNDING = "crowdfunding"
    OWN_FUNDS = "own_funds"
    IN_KIND = "in_kind"

    @classmethod
    def labels(cls):
        return {
            cls.GRANT: _l("Other grants"),
            cls.CROWDFUNDING: _l("Crowdfunding"),
            cls.OWN_FUNDS: _l("Partners' own funds"),
            cls.IN_KIND: _l("In kind"),
        }


class ApplicationBudgetLine(Localized, Base):
    """Quantity × unit cost in a project year and a donor's category, and who pays what."""

    __tablename__ = "application_budget_line"
    __table_args__ = (
        CheckConstraint("year >= 1", name="year_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_cost_minor >= 0", name="unit_cost_not_negative"),
        CheckConstraint("cost_minor >= 0", name="cost_not_negative"),
        CheckConstraint("requested_minor >= 0", name="requested_not_negative"),
        CheckConstraint("cofinancing_minor >= 0", name="cofinancing_not_negative"),
        # The identity the whole budget rests on: total cost = requested + co-financing.
        CheckConstraint("total_minor = requested_minor + cofinancing_minor", name="split_adds_up"),
        CheckConstraint("(rate IS NULL AND rate_on IS NULL) OR currency <> budget_currency",
                        name="rate_only_when_converted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    # A category of the donor's template (tracker.applications.budget_categories).
    donor_category: Mapped[str] = mapped_column(String(40))
    description_en: Mapped[str] = mapped_column(String(300), default="")
    description_ru: Mapped[str] = mapped_column(String(300), default="")
    justification_en: Mapped[str] = mapped_column(Text, default="")
    justification_ru: Mapped[str] = mapped_column(Text, default="")
    partner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    # The campaign's line it was taken from, if any (kept for reference, not kept in step).
    source_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("budget_line.id", ondelete="SET NULL"), index=True)
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    unit: Mapped[BudgetUnit] = mapped_column(str_enum(BudgetUnit, "application_budget_unit"),
                                             default=BudgetUnit.LUMP_SUM)
    # The line's own costing, in the currency it was costed in.
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    unit_cost_minor: Mapped[int] = mapped_column(BigInteger)
    cost_minor: Mapped[int] = mapped_column(BigInteger)
    # The conversion into the application's currency (none when the currencies agree).
    rate: Mapped[Decimal | None] = mapped_column(DecimalString())
    rate_on: Mapped[date | None] = mapped_column(Date)
    rate_source: Mapped[str] = mapped_column(String(100), default="")
    # The split, in the application's currency.
    budget_currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    requested_minor: Mapped[int] = mapped_column(BigInteger)
    cofinancing_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    unit_cost: Mapped[Money] = composite(Money.stored, "unit_cost_minor", "currency")
    cost: Mapped[Money] = composite(Money.stored, "cost_minor", "currency")
    total: Mapped[Money] = composite(Money.stored, "total_minor", "budget_currency")
    requested: Mapped[Money] = composite(Money.stored, "requested_minor", "budget_currency")
    cofinancing: Mapped[Money] = composite(Money.stored, "cofinancing_minor",
                                           "budget_currency")

    application: Mapped[Application] = relationship()
    partner: Mapped[Organization | None] = relationship()
    source_line: Mapped[BudgetLine | None] = relationship()
    shares: Mapped[list[CofinancingShare]] = relationship(
        back_populates="line", cascade="all, delete-orphan",
        order_by=lambda: CofinancingShare.id)

    @property
    def description(self) -> str:
        return self.localized("description")

    @property
    def justification(self) -> str:
        return self.localized("justification")


class CofinancingShare(Base):
    """One source's part of a line's co-financing: a grant, a drive, a partner, or in kind."""

    __tablename__ = "cofinancing_share"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("application_budget_line.id", ondelete="CASCADE"), index=True)
    source: Mapped[CofinancingSource] = mapped_column(
        str_enum(CofinancingSource, "cofinancing_source"))
    # Which drive, grant (another application) or partner, when the source names one.
    drive_id: Mapped[int | None] = mapped_column(ForeignKey("drive.id", ondelete="SET NULL"),
                                                 index=True)
    grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), index=True)
    partner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))

    amount: Mapped[Money] = composite(Money.stored, "amount_minor", "currency")

    line: Mapped[ApplicationBudgetLine] = relationship(back_populates="shares")
    drive: Mapped[Drive | None] = relationship()
    grant: Mapped[Application | None] = relationship(foreign_keys=[grant_id])
    partner: Mapped[Organization | None] = relationship()
