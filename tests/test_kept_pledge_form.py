"""The empty "Log a pledge" form is kept (tracker.drives.views.pledges, issue 15): each
opening still gets its own CSRF token and once-only key, and the form never offers a
choice, a default or a label that has changed since it was kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tests.auth_support import login, make_user
from tests.drive_support import DRIVE_SLUG
from tests.fragments_support import rendered_templates
from tests.pages import switch_to_russian
from tests.test_dashboard_rows import switch_to_english
from tests.test_drives import pledge_form
from tests.test_forms import option_groups
from tests.test_kept_public_page import as_a_new_request, edit_drive, hidden
from tracker.auth.models import Role
from tracker.drives.models import Pledge
from tracker.drives.views.pledges import FORM_BODY, NEW_FORMS, NEW_FORMS_KEPT
from tracker.extensions import db
from tracker.fragments import kept_store
from tracker.money.services import add_rate

NEW = f"/drives/{DRIVE_SLUG}/pledges/new"


def opened(client) -> tuple[str, bool]:
    """The form page as one opening shows it, and whether the form was rendered anew."""
    as_a_new_request()
    with rendered_templates(client.application) as rendered:
        response = client.get(NEW)
    assert response.status_code == 200
    return response.text, FORM_BODY in rendered


def pledges() -> int:
    return db.session.scalar(select(func.count()).select_from(Pledge))


def test_the_form_is_rendered_once_and_each_opening_gets_its_own_key(as_lead, drive):
    kept_store(NEW_FORMS, NEW_FORMS_KEPT).clear()  # the app is shared: as a new process
    first, rendered_first = opened(as_lead)
    second, rendered_second = opened(as_lead)

    assert (rendered_first, rendered_second) == (True, False)
    assert hidden(first, "submission_key") != hidden(second, "submission_key")
    assert '<option selected value="RUB">' in second  # the drive's currency by default


def test_another_member_of_staff_gets_the_kept_form_with_their_own_token(as_lead, drive, app):
    lead_page, _rendered = opened(as_lead)
    coordinator = app.test_client()
    login(coordinator, make_user(Role.COORDINATOR, email="coordinator@example.org"))

    page, rendered = opened(coordinator)

    assert not rendered
    assert hidden(page, "csrf_token") != hidden(lead_page, "csrf_token")
    response = coordinator.post(NEW, csrf=False, data=pledge_form(
        csrf_token=hidden(page, "csrf_token"), submission_key=hidden(page, "submission_key")))
    assert response.status_code == 302
    assert pledges() == 1


def test_each_kept_opening_posts_once_and_only_once(as_lead, drive):
    opened(as_lead)
    for _ in range(2):
        page, _rendered = opened(as_lead)
        form = pledge_form(submission_key=hidden(page, "submission_key"))
        assert as_lead.post(NEW, data=form).status_code == 302
        assert as_lead.post(NEW, data=form).status_code == 302  # a double click
    assert pledges() == 2


def test_a_new_coalition_currency_is_offered_at_once(as_lead, drive):
    opened(as_lead)
    add_rate(date(2026, 3, 1), "GEL", "RUB", Decimal("35"), "Test rates")
    db.session.commit()

    page, rendered = opened(as_lead)

    assert rendered
    assert "GEL" in [label[:3] for label in option_groups(page, "currency")[
        "Coalition currencies"]]


def test_a_drive_in_another_currency_gets_that_currency_by_default(as_lead, drive):
    opened(as_lead)
    edit_drive(drive, currency="KZT")

    page, _rendered = opened(as_lead)

    assert '<option selected value="KZT">' in page
    assert '<option selected value="RUB">' not in page


def test_the_kept_form_is_the_users_language(as_lead, drive):
    assert "Pledged on" in opened(as_lead)[0]
    switch_to_russian(as_lead)
    page = opened(as_lead)[0]
    assert "Pledged on" not in page
    assert "Дата обещания" in page
    switch_to_english(as_lead)
    assert "Pledged on" in opened(as_lead)[0]


def test_a_refused_pledge_shows_what_was_typed_not_the_kept_form(as_lead, drive):
    opened(as_lead)
    response = as_lead.post(NEW, data=pledge_form(amount="-5", note="Met at the fair"))

    assert response.status_code == 422
    assert "Met at the fair" in response.text
    assert pledges() == 0
