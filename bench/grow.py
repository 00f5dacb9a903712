"""Grow a seeded bench database's drives to a round number, for the list pages (issue 15).

`.venv/bin/python -m bench.grow --database URL --drives 1000` adds empty public live
drives, through the drives service, spread over the coalition's campaigns, until the
database holds that many drives (it never removes any): issue 15 times `/drives/` at
1,000 rows. The seed's own 100 drives, their pledges and the big drive are untouched,
so bench.pages measures the same campaign and drive pages afterwards. Campaigns come
from bench.seed (`--campaigns N`, when the seed offers it); applications already number
2,000.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

if not __package__:  # run as a file: import from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.coalition import BENCH_EMAIL


def grow_drives(url: str, target: int) -> int:
    """Add drives until there are `target`; how many were added."""
    from tracker import create_app
    from tracker.audit.hooks import acting_as
    from tracker.auth.services import find_user_by_email
    from tracker.campaigns.models import Campaign
    from tracker.drives import services as drives
    from tracker.drives.models import Drive, DriveStatus
    from tracker.drives.services import today
    from tracker.extensions import db

    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        user = find_user_by_email(BENCH_EMAIL)
        if user is None:
            raise SystemExit(f"{BENCH_EMAIL} is missing: seed the database with bench.seed")
        have = db.session.scalar(select(func.count()).select_from(Drive)) or 0
        campaigns = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
        added = 0
        with acting_as(user.id):
            for n in range(have, target):
                campaign = campaigns[n % len(campaigns)]
                drive = drives.create_drive(campaign, drives.DriveInput(
                    slug=f"bench-list-drive-{n + 1}", title_en=f"Listed drive {n + 1}",
                    title_ru=f"Сбор в списке {n + 1}", organiser_org_id=campaign.lead_org_id,
                    goal=Decimal(10_000 + 10 * n), currency="EUR",
                    starts_on=today() - timedelta(days=n % 300), is_public=True))
                drives.move_drive(drive, DriveStatus.LIVE)
                added += 1
                if added % 100 == 0:
                    db.session.commit()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="a seeded bench database URL")
    parser.add_argument("--drives", type=int, default=1000, help="drives to reach (1000)")
    args = parser.parse_args(argv)
    added = grow_drives(args.database, args.drives)
    print(f"Added {added} drives.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
