"""Mixed load through gunicorn for a bounded time: readers and writers at once (issue 15).

`.venv/bin/python -m bench.load --backend postgresql --size 10000 --readers 6 --writers 4
--seconds 30` serves the size's bench database with gunicorn as in production (bench.served:
deploy/gunicorn.conf.py, 2 workers, ENV=production, Redis), then runs, all at once:

- reader threads, each logged in through the login form as the bench coordinator, that
  GET a mix of pages in turn (the public drive page most, then the dashboard, the biggest
  campaign, the big drive's staff page and the drive and campaign lists);
- writer threads, each logged in the same way, that open the big drive's staff pledge
  form and post it with its CSRF token and once-only key (a new pledge each time).

Every thread stops starting requests at --seconds; the database grows only by the
pledges written then, all in `bench-big-drive`. Printed: reads/s, writes/s, p50 and p99
latency per kind (a write's is its POST; opening its form is reported apart), and every
error (an answer other than 2xx/3xx, a pledge not answered with a redirect, an
exception). Issue 15's target is printed beside them: at least 150 reads/s with p99 at
most 300 ms while at least 50 writes/s, and no error. Exit status 1 when any error.

First, for --reference-seconds (10), every thread GETs /healthz alone on the same server:
its rate, printed after the figures, is how fast the shared machine was at that moment,
and the mixed load's requests per second are also given as a share of it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

if not __package__:  # run as a file: import from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run, served
from bench.client import Answer, Browser
from bench.coalition import BENCH_EMAIL
from bench.pages import post_pledge

TARGET_READS = 150.0
TARGET_READ_P99_MS = 300.0
TARGET_WRITES = 50.0
MAX_ERRORS_SHOWN = 10


@dataclass
class Tally:
    """What the threads did, shared under a lock."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, answer: Answer, ok: bool, what: str) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(answer.ms)
            if not ok:
                self._error(f"{what}: {answer.status}")

    def failed(self, what: str, error: BaseException) -> None:
        with self.lock:
            self._error(f"{what}: {type(error).__name__}: {error}")

    def _error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(message)


def read_mix(campaign: str) -> list[str]:
    """The pages readers cycle through: what a coalition's visitors and staff open."""
    big = served.BIG_DRIVE
    return [f"/d/{big}", "/", f"/d/{big}", f"/campaigns/{campaign}", f"/d/{big}",
            f"/drives/{big}", "/drives/", f"/d/{big}", "/campaigns/"]


def reader(browser: Browser, paths: list[str], offset: int, until: float,
           tally: Tally) -> None:
    """GET the pages in turn until the time is up."""
    n = offset
    while time.monotonic() < until:
        path = paths[n % len(paths)]
        n += 1
        try:
            answer = browser.get(path)
        except Exception as error:  # any failure is an error of the run, counted
            tally.failed(f"GET {path}", error)
            browser.close()
            continue
        tally.record("read", answer, 200 <= answer.status < 400, f"GET {path}")


def writer(browser: Browser, until: float, tally: Tally) -> None:
    """Open the pledge form and post it, until the time is up."""
    form_page = f"/drives/{served.BIG_DRIVE}/pledges/new"
    while time.monotonic() < until:
        try:
            opened = browser.page(form_page)
            tally.record("write form", opened, True, f"GET {form_page}")
            answer = post_pledge(browser, opened=opened)  # the form just opened, as a person would
        except Exception as error:  # any failure is an error of the run, counted
            tally.failed(f"pledge via {form_page}", error)
            browser.close()
            continue
        tally.record("write", answer, answer.status == 302, f"POST {form_page}")


def logged_in(server: served.Server) -> Browser:
    browser = server.browser()
    browser.log_in(BENCH_EMAIL, served.BENCH_PASSWORD)
    return browser


def run_load(server: served.Server, url: str, readers: int, writers: int,
             seconds: float, paths: list[str] | None = None) -> tuple[Tally, float]:
    """Log every thread in, then run them together for `seconds`; the tally and the time.
    With `paths`, every thread reads those in turn (no writer): the reference run."""
    mix = paths or read_mix(served.biggest_campaign(url))
    browsers = [logged_in(server) for _ in range(readers + writers)]
    tally = Tally()
    started = time.monotonic()
    until = started + seconds
    threads = [threading.Thread(target=reader, args=(browsers[n], mix, n * 2, until, tally))
               for n in range(readers if paths is None else readers + writers)]
    threads += [threading.Thread(target=writer, args=(browsers[readers + n], until, tally))
                for n in range(writers if paths is None else 0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for browser in browsers:
        browser.close()
    return tally, elapsed


def summary(tally: Tally, elapsed: float) -> dict[str, dict[str, float]]:
    """Per kind: count, rate per second, p50 and p99 in ms."""
    figures = {}
    for kind, values in sorted(tally.latencies.items()):
        figures[kind] = {"count": len(values), "per_second": len(values) / elapsed,
                         "p50_ms": statistics.median(values),
                         "p99_ms": run.percentile(values, 0.99)}
    return figures


def report(figures: dict[str, dict[str, float]], tally: Tally, elapsed: float) -> str:
    reads = figures.get("read", {"per_second": 0.0, "p99_ms": float("inf")})
    writes = figures.get("write", {"per_second": 0.0})
    lines = [f"{elapsed:.1f} s", "| kind | requests | per second | p50 ms | p99 ms |",
             "|---|---|---|---|---|"]
    for kind, f in figures.items():
        lines.append(f"| {kind} | {f['count']:.0f} | {f['per_second']:.1f} | "
                     f"{f['p50_ms']:.1f} | {f['p99_ms']:.1f} |")
    met = (reads["per_second"] >= TARGET_READS and reads["p99_ms"] <= TARGET_READ_P99_MS
           and writes["per_second"] >= TARGET_WRITES and tally.error_count == 0)
    lines += ["", f"errors: {tally.error_count}"] + [f"  {e}" for e in tally.errors]
    lines.append(f"target: ≥ {TARGET_READS:.0f} reads/s with p99 ≤ {TARGET_READ_P99_MS:.0f} ms "
                 f"while ≥ {TARGET_WRITES:.0f} writes/s, 0 errors: "
                 f"{'ok' if met else 'MISSED'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    served.add_server_options(parser, backend="postgresql")
    parser.add_argument("--readers", type=int, default=6, help="reader threads")
    parser.add_argument("--writers", type=int, default=4, help="writer threads")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load runs")
    parser.add_argument("--reference-seconds", type=float, default=10.0,
                        help="how long every thread GETs /healthz alone first, to read the "
                             "machine's speed at that moment (0: not at all)")
    args = parser.parse_args(argv)

    url, server = served.serve(args)
    print(f"{server.describe()} on port {server.port}, "
          f"{run.make_url(url).render_as_string(hide_password=True)}: {args.readers} "
          f"readers, {args.writers} writers for {args.seconds:g} s", flush=True)
    with server:
        reference = None
        if args.reference_seconds > 0:
            healthz, healthz_elapsed = run_load(server, url, args.readers, args.writers,
                                                args.reference_seconds, paths=["/healthz"])
            reference = summary(healthz, healthz_elapsed).get("read")
        tally, elapsed = run_load(server, url, args.readers, args.writers, args.seconds)
    figures = summary(tally, elapsed)
    text = report(figures, tally, elapsed)
    if reference is not None:
        served_per_second = sum(f["per_second"] for f in figures.values())
        share = served_per_second / reference["per_second"]
        text += (f"\nreference: /healthz alone, every thread, {reference['per_second']:.1f}/s "
                 f"(p50 {reference['p50_ms']:.1f} ms) just before; the mixed load's requests "
                 f"({served_per_second:.1f}/s) are {share:.2f} of that")
    print(text)
    if not args.no_results:
        path = served.write_results("load", url, args.size, {
            "server": server.describe(), "readers": args.readers, "writers": args.writers,
            "seconds": elapsed, "figures": figures, "reference_healthz": reference,
            "errors": tally.errors,
            "error_count": tally.error_count, "report": text,
            "args": {k: v for k, v in vars(args).items() if k != "database"}})
        print(f"Written to {path.relative_to(run.ROOT)}")
    return 1 if tally.error_count else 0


if __name__ == "__main__":
    sys.exit(main())
