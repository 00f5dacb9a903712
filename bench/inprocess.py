"""Pages timed in this process with the Flask test client, each against /healthz, alternating.

One way for bench/run.py, bench/lists.py and bench/dashboard.py to sign in as the bench
coordinator, to time a page and `/healthz` in turn (so that the machine's load weighs on
both alike) and to count a page's SQL statements. Server time only: no HTTP, no gunicorn
(bench.pages does that).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

HEALTHZ = "/healthz"


@dataclass
class Timings:
    """One page's timings and its paired /healthz timings, in milliseconds."""

    name: str
    path: str
    language: str
    status: int = 0
    page_ms: list[float] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)
    statements: int = 0
    bytes: int = 0

    @property
    def median_ms(self) -> float:
        """The page's median."""
        return statistics.median(self.page_ms)

    @property
    def health_median_ms(self) -> float:
        """/healthz's median over the same rounds."""
        return statistics.median(self.health_ms)

    @property
    def ratio(self) -> float:
        """The page's median over /healthz's."""
        return self.median_ms / self.health_median_ms


class SignedIn:
    """The app on a bench database, with test clients signed in as the bench coordinator."""

    def __init__(self, url: str, agent: str) -> None:
        # Imported here, not above: bench/lists.py chooses which checkout's app to import.
        from bench.coalition import BENCH_EMAIL
        from tracker import create_app
        from tracker.auth.services import ClientInfo, find_user_by_email, start_session
        from tracker.extensions import db

        self.app = create_app({"DATABASE_URL": url})
        with self.app.app_context():
            user = find_user_by_email(BENCH_EMAIL)
            if user is None:
                raise SystemExit(f"{BENCH_EMAIL} is missing: seed the database with bench.seed")
            _, self.token = start_session(user, ClientInfo(agent, "127.0.0.1"))
            db.session.commit()
            self.engine = db.engine
            db.session.remove()
        self._clients: dict[str, Any] = {}

    def client(self, language: str = "en") -> Any:
        """A test client in this language, sharing the coordinator's session."""
        from tracker.auth.sessions import SESSION_KEY

        if language not in self._clients:
            client = self.app.test_client()
            with client.session_transaction() as session:
                session[SESSION_KEY] = self.token
                session["lang"] = language
            self._clients[language] = client
        return self._clients[language]

    @contextmanager
    def statements(self) -> Iterator[dict[str, int]]:
        """Count the SQL statements run inside the block."""
        from sqlalchemy import event

        counter = {"count": 0}

        def count(*_args: Any) -> None:
            counter["count"] += 1

        event.listen(self.engine, "before_cursor_execute", count)
        try:
            yield counter
        finally:
            event.remove(self.engine, "before_cursor_execute", count)

    def time(self, pages: Sequence[tuple[str, str, str]], runs: int,
             warmup: int = 3) -> list[Timings]:
        """Time each (name, path, language) against /healthz, alternating, then count its
        statements once."""
        results = []
        health = self.client("en")
        for name, path, language in pages:
            client = self.client(language)
            timings = Timings(name, path, language)
            for round_ in range(warmup + runs):
                for target, runner, into in ((HEALTHZ, health, timings.health_ms),
                                             (path, client, timings.page_ms)):
                    started = time.perf_counter()
                    response = runner.get(target)
                    elapsed = (time.perf_counter() - started) * 1000
                    if round_ >= warmup:
                        into.append(elapsed)
            with self.statements() as counter:
                response = client.get(path)
            timings.status = response.status_code
            timings.statements = counter["count"]
            timings.bytes = len(response.get_data())
            results.append(timings)
        return results

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
