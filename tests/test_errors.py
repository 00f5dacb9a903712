"""Health check and error pages: plain answers for machines, friendly pages for people."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import TEST_SECRET
from tracker import create_app
from tracker.extensions import db


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@127.0.0.1:9/tracker?connect_timeout=2",
    "sqlite:////nonexistent-tracker-directory/deeper/tracker.sqlite",
], ids=["postgresql-port-closed", "sqlite-missing-directory"])
def test_healthz_answers_503_when_the_database_is_unreachable(url):
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET})
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


@pytest.mark.usefixtures("signed_in_admin")
def test_unknown_page_shows_the_404_page_in_the_site_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert '<html lang="en">' in response.text
    assert "Page not found" in response.text
    assert 'href="/campaigns/"' in response.text  # the navigation is there to go on from


def test_unknown_page_speaks_the_users_language(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "ru"})
    assert response.status_code == 404
    assert '<html lang="ru">' in response.text
    assert 'aria-current="true">RU<span class="visually-hidden"> Русский</span>' in response.text


@pytest.mark.usefixtures("signed_in_admin")
@pytest.mark.fresh_app
def test_a_crash_in_a_view_shows_a_500_page_without_a_traceback(app, client, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode():
        """A view that fails the way a bug would."""
        raise RuntimeError("secret internals: password=hunter2")

    app.add_url_rule("/explode", "explode", explode)
    with caplog.at_level(logging.ERROR):
        response = client.get("/explode")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "Traceback" not in response.text
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert any("hunter2" in str(record.exc_info[1]) for record in caplog.records
               if record.exc_info)


@pytest.mark.usefixtures("signed_in_admin")
def test_a_wrong_method_shows_the_405_page(client):
    response = client.get("/language")
    assert response.status_code == 405
    assert "This action is not allowed here" in response.text
