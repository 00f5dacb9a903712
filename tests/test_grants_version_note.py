"""The note the app writes on a grant's first budget version reads in the reader's language,
whatever language the grant was opened in (issue 14: no English on a Russian screen)."""

from __future__ import annotations

import pytest

from tests.auth_support import login, make_user
from tests.grants_support import make_grant_world
from tests.pages import switch_to_russian
from tracker.auth.models import Role
from tracker.extensions import db

ENGLISH = "Budget of the application as awarded"
RUSSIAN = "Бюджет заявки, как она одобрена"


def _budget_page(client, russian: bool) -> str:
    world = make_grant_world()
    login(client, make_user(Role.COORDINATOR))
    if russian:
        switch_to_russian(client)
    return client.get(f"/grants/{world.grant.id}/budget").text


def test_the_awarded_budget_note_reads_in_russian_on_a_russian_screen(app, client):
    """A grant opened by the app (no request, no language) shows its note in Russian."""
    page = _budget_page(client, russian=True)
    assert RUSSIAN in page and ENGLISH not in page


@pytest.mark.parametrize("stored", [ENGLISH, RUSSIAN])
def test_a_note_stored_in_either_language_reads_in_english_on_an_english_screen(app, client,
                                                                                stored):
    """A grant opened in Russian before the fix kept the note in Russian: shown in English."""
    world = make_grant_world()
    world.grant.versions[0].note = stored
    db.session.commit()
    login(client, make_user(Role.COORDINATOR))
    page = client.get(f"/grants/{world.grant.id}/budget").text
    assert ENGLISH in page and RUSSIAN not in page
