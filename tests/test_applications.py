"""Donor applications: the status machine, the pipeline, deadlines, collisions and calls."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from tests.applications_support import (
    PATH_TO,
    Coalition,
    Status,
    make_application,
    make_call,
    make_coalition,
)
from tests.auth_support import login, make_user
from tests.factories import count_rows
from tests.pages import errors_next_to, plain, switch_to_russian
from tracker.applications import services
from tracker.applications.models import (
    MACHINE,
    Application,
    FundingCall,
    ReportDue,
    ReportKind,
    StatusChange,
)
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.extensions import db
from tracker.money.value import Money
from tracker.status import TransitionNotAllowed


@pytest.fixture
def world(app) -> Coalition:
    return make_coalition()


@pytest.fixture
def fundraiser(client, world):
    user = make_user(Role.FUNDRAISER, email="fundraiser@example.org")
    login(client, user)
    return user


def _text(html: str) -> str:
    return " ".join(plain(re.sub(r"<[^>]+>", " ", html)).split())


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    end = html.find("</section>", start)
    return html[start:end if end != -1 else None]


def application_form(world: Coalition, **overrides: Any) -> dict[str, Any]:
    """What a fundraiser types into the "New application" form."""
    data: dict[str, Any] = {
        "campaign_id": str(world.campaign.id), "donor_org_id": str(world.undp.id),
        "call_id": str(world.undp_call.id), "applicant_org_id": str(world.kazakh.id),
        "title_en": "Lead paint testing in Kazakhstan",
        "title_ru": "Испытания красок на свинец в Казахстане",
        "requested": "120 000,50", "currency": "USD", "probability": "40",
        "submission_deadline": "2027-03-01", "decision_date": "2027-06-01",
        "project_starts_on": "2027-07-01", "project_ends_on": "2028-06-30",
        "countries": ["KZ", "TJ"], "notes": "Ask for co-financing from the ministry.",
    }
    data.update(overrides)
    return data


def moved(client, application: Application, to: Status, **data: str):
    """Press the "Move to …" button of one status on the application page."""
    fields = {f"{to.value}-{name}": value for name, value in data.items()}
    return client.post(f"/applications/{application.id}/move/{to.value}", data=fields)


# Creating and editing


def test_a_fundraiser_adds_an_application_which_starts_as_an_idea(client, world, fundraiser):
    form_page = client.get("/applications/new?campaign=lead-in-paint")
    assert form_page.status_code == 200
    assert f'<option selected value="{world.campaign.id}">' in form_page.text
    assert "UNDP" in form_page.text and "Small grants 2027" in form_page.text

    response = client.post("/applications/new", data=application_form(world))
    assert response.status_code == 302
    application = db.session.scalars(select(Application)).one()
    assert response.headers["Location"] == f"/applications/{application.id}"
    assert application.status is Status.IDEA
    assert application.requested.amount == Decimal("120000.50")
    assert application.requested.currency == "USD"
    assert application.awarded is None
    assert application.countries == ["KZ", "TJ"]
    assert application.call_id == world.undp_call.id

    page = client.get(response.headers["Location"])
    text = _text(page.text)
    assert "added as an idea" in text
    assert "$120,000.50" in text
    assert "Greenwomen" in text and "Lead in paint" in text and "Small grants 2027" in text
    assert "Idea" in _text(page.text[page.text.index('id="status"'):][:300])


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"requested": "-5"}, "requested", "The amount must be greater than zero."),
    ({"requested": ""}, "requested", "Give the amount requested."),
    ({"requested": "10.555"}, "requested", "USD allows at most 2 decimal places."),
    ({"probability": "150"}, "probability",
     "Give the probability as a whole number from 0 to 100."),
    ({"project_ends_on": "2027-01-01"}, "project_ends_on",
     "The end date cannot be before the start date."),
    ({"title_en": "", "title_ru": ""}, "title_en", "Give the title in English or Russian."),
    ({"donor_org_id": "__other__"}, "call_id", "The donor of this call is UNDP"),
    ({"donor_org_id": "__applicant__"}, "donor_org_id", "Choose a donor from the list."),
])
def test_a_bad_application_is_refused_next_to_its_field_and_nothing_is_written(
        client, world, fundraiser, changes, field, message):
    changes = dict(changes)  # the parameter is shared by every database's run
    if changes.get("donor_org_id") == "__other__":
        changes["donor_org_id"] = str(world.special_programme.id)
    if changes.get("donor_org_id") == "__applicant__":
        changes["donor_org_id"] = str(world.kazakh.id)  # an NGO is not a donor
    response = client.post("/applications/new", data=application_form(world, **changes))
    assert response.status_code == 422
    assert any(message in error for error in errors_next_to(response.text, field))
    assert count_rows(Application) == 0


def test_editing_changes_details_but_never_the_status(client, world, fundraiser):
    application = make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING)
    response = client.post(f"/applications/{application.id}/edit", data=application_form(
        world, requested="75000", probability="60", status="awarded"))
    assert response.status_code == 302
    db.session.expire_all()
    assert application.requested.amount == Decimal("75000.00")
    assert application.probability == 60
    assert application.status is Status.DRAFTING


# The status machine


# Every allowed move, written out by hand: the machine must list exactly these.
ALLOWED_MOVES = [
    (Status.IDEA, Status.DRAFTING), (Status.IDEA, Status.WITHDRAWN),
    (Status.DRAFTING, Status.SUBMITTED), (Status.DRAFTING, Status.WITHDRAWN),
    (Status.SUBMITTED, Status.UNDER_REVIEW), (Status.SUBMITTED, Status.REJECTED),
    (Status.SUBMITTED, Status.WITHDRAWN),
    (Status.UNDER_REVIEW, Status.AWARDED), (Status.UNDER_REVIEW, Status.REJECTED),
    (Status.UNDER_REVIEW, Status.WITHDRAWN),
]
# Every other pair (including staying put) is refused; the final statuses refuse all.
REFUSED_MOVES = [
    (Status.IDEA, Status.IDEA), (Status.IDEA, Status.SUBMITTED),
    (Status.IDEA, Status.UNDER_REVIEW), (Status.IDEA, Status.AWARDED),
    (Status.IDEA, Status.REJECTED),
    (Status.DRAFTING, Status.IDEA), (Status.DRAFTING, Status.DRAFTING),
    (Status.DRAFTING, Status.UNDER_REVIEW), (Status.DRAFTING, Status.AWARDED),
    (Status.DRAFTING, Status.REJECTED),
    (Status.SUBMITTED, Status.IDEA), (Status.SUBMITTED, Status.DRAFTING),
    (Status.SUBMITTED, Status.SUBMITTED), (Status.SUBMITTED, Status.AWARDED),
    (Status.UNDER_REVIEW, Status.IDEA), (Status.UNDER_REVIEW, Status.DRAFTING),
    (Status.UNDER_REVIEW, Status.SUBMITTED), (Status.UNDER_REVIEW, Status.UNDER_REVIEW),
    *[(final, to) for final in (Status.AWARDED, Status.REJECTED, Status.WITHDRAWN)
      for to in (Status.IDEA, Status.DRAFTING, Status.SUBMITTED, Status.UNDER_REVIEW,
                 Status.AWARDED, Status.REJECTED, Status.WITHDRAWN)],
]


def test_the_tables_cover_every_pair_of_statuses_once():
    pairs = ALLOWED_MOVES + REFUSED_MOVES
    assert len(pairs) == len(set(pairs)) == len(Status) ** 2


@pytest.mark.parametrize(("current", "to"), ALLOWED_MOVES,
                         ids=[f"{a.value}->{b.value}" for a, b in ALLOWED_MOVES])
def test_the_machine_allows_the_move(current, to):
    assert MACHINE.allows(current, to)
    assert to in MACHINE.allowed(current)


@pytest.mark.parametrize(("current", "to"), REFUSED_MOVES,
                         ids=[f"{a.value}->{b.value}" for a, b in REFUSED_MOVES])
def test_the_machine_refuses_the_move_and_nothing_changes(app, world, current, to):
    assert not MACHINE.allows(current, to)
    application = make_application(world.campaign, world.undp, world.kazakh, current)
    before = count_rows(StatusChange)
    awarded = Money(Decimal("1000"), "USD") if to is Status.AWARDED else None
    with pytest.raises(TransitionNotAllowed) as refused:
        services.move(application, to, by=None, awarded=awarded)
    assert refused.value.message.startswith(
        f"An application cannot move from “{current.label}” to “{to.label}”.")
    assert application.status is current
    assert count_rows(StatusChange) == before


@pytest.mark.parametrize(("current", "to"), ALLOWED_MOVES,
                         ids=[f"{a.value}->{b.value}" for a, b in ALLOWED_MOVES])
def test_every_allowed_move_is_made_and_recorded(client, world, fundraiser, current, to):
    application = make_application(world.campaign, world.undp, world.kazakh, current)
    before = count_rows(StatusChange)
    data = {"note": f"Moving to {to.value}"}
    if to is Status.AWARDED:
        data["awarded_amount"] = "45 000"
    response = moved(client, application, to, **data)
    assert response.status_code == 302
    db.session.expire_all()
    assert application.status is to
    assert count_rows(StatusChange) == before + 1
    change = db.session.scalars(select(StatusChange).order_by(StatusChange.id.desc())).first()
    assert (change.from_status, change.to_status) == (current, to)
    assert change.changed_by_id == fundraiser.id
    assert change.note == f"Moving to {to.value}"
    assert change.changed_at.tzinfo is not None
    today = utcnow().date()
    if to is Status.SUBMITTED:
        assert application.submitted_on == today
    if to is Status.AWARDED:
        assert application.awarded.amount == Decimal("45000.00")
        assert application.awarded.currency == "USD"
        assert application.decision_date == today


def test_a_forbidden_move_is_refused_with_both_statuses_named_and_nothing_is_written(
        client, world, fundraiser):
    application = make_application(world.campaign, world.undp, world.kazakh)
    response = moved(client, application, Status.AWARDED, awarded_amount="1000", note="Hooray")
    assert response.status_code == 422
    assert "An application cannot move from “Idea” to “Awarded”." in _text(response.text)
    db.session.expire_all()
    assert application.status is Status.IDEA
    assert application.awarded is None
    assert count_rows(StatusChange) == 0


def test_a_forbidden_move_is_named_in_russian_for_a_russian_reader(client, world, fundraiser):
    application = make_application(world.campaign, world.undp, world.kazakh, Status.AWARDED)
    switch_to_russian(client)
    response = moved(client, application, Status.DRAFTING)
    assert response.status_code == 422
    assert "«Одобрена»" in response.text and "«Подготовка»" in response.text
    db.session.expire_all()
    assert application.status is Status.AWARDED


def test_final_statuses_offer_no_further_move(client, world, fundraiser):
    for status in (Status.AWARDED, Status.REJECTED, Status.WITHDRAWN):
        application = make_application(world.campaign, world.undp, world.kazakh, status)
        page = client.get(f"/applications/{application.id}")
        assert "/move/" not in page.text
        assert "This application has reached its final status." in page.text


def test_the_page_offers_buttons_for_the_allowed_next_statuses_only(client, world, fundraiser):
    application = make_application(world.campaign, world.undp, world.kazakh, Status.SUBMITTED)
    page = client.get(f"/applications/{application.id}").text
    offered = set(re.findall(rf"/applications/{application.id}/move/(\w+)", page))
    assert offered == {"under_review", "rejected", "withdrawn"}


@pytest.mark.parametrize(("amount", "message"), [
    ("", "Give the awarded amount to mark the application as awarded."),
    ("0", "The amount must be greater than zero."),
    ("-10", "The amount must be greater than zero."),
    ("10.001", "USD allows at most 2 decimal places."),
    ("99999999999999", "This amount is implausibly large; check the digits."),
])
def test_awarding_needs_a_proper_amount(client, world, fundraiser, amount, message):
    application = make_application(world.campaign, world.undp, world.kazakh,
                                   Status.UNDER_REVIEW)
    before = count_rows(StatusChange)
    response = moved(client, application, Status.AWARDED, awarded_amount=amount)
    assert response.status_code == 422
    assert message in errors_next_to(response.text, "awarded-awarded_amount")
    db.session.expire_all()
    assert application.status is Status.UNDER_REVIEW
    assert application.awarded is None and application.decision_date is None
    assert count_rows(StatusChange) == before


def test_the_award_is_in_the_currency_of_the_request(app, world):
    application = make_application(world.campaign, world.undp, world.kazakh,
                                   Status.UNDER_REVIEW, currency="EUR")
    from tracker.errors import DomainError
    from tracker.money.value import Money

    with pytest.raises(DomainError, match="EUR"):
        services.move(application, Status.AWARDED, by=None,
                      awarded=Money(Decimal("100"), "USD"))


def test_the_status_history_shows_who_when_from_to_and_why(client, world, fundraiser):
    application = make_application(world.campaign, world.undp, world.kazakh)
    moved(client, application, Status.DRAFTING, note="Concept note agreed with UNDP")
    moved(client, application, Status.SUBMITTED, note="Sent by e-mail")

    page = client.get(f"/applications/{application.id}").text
    table = page[page.index('id="status-history"'):page.index('id="reports"')]
    rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody"):], re.S)
    assert len(rows) == 2
    first, second = (_text(row) for row in rows)
    assert "fundraiser@example.org" in first and "Idea" in first and "Drafting" in first
    assert "Concept note agreed with UNDP" in first
    assert "Drafting" in second and "Submitted" in second and "Sent by e-mail" in second
    assert "UTC" in first  # when, as a UTC timestamp
    # The audit trail's history of the application is on the page too.
    assert "History" in page and "audit-history" in page


# Reports due


def test_reports_are_added_and_marked_done(client, world, fundraiser):
    application = make_application(world.campaign, world.undp, world.kazakh, Status.AWARDED)
    response = client.post(f"/applications/{application.id}/reports", data={
        "report-kind": "interim", "report-due_on": "2027-09-30", "report-note": "Narrative + $"})
    assert response.status_code == 302
    report = db.session.scalars(select(ReportDue)).one()
    assert (report.kind, report.done_on) == (ReportKind.INTERIM, None)

    response = client.post(f"/applications/{application.id}/reports/{report.id}/done")
    assert response.status_code == 302
    db.session.expire_all()
    assert report.done_on == utcnow().date()
    page = client.get(f"/applications/{application.id}").text
    assert "Mark done" not in _section(page, "reports")


def test_a_report_without_a_date_is_refused(client, world, fundraiser):
    application = make_application(world.campaign, world.undp, world.kazakh, Status.AWARDED)
    response = client.post(f"/applications/{application.id}/reports", data={
        "report-kind": "final", "report-due_on": ""})
    assert response.status_code == 422
    assert "Give the date the report is due." in errors_next_to(response.text, "report-due_on")
    assert count_rows(ReportDue) == 0


# The pipeline


def test_the_pipeline_filters_by_campaign_donor_status_and_deadline(client, world, fundraiser):
    kaz = make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                           title_en="Kazakh paint survey", submission_deadline=_day(10))
    taj = make_application(world.campaign, world.special_programme, world.ministry,
                           Status.SUBMITTED, title_en="Tajik national action plan",
                           submission_deadline=_day(40))
    other = make_application(world.other_campaign, world.undp, world.kazakh,
                             title_en="Mercury in dental clinics", submission_deadline=_day(90))

    def shown(query: str) -> set[str]:
        page = client.get(f"/applications/?{query}")
        assert page.status_code == 200
        return {title for title in (kaz.title_en, taj.title_en, other.title_en)
                if title in page.text}

    assert shown("") == {kaz.title_en, taj.title_en, other.title_en}
    assert shown("campaign=lead-in-paint") == {kaz.title_en, taj.title_en}
    assert shown("donor=undp") == {kaz.title_en, other.title_en}
    assert shown("status=submitted") == {taj.title_en}
    assert shown(f"deadline_from={_day(20).isoformat()}") == {taj.title_en, other.title_en}
    assert shown(f"deadline_to={_day(50).isoformat()}") == {kaz.title_en, taj.title_en}
    assert shown("campaign=lead-in-paint&donor=undp&status=drafting") == {kaz.title_en}
    # Nonsense filters are ignored rather than failing.
    assert shown("status=bogus&deadline_from=yesterday") == {kaz.title_en, taj.title_en,
                                                            other.title_en}
    board = client.get("/applications/?view=board").text
    assert 'id="board-drafting"' in board and kaz.title_en in board


def test_the_pipeline_shows_amounts_probability_and_marks_overdue_deadlines(
        client, world, fundraiser):
    late = make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                            title_en="Late one", submission_deadline=_day(-3),
                            requested=Decimal("1234.5"), probability=30)
    make_application(world.campaign, world.undp, world.tajik, Status.AWARDED,
                     title_en="Won one", submission_deadline=_day(-30))
    page = client.get("/applications/").text
    rows = [_text(row) for row in re.findall(r"<tr>(.*?)</tr>", page[page.index("<tbody"):],
                                             re.S)]
    late_row = next(row for row in rows if "Late one" in row)
    won_row = next(row for row in rows if "Won one" in row)
    assert "$1,234.50" in late_row and "30%" in late_row
    assert "overdue" in late_row
    assert "$40,000.00" in won_row  # awarded
    assert "overdue" not in won_row  # submitted long ago: nothing is late
    assert late.id


# Deadlines


def _day(offset: int):
    return utcnow().date() + timedelta(days=offset)


def test_upcoming_deadlines_cover_60_days_with_overdue_ones_first(client, world, fundraiser):
    soon = make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                            title_en="Soon", submission_deadline=_day(5))
    late = make_application(world.campaign, world.undp, world.tajik, Status.IDEA,
                            title_en="Late", submission_deadline=_day(-2))
    make_application(world.campaign, world.undp, world.tajik, Status.IDEA,
                     title_en="Far away", submission_deadline=_day(61))
    make_application(world.campaign, world.undp, world.kazakh, Status.SUBMITTED,
                     title_en="Submitted already", submission_deadline=_day(3))
    waiting = make_application(world.campaign, world.undp, world.kazakh, Status.UNDER_REVIEW,
                               title_en="Waiting", decision_date=_day(60))
    won = make_application(world.campaign, world.undp, world.kazakh, Status.AWARDED,
                           title_en="Won")
    services.add_report(won, services.ReportInput(ReportKind.INTERIM, _day(20)))
    done = services.add_report(won, services.ReportInput(ReportKind.FINAL, _day(30)))
    services.mark_report_done(done)
    db.session.commit()

    found = [(d.application.title_en, d.kind.value, d.overdue)
             for d in services.upcoming_deadlines()]
    assert found == [("Late", "submission", True), ("Soon", "submission", False),
                     ("Won", "interim_report", False), ("Waiting", "decision", False)]

    page = client.get("/deadlines").text
    table = _text(page[page.index('id="deadlines"'):page.index("</table>")])
    assert table.index("Late") < table.index("Soon") < table.index("Interim report due") \
        < table.index("Waiting")
    assert "overdue" in table and "Far away" not in table and "Submitted already" not in table
    assert "Decision expected" in table
    assert soon.id and late.id and waiting.id


def test_the_deadlines_page_speaks_russian(client, world, fundraiser):
    make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                     title_ru="Скоро", submission_deadline=_day(-1))
    switch_to_russian(client)
    page = _text(client.get("/deadlines").text)
    assert "Срок подачи заявки" in page and "просрочено" in page and "Скоро" in page


# Collisions


def test_two_members_applying_to_one_call_see_each_other_named(client, world, fundraiser):
    kazakh = make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING,
                              call_id=world.undp_call.id, title_en="Kazakh bid")
    tajik = make_application(world.other_campaign, world.undp, world.tajik, Status.SUBMITTED,
                             call_id=world.undp_call.id, title_en="Tajik bid")

    first = _text(client.get(f"/applications/{kazakh.id}").text)
    assert "Collision" in first
    assert "Little Earth, for the campaign Mercury-free: Tajik bid" in first
    second = _text(client.get(f"/applications/{tajik.id}").text)
    assert "Greenwomen, for the campaign Lead in paint: Kazakh bid" in second
    assert "collision" in _text(client.get("/applications/").text)

    # Once one withdraws, nobody competes any more.
    moved(client, tajik, Status.WITHDRAWN, note="Leaving it to Greenwomen")
    assert "Collision" not in client.get(f"/applications/{kazakh.id}").text


def test_the_same_member_twice_or_different_calls_are_no_collision(app, world):
    first = make_application(world.campaign, world.undp, world.kazakh,
                             call_id=world.undp_call.id)
    make_application(world.other_campaign, world.undp, world.kazakh, call_id=world.undp_call.id)
    other_call = make_call(world.undp, title_en="Another round")
    make_application(world.campaign, world.undp, world.tajik, call_id=other_call.id)
    make_application(world.campaign, world.undp, world.tajik, Status.REJECTED,
                     call_id=world.undp_call.id)
    assert services.collisions_for(first) == []
    assert services.all_collisions() == []


def test_all_collisions_come_from_one_query(app, world):
    special_call = make_call(world.special_programme, title_en="Special Programme round")
    a = make_application(world.campaign, world.undp, world.kazakh, call_id=world.undp_call.id)
    b = make_application(world.other_campaign, world.undp, world.tajik, Status.UNDER_REVIEW,
                         call_id=world.undp_call.id)
    c = make_application(world.campaign, world.special_programme, world.ministry,
                         call_id=special_call.id)
    d = make_application(world.campaign, world.special_programme, world.tajik,
                         call_id=special_call.id)
    make_application(world.campaign, world.special_programme, world.kazakh, Status.WITHDRAWN,
                     call_id=special_call.id)
    db.session.expire_all()

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("SAVEPOINT"):  # the test's own transaction, not a query
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        collisions = services.all_collisions()
        named = [[(x.title_en, x.applicant.name_en, x.campaign.title_en, x.call.donor.name_en)
                  for x in collision.applications] for collision in collisions]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert [[x.id for x in collision.applications] for collision in collisions] == [
        [a.id, b.id], [c.id, d.id]]  # the UNDP call's deadline (1 March) comes first
    assert named[0][1] == ("XRF testing of paint", "Little Earth", "Mercury-free", "UNDP")
    assert collisions[0].others(a) == [b]


# Who may do what


@pytest.mark.parametrize("role", ["viewer", "lead"])
def test_viewers_and_campaign_leads_may_read_but_not_create_or_move(client, world, role):
    application = make_application(world.campaign, world.undp, world.kazakh, Status.DRAFTING)
    user = make_user(Role(role), campaigns=[world.campaign] if role == "lead" else ())
    login(client, user)

    page = client.get(f"/applications/{application.id}")
    assert page.status_code == 200
    assert "/move/" not in page.text and "Mark done" not in page.text
    assert f"/applications/{application.id}/edit" not in page.text
    assert "Add an application" not in client.get("/applications/").text

    assert client.get("/applications/new").status_code == 403
    assert client.post("/applications/new", data=application_form(world)).status_code == 403
    assert moved(client, application, Status.SUBMITTED).status_code == 403
    assert client.post(f"/applications/{application.id}/edit",
                       data=application_form(world)).status_code == 403
    assert client.post(f"/donors/{world.undp.slug}/calls/new", data={
        "title_en": "x", "deadline": "2027-01-01", "currency": "USD"}).status_code == 403
    db.session.expire_all()
    assert count_rows(Application) == 1 and count_rows(StatusChange) == 1
    assert count_rows(FundingCall) == 1
    assert application.status is Status.DRAFTING


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    application = make_application(world.campaign, world.undp, world.kazakh)
    for path in ("/applications/", f"/applications/{application.id}", "/donors/",
                 "/deadlines", f"/calls/{world.undp_call.id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# Languages


def test_amounts_on_the_application_page_are_written_the_russian_way(client, world, fundraiser):
    application = make_application(world.campaign, world.undp, world.kazakh, Status.AWARDED,
                                   requested=Decimal("1234567.50"), currency="RUB")
    switch_to_russian(client)
    page = client.get(f"/applications/{application.id}").text
    requested = plain(page[page.index('id="requested"'):][:120])
    awarded = plain(page[page.index('id="awarded"'):][:120])
    assert "1 234 567,50 ₽" in requested
    assert "40 000,00 ₽" in awarded
    assert "Одобрена" in page


# Donors and calls


def test_donors_are_listed_with_their_calls_and_limits(client, world, fundraiser):
    make_call(world.special_programme, title_en="Special Programme round 8",
              max_amount=Decimal("200000"), max_duration_months=21,
              eligible_applicant_kinds=("government",), single_country=True)
    page = _text(client.get("/donors/").text)
    assert "UNDP" in page and "UNEP Special Programme" in page
    assert "Greenwomen" not in page  # an NGO is not a donor
    assert "Special Programme round 8" in page
    assert "up to $200,000.00" in page and "Up to 21 months" in page
    assert "Government agency" in page and "One country per application" in page


def test_a_call_is_added_with_all_its_limits(client, world, fundraiser):
    response = client.post("/donors/unep-sp/calls/new", data={
        "title_en": "Special Programme round 9", "title_ru": "Специальная программа, раунд 9",
        "reference": "SP-9", "url": "https://www.unep.org/sp", "opens_on": "2027-01-10",
        "deadline": "2027-04-30", "currency": "USD", "min_amount": "50 000",
        "max_amount": "200 000", "max_duration_months": "21",
        "eligible_applicant_kinds": ["government"], "countries": ["KG", "TJ"],
        "single_country": "y", "notes": "Endorsement letter from the ministry.",
    })
    assert response.status_code == 302
    call = db.session.scalars(select(FundingCall).where(FundingCall.reference == "SP-9")).one()
    assert call.donor_org_id == world.special_programme.id
    assert call.min_amount.amount == Decimal("50000.00")
    assert call.max_amount.amount == Decimal("200000.00")
    assert call.max_duration_months == 21
    assert call.eligible_applicant_kinds == ["government"]
    assert call.countries == ["KG", "TJ"]
    assert call.single_country is True
    page = client.get(response.headers["Location"]).text
    assert "Special Programme round 9" in page and "History" in page

    edit = client.post(f"/calls/{call.id}/edit", data={
        "title_en": "Special Programme round 9", "deadline": "2027-05-15", "currency": "USD",
        "max_amount": "250 000"})
    assert edit.status_code == 302
    db.session.expire_all()
    assert call.max_amount.amount == Decimal("250000.00")
    assert call.min_amount is None and call.currency == "USD"
    assert call.single_country is False


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"min_amount": "300000"}, "max_amount", "The maximum cannot be below the minimum."),
    ({"deadline": ""}, "deadline", "Give the deadline of the call."),
    ({"opens_on": "2027-06-01"}, "opens_on", "The call cannot open after its deadline."),
    ({"max_duration_months": "0"}, "max_duration_months",
     "Give a number of months from 1 to 240."),
    ({"url": "javascript:alert(1)"}, "url",
     "Give the full web address, starting with http:// or https://."),
])
def test_a_bad_call_is_refused_next_to_its_field(client, world, fundraiser, changes, field,
                                                 message):
    data = {"title_en": "Round", "deadline": "2027-04-30", "currency": "USD",
            "max_amount": "200000", **changes}
    before = count_rows(FundingCall)
    response = client.post("/donors/unep-sp/calls/new", data=data)
    assert response.status_code == 422
    assert message in errors_next_to(response.text, field)
    assert count_rows(FundingCall) == before


def test_calls_belong_to_donors_only(client, world, fundraiser):
    assert client.get("/donors/greenwomen/calls/new").status_code == 404


def test_moves_of_every_path_are_reachable():
    # The test helper's paths walk only allowed moves.
    for status, path in PATH_TO.items():
        current = Status.IDEA
        for step in path:
            assert (current, step) in ALLOWED_MOVES
            current = step
        assert current is status


# Demo data


def test_the_demo_has_applications_at_every_stage_and_a_collision(app):
    from tracker.demo import load_demo
    from tracker.demo.applications import APPLICATIONS, CALLS, load_application_demo

    report = load_demo()
    db.session.commit()
    assert count_rows(FundingCall) == len(CALLS)
    assert count_rows(Application) == len(APPLICATIONS)
    statuses = {a.status for a in db.session.scalars(select(Application))}
    assert {Status.IDEA, Status.DRAFTING, Status.UNDER_REVIEW, Status.AWARDED} <= statuses

    special = db.session.scalars(select(FundingCall).where(FundingCall.reference == "SP-R9")).one()
    assert special.max_amount.amount == Decimal("200000.00")
    assert (special.max_duration_months, special.single_country) == (21, True)
    assert special.eligible_applicant_kinds == ["government"]
    by_government = db.session.scalars(select(Application).where(
        Application.call_id == special.id)).one()
    assert by_government.applicant.kind.value == "government"
    assert by_government.countries == ["TJ"]

    [collision] = services.all_collisions()
    assert collision.call.donor.slug == "undp"
    assert {a.applicant.slug for a in collision.applications} == {
        "fsci-tajikistan", "independent-ecological-expertise"}
    kinds = {d.kind.value for d in services.upcoming_deadlines()}
    assert {"submission", "decision", "interim_report"} <= kinds

    again = load_application_demo(report)
    db.session.commit()
    assert (again.calls, again.applications, again.reports) == (0, 0, 0)
    assert count_rows(Application) == len(APPLICATIONS)
