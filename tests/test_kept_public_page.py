"""The public drive page is kept whole (tracker.fragments, issue 15): a kept page must never
show a figure, a name or a text that has changed since, however the change was written, and
each visitor still gets their own CSRF token and once-only key. Each test shows the page,
changes what it shows, and reads it again."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask import g
from sqlalchemy import text

from tests.drive_support import DRIVE_SLUG, make_payment, make_pledge, page_text
from tests.fragments_support import rendered_templates
from tests.pages import switch_to_russian
from tests.statements_support import statements_of_get
from tests.test_dashboard_rows import switch_to_english
from tests.test_drives_public import pledge_form, supporter_names
from tests.test_forms import option_groups
from tracker.drives import services
from tracker.drives.models import Drive
from tracker.drives.views.public import FORM_TEMPLATE as PUBLIC_FORM
from tracker.drives.views.public import FORMS_KEPT, KEPT_FORMS
from tracker.extensions import db
from tracker.fragments import kept_store
from tracker.money.services import add_rate

PUBLIC = f"/d/{DRIVE_SLUG}"


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">(.*?)</dd>', html, re.S)
    assert found, f"no figure {name}"
    return page_text(found.group(1))


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="{name}"',
                      html)
    assert found, f"no {name} on the page"
    return found.group(1) or found.group(2)


def as_a_new_request() -> None:
    """Forget what the last request kept in `g`: requests in tests share the app fixture's
    app context, where in production each request has its own (the CSRF token of another
    visitor, the coalition's currencies as they were)."""
    for name in ("csrf_token", "coalition_currencies"):
        g.pop(name, None)


def statements_of(client, path: str) -> list[str]:
    """The statements one request runs."""
    return statements_of_get(client, path)[0]


def edit_drive(drive: Drive, **changes) -> None:
    """Change the drive through its service, as the staff form does."""
    fields = {name: getattr(drive, name) for name in services.DriveInput.__dataclass_fields__
              if name != "goal"}
    fields.update(goal=drive.goal.amount, **changes)
    services.update_drive(drive, services.DriveInput(**fields))
    db.session.commit()


def test_a_kept_page_costs_the_same_statements_at_5_and_60_supporters(client, drive):
    for number in range(5):
        make_pledge(drive, amount="100", name=f"Supporter {number}")
    client.get(PUBLIC)
    few = statements_of(client, PUBLIC)
    for number in range(5, 60):
        make_pledge(drive, amount="100", name=f"Supporter {number}")
    rendered = statements_of(client, PUBLIC)  # new figures: rendered anew
    many = statements_of(client, PUBLIC)
    # One statement for a visitor: the key's state and the versions it is kept under.
    assert len(many) == len(few) == 1
    assert len(rendered) > len(many)
    # Kept: the drive, its roll-up and organiser are read as the key's raw columns only.
    assert not [s for s in many if re.search(r"FROM drive_totals\s+WHERE", s)]


def test_each_visitor_gets_a_fresh_token_and_key_that_the_form_accepts(client, drive):
    first, second = client.get(PUBLIC).text, client.get(PUBLIC).text
    assert hidden(first, "submission_key") != hidden(second, "submission_key")
    visitor = client.application.test_client()
    as_a_new_request()
    page = visitor.get(PUBLIC).text
    assert hidden(page, "csrf_token") != hidden(second, "csrf_token")
    response = visitor.post(PUBLIC, csrf=False, data=pledge_form(
        csrf_token=hidden(page, "csrf_token"), submission_key=hidden(page, "submission_key")))
    assert response.status_code == 302
    assert db.session.scalar(text("SELECT count(*) FROM pledge WHERE drive_id = :id"),
                             {"id": drive.id}) == 1


def test_a_new_pledge_shows_at_once(client, drive):
    client.get(PUBLIC)
    make_pledge(drive, amount="5000", name="Ural Green Movement")
    page = client.get(PUBLIC).text
    assert supporter_names(page) == ["Ural Green Movement"]
    assert figure(page, "pledged") == "RUB 5,000.00"
    assert figure(page, "supporters") == "1"


def test_a_payment_shows_at_once_in_either_language(client, drive):
    pledge = make_pledge(drive, amount="5000")
    assert figure(client.get(PUBLIC).text, "received") == "RUB 0.00"
    switch_to_russian(client)
    assert figure(client.get(PUBLIC).text, "received") == "0,00 ₽"
    make_payment(pledge, "1200")
    page = client.get(PUBLIC).text
    assert (figure(page, "received"), figure(page, "pledged")) == ("1 200,00 ₽", "3 800,00 ₽")
    switch_to_english(client)
    assert figure(client.get(PUBLIC).text, "received") == "RUB 1,200.00"


def test_a_roll_up_changed_by_a_bare_delta_shows_at_once(client, drive):
    make_pledge(drive, amount="5000")
    client.get(PUBLIC)
    db.session.execute(text("UPDATE drive_totals SET received_minor = received_minor + 12345"
                            " WHERE drive_id = :id"), {"id": drive.id})
    db.session.commit()
    assert figure(client.get(PUBLIC).text, "received") == "RUB 123.45"


def test_a_renamed_drive_and_edited_payment_details_show_at_once(client, drive):
    edit_drive(drive, payment_instructions_en="Bank transfer to account 4070 1810.")
    page = client.get(PUBLIC).text
    assert "Bank transfer to account 4070 1810." in page_text(page)
    edit_drive(drive, title_en="XRF team in Chelyabinsk, autumn",
               payment_instructions_en="Card payments at the office only.")
    shown = page_text(client.get(PUBLIC).text)
    assert "XRF team in Chelyabinsk, autumn" in shown
    assert "Card payments at the office only." in shown
    assert "4070 1810" not in shown


def test_a_supporter_who_asks_to_stay_anonymous_leaves_the_kept_page(client, drive):
    """No figure changes, only the name shown: the key reads the names themselves."""
    pledge = make_pledge(drive, amount="5000", name="Anna Petrova")
    assert supporter_names(client.get(PUBLIC).text) == ["Anna Petrova"]
    db.session.execute(text("UPDATE pledge SET is_anonymous = true WHERE id = :id"),
                       {"id": pledge.id})
    db.session.commit()
    assert supporter_names(client.get(PUBLIC).text) == []


def test_the_kept_page_is_the_visitors_language(client, drive):
    assert "Supporters" in page_text(client.get(PUBLIC).text)
    switch_to_russian(client)
    shown = page_text(client.get(PUBLIC).text)
    assert "Сторонники" in shown
    assert "Пригласить в Челябинск команду" in shown
    assert "Supporters" not in shown


def test_a_drive_no_longer_public_is_not_found_even_when_kept(client, drive):
    assert client.get(PUBLIC).status_code == 200
    edit_drive(drive, is_public=False)
    assert client.get(PUBLIC).status_code == 404


def test_a_new_coalition_currency_is_offered_at_once(client, drive):
    """A rate in a new currency puts it among the form's choices (the rates' pairs are read
    by a skip scan of their index: every pair is found, the first, the last, a new one)."""
    client.get(PUBLIC)
    add_rate(date(2026, 3, 1), "GEL", "RUB", Decimal("35"), "Test rates")
    add_rate(date(2026, 3, 2), "USD", "UZS", Decimal("12000"), "Test rates")
    db.session.commit()
    as_a_new_request()
    offered = option_groups(client.get(PUBLIC).text, "currency")["Coalition currencies"]
    assert sorted(label[:3] for label in offered) == ["EUR", "GEL", "KZT", "RUB", "USD", "UZS"]


def page_and_templates(client, path: str) -> tuple[str, list[str]]:
    """A page and the names of the templates its request rendered."""
    as_a_new_request()
    with rendered_templates(client.application) as rendered:
        response = client.get(path)
    assert response.status_code == 200
    return response.text, rendered


def test_a_pledge_renders_the_page_anew_but_not_its_pledge_form(client, drive):
    """The form is kept apart from the page: figures change with every pledge, the form's
    fields do not."""
    kept_store(KEPT_FORMS, FORMS_KEPT).clear()  # the app is shared: as a new process
    _page, first = page_and_templates(client, PUBLIC)
    make_pledge(drive, amount="5000", name="Ural Green Movement")
    page, second = page_and_templates(client, PUBLIC)

    assert "drives/public.html" in first and PUBLIC_FORM in first
    assert "drives/public.html" in second and PUBLIC_FORM not in second
    assert supporter_names(page) == ["Ural Green Movement"]
    response = client.post(PUBLIC, csrf=False, data=pledge_form(
        csrf_token=hidden(page, "csrf_token"), submission_key=hidden(page, "submission_key")))
    assert response.status_code == 302


def test_a_drive_in_another_currency_offers_that_currency_first_and_chosen(client, drive):
    assert '<option selected value="RUB">' in client.get(PUBLIC).text
    edit_drive(drive, currency="KZT")
    as_a_new_request()
    page = client.get(PUBLIC).text
    assert '<option selected value="KZT">' in page
    assert '<option selected value="RUB">' not in page
