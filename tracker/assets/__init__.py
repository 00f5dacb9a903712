"""Static files under fingerprinted names, compressed, cached by browsers for a year.

`install_assets(app)` builds the copies (tracker/assets/build.py), makes
`url_for('static', filename=...)` name the fingerprinted copy, and puts WhiteNoise in
front of the app to serve them. The plain names keep working (old links), cached for a
minute only since their content changes in place; the PDFs read the sources directly.
It also drops the HTML templates' indentation (tracker/assets/templates.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise

from tracker.assets.build import FINGERPRINTED, build, source_files
from tracker.assets.templates import CompactLoader

# Seconds a browser keeps a file under its plain name before asking again.
PLAIN_NAME_MAX_AGE = 60
ONE_YEAR = 365 * 24 * 60 * 60


class StaticFiles(WhiteNoise):
    """WhiteNoise with a year's lifetime for fingerprinted files (its own default is ten)."""

    FOREVER = ONE_YEAR
    # In development: called before each request, rebuilds when a static file changed.
    refresh: Callable[[], None] | None = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        if self.refresh is not None:
            self.refresh()
        return super().__call__(environ, start_response)

    def add_mime_headers(self, headers: Any, path: str, url: str) -> None:
        """Content-Type as Flask writes it (charset=utf-8, unquoted) for text files."""
        media_type = str(self.media_types.get_type(path))
        charset = f"; charset={self.charset}" if media_type.startswith("text/") else ""
        headers["Content-Type"] = media_type + charset


def is_fingerprinted(_path: str, url: str) -> bool:
    """Whether a URL names a fingerprinted copy, whose content never changes."""
    return bool(FINGERPRINTED.search(url))


def install_assets(app: Flask, headers: Mapping[str, str] = {}) -> None:
    """Serve the built static files in front of `app`, each response with `headers` added."""
    static_root = Path(app.static_folder or "")
    built = build(static_root, app.instance_path)
    names = dict(built.names)

    def fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static":
            values["filename"] = names.get(values.get("filename", ""), values.get("filename"))

    def add_headers(response_headers: Any, _path: str, _url: str) -> None:
        for name, value in headers.items():
            response_headers[name] = value

    app.url_defaults(fingerprint)
    static = StaticFiles(
        app.wsgi_app, root=str(built.folder), prefix=app.static_url_path,
        max_age=PLAIN_NAME_MAX_AGE, allow_all_origins=False,
        immutable_file_test=is_fingerprinted, add_headers_function=add_headers)
    if app.config["ENV"] == "development":
        static.refresh = _refresher(static, static_root, app.instance_path,
                                    app.static_url_path or "/static", names)
    app.wsgi_app = static  # type: ignore[method-assign]
    loader = app.jinja_env.loader
    if loader is not None:
        app.jinja_env.loader = CompactLoader(loader)


def _refresher(static: StaticFiles, static_root: Path, instance_path: str, prefix: str,
               names: dict[str, str]) -> Callable[[], None]:
    """A check that rebuilds when a static file was edited (`make run` serves on)."""
    seen = {"state": _state(static_root)}

    def refresh() -> None:
        state = _state(static_root)
        if state == seen["state"]:
            return
        built = build(static_root, instance_path)
        names.clear()
        names.update(built.names)
        static.files = {}
        static.add_files(str(built.folder), prefix)
        seen["state"] = state

    return refresh


def _state(static_root: Path) -> tuple[tuple[str, int, int], ...]:
    """Each static file's name, size and modification time: cheap to compare."""
    return tuple((name, (stat := (static_root / name).stat()).st_size, stat.st_mtime_ns)
                 for name in source_files(static_root))
