"""The dashboard's collisions are a bounded list with its count, a page at a time (issue 15):
a season of calls made them the dashboard's longest section."""

from __future__ import annotations

from tests.pages import switch_to_russian
from tests.test_deadline_lines import _text, add_applications, coordinator, world  # noqa: F401
from tracker.applications import services
from tracker.db import utcnow


def _collisions(html: str) -> list[str]:
    """Each collision's heading (donor: call) as the dashboard shows it."""
    section = html[html.index('id="collisions"'):html.index("</section>",
                                                           html.index('id="collisions"'))]
    return [_text(block.split("</p>")[0]) for block in section.split('role="alert"')[1:]]


def test_the_dashboard_shows_five_collisions_a_page_with_their_count(client, world, coordinator):  # noqa: F811
    add_applications(world, 16)
    calls = [collision.call.title_en
             for collision in services.all_collisions(deadline_from=utcnow().date())]
    assert len(calls) == 8

    first = client.get("/").text
    second = client.get("/?collisions_page=2").text
    past_the_end = client.get("/?collisions_page=40").text

    assert [call in head for call, head in zip(calls[:5], _collisions(first), strict=True)] \
        == [True] * 5
    assert "Showing 1–5 of 8" in _text(first)
    assert "/?collisions_page=2#collisions" in first
    assert [call in head for call, head in zip(calls[5:], _collisions(second), strict=True)] \
        == [True] * 3
    assert "Showing 6–8 of 8" in _text(second)
    assert _collisions(past_the_end) == _collisions(second)

    switch_to_russian(client)
    assert 'aria-label="Страницы конфликтов"' in client.get("/").text
