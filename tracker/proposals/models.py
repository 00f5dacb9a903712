"""What a proposal says beyond the live data: narrative, logframe, work plan; printed finals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.applications.models import Application
from tracker.audit.registry import audited
from tracker.auth.models import User
from tracker.db import Base, LabeledEnum, UTCDateTime, str_enum, utcnow
from tracker.i18n import Localized
from tracker.orgs.models import Organization

# Quarters of a project a work plan may span: ten years is more than any call allows.
MAX_QUARTERS = 40


class SectionKind(LabeledEnum):
    """The narrative sections of a proposal, in the order the generic template prints them."""

    EXECUTIVE_SUMMARY = "executive_summary"
    CONTEXT = "context"
    OBJECTIVES = "objectives"
    RISKS = "risks"
    SUSTAINABILITY = "sustainability"
    MONITORING = "monitoring"
    PARTNERS = "partners"
    CAPACITY = "capacity"
    ANNEXES = "annexes"

    @classmethod
    def labels(cls):
        return {
            cls.EXECUTIVE_SUMMARY: _l("Executive summary"),
            cls.CONTEXT: _l("Context and problem"),
            cls.OBJECTIVES: _l("Objectives, outcomes, outputs and activities"),
            cls.RISKS: _l("Risks and mitigation"),
            cls.SUSTAINABILITY: _l("Sustainability"),
            cls.MONITORING: _l("Monitoring and evaluation"),
            cls.PARTNERS: _l("Partners and their roles"),
            cls.CAPACITY: _l("Capacity of the organisation"),
            cls.ANNEXES: _l("Annexes"),
        }

    @classmethod
    def hints(cls):
        """What each section should say: shown under its heading in the editor."""
        return {
            cls.EXECUTIVE_SUMMARY: _l("The project on half a page: problem, aim, partners, "
                                      "results, cost."),
            cls.CONTEXT: _l("The problem, the people affected, the link to the Stockholm, "
                            "Basel, Rotterdam and Minamata conventions and to national "
                            "priorities."),
            cls.OBJECTIVES: _l("The overall objective, the outcomes, the outputs and the "
                               "activities that lead to them."),
            cls.RISKS: _l("What could go wrong, how likely it is, and what you will do."),
            cls.SUSTAINABILITY: _l("What lasts after the grant, and who carries it on."),
            cls.MONITORING: _l("How progress is measured, by whom and how often; reports."),
            cls.PARTNERS: _l("Who does what: the applicant, the partner NGOs, the "
                             "authorities."),
            cls.CAPACITY: _l("Experience with similar projects, staff, finances, audits."),
            cls.ANNEXES: _l("The documents that come with the proposal, e.g. an endorsement "
                            "letter, the registration certificate."),
        }

    @property
    def hint(self) -> str:
        return str(type(self).hints()[self])


class LogframeLevel(LabeledEnum):
    """A row of the logical framework: the objective, an outcome or an output."""

    OBJECTIVE = "objective"
    OUTCOME = "outcome"
    OUTPUT = "output"

    @classmethod
    def labels(cls):
        return {
            cls.OBJECTIVE: _l("Overall objective"),
            cls.OUTCOME: _l("Outcome"),
            cls.OUTPUT: _l("Output"),
        }


def _section_summary(values: Mapping[str, Any]) -> str:
    return str(values.get("kind") or "").replace("_", " ").capitalize()


@audited(label=_l("Proposal section"), parent="application_id", summary=_section_summary,
         fields={"kind": _l("Section"), "body_en": _l("Text in English"),
                 "body_ru": _l("Text in Russian"), "application_id": _l("Application")})
class ProposalSection(Localized, Base):
    """One narrative section of an application's proposal, in English and Russian (Markdown)."""

    __tablename__ = "proposal_section"
    __table_args__ = (UniqueConstraint("application_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SectionKind] = mapped_column(str_enum(SectionKind, "proposal_section_kind"))
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_ru: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship()


def _logframe_summary(values: Mapping[str, Any]) -> str:
    return str(values.get("result_en") or values.get("result_ru") or "")


LOGFRAME_FIELDS: dict[str, Any] = {
    "level": _l("Level"),
    "result_en": _l("Result in English"),
    "result_ru": _l("Result in Russian"),
    "indicator_en": _l("Indicator in English"),
    "indicator_ru": _l("Indicator in Russian"),
    "baseline_en": _l("Baseline in English"),
    "baseline_ru": _l("Baseline in Russian"),
    "target_en": _l("Target in English"),
    "target_ru": _l("Target in Russian"),
    "verification_en": _l("Means of verification in English"),
    "verification_ru": _l("Means of verification in Russian"),
    "assumptions_en": _l("Assumptions in English"),
    "assumptions_ru": _l("Assumptions in Russian"),
    "application_id": _l("Application"),
}


@audited(label=_l("Logframe row"), parent="application_id", summary=_logframe_summary,
         fields=LOGFRAME_FIELDS)
class LogframeRow(Localized, Base):
    """A row of the logical framework: a result with its indicator, baseline, target and more."""

    __tablename__ = "logframe_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[LogframeLevel] = mapped_column(str_enum(LogframeLevel, "logframe_level"))
    result_en: Mapped[str] = mapped_column(Text, default="")
    result_ru: Mapped[str] = mapped_column(Text, default="")
    indicator_en: Mapped[str] = mapped_column(Text, default="")
    indicator_ru: Mapped[str] = mapped_column(Text, default="")
    baseline_en: Mapped[str] = mapped_column(Text, default="")
    baseline_ru: Mapped[str] = mapped_column(Text, default="")
    target_en: Mapped[str] = mapped_column(Text, default="")
    target_ru: Mapped[str] = mapped_column(Text, default="")
    verification_en: Mapped[str] = mapped_column(Text, default="")
    verification_ru: Mapped[str] = mapped_column(Text, default="")
    assumptions_en: Mapped[str] = mapped_column(Text, default="")
    assumptions_ru: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship()


def _activity_summary(values: Mapping[str, Any]) -> str:
    return str(values.get("title_en") or values.get("title_ru") or "")


@audited(label=_l("Work plan activity"), parent="application_id", summary=_activity_summary,
         fields={"start_quarter": _l("From quarter"), "end_quarter": _l("To quarter"),
                 "responsible_org_id": _l("Responsible"), "application_id": _l("Application")})
class WorkPlanActivity(Localized, Base):
    """An activity of the work plan, from one quarter of the project to another (Gantt chart)."""

    __tablename__ = "work_plan_activity"
    __table_args__ = (
        CheckConstraint("start_quarter >= 1", name="start_quarter_positive"),
        CheckConstraint("end_quarter >= start_quarter", name="quarters_ordered"),
        CheckConstraint(f"end_quarter <= {MAX_QUARTERS}", name="end_quarter_bounded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    title_en: Mapped[str] = mapped_column(String(300), default="")
    title_ru: Mapped[str] = mapped_column(String(300), default="")
    # Quarters of the project, counted from its start (1 = its first three months).
    start_quarter: Mapped[int] = mapped_column(Integer)
    end_quarter: Mapped[int] = mapped_column(Integer)
    responsible_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship()
    responsible: Mapped[Organization | None] = relationship()

    @property
    def title(self) -> str:
        return self.localized("title")


def _version_summary(values: Mapping[str, Any]) -> str:
    return (f"v{values.get('number', '?')} {values.get('template', '')} "
            f"{values.get('language', '')}").strip()


@audited(label=_l("Final proposal"), parent="application_id", summary=_version_summary,
         fields={"number": _l("Version"), "template": _l("Template"),
                 "sha256": _l("SHA-256"), "size_bytes": _l("Size (bytes)"),
                 "storage_key": _l("Stored as"), "source_sha256": _l("Source SHA-256"),
                 "author_id": _l("Printed by"), "override_reason": _l("Reason for printing "
                                                                      "despite failed checks"),
                 "overridden_checks": _l("Failed checks"), "application_id": _l("Application")})
class ProposalVersion(Base):
    """A final proposal PDF as printed and kept: what, by whom, when, and its SHA-256."""

    __tablename__ = "proposal_version"
    __table_args__ = (
        UniqueConstraint("application_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("language IN ('en', 'ru')", name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(300))
    # The SHA-256 of the HTML the PDF was rendered from: the same source gives the same PDF,
    # so an unchanged request is answered with the stored file instead of a new version.
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when a final was printed although eligibility checks failed: why, and which ones.
    override_reason: Mapped[str] = mapped_column(Text, default="")
    overridden_checks: Mapped[list[str]] = mapped_column(JSON, default=list)

    application: Mapped[Application] = relationship()
    author: Mapped[User | None] = relationship()
