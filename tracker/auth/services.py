"""The auth area's public face: accounts, logging in and sessions, set-password links.

Each concern lives in its own module (identity, accounts, logins, invites); this module
re-exports their public names so other areas import from one place.
"""

from __future__ import annotations

from tracker.auth.accounts import (
    AccessInput,
    UserInput,
    create_user,
    find_campaign_ids,
    find_organization_id,
    invite_user,
    list_users,
    page_of_users,
    set_active,
    set_language,
    update_access,
)
from tracker.auth.failures import (
    FailedLoginReport,
    alert_owner,
    failed_logins_of,
    note_failed_login,
)
from tracker.auth.identity import (
    EMAIL_PATTERN,
    MAX_EMAIL_LENGTH,
    find_user_by_email,
    get_user,
    normalize_email,
    token_digest,
)
from tracker.auth.invites import (
    InviteResult,
    accept_invite,
    find_valid_invite,
    issue_link,
    mail_link,
    request_password_reset,
    revoke_links,
    send_new_link,
)
from tracker.auth.logins import (
    TOUCH_INTERVAL,
    ClientInfo,
    LoginResult,
    SessionCheck,
    active_sessions,
    authenticate,
    change_password,
    end_other_sessions,
    end_session,
    end_sessions,
    log_in,
    resume_session,
    start_session,
)

__all__ = [
    "EMAIL_PATTERN",
    "MAX_EMAIL_LENGTH",
    "TOUCH_INTERVAL",
    "AccessInput",
    "ClientInfo",
    "FailedLoginReport",
    "InviteResult",
    "LoginResult",
    "SessionCheck",
    "UserInput",
    "accept_invite",
    "active_sessions",
    "alert_owner",
    "authenticate",
    "change_password",
    "create_user",
    "end_other_sessions",
    "end_session",
    "end_sessions",
    "failed_logins_of",
    "find_campaign_ids",
    "find_organization_id",
    "find_user_by_email",
    "find_valid_invite",
    "get_user",
    "invite_user",
    "issue_link",
    "list_users",
    "log_in",
    "mail_link",
    "normalize_email",
    "note_failed_login",
    "page_of_users",
    "request_password_reset",
    "resume_session",
    "revoke_links",
    "send_new_link",
    "set_active",
    "set_language",
    "start_session",
    "token_digest",
    "update_access",
]
