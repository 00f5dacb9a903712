"""Roll-ups kept by deltas stay exactly what a full recompute gives (issue 15).

Each pledge or payment write recomputes only the buckets it touched and adds the
difference to the drive's and the campaign's stored figures. `flask check-totals`
recomputes everything from the rows and names every figure that drifted; these tests
drive random and concurrent writes through the services and ask it.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, text

from tests.drive_support import make_drive, make_world, stored_totals
from tests.factories import make_line, make_target
from tracker.drives import services
from tracker.drives.models import Drive, Pledge, PledgeStatus
from tracker.errors import DomainError
from tracker.extensions import db

CURRENCIES = ("RUB", "RUB", "KZT", "EUR", "USD")  # no USD rate at all: left unconverted
DAYS = (date(2026, 1, 2), date(2026, 2, 15), date(2026, 3, 10), date(2026, 3, 11))


def check_totals(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["check-totals"])
    return result.exit_code, result.output


def a_coalition() -> tuple[list[Drive], int]:
    """The drive tests' world with a target in roubles and two drives (roubles, tenge)."""
    world = make_world()
    make_line(make_target(world.campaign, currency="RUB"), quantity="1", unit_cost="500000")
    db.session.commit()
    drives = [make_drive(world), make_drive(world, slug="second-drive", currency="KZT")]
    return drives, world.campaign.id


def random_write(rng: random.Random, drives: list[Drive]) -> None:
    """One write a person could make: log, edit, pay, unpay, close or delete a pledge."""
    pledges = list(db.session.scalars(
        Pledge.__table__.select().with_only_columns(Pledge.id)))  # type: ignore[attr-defined]
    pledge = db.session.get(Pledge, rng.choice(pledges)) if pledges else None
    action = rng.choice(("log", "log", "edit", "pay", "pay", "unpay", "close", "delete"))
    amount = Decimal(rng.randint(1, 400_000)) / 100
    currency, day = rng.choice(CURRENCIES), rng.choice(DAYS)
    if action == "log" or pledge is None:
        services.log_pledge(rng.choice(drives), services.PledgeInput(
            amount=amount, currency=currency, pledged_on=day, pledger_name="Random"), by=None)
    elif action == "edit":
        services.update_pledge(pledge, services.PledgeInput(
            amount=max(amount, pledge.amount.amount), currency=pledge.currency
            if pledge.payments else currency, pledged_on=day, pledger_name="Edited"))
    elif action == "pay" and pledge.payable:
        services.record_payment(pledge, services.PaymentInput(
            amount=min(amount, pledge.amount.amount), currency=currency, paid_on=day,
            gave_more=True, gave_more_reason="Random"), by=None)
    elif action == "unpay" and pledge.payments:
        services.remove_payment(rng.choice(pledge.payments))
    elif action == "close" and pledge.closable:
        rng.choice((services.cancel_pledge, services.write_off_pledge))(pledge, "Random")
    elif action == "delete" and not pledge.payments:
        services.delete_pledge(pledge, "Logged by mistake")


def test_random_writes_leave_the_stored_figures_exactly_as_recomputed(app):
    drives, _campaign = a_coalition()
    rng = random.Random(15)
    refused = 0
    for _step in range(120):
        try:
            random_write(rng, drives)
            db.session.commit()
        except DomainError:
            db.session.rollback()
            refused += 1
    assert refused < 60  # most writes went through
    assert db.session.query(Pledge).filter(Pledge.status == PledgeStatus.PARTLY_PAID).count()
    code, output = check_totals(app)
    assert (code, output.strip()) == (0, "0 drifts in 2 drives and 2 campaigns")
    assert any(stored_totals(drive)["received_minor"] for drive in drives)



def test_writes_in_one_transaction_and_undone_savepoints_leave_no_drift(app):
    """Buckets move row by row (drives.bucket_moves) across a transaction's flushes: several
    writes per commit, some undone by a savepoint, some figures read before the commit."""
    from tracker.funding.rollups import refresh_changed_rollups

    drives, _campaign = a_coalition()
    rng = random.Random(16)
    for _transaction in range(40):
        for _write in range(rng.randint(1, 4)):
            try:
                if rng.random() < 0.25:
                    with db.session.begin_nested():
                        random_write(rng, drives)
                        db.session.flush()
                        raise LookupError("undo")
                random_write(rng, drives)
                db.session.flush()
                if rng.random() < 0.2:
                    refresh_changed_rollups()
            except LookupError:
                pass
            except DomainError:
                db.session.rollback()
                break
        db.session.commit()
    code, output = check_totals(app)
    assert (code, output.strip()) == (0, "0 drifts in 2 drives and 2 campaigns")


def test_check_totals_names_a_hand_made_drift_and_refresh_funding_repairs_it(app):
    drives, _campaign = a_coalition()
    services.log_pledge(drives[0], services.PledgeInput(
        amount=Decimal("1000"), currency="RUB", pledged_on=date(2026, 3, 10),
        pledger_name="Anna"), by=None)
    pledge = services.log_pledge(drives[0], services.PledgeInput(
        amount=Decimal("500"), currency="RUB", pledged_on=date(2026, 3, 10),
        pledger_name="Boris"), by=None)
    db.session.commit()
    services.record_payment(pledge, services.PaymentInput(
        amount=Decimal("200"), currency="RUB", paid_on=date(2026, 3, 15)), by=None)
    db.session.commit()
    assert check_totals(app)[0] == 0
    db.session.execute(text("UPDATE drive_totals SET received_minor = received_minor + 1 "
                            "WHERE drive_id = :id"), {"id": drives[0].id})
    db.session.commit()
    code, output = check_totals(app)
    assert code == 1
    assert (f"drive {drives[0].id} (xrf-chelyabinsk): received_minor is 20001, "
            f"recomputed 20000") in output
    assert output.strip().endswith("1 drift in 2 drives and 2 campaigns")
    assert app.test_cli_runner().invoke(args=["refresh-funding"]).exit_code == 0
    assert check_totals(app) == (0, "0 drifts in 2 drives and 2 campaigns\n")


def test_check_totals_names_a_drifted_bucket(app):
    drives, campaign_id = a_coalition()
    services.log_pledge(drives[1], services.PledgeInput(
        amount=Decimal("62000"), currency="KZT", pledged_on=date(2026, 3, 10),
        pledger_name="Steppe"), by=None)
    db.session.commit()
    db.session.execute(text("UPDATE campaign_money_bucket SET minor = minor + 5"))
    db.session.commit()
    code, output = check_totals(app)
    assert code == 1
    assert f"campaign {campaign_id} (water-air): bucket pledged KZT 2026-03-10 is" in output


def _write_in_thread(app, drive_id: int, seed: int, errors: list[BaseException],
                     start: threading.Barrier) -> None:
    rng = random.Random(seed)
    try:
        with app.app_context():
            drive = db.session.get(Drive, drive_id)
            start.wait(10)
            for _step in range(6):
                pledge = services.log_pledge(drive, services.PledgeInput(
                    amount=Decimal(rng.randint(100, 90_000)) / 100,
                    currency=rng.choice(CURRENCIES), pledged_on=rng.choice(DAYS),
                    pledger_name=f"Writer {seed}"), by=None)
                db.session.commit()
                services.record_payment(pledge, services.PaymentInput(
                    amount=Decimal(rng.randint(1, 50)), currency=rng.choice(CURRENCIES),
                    paid_on=rng.choice(DAYS)), by=None)
                db.session.commit()
            db.session.remove()
    except BaseException as error:  # reported by the main thread
        errors.append(error)


def _patient_sqlite(dbapi_connection, _record, _proxy) -> None:
    """SQLite has one writer at a time: on a busy test machine the others may wait longer
    than the app's five seconds; here they wait (a minute) instead of failing."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA busy_timeout = 60000")


@pytest.mark.commits
def test_concurrent_writers_to_one_campaign_leave_no_drift(app):
    """Four writers at once, two per drive, into the same buckets: no figure drifts."""
    drives, _campaign = a_coalition()
    ids = [drive.id for drive in drives]
    db.session.remove()
    errors: list[BaseException] = []
    start = threading.Barrier(4)
    threads = [threading.Thread(target=_write_in_thread,
                                args=(app, ids[number % 2], number, errors, start))
               for number in range(4)]
    event.listen(db.engine, "checkout", _patient_sqlite)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
    finally:
        event.remove(db.engine, "checkout", _patient_sqlite)
    assert not errors, errors
    assert db.session.query(Pledge).count() == 24
    code, output = check_totals(app)
    assert (code, output.strip()) == (0, "0 drifts in 2 drives and 2 campaigns")


def test_a_write_sums_only_its_own_campaigns_drives(app):
    """A campaign bucket is the sum of its own drives' buckets of that kind, currency and
    date: a drive of another campaign with pledges on the same day counts for that one."""
    world = make_world()
    ours = make_drive(world)
    theirs = make_drive(world, slug="paint-drive")
    theirs.campaign_id = world.other_campaign.id
    db.session.commit()
    for drive, amount in ((theirs, "700"), (ours, "300"), (theirs, "50"), (ours, "20")):
        services.log_pledge(drive, services.PledgeInput(
            amount=Decimal(amount), currency="RUB", pledged_on=date(2026, 3, 10),
            pledger_name="Same day"), by=None)
        db.session.commit()
    code, output = check_totals(app)
    assert (code, output.strip()) == (0, "0 drifts in 2 drives and 2 campaigns")
