"""Tracker served as in production, for the HTTP benchmarks (bench.pages, bench.load).

- `bench_database(backend, size)`: the database of a size, `instance/bench/
  bench_http_<label>.sqlite` or PostgreSQL `bench_http_<label>` (10k, 1m, or the number),
  created, migrated and seeded with `bench.seed` when it does not hold that coalition;
- `give_password(url)`: the bench coordinator, who has no password (bench/run.py opens
  its session directly), gets BENCH_PASSWORD, so that clients log in through the login
  form like anyone else;
- `Server`: gunicorn with deploy/gunicorn.conf.py (2 workers unless told otherwise) on a
  free port of 127.0.0.1, ENV=production with a random SECRET_KEY, Redis (DB 15 unless
  BENCH_REDIS_URL says otherwise), a BASE_URL and a temporary instance folder, so that no
  development setting (instance/config.py, the generated key) is in the measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import run
from bench.client import Browser
from bench.coalition import BENCH_EMAIL

ROOT = run.ROOT
BENCH_PASSWORD = "bench-password-2026-http"
BIG_DRIVE = "bench-big-drive"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
LABELS = {10_000: "10k", 1_000_000: "1m"}


def bench_database(backend: str, size: int) -> str:
    """The URL of this benchmark's own database for a backend and a size."""
    name = f"bench_http_{LABELS.get(size, str(size))}"
    if backend == "sqlite":
        return f"sqlite:///{run.BENCH_DIR / f'{name}.sqlite'}"
    return make_url(run.pg_server_url()).set(database=name).render_as_string(
        hide_password=False)


def prepare(url: str, size: int, campaigns: int | None = None, reseed: bool = False) -> None:
    """Create, migrate and seed the database unless it holds a coalition of this size.

    The benchmarks' writes add pledges, so a coalition with more than `size` of them
    (and less than twice as many) is still that size's; with `campaigns`, it must also
    hold that many campaigns.
    """
    sqlite = url.startswith("sqlite")
    exists = (Path(make_url(url).database or "").exists() if sqlite else run.pg_exists(url))
    found = run.seeded_size(url) if exists else None
    other_campaigns = (found is not None and campaigns is not None
                       and scalar(url, "SELECT count(*) FROM campaign") != campaigns)
    if exists and (reseed or found is None or not size <= found < 2 * max(size, 1)
                   or other_campaigns):
        run.drop_database(url)
        exists = False
    if exists:
        return
    run.create_database(url)
    upgrade = run.flask(url, "db", "upgrade", "heads", capture=True)
    if upgrade.returncode != 0:
        raise SystemExit(f"flask db upgrade failed:\n{upgrade.stderr}")
    command = [sys.executable, "-m", "bench.seed", "--pledges", str(size)]
    if campaigns is not None:
        command += ["--campaigns", str(campaigns)]
    print(f"seeding {make_url(url).render_as_string(hide_password=True)} "
          f"({size:,} pledges) ...", flush=True)
    seeded = subprocess.run(["nice", "-n", "10", *command], cwd=ROOT, check=False,
                            env={**os.environ, "TRACKER_DATABASE_URL": url})
    if seeded.returncode != 0:
        raise SystemExit("bench.seed failed")


def give_password(url: str) -> None:
    """Set BENCH_PASSWORD on the bench coordinator (argon2id, as the app hashes passwords)."""
    from tracker.auth.passwords import hash_password

    engine = create_engine(url)
    with engine.begin() as connection:
        done = connection.execute(
            text("UPDATE user_account SET password_hash = :hash, is_active = :yes "
                 "WHERE email = :email"),
            {"hash": hash_password(BENCH_PASSWORD), "email": BENCH_EMAIL, "yes": True})
    engine.dispose()
    if done.rowcount != 1:
        raise SystemExit(f"{BENCH_EMAIL} is missing: seed the database with bench.seed")


def scalar(url: str, statement: str, **params: Any) -> Any:
    """One value read from the database (to find the biggest campaign, a new pledge)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement), params).scalar()
    finally:
        engine.dispose()


def biggest_campaign(url: str) -> str:
    """The slug of the campaign with the most pledges."""
    return str(scalar(url, "SELECT c.slug FROM campaign c JOIN drive d ON d.campaign_id = c.id "
                           "JOIN pledge p ON p.drive_id = d.id GROUP BY c.id, c.slug "
                           "ORDER BY count(*) DESC LIMIT 1"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """gunicorn serving the app from a database, in production mode, until closed."""

    def __init__(self, url: str, workers: int = 2, worker_class: str = "sync",
                 threads: int = 1, extra: list[str] | None = None) -> None:
        self.url, self.workers = url, workers
        self.worker_class, self.threads = worker_class, threads
        self.extra = extra or []
        self.port = free_port()
        self.host = "127.0.0.1"
        self._folder = tempfile.TemporaryDirectory(prefix="tracker-bench-")
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(self._folder.name) / "gunicorn.log"

    def environment(self) -> dict[str, str]:
        """TRACKER_* settings of a production install pointed at the bench database."""
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("TRACKER_")}
        env.update({
            "TRACKER_ENV": "production",
            "TRACKER_SECRET_KEY": secrets.token_urlsafe(48),
            "TRACKER_DATABASE_URL": self.url,
            "TRACKER_REDIS_URL": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
            "TRACKER_BASE_URL": "https://bench.tracker.invalid",
            "TRACKER_INSTANCE_PATH": self._folder.name,
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_BIND": f"{self.host}:{self.port}",
        })
        if self.url.startswith("sqlite"):
            env["TRACKER_ALLOW_SQLITE_IN_PRODUCTION"] = "1"  # a one-machine install
        return env

    def describe(self) -> str:
        return (f"gunicorn -c deploy/gunicorn.conf.py, {self.workers} {self.worker_class} "
                f"workers" + (f" × {self.threads} threads" if self.worker_class == "gthread"
                              else "") + (f" {' '.join(self.extra)}" if self.extra else ""))

    def start(self, wait_seconds: float = 60) -> None:
        """Start gunicorn and wait until every worker answers /healthz."""
        command = [str(Path(sys.executable).with_name("gunicorn")), "-c",
                   "deploy/gunicorn.conf.py", "--worker-class", self.worker_class,
                   "--threads", str(self.threads), *self.extra, "tracker:create_app()"]
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(command, cwd=ROOT, env=self.environment(),
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + wait_seconds
        answered = 0
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SystemExit(f"gunicorn stopped:\n{self.log_path.read_text()[-3000:]}")
            browser = Browser(self.host, self.port, timeout=5)
            try:
                answered = answered + 1 if browser.get("/healthz").status == 200 else 0
            except OSError:
                answered = 0
            finally:
                browser.close()
            # Workers boot one after the other: a few answers in a row, then a pause, so
            # that the measured requests do not meet a worker still importing the app.
            if answered >= 2 * self.workers:
                time.sleep(1.0)
                return
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"gunicorn did not answer in {wait_seconds:.0f} s")

    def stop(self) -> None:
        """Stop gunicorn (its master ends its workers) and remove the instance folder."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self._folder.cleanup()

    def browser(self) -> Browser:
        return Browser(self.host, self.port)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def add_server_options(parser: argparse.ArgumentParser, backend: str) -> None:
    """The options bench.pages and bench.load share: the database, gunicorn, the results."""
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default=backend)
    parser.add_argument("--size", type=int, default=10_000, help="pledges (default 10000)")
    parser.add_argument("--campaigns", type=int, default=None,
                        help="campaigns to seed (passed to bench.seed when it seeds)")
    parser.add_argument("--database", help="a seeded database URL instead of the size's own")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--no-results", action="store_true",
                        help="do not write the JSON to bench/results/")


def serve(args: argparse.Namespace, reseed: bool = False) -> tuple[str, Server]:
    """The database the options name, prepared and given the password, and its Server."""
    url = args.database or bench_database(args.backend, args.size)
    if args.database is None:
        prepare(url, args.size, args.campaigns, reseed)
    give_password(url)
    return url, Server(url, args.workers, args.worker_class, args.threads)


def write_results(kind: str, url: str, size: int, record: dict[str, Any]) -> Path:
    """Write a run's figures to bench/results/<date>T<HHMM>-<host>-<kind>-<backend>-<size>.json."""
    now = datetime.now(UTC)
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    run.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = run.RESULTS_DIR / (f"{now:%Y-%m-%dT%H%M}-{socket.gethostname()}-{kind}-"
                              f"{backend}-{size}.json")
    path.write_text(json.dumps({
        "date": now.isoformat(timespec="seconds"), "machine": run.machine(),
        "database": run.make_url(url).render_as_string(hide_password=True), **record},
        indent=2, ensure_ascii=False) + "\n")
    return path
