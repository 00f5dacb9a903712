"""Issue 15's list pages at 1,000 rows: each list's median against /healthz's, alternately.

Builds (once) a SQLite database instance/bench/lists_<N>.sqlite: `flask db upgrade`, the
synthetic coalition (`bench.seed --pledges 1000`: 2,000 applications, 100 drives, 20
campaigns, 53 organisations), then enough more organisations, campaigns and drives, made
through the services, that each list holds at least N rows. Then, in this process with the
Flask test client logged in as the bench coordinator, it requests /healthz and one list
page in turn, `--runs` times each after a warm-up, and prints each page's median, its ratio
to /healthz's median in the same run and its SQL statements.

    .venv/bin/python bench/lists.py [--rows 1000] [--runs 30] [--reseed]

TRACKER_ROOT=/path/to/other/checkout runs the same measurement against that checkout's app
(the "before" figures), on the same database.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP_ROOT = Path(os.environ.get("TRACKER_ROOT", ROOT)).resolve()
if not __package__:  # run as a file: this checkout's bench package ...
    sys.path.insert(0, str(ROOT))
from bench.inprocess import SignedIn, Timings  # noqa: E402

if not __package__:  # ... and the app from TRACKER_ROOT (default this checkout)
    sys.path.insert(0, str(APP_ROOT))

PAGES = [("drives", "/drives/"), ("campaigns", "/campaigns/"),
         ("applications", "/applications/"), ("applications board", "/applications/?view=board"),
         ("organisations", "/orgs/"), ("grants", "/grants/"), ("audit", "/audit/"),
         ("rates", "/rates")]
PLEDGES = 1000


def database_url(rows: int) -> str:
    return f"sqlite:///{ROOT / 'instance' / 'bench' / f'lists_{rows}.sqlite'}"


def flask(url: str, *args: str) -> None:
    """Run a flask command of this checkout against the database."""
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "tracker", *args], check=True,
                   cwd=ROOT, env=env)


def build(url: str, rows: int) -> None:
    """Migrate, seed the coalition, then add rows until each list holds `rows`."""
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    flask(url, "db", "upgrade")
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "bench.seed", "--pledges", str(PLEDGES)], check=True,
                   cwd=ROOT, env=env)
    from sqlalchemy import func, select

    from tracker import create_app
    from tracker.campaigns.models import Campaign, CampaignStatus, Theme
    from tracker.campaigns.services import CampaignInput, create_campaign
    from tracker.drives import services as drives
    from tracker.drives.models import Drive, DriveStatus
    from tracker.extensions import db
    from tracker.orgs.models import Organization, OrgKind
    from tracker.orgs.services import OrganizationInput, create_organization

    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        def count(model: Any) -> int:
            return db.session.scalar(select(func.count()).select_from(model)) or 0

        for n in range(count(Organization), rows):
            create_organization(OrganizationInput(f"list-org-{n}", f"Member {n:04d}",
                                                  f"Член {n:04d}", "KZ", OrgKind.NGO))
        lead = db.session.scalars(select(Organization).order_by(Organization.id)).first()
        assert lead is not None
        for n in range(count(Campaign), rows):
            create_campaign(CampaignInput(
                slug=f"list-campaign-{n}", title_en=f"Listed campaign {n:04d}",
                title_ru=f"Кампания списка {n:04d}", theme=Theme.LEAD_PAINT,
                lead_org_id=lead.id, status=CampaignStatus.ACTIVE, countries=("KZ",)))
            if n % 100 == 0:
                db.session.commit()
        db.session.commit()
        campaigns = list(db.session.scalars(select(Campaign).order_by(Campaign.id).limit(20)))
        for n in range(count(Drive), rows):
            campaign = campaigns[n % len(campaigns)]
            drive = drives.create_drive(campaign, drives.DriveInput(
                slug=f"list-drive-{n}", title_en=f"Listed drive {n:04d}",
                title_ru=f"Сбор списка {n:04d}", organiser_org_id=campaign.lead_org_id,
                goal=Decimal(100000), currency="RUB",
                starts_on=date(2026, 1, 1) - timedelta(days=n % 500), ends_on=None,
                purpose_en="", purpose_ru="", is_public=False))
            drives.move_drive(drive, DriveStatus.LIVE)
            if n % 100 == 0:
                db.session.commit()
        db.session.commit()
    print(f"Built {url}", file=sys.stderr)


def measure(url: str, runs: int, warmup: int = 3) -> list[Timings]:
    """Each list page's timings against /healthz's and its SQL statements."""
    bench = SignedIn(url, "bench/lists.py")
    results = bench.time([(name, path, "en") for name, path in PAGES], runs, warmup)
    bench.close()
    return results


def main() -> None:
    """Build the database if needed, measure, print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    url = database_url(args.rows)
    if args.reseed or not Path(url.removeprefix("sqlite:///")).exists():
        build(url, args.rows)
    load = os.getloadavg()
    print(f"App from {APP_ROOT}; {args.rows} rows; median of {args.runs}; "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("| page | status | median ms | /healthz ms | ratio | SQL statements |")
    print("|---|---|---|---|---|---|")
    for page in measure(url, args.runs):
        print(f"| {page.name} `{page.path}` | {page.status} | {page.median_ms:.1f} | "
              f"{page.health_median_ms:.1f} | {page.ratio:.1f}× | {page.statements} |")


if __name__ == "__main__":
    main()
