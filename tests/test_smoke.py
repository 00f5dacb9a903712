"""The app starts, answers its health check and keeps money exact."""

from decimal import Decimal

from tests.factories import make_campaign, make_line, make_target
from tracker.targets.services import target_total


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_budget_total_is_summed_exactly_in_sql(app):
    target = make_target(make_campaign(), currency="RUB")
    make_line(target, quantity="3", unit_cost="0.10")
    make_line(target, quantity="2.5", unit_cost="1234567.51")
    assert target_total(target).amount == Decimal("3086419.08")
