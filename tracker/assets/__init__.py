"""Static files under fingerprinted names, compressed, cached by browsers for a year.

`install_assets(app)` builds the copies (tracker/assets/build.py), makes
`url_for('static', filename=...)` name the fingerprinted copy, and puts WhiteNoise in
front of the app to serve them. It also drops the HTML templates' indentation
(tracker/assets/templates.py). The plain names keep working (old links, the PDFs'
stylesheet), cached for a minute only since their content changes in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise

from tracker.assets.build import FINGERPRINTED, build
from tracker.assets.templates import CompactLoader

# Seconds a browser keeps a file under its plain name before asking again.
PLAIN_NAME_MAX_AGE = 60
ONE_YEAR = 365 * 24 * 60 * 60


class StaticFiles(WhiteNoise):
    """WhiteNoise with a year's lifetime for fingerprinted files (its own default is ten)."""

    FOREVER = ONE_YEAR

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
    built = build(app.static_folder or "", app.instance_path)
    names = built.names

    def fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static":
            values["filename"] = names.get(values.get("filename", ""), values.get("filename"))

    def add_headers(response_headers: Any, _path: str, _url: str) -> None:
        for name, value in headers.items():
            response_headers[name] = value

    app.url_defaults(fingerprint)
    app.wsgi_app = StaticFiles(  # type: ignore[method-assign]
        app.wsgi_app, root=str(built.folder), prefix=app.static_url_path,
        max_age=PLAIN_NAME_MAX_AGE, allow_all_origins=False,
        immutable_file_test=is_fingerprinted, add_headers_function=add_headers)
    app.extensions["tracker_assets"] = built
    loader = app.jinja_env.loader
    if loader is not None:
        app.jinja_env.loader = CompactLoader(loader)
