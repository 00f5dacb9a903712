"""What the campaigns list reads (issue 15): each statement is a round trip that every view of
the list pays, so its targets come with their totals in one statement, and a target without
budget lines still shows its zero total."""

from __future__ import annotations

import pytest

from tests.factories import make_campaign, make_line, make_org, make_target
from tests.pages import plain
from tests.statements_support import statements_of_get

pytestmark = pytest.mark.usefixtures("signed_in_admin")


def test_targets_and_their_totals_are_read_in_one_statement(client):
    lead = make_org()
    for number in range(3):
        campaign = make_campaign(lead=lead, title_en=f"Campaign {number}")
        make_line(make_target(campaign, currency="RUB"), quantity="2", unit_cost="1000")
        make_target(campaign, currency="KZT", title_en="Empty")
    client.get("/campaigns/")
    statements, page = statements_of_get(client, "/campaigns/")
    reads = [s for s in statements if "funding_target" in s or "budget_line" in s]
    assert len(reads) == 1, reads
    assert plain(page).count("RUB 2,000.00") == 3
    assert plain(page).count("KZT 0.00") == 3
