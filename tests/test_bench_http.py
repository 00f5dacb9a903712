"""The HTTP benchmarks (bench.pages, bench.load) post the app's real forms as a browser
would: bench.client reads a page's form (CSRF token, once-only key, selected options)
and what it fills in is accepted, for the login, a pledge and a payment."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bench.client import find_form, read_forms
from tests.auth_support import TEST_PASSWORD, make_user
from tests.drive_support import DRIVE_SLUG, make_pledge
from tracker.auth.models import Role
from tracker.drives.models import Payment, Pledge
from tracker.extensions import db

PAGE = f"/drives/{DRIVE_SLUG}"


def post_filled(client, page: str, action_ends: str | None = None,
                has_field: str | None = None, **values: str):
    """Open the page, fill its form as bench.client does, post it with the page's own token."""
    form = find_form(client.get(page).text, page, action_ends, has_field)
    fields = dict(form.filled(**values))
    assert fields["csrf_token"]  # the page's token, not the test client's
    return client.post(form.action, data=fields, csrf=False)


def test_the_bench_client_logs_in_through_the_login_form(client, world):
    make_user(Role.COORDINATOR, email="bench@example.org")

    answer = post_filled(client, "/login", has_field="password", email="bench@example.org",
                         password=TEST_PASSWORD)

    assert answer.status_code == 302
    assert "Log out" in client.get("/").text


def test_the_bench_client_posts_the_real_pledge_form_with_its_defaults(as_lead, drive):
    form = find_form(as_lead.get(f"{PAGE}/pledges/new").text, f"{PAGE}/pledges/new",
                     has_field="amount")
    fields = dict(form.fields)
    assert fields["currency"] == "RUB"  # the selected option: the drive's currency
    assert fields["submission_key"] and fields["channel"] == "bank_transfer"

    answer = post_filled(as_lead, f"{PAGE}/pledges/new", has_field="amount",
                         pledger_name="Bench Writer", amount="25.00",
                         external_reference="bench-1")

    assert answer.status_code == 302
    pledge = db.session.scalars(select(Pledge)).one()
    assert (pledge.pledger_name, pledge.amount.amount, pledge.currency,
            pledge.external_reference) == ("Bench Writer", Decimal("25.00"), "RUB", "bench-1")


def test_the_bench_client_posts_the_real_payment_form_of_a_pledge_page(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    db.session.commit()
    page = f"{PAGE}/pledges/{pledge.id}"

    answer = post_filled(as_lead, page, action_ends="/payments", amount="1.00")

    assert answer.status_code == 302
    payment = db.session.scalars(select(Payment)).one()
    assert (payment.pledge_id, payment.amount.amount) == (pledge.id, Decimal("1.00"))


def test_the_form_reader_sends_what_a_browser_sends():
    html = """<form method="post" action="/x"><input type="hidden" name="csrf_token" value="t">
      <input name="a" value="1"><input type="checkbox" name="box"><input type="checkbox"
      name="ticked" checked><select name="s"><option value="p">P</option><option selected
      value="q">Q</option></select><select name="first"><option value="f">F</option></select>
      <textarea name="note">
hello</textarea><input type="submit" name="go" value="Go"><input name="off" disabled>
    </form><form><input name="q"></form>"""

    forms = read_forms(html, "/page")

    assert [(f.action, f.method) for f in forms] == [("/x", "post"), ("/page", "get")]
    assert forms[0].fields == [("csrf_token", "t"), ("a", "1"), ("ticked", "on"), ("s", "q"),
                               ("first", "f"), ("note", "hello")]
    assert forms[0].filled(a="2", new="n")[-2:] == [("a", "2"), ("new", "n")]
