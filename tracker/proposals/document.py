"""What a proposal shows, gathered from the live data in the proposal's language.

The budget comes from the campaign's funding targets that overlap the project (all of
them when the project has no dates): sums per category, per currency and per partner
are made by the database in each line's own currency, then converted into the donor's
currency at the latest rate on or before the day of printing (tracker.money's rule).
A converted total is the sum of the converted subtotals shown above it, so the column
adds up; a missing rate is stated and the total left open, never taken as zero.
Co-financing converts each day's payments and pledges at the rate of their own date.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext
from typing import Any

from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from tracker.applications.models import Application, ApplicationStatus
from tracker.campaigns.models import Campaign, CampaignPartner, PartnerRole
from tracker.drives.models import OPEN, Channel, Drive, Payment, Pledge
from tracker.extensions import db
from tracker.i18n import country_name, format_day, format_money
from tracker.money.services import RateMissing, convert
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.proposals.eligibility import Checklist, project_months
from tracker.proposals.markup import render_markdown
from tracker.proposals.models import (
    LogframeLevel,
    LogframeRow,
    ProposalSection,
    SectionKind,
    WorkPlanActivity,
)
from tracker.targets.models import BudgetCategory, BudgetLine, FundingTarget

LEVEL_ORDER = {level: index for index, level in enumerate(LogframeLevel)}


# Conversion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RateUsed:
    """A rate a proposal's figures were converted with, stated under the budget."""

    base: str
    quote: str
    rate: Decimal
    on: date
    source: str


class Converter:
    """Converts amounts into one currency and remembers the rates used and those missing."""

    def __init__(self, to: str) -> None:
        self.to = to
        self.used: dict[tuple[str, date], RateUsed] = {}
        self.missing: dict[tuple[str, date], str] = {}

    def __call__(self, money: Money, on: date) -> Money | None:
        """The amount in the target currency, or None when no rate is known (noted)."""
        try:
            conversion = convert(money, self.to, on)
        except RateMissing as error:
            self.missing[(money.currency, on)] = error.message
            return None
        if conversion.rate_date is not None:
            self.used[(money.currency, conversion.rate_date)] = RateUsed(
                money.currency, self.to, conversion.rate, conversion.rate_date,
                conversion.source)
        return conversion.converted

    def rates(self) -> list[RateUsed]:
        return sorted(self.used.values(), key=lambda rate: (rate.base, rate.on))

    def problems(self) -> list[str]:
        return [self.missing[key] for key in sorted(self.missing)]


def add_up(amounts: Iterable[Money | None], currency: str) -> Money | None:
    """The sum of converted amounts, or None when one of them could not be converted."""
    total = Money.zero(currency)
    for amount in amounts:
        if amount is None:
            return None
        total = total + amount
    return total


# The budget ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetRow:
    line: BudgetLine
    description: str
    justification: str
    partner: str
    country: str


@dataclass(frozen=True)
class CategoryBlock:
    label: str
    rows: list[BudgetRow]
    subtotals: list[Money]  # one per currency, summed by the database
    converted: Money | None


@dataclass(frozen=True)
class PartnerShare:
    name: str
    amounts: list[Money]
    converted: Money | None


@dataclass(frozen=True)
class CountryShare:
    country: str
    partners: list[PartnerShare]
    converted: Money | None


@dataclass(frozen=True)
class Budget:
    currency: str
    periods: list[FundingTarget]
    categories: list[CategoryBlock]
    totals: list[Money]  # one per currency, summed by the database
    total: Money | None  # in the donor's currency; None when a rate is missing
    countries: list[CountryShare]
    needs_conversion: bool

    @property
    def empty(self) -> bool:
        return not self.categories


def _overlapping_targets(application: Application) -> list[FundingTarget]:
    query = select(FundingTarget).where(FundingTarget.campaign_id == application.campaign_id)
    starts, ends = application.project_starts_on, application.project_ends_on
    targets = list(db.session.scalars(query.order_by(FundingTarget.starts_on,
                                                     FundingTarget.id)))
    if starts is None or ends is None:
        return targets
    overlapping = [t for t in targets if t.starts_on <= ends and t.ends_on >= starts]
    return overlapping or targets


def build_budget(application: Application, currency: str, on: date, language: str,
                 convert_to: Converter) -> Budget:
    """The budget of the targets the project overlaps, by category, in `currency` too."""
    targets = _overlapping_targets(application)
    target_ids = [target.id for target in targets]
    if not target_ids:
        return Budget(currency, [], [], [], Money.zero(currency), [], False)
    lines = list(db.session.scalars(
        select(BudgetLine).options(joinedload(BudgetLine.partner))
        .where(BudgetLine.target_id.in_(target_ids))
        .order_by(BudgetLine.target_id, BudgetLine.id)
    ))
    by_category: dict[BudgetCategory, list[BudgetRow]] = {}
    for line in lines:
        partner = line.partner
        by_category.setdefault(line.category, []).append(BudgetRow(
            line=line,
            description=line.localized("description", language),
            justification=line.localized("justification", language),
            partner=partner.localized("name", language) if partner else "",
            country=country_name(partner.country, language) if partner else "",
        ))
    sums: dict[BudgetCategory, list[Money]] = {}
    for category, code, minor in db.session.execute(
        select(BudgetLine.category, BudgetLine.currency, func.sum(BudgetLine.total_minor))
        .where(BudgetLine.target_id.in_(target_ids))
        .group_by(BudgetLine.category, BudgetLine.currency)
        .order_by(BudgetLine.currency)
    ):
        sums.setdefault(category, []).append(Money.from_minor(int(minor), code))
    categories = []
    for category in BudgetCategory:  # the categories' own order, as donors' forms list them
        if category not in by_category:
            continue
        subtotals = sums.get(category, [])
        converted = add_up((convert_to(amount, on) for amount in subtotals), currency)
        categories.append(CategoryBlock(category.label, by_category[category], subtotals,
                                        converted))
    totals = [Money.from_minor(int(minor), code) for code, minor in db.session.execute(
        select(BudgetLine.currency, func.sum(BudgetLine.total_minor))
        .where(BudgetLine.target_id.in_(target_ids))
        .group_by(BudgetLine.currency).order_by(BudgetLine.currency)
    )]
    total = add_up((block.converted for block in categories), currency)
    countries = _budget_by_country(target_ids, currency, on, language, convert_to)
    needs_conversion = any(amount.currency != currency for amount in totals)
    return Budget(currency, targets, categories, totals, total, countries, needs_conversion)


def _budget_by_country(target_ids: list[int], currency: str, on: date, language: str,
                       convert_to: Converter) -> list[CountryShare]:
    """The budget split by the spending partners' countries, then by partner."""
    rows = db.session.execute(
        select(Organization, BudgetLine.currency, func.sum(BudgetLine.total_minor))
        .select_from(BudgetLine)
        .outerjoin(Organization, Organization.id == BudgetLine.partner_org_id)
        .where(BudgetLine.target_id.in_(target_ids))
        .group_by(Organization.id, BudgetLine.currency)
        .order_by(Organization.country, Organization.id, BudgetLine.currency)
    ).all()
    nobody = _("Not assigned to a partner")
    partners: dict[tuple[str, str], list[Money]] = {}
    for org, code, minor in rows:
        key = (country_name(org.country, language) if org else "",
               org.localized("name", language) if org else nobody)
        partners.setdefault(key, []).append(Money.from_minor(int(minor), code))
    countries: dict[str, list[PartnerShare]] = {}
    for (country, name), amounts in partners.items():
        converted = add_up((convert_to(amount, on) for amount in amounts), currency)
        countries.setdefault(country, []).append(PartnerShare(name, amounts, converted))
    return [CountryShare(country, shares, add_up((s.converted for s in shares), currency))
            for country, shares in sorted(countries.items(), key=lambda item: (
                item[0] == "", item[0].casefold()))]


# Co-financing -------------------------------------------------------------------------


@dataclass(frozen=True)
class CofinancingRow:
    label: str
    kind: str  # secured | pledged | in_kind
    originals: list[Money]
    amount: Money | None


@dataclass(frozen=True)
class Cofinancing:
    rows: list[CofinancingRow]
    secured: Money | None
    pledged: Money | None
    in_kind: Money | None
    total: Money | None


def _dated_sums(query: Any) -> dict[bool, list[tuple[Money, date]]]:
    grouped: dict[bool, list[tuple[Money, date]]] = {False: [], True: []}
    for in_kind, code, on, minor in db.session.execute(query):
        if int(minor) > 0:
            grouped[bool(in_kind)].append((Money.from_minor(int(minor), code), on))
    return grouped


def build_cofinancing(application: Application, currency: str, on: date, language: str,
                      convert_to: Converter) -> Cofinancing:
    """Other awarded grants of the campaign, and its drives' money: received, pledged, in kind.

    The database sums payments and the unpaid rest of open pledges per currency, day and
    whether they are in kind; each day's sum is converted at that day's rate.
    """
    rows: list[CofinancingRow] = []
    grants = db.session.scalars(
        select(Application).options(joinedload(Application.donor))
        .where(Application.campaign_id == application.campaign_id,
               Application.id != application.id,
               Application.status == ApplicationStatus.AWARDED)
        .order_by(Application.decision_date, Application.id)
    )
    for grant in grants:
        awarded = grant.awarded
        if awarded is None:
            continue
        rows.append(CofinancingRow(
            _("Grant from %(donor)s: %(title)s", donor=grant.donor.localized("name", language),
              title=grant.localized("title", language)),
            "secured", [awarded], convert_to(awarded, grant.decision_date or on)))
    drives = select(Drive.id).where(Drive.campaign_id == application.campaign_id)
    paid_in_kind = case((Payment.method == Channel.IN_KIND, 1), else_=0)
    received = _dated_sums(
        select(paid_in_kind, Payment.currency, Payment.paid_on, func.sum(Payment.amount_minor))
        .join(Pledge, Payment.pledge_id == Pledge.id)
        .where(Pledge.drive_id.in_(drives))
        .group_by(paid_in_kind, Payment.currency, Payment.paid_on)
        .order_by(Payment.currency, Payment.paid_on)
    )
    pledged_in_kind = case((Pledge.channel == Channel.IN_KIND, 1), else_=0)
    unpaid = case((Pledge.amount_minor > Pledge.paid_minor,
                   Pledge.amount_minor - Pledge.paid_minor), else_=0)
    pledged = _dated_sums(
        select(pledged_in_kind, Pledge.currency, Pledge.pledged_on, func.sum(unpaid))
        .where(Pledge.drive_id.in_(drives), Pledge.status.in_(OPEN))
        .group_by(pledged_in_kind, Pledge.currency, Pledge.pledged_on)
        .order_by(Pledge.currency, Pledge.pledged_on)
    )

    def row(label: str, kind: str, sums: list[tuple[Money, date]]) -> None:
        if not sums:
            return
        originals: dict[str, Money] = {}
        for money, _day in sums:
            originals[money.currency] = originals.get(money.currency,
                                                      Money.zero(money.currency)) + money
        converted = add_up((convert_to(money, day) for money, day in sums), currency)
        rows.append(CofinancingRow(label, kind, sorted(originals.values(),
                                                       key=lambda m: m.currency), converted))

    row(_("Crowdfunding: received"), "secured", received[False])
    row(_("Crowdfunding: pledged, not yet paid"), "pledged", pledged[False])
    row(_("In kind: received"), "in_kind", received[True])
    row(_("In kind: pledged"), "in_kind", pledged[True])

    def total_of(kinds: set[str]) -> Money | None:
        return add_up((r.amount for r in rows if r.kind in kinds), currency)

    return Cofinancing(rows, total_of({"secured"}), total_of({"pledged"}),
                       total_of({"in_kind"}), total_of({"secured", "pledged", "in_kind"}))


# The work plan as a Gantt chart -------------------------------------------------------


GANTT_WIDTH = 680
GANTT_LABEL_WIDTH = 250
GANTT_ROW_HEIGHT = 30
GANTT_HEADER_HEIGHT = 24
GANTT_LINE_CHARACTERS = 36


@dataclass(frozen=True)
class GanttBar:
    title_lines: list[str]
    responsible: str
    start: int
    end: int
    x: float
    width: float
    y: float


@dataclass(frozen=True)
class Gantt:
    quarters: int
    columns: list[tuple[str, float]]  # label, x of the column's left edge
    column_width: float
    bars: list[GanttBar]
    width: int
    height: int
    label_width: int
    row_height: int
    header_height: int


def _title_lines(title: str) -> list[str]:
    lines = textwrap.wrap(title, GANTT_LINE_CHARACTERS) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), GANTT_LINE_CHARACTERS,
                                            placeholder=" …")]
    return lines


def quarter_label(number: int) -> str:
    """'Q3': the third quarter of the project."""
    return _("Q%(number)s", number=number)


def build_gantt(activities: list[WorkPlanActivity], project_quarters: int | None,
                language: str) -> Gantt | None:
    """Bars from each activity's first quarter to its last, in SVG coordinates."""
    if not activities:
        return None
    quarters = max([project_quarters or 0, *(a.end_quarter for a in activities)])
    column_width = (GANTT_WIDTH - GANTT_LABEL_WIDTH) / quarters
    columns = [(quarter_label(n), GANTT_LABEL_WIDTH + (n - 1) * column_width)
               for n in range(1, quarters + 1)]
    bars = []
    for index, activity in enumerate(activities):
        responsible = activity.responsible
        bars.append(GanttBar(
            title_lines=_title_lines(activity.localized("title", language)),
            responsible=responsible.localized("name", language) if responsible else "",
            start=activity.start_quarter, end=activity.end_quarter,
            x=GANTT_LABEL_WIDTH + (activity.start_quarter - 1) * column_width + 2,
            width=(activity.end_quarter - activity.start_quarter + 1) * column_width - 4,
            y=GANTT_HEADER_HEIGHT + index * GANTT_ROW_HEIGHT,
        ))
    height = GANTT_HEADER_HEIGHT + len(activities) * GANTT_ROW_HEIGHT + 2
    return Gantt(quarters, columns, column_width, bars, GANTT_WIDTH, height,
                 GANTT_LABEL_WIDTH, GANTT_ROW_HEIGHT, GANTT_HEADER_HEIGHT)


def project_quarters(application: Application) -> int | None:
    """How many quarters the project lasts (a started quarter counts), None without dates."""
    starts, ends = application.project_starts_on, application.project_ends_on
    if starts is None or ends is None:
        return None
    return math.ceil(project_months(starts, ends) / 3)


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
        readiness.notes.append(_("The campaign has no budget lines: add a funding target with "
                                 "its lines."))
    elif budget.total is not None and application.requested.currency == budget.currency \
            and application.requested.amount > budget.total.amount:
        readiness.notes.append(_("The amount requested (%(requested)s) is more than the "
                                 "project's total cost (%(total)s).",
                                 requested=format_money(application.requested, language),
                                 total=format_money(budget.total, language)))
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
    currency = call.currency if call is not None else application.currency
    converter = Converter(currency)
    budget = build_budget(application, currency, today, language, converter)
    cofinancing = build_cofinancing(application, currency, today, language, converter)
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
        rates=converter.rates(),
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
