"""The donors' list: open calls with their limits, closed calls folded under a count."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.applications_support import Coalition, make_call, make_coalition
from tests.auth_support import login, make_user
from tests.pages import plain, switch_to_russian
from tracker.auth.models import Role
from tracker.db import utcnow


@pytest.fixture
def world(app) -> Coalition:
    return make_coalition()


@pytest.fixture
def fundraiser(client, world):
    user = make_user(Role.FUNDRAISER, email="fundraiser@example.org")
    login(client, user)
    return user


def _text(html: str) -> str:
    return " ".join(plain(re.sub(r"<[^>]+>", " ", html)).split())


def _closed_fold(html: str) -> str:
    found = re.search(r'<details class="[^"]*donor-closed-calls">(.*?)</details>', html, re.S)
    return _text(found.group(1)) if found else ""


def test_closed_calls_are_folded_under_a_count_and_open_ones_keep_their_limits(
        client, world, fundraiser):
    today = utcnow().date()
    make_call(world.special_programme, title_en="Round open", title_ru="Раунд открытый",
              deadline=today + timedelta(days=30), max_amount=Decimal("200000"),
              max_duration_months=21)
    for number in (1, 2):
        make_call(world.special_programme, title_en=f"Round closed {number}",
                  title_ru=f"Раунд закрытый {number}", deadline=today - timedelta(days=number),
                  max_amount=Decimal("90000"), max_duration_months=9)
    html = client.get("/donors/").text
    fold = _closed_fold(html)
    assert "2 closed calls" in fold
    assert "Round closed 1" in fold and "Round closed 2" in fold
    assert "Round open" not in fold
    # The open call's limits are listed; a closed call's are on its own page.
    assert "up to $200,000.00" in _text(html) and "Up to 21 months" in _text(html)
    assert "Up to 9 months" not in _text(html)
    assert "The limits of a closed call are on its page." in fold

    switch_to_russian(client)
    russian = client.get("/donors/").text
    assert "2 закрытых конкурса" in _closed_fold(russian)
    assert "До 21 месяца" in _text(russian)


def test_calls_with_equal_limits_each_show_them(client, world, fundraiser):
    today = utcnow().date()
    for number in (1, 2):
        make_call(world.special_programme, title_en=f"Round {number}",
                  deadline=today + timedelta(days=number), max_amount=Decimal("123000"),
                  eligible_applicant_kinds=("government",))
    page = _text(client.get("/donors/").text)
    assert page.count("up to $123,000.00") == 2
    assert page.count("Applicants: Government agency") >= 2


def test_a_donor_with_only_closed_calls_says_none_is_open(client, world, fundraiser):
    make_call(world.special_programme, title_en="Old round",
              deadline=utcnow().date() - timedelta(days=3))
    html = client.get("/donors/").text
    assert "No open funding calls." in _text(html)
    assert "1 closed call" in _closed_fold(html) and "Old round" in _closed_fold(html)
