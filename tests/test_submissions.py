"""A submission counts once: every form that creates money records carries a one-time key;
posting it again (a double click, a retry, two posts racing) creates nothing new and shows
the first result."""

from __future__ import annotations

import re
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.auth_support import login
from tests.drive_support import (
    DRIVE_SLUG,
    make_pledge,
    page_text,
    stored_totals,
)
from tests.factories import count_rows
from tracker import submissions
from tracker.drives.models import Payment, Pledge
from tracker.extensions import db
from tracker.submissions import Submission

PAGE = f"/drives/{DRIVE_SLUG}"
ALREADY = "This was already saved: nothing new was added."


def key_in(html: str) -> str:
    """The one-time key the rendered form carries in its hidden field."""
    match = re.search(r'name="submission_key"[^>]*value="([^"]+)"'
                      r'|value="([^"]+)"[^>]*name="submission_key"', html)
    assert match, "no submission key on the page"
    return match.group(1) or match.group(2)


def pledge_data(key: str, **overrides: str) -> dict[str, Any]:
    data = {"pledger_name": "Anna Petrova", "contact_email": "anna@example.org",
            "amount": "1000", "currency": "RUB", "pledged_on": "2026-03-10",
            "channel": "bank_transfer", "external_reference": "", "note": "",
            "submission_key": key}
    data.update(overrides)
    return data


def payment_data(key: str, **overrides: str) -> dict[str, Any]:
    data = {"amount": "400", "currency": "RUB", "paid_on": "2026-03-12", "method": "cash",
            "reference": "", "note": "", "submission_key": key}
    data.update(overrides)
    return data


def test_a_double_posted_pledge_is_logged_once_and_the_repeat_shows_it(as_lead, drive):
    key = key_in(as_lead.get(f"{PAGE}/pledges/new").text)
    first = as_lead.post(f"{PAGE}/pledges/new", data=pledge_data(key))
    again = as_lead.post(f"{PAGE}/pledges/new", data=pledge_data(key))
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"] == f"{PAGE}#pledges"
    assert count_rows(Pledge) == 1
    assert stored_totals(drive)["pledged_minor"] == 100000
    shown = page_text(as_lead.get(again.headers["Location"]).text)
    assert ALREADY in shown
    assert db.session.scalar(select(Submission.kind).where(Submission.key == key)) == "pledge"


def test_each_rendering_of_the_form_is_a_new_submission(as_lead, drive):
    for _ in range(2):
        key = key_in(as_lead.get(f"{PAGE}/pledges/new").text)
        assert as_lead.post(f"{PAGE}/pledges/new", data=pledge_data(key)).status_code == 302
    assert count_rows(Pledge) == 2


def test_a_refused_form_keeps_its_key_and_the_corrected_post_counts_once(as_lead, drive):
    key = key_in(as_lead.get(f"{PAGE}/pledges/new").text)
    refused = as_lead.post(f"{PAGE}/pledges/new", data=pledge_data(key, amount="-5"))
    assert refused.status_code == 422
    assert key_in(refused.text) == key
    assert count_rows(Submission) == 0
    for _ in range(2):
        as_lead.post(f"{PAGE}/pledges/new", data=pledge_data(key))
    assert count_rows(Pledge) == 1


def test_a_double_posted_payment_is_recorded_once(as_lead, drive):
    pledge = make_pledge(drive, amount="1000")
    url = f"{PAGE}/pledges/{pledge.id}"
    key = key_in(as_lead.get(url).text)
    first = as_lead.post(f"{url}/payments", data=payment_data(key))
    again = as_lead.post(f"{url}/payments", data=payment_data(key))
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"] == f"{url}#payments"
    assert count_rows(Payment) == 1
    assert stored_totals(drive)["received_minor"] == 40000
    assert ALREADY in page_text(as_lead.get(url).text)


def test_a_double_posted_public_pledge_counts_once(client, drive):
    key = key_in(client.get(f"/d/{DRIVE_SLUG}").text)
    data = {"pledger_name": "Oleg", "contact_email": "oleg@example.org", "amount": "1500",
            "currency": "RUB", "message": "", "website": "", "submission_key": key}
    first = client.post(f"/d/{DRIVE_SLUG}", data=data)
    again = client.post(f"/d/{DRIVE_SLUG}", data=data)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == f"/d/{DRIVE_SLUG}/thanks"
    assert count_rows(Pledge) == 1


def test_a_double_posted_import_confirmation_imports_once(as_lead, drive):
    content = ("date,name,email,amount,currency,reference\n"
               "2026-03-10,Anna,,100,RUB,a\n2026-03-10,Boris,,200,RUB,b\n")
    uploaded = as_lead.post(f"{PAGE}/import", data={
        "file": (__import__("io").BytesIO(content.encode()), "pledges.csv")},
        content_type="multipart/form-data")
    preview = uploaded.headers["Location"]
    key = key_in(as_lead.get(preview).text)
    first = as_lead.post(f"{preview}/confirm", data={"channel": "other", "submission_key": key})
    again = as_lead.post(f"{preview}/confirm", data={"channel": "other", "submission_key": key})
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == f"{PAGE}#pledges"
    assert count_rows(Pledge) == 2
    assert ALREADY in page_text(as_lead.get(again.headers["Location"]).text)


def test_the_repeat_note_speaks_russian(as_lead, drive):
    from tests.pages import switch_to_russian
    switch_to_russian(as_lead)
    key = key_in(as_lead.get(f"{PAGE}/pledges/new").text)
    as_lead.post(f"{PAGE}/pledges/new", data=pledge_data(key))
    again = as_lead.post(f"{PAGE}/pledges/new", data=pledge_data(key))
    assert "Это уже сохранено: ничего нового не добавлено." in page_text(
        as_lead.get(again.headers["Location"]).text)


# --- two posts at once --------------------------------------------------------------------


def _both_claim_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make both posts reach their key's claim before either claims it: a real race."""
    original = submissions.claim_key
    barrier = threading.Barrier(2, timeout=10)
    lock, calls = threading.Lock(), {"n": 0}

    def racing(key: str, kind: str) -> int:
        with lock:
            calls["n"] += 1
            first_two = calls["n"] <= 2
        if first_two:
            barrier.wait()
        return original(key, kind)

    monkeypatch.setattr(submissions, "claim_key", racing)


def _post_together(app, lead, url: str, data: dict[str, Any]) -> list[Any]:
    clients = [app.test_client() for _ in range(2)]
    for each in clients:
        login(each, db.session.merge(lead))
    db.session.remove()
    responses: list[Any] = [None, None]
    errors: list[BaseException] = []

    def post(index: int) -> None:
        try:
            responses[index] = clients[index].post(url, data=data)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return responses


@pytest.mark.commits
def test_two_payments_posted_at_once_with_one_key_are_recorded_once(app, monkeypatch, lead,
                                                                     drive):
    url = f"{PAGE}/pledges/{make_pledge(drive, amount='1000').id}"
    drive = SimpleNamespace(id=drive.id)
    db.session.remove()
    _both_claim_together(monkeypatch)
    responses = _post_together(app, lead, f"{url}/payments", payment_data("k" * 32))
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.headers["Location"] for r in responses} == {f"{url}#payments"}
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
    assert stored_totals(drive)["received_minor"] == 40000


@pytest.mark.commits
def test_two_pledges_posted_at_once_with_one_key_are_logged_once(app, monkeypatch, lead, drive):
    drive = SimpleNamespace(id=drive.id)
    db.session.remove()
    _both_claim_together(monkeypatch)
    responses = _post_together(app, lead, f"{PAGE}/pledges/new", pledge_data("p" * 32))
    assert [r.status_code for r in responses] == [302, 302]
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 1
    assert stored_totals(drive)["pledged_minor"] == 100000


def test_a_post_without_a_key_is_saved_unguarded(as_lead, drive):
    data = pledge_data("")
    assert as_lead.post(f"{PAGE}/pledges/new", data=data).status_code == 302
    assert count_rows(Pledge) == 1 and count_rows(Submission) == 0


def test_a_malformed_key_is_refused(as_lead, drive):
    response = as_lead.post(f"{PAGE}/pledges/new", data=pledge_data("<not a key>"))
    assert response.status_code == 422
    assert count_rows(Pledge) == 0


