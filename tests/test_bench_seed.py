"""`bench.seed` builds the synthetic coalition the benchmark measures, into an empty
database only, with every pledge's and payment's stored conversions as the services
would have stored them, and drive roll-ups that match what the drive page shows."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bench.seed import BENCH_EMAIL, seed_bench
from tests.auth_support import login
from tests.factories import make_campaign
from tracker.applications.models import Application, ApplicationStatus, FundingCall, ReportDue
from tracker.applications.services import all_collisions
from tracker.auth.models import Role
from tracker.auth.services import find_user_by_email
from tracker.campaigns.models import Campaign
from tracker.drives import services as drive_services
from tracker.drives.models import Drive, DriveStatus, DriveTotals, Payment, Pledge, PledgeStatus
from tracker.extensions import db
from tracker.i18n import format_money
from tracker.money.models import ExchangeRate
from tracker.money.services import RateMissing, convert, storable_rate
from tracker.money.value import Money
from tracker.targets.models import BudgetLine, FundingTarget

PLEDGES = 300


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: count(model) for model in (
        Campaign, FundingTarget, BudgetLine, ExchangeRate, FundingCall, Application, Drive,
        Pledge, Payment)}


def stored_conversion(money: Money, to: str, on) -> tuple[int | None, object, object]:
    """(minor, rate, rate date) as the drives service stores a conversion, asked of convert()."""
    try:
        result = convert(money, to, on)
    except RateMissing:
        return None, None, None
    return result.converted.minor, storable_rate(result.rate), result.rate_date


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert found, name
    return found.group(1)


def test_the_generator_builds_the_coalition_with_stored_conversions_as_the_services_make_them(
        runner, client):
    result = runner.invoke(seed_bench, ["--pledges", str(PLEDGES), "--seed", "7"])
    assert result.exit_code == 0, result.output
    created = counts()
    assert f"{PLEDGES} pledges" in result.output
    assert "Biggest drive: bench-big-drive" in result.output
    assert created["Campaign"] == 20 and created["FundingTarget"] == 20
    assert created["BudgetLine"] >= 20 * 4
    assert created["Drive"] == 100 and created["Application"] == 2000
    assert created["FundingCall"] > 0 and created["ExchangeRate"] > 10_000
    assert created["Pledge"] == PLEDGES
    assert PLEDGES * 0.4 < created["Payment"] < PLEDGES * 0.9
    assert f"{created['Payment']} payments" in result.output

    drives = db.session.scalars(select(Drive)).all()
    assert {(d.status, d.is_public) for d in drives} == {(DriveStatus.LIVE, True)}
    big = next(d for d in drives if d.slug == "bench-big-drive")
    per_drive = dict(db.session.execute(
        select(Pledge.drive_id, func.count()).group_by(Pledge.drive_id)).all())
    assert per_drive[big.id] == PLEDGES // 10 == max(per_drive.values())
    statuses = set(db.session.scalars(select(Pledge.status).distinct()))
    assert {PledgeStatus.PLEDGED, PledgeStatus.PARTLY_PAID, PledgeStatus.PAID,
            PledgeStatus.CANCELLED, PledgeStatus.WRITTEN_OFF} <= statuses
    assert set(db.session.scalars(select(Application.status).distinct())) == set(
        ApplicationStatus)
    assert count(ReportDue) > 0 and all_collisions()
    assert db.session.scalar(select(func.count()).select_from(Pledge).where(
        Pledge.currency != select(Drive.currency).where(Drive.id == Pledge.drive_id)
        .scalar_subquery())) > PLEDGES // 10

    # Every stored conversion is what the services would have stored, and settling a
    # pledge again through the service changes nothing.
    drive_of = {d.id: d for d in drives}
    pledges = db.session.scalars(select(Pledge).order_by(Pledge.id)).all()
    for pledge in pledges:
        drive = drive_of[pledge.drive_id]
        assert pledge.drive_amount_currency == drive.currency
        assert (pledge.drive_amount_minor, pledge.drive_rate, pledge.drive_rate_on) == \
            stored_conversion(pledge.amount, drive.currency, pledge.pledged_on), pledge.id
        for payment in pledge.payments:
            assert (payment.pledge_amount_minor, payment.pledge_rate, payment.pledge_rate_on) \
                == stored_conversion(payment.amount, pledge.currency, payment.paid_on)
            assert (payment.drive_amount_minor, payment.drive_rate, payment.drive_rate_on) \
                == stored_conversion(payment.amount, drive.currency, payment.paid_on)
    foreign_payments = [p for pledge in pledges for p in pledge.payments
                        if p.currency != pledge.currency]
    assert foreign_payments
    for pledge in pledges[:120]:
        before = (pledge.paid_minor, pledge.status, pledge.unpaid_drive_minor)
        drive_services.settle_pledge(pledge)
        assert (pledge.paid_minor, pledge.status, pledge.unpaid_drive_minor) == before, pledge.id
    db.session.rollback()

    # Each drive's roll-up is what the service computes now, and the page shows it.
    for drive in [big, *drives[1:100:20]]:
        totals = db.session.get(DriveTotals, drive.id)
        fresh = drive_services.compute_drive_totals(drive.id)
        assert (totals.pledged_minor, totals.received_minor, totals.supporters,
                totals.unconverted) == (fresh.pledged_minor, fresh.received_minor,
                                        fresh.supporters, fresh.unconverted), drive.slug
    coordinator = find_user_by_email(BENCH_EMAIL)
    assert coordinator is not None and coordinator.role == Role.COORDINATOR
    login(client, coordinator)
    page = client.get(f"/drives/{big.slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    totals = db.session.get(DriveTotals, big.id)
    assert totals.received_minor > 0 and totals.pledged_minor > 0
    assert figure(html, "received") == format_money(totals.received, "en")
    assert figure(html, "pledged") == format_money(totals.pledged, "en")
    assert figure(html, "supporters") == str(totals.supporters)
    public = client.get(f"/d/{big.slug}").get_data(as_text=True)
    assert format_money(totals.received, "en") in public

    # A second run refuses: the database is no longer empty, and nothing is added.
    again = runner.invoke(seed_bench, ["--pledges", "10"])
    assert again.exit_code != 0
    assert "The database already holds campaigns" in again.output
    assert counts() == created


def test_the_generator_refuses_a_database_that_holds_a_campaign(runner):
    make_campaign()
    before = counts()
    result = runner.invoke(seed_bench, ["--pledges", "10"])
    assert result.exit_code != 0
    assert ("The database already holds campaigns: the benchmark generator fills an empty "
            "database only") in result.output
    assert counts() == before
