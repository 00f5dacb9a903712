"""Pages and writes through gunicorn, each against /healthz in the same run (issue 15).

`.venv/bin/python -m bench.pages --backend postgresql --size 10000` prepares the bench
database of that size (bench.served: created and seeded when missing), serves it with
gunicorn as in production (deploy/gunicorn.conf.py, 2 workers, ENV=production, Redis),
logs in as the bench coordinator through the login form, and then for each page requests
/healthz and the page in turn (healthz, page, healthz, page, ...) over a keep-alive
connection: a warm-up, then --runs timed pairs. The figure of a page is its median over
the median of /healthz in the same pairs, so the machine's load touches both alike.

Writes post the app's real forms (CSRF token, once-only key) to the biggest drive,
`bench-big-drive`: a staff pledge, and a payment of 1.00 on a pledge the run logs first.
Only the POST is timed (opening the form is not in it); each answers a redirect.

Pages: the dashboard, the biggest campaign, the big drive's staff and public pages, and
every list page. A table with median, p95, the ratio and issue 15's target goes to the
terminal; every figure to bench/results/<date>-<host>-pages-<backend>-<size>.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

if not __package__:  # run as a file: import from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run, served
from bench.client import Answer, BenchRequestError, Browser
from bench.coalition import BENCH_EMAIL

# Issue 15's targets: a page's median at most this many times /healthz's.
TARGETS = {"dashboard": 4.0, "staff-drive": 4.0, "campaign": 3.0, "public-drive": 2.0,
           "list": 3.0, "write": 5.0}
LIST_PAGES = ("/campaigns/", "/drives/", "/applications/", "/donors/", "/orgs/",
              "/supporters/", "/grants/", "/audit/", "/rates", "/currencies", "/deadlines")


@dataclass
class Figure:
    """One page's or write's timings next to /healthz's in the same pairs."""

    name: str
    kind: str
    path: str
    status: int
    runs: int
    median_ms: float
    p95_ms: float
    healthz_median_ms: float
    ratio: float
    target: float
    bytes: int

    @property
    def met(self) -> bool:
        return self.ratio <= self.target


def pages_to_time(url: str) -> list[tuple[str, str, str]]:
    """(name, kind, path) of every page measured, the biggest campaign's and drive's."""
    campaign = served.biggest_campaign(url)
    big = served.BIG_DRIVE
    pages = [("dashboard", "dashboard", "/"),
             ("campaign (biggest)", "campaign", f"/campaigns/{campaign}"),
             ("drive (staff)", "staff-drive", f"/drives/{big}"),
             ("drive (public)", "public-drive", f"/d/{big}")]
    return pages + [(f"list {path}", "list", path) for path in LIST_PAGES]


def paired(browser: Browser, request: Callable[[], Answer], warmup: int, runs: int
           ) -> tuple[list[Answer], list[float]]:
    """Alternate /healthz and the request: warm-up pairs, then the timed ones."""
    answers, healthz = [], []
    for n in range(warmup + runs):
        check = browser.get("/healthz")
        answer = request()
        if n >= warmup:
            healthz.append(check.ms)
            answers.append(answer)
    return answers, healthz


def figure(name: str, kind: str, path: str, answers: list[Answer],
           healthz: list[float]) -> Figure:
    timings = [answer.ms for answer in answers]
    statuses = sorted({answer.status for answer in answers})
    health = statistics.median(healthz)
    median = statistics.median(timings)
    return Figure(name=name, kind=kind, path=path, status=statuses[-1], runs=len(timings),
                  median_ms=median, p95_ms=run.percentile(timings, 0.95),
                  healthz_median_ms=health, ratio=median / health, target=TARGETS[kind],
                  bytes=len(answers[-1].body))


def time_pages(browser: Browser, url: str, warmup: int, runs: int,
               kinds: set[str] | None = None) -> list[Figure]:
    """Each page against /healthz, in pairs; a page that is not 200 is reported, not hidden."""
    figures = []
    for name, kind, path in pages_to_time(url):
        if kinds is not None and kind not in kinds:
            continue
        answers, healthz = paired(browser, partial(browser.get, path), warmup, runs)
        figures.append(figure(name, kind, path, answers, healthz))
        print(f"  {name:24} {figures[-1].median_ms:8.1f} ms  ({figures[-1].ratio:.1f}×)",
              flush=True)
    return figures


def post_pledge(browser: Browser, amount: str = "25.00", reference: str | None = None,
                opened: Answer | None = None) -> Answer:
    """Log a pledge through the staff form of the big drive (opened now, or the form page
    `opened` already); the POST's answer."""
    path = f"/drives/{served.BIG_DRIVE}/pledges/new"
    return browser.post_form(opened or browser.page(path), path, has_field="amount",
                             pledger_name="Bench Writer", amount=amount,
                             external_reference=reference or f"bench-{uuid.uuid4().hex[:20]}")


def expect_redirect(answer: Answer, what: str) -> Answer:
    if answer.status != 302:
        raise BenchRequestError(f"{what} answered {answer.status}, not a redirect: "
                                f"{answer.text()[:500]}")
    return answer


def time_writes(browser: Browser, url: str, warmup: int, runs: int) -> list[Figure]:
    """A pledge and a payment posted through their forms, each against /healthz."""
    pledges, pledge_checks = paired(
        browser, lambda: expect_redirect(post_pledge(browser), "a pledge"), warmup, runs)
    reference = f"bench-payments-{uuid.uuid4().hex[:12]}"
    expect_redirect(post_pledge(browser, "10000000.00", reference), "the payments' pledge")
    pledge_id = served.scalar(url, "SELECT id FROM pledge WHERE external_reference = :ref",
                              ref=reference)
    page = f"/drives/{served.BIG_DRIVE}/pledges/{pledge_id}"
    payments, payment_checks = paired(
        browser, lambda: expect_redirect(
            browser.submit(page, action_ends="/payments", amount="1.00"), "a payment"),
        warmup, runs)
    return [figure("write: pledge", "write", f"POST /drives/{served.BIG_DRIVE}/pledges/new",
                   pledges, pledge_checks),
            figure("write: payment", "write", f"POST {page}/payments", payments,
                   payment_checks)]


def table(figures: list[Figure]) -> str:
    lines = ["| page | path | status | median ms | p95 ms | /healthz median ms | ratio "
             "| target |", "|---|---|---|---|---|---|---|---|"]
    for f in figures:
        lines.append(f"| {f.name} | `{f.path}` | {f.status} | {f.median_ms:.1f} | "
                     f"{f.p95_ms:.1f} | {f.healthz_median_ms:.1f} | {f.ratio:.1f}× | "
                     f"≤ {f.target:g}×: {'ok' if f.met else 'MISSED'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    served.add_server_options(parser, backend="sqlite")
    parser.add_argument("--reseed", action="store_true", help="rebuild the size's database")
    parser.add_argument("--runs", type=int, default=30, help="timed pairs per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed pairs per page")
    parser.add_argument("--no-writes", action="store_true", help="time the pages only")
    parser.add_argument("--kinds", help="only these kinds of page, comma-separated: "
                        + ", ".join(kind for kind in TARGETS if kind != "write"))
    args = parser.parse_args(argv)

    url, server = served.serve(args, args.reseed)
    print(f"{server.describe()} on port {server.port}, "
          f"{run.make_url(url).render_as_string(hide_password=True)}", flush=True)
    with server:
        browser = server.browser()
        browser.log_in(BENCH_EMAIL, served.BENCH_PASSWORD)
        kinds = set(args.kinds.split(",")) if args.kinds else None
        figures = time_pages(browser, url, args.warmup, args.runs, kinds)
        if not args.no_writes:
            figures += time_writes(browser, url, args.warmup, args.runs)
        browser.close()
    print()
    print(table(figures))
    if not args.no_results:
        path = served.write_results("pages", url, args.size, {
            "postgresql": None if url.startswith("sqlite") else run.pg_version(),
            "size": args.size, "server": server.describe(), "runs": args.runs,
            "warmup": args.warmup, "figures": [asdict(f) for f in figures],
            "table": table(figures)})
        print(f"\nWritten to {path.relative_to(run.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
