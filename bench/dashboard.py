"""The dashboard against /healthz in one process, alternating, in English and Russian (issue 15).

    .venv/bin/python bench/dashboard.py instance/bench/r10k_200.sqlite [--rounds 15]

The app of the checkout this file sits in runs in this process; a test client logged in as
the bench coordinator requests `/healthz`, `/` in English and `/` in Russian in turn, each
round, after warm-up rounds; the time around each request is taken with
time.perf_counter. Prints each page's median and its ratio to `/healthz`. To compare two
checkouts, run this file from each in turn on the same database (see bench/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if not __package__:  # run as a file: import from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.coalition import BENCH_EMAIL


def main() -> None:
    """Time /healthz and the dashboard in both languages, alternating; print medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("database", type=Path)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    from tracker import create_app
    from tracker.auth.services import ClientInfo, find_user_by_email, start_session
    from tracker.auth.sessions import SESSION_KEY
    from tracker.extensions import db

    app = create_app({"DATABASE_URL": f"sqlite:///{args.database.resolve()}"})
    with app.app_context():
        user = find_user_by_email(BENCH_EMAIL)
        if user is None:
            raise SystemExit(f"{BENCH_EMAIL} is missing: run bench.seed first")
        _, token = start_session(user, ClientInfo("bench/dashboard.py", "127.0.0.1"))
        db.session.commit()
        db.session.remove()
    clients = {}
    for language in ("en", "ru"):
        client = app.test_client()
        with client.session_transaction() as session:
            session[SESSION_KEY] = token
            session["lang"] = language
        clients[language] = client
    pages = [("/healthz", clients["en"], "/healthz"), ("dashboard en", clients["en"], "/"),
             ("dashboard ru", clients["ru"], "/")]
    timings: dict[str, list[float]] = {name: [] for name, _, _ in pages}
    for round_ in range(args.warmup + args.rounds):
        for name, client, path in pages:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            if round_ >= args.warmup:
                timings[name].append(elapsed)
    health = statistics.median(timings["/healthz"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:14} median {median:8.2f} ms  {median / health:6.1f}x /healthz")


if __name__ == "__main__":
    main()
