"""HTML to PDF with WeasyPrint, within a time and a page limit, fetching only static files.

WeasyPrint cannot be interrupted from outside, but it reports each page it lays out
on its 'weasyprint.progress' logger and asks the fetcher for every resource: both are
checkpoints where a render that has run too long, or grown too many pages, is stopped
with a clear error. The PDF is reproducible: its file identifier comes from the HTML,
its dates from the data (the template's <meta name="dcterms.created">), and nothing
else varies, so the same HTML gives the same bytes.
"""

from __future__ import annotations

import hashlib
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.errors import DomainError
from tracker.proposals.fetcher import static_only_fetcher_class

log = logging.getLogger(__name__)

PROGRESS_LOGGER = "weasyprint.progress"


class RenderRefused(DomainError):
    """The document could not be rendered within the limits; the message says which."""


@dataclass(frozen=True)
class Limits:
    """How long a render may take and how many pages the document may have."""

    seconds: float
    max_pages: int


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered PDF, its page count and the URLs the fetcher refused."""

    data: bytes
    pages: int
    refused: tuple[str, ...]


class _Stop(BaseException):
    """Raised at a checkpoint inside WeasyPrint; BaseException, so no `except Exception`
    on the way up can swallow it. Turned into RenderRefused at the boundary."""

    def __init__(self, error: RenderRefused) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class _Budget:
    limits: Limits
    deadline: float

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Stop(RenderRefused(_(
                "The proposal took longer than %(seconds)s seconds to render and was "
                "stopped. Shorten the narrative or the budget, or ask an administrator to "
                "raise the limit.", seconds=_seconds(self.limits.seconds))))

    def check_pages(self, page: int) -> None:
        if page > self.limits.max_pages:
            raise _Stop(RenderRefused(ngettext(
                "The proposal would be longer than %(num)d page and was stopped. "
                "Shorten the narrative or the budget.",
                "The proposal would be longer than %(num)d pages and was stopped. "
                "Shorten the narrative or the budget.", self.limits.max_pages)))


def _seconds(value: float) -> str:
    return f"{value:g}"


_budget: ContextVar[_Budget | None] = ContextVar("tracker_proposal_render_budget",
                                                 default=None)


class _Checkpoint(logging.Filter):
    """Checks the running render's budget on each of WeasyPrint's progress messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        budget = _budget.get()
        if budget is None:
            return False
        budget.check_time()
        if record.msg.startswith("Step 5 - Creating layout - Page") and record.args:
            # Type check: WeasyPrint's log records carry untyped arguments.
            budget.check_pages(int(record.args[0]))  # type: ignore[index, call-overload]
        return False  # checked, not logged: nobody needs a line per page


_installed = {"done": False}


def _install_checkpoint() -> None:
    """Make WeasyPrint's progress logger report to the checkpoint (once per process)."""
    if _installed["done"]:
        return
    progress = logging.getLogger(PROGRESS_LOGGER)
    progress.setLevel(logging.INFO)  # WeasyPrint only reports progress at INFO
    progress.addFilter(_Checkpoint())
    _installed["done"] = True


def source_hash(html: str) -> str:
    """The SHA-256 of the HTML a PDF is rendered from (hex)."""
    return hashlib.sha256(html.encode()).hexdigest()


def html_to_pdf(html: str, *, static_root: str | Path, limits: Limits) -> RenderedPdf:
    """Render HTML to PDF bytes, fetching only files under `static_root`, within `limits`.

    Raises RenderRefused when the time or page limit is reached. Attachments are never
    embedded, whatever the HTML asks for.
    """
    # Heavy: imported when a PDF is first rendered, not at app start, and before the clock
    # starts, so that the import does not count against the render's time limit.
    from weasyprint import HTML

    _install_checkpoint()
    budget = _Budget(limits, time.monotonic() + limits.seconds)
    fetcher = static_only_fetcher_class()(static_root, on_fetch=budget.check_time)
    token = _budget.set(budget)
    try:
        document = HTML(string=html, base_url=str(fetcher.root) + "/",
                        url_fetcher=fetcher).render()
        budget.check_pages(len(document.pages))
        # Files named by <link rel="attachment"> or <a rel="attachment"> would be
        # embedded in the PDF: drop them all (the fetcher would refuse most anyway).
        document.metadata.attachments = []
        for page in document.pages:
            page.links = [link for link in page.links if link[0] != "attachment"]
        identifier = hashlib.sha256(html.encode()).digest()[:16]
        data = document.write_pdf(pdf_identifier=identifier)
    except _Stop as stop:
        raise stop.error from None
    finally:
        _budget.reset(token)
    if fetcher.refused:
        log.warning("Proposal render refused %d URL(s): %s", len(fetcher.refused),
                    ", ".join(url[:100] for url in fetcher.refused[:5]))
    return RenderedPdf(data, len(document.pages), tuple(fetcher.refused))
