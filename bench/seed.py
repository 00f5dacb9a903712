"""A synthetic coalition for benchmarks: `.venv/bin/python -m bench.seed --pledges N`.

Twenty campaigns (`--campaigns N` for more) with their lead and partner NGOs across the
EECCA countries, funding targets with budget lines, donors' calls and about 2,000
applications at every stage, five public live drives a campaign (100 by default), N
pledges in mixed currencies (one drive holds a tenth of them)
with payments for about half, weekday exchange rates for every pair of the coalition's
currencies over the two years the pledges span, and one coordinator account
(bench@bench.tracker) for the benchmark to request pages as. The database is the app's
(TRACKER_DATABASE_URL), and must be empty and migrated.

The few records (organisations, campaigns, targets, drives, the account) go through the
services (bench.coalition, bench.drives). Rates, calls, applications, pledges and
payments are too many for that: they are written in chunks by `tracker.bulk.bulk_insert`
(bench.rows), with the "created" audit event the ORM hooks would have written for each
row; pledges' and payments' stored conversions come from money.services.RateBook
(bench.pledges). Then every drive's roll-up is refreshed by the drives service, and the
campaigns' funding roll-up by the funding service. Everything is one transaction: a
failure leaves the database as empty as it was.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy import select

if not __package__:  # run as a file, `python bench/seed.py`: import from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import applications, coalition, drives, pledges, rates
from bench.coalition import BENCH_EMAIL, CAMPAIGNS, BenchReport, Coalition
from tracker import create_app
from tracker.campaigns.models import Campaign
from tracker.drives.services import today
from tracker.errors import DomainError
from tracker.extensions import db


class BenchError(DomainError):
    """The synthetic coalition cannot be built into this database."""


@click.command("seed-bench")
@click.option("--pledges", "pledge_count", type=click.IntRange(min=0), default=10_000,
              show_default=True, help="How many pledges to create across the drives.")
@click.option("--campaigns", "campaign_count", type=click.IntRange(min=1), default=CAMPAIGNS,
              show_default=True,
              help="How many campaigns, each with 5 drives (the dashboard lists them all).")
@click.option("--seed", type=int, default=2026, show_default=True,
              help="Seed of the random generator: the same seed builds the same coalition.")
@with_appcontext
def seed_bench(pledge_count: int, campaign_count: int, seed: int) -> None:
    """Build a synthetic coalition with N pledges into an empty database, for benchmarks."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("This is a production database: the benchmark generator "
                                   "only fills empty development or benchmark databases.")
    started = time.perf_counter()
    try:
        with click.progressbar(length=pledge_count, label="Pledges", show_pos=True) as bar:
            report = build_coalition(pledge_count, seed, progress=bar.update,
                                     campaign_count=campaign_count)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    commit_started = time.perf_counter()
    db.session.commit()
    report.timings["commit"] = time.perf_counter() - commit_started
    elapsed = time.perf_counter() - started
    click.echo(f"Created {report.organisations} organisations, {report.campaigns} campaigns, "
               f"{report.targets} funding targets with {report.lines} budget lines, "
               f"{report.rates} exchange rates, {report.calls} funding calls, "
               f"{report.applications} applications, {report.drives} drives, "
               f"{report.pledges} pledges, {report.payments} payments and {report.events} "
               f"audit events in {elapsed:.1f} s.")
    click.echo(f"Biggest drive: {report.big_drive}. Log in as {BENCH_EMAIL} (no password: "
               f"the benchmark opens its session itself).")
    click.echo("Time per step: " + ", ".join(
        f"{step} {seconds:.1f} s" for step, seconds in report.timings.items()) + ".")


def build_coalition(pledge_count: int, seed: int,
                    progress: Callable[[int], Any] = lambda done: None,
                    campaign_count: int = CAMPAIGNS) -> BenchReport:
    """Write the synthetic coalition into an empty database, in the session's transaction."""
    if db.session.scalar(select(Campaign.id).limit(1)) is not None:
        raise BenchError("The database already holds campaigns: the benchmark generator fills "
                         "an empty database only. Point TRACKER_DATABASE_URL at a new database "
                         "and run flask db upgrade first.")
    report = BenchReport()
    world = Coalition(random.Random(seed), today(), report, campaign_count=campaign_count)
    steps: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
        ("organisations", coalition.add_organisations, ()),
        ("campaigns", coalition.add_campaigns, ()),
        ("rates", rates.add_rates, ()),
        ("applications", applications.add_applications, ()),
        ("drives", drives.add_drives, (pledge_count,)),
        ("pledges", pledges.add_pledges, (pledge_count, progress)),
        ("drive totals", drives.refresh_drive_totals, ()),
        ("campaign funding", drives.refresh_campaign_funding, ()),
    ]
    for name, work, args in steps:
        started = time.perf_counter()
        work(world, *args)
        db.session.flush()
        report.timings[name] = time.perf_counter() - started
    return report


if __name__ == "__main__":
    seed_bench(obj=ScriptInfo(create_app=create_app))
