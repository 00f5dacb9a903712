"""Pages compressed on the wire, only where compression cannot leak a secret (BREACH).

A page carries secrets (the CSRF token, a private link) beside text a request can put
into it (a search, a refused form's values). Compressing both together lets someone who
makes the victim's browser send many requests, and who sees the encrypted lengths, guess
a secret a character at a time (BREACH). Such requests are started by another site, and
the browser says so in `Sec-Fetch-Site`. A page is therefore compressed only for the
site's own requests (`same-origin`) and for an address the user typed or bookmarked
(`none`); a request from another site, or from a client that does not say, gets the page
as it is. Static files hold no secrets: WhiteNoise sends their compressed copies to all.

Flask-Compress does the compressing (brotli, then zstd, then gzip, as the browser
accepts); HTML only, never a download or a streamed body.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress

# Sec-Fetch-Site values that only the user or this site's own pages can produce.
OWN_REQUESTS = frozenset({"same-origin", "none"})
COMPRESSED_TYPES = ["text/html"]


def install_compression(app: Flask) -> None:
    """Compress the HTML of the site's own requests; register before other after-request hooks.

    Flask runs after-request functions in reverse order of registration, so registering
    this first lets it see each response's final body.
    """
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "zstd", "gzip"])
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config["COMPRESS_REGISTER"] = False
    compress = Compress(app)

    @app.after_request
    def compress_own_pages(response: Response) -> Response:
        if response.mimetype not in COMPRESSED_TYPES:
            return response
        response.vary.add("Sec-Fetch-Site")
        if request.headers.get("Sec-Fetch-Site") not in OWN_REQUESTS:
            response.vary.add("Accept-Encoding")
            return response
        return compress.after_request(response)
