"""The only way WeasyPrint may load anything for a proposal: the app's own static files.

WeasyPrint's default fetcher follows `file://` anywhere on the disk, `http(s)://` to any
host (the server's own network included), `data:` URLs, and embeds `rel="attachment"`
links as files inside the PDF. This fetcher serves regular files under one folder
(symlinks resolved first, so a link pointing out of it is refused) and refuses every
other URL; nothing is ever opened through urllib.

The fetcher subclasses WeasyPrint's URLFetcher, so the class is made on first use
(`static_only_fetcher_class()`, or the module attribute `StaticOnlyFetcher`): importing
WeasyPrint costs half a second, and the app must not pay it when it starts.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

# No stylesheet or picture of ours comes near this; a bigger file is not one of ours.
MAX_FILE_BYTES = 5 * 1024 * 1024


class URLRefused(ValueError):
    """A URL outside the app's static files: WeasyPrint skips the resource and logs it."""

    def __init__(self, url: str) -> None:
        super().__init__(f"refused (not one of the app's static files): {url[:200]}")
        self.url = url


@cache
def static_only_fetcher_class() -> type:
    """The StaticOnlyFetcher class, made (and WeasyPrint imported) on the first call."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves regular files under `root` (after resolving symlinks) and refuses anything else.

        `refused` lists the URLs it turned down, for the caller to log or test. `on_fetch`,
        if given, runs before each fetch (the renderer checks its time limit there).
        """

        def __init__(self, root: str | Path, *, on_fetch: Callable[[], None] | None = None,
                     **kwargs) -> None:
            # Belt and braces: even if fetch() below were bypassed, urllib would refuse
            # every scheme but file, and follow no redirect.
            super().__init__(allowed_protocols=("file",), allow_redirects=False,
                             fail_on_errors=False, **kwargs)
            self.root = Path(root).resolve(strict=True)
            self.on_fetch = on_fetch
            self.refused: list[str] = []

        def static_path(self, url: str) -> Path | None:
            """The file a `file://` URL names if it is a regular file under the root, else None."""
            try:
                parts = urlsplit(url)
            except ValueError:
                return None
            if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                return None
            name = url2pathname(unquote(parts.path))
            if not name or "\x00" in name:
                return None
            try:
                path = Path(name).resolve(strict=True)
            except (OSError, RuntimeError):
                return None
            if not path.is_relative_to(self.root) or not path.is_file():
                return None
            return path

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            """Serve one of the app's static files; raise URLRefused for any other URL."""
            if self.on_fetch is not None:
                self.on_fetch()
            path = self.static_path(url)
            if path is None or path.stat().st_size > MAX_FILE_BYTES:
                self.refused.append(url)
                raise URLRefused(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                      headers={"Content-Type": content_type})

    return StaticOnlyFetcher


def __getattr__(name: str) -> Any:
    # `from tracker.proposals.fetcher import StaticOnlyFetcher` still works, lazily.
    if name == "StaticOnlyFetcher":
        return static_only_fetcher_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
