"""Reading a History as a reader does: one line an event, its details behind a link."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from tests.pages import plain
from tracker.audit.models import AuditAction, AuditEvent
from tracker.extensions import db


def details_links(html: str) -> list[str]:
    """The addresses of the "Details" links of a page's History lines, in order."""
    return [unescape(href) for href in
            re.findall(r'<a class="[^"]*audit-details-link" href="([^"]*)"', html)]


def details_of(page: str) -> list[str]:
    """The lines of one event's details page."""
    found = re.findall(r'<ul class="list-unstyled ms-3 audit-details">(.*?)</ul>', page, re.S)
    return [plain(unescape(line)).strip() for block in found
            for line in re.findall(r'<li class="text-break">(.*?)</li>', block, re.S)]


def details(client, html: str) -> list[str]:
    """The lines a reader sees by following each "Details" link, all events together (the
    History lists one line an event; its details are on the event's own page)."""
    assert '<details class="small audit-details' not in html  # never inline any more
    lines = []
    for href in details_links(html):
        answer = client.get(href)
        assert answer.status_code == 200, href
        lines += details_of(answer.text)
    return lines


def views_of_personal_data() -> list[AuditEvent]:
    """The audit trail's notes that a page showed, or a file took out, supporters' contact
    data, oldest first."""
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_([AuditAction.VIEW, AuditAction.EXPORT])).order_by(AuditEvent.id)))
