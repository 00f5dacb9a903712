"""Accounts, sessions, brute-force limits and permissions.

- Mark a view open to anonymous visitors: `@public` (tracker.auth.sessions).
- Ask who is logged in: `current_user` (tracker.auth.sessions); in templates too.
- Check a permission: `require(can(current_user, Action.LOG_PLEDGES, campaign))`, or
  `@permission_required(Action.MANAGE_USERS)` for actions not tied to a campaign
  (tracker.auth.permissions); in templates `{% if can('log_pledges', campaign) %}`.
- Let other sites frame a view: `@frameable` (tracker.auth.headers).
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_auth(app: Flask) -> None:
    """Check sessions on every request and give templates `current_user` and `can`."""
    from tracker.auth.limits import check_settings
    from tracker.auth.permissions import can
    from tracker.auth.rescue import init_rescue
    from tracker.auth.sessions import current_user, init_sessions

    check_settings(app)
    init_sessions(app)
    init_rescue(app)  # after load_user: a rescued page is shown to the logged-in user only

    def can_in_template(action: Any, campaign: Any = None, organization: Any = None) -> bool:
        """`can('edit_targets', campaign)` for the logged-in user, to hide what they may not do."""
        return can(current_user, action, campaign, organization=organization)

    app.jinja_env.globals["can"] = can_in_template
