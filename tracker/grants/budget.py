"""Opening a grant from an awarded application, its reporting schedule, and budget revisions.

The application's budget (the part requested from the donor, line by line) becomes the
grant's approved budget, version 1. When the award differs from the sum requested, each
line is scaled to the award and the rounding is settled by the largest remainders, so
the approved budget adds up to the award to the minor unit; a revision must add up too.
Lines are coded by the donor's category (in its form's order) and their place in it:
`1.1`, `1.2`, `2.1`, ...
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from tracker.applications.budget_categories import scheme_for
from tracker.applications.budget_models import ApplicationBudgetLine
from tracker.applications.models import (
    Application,
    ApplicationStatus,
    ReportContent,
    ReportDue,
    ReportKind,
)
from tracker.auth.models import User
from tracker.extensions import db
from tracker.grants.errors import BudgetDoesNotAddUp, GrantError, GrantExists, NotAwarded
from tracker.grants.models import (
    AWARDED_NOTE,
    DEFAULT_FLEXIBILITY_PERCENT,
    BudgetVersion,
    Expenditure,
    Grant,
    GrantLine,
    GrantPartner,
    GrantStatus,
    LineAmount,
    ReportingPeriod,
    Transfer,
)
from tracker.i18n import format_money
from tracker.money.value import Money
from tracker.orgs.models import Organization

CODE_PATTERN = re.compile(r"[0-9A-Za-z]+(\.[0-9A-Za-z]+)*")
MAX_CODE_LENGTH = 20
MAX_REFERENCE_LENGTH = 100
MAX_PERIODS = 40


@dataclass(frozen=True)
class PeriodInput:
    """A reporting period and the day its interim (or, for the last, final) reports are due."""

    starts_on: date
    ends_on: date
    due_on: date


@dataclass(frozen=True)
class GrantInput:
    """What opening a grant needs beyond the application: the agreement and the schedule."""

    reference: str
    holder_org_id: int
    starts_on: date
    ends_on: date
    partner_org_ids: tuple[int, ...] = ()
    # None: the donor's own rule, else DEFAULT_FLEXIBILITY_PERCENT.
    flexibility_percent: Decimal | None = None
    periods: tuple[PeriodInput, ...] = ()


@dataclass(frozen=True)
class NewLineInput:
    """A line a revision adds to the budget."""

    code: str
    donor_category: str
    partner_org_id: int
    amount_minor: int
    description_en: str = ""
    description_ru: str = ""
    year: int = 1


@dataclass(frozen=True)
class RevisionInput:
    """A revised budget: every line's new amount (by code), new lines, and the approval."""

    approved_on: date
    amounts: dict[str, int] = field(default_factory=dict)
    new_lines: tuple[NewLineInput, ...] = ()
    donor_reference: str = ""
    note: str = ""


def donor_flexibility(donor: Organization) -> Decimal:
    """The donor's flexibility rule in percent, or the default of 10 %."""
    if donor.budget_flexibility_percent is not None:
        return donor.budget_flexibility_percent
    return DEFAULT_FLEXIBILITY_PERCENT


def scaled_to(amounts: Sequence[int], total: int) -> list[int]:
    """Amounts scaled to add up to `total` exactly: floors, then the largest remainders.

    Ties go to the earlier amount, so the result is the same every time.
    """
    whole = sum(amounts)
    if whole == 0:
        return [0 for _ in amounts]
    floors = [amount * total // whole for amount in amounts]
    remainders = [amount * total % whole for amount in amounts]
    short = total - sum(floors)
    for index in sorted(range(len(amounts)), key=lambda i: (-remainders[i], i))[:short]:
        floors[index] += 1
    return floors


def _check_reference(reference: str, grant: Grant | None = None) -> str:
    reference = reference.strip()
    if not reference:
        raise GrantError(_("Enter the agreement's reference."), field="reference")
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise GrantError(_("The reference is at most %(n)d characters.",
                           n=MAX_REFERENCE_LENGTH), field="reference")
    taken = db.session.scalar(select(Grant.id).where(Grant.reference == reference))
    if taken is not None and (grant is None or taken != grant.id):
        raise GrantExists(_("Another grant already has the reference %(ref)s.", ref=reference),
                          field="reference")
    return reference


def check_periods(periods: Sequence[PeriodInput], starts_on: date, ends_on: date) -> None:
    """Periods follow each other without gap or overlap from the grant's start to its end."""
    if not periods:
        raise GrantError(_("Give at least one reporting period."), field="periods")
    if len(periods) > MAX_PERIODS:
        raise GrantError(_("A grant has at most %(n)d reporting periods.", n=MAX_PERIODS),
                         field="periods")
    expected_start = starts_on
    for number, period in enumerate(periods, start=1):
        if period.starts_on != expected_start:
            raise GrantError(_("Reporting period %(n)d must start on %(date)s, the day after "
                               "the previous one ends (or the grant starts).",
                               n=number, date=expected_start.isoformat()), field="periods")
        if period.ends_on < period.starts_on:
            raise GrantError(_("Reporting period %(n)d ends before it starts.", n=number),
                             field="periods")
        if period.due_on < period.ends_on:
            raise GrantError(_("The reports of period %(n)d cannot be due before it ends.",
                               n=number), field="periods")
        expected_start = date.fromordinal(period.ends_on.toordinal() + 1)
    if periods[-1].ends_on != ends_on:
        raise GrantError(_("The last reporting period must end on %(date)s, when the grant "
                           "ends.", date=ends_on.isoformat()), field="periods")


def _check_organisations(data: GrantInput) -> None:
    ids = {data.holder_org_id, *data.partner_org_ids}
    known = set(db.session.scalars(select(Organization.id).where(Organization.id.in_(ids))))
    if data.holder_org_id not in known:
        raise GrantError(_("Choose the organisation that holds the grant."),
                         field="holder_org_id")
    if ids - known:
        raise GrantError(_("Choose sub-grantees from the list."), field="partner_org_ids")
    if data.holder_org_id in data.partner_org_ids:
        raise GrantError(_("The holder is not its own sub-grantee."), field="partner_org_ids")


def _schedule(grant: Grant, application: Application,
              periods: Sequence[PeriodInput]) -> None:
    """The periods, and for each an interim (the last: final) narrative and financial report."""
    for number, period in enumerate(periods, start=1):
        record = ReportingPeriod(number=number, starts_on=period.starts_on,
                                 ends_on=period.ends_on)
        grant.periods.append(record)
        db.session.flush()
        kind = ReportKind.FINAL if number == len(periods) else ReportKind.INTERIM
        for content in (ReportContent.NARRATIVE, ReportContent.FINANCIAL):
            application.reports.append(ReportDue(
                kind=kind, content=content, due_on=period.due_on, period_id=record.id,
                note=_("Grant %(ref)s, period %(n)d", ref=grant.reference, n=number)))


def _initial_lines(grant: Grant, application: Application) -> list[tuple[GrantLine, int]]:
    """The application's lines with a part requested from the donor, coded and scaled."""
    scheme = scheme_for(application)
    source = list(db.session.scalars(
        select(ApplicationBudgetLine).where(ApplicationBudgetLine.application_id
                                            == application.id,
                                            ApplicationBudgetLine.requested_minor > 0)))
    source.sort(key=lambda line: (scheme.order(line.donor_category), line.year, line.id))
    amounts = scaled_to([line.requested_minor for line in source], grant.awarded_minor)
    category_numbers: dict[str, int] = {}
    within: dict[str, int] = {}
    lines = []
    for position, (line, amount) in enumerate(zip(source, amounts, strict=True)):
        number = category_numbers.setdefault(line.donor_category, len(category_numbers) + 1)
        within[line.donor_category] = within.get(line.donor_category, 0) + 1
        grant_line = GrantLine(
            code=f"{number}.{within[line.donor_category]}", position=position,
            description_en=line.description_en, description_ru=line.description_ru,
            donor_category=line.donor_category,
            partner_org_id=line.partner_org_id or grant.holder_org_id, year=line.year,
            source_line_id=line.id)
        lines.append((grant_line, amount))
    return lines


def open_grant(application: Application, data: GrantInput, *, by: User | None) -> Grant:
    """Open the grant of an awarded application, with its budget as version 1."""
    if application.status is not ApplicationStatus.AWARDED or application.awarded is None:
        raise NotAwarded(_("Only an awarded application opens a grant."))
    if db.session.scalar(select(Grant.id).where(Grant.application_id == application.id)):
        raise GrantExists(_("This application's grant is already open."))
    reference = _check_reference(data.reference)
    if data.ends_on < data.starts_on:
        raise GrantError(_("The grant cannot end before it starts."), field="ends_on")
    _check_organisations(data)
    check_periods(data.periods, data.starts_on, data.ends_on)
    flexibility = (data.flexibility_percent if data.flexibility_percent is not None
                   else donor_flexibility(application.donor))
    check_flexibility(flexibility)
    grant = Grant(application=application, reference=reference,
                  holder_org_id=data.holder_org_id, currency=application.awarded.currency,
                  awarded_minor=application.awarded.minor, starts_on=data.starts_on,
                  ends_on=data.ends_on, flexibility_percent=flexibility, opened_by=by,
                  spent_minor=0)
    for organization_id in dict.fromkeys(data.partner_org_ids):
        grant.partners.append(GrantPartner(organization_id=organization_id))
    db.session.add(grant)
    db.session.flush()
    _schedule(grant, application, data.periods)
    lines = _initial_lines(grant, application)
    if lines:
        # Partners the application's budget names become sub-grantees if they were not.
        named = {line.partner_org_id for line, _amount in lines} - grant.organisation_ids
        for organization_id in sorted(named):
            grant.partners.append(GrantPartner(organization_id=organization_id))
        version = BudgetVersion(number=1, approved_on=data.starts_on, approved_by=by,
                                note=AWARDED_NOTE)
        grant.versions.append(version)
        grant.lines.extend(line for line, _amount in lines)
        db.session.flush()
        for line, amount in lines:
            version.amounts.append(LineAmount(line_id=line.id, amount_minor=amount))
    db.session.flush()
    return grant


def check_flexibility(percent: Decimal) -> None:
    """A flexibility is a percentage from 0 to 100 with at most two decimals."""
    if not Decimal(0) <= percent <= Decimal(100) or percent != percent.quantize(Decimal("0.01")):
        raise GrantError(_("The flexibility is a percentage from 0 to 100."),
                         field="flexibility_percent")


def current_amounts(grant: Grant) -> dict[int, int]:
    """Each line's amount (by line id) in the grant's current budget version."""
    version = grant.current_version
    if version is None:
        return {}
    rows = db.session.execute(select(LineAmount.line_id, LineAmount.amount_minor)
                              .where(LineAmount.version_id == version.id))
    return {row.line_id: row.amount_minor for row in rows}


def _check_new_line(grant: Grant, line: NewLineInput, codes: set[str]) -> None:
    code = line.code.strip()
    if not CODE_PATTERN.fullmatch(code) or len(code) > MAX_CODE_LENGTH:
        raise GrantError(_("A line's code is made of numbers or letters separated by dots, "
                           "such as 1.1 (at most %(n)d characters).", n=MAX_CODE_LENGTH),
                         field="code")
    if code in codes:
        raise GrantError(_("The budget already has a line %(code)s.", code=code), field="code")
    if line.partner_org_id not in grant.organisation_ids:
        raise GrantError(_("A line is spent by the holder or one of the sub-grantees."),
                         field="partner_org_id")
    if not line.donor_category.strip():
        raise GrantError(_("Choose the donor's category."), field="donor_category")
    if line.year < 1:
        raise GrantError(_("The year of the project starts at 1."), field="year")
    codes.add(code)


def revise_budget(grant: Grant, data: RevisionInput, *, by: User | None) -> BudgetVersion:
    """Record a revised budget the donor approved, as the next version; it must add up."""
    codes = {line.code: line for line in grant.lines}
    unknown = set(data.amounts) - set(codes)
    if unknown:
        raise GrantError(_("The budget has no line %(code)s.", code=sorted(unknown)[0]),
                         field="amounts")
    taken = set(codes)
    for new_line in data.new_lines:
        _check_new_line(grant, new_line, taken)
    previous = current_amounts(grant)
    amounts = {code: data.amounts.get(code, previous.get(line.id, 0))
               for code, line in codes.items()}
    amounts.update({line.code.strip(): line.amount_minor for line in data.new_lines})
    if any(amount < 0 for amount in amounts.values()):
        raise GrantError(_("A line's amount cannot be negative."), field="amounts")
    total = sum(amounts.values())
    if total != grant.awarded_minor:
        raise BudgetDoesNotAddUp(
            _("The lines add up to %(total)s, not to the award of %(award)s.",
              total=format_money(Money.stored(total, grant.currency)),
              award=format_money(Money.stored(grant.awarded_minor, grant.currency))),
            field="amounts")
    if grant.current_version and data.approved_on < grant.current_version.approved_on:
        raise GrantError(_("A revision cannot be approved before the version it replaces."),
                         field="approved_on")
    number = (db.session.scalar(select(func.max(BudgetVersion.number))
                                .where(BudgetVersion.grant_id == grant.id)) or 0) + 1
    position = len(grant.lines)
    for offset, new_line in enumerate(data.new_lines):
        grant.lines.append(GrantLine(
            code=new_line.code.strip(), position=position + offset,
            description_en=new_line.description_en.strip(),
            description_ru=new_line.description_ru.strip(),
            donor_category=new_line.donor_category.strip(),
            partner_org_id=new_line.partner_org_id, year=new_line.year, spent_minor=0))
    version = BudgetVersion(number=number, approved_on=data.approved_on, approved_by=by,
                            donor_reference=data.donor_reference.strip(),
                            note=data.note.strip())
    grant.versions.append(version)
    db.session.flush()
    for line in grant.lines:
        version.amounts.append(LineAmount(line_id=line.id, amount_minor=amounts[line.code]))
    db.session.flush()
    return version


@dataclass(frozen=True)
class GrantUpdate:
    """What may change in an open grant: its reference, flexibility, sub-grantees, status."""

    reference: str
    flexibility_percent: Decimal
    partner_org_ids: tuple[int, ...]
    status: GrantStatus


def _partner_in_use(grant: Grant, organization_id: int) -> bool:
    """True when the grant has lines, expenditures or tranches of the organisation."""
    queries = (
        select(GrantLine.id).where(GrantLine.grant_id == grant.id,
                                   GrantLine.partner_org_id == organization_id),
        select(Expenditure.id).where(Expenditure.grant_id == grant.id,
                                     Expenditure.partner_org_id == organization_id),
        select(Transfer.id).where(Transfer.grant_id == grant.id,
                                  Transfer.partner_org_id == organization_id),
    )
    return any(db.session.scalar(query.limit(1)) is not None for query in queries)


def update_grant(grant: Grant, data: GrantUpdate) -> Grant:
    """Change a grant's reference, flexibility, sub-grantees (removing only unused ones), status."""
    reference = _check_reference(data.reference, grant)
    check_flexibility(data.flexibility_percent)
    wanted = set(data.partner_org_ids)
    if grant.holder_org_id in wanted:
        raise GrantError(_("The holder is not its own sub-grantee."), field="partner_org_ids")
    known = set(db.session.scalars(select(Organization.id).where(Organization.id.in_(wanted))))
    if wanted - known:
        raise GrantError(_("Choose sub-grantees from the list."), field="partner_org_ids")
    for partner in list(grant.partners):
        if partner.organization_id in wanted:
            continue
        if _partner_in_use(grant, partner.organization_id):
            raise GrantError(_("%(name)s has budget lines, expenditures or transfers in this "
                               "grant, so it stays a sub-grantee.",
                               name=partner.organization.name), field="partner_org_ids")
        grant.partners.remove(partner)
    present = {partner.organization_id for partner in grant.partners}
    for organization_id in sorted(wanted - present):
        grant.partners.append(GrantPartner(organization_id=organization_id))
    grant.reference = reference
    grant.flexibility_percent = data.flexibility_percent
    grant.status = data.status
    db.session.flush()
    return grant
