"""Who may do what: the one table every view, template and test asks.

Rules, from issue 3:

- admin: everything, including users.
- coordinator: every campaign (campaigns, organisations, targets, drives, pledges and
  payments, applications, donors and calls, proposals), exchange rates, the audit trail.
  Rates are the coordinator's too because the coalition's gaps are computed with them.
  (Currencies are listed on screen but never changed there: no permission guards them.)
- fundraiser: applications, donors and calls, proposals everywhere; reads the rest.
- lead: in the campaigns they lead (a Membership with role lead), that campaign's
  targets, drives, pledges and payments; reads the rest.
- viewer: reads only.

Grants (issue 13): admins, coordinators and fundraisers open grants and keep their budget
revisions, reporting schedule and transfers (MANAGE_GRANTS); the holder's coordinators
(and admins) approve or return expenditures (APPROVE_SPENDING). A partner's lead (a lead
whose account belongs to the organisation) records and sees only its own organisation's
expenditures, receipts and balance (RECORD_SPENDING, SEE_SPENDING with the
OWN_ORGANISATION scope); the hub's staff and viewers see every partner's.

Supporters' contact data (issue 11) is need-to-know: their e-mail addresses, messages and
the notes staff keep about them show to coordinators, admins and the leads of the
supporter's campaign (SEE_CONTACTS), the same people who may export the pledges; everyone
else sees names, or "anonymous" where the supporter asked. Giving a supporter everything
held about them, or erasing it, is the hub's job (MANAGE_SUPPORTER_DATA).

Nobody anonymous or disabled may do anything, not even read.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from functools import wraps
from typing import Any, Protocol

from flask import abort

from tracker.auth.models import Role
from tracker.auth.sessions import current_user, login_required


class Action(enum.StrEnum):
    """Something a user may be allowed to do; templates may name it by its value."""

    VIEW = "view"  # read any screen behind the login
    MANAGE_USERS = "manage_users"  # accounts, roles, memberships, invitations
    MANAGE_RATES = "manage_rates"
    EDIT_ORGS = "edit_orgs"
    EDIT_CAMPAIGN = "edit_campaign"  # create a campaign, change its details and partners
    EDIT_TARGETS = "edit_targets"  # funding targets and budget lines
    EDIT_DRIVES = "edit_drives"
    LOG_PLEDGES = "log_pledges"  # pledges and their payments
    EDIT_APPLICATIONS = "edit_applications"
    EDIT_DONORS = "edit_donors"  # donors and their funding calls
    EDIT_PROPOSALS = "edit_proposals"
    VIEW_AUDIT = "view_audit"
    SEE_CONTACTS = "see_contacts"  # supporters' e-mails, messages, notes: on screen, exported
    MANAGE_SUPPORTER_DATA = "manage_supporter_data"  # a supporter's data: export, erase
    MANAGE_MAIL = "manage_mail"  # the outbox: failed and waiting messages, retrying them
    MANAGE_GRANTS = "manage_grants"  # open a grant, its budget revisions, schedule, transfers
    APPROVE_SPENDING = "approve_spending"  # approve or return partners' expenditures
    RECORD_SPENDING = "record_spending"  # record expenditures (a partner: its own only)
    SEE_SPENDING = "see_spending"  # expenditures, receipts, balances (a partner: its own)


class Scope(enum.Enum):
    """How far a role's permission reaches."""

    ALL = "all"
    LED_CAMPAIGNS = "led_campaigns"  # only campaigns the user leads through a Membership
    OWN_ORGANISATION = "own_organisation"  # only the organisation the user works for


ALL, LED, OWN = Scope.ALL, Scope.LED_CAMPAIGNS, Scope.OWN_ORGANISATION
ADMIN, COORDINATOR, FUNDRAISER, LEAD, VIEWER = (
    Role.ADMIN, Role.COORDINATOR, Role.FUNDRAISER, Role.LEAD, Role.VIEWER,
)

# Action → the roles allowed it and how far. A role missing from a row may not do it.
PERMISSIONS: dict[Action, dict[Role, Scope]] = {
    Action.VIEW: {ADMIN: ALL, COORDINATOR: ALL, FUNDRAISER: ALL, LEAD: ALL, VIEWER: ALL},
    Action.MANAGE_USERS: {ADMIN: ALL},
    Action.MANAGE_RATES: {ADMIN: ALL, COORDINATOR: ALL},
    Action.EDIT_ORGS: {ADMIN: ALL, COORDINATOR: ALL},
    Action.EDIT_CAMPAIGN: {ADMIN: ALL, COORDINATOR: ALL},
    Action.EDIT_TARGETS: {ADMIN: ALL, COORDINATOR: ALL, LEAD: LED},
    Action.EDIT_DRIVES: {ADMIN: ALL, COORDINATOR: ALL, LEAD: LED},
    Action.LOG_PLEDGES: {ADMIN: ALL, COORDINATOR: ALL, LEAD: LED},
    Action.EDIT_APPLICATIONS: {ADMIN: ALL, COORDINATOR: ALL, FUNDRAISER: ALL},
    Action.EDIT_DONORS: {ADMIN: ALL, COORDINATOR: ALL, FUNDRAISER: ALL},
    Action.EDIT_PROPOSALS: {ADMIN: ALL, COORDINATOR: ALL, FUNDRAISER: ALL},
    Action.VIEW_AUDIT: {ADMIN: ALL, COORDINATOR: ALL},
    Action.SEE_CONTACTS: {ADMIN: ALL, COORDINATOR: ALL, LEAD: LED},
    Action.MANAGE_SUPPORTER_DATA: {ADMIN: ALL, COORDINATOR: ALL},
    Action.MANAGE_MAIL: {ADMIN: ALL},
    Action.MANAGE_GRANTS: {ADMIN: ALL, COORDINATOR: ALL, FUNDRAISER: ALL},
    Action.APPROVE_SPENDING: {ADMIN: ALL, COORDINATOR: ALL},
    Action.RECORD_SPENDING: {ADMIN: ALL, COORDINATOR: ALL, LEAD: OWN},
    Action.SEE_SPENDING: {ADMIN: ALL, COORDINATOR: ALL, FUNDRAISER: ALL, VIEWER: ALL,
                          LEAD: OWN},
}


class Subject(Protocol):
    """What `can` needs of a user; both User and AnonymousUser have it."""

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def role(self) -> Role | None: ...

    @property
    def led_campaign_ids(self) -> AbstractSet[int]: ...

    @property
    def organization_id(self) -> int | None: ...


def can(user: Subject | None, action: Action | str, campaign: Any = None, *,
        organization: Any = None) -> bool:
    """True when the user may do the action (on this campaign, for per-campaign actions).

    `campaign` is a Campaign or its id. For a lead, a per-campaign action without a
    campaign is refused: "may this lead log pledges?" only has an answer per campaign.
    Likewise `organization` (an Organization or its id) for per-organisation actions: a
    partner's lead records and sees only its own organisation's spending.
    """
    action = Action(action)  # a misspelt action in a template fails loudly
    if user is None or not user.is_authenticated or not user.is_active or user.role is None:
        return False
    scope = PERMISSIONS[action].get(user.role)
    if scope is Scope.ALL:
        return True
    if scope is Scope.LED_CAMPAIGNS and campaign is not None:
        campaign_id = campaign if isinstance(campaign, int) else campaign.id
        return campaign_id in user.led_campaign_ids
    if scope is Scope.OWN_ORGANISATION and organization is not None:
        organization_id = (organization if isinstance(organization, int)
                           else organization.id)
        return user.organization_id is not None and organization_id == user.organization_id
    return False


def require(condition: bool) -> None:
    """Stop the request with 403 Forbidden unless the condition holds."""
    if not condition:
        abort(403)


def permission_required(action: Action) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view that needs an action not tied to a campaign (e.g. MANAGE_USERS).

    Anonymous visitors are sent to the login page; logged-in users without the
    permission get 403.
    """
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require(can(current_user, action))
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def may_see_contacts(user: Subject | None, campaign: Any = None) -> bool:
    """The one rule for supporters' contact data: may this user see this campaign's?

    Without a campaign: may they see every campaign's (the hub's staff), which is what
    screens spanning campaigns (the audit trail) ask.
    """
    return can(user, Action.SEE_CONTACTS, campaign)
