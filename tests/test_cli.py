"""`flask seed-demo` loads the coalition of the meeting report once, and only once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import make_org
from tests.pages import switch_to_russian, without_history
from tracker.campaigns.services import find_campaign
from tracker.db import Base
from tracker.demo import CAMPAIGNS, ORGANIZATIONS, TARGETS, all_lines
from tracker.extensions import db
from tracker.money.services import convert, rate_on
from tracker.money.value import Money
from tracker.orgs.models import Organization
from tracker.orgs.services import find_organization
from tracker.targets.models import BudgetLine, BudgetUnit, FundingTarget
from tracker.targets.services import delete_target, target_total, totals_by_partner


def row_counts() -> dict[str, int]:
    """Rows in every table of domain data, read fresh from the database.

    The audit trail is left out: it records each run of the command by design.
    """
    db.session.expire_all()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
        if table.name != "audit_event"
    }


def test_seed_demo_reports_what_it_created_and_a_second_run_adds_nothing(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"Created {len(ORGANIZATIONS)} organisations, "
                                   f"{len(CAMPAIGNS)} campaigns, {len(TARGETS)} funding targets")
    after_first = row_counts()
    # The summary names the crowdfunding and donor demo too, with the counts it wrote.
    summary = first.output.splitlines()[0]
    assert f"{after_first['funding_call']} funding calls" in summary
    assert f"{after_first['application']} applications" in summary
    assert "1 drive," in summary and f"{after_first['pledge']} pledges" in summary
    assert after_first["organization"] == len(ORGANIZATIONS)
    assert after_first["campaign"] == len(CAMPAIGNS)
    assert after_first["budget_line"] == sum(len(all_lines(target)) for target in TARGETS)
    assert after_first["exchange_rate"] >= 13 * 3

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert second.output.splitlines()[0] == "Demo data already present; nothing added."
    assert row_counts() == after_first


def test_seed_demo_if_empty_leaves_a_database_with_data_alone(runner):
    make_org(slug="our-own-ngo")
    before = row_counts()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "demo data not loaded" in result.output
    assert row_counts() == before


def test_seed_demo_completes_a_partial_load_without_duplicates(runner):
    runner.invoke(args=["seed-demo"])
    complete = row_counts()
    delete_target(find_campaign("lead-in-paint").funding_targets[0])
    db.session.commit()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Created 1 funding target, 8 budget lines."
    assert row_counts() == complete


def test_demo_campaigns_are_bilingual_with_lead_partners_and_countries(runner):
    runner.invoke(args=["seed-demo"])
    paint = find_campaign("lead-in-paint")
    assert paint.title_en == "Lead in paint"
    assert paint.title_ru == "Свинец в красках"
    assert paint.localized("summary", "ru").startswith("Декоративные краски")
    assert paint.lead_org.country == "UA"
    assert set(paint.country_codes) == {"UA", "TJ"}
    assert "fsci-tajikistan" in {p.organization.slug for p in paint.partners}

    waste = find_campaign("safe-waste-management")
    assert set(waste.country_codes) == {"KZ", "KG", "TJ"}
    assert find_campaign("mercury-free").country_codes == ["MD"]
    assert set(find_campaign("phthalates-in-toys").country_codes) == {"RU", "BY", "AM"}

    hub = find_organization("eco-accord")
    assert (hub.name_ru, hub.country, hub.kind.value) == ("Эко-Согласие", "RU", "hub")
    chelyabinsk = find_organization("for-nature-chelyabinsk")
    assert (chelyabinsk.name_ru, chelyabinsk.city_en, chelyabinsk.city_ru) == (
        "За природу", "Chelyabinsk", "Челябинск")
    for donor in ("undp", "unido", "unep-special-programme", "gef", "sida"):
        assert find_organization(donor) is not None
    for org in db.session.scalars(select(Organization)):
        assert org.city_en and org.city_ru and org.city_en != org.city_ru, org.slug


def test_demo_target_total_is_the_sum_of_its_lines_split_across_countries(runner):
    runner.invoke(args=["seed-demo"])
    for spec in TARGETS:
        target = db.session.scalar(
            select(FundingTarget).where(FundingTarget.title_en == spec.title_en)
        )
        expected = sum(
            (Decimal(line.quantity) * Decimal(line.unit_cost) for line in all_lines(spec)),
            Decimal(0),
        )
        assert target_total(target) == Money(expected, spec.currency)
        assert 4 <= len(target.lines) <= 10
        countries = {org.country for org, _ in totals_by_partner(target) if org is not None}
        assert len(countries) >= 2, spec.title_en


@pytest.mark.usefixtures("signed_in_admin")
def test_demo_budget_lines_read_naturally_in_english_and_russian(runner, client):
    runner.invoke(args=["seed-demo"])
    lines = db.session.scalars(select(BudgetLine)).all()
    assert len(lines) == sum(len(all_lines(target)) for target in TARGETS)
    for line in lines:
        assert line.description_en and line.description_ru, line.description_en
        assert line.justification_en and line.justification_ru, line.description_en
        assert line.description_ru != line.description_en
        if line.unit is BudgetUnit.LUMP_SUM:  # "3 × lump sum" would read oddly
            assert line.quantity == 1, line.description_en

    xrf = find_campaign("water-and-air-quality").funding_targets[0]
    english = without_history(client.get(f"/targets/{xrf.id}").text)
    assert "Per diems of the XRF team in Chelyabinsk" in english
    switch_to_russian(client)
    russian = without_history(client.get(f"/targets/{xrf.id}").text)
    assert "Суточные команды РФА-анализа в Челябинске" in russian
    assert "Два оператора на 14 дней полевых работ." in russian
    assert "Per diems" not in russian and "Per diem" not in russian
    assert ">Суточные</td>" in russian  # the unit, in its own column


def test_demo_budget_can_be_converted_with_the_demo_rates(runner):
    runner.invoke(args=["seed-demo"])
    xrf = find_campaign("water-and-air-quality").funding_targets[0]
    assert any("XRF" in line.description_en and line.partner.country == "TJ"
               for line in xrf.lines)
    in_roubles = convert(target_total(xrf), "RUB", xrf.starts_on)
    assert in_roubles.converted.currency == "RUB"
    assert in_roubles.converted.amount > target_total(xrf).amount * 50
    for code in ("EUR", "RUB", "KZT", "KGS", "TJS", "UAH", "MDL", "AMD", "BYN", "GEL", "AZN",
                 "UZS"):
        rate, record = rate_on("USD", code, xrf.starts_on)
        assert rate > 0
        assert record.source == "Demo data (approximate)"


def test_seed_demo_refuses_a_production_database(runner, app):
    app.config["ENV"] = "production"
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    assert row_counts()["organization"] == 0
