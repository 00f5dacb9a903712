"""Spending on the web: a partner's lead records expenditures with receipts (converted at
the rate of their date, or the bank's), the coordinator approves or returns them, a lead
sees only its own organisation's, and the budget against actual moves with approvals."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from tests.auth_support import login, make_user
from tests.drive_support import page_text
from tests.factories import count_rows
from tests.grants_support import GrantWorld, make_grant_world, spend
from tests.pages import errors_next_to
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.grants.models import Expenditure, ExpenditureStatus, Grant
from tracker.money.value import Money
from tracker.submissions import Submission

PDF = b"%PDF-1.7\n% a receipt\n"


def spending_url(grant: Grant, tail: str = "") -> str:
    return f"/grants/{grant.id}/spending{tail}"


def expenditure_form(receipt: tuple[bytes, str] | None = (PDF, "receipt.pdf"),
                     **overrides: Any) -> dict[str, Any]:
    """What a partner's lead types into "Record an expenditure" (line 2.2 is Moldova's)."""
    data: dict[str, Any] = {"line_code": "2.2", "spent_on": "2027-03-02", "amount": "1785",
                            "currency": "MDL", "bank_rate": "", "document_number": "MD-001",
                            "description": "Officer's salary, February"}
    if receipt is not None:
        data["receipt"] = (io.BytesIO(receipt[0]), receipt[1])
    data.update(overrides)
    return data


@pytest.fixture
def world(app) -> GrantWorld:
    return make_grant_world()


def moldova_lead(world: GrantWorld):  # type: ignore[no-untyped-def]
    return make_user(Role.LEAD, org=world.moldova, email="lead@eco-moldova.md")


def only_expenditure() -> Expenditure:
    db.session.expire_all()
    return db.session.scalars(select(Expenditure)).one()


def test_a_partners_lead_records_in_mdl_with_a_receipt_converted_at_the_rate_of_its_date(
        client, world):
    login(client, moldova_lead(world))

    response = client.post(spending_url(world.grant, "/new"), data=expenditure_form(),
                           follow_redirects=True)

    assert response.status_code == 200
    text = page_text(response.get_data(as_text=True))
    assert "Expenditure of MDL 1,785.00 recorded" in text
    spent = only_expenditure()
    # 1 785 MDL at 17.85 MDL per USD (the rate of 2027-01-01, in force on 2027-03-02).
    assert (spent.grant_amount_minor, spent.rate_on, spent.status) == (
        10_000, date(2027, 1, 1), ExpenditureStatus.SUBMITTED)
    assert spent.partner_org_id == world.moldova.id
    assert "2.2" in text and "$100.00" in text and "MD-001" in text

    record = page_text(client.get(spending_url(world.grant, f"/{spent.id}")).get_data(
        as_text=True))
    assert "receipt.pdf" in record and "application/pdf" in record
    assert hashlib.sha256(PDF).hexdigest() in record
    assert "at 0.0560224 USD per MDL, rate of Jan 1, 2027" in record

    download = client.get(spending_url(world.grant, f"/{spent.id}/receipt"))
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "receipt.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_later_date_takes_the_later_rate_and_the_banks_rate_overrides_it(client, world):
    login(client, moldova_lead(world))
    client.post(spending_url(world.grant, "/new"),
                data=expenditure_form(spent_on="2027-07-05", amount="1810",
                                      document_number="MD-002"))
    client.post(spending_url(world.grant, "/new"),
                data=expenditure_form(bank_rate="0,05", document_number="MD-003"))

    rows = {e.document_number: e for e in db.session.scalars(select(Expenditure))}
    assert rows["MD-002"].grant_amount_minor == 10_000  # at 18.10 of 2027-07-01
    assert rows["MD-003"].grant_amount_minor == 8_925  # 1 785 × 0.05
    assert rows["MD-003"].rate_source == "bank"
    listing = page_text(client.get(spending_url(world.grant)).get_data(as_text=True))
    assert "bank" in listing


def test_a_missing_rate_is_refused_with_a_message_and_nothing_is_written(client, world):
    login(client, moldova_lead(world))

    response = client.post(spending_url(world.grant, "/new"),
                           data=expenditure_form(currency="GEL", amount="100"))

    assert response.status_code == 422
    assert any("No exchange rate from GEL to USD on or before 2027-03-02. Enter the bank" in error
               for error in errors_next_to(response.get_data(as_text=True), "bank_rate"))
    assert count_rows(Expenditure) == 0
    assert count_rows(Submission) == 0


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"GIF89a not a receipt", "receipt.gif", "A receipt is a PDF, PNG, JPEG or WebP file."),
    (PDF + b"x" * 2000, "big.pdf", "A receipt is at most"),
    (b"", "empty.pdf", "The receipt file is empty."),
])
def test_a_wrong_or_too_large_receipt_is_refused_next_to_the_field(client, world, content,
                                                                    name, message):
    client.application.config["RECEIPT_MAX_BYTES"] = 1024
    login(client, moldova_lead(world))

    response = client.post(spending_url(world.grant, "/new"),
                           data=expenditure_form(receipt=(content, name)))

    assert response.status_code == 422
    errors = errors_next_to(response.get_data(as_text=True), "receipt")
    assert any(message in error for error in errors), errors
    assert count_rows(Expenditure) == 0


def test_a_document_number_is_recorded_once_per_partner(client, world):
    login(client, moldova_lead(world))
    client.post(spending_url(world.grant, "/new"), data=expenditure_form())

    response = client.post(spending_url(world.grant, "/new"),
                           data=expenditure_form(amount="50"))

    assert response.status_code == 422
    assert "Document MD-001 is already recorded for this partner." in errors_next_to(
        response.get_data(as_text=True), "document_number")
    assert count_rows(Expenditure) == 1


def test_a_double_post_of_the_same_form_records_once(client, world):
    login(client, moldova_lead(world))
    html = client.get(spending_url(world.grant, "/new")).get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', html).group(1)

    first = client.post(spending_url(world.grant, "/new"),
                        data=expenditure_form(submission_key=key))
    second = client.post(spending_url(world.grant, "/new"),
                         data=expenditure_form(submission_key=key), follow_redirects=True)

    assert first.status_code == 302
    assert "This was already saved" in second.get_data(as_text=True)
    assert count_rows(Expenditure) == 1


def test_a_lead_records_only_against_its_own_lines(client, world):
    login(client, moldova_lead(world))
    form = client.get(spending_url(world.grant, "/new")).get_data(as_text=True)
    assert "Campaign officer, Moldova" in form and "Regional coordinator" not in form

    response = client.post(spending_url(world.grant, "/new"),
                           data=expenditure_form(line_code="2.1"))  # the hub's line

    assert response.status_code == 422
    assert errors_next_to(response.get_data(as_text=True), "line_code")
    assert count_rows(Expenditure) == 0


def test_a_lead_sees_neither_another_partners_expenditure_nor_its_receipt(client, world):
    theirs = grants.record_expenditure(world.grant, grants.ExpenditureInput(
        line_code="1.1", partner_org_id=world.kazakh.id, spent_on=date(2027, 3, 1),
        amount=Money(Decimal("50"), "USD"),
        document_number="KZ-1"), by=None, receipt=grants.ReceiptFile("kz.pdf", PDF))
    mine = spend(world.grant, "2.2", "17.85", "MDL", date(2027, 3, 3), "MD-9", approve=False)
    db.session.commit()
    login(client, moldova_lead(world))

    for tail in ("", "/receipt", "/edit"):
        assert client.get(spending_url(world.grant, f"/{theirs.id}{tail}")).status_code == 403
    for action in ("withdraw", "approve"):
        assert client.post(spending_url(world.grant, f"/{theirs.id}/{action}")
                           ).status_code == 403
    listing = page_text(client.get(spending_url(world.grant)).get_data(as_text=True))
    assert "MD-9" in listing and "KZ-1" not in listing
    assert "$1.00" in listing  # the total is of its own rows only
    assert client.get(spending_url(world.grant, f"/{mine.id}")).status_code == 200


def test_a_lead_whose_organisation_has_no_part_in_the_grant_is_told_so(client, world):
    spend(world.grant, "2.2", "17.85", "MDL", date(2027, 3, 3), "MD-9", approve=False)
    outsider = make_user(Role.LEAD, org=world.donor)
    login(client, outsider)

    listing = client.get(spending_url(world.grant))

    assert listing.status_code == 200
    text = page_text(listing.get_data(as_text=True))
    assert "your organisation has no part in this grant" in text
    assert "MD-9" not in text
    assert client.get(spending_url(world.grant, "/new")).status_code == 403
    assert client.get(f"/grants/{world.grant.id}/actual").status_code == 403


def test_an_expenditure_of_another_grant_is_not_found(client, world):
    spent = spend(world.grant, "2.2", "17.85", "MDL", date(2027, 3, 3), "MD-9")
    login(client, make_user(Role.COORDINATOR))
    assert client.get(f"/grants/{world.grant.id + 1}/spending/{spent.id}").status_code == 404
    assert client.get(spending_url(world.grant, f"/{spent.id + 1}")).status_code == 404
    assert client.get(spending_url(world.grant, f"/{spent.id}/receipt")).status_code == 404


def actual_spent(client, grant: Grant, code: str) -> str:
    html = client.get(f"/grants/{grant.id}/actual?period=1").get_data(as_text=True)
    row = re.search(rf'<tr id="line-{re.escape(code)}">(.*?)</tr>', html, re.S).group(1)
    return page_text(row)


def test_approving_moves_spent_and_the_actual_page_by_the_converted_amount_returning_back(
        client, world):
    login(client, moldova_lead(world))
    client.post(spending_url(world.grant, "/new"), data=expenditure_form(amount="1234.56"))
    spent = only_expenditure()
    converted = spent.grant_amount_minor
    assert converted == 6_916  # 1 234.56 / 17.85 = 69.1630… → 69.16
    coordinator = make_user(Role.COORDINATOR)
    login(client, coordinator)
    before = actual_spent(client, world.grant, "2.2")
    assert "$0.00" in before

    response = client.post(spending_url(world.grant, f"/{spent.id}/approve"),
                           follow_redirects=True)

    assert "Expenditure approved" in response.get_data(as_text=True)
    db.session.expire_all()
    grant = db.session.get(Grant, world.grant.id)
    assert grant.spent_minor == converted
    assert "$69.16" in actual_spent(client, world.grant, "2.2")

    # Approving again is refused with a message, not an error page.
    again = client.post(spending_url(world.grant, f"/{spent.id}/approve"),
                        follow_redirects=True)
    assert again.status_code == 200 and "cannot move" in again.get_data(as_text=True)

    # Returning needs a reason; without one nothing changes.
    bare = client.post(spending_url(world.grant, f"/{spent.id}/return"), data={"reason": " "},
                       follow_redirects=True)
    assert "Say why the expenditure is returned." in bare.get_data(as_text=True)
    assert only_expenditure().status is ExpenditureStatus.APPROVED

    returned = client.post(spending_url(world.grant, f"/{spent.id}/return"),
                           data={"reason": "The receipt is illegible"}, follow_redirects=True)
    assert "Expenditure returned" in returned.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Grant, world.grant.id).spent_minor == 0
    assert "$0.00" in actual_spent(client, world.grant, "2.2")
    assert only_expenditure().return_reason == "The receipt is illegible"


def test_a_returned_expenditure_is_corrected_and_submitted_again_then_withdrawn(client, world):
    spent = spend(world.grant, "2.2", "17.85", "MDL", date(2027, 3, 3), "MD-9", approve=False)
    grants.return_expenditure(spent, "Wrong amount", by=None)
    db.session.commit()
    login(client, moldova_lead(world))
    form = client.get(spending_url(world.grant, f"/{spent.id}/edit")).get_data(as_text=True)
    assert "Wrong amount" in form

    response = client.post(spending_url(world.grant, f"/{spent.id}/edit"),
                           data=expenditure_form(receipt=None, amount="35.70",
                                                 document_number="MD-9"))

    assert response.status_code == 302
    changed = only_expenditure()
    assert (changed.status, changed.grant_amount_minor) == (ExpenditureStatus.SUBMITTED, 200)
    history = page_text(client.get(spending_url(world.grant, f"/{spent.id}")).get_data(
        as_text=True))
    assert "History" in history and "Returned" in history

    client.post(spending_url(world.grant, f"/{spent.id}/withdraw"))
    assert only_expenditure().status is ExpenditureStatus.WITHDRAWN
    refused = client.get(spending_url(world.grant, f"/{spent.id}/edit"), follow_redirects=True)
    assert "Only an expenditure waiting for approval or returned can be changed." in \
        refused.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.FUNDRAISER, Role.VIEWER])
def test_fundraisers_and_viewers_see_spending_but_cannot_approve_or_record(client, world, role):
    spent = spend(world.grant, "2.2", "17.85", "MDL", date(2027, 3, 3), "MD-9", approve=False)
    login(client, make_user(role))

    assert client.get(spending_url(world.grant)).status_code == 200
    assert client.post(spending_url(world.grant, f"/{spent.id}/approve")).status_code == 403
    assert client.post(spending_url(world.grant, f"/{spent.id}/return"),
                       data={"reason": "no"}).status_code == 403
    assert client.get(spending_url(world.grant, "/new")).status_code == 403
    assert only_expenditure().status is ExpenditureStatus.SUBMITTED


def test_the_list_filters_by_status_partner_and_period_with_the_total_of_what_matches(
        client, world):
    spend(world.grant, "2.2", "17.85", "MDL", date(2027, 3, 3), "MD-1")
    spend(world.grant, "2.2", "35.70", "MDL", date(2027, 3, 4), "MD-2", approve=False)
    spend(world.grant, "1.1", "3", "USD", date(2028, 2, 1), "KZ-1")
    login(client, make_user(Role.COORDINATOR))

    def shown(query: str) -> str:
        response = client.get(spending_url(world.grant) + query)
        assert response.status_code == 200
        return page_text(response.get_data(as_text=True))

    everything = shown("")
    assert all(doc in everything for doc in ("MD-1", "MD-2", "KZ-1"))
    assert "$6.00" in everything
    # Newest first.
    assert everything.index("KZ-1") < everything.index("MD-2") < everything.index("MD-1")
    approved = shown("?status=approved")
    assert "MD-2" not in approved and "$4.00" in approved
    moldova = shown(f"?partner={world.moldova.id}")
    assert "KZ-1" not in moldova and "$3.00" in moldova
    second = shown("?period=2")
    assert "MD-1" not in second and "KZ-1" in second
    # Values that name nothing are ignored.
    assert "$6.00" in shown("?status=lost&partner=abc&period=99&page=x")


def test_a_long_list_is_paged(client, world, monkeypatch):
    from tracker.grants import spending_lists
    monkeypatch.setattr(spending_lists, "EXPENDITURES_PER_PAGE", 2)
    for n in range(3):
        spend(world.grant, "2.2", "17.85", "MDL", date(2027, 3, 1 + n), f"MD-{n}")
    login(client, make_user(Role.COORDINATOR))

    first = page_text(client.get(spending_url(world.grant)).get_data(as_text=True))
    second = page_text(client.get(spending_url(world.grant, "?page=2")).get_data(as_text=True))

    assert "MD-2" in first and "MD-0" not in first and "$3.00" in first
    assert "MD-0" in second and "MD-2" not in second


def test_a_leads_budget_against_actual_shows_only_its_own_lines_and_their_totals(client, world):
    spend(world.grant, "2.2", "17.85", "MDL", date(2027, 3, 3), "MD-1")  # $1.00
    spend(world.grant, "1.1", "3", "USD", date(2027, 3, 3), "KZ-1")
    own = grants.own_share(grants.budget_against_actual(world.grant, world.grant.periods[0]),
                           world.moldova.id)
    assert [row.code for row in own.lines] == ["2.2", "4.1"]
    assert own.total.spent_to_date_minor == 100
    assert own.total.approved_minor == sum(row.figures.approved_minor for row in own.lines)
    assert [row.partner_org_id for row in own.partners] == [world.moldova.id]
    assert [row.key for row in own.countries] == ["MD"]
    assert sum(row.figures.approved_minor for row in own.categories) \
        == own.total.approved_minor
    login(client, moldova_lead(world))

    html = client.get(f"/grants/{world.grant.id}/actual?period=1").get_data(as_text=True)

    text = page_text(html)
    assert "Campaign officer, Moldova" in text and "Travel to pilot sites" not in text
    assert "Only your organisation's lines are shown" in text


def test_the_actual_page_flags_a_category_overspent_beyond_flexibility(client, world):
    # Line 1.1 (category 15-00, travel) is approved at $5,454.55; spend 6,100.
    spend(world.grant, "1.1", "6100", "USD", date(2027, 3, 3), "KZ-1")
    login(client, make_user(Role.COORDINATOR))

    html = client.get(f"/grants/{world.grant.id}/actual?period=1").get_data(as_text=True)

    assert 'id="flagged-categories"' in html
    row = re.search(r'<tr id="categories-15-00"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert "Overspent beyond flexibility" in page_text(row)
    assert "Time elapsed" in page_text(html)


def test_a_receipt_named_in_cyrillic_downloads_under_its_name(client, world):
    login(client, moldova_lead(world))
    client.post(spending_url(world.grant, "/new"),
                data=expenditure_form(receipt=(PDF, "чек №1.pdf")))
    spent = only_expenditure()
    assert spent.receipt_name == "чек №1.pdf"

    download = client.get(spending_url(world.grant, f"/{spent.id}/receipt"))

    assert download.data == PDF
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
