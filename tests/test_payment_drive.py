"""A payment knows its drive (issue 15): logged, imported or moved with its pledge, its
drive is its pledge's, and the received bucket a payment write re-sums is read from the
drive's own index, not from every drive's payments of that day."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text

from tests.drive_support import (
    DRIVE_SLUG,
    make_drive,
    make_payment,
    make_pledge,
    page_text,
    recomputed_totals,
    stored_totals,
)
from tracker.drives.buckets import RECEIVED, BucketKey, sum_bucket
from tracker.drives.conversion import unconverted_payments
from tracker.drives.inputs import today
from tracker.drives.models import Payment, Pledge
from tracker.drives.selectors import missing_rates
from tracker.extensions import db

PAGE = f"/drives/{DRIVE_SLUG}"
NEW_INDEX = "ix_payment_drive_id_paid_on"


def drives_of_payments(pledge: Pledge) -> set[int]:
    """The drives the pledge's payments store, read afresh from the database."""
    db.session.expire_all()
    return set(db.session.scalars(select(Payment.drive_id)
                                  .where(Payment.pledge_id == pledge.id)))


def test_a_payment_posted_on_the_form_takes_its_pledges_drive(as_lead, world, drive):
    make_drive(world, slug="other-drive")  # its ids come first or not: the pledge decides
    pledge = make_pledge(drive, amount="5000", name="Payer")
    response = as_lead.post(f"{PAGE}/pledges/{pledge.id}/payments", data={
        "amount": "1200", "currency": "RUB", "paid_on": "2026-03-15", "method": "cash",
        "reference": "", "note": ""})
    assert response.status_code == 302, response.text

    assert drives_of_payments(pledge) == {drive.id}
    assert "Received RUB 1,200.00" in page_text(as_lead.get(PAGE).text)
    assert stored_totals(drive) == recomputed_totals(drive)


def test_payments_move_with_their_pledge_to_another_drive(as_lead, world, drive):
    other = make_drive(world, slug="other-drive")
    pledge = make_pledge(drive, amount="5000", name="Mover")
    make_payment(pledge, "1000")
    make_payment(pledge, "500", paid_on=date(2026, 3, 16))
    stay = make_pledge(drive, amount="300", name="Stayer")
    make_payment(stay, "300")

    pledge.drive_id = other.id
    db.session.commit()

    assert drives_of_payments(pledge) == {other.id}
    assert drives_of_payments(stay) == {drive.id}
    for each in (drive, other):
        assert stored_totals(each) == recomputed_totals(each)
    assert stored_totals(drive)["received_minor"] == 30000
    assert stored_totals(other)["received_minor"] == 150000
    assert "Received RUB 1,500.00" in page_text(as_lead.get("/drives/other-drive").text)
    assert "Received RUB 300.00" in page_text(as_lead.get(PAGE).text)


def test_payments_move_with_a_pledge_moved_through_its_relationship(world, drive):
    other = make_drive(world, slug="other-drive")
    pledge = make_pledge(drive, amount="5000", name="Mover")
    make_payment(pledge, "1000")

    pledge.drive = other
    db.session.commit()

    assert drives_of_payments(pledge) == {other.id}
    assert stored_totals(other) == recomputed_totals(other)
    assert stored_totals(drive) == recomputed_totals(drive)


def test_imported_payments_take_the_drive_they_are_imported_into(runner, as_lead, world, drive,
                                                                 tmp_path: Path):
    make_drive(world, slug="other-drive")
    path = tmp_path / "pledges.csv"
    path.write_text("date,name,email,amount,currency,reference,paid_amount,paid_currency,"
                    "paid_on,paid_method,status\n"
                    "2026-03-10,Anna,,1500.50,RUB,tx-1,1500.50,,,card,paid\n"
                    "2026-03-11,Dana,,1000,RUB,tx-2,400,,2026-03-12,,pledged\n",
                    encoding="utf-8")

    result = runner.invoke(args=["import-pledges", str(path), "--drive", DRIVE_SLUG])

    assert result.exit_code == 0, result.output
    assert "2 payments recorded." in result.output
    db.session.expire_all()
    assert set(db.session.scalars(select(Payment.drive_id))) == {drive.id}
    assert stored_totals(drive) == recomputed_totals(drive)
    assert "Received RUB 1,900.50" in page_text(as_lead.get(PAGE).text)


def _other_drives_payments_today(world: Any, count: int) -> None:
    """Many payments of today in the same currency, in another drive (bypassing the roll-ups:
    only the plan is looked at)."""
    other = make_drive(world, slug="busy-drive")
    pledge = make_pledge(other, amount="1000000", name="Busy")
    now = db.session.scalar(select(Pledge.created_at).where(Pledge.id == pledge.id))
    db.session.execute(insert(Payment), [
        {"pledge_id": pledge.id, "drive_id": other.id, "amount_minor": 100 + n,
         "currency": "RUB", "paid_on": today(), "pledge_amount_currency": "RUB",
         "drive_amount_currency": "RUB", "created_at": now, "updated_at": now}
        for n in range(count)])


def test_the_received_bucket_is_summed_from_the_drives_own_index(world, drive, backend):
    """The bucket's statement names the drive's index in its plan, with 400 payments of the
    same day and currency in another drive (on PostgreSQL with fresh statistics, and no
    planner setting forced)."""
    _other_drives_payments_today(world, 400)
    pledge = make_pledge(drive, amount="5000", name="Payer")
    make_payment(pledge, "10", paid_on=today())
    make_payment(pledge, "15", paid_on=today())
    if backend == "postgresql":
        db.session.execute(text("ANALYZE payment"))
    else:
        db.session.execute(text("ANALYZE"))
    with payment_reads() as reads:
        figures = sum_bucket(BucketKey(drive.id, RECEIVED, "RUB", today()))

    assert (figures.minor, figures.count) == (2500, 2)
    [(statement, parameters)] = reads
    assert "JOIN pledge" not in statement
    plan = plan_of(statement, parameters, backend)
    assert NEW_INDEX in plan, plan


@contextmanager
def payment_reads() -> Iterator[list[tuple[str, Any]]]:
    """The statements reading payments inside the block, with their parameters (to EXPLAIN
    them as they ran)."""
    reads: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if "FROM payment" in statement:
            reads.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield reads
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def plan_of(statement: str, parameters: Any, backend: str) -> str:
    """The database's plan of a statement as the app ran it (no planner setting forced)."""
    connection = db.session.connection()
    if backend == "postgresql":
        return "\n".join(row[0] for row in connection.exec_driver_sql(
            f"EXPLAIN {statement}", parameters))
    return "\n".join(row[3] for row in connection.exec_driver_sql(
        f"EXPLAIN QUERY PLAN {statement}", parameters))


def test_a_drives_payments_without_a_rate_are_read_from_their_own_index(world, drive,
                                                                       backend):
    """The drive page names the payments that lack a rate: a few among a big drive's tens of
    thousands. Read through the drive's index of all its payments, SQLite walked every one
    (22 ms at 1,000,000 pledges); the partial index of the unconverted ones holds the few
    (with fresh statistics; without any, SQLite takes it for its order: see the model)."""
    pledge = make_pledge(drive, amount="1000000", name="Regular")
    now = db.session.scalar(select(Pledge.created_at).where(Pledge.id == pledge.id))
    db.session.execute(insert(Payment), [
        {"pledge_id": pledge.id, "drive_id": drive.id, "amount_minor": 100 + n,
         "currency": "RUB", "paid_on": date(2026, 3, 1 + n % 28),
         "pledge_amount_minor": 100 + n, "pledge_amount_currency": "RUB",
         "drive_amount_minor": 100 + n, "drive_amount_currency": "RUB",
         "created_at": now, "updated_at": now}
        for n in range(400)])
    make_payment(make_pledge(drive, amount="500", name="Far"), "50", currency="MDL")
    db.session.execute(text("ANALYZE payment" if backend == "postgresql" else "ANALYZE"))
    with payment_reads() as reads:
        unconverted = unconverted_payments(drive)
        missing = missing_rates(drive)

    assert [payment.currency for payment in unconverted] == ["MDL"]
    assert {(rate.base, rate.quote) for rate in missing} == {("MDL", "RUB")}
    assert len(reads) == 2
    for statement, parameters in reads:
        plan = plan_of(statement, parameters, backend)
        assert "ix_payment_unconverted" in plan, plan
