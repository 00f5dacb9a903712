"""Absolute links (share links, invitations, calendar feeds, later e-mails): one way to build them.

They are built from the configured BASE_URL (config.py), never from the request's Host
header: any client can send any Host, and a link built from it would point a visitor,
a cache or an e-mail's reader at another site. Relative links keep using `url_for`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` (full name, e.g. 'drives.public_page') on BASE_URL.

    Works inside a request and outside one (a command, a mail job); `_anchor` adds a
    fragment, other values fill the route or become the query string, as with url_for.
    """
    app = current_app
    base = urlsplit(app.config["BASE_URL"])
    anchor = values.pop("_anchor", None)
    app.inject_url_defaults(endpoint, values)
    # Bound to the configured address, not to the request's environ, on purpose.
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/",
                               url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    if anchor is not None:
        url += "#" + quote(str(anchor), safe="!#$&'()*+,/:;=?@~")
    return url


def link_prefix(endpoint: str, name: str) -> str:
    """The relative URL of `endpoint` without the value of `name`, which must end it: a list
    builds a kind of link once a page and each row adds its own slug or id (url_for costs as
    much as the rest of a kept row, and a list of 25 rows called it 50 to 75 times)."""
    values: dict[str, Any] = {name: "0"}
    url = url_for(endpoint, **values)
    if not url.endswith("/0"):
        raise ValueError(f"{endpoint}: its {name} does not end its URL")
    return url[:-1]
