"""What a proposal shows, gathered from the live data in the proposal's language.

The budget and co-financing (tracker/proposals/budget.py) and the work plan's chart
(tracker/proposals/gantt.py) are built in their own modules; this one reads the
proposal's records and puts the whole document together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext
from typing import Any

from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from tracker.applications.models import Application
from tracker.campaigns.models import Campaign, CampaignPartner, PartnerRole
from tracker.extensions import db
from tracker.i18n import country_name, format_day, format_money
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.proposals.budget import (
    Budget,
    Cofinancing,
    Converter,
    RateUsed,
    add_up,
    build_budget,
    build_cofinancing,
)
from tracker.proposals.eligibility import Checklist, project_months
from tracker.proposals.gantt import Gantt, build_gantt, project_quarters, quarter_label
from tracker.proposals.markup import render_markdown
from tracker.proposals.models import (
    LogframeLevel,
    LogframeRow,
    ProposalSection,
    SectionKind,
    WorkPlanActivity,
)

LEVEL_ORDER = {level: index for index, level in enumerate(LogframeLevel)}

__all__ = [
    "Budget",
    "Cofinancing",
    "Converter",
    "Gantt",
    "ProposalDocument",
    "RateUsed",
    "activities_of",
    "add_up",
    "build_budget",
    "build_cofinancing",
    "build_document",
    "build_gantt",
    "css_string",
    "last_change",
    "logframe_rows",
    "page_of_pages",
    "participants",
    "project_quarters",
    "quarter_label",
    "sections_of",
]


# Reading the proposal's own records ---------------------------------------------------------


def sections_of(application: Application) -> dict[SectionKind, ProposalSection]:
    """The application's narrative sections by kind (missing kinds are not written yet)."""
    return {section.kind: section for section in db.session.scalars(
        select(ProposalSection).where(ProposalSection.application_id == application.id))}


def logframe_rows(application: Application) -> list[LogframeRow]:
    """The logframe, objective first, then outcomes, then outputs, each in the order added."""
    level_order = case(LEVEL_ORDER, value=LogframeRow.level)
    return list(db.session.scalars(
        select(LogframeRow).where(LogframeRow.application_id == application.id)
        .order_by(level_order, LogframeRow.id)))


def activities_of(application: Application) -> list[WorkPlanActivity]:
    """The work plan's activities by first quarter, then last quarter, then as added."""
    return list(db.session.scalars(
        select(WorkPlanActivity).options(joinedload(WorkPlanActivity.responsible))
        .where(WorkPlanActivity.application_id == application.id)
        .order_by(WorkPlanActivity.start_quarter, WorkPlanActivity.end_quarter,
                  WorkPlanActivity.id)))


def last_change(application: Application) -> datetime:
    """When the application or its proposal records last changed (the PDF's creation date).

    Taken from the data, not the clock, so that printing the same data twice gives the
    same PDF byte for byte.
    """
    candidates = [application.updated_at]
    for model in (ProposalSection, LogframeRow, WorkPlanActivity):
        latest = db.session.scalar(select(func.max(model.updated_at))
                                   .where(model.application_id == application.id))
        if latest is not None:
            candidates.append(latest)
    latest = max(candidates)
    if latest.tzinfo is None:
        # SQLite hands back aggregates as naive UTC (the column type only maps whole rows).
        latest = latest.replace(tzinfo=UTC)
    return latest.astimezone(UTC).replace(microsecond=0)


# The participants ---------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    name: str
    role: str
    country: str
    city: str


def participants(campaign: Campaign, language: str) -> list[Participant]:
    """The campaign's lead organisation, then its partners in the order they joined."""
    lead = campaign.lead_org
    people = [Participant(lead.localized("name", language), _("Lead organisation"),
                          country_name(lead.country, language), lead.localized("city", language))]
    partners = db.session.scalars(
        select(CampaignPartner).options(joinedload(CampaignPartner.organization))
        .where(CampaignPartner.campaign_id == campaign.id,
               CampaignPartner.organization_id != campaign.lead_org_id)
        .order_by(CampaignPartner.id))
    for partner in partners:
        org = partner.organization
        people.append(Participant(org.localized("name", language), PartnerRole(partner.role).label,
                                  country_name(org.country, language),
                                  org.localized("city", language)))
    return people


# Readiness ----------------------------------------------------------------------------


@dataclass
class Readiness:
    """What a draft still lacks, listed on its first page (printing is not refused for it)."""

    notes: list[str] = field(default_factory=list)


def _readiness(application: Application, language: str, sections: dict[SectionKind, Any],
               logframe: list[LogframeRow], activities: list[WorkPlanActivity],
               budget: Budget, problems: list[str]) -> Readiness:
    readiness = Readiness()
    missing = [kind.label for kind in SectionKind
               if not (sections.get(kind) and getattr(sections[kind], f"body_{language}").strip())]
    if missing:
        readiness.notes.append(_("Sections not written in this language yet: %(names)s.",
                                 names=", ".join(missing)))
    if not logframe:
        readiness.notes.append(_("The logframe has no rows yet."))
    if not activities:
        readiness.notes.append(_("The work plan has no activities yet."))
    if budget.empty:
        readiness.notes.append(_("The application has no budget yet: add its lines, or take "
                                 "them from the campaign's funding targets, on its budget "
                                 "page."))
    readiness.notes.extend(problems)
    return readiness


# Page furniture in CSS ----------------------------------------------------------------


def css_string(text: str) -> str:
    """A CSS string literal of the text, safe inside a <style> element."""
    escaped = []
    for character in str(text):
        if character in '"\\<>&' or ord(character) < 32:
            escaped.append(f"\\{ord(character):x} ")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'


def page_of_pages() -> str:
    """CSS content for 'page X of Y' in the current language, word order included."""
    text = _("Page %(page)s of %(pages)s")
    parts: list[str] = []
    rest = text
    while rest:
        page_at, pages_at = rest.find("%(page)s"), rest.find("%(pages)s")
        found = [(at, name) for at, name in ((page_at, "page"), (pages_at, "pages")) if at >= 0]
        if not found:
            parts.append(css_string(rest))
            break
        at, name = min(found)
        if at:
            parts.append(css_string(rest[:at]))
        parts.append(f"counter({name})")
        rest = rest[at + len(f"%({name})s"):]
    return " ".join(parts)


# Dates and amounts in the proposal's language ---------------------------------------------------


def day(value: date | None, language: str) -> str:
    return format_day(value, language) if value else ""


def money(value: Money | None, language: str) -> str:
    return format_money(value, language) if value is not None else ""


def money_list(values: list[Money], language: str) -> str:
    return " + ".join(format_money(value, language) for value in values)


# The whole document -------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalDocument:
    """Everything a proposal template shows, in one language."""

    application: Application
    language: str
    draft: bool
    today: date
    title: str
    campaign_title: str
    author: str
    created: datetime
    applicant: Organization
    donor_name: str
    call_title: str
    participants: list[Participant]
    countries: list[str]
    months: int | None
    quarters: int | None
    currency: str
    requested: Money
    requested_converted: Money | None
    budget: Budget
    cofinancing: Cofinancing
    rates: list[RateUsed]
    problems: list[str]
    sections: dict[str, Any]
    logframe: list[LogframeRow]
    activities: list[WorkPlanActivity]
    gantt: Gantt | None
    checklist: Checklist | None
    readiness: Readiness | None
    funding: Any = None

    def text(self, record: Any, name: str) -> str:
        """A bilingual field in the proposal's language, without falling back to the other."""
        return getattr(record, f"{name}_{self.language}") or ""

    def name(self, record: Any, name: str = "name") -> str:
        """A name in the proposal's language, else in the other (names are short and shared)."""
        return record.localized(name, self.language) if record is not None else ""

    def day(self, value: date | None) -> str:
        return day(value, self.language)

    def money(self, value: Money | None) -> str:
        return money(value, self.language)

    def money_list(self, values: list[Money]) -> str:
        return money_list(values, self.language)

    def country(self, code: str) -> str:
        return country_name(code, self.language)

    def quarters_text(self, start: int, end: int) -> str:
        """'Q2' or 'Q2–Q4': the quarters of the project an activity spans."""
        if start == end:
            return quarter_label(start)
        return f"{quarter_label(start)}–{quarter_label(end)}"

    def number(self, value: Decimal | int) -> str:
        """A quantity in the language's format ('1,500.5', '1 500,5')."""
        return format_decimal(value, locale=self.language)

    def line_rate(self, line: Any) -> str:
        """The rate a budget line's cost was converted at, written as `rate_text` writes it."""
        return self.rate_text(RateUsed(line.currency, line.budget_currency, line.rate,
                                       line.rate_on, line.rate_source))

    def rate_text(self, rate: RateUsed) -> str:
        """'1 USD = 86.3 RUB': the rate written the way round that reads as a number above 1."""
        if rate.rate >= 1:
            one, many, value = rate.base, rate.quote, rate.rate
        else:
            with localcontext() as context:
                context.prec = 34
                one, many, value = rate.quote, rate.base, Decimal(1) / rate.rate
        shown = format_decimal(value.quantize(Decimal("0.000001")).normalize(),
                               format="#,##0.######", locale=self.language)
        return f"1 {one} = {shown} {many}"


def build_document(application: Application, *, language: str, draft: bool,
                   checklist: Checklist | None, today: date, funding: Any = None
                   ) -> ProposalDocument:
    """Gather a proposal's content from the live data, worded in `language`."""
    campaign = application.campaign
    call = application.call
    # The donor is asked in the application's currency, and its budget is kept in it.
    currency = application.currency
    converter = Converter(currency)
    budget = build_budget(application, language)
    cofinancing = build_cofinancing(budget)
    requested_converted = converter(application.requested, today)
    sections = sections_of(application)
    logframe = logframe_rows(application)
    activities = activities_of(application)
    quarters = project_quarters(application)
    starts, ends = application.project_starts_on, application.project_ends_on
    rendered = {kind.value: render_markdown(getattr(sections[kind], f"body_{language}"))
                for kind in sections}
    problems = converter.problems()
    countries = list(application.countries or ()) or campaign.country_codes
    return ProposalDocument(
        application=application,
        language=language,
        draft=draft,
        today=today,
        title=application.localized("title", language) or campaign.localized("title", language),
        campaign_title=campaign.localized("title", language),
        author=application.applicant.localized("name", language),
        created=last_change(application),
        applicant=application.applicant,
        donor_name=application.donor.localized("name", language),
        call_title=call.localized("title", language) if call is not None else "",
        participants=participants(campaign, language),
        countries=[country_name(code, language) for code in countries],
        months=project_months(starts, ends) if starts and ends else None,
        quarters=quarters,
        currency=currency,
        requested=application.requested,
        requested_converted=requested_converted,
        budget=budget,
        cofinancing=cofinancing,
        rates=budget.rates,
        problems=problems,
        sections=rendered,
        logframe=logframe,
        activities=activities,
        gantt=build_gantt(activities, quarters, language),
        checklist=checklist if draft else None,
        readiness=_readiness(application, language, sections, logframe, activities, budget,
                             problems) if draft else None,
        funding=funding,
    )
