"""Tracker's benchmark (`make bench`): pages at 10,000 and 1,000,000 pledges, and an import.

For each backend (SQLite always; PostgreSQL when reachable) and each size:

1. a database per size (instance/bench/bench_<N>.sqlite; PostgreSQL bench_10k, bench_1m,
   bench_<N>), created if missing, migrated (`flask db upgrade`), seeded with
   `python -m bench.seed --pledges N` unless it already holds that complete coalition;
2. the server time of the coordinator's dashboard `/`, the staff page of the biggest drive
   and its public page `/d/<slug>`: the app runs in this process, a test client logged in
   as bench@bench.tracker requests each page (redirects not followed), and the time
   around each request is taken with time.perf_counter, after a warm-up, alternating with
   `/healthz` (bench/inprocess.py), whose median in the same rounds gives each page's ratio;
3. on the smallest size, importing a 100,000-row CSV with `flask import-pledges` into a
   fresh drive of a throw-away copy of that database, timed in a child process whose
   peak memory (ru_maxrss) is read with os.wait4.

A markdown table goes to the terminal, every figure to bench/results/<date>-<host>.json.

    .venv/bin/python bench/run.py [--sizes 10000,1000000] [--backends sqlite,postgresql]
                                  [--runs 50] [--reseed] [--no-import]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import random
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

if not __package__:  # run as a file, `python bench/run.py`: import from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.coalition import BENCH_EMAIL

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "instance" / "bench"
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAMES = {10_000: "bench_10k", 1_000_000: "bench_1m"}
IMPORT_ROWS = 100_000
IMPORT_CURRENCIES = ("RUB", "RUB", "RUB", "KZT", "EUR", "USD", "KGS", "UAH")
# Targets of issue 4 at 1,000,000 pledges (server time), and for the import.
TARGET_MEDIAN_MS = 50.0
TARGET_P95_MS = 100.0
TARGET_RATIO = 3.0
TARGET_IMPORT_S = 10.0
TARGET_IMPORT_MB = 200.0


@dataclass
class PageResult:
    name: str
    path: str
    status: int
    runs: int
    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float
    queries: int
    bytes: int
    healthz_median_ms: float = 0.0


@dataclass
class SizeResult:
    backend: str
    size: int
    database: str
    seeded_now: bool = False
    seed_seconds: float | None = None
    pages: list[PageResult] = field(default_factory=list)
    load_average: list[float] = field(default_factory=list)  # after timing the pages


@dataclass
class ImportOutcome:
    backend: str
    size: int
    available: bool
    rows: int = IMPORT_ROWS
    returncode: int | None = None
    seconds: float | None = None
    peak_mb: float | None = None
    output: str = ""


# --- databases -------------------------------------------------------------------------


def sqlite_url(size: int) -> str:
    return f"sqlite:///{BENCH_DIR / f'bench_{size}.sqlite'}"


def pg_server_url() -> str:
    return os.environ.get("TRACKER_BENCH_DATABASE_URL") or DEFAULT_PG


def pg_url(size: int) -> str:
    name = PG_NAMES.get(size, f"bench_{size}")
    return make_url(pg_server_url()).set(database=name).render_as_string(hide_password=False)


def pg_reachable() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        engine = create_engine(make_url(pg_server_url()).set(database="postgres"))
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure means: skip PostgreSQL, say why
        return str(error).splitlines()[0]
    return None


def _pg_admin(statement: str) -> None:
    engine = create_engine(make_url(pg_server_url()).set(database="postgres"),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def pg_exists(url: str) -> bool:
    name = make_url(url).database
    engine = create_engine(make_url(pg_server_url()).set(database="postgres"))
    with engine.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": name}).first()
    engine.dispose()
    return found is not None


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        _pg_admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def create_database(url: str, template: str | None = None) -> None:
    if url.startswith("sqlite"):
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = Path(make_url(url).database or "")
        if template is not None:
            # sqlite3's backup API copies a consistent snapshot (WAL included).
            source = sqlite3.connect(make_url(template).database or "")
            target = sqlite3.connect(path)
            with target:
                source.backup(target)
            source.close()
            target.close()
        return
    name = make_url(url).database
    if template is None:
        _pg_admin(f'CREATE DATABASE "{name}"')
    else:
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"')


def seeded_size(url: str) -> int | None:
    """How many pledges a complete bench coalition in this database has (None: none)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            user = connection.execute(text("SELECT id FROM user_account WHERE email = :email"),
                                      {"email": BENCH_EMAIL}).first()
            if user is None:
                return None
            return connection.execute(select(func.count()).select_from(text("pledge"))).scalar()
    except Exception:
        return None
    finally:
        engine.dispose()


def holds_anything(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return (connection.execute(text("SELECT count(*) FROM campaign")).scalar() or 0) > 0
    except Exception:
        return False
    finally:
        engine.dispose()


def flask(url: str, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `flask --app tracker ARGS` against the database, from the repository root."""
    env = {**os.environ, "TRACKER_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "tracker", *args], cwd=ROOT,
                          env=env, text=True, capture_output=capture, check=False)


def seed(url: str, size: int) -> subprocess.CompletedProcess[str]:
    """Build the synthetic coalition with `size` pledges into the database (bench/seed.py)."""
    env = {**os.environ, "TRACKER_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "bench.seed", "--pledges", str(size)],
                          cwd=ROOT, env=env, text=True, check=False)


def prepare(backend: str, size: int, reseed: bool) -> SizeResult:
    """The size's database, migrated and seeded (reusing a complete one unless --reseed)."""
    url = sqlite_url(size) if backend == "sqlite" else pg_url(size)
    result = SizeResult(backend, size, make_url(url).render_as_string(hide_password=True))
    exists = (Path(make_url(url).database or "").exists() if backend == "sqlite"
              else pg_exists(url))
    if reseed and exists:
        drop_database(url)
        exists = False
    if not exists:
        create_database(url)
    upgrade = flask(url, "db", "upgrade", "heads", capture=True)
    if upgrade.returncode != 0:
        raise SystemExit(f"flask db upgrade failed on {result.database}:\n{upgrade.stderr}")
    if seeded_size(url) == size:
        print(f"  {backend} {size:,}: complete coalition found in {result.database}; "
              f"not seeded again (--reseed to rebuild)")
        return result
    if holds_anything(url):  # another size, or an older coalition: start again
        drop_database(url)
        create_database(url)
        flask(url, "db", "upgrade", "heads", capture=True)
    print(f"  {backend} {size:,}: seeding {result.database} ...", flush=True)
    started = time.perf_counter()
    seeded = seed(url, size)
    if seeded.returncode != 0:
        raise SystemExit(f"bench.seed failed on {result.database}")
    result.seeded_now, result.seed_seconds = True, time.perf_counter() - started
    return result


# --- pages ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure_pages(url: str, runs: int, warmup: int) -> list[PageResult]:
    """Time the three pages in this process against /healthz, as the bench coordinator."""
    from bench.inprocess import SignedIn
    from tracker.drives.models import Drive, Pledge
    from tracker.extensions import db

    bench = SignedIn(url, "bench/run.py")
    with bench.app.app_context():
        biggest = db.session.execute(
            select(Drive.slug).join(Pledge, Pledge.drive_id == Drive.id)
            .group_by(Drive.id, Drive.slug).order_by(func.count().desc()).limit(1)
        ).scalar_one()
        db.session.remove()
    pages = [("dashboard", "/", "en"), ("drive (staff)", f"/drives/{biggest}", "en"),
             ("drive (public)", f"/d/{biggest}", "en")]
    results = [PageResult(
        name=t.name, path=t.path, status=t.status, runs=runs, median_ms=t.median_ms,
        p95_ms=percentile(t.page_ms, 0.95), min_ms=min(t.page_ms), max_ms=max(t.page_ms),
        queries=t.statements, bytes=t.bytes, healthz_median_ms=t.health_median_ms)
        for t in bench.time(pages, runs, warmup)]
    bench.close()
    return results


# --- the import ----------------------------------------------------------------------------


def write_import_csv(path: Path, rows: int, seed: int = 4) -> None:
    """date,name,email,amount,currency,reference: mixed currencies, unique references."""
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    names = ("Анна Петрова", "Иван Смирнов", "Aigul Sadykova", "Nino Beridze", "Olga Ceban")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("date", "name", "email", "amount", "currency", "reference"))
        for n in range(rows):
            currency = rng.choice(IMPORT_CURRENCIES)
            whole = rng.randint(1, 200) * {"KZT": 500, "RUB": 100, "KGS": 100,
                                           "UAH": 50}.get(currency, 1)
            amount = f"{whole}.{rng.randint(0, 99):02d}"
            if rng.random() < 0.3:
                amount = amount.replace(".", ",")  # some exports use a decimal comma
            anonymous = rng.random() < 0.2
            writer.writerow((
                (today - timedelta(days=rng.randint(0, 700))).isoformat(),
                "" if anonymous else rng.choice(names),
                "" if anonymous else f"donor{n}@example.org",
                amount, currency, f"IMP-{run}-{n:06d}"))


def import_available() -> bool:
    check = subprocess.run([sys.executable, "-m", "flask", "--app", "tracker",
                            "import-pledges", "--help"], cwd=ROOT, capture_output=True,
                           text=True, check=False)
    return check.returncode == 0


def fresh_drive(url: str) -> str:
    """A new live drive in roubles in the bench campaign; its slug."""
    from tracker import create_app
    from tracker.campaigns.services import find_campaign
    from tracker.drives import services
    from tracker.drives.models import DriveStatus
    from tracker.extensions import db

    app = create_app({"DATABASE_URL": url})
    slug = f"bench-import-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}"
    with app.app_context():
        campaign = find_campaign("bench-campaign-01")
        if campaign is None:
            raise SystemExit("bench-campaign-01 is missing: run bench.seed first")
        drive = services.create_drive(campaign, services.DriveInput(
            slug=slug, title_en="Import benchmark", title_ru="Замер импорта",
            organiser_org_id=campaign.lead_org_id, goal=Decimal("5000000"),
            currency="RUB", starts_on=date.today() - timedelta(days=730), is_public=True))
        services.move_drive(drive, DriveStatus.LIVE)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return slug


def measure_import(backend: str, size: int, source_url: str) -> ImportOutcome:
    """Import 100,000 rows into a fresh drive of a copy of the database, in a child process."""
    outcome = ImportOutcome(backend, size, available=import_available())
    if not outcome.available:
        print("  import-pledges not available")
        return outcome
    copy_url = (f"sqlite:///{BENCH_DIR / 'bench_import.sqlite'}" if backend == "sqlite"
                else make_url(pg_server_url()).set(database="bench_import")
                .render_as_string(hide_password=False))
    drop_database(copy_url)
    create_database(copy_url, template=source_url)
    try:
        slug = fresh_drive(copy_url)
        path = BENCH_DIR / "import_100k.csv"
        write_import_csv(path, IMPORT_ROWS)
        env = {**os.environ, "TRACKER_DATABASE_URL": copy_url}
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "tracker", "import-pledges", str(path),
             "--drive", slug], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        output = child.stdout.read() if child.stdout else ""
        _, status, usage = os.wait4(child.pid, 0)
        outcome.seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        outcome.returncode = child.returncode
        outcome.peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
        outcome.output = "\n".join(line for line in output.replace("\r", "\n").splitlines()
                                   if line.strip() and "%" not in line)[-4000:]
    finally:
        drop_database(copy_url)
    return outcome


# --- report ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kb = int(info.readline().split()[1])
            memory = f"{kb // 1024} MB"
    except OSError:
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info
                        if line.startswith("model name")), "")
    except OSError:
        pass
    return {"host": socket.gethostname(), "cpus": os.cpu_count(), "cpu": cpu,
            "memory": memory, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
            # Other work on the machine slows every figure: the load when the run ended.
            "load_average": [round(load, 2) for load in os.getloadavg()]}


def pg_version() -> str | None:
    try:
        engine = create_engine(pg_server_url())
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return str(version)
    except Exception:
        return None


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(sizes: list[SizeResult], imports: list[ImportOutcome]) -> str:
    lines = ["| backend | page | status | " + " | ".join(
        f"{s:,} median / p95 ms" for s in sorted({r.size for r in sizes}))
        + " | × /healthz | ratio | target |"]
    all_sizes = sorted({r.size for r in sizes})
    lines.append("|" + "---|" * (6 + len(all_sizes)))
    for backend in dict.fromkeys(r.backend for r in sizes):
        by_size = {r.size: r for r in sizes if r.backend == backend}
        names = [p.name for p in next(iter(by_size.values())).pages]
        for name in names:
            pages = {size: next(p for p in r.pages if p.name == name)
                     for size, r in by_size.items()}
            status = "/".join(sorted({str(p.status) for p in pages.values()}))
            cells = [f"{pages[s].median_ms:.1f} / {pages[s].p95_ms:.1f}" if s in pages else "-"
                     for s in all_sizes]
            small, large = min(pages), max(pages)
            ratio = (pages[large].median_ms / pages[small].median_ms) if large != small else None
            big = pages[large]
            checks = [big.median_ms <= TARGET_MEDIAN_MS, big.p95_ms <= TARGET_P95_MS]
            if ratio is not None:
                checks.append(ratio <= TARGET_RATIO)
            target = (f"≤ {TARGET_MEDIAN_MS:.0f} / ≤ {TARGET_P95_MS:.0f} ms at {large:,}"
                      + (f", ≤ {TARGET_RATIO:.0f}×" if ratio is not None else "")
                      + f": {verdict(all(checks))}")
            health = (f"{big.median_ms / big.healthz_median_ms:.1f}×"
                      if big.healthz_median_ms else "-")
            lines.append(f"| {backend} | {name} `{big.path}` | {status} | " + " | ".join(cells)
                         + f" | {health} | {'-' if ratio is None else f'{ratio:.2f}×'}"
                         f" | {target} |")
    if imports:
        lines += ["", "| backend | import | rows | wall time | peak RSS | target |",
                  "|---|---|---|---|---|---|"]
        for outcome in imports:
            if not outcome.available:
                lines.append(f"| {outcome.backend} | import-pledges not available | - | - | - "
                             "| ≤ 10 s, ≤ 200 MB |")
                continue
            ok = (outcome.returncode == 0 and (outcome.seconds or 0) <= TARGET_IMPORT_S
                  and (outcome.peak_mb or 0) <= TARGET_IMPORT_MB)
            lines.append(
                f"| {outcome.backend} | {outcome.size:,}-pledge database, exit "
                f"{outcome.returncode} | {outcome.rows:,} | {outcome.seconds:.1f} s | "
                f"{outcome.peak_mb:.0f} MB | ≤ {TARGET_IMPORT_S:.0f} s, "
                f"≤ {TARGET_IMPORT_MB:.0f} MB: {verdict(ok)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000",
                        help="comma-separated pledge counts (default 10000,1000000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--reseed", action="store_true",
                        help="rebuild the databases even when complete ones exist")
    parser.add_argument("--no-import", action="store_true", help="skip the import benchmark")
    args = parser.parse_args(argv)
    sizes = sorted({int(size.replace("_", "")) for size in args.sizes.split(",") if size})
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    BENCH_DIR.mkdir(parents=True, exist_ok=True)

    results: list[SizeResult] = []
    imports: list[ImportOutcome] = []
    skipped: dict[str, str] = {}
    for backend in backends:
        if backend == "postgresql":
            problem = pg_reachable()
            if problem:
                print(f"PostgreSQL not reachable ({problem}); measuring SQLite only.")
                skipped[backend] = problem
                continue
        print(f"{backend}:")
        for size in sizes:
            result = prepare(backend, size, args.reseed)
            url = sqlite_url(size) if backend == "sqlite" else pg_url(size)
            print(f"  {backend} {size:,}: timing pages ({args.runs} runs each) ...", flush=True)
            result.pages = measure_pages(url, args.runs, args.warmup)
            for page in result.pages:
                print(f"    {page.name:15} {page.status}  median {page.median_ms:7.1f} ms  "
                      f"p95 {page.p95_ms:7.1f} ms  ({page.queries} queries)")
            result.load_average = [round(load, 2) for load in os.getloadavg()]
            results.append(result)
        if not args.no_import and sizes:
            size = sizes[0]
            print(f"  {backend}: importing {IMPORT_ROWS:,} rows into a copy of the "
                  f"{size:,} database ...", flush=True)
            outcome = measure_import(backend, size,
                                     sqlite_url(size) if backend == "sqlite" else pg_url(size))
            if outcome.available:
                print(f"    exit {outcome.returncode}, {outcome.seconds:.1f} s, "
                      f"peak {outcome.peak_mb:.0f} MB")
            imports.append(outcome)

    table = report(results, imports)
    print()
    print(table)
    now = datetime.now(UTC)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    path = RESULTS_DIR / f"{now.date().isoformat()}-{host}.json"
    path.write_text(json.dumps({
        "date": now.isoformat(timespec="seconds"), "machine": machine(),
        "postgresql": pg_version(), "skipped": skipped, "runs": args.runs,
        "warmup": args.warmup, "sizes": [asdict(r) for r in results],
        "imports": [asdict(i) for i in imports], "table": table,
        "targets": {"median_ms": TARGET_MEDIAN_MS, "p95_ms": TARGET_P95_MS,
                    "ratio": TARGET_RATIO, "import_s": TARGET_IMPORT_S,
                    "import_mb": TARGET_IMPORT_MB},
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWritten to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
