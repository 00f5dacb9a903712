"""Donors' funding calls, applications to them, their status history and reports due."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, composite, mapped_column, relationship

from tracker.audit.registry import audited
from tracker.auth.models import User
from tracker.campaigns.models import Campaign
from tracker.db import Base, LabeledEnum, UTCDateTime, str_enum, utcnow
from tracker.i18n import Localized
from tracker.money.value import Money
from tracker.orgs.models import Organization, OrgKind
from tracker.status import StatusMachine

if TYPE_CHECKING:  # the grants area builds on this one; the relationship is by name
    from tracker.grants.models import ReportingPeriod

# Organisations that give money: the donor select and the donors list offer these kinds.
DONOR_KINDS: tuple[OrgKind, ...] = (
    OrgKind.DONOR, OrgKind.INTERGOVERNMENTAL, OrgKind.FOUNDATION, OrgKind.GOVERNMENT,
)


class ApplicationStatus(LabeledEnum):
    IDEA = "idea"
    DRAFTING = "drafting"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    AWARDED = "awarded"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @classmethod
    def labels(cls):
        return {
            cls.IDEA: _l("Idea"),
            cls.DRAFTING: _l("Drafting"),
            cls.SUBMITTED: _l("Submitted"),
            cls.UNDER_REVIEW: _l("Under review"),
            cls.AWARDED: _l("Awarded"),
            cls.REJECTED: _l("Rejected"),
            cls.WITHDRAWN: _l("Withdrawn"),
        }


_Status = ApplicationStatus
# The status machine: every allowed move, and the only place that lists them.
# Awarded, rejected and withdrawn are final.
MACHINE: StatusMachine[ApplicationStatus] = StatusMachine(ApplicationStatus, {
    _Status.IDEA: {_Status.DRAFTING, _Status.WITHDRAWN},
    _Status.DRAFTING: {_Status.SUBMITTED, _Status.WITHDRAWN},
    _Status.SUBMITTED: {_Status.UNDER_REVIEW, _Status.REJECTED, _Status.WITHDRAWN},
    _Status.UNDER_REVIEW: {_Status.AWARDED, _Status.REJECTED, _Status.WITHDRAWN},
}, refusal=_l("An application cannot move from “%(current)s” to “%(to)s”."))


class ReportKind(LabeledEnum):
    INTERIM = "interim"
    FINAL = "final"

    @classmethod
    def labels(cls):
        return {cls.INTERIM: _l("Interim report"), cls.FINAL: _l("Final report")}


class ReportContent(LabeledEnum):
    """What a report due holds: a grant's schedule asks for narrative and financial apart."""

    BOTH = "both"
    NARRATIVE = "narrative"
    FINANCIAL = "financial"

    @classmethod
    def labels(cls):
        return {cls.BOTH: _l("Narrative and financial"), cls.NARRATIVE: _l("Narrative"),
                cls.FINANCIAL: _l("Financial")}


CALL_FIELDS: dict[str, Any] = {
    "donor_org_id": _l("Donor"),
    "reference": _l("Reference"),
    "url": _l("Web page"),
    "opens_on": _l("Opens on"),
    "min_amount_minor": _l("Minimum amount"),
    "max_amount_minor": _l("Maximum amount"),
    "max_duration_months": _l("Maximum duration (months)"),
    "eligible_applicant_kinds": _l("Eligible applicants"),
    "countries": _l("Countries"),
    "single_country": _l("One country per application"),
}

APPLICATION_FIELDS: dict[str, Any] = {
    "donor_org_id": _l("Donor"),
    "awarded_currency": _l("Currency of the award"),
    "submission_deadline": _l("Submission deadline"),
    "submitted_on": _l("Submitted on"),
    "decision_date": _l("Decision date"),
    "project_starts_on": _l("Project starts on"),
    "project_ends_on": _l("Project ends on"),
    "countries": _l("Countries"),
}


@audited(label=_l("Funding call"), parent="donor_org_id", fields=CALL_FIELDS)
class FundingCall(Localized, Base):
    """A donor's funding round: its deadline and the limits an application must respect."""

    __tablename__ = "funding_call"
    __table_args__ = (
        CheckConstraint("min_amount_minor IS NULL OR min_amount_minor > 0",
                        name="min_amount_positive"),
        CheckConstraint("max_amount_minor IS NULL OR max_amount_minor > 0",
                        name="max_amount_positive"),
        CheckConstraint("min_amount_minor IS NULL OR max_amount_minor IS NULL "
                        "OR min_amount_minor <= max_amount_minor", name="amounts_ordered"),
        CheckConstraint("max_duration_months IS NULL OR max_duration_months > 0",
                        name="duration_positive"),
        CheckConstraint("opens_on IS NULL OR opens_on <= deadline", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title_en: Mapped[str] = mapped_column(String(200), default="")
    title_ru: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    opens_on: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    min_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    max_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    max_duration_months: Mapped[int | None] = mapped_column(Integer)
    # OrgKind values; an empty list means any kind of applicant may apply.
    eligible_applicant_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    # ISO 3166 alpha-2 codes; an empty list means any country.
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    # One country per application, as the UNEP Special Programme requires.
    single_country: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Read-only views of the limits: services write the *_minor columns, because setting
    # a composite to None would also clear the currency the two limits share.
    min_amount: Mapped[Money | None] = composite(Money.from_minor, "min_amount_minor", "currency")
    max_amount: Mapped[Money | None] = composite(Money.from_minor, "max_amount_minor", "currency")

    donor: Mapped[Organization] = relationship()

    @property
    def title(self) -> str:
        return self.localized("title")

    @property
    def eligible_kinds(self) -> list[OrgKind]:
        """The eligible applicant kinds as members (empty: any kind)."""
        return [OrgKind(value) for value in self.eligible_applicant_kinds or ()]


@audited(label=_l("Application"), parent="campaign_id", fields=APPLICATION_FIELDS)
class Application(Localized, Base):
    """A request to a donor for a campaign, with its amounts, status and dates."""

    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint("requested_minor > 0", name="requested_positive"),
        CheckConstraint("probability >= 0 AND probability <= 100", name="probability_percent"),
        CheckConstraint("(awarded_minor IS NULL AND awarded_currency IS NULL) OR "
                        "(awarded_minor IS NOT NULL AND awarded_currency IS NOT NULL)",
                        name="awarded_complete"),
        CheckConstraint("awarded_minor IS NULL OR awarded_minor > 0", name="awarded_positive"),
        CheckConstraint("awarded_currency IS NULL OR awarded_currency = currency",
                        name="awarded_same_currency"),
        CheckConstraint("status <> 'awarded' OR awarded_minor IS NOT NULL",
                        name="awarded_has_amount"),
        CheckConstraint("project_starts_on IS NULL OR project_ends_on IS NULL "
                        "OR project_ends_on >= project_starts_on", name="project_dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    donor_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("funding_call.id"), index=True)
    # The organisation that signs the application: a member NGO, or a government agency
    # the NGOs support where the donor funds governments only.
    applicant_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title_en: Mapped[str] = mapped_column(String(200), default="")
    title_ru: Mapped[str] = mapped_column(String(200), default="")
    requested_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), ForeignKey("currency.code"))
    awarded_minor: Mapped[int | None] = mapped_column(BigInteger)
    awarded_currency: Mapped[str | None] = mapped_column(String(3), ForeignKey("currency.code"))
    probability: Mapped[int] = mapped_column(Integer, default=50)
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "application_status"), default=ApplicationStatus.IDEA,
        index=True,
    )
    submission_deadline: Mapped[date | None] = mapped_column(Date, index=True)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    # Expected while the application waits; the actual date once the donor has decided.
    decision_date: Mapped[date | None] = mapped_column(Date)
    project_starts_on: Mapped[date | None] = mapped_column(Date)
    project_ends_on: Mapped[date | None] = mapped_column(Date)
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    requested: Mapped[Money] = composite(Money.stored, "requested_minor", "currency")
    awarded: Mapped[Money | None] = composite(Money.from_minor, "awarded_minor",
                                              "awarded_currency")

    campaign: Mapped[Campaign] = relationship()
    donor: Mapped[Organization] = relationship(foreign_keys=[donor_org_id])
    call: Mapped[FundingCall | None] = relationship()
    applicant: Mapped[Organization] = relationship(foreign_keys=[applicant_org_id])
    history: Mapped[list[StatusChange]] = relationship(
        back_populates="application", cascade="all, delete-orphan",
        order_by=lambda: [StatusChange.changed_at, StatusChange.id],
    )
    reports: Mapped[list[ReportDue]] = relationship(
        back_populates="application", cascade="all, delete-orphan",
        order_by=lambda: [ReportDue.due_on, ReportDue.id],
    )

    @property
    def title(self) -> str:
        return self.localized("title")


class StatusChange(Base):
    """One move of an application from a status to another: who, when, and why."""

    __tablename__ = "application_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "status_change_from")
    )
    to_status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "status_change_to")
    )
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(back_populates="history")
    changed_by: Mapped[User | None] = relationship()


def _report_summary(values: Mapping[str, Any]) -> str:
    return f"{values.get('kind') or ''} {values.get('due_on') or ''}".strip()


@audited(label=_l("Report due"), parent="application_id", summary=_report_summary,
         fields={"kind": _l("Report"), "due_on": _l("Due on"), "done_on": _l("Done on"),
                 "note": _l("Note"), "application_id": _l("Application"),
                 "content": _l("Content"), "period_id": _l("Reporting period")})
class ReportDue(Base):
    """A report the donor expects by a date (interim or final), and when it was sent."""

    __tablename__ = "report_due"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind, "report_kind"))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    content: Mapped[ReportContent] = mapped_column(
        str_enum(ReportContent, "report_content"), default=ReportContent.BOTH)
    # The grant's reporting period the report covers (tracker.grants), if any.
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("grant_period.id", ondelete="CASCADE"), index=True)

    application: Mapped[Application] = relationship(back_populates="reports")
    period: Mapped[ReportingPeriod | None] = relationship(viewonly=True)


class CalendarToken(Base):
    """A user's secret for the deadlines feed: calendar programs send no cookies.

    Only the SHA-256 of the token is kept; the link is shown once, when it is made.
    """

    __tablename__ = "calendar_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
