"""A savepoint never commits its caller's work on its own (SQLite's driver and savepoints).

Python's sqlite3 begins a transaction before an INSERT, UPDATE or DELETE, but not before a
SAVEPOINT: a savepoint opened first in a transaction then began one of SQLite's own, and
its release committed everything up to it. A pledge with a reference (inserted under a
savepoint, so that a clash of references is told apart) or a rate was then committed
before its roll-ups and its audit event, and a caller's rollback no longer undid it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.drive_support import make_drive, make_world
from tests.factories import count_rows
from tracker.drives import services as drives
from tracker.drives.models import Pledge
from tracker.extensions import db
from tracker.money.models import ExchangeRate
from tracker.money.rates import add_rate

pytestmark = pytest.mark.commits


def test_a_pledge_with_a_reference_goes_back_with_its_callers_rollback(app):
    drive = make_drive(make_world())
    db.session.commit()
    before = count_rows(Pledge)

    drives.log_pledge(drive, drives.PledgeInput(
        amount=Decimal("500"), currency="RUB", pledged_on=date(2026, 3, 1),
        pledger_name="Anna", external_reference="bank-0001"), by=None)
    db.session.rollback()

    assert count_rows(Pledge) == before


def test_a_rate_goes_back_with_its_callers_rollback(app):
    before = count_rows(ExchangeRate)

    add_rate(date(2026, 3, 2), "USD", "KZT", Decimal("470"), "National Bank of Kazakhstan")
    db.session.rollback()

    assert count_rows(ExchangeRate) == before
