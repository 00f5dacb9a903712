"""The dashboard against /healthz in one process, alternating, in English and Russian (issue 15).

    .venv/bin/python bench/dashboard.py instance/bench/r10k_200.sqlite [--rounds 15]

The app of the checkout this file sits in runs in this process; a test client logged in as
the bench coordinator requests `/healthz` and `/` in turn (bench/inprocess.py), in English,
then in Russian, after warm-up rounds; the time around each request is taken with
time.perf_counter. Prints each page's median and its ratio to `/healthz`. To compare two
checkouts, run this file from each in turn on the same database (see bench/README.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if not __package__:  # run as a file: import from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.inprocess import SignedIn


def main() -> None:
    """Time the dashboard in both languages, each against /healthz, alternating; print medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("database", type=Path)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    bench = SignedIn(f"sqlite:///{args.database.resolve()}", "bench/dashboard.py")
    pages = [("dashboard en", "/", "en"), ("dashboard ru", "/", "ru")]
    for page in bench.time(pages, args.rounds, args.warmup):
        if page.status != 200:
            raise SystemExit(f"{page.path} ({page.language}): {page.status}")
        print(f"{page.name:14} median {page.median_ms:8.2f} ms, /healthz "
              f"{page.health_median_ms:6.2f} ms: {page.ratio:6.1f}x /healthz")
    bench.close()


if __name__ == "__main__":
    main()
