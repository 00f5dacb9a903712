"""Static files: fingerprinted names in the pages, a year's caching, compressed copies, the
plain names still answered, and Bootstrap's CSS cut to what the templates use."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask import Flask, url_for

from tracker.assets import install_assets, purge
from tracker.assets.build import build
from tracker.assets.templates import compact

STATIC = Path(__file__).resolve().parent.parent / "tracker" / "static"
LINKED = re.compile(r'(?:href|src)="(/static/[^"]+)"')
FINGERPRINTED = re.compile(r"^/static/.+\.[0-9a-f]{12}\.(css|js)$")


def fetch(client, path: str, **options) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET, the response closed (its file with it)."""
    with client.get(path, **options) as response:
        return response.status_code, dict(response.headers), response.get_data()


def linked_files(client) -> list[str]:
    return LINKED.findall(client.get("/login").text)


def test_pages_link_only_fingerprinted_static_files(client):
    """The login page's stylesheets and scripts carry a content hash in their names."""
    files = linked_files(client)
    assert len(files) >= 3
    assert all(FINGERPRINTED.match(path) for path in files), files
    assert any("/vendor/bootstrap/bootstrap.used." in path for path in files)
    assert not any("bootstrap.bundle" in path or "bootstrap.min" in path for path in files)


def test_a_fingerprinted_file_is_cached_for_a_year_and_served_compressed(client):
    """Immutable for a year, gzip or brotli when asked, the right type, the source's bytes."""
    stylesheet = next(path for path in linked_files(client) if "app." in path)
    source = (STATIC / "css" / "app.css").read_bytes()
    status, headers, body = fetch(client, stylesheet)
    assert status == 200
    assert headers["Cache-Control"] == "max-age=31536000, public, immutable"
    assert headers["Content-Type"] == "text/css; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Encoding" not in headers
    assert body == source
    _, headers, body = fetch(client, stylesheet, headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == source
    _, headers, body = fetch(client, stylesheet, headers={"Accept-Encoding": "gzip, br"})
    assert headers["Content-Encoding"] == "br"
    assert brotli.decompress(body) == source
    script = next(path for path in linked_files(client) if path.endswith(".js"))
    assert fetch(client, script)[1]["Content-Type"] == "text/javascript; charset=utf-8"


def test_plain_names_still_work_but_are_not_kept_for_long(client):
    """An old link to css/app.css is answered, with a short lifetime since it changes."""
    status, headers, body = fetch(client, "/static/css/app.css")
    assert status == 200
    assert body == (STATIC / "css" / "app.css").read_bytes()
    assert headers["Cache-Control"] == "max-age=60, public"
    assert fetch(client, "/static/css/app.0123456789ab.css")[0] == 404


def test_the_build_is_reused_until_a_source_changes(tmp_path):
    """Same sources, same build folder; a changed file gets a new name and a new folder."""
    static, instance = tmp_path / "static", tmp_path / "instance"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body { color: black; }\n" * 50)
    first = build(static, instance)
    assert build(static, instance) == first
    name = first.names["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", name)
    assert {path.name for path in (first.folder / "css").iterdir()} >= {
        "site.css", Path(name).name, Path(name).name + ".gz", Path(name).name + ".br"}
    (static / "css" / "site.css").write_text("body { color: navy; }\n" * 50)
    second = build(static, instance)
    assert second.folder != first.folder
    assert second.names["css/site.css"] != name


def test_flash_messages_close_only_with_javascript(client):
    """Without JavaScript a close button could do nothing: it is hidden until app.js shows it."""
    client.post("/language", data={"language": "ru", "next": "/login"})
    page = client.get("/login").text
    if 'class="btn-close"' in page:
        assert re.search(r'<button[^>]*class="btn-close"[^>]*\bhidden\b', page)
    assert "data-bs-" not in page


def test_the_cut_bootstrap_css_is_up_to_date():
    """bootstrap.used.css is what the generator makes from today's templates and code."""
    assert purge.TARGET.read_text(encoding="utf-8") == purge.expected(), (
        f"A template or the code uses classes the cut Bootstrap CSS lacks (or no longer "
        f"uses some): run {purge.COMMAND} to regenerate {purge.TARGET.name}.")


@pytest.mark.parametrize(("used", "kept", "dropped"), [
    ("btn btn-success", [".btn{", ".btn-success{"], [".btn-danger{"]),
    ("alert alert-{{ kind }}", [".alert-danger{", ".alert-info{"], [".btn{"]),
    ("", ["body{", ":root{"], [".btn{", "[data-bs-theme=dark]{"]),
])
def test_the_generator_keeps_used_classes_and_rules_without_classes(used, kept, dropped):
    """Classes named (or begun) in the sources stay, unused ones go, the reboot stays."""
    css = purge.purge(purge.SOURCE.read_text(encoding="utf-8"), purge.Vocabulary([used]))
    for rule in kept:
        assert rule in css
    for rule in dropped:
        assert rule not in css


def test_pages_come_without_the_templates_indentation(client):
    """The login page has no line indented before a tag: bytes nobody sees."""
    page = client.get("/login").text
    assert re.search(r"^[ \t]+<", page, re.MULTILINE) is None
    assert "<form" in page and "</html>" in page


def test_indentation_stays_where_it_shows_and_in_the_data():
    """<pre>, <textarea>, <script> and <style> keep their spaces; text lines are left alone."""
    source = ('<div>\n  <p>\n    {{ text }}\n    two words\n  </p>\n</div>\n'
              '<pre>\n  kept\n  <b>kept</b>\n</pre>\n<textarea>\n  {{ value }}</textarea>')
    assert compact(source) == ('<div>\n<p>\n{{ text }}\n    two words\n</p>\n</div>\n'
                               '<pre>\n  kept\n  <b>kept</b>\n</pre>\n'
                               '<textarea>\n  {{ value }}</textarea>')


def test_in_development_an_edited_file_is_served_without_a_restart(tmp_path):
    """`make run` keeps serving while a developer edits a stylesheet: its new name shows."""
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "app.css").write_text("body { color: black; }\n")
    # A bare Flask app on a folder of its own: the development setting is what matters.
    app = Flask(__name__, static_folder=str(static), instance_path=str(tmp_path / "instance"))
    app.config["ENV"] = "development"
    install_assets(app)
    client = app.test_client()
    with app.test_request_context():
        before = url_for("static", filename="css/app.css")
    (static / "css" / "app.css").write_text("body { color: navy; }\n")
    assert fetch(client, "/static/css/app.css")[2] == b"body { color: navy; }\n"
    with app.test_request_context():
        after = url_for("static", filename="css/app.css")
    assert after != before
    assert fetch(client, after)[2] == b"body { color: navy; }\n"
