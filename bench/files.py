"""Pledge files at scale (issue 15): import 100,000 rows, then export them as XLSX and CSV.

    .venv/bin/python bench/files.py [--backends sqlite postgresql] [--rows 100000]
                                    [--pg-source bench_files_10k]
                                    [--database URL]

Each backend gets a throw-away copy of its 10,000-pledge bench database (SQLite:
instance/bench/bench_10000.sqlite; PostgreSQL: the --pg-source database, copied to
<source>_copy), a fresh live drive, and bench/run.py's import CSV. Then it times, as
child processes (wall time of the whole process, start-up included; peak RSS from
os.wait4): `flask import-pledges FILE --drive SLUG`, and `flask export-pledges` of that
drive to .xlsx and to .csv. The copy is dropped at the end. The CPU seconds are the
child's own (user + system): on a busy machine the wall time mostly says how busy it
was, the CPU time what the command cost (PostgreSQL's server work is not in it).

With --database URL the runs go to that database as it is (your own copy of a bench
database, e.g. `createdb -T bench_http_10k bench_mine`): nothing is copied or dropped, and
each run adds a fresh drive to it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

if not __package__:  # run as a file, `python bench/files.py`: import from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (
    BENCH_DIR,
    ROOT,
    create_database,
    drop_database,
    fresh_drive,
    pg_exists,
    pg_server_url,
    sqlite_url,
    write_import_csv,
)


def timed(url: str, *args: str) -> tuple[float, float, str, float]:
    """Run `flask --app tracker ARGS` on the database: wall seconds, peak MB, last output,
    the child's CPU seconds."""
    env = {**os.environ, "TRACKER_DATABASE_URL": url}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "flask", "--app", "tracker", *args],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{output[-3000:]}")
    lines = [line for line in output.replace("\r", "\n").splitlines()
             if line.strip() and "%" not in line]
    return (seconds, usage.ru_maxrss / 1024, " / ".join(lines[-2:]),
            usage.ru_utime + usage.ru_stime)


def source_exists(url: str) -> bool:
    """Whether the bench database to copy is there (opening a missing SQLite file would
    create it empty, and the run would fail later on a missing table)."""
    if url.startswith("sqlite"):
        return Path(make_url(url).database or "").exists()
    return pg_exists(url)


def measure(backend: str, rows: int, pg_source: str, database: str | None = None) -> list[str]:
    """Import then export on a copy of the backend's 10,000 database (or on `database` as
    it is); the table's lines."""
    if database is not None:
        copy = database
    elif backend == "sqlite":
        source = sqlite_url(10_000)
        copy = f"sqlite:///{BENCH_DIR / 'bench_files_copy.sqlite'}"
    else:
        server = make_url(pg_server_url())
        source = server.set(database=pg_source).render_as_string(hide_password=False)
        copy = server.set(database=f"{pg_source}_copy").render_as_string(hide_password=False)
    if database is None:
        if not source_exists(source):
            raise SystemExit(
                f"{backend}: {make_url(source).render_as_string(hide_password=True)} is "
                "missing; build it with `python bench/run.py --sizes 10000`, or give a "
                "seeded copy with --database URL")
        drop_database(copy)
        create_database(copy, template=source)
    lines = []
    try:
        slug = fresh_drive(copy)
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = BENCH_DIR / f"files_{rows}.csv"
        write_import_csv(path, rows)
        for what, args in (
                ("import", ("import-pledges", str(path), "--drive", slug)),
                ("export xlsx", ("export-pledges", "--drive", slug,
                                 "-o", str(BENCH_DIR / "files_export.xlsx"))),
                ("export csv", ("export-pledges", "--drive", slug,
                                "-o", str(BENCH_DIR / "files_export.csv")))):
            seconds, peak, said, cpu = timed(copy, *args)
            lines.append(f"| {backend} | {what} | {rows:,} | {seconds:.1f} s | {cpu:.1f} s "
                         f"| {peak:.0f} MB | {said} |")
            print(lines[-1], flush=True)
    finally:
        if database is None:
            drop_database(copy)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg-source", default="bench_files_10k")
    parser.add_argument("--database", metavar="URL",
                        help="Run on this database as it is (no copy, nothing dropped); "
                             "one backend, the URL's.")
    args = parser.parse_args()
    if args.database is not None:
        args.backends = ["sqlite" if args.database.startswith("sqlite") else "postgresql"]
    print(f"load average before: {os.getloadavg()}")
    lines = ["| backend | what | rows | wall time | CPU time | peak RSS | output |",
             "|---|---|---|---|---|---|---|"]
    print("\n".join(lines))
    for backend in args.backends:
        lines += measure(backend, args.rows, args.pg_source, args.database)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
