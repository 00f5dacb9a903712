"""An application's own budget: lines by project year and donor category, split between the
amount requested and co-financing by source; the proposal prints it and adds up.

Finding 3 of issue 10 was reproduced on the demo: the XRF campaign's UNDP proposal said
total cost 41,275.25 $, requested 40,000 $ and co-financing 2,382.43 $ (the total less than
its parts), printed the whole campaign's targets (Jan 2027 – Aug 2028) as the budget in one
flat list without years, shares or UNDP's categories, and the campaign's money in KZT and €.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.applications_support import make_application, make_coalition
from tests.auth_support import login, make_user
from tests.factories import make_campaign, make_line, make_org, make_target
from tests.proposals_support import flat, pdf_pages
from tracker.applications import services
from tracker.applications.budget_models import ApplicationBudgetLine, CofinancingSource
from tracker.applications.models import Application
from tracker.auth.models import Role
from tracker.demo.proposals import SP_TITLE, UNDP_TITLE
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.services import add_rate
from tracker.money.value import Money
from tracker.orgs.models import Organization, OrgKind
from tracker.proposals import services as proposals
from tracker.proposals.eligibility import CheckStatus, check_application
from tracker.proposals.registry import template_for
from tracker.targets.models import BudgetCategory, BudgetUnit

_serial = itertools.count(1)


def _amounts(text: str, label: str, language: str) -> Decimal:
    """The first amount printed after a label ('$46,460.02' or '46 460,02 $')."""
    match = re.search(re.escape(label) + r"\s*\$?\s*([\d][\d ,.]*\d)", text)
    assert match, (label, text[:2000])
    digits = match.group(1)
    if language == "en":
        return Decimal(digits.replace(",", ""))
    return Decimal(digits.replace(" ", "").replace(",", "."))


# The demo: the UNDP proposal's cover adds up ------------------------------------------------


def test_the_demo_undp_proposal_prints_its_own_budget_and_its_cover_adds_up(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    application = db.session.scalar(select(Application).where(Application.title_en == UNDP_TITLE))
    totals = services.budget_totals(application)
    overall = totals.overall
    assert overall.requested == Money(Decimal("40000"), "USD") == application.requested
    assert overall.total == overall.requested + overall.cofinancing
    assert sorted(totals.by_year) == [1, 2]
    assert set(totals.by_source) == {CofinancingSource.CROWDFUNDING,
                                     CofinancingSource.OWN_FUNDS, CofinancingSource.IN_KIND}
    template = template_for(application)
    labels = {"en": ("Total cost", "Amount requested", "Co-financing"),
              "ru": ("Общая стоимость", "Запрашиваемая сумма", "Софинансирование")}
    for language in ("en", "ru"):
        html = proposals.proposal_html(application, language=language, template=template,
                                       draft=True)
        text = flat(pdf_pages(proposals.render_html(html)))
        cover = text[text.index(labels[language][0]):]
        total, requested, cofinancing = (_amounts(cover, label, language)
                                         for label in labels[language])
        assert total == requested + cofinancing, (language, total, requested, cofinancing)
        assert (total, requested, cofinancing) == (
            overall.total.amount, overall.requested.amount, overall.cofinancing.amount)
        # By year and in UNDP's categories, with both columns; the rouble line's rate shown.
        year = "Year" if language == "en" else "Год"
        assert f"{year} 1" in text and f"{year} 2" in text
        assert "71400" in text and "72100" in text and "75700" in text
        assert ("1 USD = 86.3 RUB" if language == "en" else "1 USD = 86,3 RUB") in text
        # Only the project's budget: a campaign line outside it is not printed, nor the
        # campaign's money in other currencies.
        assert "Drinking-water sampling in Atyrau region" not in text
        assert "Отбор проб питьевой воды в Атырауской области" not in text
        assert "KZT" not in text and "€" not in text and "₸" not in text
    # The Special Programme's application has no budget: its proposal says so, and the
    # checklist flags it, instead of printing the campaign's targets as its budget.
    special = db.session.scalar(select(Application).where(Application.title_en == SP_TITLE))
    html = proposals.proposal_html(special, language="en", template=template_for(special),
                                   draft=True)
    assert "This application has no budget yet." in html
    checks = {check.code: check for check in check_application(special, language="en").checks}
    assert checks["budget"].status is CheckStatus.FAILED
    assert "Drinking-water sampling in Atyrau region" not in html


# The service's rules -------------------------------------------------------------------------


@pytest.fixture
def world(app):
    coalition = make_coalition()
    target = make_target(coalition.campaign, currency="USD", starts_on=date(2027, 1, 1),
                         ends_on=date(2027, 12, 31))
    make_line(target, quantity="2", unit_cost="720", description="Flights",
              partner_org_id=coalition.tajik.id, category=BudgetCategory.TRAVEL)
    earlier = make_target(coalition.campaign, currency="USD", starts_on=date(2025, 1, 1),
                          ends_on=date(2025, 12, 31))
    make_line(earlier, quantity="1", unit_cost="999", description="Old survey")
    application = make_application(coalition.campaign, coalition.undp, coalition.kazakh,
                                   project_starts_on=date(2027, 6, 1),
                                   project_ends_on=date(2028, 11, 30))
    db.session.commit()
    return coalition, application


def _line(**overrides) -> services.BudgetLineInput:
    values = {"year": 1, "donor_category": "71400", "quantity": Decimal("10"),
              "unit_cost": Decimal("100"), "currency": "USD", "description_en": "Coordinator",
              "unit": BudgetUnit.MONTH}
    values.update(overrides)
    return services.BudgetLineInput(**values)


def test_lines_are_taken_from_the_targets_overlapping_the_project_mapped_and_fully_requested(
        world):
    coalition, application = world
    offered = services.campaign_lines(application)
    assert [item.line.description_en for item in offered] == ["Flights"]  # not 2025's
    services.take_campaign_lines(application, [offered[0].line.id])
    line = db.session.scalar(select(ApplicationBudgetLine))
    assert (line.donor_category, line.year, line.partner_org_id) == (
        "71600", 1, coalition.tajik.id)
    assert line.requested == line.total == Money(Decimal("1440"), "USD")
    assert application.requested == Money(Decimal("1440"), "USD")
    # Taken again: nothing new.
    services.take_campaign_lines(application, [offered[0].line.id])
    assert len(services.budget_lines(application)) == 1


def test_a_line_whose_parts_do_not_add_up_is_refused_and_nothing_changes(world):
    coalition, application = world
    with pytest.raises(DomainError) as refused:
        services.add_budget_line(application, _line(
            requested=Decimal("600"),
            shares=(services.ShareInput(CofinancingSource.OWN_FUNDS, Decimal("300"),
                                        partner_org_id=coalition.hub.id),)))
    assert refused.value.message == ("The amount requested ($600.00) and the co-financing "
                                     "($300.00) add up to $900.00, not to the line's total "
                                     "cost of $1,000.00.")
    assert services.budget_lines(application) == []
    assert application.requested == Money(Decimal("50000"), "USD")
    with pytest.raises(DomainError, match="more than the line's total cost"):
        services.add_budget_line(application, _line(shares=(services.ShareInput(
            CofinancingSource.IN_KIND, Decimal("1000.01")),)))
    with pytest.raises(DomainError, match="project year from 1 to 2"):
        services.add_budget_line(application, _line(year=3))
    with pytest.raises(DomainError, match="donor's budget categories"):
        services.add_budget_line(application, _line(donor_category="staff"))


def test_the_requested_amount_is_the_sum_of_the_requested_column(world, client):
    coalition, application = world
    services.add_budget_line(application, _line(shares=(services.ShareInput(
        CofinancingSource.OWN_FUNDS, Decimal("250"), partner_org_id=coalition.hub.id),)))
    services.add_budget_line(application, _line(year=2, unit_cost=Decimal("30.5")))
    db.session.commit()
    assert application.requested == Money(Decimal("1055"), "USD")  # 750 + 305
    # Typing another amount changes nothing; changing the currency is refused.
    data = services.ApplicationInput(
        campaign_id=application.campaign_id, donor_org_id=application.donor_org_id,
        applicant_org_id=application.applicant_org_id, title_en="X", title_ru="",
        requested=Decimal("99999"), currency="USD", project_starts_on=date(2027, 6, 1),
        project_ends_on=date(2028, 11, 30))
    services.update_application(application, data)
    assert application.requested == Money(Decimal("1055"), "USD")
    with pytest.raises(DomainError, match="The budget is in USD"):
        services.update_application(application, services.ApplicationInput(
            **{**data.__dict__, "currency": "EUR"}))
    # Shortening the project under year 2's line is refused.
    with pytest.raises(DomainError, match="lines in project year 2"):
        services.update_application(application, services.ApplicationInput(
            **{**data.__dict__, "project_ends_on": date(2028, 3, 31)}))


def test_a_line_in_another_currency_is_converted_at_a_dated_rate_or_refused(world):
    _coalition, application = world
    with pytest.raises(DomainError, match="No exchange rate from RUB to USD"):
        services.add_budget_line(application, _line(currency="RUB", unit_cost=Decimal("4500"),
                                                    rate_date=date(2026, 10, 1)))
    add_rate(date(2026, 10, 1), "USD", "RUB", Decimal("86.30"), "Central bank")
    line = services.add_budget_line(application, _line(
        currency="RUB", unit_cost=Decimal("4500"), quantity=Decimal("28"),
        rate_date=date(2026, 12, 1)))
    # 126,000 RUB / 86.30 = 1,460.023… rounded half away from zero to the cent.
    assert line.cost == Money(Decimal("126000"), "RUB")
    assert line.total == Money(Decimal("1460.02"), "USD")
    assert (line.rate_on, line.rate_source) == (date(2026, 10, 1), "Central bank")


def test_a_budget_that_asks_for_nothing_is_refused(world):
    _coalition, application = world
    with pytest.raises(DomainError, match="asks the donor for nothing"):
        services.add_budget_line(application, _line(shares=(services.ShareInput(
            CofinancingSource.IN_KIND, Decimal("1000")),)))


def test_the_eligibility_checks_read_the_budgets_requested_amount(world):
    coalition, application = world
    application.call_id = coalition.undp_call.id
    db.session.commit()
    checks = {c.code: c for c in check_application(application, language="en").checks}
    assert checks["budget"].status is CheckStatus.FAILED
    services.add_budget_line(application, _line(quantity=Decimal("200"),
                                                unit_cost=Decimal("1000")))
    db.session.commit()
    checks = {c.code: c for c in check_application(application, language="en").checks}
    assert checks["budget"].status is CheckStatus.PASSED
    assert checks["amount"].status is CheckStatus.FAILED
    assert checks["amount"].detail.startswith("$200,000.00 requested: more than")


# The identities, on random budgets in several currencies ---------------------------------------

PROPERTY_SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                             phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])
line_strategy = st.tuples(
    st.integers(1, 2),  # year
    st.sampled_from(["71400", "71600", "72100", "74500"]),
    st.sampled_from(["USD", "RUB", "EUR", "KZT"]),
    st.integers(1, 5000),  # quantity in thousandths
    st.integers(0, 10**7),  # unit cost in minor units
    st.lists(st.tuples(st.sampled_from(list(CofinancingSource)), st.integers(1, 10**6)),
             max_size=3),
)


@PROPERTY_SETTINGS
@given(lines=st.lists(line_strategy, min_size=1, max_size=6))
def test_total_is_requested_plus_cofinancing_per_line_year_category_and_overall(app, lines):
    application = _property_application(next(_serial))
    for code, rate in (("RUB", "86.30"), ("EUR", "0.85"), ("KZT", "524.9")):
        # The examples share the test's transaction: the rates stay from the first.
        with contextlib.suppress(DomainError):
            add_rate(date(2026, 1, 1), "USD", code, Decimal(rate), "Test")
    drive_free = [source for source in CofinancingSource
                  if source is not CofinancingSource.CROWDFUNDING]
    for year, code, currency, quantity, unit_cost, shares in lines:
        data = _line(year=year, donor_category=code, currency=currency,
                     quantity=Decimal(quantity).scaleb(-3),
                     unit_cost=Money.from_minor(unit_cost, currency).amount,
                     rate_date=date(2026, 6, 1))
        try:
            line = services.add_budget_line(application, data)
        except DomainError:
            continue
        # Split it: co-financing shares as long as they fit, the rest requested.
        left = line.total.minor
        share_inputs = []
        for source, minor in shares:
            if source not in drive_free or minor > left - 1:
                continue
            share_inputs.append(services.ShareInput(source, Money.from_minor(minor, "USD").amount))
            left -= minor
        services.update_budget_line(line, services.BudgetLineInput(
            **{**data.__dict__, "shares": tuple(share_inputs)}))
    db.session.flush()
    rows = services.budget_lines(application)
    totals = services.budget_totals(application)
    minor = lambda money: money.minor  # noqa: E731
    for line in rows:
        assert line.total_minor == line.requested_minor + line.cofinancing_minor
        assert line.cofinancing_minor == sum(share.amount_minor for share in line.shares)
    for split in (totals.overall, *totals.by_year.values(), *totals.by_category.values(),
                  *totals.by_year_category.values()):
        assert minor(split.total) == minor(split.requested) + minor(split.cofinancing)
    assert minor(totals.overall.total) == sum(line.total_minor for line in rows)
    assert sum(minor(s.total) for s in totals.by_year.values()) == minor(totals.overall.total)
    assert sum(minor(s.requested) for s in totals.by_category.values()) == \
        minor(totals.overall.requested)
    assert sum(minor(amount) for amount in totals.by_source.values()) == \
        minor(totals.overall.cofinancing)
    if rows:
        assert application.requested.minor == minor(totals.overall.requested)


def _property_application(n: int) -> Application:
    undp = db.session.scalar(select(Organization).where(Organization.slug == "undp"))
    if undp is None:
        undp = make_org(slug="undp", name_en="UNDP", country="US",
                        kind=OrgKind.INTERGOVERNMENTAL)
    lead = make_org(slug=f"lead-{n}", country="KZ")
    campaign = make_campaign(lead=lead, slug=f"budget-{n}")
    return make_application(campaign, undp, lead, project_starts_on=date(2027, 1, 1),
                            project_ends_on=date(2028, 6, 30))


# The screens ----------------------------------------------------------------------------------


def test_a_fundraiser_takes_campaign_lines_splits_one_and_the_totals_add_up(client, world):
    coalition, application = world
    login(client, make_user(Role.FUNDRAISER, email="fundraiser@example.org"))
    base = f"/applications/{application.id}/budget"
    page = client.get(f"{base}/take")
    assert "Flights" in page.text and "Old survey" not in page.text
    line_id = services.campaign_lines(application)[0].line.id
    response = client.post(f"{base}/take", data={"lines": [str(line_id)]})
    assert response.status_code == 302
    line = services.budget_lines(application)[0]
    form = {"year": "1", "donor_category": "71600", "description_en": "Flights",
            "partner_org_id": str(coalition.tajik.id), "quantity": "2", "unit": "flight",
            "unit_cost": "720", "currency": "USD", "requested": "1000",
            "shares-0-source": "own_funds", "shares-0-amount": "400",
            "shares-0-partner_org_id": str(coalition.hub.id)}
    refused = client.post(f"{base}/lines/{line.id}/edit", data=form)
    assert refused.status_code == 422
    assert ("The amount requested ($1,000.00) and the co-financing ($400.00) add up to "
            "$1,400.00, not to the line's total cost of $1,440.00.") in unescape(refused.text)
    form["shares-0-amount"] = "440"
    assert client.post(f"{base}/lines/{line.id}/edit", data=form).status_code == 302
    page = unescape(client.get(base).text)
    assert "$1,440.00" in page and "$1,000.00" in page and "$440.00" in page
    shown = unescape(client.get(f"/applications/{application.id}").text)
    assert "$1,000.00" in shown  # the application's requested amount is the budget's
    db.session.refresh(application)
    assert application.requested == Money(Decimal("1000"), "USD")


def test_a_viewer_sees_the_budget_but_cannot_change_it(client, world):
    _coalition, application = world
    services.add_budget_line(application, _line())
    db.session.commit()
    login(client, make_user(Role.VIEWER, email="viewer@example.org"))
    page = client.get(f"/applications/{application.id}/budget")
    assert page.status_code == 200 and "Coordinator" in page.text
    assert "Add a line" not in page.text
    assert client.post(f"/applications/{application.id}/budget/take",
                       data={"lines": ["1"]}).status_code == 403
