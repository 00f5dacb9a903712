"""The once-only key is claimed without a look first (issue 15): a first post pays two
statements for its key and stores what it created, and every kind of repeat, even one the
service itself would refuse (the reference is taken, the pledge is paid), still shows the
first result and adds nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.drive_support import DRIVE_SLUG, make_pledge, page_text, stored_totals
from tests.factories import count_rows
from tests.statements_support import recorded_statements
from tests.test_submissions import (
    ALREADY,
    _both_claim_together,
    _post_together,
    key_in,
    payment_data,
    pledge_data,
)
from tracker.drives.models import Payment, Pledge
from tracker.extensions import db
from tracker.submissions import Submission

PAGE = f"/drives/{DRIVE_SLUG}"


def test_a_first_post_claims_its_key_in_two_statements_naming_what_it_created(as_lead, drive):
    key = key_in(as_lead.get(f"{PAGE}/pledges/new").text)
    with recorded_statements() as statements:
        posted = as_lead.post(f"{PAGE}/pledges/new", data=pledge_data(key))
    assert posted.status_code == 302
    assert len([sql for sql in statements if "submission" in sql]) == 2, statements
    pledge_id = db.session.scalar(select(Pledge.id))
    saved = db.session.scalars(select(Submission).where(Submission.key == key)).one()
    assert (saved.kind, saved.record_id, saved.result_url) == (
        "pledge", str(pledge_id), f"{PAGE}#pledges")


def test_a_pledge_with_a_reference_posted_twice_is_a_repeat_not_a_taken_reference(
        as_lead, drive):
    key = key_in(as_lead.get(f"{PAGE}/pledges/new").text)
    data = pledge_data(key, external_reference="BANK-77")
    first = as_lead.post(f"{PAGE}/pledges/new", data=data)
    again = as_lead.post(f"{PAGE}/pledges/new", data=data)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == f"{PAGE}#pledges"
    shown = page_text(as_lead.get(again.headers["Location"]).text)
    assert ALREADY in shown and "already recorded" not in shown
    assert count_rows(Pledge) == 1


def test_a_payment_that_settled_its_pledge_posted_twice_is_a_repeat_not_a_refusal(
        as_lead, drive):
    pledge = make_pledge(drive, amount="400")
    url = f"{PAGE}/pledges/{pledge.id}"
    key = key_in(as_lead.get(url).text)
    first = as_lead.post(f"{url}/payments", data=payment_data(key))
    again = as_lead.post(f"{url}/payments", data=payment_data(key))
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == f"{url}#payments"
    assert ALREADY in page_text(as_lead.get(url).text)
    assert count_rows(Payment) == 1
    assert stored_totals(drive)["received_minor"] == 40000


def test_another_form_with_a_taken_reference_is_still_refused_clearly(as_lead, drive):
    make_pledge(drive, amount="100", name="First")
    db.session.execute(Pledge.__table__.update().values(external_reference="BANK-9"))
    db.session.commit()
    key = key_in(as_lead.get(f"{PAGE}/pledges/new").text)
    refused = as_lead.post(f"{PAGE}/pledges/new",
                           data=pledge_data(key, external_reference="BANK-9"))
    assert refused.status_code == 422
    assert ("A pledge with the reference BANK-9 is already recorded for this drive."
            in page_text(refused.text))
    assert count_rows(Pledge) == 1 and count_rows(Submission) == 0


@pytest.mark.commits
def test_two_pledges_with_one_reference_and_key_posted_at_once_are_logged_once(
        app, monkeypatch, lead, drive):
    drive = SimpleNamespace(id=drive.id)
    db.session.remove()
    _both_claim_together(monkeypatch)
    responses = _post_together(app, lead, f"{PAGE}/pledges/new",
                               pledge_data("r" * 32, external_reference="BANK-5"))
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.headers["Location"] for r in responses} == {f"{PAGE}#pledges"}
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == 1
    assert stored_totals(drive)["pledged_minor"] == 100000


def test_a_payment_posted_to_another_drives_pledge_is_not_found_and_records_nothing(
        as_lead, world, drive):
    from tests.drive_support import make_drive

    other = make_drive(world, slug="second-drive")
    stranger = make_pledge(other, amount="1000")
    response = as_lead.post(f"{PAGE}/pledges/{stranger.id}/payments",
                            data=payment_data(key_in(as_lead.get(f"{PAGE}/pledges/new").text)))
    assert response.status_code == 404
    assert count_rows(Payment) == 0
