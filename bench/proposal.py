"""Benchmark of proposal PDFs (issue 5): a 10-page proposal, Tracker's overhead, a stored file.

1. A throw-away SQLite database in a temporary folder gets the demo coalition (`load_demo`),
   and the XRF campaign's UNDP application's narrative is lengthened until its English
   draft has 10 pages.
2. Rendering: --runs pairs, each of Tracker's whole path (gathering the data, building the
   HTML, rendering it with the safe fetcher and limits) and WeasyPrint alone on the same
   final HTML (`HTML(string=..., base_url=static).write_pdf()`, its default fetcher), one
   right after the other, alternately first. Tracker's overhead is the median of the pairs'
   differences, as a share of WeasyPrint's median time (pairs keep a busy machine's noise
   out of it); the time spent gathering the data and building the HTML is shown beside it.
   The peak memory is this process's maximum resident size (ru_maxrss) after the renders.
3. Serving: a test client logged in as a fundraiser asks for the draft once (rendered and
   stored), then --requests more times: the median time of an unchanged request, answered
   from the stored file, taken with time.perf_counter around each request.

    .venv/bin/python bench/proposal.py [--runs 7] [--requests 30] [--json FILE]

Targets (issue 5): render median <= 2.5 s, peak memory <= 200 MB, overhead <= 10 %,
unchanged request <= 50 ms. The exit status is 0 whether or not they are met.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RENDER_S = 2.5
TARGET_PEAK_MB = 200.0
TARGET_OVERHEAD = 0.10
TARGET_STORED_MS = 50.0
PAGES = 10
PADDING = (
    "The partners keep a shared log of every reading: the place, the time, the object "
    "tested, the analyser's result for lead, mercury, cadmium and arsenic, the photograph "
    "and the calibration check made that day. Each week the coordinator compares the log "
    "with the laboratory's certificates and marks the readings to be repeated. "
)


def _setup(folder: Path):
    """The app on a fresh SQLite database with the demo data, and the UNDP application."""
    from sqlalchemy import create_engine, insert, select

    import tracker.models  # noqa: F401
    from tracker import create_app
    from tracker.db import Base
    from tracker.money.iso4217 import MINOR_UNITS
    from tracker.money.models import Currency

    url = f"sqlite:///{folder / 'bench.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        # A throw-away schema straight from the models: the migrations are not what is timed.
        Base.metadata.create_all(connection)
        connection.execute(insert(Currency),
                           [{"code": c, "minor_units": m} for c, m in MINOR_UNITS.items()])
    engine.dispose()
    app = create_app({"ENV": "testing", "TESTING": True, "DATABASE_URL": url,
                      "SECRET_KEY": "bench-" + "x" * 40,
                      "PROPOSAL_STORAGE_DIR": str(folder / "proposals")})
    context = app.app_context()
    context.push()
    from tracker.applications.models import Application
    from tracker.demo import load_demo
    from tracker.demo.proposals import UNDP_TITLE
    from tracker.extensions import db

    load_demo()
    db.session.commit()
    application = db.session.scalar(select(Application).where(
        Application.title_en == UNDP_TITLE))
    return app, application


def _lengthen_to(application, pages: int) -> int:
    """Add paragraphs to the capacity section until the English draft has `pages` pages."""
    from flask import current_app

    from tracker.extensions import db
    from tracker.proposals import services
    from tracker.proposals.document import sections_of
    from tracker.proposals.models import SectionKind
    from tracker.proposals.registry import template_for
    from tracker.proposals.render import Limits, html_to_pdf

    template = template_for(application)
    section = sections_of(application)[SectionKind.CAPACITY]
    base_en, base_ru = section.body_en, section.body_ru
    count = 0
    for _attempt in range(40):
        html = services.proposal_html(application, language="en", template=template, draft=True)
        got = html_to_pdf(html, static_root=current_app.static_folder or "",
                          limits=Limits(120, 200)).pages
        if got >= pages:
            return got
        count += 3
        extra = "\n\n".join([PADDING * 3] * count)
        services.save_sections(application, {SectionKind.CAPACITY: (
            f"{base_en}\n\n{extra}", base_ru)})
        db.session.commit()
    return got


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="renders per measurement")
    parser.add_argument("--requests", type=int, default=30, help="unchanged requests timed")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tracker-bench-proposal-") as name:
        folder = Path(name)
        app, application = _setup(folder)
        from flask import current_app
        from weasyprint import HTML

        from tracker.auth.models import Role
        from tracker.auth.services import ClientInfo, UserInput, create_user, start_session
        from tracker.auth.sessions import SESSION_KEY
        from tracker.extensions import db
        from tracker.proposals import services
        from tracker.proposals.registry import template_for

        pages = _lengthen_to(application, PAGES)
        template = template_for(application)
        static = current_app.static_folder

        final_html = services.proposal_html(application, language="en", template=template,
                                            draft=True)
        services.render_html(final_html)  # warm-up: fonts, templates, caches
        HTML(string=final_html, base_url=static).write_pdf()
        # Interleaved and paired, so that a busy machine slows both sides of a pair alike.
        tracker_times, weasy_times, build_times, extra = [], [], [], []
        def weasyprint_alone() -> float:
            start = time.perf_counter()
            HTML(string=final_html, base_url=static).write_pdf()
            return time.perf_counter() - start

        for run in range(args.runs):
            # Which side goes first alternates: the second of a pair finds warmer caches.
            alone = weasyprint_alone() if run % 2 else 0.0
            start = time.perf_counter()
            html = services.proposal_html(application, language="en", template=template,
                                          draft=True)
            built = time.perf_counter()
            services.render_html(html)
            done = time.perf_counter()
            if not run % 2:
                alone = weasyprint_alone()
            tracker_times.append(done - start)
            build_times.append(built - start)
            weasy_times.append(alone)
            extra.append(done - start - alone)
        tracker_median = statistics.median(tracker_times)
        weasy_median = statistics.median(weasy_times)
        build_median = statistics.median(build_times)
        extra_median = statistics.median(extra)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        user = create_user(UserInput(email="bench-fundraiser@bench.tracker",
                                     role=Role.FUNDRAISER, language="en"), password=None)
        _, token = start_session(user, ClientInfo("bench", "127.0.0.1"))
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session[SESSION_KEY] = token
            session["lang"] = "en"
        url = f"/applications/{application.id}/proposal/draft.pdf?lang=en"
        first = client.get(url)
        assert first.status_code == 200, first.status_code
        stored_times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url)
            stored_times.append(time.perf_counter() - start)
            assert response.status_code == 200 and response.data == first.data
        stored_ms = statistics.median(stored_times) * 1000
        size = len(BytesIO(first.data).getvalue())

    overhead = extra_median / weasy_median
    figures = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "python": platform.python_version(),
        "pages": pages,
        "pdf_bytes": size,
        "runs": args.runs,
        "render_median_s": round(tracker_median, 3),
        "weasyprint_median_s": round(weasy_median, 3),
        "tracker_overhead": round(overhead, 4),
        "html_build_median_s": round(build_median, 3),
        "peak_memory_mb": round(peak_mb, 1),
        "stored_request_median_ms": round(stored_ms, 2),
        "requests": args.requests,
    }
    checks = [
        ("render median", f"{tracker_median:.2f} s", f"<= {TARGET_RENDER_S} s",
         tracker_median <= TARGET_RENDER_S),
        ("peak memory", f"{peak_mb:.0f} MB", f"<= {TARGET_PEAK_MB:.0f} MB",
         peak_mb <= TARGET_PEAK_MB),
        ("Tracker's overhead over WeasyPrint", f"{overhead * 100:.1f} % "
         f"({weasy_median:.2f} s alone; gathering data and HTML {build_median * 1000:.0f} ms)",
         f"<= {TARGET_OVERHEAD * 100:.0f} %",
         overhead <= TARGET_OVERHEAD),
        ("unchanged request (stored file)", f"{stored_ms:.1f} ms", f"<= {TARGET_STORED_MS:.0f} ms",
         stored_ms <= TARGET_STORED_MS),
    ]
    print(f"Proposal PDF, {pages} pages, {size} bytes; median of {args.runs} renders, "
          f"{args.requests} requests")
    print()
    print("| measure | result | target | met |")
    print("| --- | --- | --- | --- |")
    for name, result, target, met in checks:
        print(f"| {name} | {result} | {target} | {'yes' if met else 'NO'} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
