"""Grants: what a donor awarded, its approved budget by coded line (versioned), the money
spent against it, the tranches passed on to partners, and its reporting periods.

Every amount of a grant's budget is in the grant's currency (the award's). An expenditure
and a transfer keep their own amount and currency beside the amount in the grant's
currency, converted once at write time by the one conversion rule (the rate of their
own date) or at the bank's actual rate, with the rate, its date and its source stored;
the budget against actual is summed in SQL over those stored grant-currency amounts, so
every figure is exact to the minor unit and the same wherever it is shown.

`GrantLine.spent_minor` and `Grant.spent_minor` are roll-ups of approved expenditures,
kept by adding each approval's delta in the same transaction (grants/spending.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, composite, mapped_column, relationship

from tracker.applications.models import Application
from tracker.audit.registry import audited
from tracker.db import (
    Base,
    DecimalString,
    LabeledEnum,
    ScaledDecimal,
    UTCDateTime,
    str_enum,
    utcnow,
)
from tracker.i18n import LANGUAGES, Localized
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.status import StatusMachine

if TYPE_CHECKING:
    from tracker.auth.models import User

# The share by which a budget category may be overspent without the donor's approval,
# when the donor has no rule of its own (Organization.budget_flexibility_percent).
DEFAULT_FLEXIBILITY_PERCENT = Decimal("10")


class GrantStatus(LabeledEnum):
    ACTIVE = "active"
    CLOSED = "closed"

    @classmethod
    def labels(cls):
        return {cls.ACTIVE: _l("Active"), cls.CLOSED: _l("Closed")}


GRANT_FIELDS = {
    "reference": _l("Agreement reference"),
    "holder_org_id": _l("Holder"),
    "awarded_minor": _l("Awarded amount"),
    "currency": _l("Currency"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "flexibility_percent": _l("Flexibility (%)"),
    "status": _l("Status"),
    "application_id": _l("Application"),
}


@audited(label=_l("Grant"), parent="application_id", summary=("reference",),
         fields=GRANT_FIELDS, exclude=("spent_minor",))
class Grant(Base):
    """An award being spent: its agreement, amount, period, holder and donor's flexibility."""

    __tablename__ = "grant_award"
    __table_args__ = (
        CheckConstraint("awarded_minor > 0", name="awarded_positive"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint("flexibility_percent >= 0 AND flexibility_percent <= 10000",
                        name="flexibility_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    # The organisation that signed the agreement and passes tranches on (usually the hub).
    holder_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    awarded_minor: Mapped[int] = mapped_column(BigInteger)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Hundredths of a percent (10.00 % is stored as 1000).
    flexibility_percent: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    status: Mapped[GrantStatus] = mapped_column(str_enum(GrantStatus, "grant_status"),
                                                default=GrantStatus.ACTIVE)
    # Approved expenditures in the grant's currency: a roll-up kept by deltas.
    spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    opened_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    awarded: Mapped[Money] = composite(Money.stored, "awarded_minor", "currency")
    spent: Mapped[Money] = composite(Money.stored, "spent_minor", "currency")

    application: Mapped[Application] = relationship()
    holder: Mapped[Organization] = relationship()
    opened_by: Mapped[User | None] = relationship()
    partners: Mapped[list[GrantPartner]] = relationship(
        back_populates="grant", cascade="all, delete-orphan",
        order_by=lambda: GrantPartner.id)
    periods: Mapped[list[ReportingPeriod]] = relationship(
        back_populates="grant", cascade="all, delete-orphan",
        order_by=lambda: ReportingPeriod.number)
    versions: Mapped[list[BudgetVersion]] = relationship(
        back_populates="grant", cascade="all, delete-orphan",
        order_by=lambda: BudgetVersion.number)
    lines: Mapped[list[GrantLine]] = relationship(
        back_populates="grant", cascade="all, delete-orphan",
        order_by=lambda: (GrantLine.position, GrantLine.id))

    @property
    def current_version(self) -> BudgetVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def organisation_ids(self) -> set[int]:
        """The holder and every sub-grantee: the organisations that may spend this grant."""
        return {self.holder_org_id, *(partner.organization_id for partner in self.partners)}


@audited(label=_l("Sub-grantee"), parent="grant_id", named_by="organization_id",
         fields={"organization_id": _l("Organisation"), "grant_id": _l("Grant")})
class GrantPartner(Base):
    """A partner organisation the holder passes part of the grant to."""

    __tablename__ = "grant_partner"
    __table_args__ = (UniqueConstraint("grant_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant_award.id", ondelete="CASCADE"),
                                          index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)

    grant: Mapped[Grant] = relationship(back_populates="partners")
    organization: Mapped[Organization] = relationship()


@audited(label=_l("Reporting period"), parent="grant_id",
         fields={"number": _l("Period"), "starts_on": _l("Starts on"),
                 "ends_on": _l("Ends on"), "grant_id": _l("Grant")})
class ReportingPeriod(Base):
    """A stretch of the grant a financial report covers: period 1, 2, ... in date order."""

    __tablename__ = "grant_period"
    __table_args__ = (
        UniqueConstraint("grant_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant_award.id", ondelete="CASCADE"),
                                          index=True)
    number: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    grant: Mapped[Grant] = relationship(back_populates="periods")


# The first budget version's note, which the app writes when a grant opens: stored as the
# catalogue's English and shown in the reader's language. Grants opened before were given
# it in their opener's language, which is recognised too.
AWARDED_NOTE = "Budget of the application as awarded"


def awarded_notes() -> set[str]:
    """The first version's note in every language the screens speak."""
    notes = {AWARDED_NOTE}
    for language in LANGUAGES:
        with force_locale(language):
            notes.add(gettext(AWARDED_NOTE))
    return notes


@audited(label=_l("Budget version"), parent="grant_id", summary=("number",),
         fields={"number": _l("Version"), "approved_on": _l("Approved on"),
                 "approved_by_id": _l("Recorded by"),
                 "donor_reference": _l("Donor's approval reference"), "note": _l("Note"),
                 "grant_id": _l("Grant")})
class BudgetVersion(Base):
    """One approved state of the grant's budget: version 1 at the award, then revisions."""

    __tablename__ = "grant_budget_version"
    __table_args__ = (
        UniqueConstraint("grant_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant_award.id", ondelete="CASCADE"),
                                          index=True)
    number: Mapped[int] = mapped_column(Integer)
    approved_on: Mapped[date] = mapped_column(Date)
    # Who recorded the approval, and the donor's letter or e-mail that gave it.
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    donor_reference: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grant: Mapped[Grant] = relationship(back_populates="versions")
    approved_by: Mapped[User | None] = relationship()
    amounts: Mapped[list[LineAmount]] = relationship(
        back_populates="version", cascade="all, delete-orphan")

    @property
    def shown_note(self) -> str:
        """The note, in the reader's language when the app wrote it rather than a person."""
        if self.note and self.note in awarded_notes():
            return gettext("Budget of the application as awarded")  # AWARDED_NOTE
        return self.note


GRANT_LINE_FIELDS = {
    "code": _l("Code"),
    "description_en": _l("Description (English)"),
    "description_ru": _l("Description (Russian)"),
    "donor_category": _l("Donor category"),
    "partner_org_id": _l("Partner"),
    "year": _l("Year"),
    "grant_id": _l("Grant"),
}


@audited(label=_l("Grant budget line"), parent="grant_id", summary=("code",),
         fields=GRANT_LINE_FIELDS, exclude=("spent_minor", "position", "source_line_id"))
class GrantLine(Localized, Base):
    """A coded line of the approved budget (`1.1`, `2.3`): category, partner and year.

    Its amount lives per budget version (LineAmount); the line itself stays the same
    across revisions, so expenditures keep pointing at it.
    """

    __tablename__ = "grant_line"
    __table_args__ = (
        UniqueConstraint("grant_id", "code"),
        CheckConstraint("year >= 1", name="year_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant_award.id", ondelete="CASCADE"),
                                          index=True)
    code: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)
    description_en: Mapped[str] = mapped_column(String(300), default="")
    description_ru: Mapped[str] = mapped_column(String(300), default="")
    # A category of the donor's scheme (tracker.applications.budget_categories).
    donor_category: Mapped[str] = mapped_column(String(40))
    # The organisation that spends the line (hence its country): the holder or a partner.
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, default=1)
    source_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("application_budget_line.id", ondelete="SET NULL"))
    # Approved expenditures in the grant's currency: a roll-up kept by deltas.
    spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    grant: Mapped[Grant] = relationship(back_populates="lines")
    partner: Mapped[Organization] = relationship()

    @property
    def description(self) -> str:
        return self.localized("description")


@audited(label=_l("Amount of a budget line"), parent="version_id", named_by="line_id",
         fields={"amount_minor": _l("Amount"), "version_id": _l("Budget version"),
                 "line_id": _l("Budget line")})
class LineAmount(Base):
    """A line's approved amount in one budget version, in the grant's currency."""

    __tablename__ = "grant_line_amount"
    __table_args__ = (CheckConstraint("amount_minor >= 0", name="amount_not_negative"),)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("grant_budget_version.id", ondelete="CASCADE"), primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("grant_line.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    version: Mapped[BudgetVersion] = relationship(back_populates="amounts")
    line: Mapped[GrantLine] = relationship()


class ExpenditureStatus(LabeledEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"

    @classmethod
    def labels(cls):
        return {
            cls.SUBMITTED: _l("Waiting for approval"),
            cls.APPROVED: _l("Approved"),
            cls.RETURNED: _l("Returned"),
            cls.WITHDRAWN: _l("Withdrawn"),
        }


_Spent = ExpenditureStatus
# Every allowed move of an expenditure, and the only place that lists them. A partner
# records (submitted); the holder's coordinator approves or returns it with a reason; a
# returned one is corrected and submitted again, or withdrawn. An approval can be taken
# back (returned) until the period is reported.
EXPENDITURE_MACHINE: StatusMachine[ExpenditureStatus] = StatusMachine(ExpenditureStatus, {
    _Spent.SUBMITTED: {_Spent.APPROVED, _Spent.RETURNED, _Spent.WITHDRAWN},
    _Spent.RETURNED: {_Spent.SUBMITTED, _Spent.WITHDRAWN},
    _Spent.APPROVED: {_Spent.RETURNED},
}, refusal=_l("An expenditure cannot move from “%(current)s” to “%(to)s”."))


EXPENDITURE_FIELDS = {
    "line_id": _l("Budget line"),
    "partner_org_id": _l("Partner"),
    "spent_on": _l("Date"),
    "amount_minor": _l("Amount"),
    "currency": _l("Currency"),
    "grant_amount_minor": _l("Amount in the grant's currency"),
    "rate": _l("Rate"),
    "rate_on": _l("Date of the rate"),
    "rate_source": _l("Source of the rate"),
    "document_number": _l("Document number"),
    "description": _l("Description"),
    "status": _l("Status"),
    "return_reason": _l("Reason for returning"),
    "receipt_name": _l("Receipt"),
    "grant_id": _l("Grant"),
}


@audited(label=_l("Expenditure"), parent="grant_id", summary=("document_number",),
         fields=EXPENDITURE_FIELDS,
         exclude=("receipt_key", "receipt_sha256", "recorded_by_id", "decided_by_id",
                  "decided_at", "receipt_type", "receipt_size"))
class Expenditure(Base):
    """Money a partner spent against a budget line, with its receipt and approval."""

    __tablename__ = "expenditure"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("grant_amount_minor >= 0", name="grant_amount_not_negative"),
        CheckConstraint("(rate IS NULL AND rate_on IS NULL) OR currency <> grant_currency",
                        name="rate_only_when_converted"),
        CheckConstraint("rate IS NOT NULL OR currency = grant_currency",
                        name="converted_when_foreign"),
        # De-duplication: one document number once per partner in a grant.
        Index("uq_expenditure_document", "grant_id", "partner_org_id", "document_number",
              unique=True, postgresql_where=text("document_number <> ''"),
              sqlite_where=text("document_number <> ''")),
        Index("ix_expenditure_grant_id_spent_on", "grant_id", "spent_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant_award.id", ondelete="CASCADE"),
                                          index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("grant_line.id"), index=True)
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    grant_currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    grant_amount_minor: Mapped[int] = mapped_column(BigInteger)
    # None when the currencies agree; else the rate used (grant currency per unit).
    rate: Mapped[Decimal | None] = mapped_column(DecimalString())
    rate_on: Mapped[date | None] = mapped_column(Date)
    # "bank" for the bank's actual rate typed in, else the stored rates' sources.
    rate_source: Mapped[str] = mapped_column(String(200), default="")
    document_number: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ExpenditureStatus] = mapped_column(
        str_enum(ExpenditureStatus, "expenditure_status"), default=ExpenditureStatus.SUBMITTED,
        index=True)
    return_reason: Mapped[str] = mapped_column(String(500), default="")
    # The receipt or invoice, kept through the app's file storage (tracker/storage).
    receipt_key: Mapped[str | None] = mapped_column(String(200))
    receipt_name: Mapped[str] = mapped_column(String(200), default="")
    receipt_type: Mapped[str] = mapped_column(String(100), default="")
    receipt_size: Mapped[int | None] = mapped_column(BigInteger)
    receipt_sha256: Mapped[str] = mapped_column(String(64), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    amount: Mapped[Money] = composite(Money.stored, "amount_minor", "currency")
    grant_amount: Mapped[Money] = composite(Money.stored, "grant_amount_minor",
                                            "grant_currency")

    grant: Mapped[Grant] = relationship()
    line: Mapped[GrantLine] = relationship()
    partner: Mapped[Organization] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class TransferStatus(LabeledEnum):
    PLANNED = "planned"
    SENT = "sent"

    @classmethod
    def labels(cls):
        return {cls.PLANNED: _l("Planned"), cls.SENT: _l("Sent")}


TRANSFER_FIELDS = {
    "partner_org_id": _l("Partner"),
    "tranche": _l("Tranche"),
    "status": _l("Status"),
    "planned_on": _l("Planned for"),
    "sent_on": _l("Sent on"),
    "amount_minor": _l("Amount"),
    "received_minor": _l("Amount received"),
    "received_currency": _l("Currency received"),
    "rate": _l("Rate"),
    "rate_on": _l("Date of the rate"),
    "rate_source": _l("Source of the rate"),
    "note": _l("Note"),
    "grant_id": _l("Grant"),
}


@audited(label=_l("Transfer"), parent="grant_id", summary=("tranche",),
         fields=TRANSFER_FIELDS)
class Transfer(Base):
    """A tranche from the holder to a partner: planned, then sent (and what arrived)."""

    __tablename__ = "grant_transfer"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("tranche >= 1", name="tranche_positive"),
        CheckConstraint("status <> 'sent' OR sent_on IS NOT NULL", name="sent_has_date"),
        CheckConstraint("received_minor IS NULL OR received_minor > 0",
                        name="received_positive"),
        CheckConstraint("(received_minor IS NULL) = (received_currency IS NULL)",
                        name="received_complete"),
        UniqueConstraint("grant_id", "partner_org_id", "tranche"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant_award.id", ondelete="CASCADE"),
                                          index=True)
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    tranche: Mapped[int] = mapped_column(Integer)
    status: Mapped[TransferStatus] = mapped_column(
        str_enum(TransferStatus, "transfer_status"), default=TransferStatus.PLANNED)
    planned_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date | None] = mapped_column(Date)
    # In the grant's currency: planned, or what was sent.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    # What reached the partner, in its own currency, and the rate (its currency per unit
    # of the grant's): the bank's actual rate, or the one rule's rate of the day sent.
    received_minor: Mapped[int | None] = mapped_column(BigInteger)
    received_currency: Mapped[str | None] = mapped_column(String(3), ForeignKey("currency.code"))
    rate: Mapped[Decimal | None] = mapped_column(DecimalString())
    rate_on: Mapped[date | None] = mapped_column(Date)
    rate_source: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    amount: Mapped[Money] = composite(Money.stored, "amount_minor", "currency")
    received: Mapped[Money | None] = composite(Money.from_minor, "received_minor",
                                               "received_currency")

    grant: Mapped[Grant] = relationship()
    partner: Mapped[Organization] = relationship()


def _final_report_summary(values: Mapping[str, Any]) -> str:
    return (f"P{values.get('period_number', '?')} v{values.get('number', '?')} "
            f"{values.get('format', '')} {values.get('language', '')}").strip()


@audited(label=_l("Final financial report"), parent="grant_id", summary=_final_report_summary,
         fields={"period_number": _l("Period"), "number": _l("Version"),
                 "format": _l("Format"), "language": _l("Language"), "sha256": _l("SHA-256"),
                 "size_bytes": _l("Size (bytes)"), "storage_key": _l("Stored as"),
                 "source_sha256": _l("Source SHA-256"), "author_id": _l("Printed by"),
                 "grant_id": _l("Grant")})
class FinancialReportFinal(Base):
    """A donor financial report kept as final: its period, format, language and SHA-256.

    The proposals' final versions belong to an application and are numbered with the
    proposal's; a grant's reports are numbered per reporting period, hence their own table.
    """

    __tablename__ = "grant_report_final"
    __table_args__ = (
        UniqueConstraint("grant_id", "period_number", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("language IN ('en', 'ru')", name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant_award.id", ondelete="CASCADE"),
                                          index=True)
    period_number: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(300))
    # The SHA-256 of the HTML the PDF was rendered from: unchanged data, same version.
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grant: Mapped[Grant] = relationship()
    author: Mapped[User | None] = relationship()
