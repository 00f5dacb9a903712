"""The synthetic coalition's 100 public live drives (one holds a tenth of the pledges), the
coordinator account the benchmark logs in as, and the roll-ups refreshed at the end."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from bench.coalition import (
    BENCH_EMAIL,
    COUNTRIES,
    PLEDGE_DAYS,
    PLEDGE_MEDIAN_USD,
    Coalition,
    DrivePlan,
)
from bench.rates import significant
from tracker.auth.models import Role
from tracker.auth.services import UserInput, create_user
from tracker.drives import services as drives
from tracker.drives.models import DriveStatus
from tracker.funding.services import refresh_all_campaign_funding

DRIVES_PER_CAMPAIGN = 5
BIG_DRIVE_SHARE = Decimal("0.10")


def add_drives(world: Coalition, pledge_count: int) -> None:
    """The coordinator account, then each campaign's drives, planned with their pledge counts."""
    rng, today = world.rng, world.today
    # The big drive holds a tenth; the others share the rest unevenly (a Zipf-like skew).
    weights = [1 / (rank ** 0.6) for rank in range(1, world.campaign_count * DRIVES_PER_CAMPAIGN)]
    rng.shuffle(weights)
    big = round(pledge_count * BIG_DRIVE_SHARE)
    counts = [big, *split(pledge_count - big, weights)]
    user = create_user(UserInput(email=BENCH_EMAIL, role=Role.COORDINATOR,
                                 language="en"), password=None)
    world.user_id = user.id
    index = 0
    for campaign, members in world.campaigns:
        for k in range(1, DRIVES_PER_CAMPAIGN + 1):
            organiser = members[0] if k == 1 else rng.choice(members)
            currency = COUNTRIES[organiser.country][4]
            if index == 0:
                currency = "RUB"
            elif rng.random() < 0.15:
                currency = rng.choice(("EUR", "USD"))
            is_big = index == 0
            starts_on = today - timedelta(days=PLEDGE_DAYS if is_big
                                          else rng.randint(200, PLEDGE_DAYS))
            count = counts[index]
            typical = Decimal(str(PLEDGE_MEDIAN_USD * 1.6)) * world.per_usd[currency]
            goal = significant(max(Decimal(1000), typical * max(count, 10)
                                   * Decimal(rng.randint(80, 200)) / 100), 2)
            slug = "bench-big-drive" if is_big else f"{campaign.slug}-drive-{k}"
            title = ("XRF testing in Chelyabinsk" if is_big
                     else f"{campaign.title_en}: drive {k}")
            drive = drives.create_drive(campaign, drives.DriveInput(
                slug=slug, title_en=title, title_ru=f"Сбор {index + 1}",
                organiser_org_id=organiser.id, goal=goal.quantize(Decimal(1)),
                currency=currency, starts_on=starts_on,
                ends_on=today + timedelta(days=rng.randint(10, 300)),
                purpose_en="Synthetic drive for benchmarks.",
                purpose_ru="Синтетический сбор для замеров.", is_public=True))
            drives.move_drive(drive, DriveStatus.LIVE)
            world.plans.append(DrivePlan(drive.id, slug, currency, starts_on, count))
            world.report.drives += 1
            index += 1
    world.report.big_drive = world.plans[0].slug


def split(total: int, weights: list[float]) -> list[int]:
    """`total` shared in proportion to the weights, largest remainders first (sums exactly)."""
    whole = sum(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [math.floor(share) for share in shares]
    order = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for i in order[:total - sum(counts)]:
        counts[i] += 1
    return counts


def refresh_drive_totals(world: Coalition) -> None:
    """Each drive's roll-up, by the drives service, from the rows written in bulk."""
    for plan in world.plans:
        drives.refresh_drive_totals(plan.id)


def refresh_campaign_funding(world: Coalition) -> None:
    """The campaigns' funding roll-up, by the funding service."""
    refresh_all_campaign_funding()
