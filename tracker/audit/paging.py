"""One page of audit events: the app's one pager (tracker.paging) under the audit's name."""

from __future__ import annotations

from tracker.paging import Page

# Newest first; `more` says the count stopped at HISTORY_COUNT_CAP.
EventPage = Page
