"""Plausible dates only: every date field, every service, and nothing stored breaks a page.

Dates in year 1 or 9999 used to be accepted, and one application with a decision date
of 9999-12-31 made the calendar feed answer 500 for every subscriber.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text, update

from tests.applications_support import Status, make_application
from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_pledge, make_world
from tests.factories import count_rows
from tests.proposals_support import make_proposal_world
from tests.test_applications import application_form
from tests.test_applications_calendar import events, fetch, make_link
from tracker.applications import services as applications
from tracker.applications.models import Application, ReportDue, ReportKind
from tracker.auth.models import Role
from tracker.campaigns.models import Campaign
from tracker.db import utcnow
from tracker.drives import services as drives
from tracker.drives.models import Drive, Pledge
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.money.models import ExchangeRate
from tracker.money.services import add_rate

RANGE_EN = "Enter a date between 1990-01-01 and 2100-12-31."
RANGE_RU = "Введите дату от 1990-01-01 до 2100-12-31."
EXTREMES = ["0001-01-01", "1900-06-30", "1989-12-31", "2101-01-01", "9999-12-31"]


@pytest.fixture
def world(app):
    return make_proposal_world()


@pytest.fixture
def admin(client, world):
    user = make_user(Role.ADMIN, email="admin@example.org")
    login(client, user)
    return user


# Every form refuses an implausible date, with a clear message -----------------------------


@pytest.mark.parametrize("day", EXTREMES)
def test_an_application_with_an_implausible_decision_date_is_refused(client, world, admin, day):
    before = count_rows(Application)
    response = client.post("/applications/new",
                           data=application_form(world.coalition, decision_date=day))
    assert response.status_code == 422
    assert RANGE_EN in response.text
    assert count_rows(Application) == before


def test_the_message_is_russian_for_a_russian_user(client, world):
    login(client, make_user(Role.ADMIN, email="ru@example.org", language="ru"))
    response = client.post("/applications/new",
                           data=application_form(world.coalition, submission_deadline="0001-01-01"))
    assert response.status_code == 422
    assert RANGE_RU in response.text


def test_the_edges_of_the_range_are_accepted(client, world, admin):
    response = client.post("/applications/new", data=application_form(
        world.coalition, submission_deadline="1990-01-01", decision_date="2100-12-31",
        project_starts_on="2027-01-01", project_ends_on="2100-12-31"))
    assert response.status_code == 302


@pytest.mark.parametrize(("field", "day"), [("starts_on", "0001-01-01"), ("ends_on", "9999-12-31")])
def test_a_campaign_with_an_implausible_date_is_refused(client, world, admin, field, day):
    campaign = world.coalition.campaign
    page = client.get(f"/campaigns/{campaign.slug}/edit")
    assert 'min="1990-01-01"' in page.text and 'max="2100-12-31"' in page.text
    response = client.post(f"/campaigns/{campaign.slug}/edit", data={
        "slug": campaign.slug, "title_en": campaign.title_en, "title_ru": campaign.title_ru,
        "theme": campaign.theme.value, "status": campaign.status.value,
        "lead_org_id": str(campaign.lead_org_id), field: day})
    assert response.status_code == 422
    assert RANGE_EN in response.text


@pytest.mark.parametrize(("day", "message"), [
    ("0001-01-01", RANGE_EN),
    ((date.today() + timedelta(days=400)).isoformat(), "The date cannot be in the future."),
])
def test_a_pledge_dated_in_year_1_or_in_the_future_is_refused(client, app, day, message):
    drive = make_drive(make_world())
    login(client, make_user(Role.ADMIN, email="lead@example.org"))
    page = client.get(f"/drives/{drive.slug}/pledges/new")
    assert f'max="{utcnow().date().isoformat()}"' in page.text
    before = count_rows(Pledge)
    response = client.post(f"/drives/{drive.slug}/pledges/new", data={
        "amount": "1000", "currency": "RUB", "pledged_on": day, "channel": "cash",
        "pledger_name": "Anna"})
    assert response.status_code == 422
    assert message in response.text
    assert count_rows(Pledge) == before


def test_a_rate_dated_9999_is_refused(client, world, admin):
    before = count_rows(ExchangeRate)
    response = client.post("/rates/new", data={
        "on_date": "9999-12-31", "base": "USD", "quote": "KZT", "rate": "470"})
    assert response.status_code == 422
    assert RANGE_EN in response.text
    assert count_rows(ExchangeRate) == before


# Services (a CLI, an import) apply the same rule --------------------------------------------


def test_services_refuse_implausible_dates_whoever_calls_them(app, world):
    drive = make_drive(make_world())
    with pytest.raises(DomainError, match="between 1990-01-01 and 2100-12-31") as error:
        drives.log_pledge(drive, drives.PledgeInput(
            amount=Decimal("10"), currency="RUB", pledged_on=date(1, 1, 1),
            pledger_name="Anna"), by=None)
    assert error.value.field == "pledged_on"
    pledge = make_pledge(drive)
    with pytest.raises(DomainError, match="between"):
        drives.record_payment(pledge, drives.PaymentInput(
            amount=Decimal("10"), currency="RUB", paid_on=date(1900, 1, 1)), by=None)
    with pytest.raises(DomainError, match="between"):
        add_rate(date(9999, 12, 31), "USD", "KZT", Decimal("470"), "test")
    with pytest.raises(DomainError, match="between") as error:
        applications.add_report(world.application, applications.ReportInput(
            ReportKind.FINAL, date(9999, 12, 31)))
    assert error.value.field == "due_on"
    db.session.rollback()


# Nothing stored can break a page or the calendar feed -------------------------------------


def _store_extremes(world) -> dict[str, object]:
    """Write extreme dates straight to the database, as an old import or a bug might have."""
    application = world.application
    waiting = make_application(world.coalition.campaign, world.coalition.special_programme,
                               world.coalition.ministry, Status.UNDER_REVIEW,
                               title_en="National plan", title_ru="Национальный план")
    report = applications.add_report(application, applications.ReportInput(
        ReportKind.INTERIM, date(2027, 1, 1)))
    drive = make_drive(make_world())
    pledge = make_pledge(drive)
    db.session.commit()
    db.session.execute(update(Application).where(Application.id == waiting.id)
                       .values(decision_date=date(9999, 12, 31)))
    db.session.execute(update(Application).where(Application.id == application.id)
                       .values(submission_deadline=date(1, 1, 1),
                               project_starts_on=date(1, 1, 1),
                               project_ends_on=date(9999, 12, 31)))
    db.session.execute(update(ReportDue).where(ReportDue.id == report.id)
                       .values(due_on=date(1900, 1, 1)))
    db.session.execute(update(Campaign).where(Campaign.id == world.coalition.campaign.id)
                       .values(starts_on=date(1, 1, 1), ends_on=date(9999, 12, 31)))
    db.session.execute(update(Drive).where(Drive.id == drive.id)
                       .values(starts_on=date(1, 1, 1), ends_on=date(9999, 12, 31)))
    db.session.execute(update(Pledge).where(Pledge.id == pledge.id)
                       .values(pledged_on=date(1, 1, 1)))
    db.session.commit()
    db.session.expire_all()
    return {"application": application, "waiting": waiting, "drive": drive, "pledge": pledge}


def test_the_calendar_feed_survives_extreme_stored_dates(app, client, world, admin):
    stored = _store_extremes(world)
    link = make_link(client)
    for language in ("en", "ru"):
        response = fetch(app, link, lang=language)
        assert response.status_code == 200, response.text
        found = events(response.data)
        waiting = found[f"application-{stored['waiting'].id}-decision@tracker"]
        assert waiting["start"] == date(9999, 12, 31)
        assert {"National plan", "Национальный план"} & set(waiting["summary"].split(": ")[1]
                                                              .split(" (")[:1])
        submission = found[f"application-{stored['application'].id}-submission@tracker"]
        assert submission["start"] == date(1, 1, 1)


def test_pages_survive_extreme_stored_dates(client, world, admin):
    stored = _store_extremes(world)
    application, drive, pledge = stored["application"], stored["drive"], stored["pledge"]
    paths = [
        "/", "/deadlines", "/applications/", f"/applications/{application.id}",
        f"/applications/{application.id}/edit", f"/applications/{application.id}/proposal",
        f"/applications/{stored['waiting'].id}", "/campaigns/",
        f"/campaigns/{world.coalition.campaign.slug}",
        f"/campaigns/{world.coalition.campaign.slug}/edit",
        f"/drives/{drive.slug}", f"/drives/{drive.slug}/edit",
        f"/drives/{drive.slug}/pledges/{pledge.id}", f"/d/{drive.slug}",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    # Filters typed into the address bar or a search form: shown, or refused with the reason.
    for path in ("/applications/?deadline_from=0001-01-01&deadline_to=9999-12-31",
                 "/rates?date_from=0001-01-01&date_to=9999-12-31",
                 "/audit/?date_from=0001-01-01&date_to=9999-12-31"):
        response = client.get(path)
        assert response.status_code in (200, 422), (path, response.status_code)
        if response.status_code == 422:
            assert RANGE_EN in response.text


def test_a_draft_proposal_of_an_application_with_extreme_project_dates_prints(client, world,
                                                                             admin):
    db.session.execute(update(Application).where(Application.id == world.application.id)
                       .values(project_starts_on=date(1, 1, 1),
                               project_ends_on=date(9999, 12, 31)))
    db.session.commit()
    response = client.get(f"/applications/{world.application.id}/proposal/draft.pdf?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"


def test_the_database_really_holds_the_extremes(world, app):
    _store_extremes(world)
    assert db.session.execute(text(
        "SELECT count(*) FROM application WHERE decision_date = :d"), {"d": date(9999, 12, 31)}
    ).scalar_one() == 1
