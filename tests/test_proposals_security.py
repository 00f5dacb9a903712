"""A proposal never fetches, embeds or prints anything from outside the app's static files.

Users' text reaches the PDF escaped (titles, names) or sanitised (Markdown); underneath,
the URL fetcher refuses every URL but the app's own static files. The tests put the same
payloads into a campaign title, an organisation name and a narrative section, and into
raw HTML handed straight to the renderer, with a local HTTP server counting requests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.auth_support import login, make_user
from tests.pages import plain
from tests.proposals_support import flat, make_proposal_world, pdf_pages, pdf_reader, pdftotext
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.proposals import services
from tracker.proposals.fetcher import StaticOnlyFetcher, URLRefused
from tracker.proposals.models import SectionKind
from tracker.proposals.render import Limits, RenderRefused, html_to_pdf

SECRET_FILE = Path("/etc/passwd")
SECRET_LINE = SECRET_FILE.read_text().splitlines()[0]  # e.g. "root:x:0:0:root:/root:/bin/bash"


class _Counter(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = b"p { color: red }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server on a free port; yields its base URL and the paths it was asked for."""
    _Counter.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", _Counter.requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def payload(base_url: str) -> str:
    return (f'<img src="file://{SECRET_FILE}"><link rel="attachment" href="file://{SECRET_FILE}">'
            f"<style>@import url({base_url}evil.css);</style>"
            f'<img src="{base_url}pixel.png"> @import url({base_url}title.css);')


def _assert_nothing_leaked(pdf: bytes, requests: list[str]) -> None:
    assert requests == []
    reader = pdf_reader(pdf)
    assert reader.attachments == {}
    assert b"/EmbeddedFile" not in pdf and b"/FileAttachment" not in pdf
    text = flat(pdf_pages(pdf)) + pdftotext(pdf)
    assert SECRET_LINE not in text and SECRET_LINE.encode() not in pdf


def test_payloads_in_a_title_a_name_and_a_narrative_are_printed_as_text(app, client, server):
    base_url, requests = server
    world = make_proposal_world()
    evil = payload(base_url)
    world.coalition.campaign.title_en = f"Lead in paint {evil}"[:200]
    world.coalition.tajik.name_en = f"Little Earth {evil}"[:200]
    services.save_sections(world.application, {
        SectionKind.EXECUTIVE_SUMMARY: (f"Summary {evil}\n\n![x](file://{SECRET_FILE})", ""),
    })
    db.session.commit()
    login(client, make_user(Role.FUNDRAISER))

    response = client.get(f"/applications/{world.application.id}/proposal/draft.pdf?lang=en")

    assert response.status_code == 200
    _assert_nothing_leaked(response.data, requests)
    text = plain(flat(pdf_pages(response.data)))
    # The markup is shown as the characters typed, not obeyed.
    assert f'Lead in paint <img src="file://{SECRET_FILE}">' in text
    assert f'Little Earth <img src="file://{SECRET_FILE}">' in text
    assert f"Summary <img src=\"file://{SECRET_FILE}\">" in text


def test_the_renderer_refuses_files_servers_and_attachments_even_in_raw_html(app, server):
    base_url, requests = server
    html = (f"<html><head><title>T</title>{payload(base_url)}"
            f'<link rel="stylesheet" href="{base_url}sheet.css">'
            f'<link rel="attachment" href="css/proposal.css"></head>'
            f'<body><p>Body</p><img src="../../../../..{SECRET_FILE}">'
            f'<img src="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22/>">'
            f'<a rel="attachment" href="file://{SECRET_FILE}">passwd</a>'
            f'<a rel="attachment" href="css/proposal.css">ours</a>'
            f'<object data="file://{SECRET_FILE}"></object></body></html>')

    rendered = html_to_pdf(html, static_root=app.static_folder, limits=Limits(20, 5))

    _assert_nothing_leaked(rendered.data, requests)
    refused = set(rendered.refused)
    assert f"file://{SECRET_FILE}" in refused
    assert f"{base_url}sheet.css" in refused and f"{base_url}evil.css" in refused
    assert any(url.startswith("data:") for url in refused)
    assert "Body" in flat(pdf_pages(rendered.data))


def test_the_fetcher_serves_only_regular_files_under_its_folder(tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "ok.css").write_text("p { color: green }")
    (tmp_path / "secret.txt").write_text("secret")
    (static / "css" / "link.css").symlink_to(tmp_path / "secret.txt")
    (static / "inside.css").symlink_to(static / "css" / "ok.css")
    fetcher = StaticOnlyFetcher(static)

    served = fetcher.fetch((static / "css" / "ok.css").as_uri())
    assert served.read() == b"p { color: green }" and served.content_type == "text/css"
    assert fetcher.fetch((static / "inside.css").as_uri()).read() == b"p { color: green }"
    for url in ((static / "css" / "link.css").as_uri(), (tmp_path / "secret.txt").as_uri(),
                f"{static.as_uri()}/../secret.txt", f"file://{SECRET_FILE}",
                static.as_uri(), "http://127.0.0.1/", "https://example.org/a.css",
                "data:text/css,p{}", f"file://otherhost{static}/css/ok.css", "ftp://x/y"):
        with pytest.raises(URLRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 10


def test_a_render_over_the_time_limit_is_stopped_with_a_clear_error(app):
    many = "<html><body>" + "<p>Line of text</p>" * 2000 + "</body></html>"
    with pytest.raises(RenderRefused) as refused:
        html_to_pdf(many, static_root=app.static_folder, limits=Limits(0.05, 1000))
    assert "took longer than 0.05 seconds to render and was stopped" in str(refused.value)
    with pytest.raises(RenderRefused) as too_long:
        html_to_pdf(many, static_root=app.static_folder, limits=Limits(60, 3))
    assert "would be longer than 3 pages" in str(too_long.value)
