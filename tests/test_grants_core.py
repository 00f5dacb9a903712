"""Opening a grant from an awarded application; spending; budget against actual in SQL."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.grants_support import make_grant_world, spend
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.money.value import Money


def test_the_awarded_budget_becomes_version_one_coded_and_adding_up_to_the_award(app):
    world = make_grant_world()
    grant = world.grant
    amounts = grants.current_amounts(grant)
    assert sum(amounts.values()) == grant.awarded_minor == 6_000_000
    assert [line.code for line in grant.lines] == ["1.1", "2.1", "2.2", "3.1", "4.1", "5.1"]
    assert len(grant.periods) == 2
    assert {(report.kind.value, report.content.value) for report in world.application.reports} \
        == {("interim", "narrative"), ("interim", "financial"), ("final", "narrative"),
            ("final", "financial")}


def test_spending_in_three_currencies_adds_up_by_line_category_partner_and_period(app):
    world = make_grant_world()
    grant = world.grant
    spend(grant, "2.1", "1000.00", "USD", date(2027, 3, 1), "A-1")
    spend(grant, "2.2", "17850", "MDL", date(2027, 3, 2), "M-1")
    spend(grant, "1.1", "50520", "KZT", date(2028, 2, 1), "K-1")
    spend(grant, "1.1", "10", "USD", date(2028, 2, 1), "K-2", approve=False)
    db.session.refresh(grant)
    assert grant.spent == Money(Decimal("2100.00"), "USD")
    first = grants.budget_against_actual(grant, grant.periods[0])
    second = grants.budget_against_actual(grant, grant.periods[1])
    assert first.total.spent_in_period_minor == 200_000
    assert second.total.spent_in_period_minor == 10_000
    assert second.total.spent_to_date_minor == 210_000
    for result in (first, second):
        for rows in (result.lines, result.categories, result.partners, result.countries):
            assert sum(row.figures.spent_to_date_minor for row in rows) \
                == result.total.spent_to_date_minor
            assert sum(row.figures.approved_minor for row in rows) == grant.awarded_minor


def test_an_expenditure_without_a_rate_is_refused_and_nothing_is_written(app):
    world = make_grant_world()
    with pytest.raises(grants.SpendingRefused):
        spend(world.grant, "2.1", "100", "GEL", date(2027, 3, 1))


def test_each_lines_approved_amount_is_in_the_audit_trail_of_its_version(app):
    world = make_grant_world()
    grant = world.grant
    current = grants.current_amounts(grant)
    by_code = {line.code: current[line.id] for line in grant.lines}
    moved = {"2.1": by_code["2.1"] - 50_000, "2.2": by_code["2.2"] + 50_000}
    version = grants.revise_budget(grant, grants.RevisionInput(
        approved_on=date(2027, 6, 1), amounts=moved, donor_reference="UNIDO letter 7"),
        by=None)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.record_type == "grant_line_amount",
        AuditEvent.parent_id == str(version.id))).all()
    assert len(events) == len(grant.lines)
    recorded = {json.dumps(event.changes) for event in events}
    for amount in moved.values():
        assert any(str(amount) in text for text in recorded), (amount, recorded)
