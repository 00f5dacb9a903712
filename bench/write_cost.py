"""What one pledge write and one payment write cost, with their roll-ups, in a bench database.

    TRACKER_DATABASE_URL=sqlite:///instance/bench/p10000.db .venv/bin/python -m bench.write_cost

Logs pledges and payments into the biggest drive of a database built by bench.seed,
through the drives services, each committed on its own (the commit runs the roll-ups),
and prints the median and the spread. Every write is undone afterwards (payments removed,
pledges deleted, through the services), so the database keeps its coalition. Issue 15
asks that the cost be the same at 10,000 and at 1,000,000 pledges (ratio at most 1.3).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import click
from sqlalchemy import func, select

from tracker import create_app
from tracker.drives import services
from tracker.drives.models import Drive, Pledge
from tracker.extensions import db


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    db.session.commit()
    return time.perf_counter() - started


@click.command()
@click.option("--writes", default=15, show_default=True, help="Pledges (and as many payments).")
@click.option("--slug", default="bench-big-drive", show_default=True)
def main(writes: int, slug: str) -> None:
    """Time pledge and payment writes with their roll-ups, then undo them."""
    app = create_app()
    with app.app_context():
        drive = db.session.scalar(select(Drive).where(Drive.slug == slug))
        if drive is None:
            raise SystemExit(f"no drive {slug}: build the database with bench.seed first")
        total = db.session.scalar(select(func.count()).select_from(Pledge))
        in_drive = db.session.scalar(select(func.count()).select_from(Pledge)
                                     .where(Pledge.drive_id == drive.id))
        on = date.today()
        pledges: list[Pledge] = []
        pledge_times: list[float] = []
        payment_times: list[float] = []
        for number in range(writes + 1):  # the first of each is a warm-up
            data = services.PledgeInput(amount=Decimal("150.00"), currency=drive.currency,
                                        pledged_on=on, pledger_name=f"Write bench {number}")
            paid = services.PaymentInput(amount=Decimal("50.00"), currency=drive.currency,
                                         paid_on=on)

            def log(data: services.PledgeInput = data) -> None:
                pledges.append(services.log_pledge(drive, data, by=None))

            def pay(paid: services.PaymentInput = paid) -> None:
                services.record_payment(pledges[-1], paid, by=None)

            pledge_times.append(_timed(log))
            payment_times.append(_timed(pay))
        for pledge in pledges:
            for recorded in list(pledge.payments):
                services.remove_payment(recorded)
            db.session.commit()
            services.delete_pledge(pledge, "Write bench")
            db.session.commit()
        for name, times in (("pledge", pledge_times[1:]), ("payment", payment_times[1:])):
            click.echo(f"{db.engine.dialect.name} {total:,} pledges ({in_drive:,} in {slug}): "
                       f"{name} write + commit median {statistics.median(times) * 1000:.1f} ms "
                       f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, "
                       f"n={len(times)})")


if __name__ == "__main__":
    main()
