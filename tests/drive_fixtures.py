"""The drive tests' shared fixtures: a world, its drive, a lead and the lead's client.

Registered for every test by tests/conftest.py; a module that needs another world (or
another drive) defines its own fixture of the same name, which wins there.
"""

from __future__ import annotations

import pytest

from tests.auth_support import login, make_user
from tests.drive_support import make_drive, make_world
from tracker.auth.models import Role


@pytest.fixture
def world(app):
    """A campaign with its lead organisation, partners and rates (tests/drive_support.py)."""
    return make_world()


@pytest.fixture
def drive(world):
    """The XRF drive of that campaign, live."""
    return make_drive(world)


@pytest.fixture
def lead(world):
    """A campaign lead of the world's campaign."""
    return make_user(Role.LEAD, email="lead@example.org", campaigns=[world.campaign])


@pytest.fixture
def as_lead(client, lead):
    """The test client, logged in as that lead."""
    login(client, lead)
    return client
