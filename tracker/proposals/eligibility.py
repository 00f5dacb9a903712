"""Checks of an application against its funding call's rules, before a proposal is printed.

Each check passes, fails, or cannot be made (a missing date or exchange rate): only a
passed check counts as passed. A final proposal is printed while any check has not
passed only with a stated reason (services.print_final records it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.applications.models import Application, FundingCall
from tracker.applications.services import budget_totals
from tracker.db import LabeledEnum, utcnow
from tracker.i18n import country_name, format_day, format_money
from tracker.money.services import RateMissing, convert


class CheckStatus(LabeledEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @classmethod
    def labels(cls):
        return {
            cls.PASSED: _l("Passed"),
            cls.FAILED: _l("Failed"),
            cls.UNKNOWN: _l("Cannot be checked"),
        }


@dataclass(frozen=True)
class Check:
    """One rule of the call applied to the application: what, the outcome, and why."""

    code: str
    label: str
    status: CheckStatus
    detail: str

    @property
    def passed(self) -> bool:
        return self.status is CheckStatus.PASSED


@dataclass(frozen=True)
class Checklist:
    """Every check of an application against its call (none without a call)."""

    call: FundingCall | None
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """True when every check passed (an application without a call has nothing to fail)."""
        return all(check.passed for check in self.checks)

    @property
    def not_passed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)


def project_months(starts_on: date, ends_on: date) -> int:
    """How many months a project lasts, a started month counting whole (1 Jul-30 Jun: 12)."""
    months = (ends_on.year - starts_on.year) * 12 + ends_on.month - starts_on.month
    return months + (1 if ends_on.day >= starts_on.day else 0)


def _names(codes: list[str], language: str) -> str:
    return ", ".join(country_name(code, language) for code in codes)


def _amount(application: Application, call: FundingCall, on: date, language: str) -> Check:
    label = _("Amount within the call's limits")
    low, high = call.min_amount, call.max_amount
    requested = application.requested
    money = lambda value: format_money(value, language)  # noqa: E731
    if low is None and high is None:
        return Check("amount", label, CheckStatus.PASSED,
                     _("The call sets no limits on the amount."))
    try:
        in_call = convert(requested, call.currency, on).converted
    except RateMissing as error:
        return Check("amount", label, CheckStatus.UNKNOWN,
                     _("%(error)s The request in %(currency)s cannot be compared with the "
                       "call's limits.", error=error.message, currency=requested.currency))
    shown = money(requested) if in_call == requested else _(
        "%(amount)s (%(converted)s)", amount=money(requested), converted=money(in_call))
    if low is not None and in_call.amount < low.amount:
        return Check("amount", label, CheckStatus.FAILED,
                     _("%(amount)s requested: less than the call's minimum of %(low)s.",
                       amount=shown, low=money(low)))
    if high is not None and in_call.amount > high.amount:
        return Check("amount", label, CheckStatus.FAILED,
                     _("%(amount)s requested: more than the call's maximum of %(high)s.",
                       amount=shown, high=money(high)))
    if low is not None and high is not None:
        limits = _("from %(low)s to %(high)s", low=money(low), high=money(high))
    elif high is not None:
        limits = _("up to %(high)s", high=money(high))
    else:
        limits = _("at least %(low)s", low=money(low))
    return Check("amount", label, CheckStatus.PASSED,
                 _("%(amount)s requested; the call allows %(limits)s.", amount=shown,
                   limits=limits))


def _budget(application: Application, language: str) -> Check:
    label = _("Budget that adds up")
    totals = budget_totals(application, language)
    if totals.empty:
        return Check("budget", label, CheckStatus.FAILED,
                     _("The application has no budget yet: the proposal cannot show what the "
                       "project costs, nor what is asked of the donor."))
    overall = totals.overall
    money = lambda value: format_money(value, language)  # noqa: E731
    return Check("budget", label, CheckStatus.PASSED,
                 _("Total cost %(total)s = %(requested)s requested + %(cofinancing)s "
                   "co-financing.", total=money(overall.total),
                   requested=money(overall.requested), cofinancing=money(overall.cofinancing)))


def _duration(application: Application, call: FundingCall) -> Check:
    label = _("Duration within the call's maximum")
    limit = call.max_duration_months
    if limit is None:
        return Check("duration", label, CheckStatus.PASSED,
                     _("The call sets no maximum duration."))
    starts, ends = application.project_starts_on, application.project_ends_on
    if starts is None or ends is None:
        return Check("duration", label, CheckStatus.UNKNOWN,
                     _("Give the project's start and end dates: the call allows at most "
                       "%(limit)s months.", limit=limit))
    months = project_months(starts, ends)
    if months > limit:
        return Check("duration", label, CheckStatus.FAILED,
                     _("%(months)s months: longer than the call's maximum of %(limit)s months.",
                       months=months, limit=limit))
    return Check("duration", label, CheckStatus.PASSED,
                 _("%(months)s months; the call allows at most %(limit)s months.",
                   months=months, limit=limit))


def _applicant(application: Application, call: FundingCall) -> Check:
    label = _("Applicant eligible")
    kinds = call.eligible_kinds
    kind = application.applicant.kind
    if not kinds:
        return Check("applicant_kind", label, CheckStatus.PASSED,
                     _("The call is open to any kind of applicant."))
    allowed = ", ".join(str(item.label) for item in kinds)
    if kind not in kinds:
        return Check("applicant_kind", label, CheckStatus.FAILED,
                     _("The call is open to: %(allowed)s; the applicant is: %(kind)s.",
                       allowed=allowed, kind=kind.label))
    return Check("applicant_kind", label, CheckStatus.PASSED,
                 _("%(kind)s: among those the call is open to (%(allowed)s).",
                   kind=kind.label, allowed=allowed))


def _single_country(application: Application, call: FundingCall, language: str) -> Check:
    label = _("One country where the call requires it")
    countries = list(application.countries or ())
    if not call.single_country:
        return Check("single_country", label, CheckStatus.PASSED,
                     _("The call allows projects in several countries."))
    if not countries:
        return Check("single_country", label, CheckStatus.UNKNOWN,
                     _("Choose the project's country: the call funds one country per "
                       "application."))
    if len(countries) > 1:
        return Check("single_country", label, CheckStatus.FAILED,
                     _("The call funds one country per application; this one names "
                       "%(count)s: %(names)s.", count=len(countries),
                       names=_names(countries, language)))
    return Check("single_country", label, CheckStatus.PASSED,
                 _("One country: %(name)s.", name=_names(countries, language)))


def _countries(application: Application, call: FundingCall, language: str) -> Check:
    label = _("Countries covered by the call")
    allowed = list(call.countries or ())
    countries = list(application.countries or ())
    if not allowed:
        return Check("countries", label, CheckStatus.PASSED,
                     _("The call is open to every country."))
    if not countries:
        return Check("countries", label, CheckStatus.UNKNOWN,
                     _("Choose the project's countries to compare them with the call's."))
    outside = [code for code in countries if code not in allowed]
    if outside:
        return Check("countries", label, CheckStatus.FAILED,
                     _("Not among the call's countries: %(names)s.",
                       names=_names(outside, language)))
    return Check("countries", label, CheckStatus.PASSED,
                 _("%(names)s: all among the call's countries.",
                   names=_names(countries, language)))


def _deadline(application: Application, call: FundingCall, today: date, language: str
              ) -> Check:
    label = _("Deadline not passed")
    deadline = call.deadline
    shown = format_day(deadline, language)
    submitted = application.submitted_on
    if submitted is not None:
        if submitted <= deadline:
            return Check("deadline", label, CheckStatus.PASSED,
                         _("Submitted on %(submitted)s, before the deadline of %(deadline)s.",
                           submitted=format_day(submitted, language), deadline=shown))
        return Check("deadline", label, CheckStatus.FAILED,
                     _("Submitted on %(submitted)s, after the deadline of %(deadline)s.",
                       submitted=format_day(submitted, language), deadline=shown))
    if deadline < today:
        return Check("deadline", label, CheckStatus.FAILED,
                     _("The deadline passed on %(deadline)s.", deadline=shown))
    days = (deadline - today).days
    return Check("deadline", label, CheckStatus.PASSED,
                 _("Deadline %(deadline)s, in %(days)s days.", deadline=shown, days=days))


def check_application(application: Application, *, language: str,
                      today: date | None = None) -> Checklist:
    """The application checked against its call, worded in `language` (none without a call)."""
    call = application.call
    if call is None:
        return Checklist(None, ())
    today = today or utcnow().date()
    with force_locale(language):
        checks = (
            _amount(application, call, today, language),
            _budget(application, language),
            _duration(application, call),
            _applicant(application, call),
            _single_country(application, call, language),
            _countries(application, call, language),
            _deadline(application, call, today, language),
        )
    return Checklist(call, checks)

