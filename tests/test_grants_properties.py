"""Property tests of a grant's figures, on SQLite and on PostgreSQL: random budgets,
revisions, expenditures in several currencies and tranches; every figure of the budget
against actual equals a model computed here with Decimal from the one rule, to the minor
unit, and the identities hold.

The model is written from the rule (tracker/money/conversion.py) and nothing else: an
expenditure with the bank's rate is its amount times that rate (cut to 28 significant
digits, as stored) rounded half away from zero to the cent; any other is converted at
the latest rate on or before its date (the direct pair preferred on the same day, else
the inverse of the opposite pair to 34 significant digits), the exact product rounded
once the same way. Only approved expenditures count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.factories import make_campaign, make_org
from tracker.applications import services as applications
from tracker.applications.budget_models import ApplicationBudgetLine
from tracker.applications.models import ApplicationStatus
from tracker.campaigns.models import PartnerRole
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.grants.models import Expenditure, ExpenditureStatus, Grant
from tracker.money.rates import add_rate
from tracker.money.value import Money
from tracker.orgs.models import OrgKind

GRANT_STARTS, GRANT_ENDS = date(2027, 1, 1), date(2028, 12, 31)
PERIODS = ((date(2027, 1, 1), date(2027, 12, 31)), (date(2028, 1, 1), date(2028, 12, 31)))
# Rates as recorded, one unit of the first currency in the second. MDL, KZT and RUB are
# mostly known against USD the other way round (the inverse serves); EUR directly; on
# 2027-06-01 KZT has both pairs (the direct one wins); RUB→USD directly from 2028.
RATES: dict[tuple[str, str], dict[date, Decimal]] = {
    ("USD", "MDL"): {date(2027, 1, 1): Decimal("17.85"), date(2027, 7, 1): Decimal("18.10"),
                     date(2028, 3, 15): Decimal("17.6543")},
    ("EUR", "USD"): {date(2027, 1, 1): Decimal("1.0850"), date(2028, 1, 1): Decimal("1.1123")},
    ("USD", "KZT"): {date(2027, 1, 1): Decimal("505.20"), date(2027, 6, 1): Decimal("498.7")},
    ("KZT", "USD"): {date(2027, 6, 1): Decimal("0.002007")},
    ("USD", "RUB"): {date(2027, 1, 1): Decimal("92.40")},
    ("RUB", "USD"): {date(2028, 1, 1): Decimal("0.010823")},
}
CURRENCIES = ["USD", "MDL", "EUR", "KZT", "RUB"]
CATEGORIES = ["15-00", "17-00", "21-00", "45-00", "51-00"]
SPENDERS = ["hub", "moldova", "kazakh"]
CENT = Decimal("0.01")


def model_rate(currency: str, on: date) -> Decimal:
    """Units of USD per unit of `currency` on a day, by the one rule (no pivot needed)."""
    direct = [day for day in RATES.get((currency, "USD"), {}) if day <= on]
    opposite = [day for day in RATES.get(("USD", currency), {}) if day <= on]
    if direct and (not opposite or max(direct) >= max(opposite)):
        return RATES[(currency, "USD")][max(direct)]
    with localcontext() as ctx:
        ctx.prec = 34
        return Decimal(1) / RATES[("USD", currency)][max(opposite)]


def model_grant_minor(minor: int, currency: str, on: date, bank_rate: Decimal | None) -> int:
    """The expenditure's amount in USD cents, recomputed from the rule."""
    if currency == "USD":
        return minor
    with localcontext() as ctx:
        ctx.prec = 28
        rate = +bank_rate if bank_rate is not None else model_rate(currency, on)
    with localcontext() as ctx:
        ctx.prec = 120
        exact = Decimal(minor).scaleb(-2) * rate
        return int(exact.quantize(CENT, rounding=ROUND_HALF_UP).scaleb(2))


@pytest.fixture
def base(app):
    """The hub, two partners, UNIDO and a campaign, and the rates; each example adds a grant."""
    hub = make_org(slug="prop-hub", country="RU", kind=OrgKind.HUB)
    moldova = make_org(slug="prop-moldova", country="MD")
    kazakh = make_org(slug="prop-kazakh", country="KZ")
    donor = make_org(slug="unido", country="AT", kind=OrgKind.INTERGOVERNMENTAL)
    campaign = make_campaign(lead=hub, slug="prop-campaign",
                             partners=[(moldova, PartnerRole.PARTNER),
                                       (kazakh, PartnerRole.PARTNER)])
    for (base_code, quote), by_day in RATES.items():
        for on, rate in by_day.items():
            add_rate(on, base_code, quote, rate, "Property test")
    db.session.commit()
    return {"hub": hub, "moldova": moldova, "kazakh": kazakh, "donor": donor,
            "campaign": campaign}


def open_random_grant(base, lines, award_minor: int) -> Grant:
    """An awarded application with these lines, opened as a grant (flushed, not committed)."""
    orgs = base
    application = applications.create_application(applications.ApplicationInput(
        campaign_id=orgs["campaign"].id, donor_org_id=orgs["donor"].id,
        applicant_org_id=orgs["hub"].id, title_en="Property", title_ru="Свойство",
        requested=Decimal("1000"), currency="USD", project_starts_on=GRANT_STARTS,
        project_ends_on=GRANT_ENDS))
    applications.move(application, ApplicationStatus.DRAFTING, by=None)
    for category, spender, year, cost_minor in lines:
        applications.add_budget_line(application, applications.BudgetLineInput(
            year=year, donor_category=category, quantity=Decimal(1),
            unit_cost=Decimal(cost_minor).scaleb(-2), currency="USD",
            description_en=f"{category} {spender}", partner_org_id=orgs[spender].id))
    for step in (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW):
        applications.move(application, step, by=None)
    applications.move(application, ApplicationStatus.AWARDED, by=None,
                      awarded=Money.stored(award_minor, "USD"))
    return grants.open_grant(application, grants.GrantInput(
        reference="PROP-1", holder_org_id=orgs["hub"].id,
        partner_org_ids=(orgs["moldova"].id, orgs["kazakh"].id),
        starts_on=GRANT_STARTS, ends_on=GRANT_ENDS,
        periods=tuple(grants.PeriodInput(start, end, end + timedelta(days=31))
                      for start, end in PERIODS)), by=None)


def split(total: int, weights: list[int]) -> list[int]:
    """`total` split by weights, the rest on the first part (a revision that adds up)."""
    whole = sum(weights) or 1
    parts = [total * weight // whole for weight in weights]
    parts[0] += total - sum(parts)
    return parts


line = st.tuples(st.sampled_from(CATEGORIES), st.sampled_from(SPENDERS), st.integers(1, 2),
                 st.integers(1, 5_000_000))
revision = st.tuples(st.integers(0, 729), st.lists(st.integers(0, 9), min_size=1,
                                                    max_size=12),
                     st.none() | st.sampled_from(SPENDERS))
bank_rate = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("2"), places=6)
# What happens to an expenditure after it is recorded, its status at the end.
PATHS = {
    "submitted": (), "approved": ("approve",), "approved-returned": ("approve", "return"),
    "returned": ("return",), "returned-again": ("return", "resubmit"),
    "approved-twice": ("approve", "return", "resubmit", "approve"),
}
expenditure = st.tuples(st.integers(0, 20), st.sampled_from(CURRENCIES),
                        st.integers(1, 3_000_000), st.integers(0, 729),
                        st.none() | bank_rate, st.sampled_from(sorted(PATHS)))
tranche = st.tuples(st.sampled_from(["moldova", "kazakh"]), st.integers(1, 2_000_000),
                    st.booleans())

# Shrinking replays database writes: keep it short, the first failure is reported anyway.
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                             phases=[Phase.explicit, Phase.generate, Phase.shrink],
                             suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])


def _sums(items: Iterable[tuple[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for key, minor in items:
        totals[key] += minor
    return dict(totals)


@PROPERTY_SETTINGS
@given(lines=st.lists(line, min_size=1, max_size=6), award=st.integers(100, 20_000_000),
       revisions=st.lists(revision, max_size=2), spending=st.lists(expenditure, max_size=10),
       tranches=st.lists(tranche, max_size=4), probe=st.integers(0, 729))
def test_every_figure_equals_the_decimal_model_and_the_identities_hold(
        base, lines, award, revisions, spending, tranches, probe):
    nested = db.session.begin_nested()
    try:
        check_example(base, lines, award, revisions, spending, tranches, probe)
    finally:
        nested.rollback()


def check_example(base, lines, award, revisions, spending, tranches, probe) -> None:
    grant = open_random_grant(base, lines, award)
    orgs = {key: base[key].id for key in SPENDERS}
    country = {base["hub"].id: "RU", base["moldova"].id: "MD", base["kazakh"].id: "KZ"}

    # Version 1: the application's lines scaled to the award, adding up to it exactly.
    first = grants.current_amounts(grant)
    assert sum(first.values()) == award
    requested = dict(db.session.execute(
        select(ApplicationBudgetLine.id, ApplicationBudgetLine.requested_minor)
        .where(ApplicationBudgetLine.application_id == grant.application_id)).all())
    total_requested = sum(requested.values())
    assert total_requested == sum(cost for *_, cost in lines)
    for grant_line in grant.lines:
        # Each line's share of the award, within one cent of the exact proportion.
        exact = Decimal(requested[grant_line.source_line_id] * award) / total_requested
        assert abs(first[grant_line.id] - exact) < 1

    # Revisions in date order; each adds up to the award (sometimes with a new line).
    versions: list[tuple[date, dict[str, int]]] = [
        (GRANT_STARTS, {gl.code: first[gl.id] for gl in grant.lines})]
    for number, (offset, weights, new_for) in enumerate(sorted(revisions), start=2):
        approved_on = max(GRANT_STARTS + timedelta(days=offset), versions[-1][0])
        codes = [gl.code for gl in grant.lines]
        new_lines: tuple[grants.NewLineInput, ...] = ()
        if new_for is not None:
            codes.append(f"9.{number}")
        parts = split(award, [weights[i % len(weights)] + 1 for i in range(len(codes))])
        amounts = dict(zip(codes, parts, strict=True))
        if new_for is not None:
            new_lines = (grants.NewLineInput(code=f"9.{number}", donor_category="51-00",
                                             partner_org_id=orgs[new_for],
                                             amount_minor=amounts.pop(f"9.{number}")),)
        grants.revise_budget(grant, grants.RevisionInput(
            approved_on=approved_on, amounts=amounts, new_lines=new_lines), by=None)
        versions.append((approved_on, {**amounts, **{nl.code: nl.amount_minor
                                                      for nl in new_lines}}))
    db.session.refresh(grant)
    line_of = {gl.code: gl for gl in grant.lines}
    codes = sorted(line_of)

    # Expenditures with random fates; the model keeps the approved ones' USD cents.
    approved: list[tuple[str, date, int]] = []  # (code, day, cents)
    for index, (line_index, currency, minor, offset, rate, path) in enumerate(spending):
        code = codes[line_index % len(codes)]
        on = GRANT_STARTS + timedelta(days=offset)
        data = grants.ExpenditureInput(
            line_code=code, partner_org_id=line_of[code].partner_org_id, spent_on=on,
            amount=Money.stored(minor, currency), document_number=f"D-{index}",
            bank_rate=rate if currency != "USD" else None)
        made = grants.record_expenditure(grant, data, by=None)
        expected = model_grant_minor(minor, currency, on, data.bank_rate)
        assert made.grant_amount_minor == expected, (currency, minor, on, rate)
        for step in PATHS[path]:
            if step == "approve":
                grants.approve_expenditure(made, by=None)
            elif step == "return":
                grants.return_expenditure(made, "Check the receipt", by=None)
            else:
                grants.update_expenditure(made, data, by=None)
        if PATHS[path] and PATHS[path][-1] == "approve":
            approved.append((code, on, expected))

    # Tranches: planned or sent; each partner's balance is sent − spent.
    sent: dict[int, int] = defaultdict(int)
    planned: dict[int, int] = defaultdict(int)
    for partner, minor, was_sent in tranches:
        grants.record_transfer(grant, grants.TransferInput(
            partner_org_id=orgs[partner], planned_on=date(2027, 2, 1),
            amount=Money.stored(minor, "USD"),
            sent_on=date(2027, 2, 3) if was_sent else None))
        (sent if was_sent else planned)[orgs[partner]] += minor

    db.session.expire_all()
    grant = db.session.get(Grant, grant.id)
    assert grant is not None

    # The roll-ups equal the SQL sums of approved expenditures.
    assert grant.spent_minor == sum(cents for *_, cents in approved) == (db.session.scalar(
        select(func.coalesce(func.sum(Expenditure.grant_amount_minor), 0)).where(
            Expenditure.grant_id == grant.id,
            Expenditure.status == ExpenditureStatus.APPROVED)))
    for gl in grant.lines:
        assert gl.spent_minor == sum(c for code, _, c in approved if code == gl.code)

    # Balances: a partner's is sent − spent; the holder's is award − sent − its own.
    spent_by = _sums((str(line_of[code].partner_org_id), c) for code, _, c in approved)
    balances = {row.organization_id: row for row in grants.partner_balances(grant)}
    for org_id, row in balances.items():
        own = spent_by.get(str(org_id), 0)
        assert row.spent_minor == own
        if row.is_holder:
            assert row.balance_minor == award - sum(sent.values()) - own
            assert row.planned_minor == sum(planned.values())
        else:
            assert row.balance_minor == sent[org_id] - own
            assert row.planned_minor == planned[org_id]
    assert sum(row.balance_minor for row in balances.values()) == award - grant.spent_minor
    by_country = grants.country_balances(balances.values())
    assert sum(row.balance_minor for row in by_country) == award - grant.spent_minor

    # Budget against actual: each period, and "to date" on a random day.
    windows = [(grant.periods[0], None), (grant.periods[1], None),
               (None, GRANT_STARTS + timedelta(days=probe))]
    in_periods = 0
    for period, on in windows:
        result = grants.budget_against_actual(grant, period, on=on)
        ends = period.ends_on if period is not None else on
        assert ends is not None
        starts = (period.starts_on if period is not None
                  else next(s for s, e in PERIODS if s <= ends <= e))
        in_force = [amounts for day, amounts in versions if day <= ends] or [versions[0][1]]
        version_amounts = in_force[-1]
        model: dict[str, tuple[int, int, int]] = {}
        for code in codes:
            model[code] = (
                version_amounts.get(code, 0),
                sum(c for k, d, c in approved if k == code and starts <= d <= ends),
                sum(c for k, d, c in approved if k == code and d <= ends))
        got = {row.code: (row.figures.approved_minor, row.figures.spent_in_period_minor,
                          row.figures.spent_to_date_minor) for row in result.lines}
        assert got == model
        for row in result.lines:
            assert row.figures.remaining_minor == (row.figures.approved_minor
                                                   - row.figures.spent_to_date_minor)

        def grouped(key, model=model) -> dict[str, tuple[int, int, int]]:
            sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
            for code, figures in model.items():
                for i in range(3):
                    sums[key(line_of[code])][i] += figures[i]
            return {k: tuple(v) for k, v in sums.items()}  # type: ignore[misc]

        def figures_of(rows) -> dict[str, tuple[int, int, int]]:
            return {row.key: (row.figures.approved_minor, row.figures.spent_in_period_minor,
                              row.figures.spent_to_date_minor) for row in rows}

        assert figures_of(result.categories) == grouped(lambda gl: gl.donor_category)
        assert figures_of(result.partners) == grouped(lambda gl: str(gl.partner_org_id))
        assert figures_of(result.countries) == grouped(lambda gl: country[gl.partner_org_id])
        total = tuple(sum(figures[i] for figures in model.values()) for i in range(3))
        assert (result.total.approved_minor, result.total.spent_in_period_minor,
                result.total.spent_to_date_minor) == total
        assert total[0] == award
        for rows in (result.lines, result.categories, result.partners, result.countries):
            for i, name in enumerate(("approved_minor", "spent_in_period_minor",
                                      "spent_to_date_minor")):
                assert sum(getattr(row.figures, name) for row in rows) == total[i]
        assert result.total.remaining_minor == total[0] - total[2]
        if period is not None:
            in_periods += result.total.spent_in_period_minor
            if period.number == len(PERIODS):
                assert in_periods == result.total.spent_to_date_minor == grant.spent_minor
