"""Who may open what: every route of the app × every kind of visitor, and CSRF on every POST.

The table below is the expected outcome, written out by hand from issue 3's roles,
not derived from tracker.auth.permissions: a mistake in the permission table must
show up here. A route added to the app without a row here fails
`test_every_route_has_an_expected_outcome`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask

from tests.auth_support import login, make_user
from tests.conftest import rolled_back
from tests.factories import count_rows, make_campaign, make_line, make_org, make_target
from tracker.applications import services as application_services
from tracker.applications.models import ApplicationStatus, ReportKind
from tracker.audit.models import AuditEvent
from tracker.auth import services as auth_services
from tracker.auth.models import Role, User
from tracker.drives import imports as drive_imports
from tracker.drives import services as drive_services
from tracker.drives.models import DriveStatus
from tracker.extensions import db
from tracker.grants import services as grant_services
from tracker.mail.models import OutboxMessage
from tracker.mail.suppression import unsubscribe_token
from tracker.money.value import Money
from tracker.orgs.models import OrgKind
from tracker.proposals import services as proposal_services
from tracker.proposals.models import LogframeLevel
from tracker.proposals.registry import find_template
from tracker.storage import file_storage
from tracker.tasks.models import Task, TaskStatus
from tracker.tasks.services import EXPORT_XLSX

ANONYMOUS, VIEWER, LEAD_A, LEAD_B = "anonymous", "viewer", "lead of A", "lead of B"
FUNDRAISER, COORDINATOR, ADMIN = "fundraiser", "coordinator", "admin"
ACTORS = (ANONYMOUS, VIEWER, LEAD_A, LEAD_B, FUNDRAISER, COORDINATOR, ADMIN)

SIGNED_IN = frozenset(ACTORS) - {ANONYMOUS}
DEVELOPMENT = (("ENV", "development"),)  # pages that exist in development only
EVERYONE = frozenset(ACTORS)
HUB_STAFF = frozenset({COORDINATOR, ADMIN})  # campaigns, organisations, rates, audit trail
# Grants (issue 13): LEAD_A works for the sub-grantee whose expenditure the world holds.
GRANT_STAFF = frozenset({FUNDRAISER, COORDINATOR, ADMIN})  # open, revise, tranches
SPENDING_OF_A = frozenset({LEAD_A, COORDINATOR, ADMIN})  # record and correct it
SEES_SPENDING_OF_A = frozenset({VIEWER, LEAD_A, FUNDRAISER, COORDINATOR, ADMIN})
APPROVERS = HUB_STAFF  # approve or return expenditures
SEES_REPORTS = SEES_SPENDING_OF_A - {LEAD_A}  # the holder's financial reports
BUDGET_OF_A = frozenset({LEAD_A, COORDINATOR, ADMIN})  # campaign A's targets and lines
DRIVES_OF_A = BUDGET_OF_A  # campaign A's drives, pledges and payments
FUNDRAISING = frozenset({FUNDRAISER, COORDINATOR, ADMIN})  # applications, donors and calls
ADMINS = frozenset({ADMIN})


@dataclass(frozen=True)
class World:
    """The records the routes are exercised on: campaign A (led by LEAD_A) and campaign B."""

    org: str
    campaign_a: str
    target_a: int
    line_a: int
    other_user: int
    invite_token: str
    drive: str
    pledge: int
    payment: int
    donor: str
    call: int
    application: int
    report: int
    calendar_token: str
    logframe_row: int
    activity: int
    upload: int
    budget_line: int
    message: int
    task: int
    grant: int
    expenditure: int
    transfer: int


@dataclass(frozen=True)
class Expect:
    """Where a route is and who may use it; anyone else is refused."""

    path: Callable[[World], str]
    allowed: frozenset[str]
    settings: tuple[tuple[str, object], ...] = ()  # app settings the route needs to exist


def at(path: str) -> Callable[[World], str]:
    return lambda world: path


def _first_event_id() -> int:
    """An event of the world's audit trail (the world's records each wrote some)."""
    return db.session.scalar(db.select(db.func.min(AuditEvent.id)))


ROUTES: dict[tuple[str, str], Expect] = {
    ("static", "GET"): Expect(at("/static/css/app.css"), EVERYONE),
    ("core.healthz", "GET"): Expect(at("/healthz"), EVERYONE),
    ("core.set_language", "POST"): Expect(at("/language"), EVERYONE),
    ("dashboard.index", "GET"): Expect(at("/"), SIGNED_IN),
    ("dashboard.set_reporting_currency", "POST"): Expect(at("/reporting-currency"), SIGNED_IN),
    # Accounts
    ("auth.login", "GET"): Expect(at("/login"), EVERYONE),
    ("auth.login", "POST"): Expect(at("/login"), EVERYONE),
    ("auth.logout", "POST"): Expect(at("/logout"), EVERYONE),
    ("auth.accept_invite", "GET"): Expect(lambda w: f"/invite/{w.invite_token}", EVERYONE),
    ("auth.accept_invite", "POST"): Expect(lambda w: f"/invite/{w.invite_token}", EVERYONE),
    ("auth.reset_password", "GET"): Expect(lambda w: f"/password/reset/{w.invite_token}",
                                           EVERYONE),
    ("auth.reset_password", "POST"): Expect(lambda w: f"/password/reset/{w.invite_token}",
                                            EVERYONE),
    ("auth.forgot_password", "GET"): Expect(at("/password/forgot"), EVERYONE),
    ("auth.forgot_password", "POST"): Expect(at("/password/forgot"), EVERYONE),
    ("auth.account", "GET"): Expect(at("/account"), SIGNED_IN),
    ("auth.change_password", "POST"): Expect(at("/account/password"), SIGNED_IN),
    ("auth.change_language", "POST"): Expect(at("/account/language"), SIGNED_IN),
    ("auth.end_other_sessions", "POST"): Expect(at("/account/sessions/end-others"), SIGNED_IN),
    ("reminders.preferences", "GET"): Expect(at("/account/reminders"), SIGNED_IN),
    ("reminders.save_preferences", "POST"): Expect(at("/account/reminders"), SIGNED_IN),
    ("reminders.follow", "POST"): Expect(
        lambda w: f"/applications/{w.application}/follow", FUNDRAISING),
    ("reminders.unfollow", "POST"): Expect(
        lambda w: f"/applications/{w.application}/unfollow", FUNDRAISING),
    ("auth.users", "GET"): Expect(at("/admin/users"), ADMINS),
    ("auth.invite", "GET"): Expect(at("/admin/users/invite"), ADMINS),
    ("auth.invite", "POST"): Expect(at("/admin/users/invite"), ADMINS),
    ("auth.edit_user", "GET"): Expect(lambda w: f"/admin/users/{w.other_user}", ADMINS),
    ("auth.edit_user", "POST"): Expect(lambda w: f"/admin/users/{w.other_user}", ADMINS),
    ("auth.disable_user", "POST"): Expect(lambda w: f"/admin/users/{w.other_user}/disable",
                                          ADMINS),
    ("auth.enable_user", "POST"): Expect(lambda w: f"/admin/users/{w.other_user}/enable",
                                         ADMINS),
    ("auth.new_link", "POST"): Expect(lambda w: f"/admin/users/{w.other_user}/link", ADMINS),
    # Outgoing mail: the outbox, and in development the messages themselves
    ("mail.outbox", "GET"): Expect(at("/admin/mail"), ADMINS),
    ("mail.retry", "POST"): Expect(lambda w: f"/admin/mail/{w.message}/retry", ADMINS),
    ("mail.retry_failed", "POST"): Expect(at("/admin/mail/retry-failed"), ADMINS),
    ("mail.dev_outbox", "GET"): Expect(at("/dev/mail"), ADMINS, DEVELOPMENT),
    ("mail.dev_message", "GET"): Expect(lambda w: f"/dev/mail/{w.message}", ADMINS,
                                        DEVELOPMENT),
    ("mail.dev_message_html", "GET"): Expect(lambda w: f"/dev/mail/{w.message}/body.html",
                                             ADMINS, DEVELOPMENT),
    # Organisations
    ("orgs.index", "GET"): Expect(at("/orgs/"), SIGNED_IN),
    ("orgs.show", "GET"): Expect(lambda w: f"/orgs/{w.org}", SIGNED_IN),
    ("orgs.new", "GET"): Expect(at("/orgs/new"), HUB_STAFF),
    ("orgs.new", "POST"): Expect(at("/orgs/new"), HUB_STAFF),
    ("orgs.edit", "GET"): Expect(lambda w: f"/orgs/{w.org}/edit", HUB_STAFF),
    ("orgs.edit", "POST"): Expect(lambda w: f"/orgs/{w.org}/edit", HUB_STAFF),
    # Campaigns
    ("campaigns.index", "GET"): Expect(at("/campaigns/"), SIGNED_IN),
    ("campaigns.show", "GET"): Expect(lambda w: f"/campaigns/{w.campaign_a}", SIGNED_IN),
    ("campaigns.new", "GET"): Expect(at("/campaigns/new"), HUB_STAFF),
    ("campaigns.new", "POST"): Expect(at("/campaigns/new"), HUB_STAFF),
    ("campaigns.edit", "GET"): Expect(lambda w: f"/campaigns/{w.campaign_a}/edit", HUB_STAFF),
    ("campaigns.edit", "POST"): Expect(lambda w: f"/campaigns/{w.campaign_a}/edit", HUB_STAFF),
    # Funding targets and budget lines of campaign A
    ("targets.show", "GET"): Expect(lambda w: f"/targets/{w.target_a}", SIGNED_IN),
    ("targets.new_target", "GET"): Expect(lambda w: f"/campaigns/{w.campaign_a}/targets/new",
                                          BUDGET_OF_A),
    ("targets.new_target", "POST"): Expect(lambda w: f"/campaigns/{w.campaign_a}/targets/new",
                                           BUDGET_OF_A),
    ("targets.edit", "GET"): Expect(lambda w: f"/targets/{w.target_a}/edit", BUDGET_OF_A),
    ("targets.edit", "POST"): Expect(lambda w: f"/targets/{w.target_a}/edit", BUDGET_OF_A),
    ("targets.confirm_delete", "GET"): Expect(lambda w: f"/targets/{w.target_a}/delete",
                                              BUDGET_OF_A),
    ("targets.delete", "POST"): Expect(lambda w: f"/targets/{w.target_a}/delete", BUDGET_OF_A),
    ("targets.add_line", "POST"): Expect(lambda w: f"/targets/{w.target_a}/lines", BUDGET_OF_A),
    ("targets.edit_line", "GET"): Expect(
        lambda w: f"/targets/{w.target_a}/lines/{w.line_a}/edit", BUDGET_OF_A),
    ("targets.edit_line", "POST"): Expect(
        lambda w: f"/targets/{w.target_a}/lines/{w.line_a}/edit", BUDGET_OF_A),
    ("targets.confirm_remove_line", "GET"): Expect(
        lambda w: f"/targets/{w.target_a}/lines/{w.line_a}/remove", BUDGET_OF_A),
    ("targets.remove_line", "POST"): Expect(
        lambda w: f"/targets/{w.target_a}/lines/{w.line_a}/remove", BUDGET_OF_A),
    # Currencies and exchange rates
    ("money.index", "GET"): Expect(at("/currencies"), SIGNED_IN),
    ("money.rates", "GET"): Expect(at("/rates"), SIGNED_IN),
    ("money.sample_csv", "GET"): Expect(at("/rates/import/sample.csv"), SIGNED_IN),
    ("money.new_rate", "GET"): Expect(at("/rates/new"), HUB_STAFF),
    ("money.new_rate", "POST"): Expect(at("/rates/new"), HUB_STAFF),
    ("money.import_rates", "GET"): Expect(at("/rates/import"), HUB_STAFF),
    ("money.import_rates", "POST"): Expect(at("/rates/import"), HUB_STAFF),
    # Grants (issue 13); each area of the grant screens keeps its rows together
    ("grants.index", "GET"): Expect(at("/grants/"), SIGNED_IN),
    # grants: opening, overview, budget
    # (The world's idea application: opening is refused on a page, not with 403.)
    ("grants.open_grant", "GET"): Expect(lambda w: f"/grants/open/{w.application}",
                                         GRANT_STAFF),
    ("grants.open_grant", "POST"): Expect(lambda w: f"/grants/open/{w.application}",
                                          GRANT_STAFF),
    ("grants.show", "GET"): Expect(lambda w: f"/grants/{w.grant}", SIGNED_IN),
    ("grants.edit", "GET"): Expect(lambda w: f"/grants/{w.grant}/edit", GRANT_STAFF),
    ("grants.edit", "POST"): Expect(lambda w: f"/grants/{w.grant}/edit", GRANT_STAFF),
    ("grants.budget", "GET"): Expect(lambda w: f"/grants/{w.grant}/budget", SIGNED_IN),
    ("grants.revise", "GET"): Expect(lambda w: f"/grants/{w.grant}/budget/revise",
                                     GRANT_STAFF),
    ("grants.revise", "POST"): Expect(lambda w: f"/grants/{w.grant}/budget/revise",
                                      GRANT_STAFF),
    # grants: spending
    # A lead whose organisation has no part in the grant (LEAD_B) opens the list and is
    # told so (an empty list), but is refused the budget against actual.
    ("grants.expenditures", "GET"): Expect(lambda w: f"/grants/{w.grant}/spending",
                                           SEES_SPENDING_OF_A | {LEAD_B}),
    ("grants.new_expenditure", "GET"): Expect(lambda w: f"/grants/{w.grant}/spending/new",
                                              SPENDING_OF_A),
    ("grants.new_expenditure", "POST"): Expect(lambda w: f"/grants/{w.grant}/spending/new",
                                               SPENDING_OF_A),
    ("grants.expenditure", "GET"): Expect(
        lambda w: f"/grants/{w.grant}/spending/{w.expenditure}", SEES_SPENDING_OF_A),
    ("grants.edit_expenditure", "GET"): Expect(
        lambda w: f"/grants/{w.grant}/spending/{w.expenditure}/edit", SPENDING_OF_A),
    ("grants.edit_expenditure", "POST"): Expect(
        lambda w: f"/grants/{w.grant}/spending/{w.expenditure}/edit", SPENDING_OF_A),
    ("grants.approve_expenditure", "POST"): Expect(
        lambda w: f"/grants/{w.grant}/spending/{w.expenditure}/approve", APPROVERS),
    ("grants.return_expenditure", "POST"): Expect(
        lambda w: f"/grants/{w.grant}/spending/{w.expenditure}/return", APPROVERS),
    ("grants.withdraw_expenditure", "POST"): Expect(
        lambda w: f"/grants/{w.grant}/spending/{w.expenditure}/withdraw", SPENDING_OF_A),
    ("grants.receipt", "GET"): Expect(
        lambda w: f"/grants/{w.grant}/spending/{w.expenditure}/receipt", SEES_SPENDING_OF_A),
    ("grants.actual", "GET"): Expect(lambda w: f"/grants/{w.grant}/actual",
                                     SEES_SPENDING_OF_A),
    # grants: import
    ("grants.import_expenditures", "GET"): Expect(
        lambda w: f"/grants/{w.grant}/spending/import", SPENDING_OF_A),
    ("grants.import_expenditures", "POST"): Expect(
        lambda w: f"/grants/{w.grant}/spending/import", SPENDING_OF_A),
    ("grants.import_template", "GET"): Expect(
        lambda w: f"/grants/{w.grant}/spending/import/template.csv", SPENDING_OF_A),
    # grants: transfers
    ("grants.transfers", "GET"): Expect(lambda w: f"/grants/{w.grant}/transfers",
                                        SEES_SPENDING_OF_A),
    ("grants.new_transfer", "GET"): Expect(lambda w: f"/grants/{w.grant}/transfers/new",
                                           GRANT_STAFF),
    ("grants.new_transfer", "POST"): Expect(lambda w: f"/grants/{w.grant}/transfers/new",
                                            GRANT_STAFF),
    ("grants.edit_transfer", "GET"): Expect(
        lambda w: f"/grants/{w.grant}/transfers/{w.transfer}/edit", GRANT_STAFF),
    ("grants.edit_transfer", "POST"): Expect(
        lambda w: f"/grants/{w.grant}/transfers/{w.transfer}/edit", GRANT_STAFF),
    ("grants.remove_transfer", "POST"): Expect(
        lambda w: f"/grants/{w.grant}/transfers/{w.transfer}/remove", GRANT_STAFF),
    # grants: reports
    # The report is the holder's document: a partner's lead (LEAD_A) does not read it.
    ("grants.reports", "GET"): Expect(lambda w: f"/grants/{w.grant}/reports", SEES_REPORTS),
    ("grants.report_pdf", "GET"): Expect(lambda w: f"/grants/{w.grant}/reports/1.pdf?lang=ru",
                                         SEES_REPORTS),
    ("grants.report_xlsx", "GET"): Expect(
        lambda w: f"/grants/{w.grant}/reports/1.xlsx?lang=en", SEES_REPORTS),
    ("grants.keep_report", "POST"): Expect(lambda w: f"/grants/{w.grant}/reports/1/final",
                                           GRANT_STAFF),
    ("grants.report_final", "GET"): Expect(
        lambda w: f"/grants/{w.grant}/reports/1/finals/1.pdf", SEES_REPORTS),
    # The audit trail
    ("audit.index", "GET"): Expect(at("/audit/"), HUB_STAFF),
    ("audit.export", "GET"): Expect(at("/audit/export.csv"), HUB_STAFF),
    # An event's details: without the pass a record's page gives, the trail's readers only.
    ("audit.event", "GET"): Expect(lambda w: f"/audit/events/{_first_event_id()}", HUB_STAFF),
    # A supporter's data: looking it up, giving it out, erasing it (the hub's job)
    ("supporters.index", "GET"): Expect(at("/supporters/?email=anna%40example.org"), HUB_STAFF),
    ("supporters.export", "GET"): Expect(at("/supporters/export.json?email=anna%40example.org"),
                                         HUB_STAFF),
    ("supporters.erase", "POST"): Expect(at("/supporters/erase"), HUB_STAFF),
    # Crowdfunding drives of campaign A, their pledges and payments
    ("drives.index", "GET"): Expect(at("/drives/"), SIGNED_IN),
    ("drives.show", "GET"): Expect(lambda w: f"/drives/{w.drive}", SIGNED_IN),
    ("drives.new", "GET"): Expect(lambda w: f"/campaigns/{w.campaign_a}/drives/new", DRIVES_OF_A),
    ("drives.new", "POST"): Expect(lambda w: f"/campaigns/{w.campaign_a}/drives/new",
                                   DRIVES_OF_A),
    ("drives.edit", "GET"): Expect(lambda w: f"/drives/{w.drive}/edit", DRIVES_OF_A),
    ("drives.edit", "POST"): Expect(lambda w: f"/drives/{w.drive}/edit", DRIVES_OF_A),
    ("drives.move", "POST"): Expect(lambda w: f"/drives/{w.drive}/status", DRIVES_OF_A),
    ("drives.reconvert", "POST"): Expect(lambda w: f"/drives/{w.drive}/reconvert", DRIVES_OF_A),
    ("drives.new_pledge", "GET"): Expect(lambda w: f"/drives/{w.drive}/pledges/new", DRIVES_OF_A),
    ("drives.new_pledge", "POST"): Expect(lambda w: f"/drives/{w.drive}/pledges/new",
                                          DRIVES_OF_A),
    ("drives.pledge", "GET"): Expect(lambda w: f"/drives/{w.drive}/pledges/{w.pledge}", SIGNED_IN),
    ("drives.edit_pledge", "GET"): Expect(lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/edit",
                                          DRIVES_OF_A),
    ("drives.edit_pledge", "POST"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/edit", DRIVES_OF_A),
    ("drives.confirm_pledge", "POST"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/confirm", DRIVES_OF_A),
    ("drives.reject_pledge", "POST"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/reject", DRIVES_OF_A),
    ("drives.cancel_pledge", "POST"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/cancel", DRIVES_OF_A),
    ("drives.write_off_pledge", "POST"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/write-off", DRIVES_OF_A),
    ("drives.record_payment", "POST"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/payments", DRIVES_OF_A),
    ("drives.remove_payment", "GET"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/payments/{w.payment}/remove",
        DRIVES_OF_A),
    ("drives.remove_payment", "POST"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/payments/{w.payment}/remove",
        DRIVES_OF_A),
    ("drives.delete_pledge", "GET"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/delete", DRIVES_OF_A),
    ("drives.delete_pledge", "POST"): Expect(
        lambda w: f"/drives/{w.drive}/pledges/{w.pledge}/delete", DRIVES_OF_A),
    ("drives.bulk_reject", "POST"): Expect(lambda w: f"/drives/{w.drive}/awaiting/reject",
                                           DRIVES_OF_A),
    # Pledge files: importing them and exporting pledges (pledgers' e-mails are personal data)
    ("drives.import_pledges", "GET"): Expect(lambda w: f"/drives/{w.drive}/import", DRIVES_OF_A),
    ("drives.import_pledges", "POST"): Expect(lambda w: f"/drives/{w.drive}/import",
                                              DRIVES_OF_A),
    ("drives.import_preview", "GET"): Expect(
        lambda w: f"/drives/{w.drive}/import/{w.upload}", DRIVES_OF_A),
    ("drives.confirm_import", "POST"): Expect(
        lambda w: f"/drives/{w.drive}/import/{w.upload}/confirm", DRIVES_OF_A),
    ("drives.export_csv", "GET"): Expect(lambda w: f"/drives/{w.drive}/pledges.csv", DRIVES_OF_A),
    ("drives.export_xlsx", "GET"): Expect(lambda w: f"/drives/{w.drive}/pledges.xlsx",
                                          DRIVES_OF_A),
    # The public drive pages
    ("drives.public_page", "GET"): Expect(lambda w: f"/d/{w.drive}", EVERYONE),
    ("drives.public_pledge", "POST"): Expect(lambda w: f"/d/{w.drive}", EVERYONE),
    ("drives.thanks", "GET"): Expect(lambda w: f"/d/{w.drive}/thanks", EVERYONE),
    ("drives.widget", "GET"): Expect(lambda w: f"/d/{w.drive}/widget", EVERYONE),
    # public
    ("drives.preview_image", "GET"): Expect(lambda w: f"/d/{w.drive}/preview.png", EVERYONE),
    # The unsubscribe link of supporters' messages: anyone holding it, no login.
    ("drives.unsubscribe_page", "GET"): Expect(
        lambda w: f"/unsubscribe/{unsubscribe_token('supporter@example.org')}", EVERYONE),
    ("drives.unsubscribe", "POST"): Expect(
        lambda w: f"/unsubscribe/{unsubscribe_token('supporter@example.org')}", EVERYONE),
    # Donors, calls and applications
    ("applications.index", "GET"): Expect(at("/applications/"), SIGNED_IN),
    ("applications.show", "GET"): Expect(lambda w: f"/applications/{w.application}", SIGNED_IN),
    ("applications.new", "GET"): Expect(at("/applications/new"), FUNDRAISING),
    ("applications.new", "POST"): Expect(at("/applications/new"), FUNDRAISING),
    ("applications.edit", "GET"): Expect(lambda w: f"/applications/{w.application}/edit",
                                         FUNDRAISING),
    ("applications.edit", "POST"): Expect(lambda w: f"/applications/{w.application}/edit",
                                          FUNDRAISING),
    ("applications.move", "POST"): Expect(
        lambda w: f"/applications/{w.application}/move/drafting", FUNDRAISING),
    ("applications.add_report", "POST"): Expect(
        lambda w: f"/applications/{w.application}/reports", FUNDRAISING),
    ("applications.report_done", "POST"): Expect(
        lambda w: f"/applications/{w.application}/reports/{w.report}/done", FUNDRAISING),
    ("applications.budget", "GET"): Expect(lambda w: f"/applications/{w.application}/budget",
                                           SIGNED_IN),
    ("applications.new_budget_line", "GET"): Expect(
        lambda w: f"/applications/{w.application}/budget/lines/new", FUNDRAISING),
    ("applications.new_budget_line", "POST"): Expect(
        lambda w: f"/applications/{w.application}/budget/lines/new", FUNDRAISING),
    ("applications.edit_budget_line", "GET"): Expect(
        lambda w: f"/applications/{w.application}/budget/lines/{w.budget_line}/edit",
        FUNDRAISING),
    ("applications.edit_budget_line", "POST"): Expect(
        lambda w: f"/applications/{w.application}/budget/lines/{w.budget_line}/edit",
        FUNDRAISING),
    ("applications.remove_budget_line", "POST"): Expect(
        lambda w: f"/applications/{w.application}/budget/lines/{w.budget_line}/remove",
        FUNDRAISING),
    ("applications.take_budget_lines", "GET"): Expect(
        lambda w: f"/applications/{w.application}/budget/take", FUNDRAISING),
    ("applications.take_budget_lines", "POST"): Expect(
        lambda w: f"/applications/{w.application}/budget/take", FUNDRAISING),
    ("applications.donors", "GET"): Expect(at("/donors/"), SIGNED_IN),
    ("applications.show_call", "GET"): Expect(lambda w: f"/calls/{w.call}", SIGNED_IN),
    ("applications.new_call", "GET"): Expect(lambda w: f"/donors/{w.donor}/calls/new",
                                             FUNDRAISING),
    ("applications.new_call", "POST"): Expect(lambda w: f"/donors/{w.donor}/calls/new",
                                              FUNDRAISING),
    ("applications.edit_call", "GET"): Expect(lambda w: f"/calls/{w.call}/edit", FUNDRAISING),
    ("applications.edit_call", "POST"): Expect(lambda w: f"/calls/{w.call}/edit", FUNDRAISING),
    ("applications.deadlines", "GET"): Expect(at("/deadlines"), SIGNED_IN),
    ("applications.calendar_link", "POST"): Expect(at("/deadlines/calendar-link"), SIGNED_IN),
    ("applications.revoke_calendar_link", "POST"): Expect(
        at("/deadlines/calendar-link/revoke"), SIGNED_IN),
    # Calendar programs cannot log in: the secret in the address is the credential.
    ("applications.calendar_feed", "GET"): Expect(
        lambda w: f"/deadlines/{w.calendar_token}.ics", EVERYONE),
    # Proposals: the narrative, logframe and work plan; drafts; kept final versions
    ("proposals.edit", "GET"): Expect(lambda w: f"/applications/{w.application}/proposal",
                                      FUNDRAISING),
    ("proposals.edit", "POST"): Expect(lambda w: f"/applications/{w.application}/proposal",
                                       FUNDRAISING),
    ("proposals.preview", "POST"): Expect(
        lambda w: f"/applications/{w.application}/proposal/preview", FUNDRAISING),
    ("proposals.add_logframe_row", "POST"): Expect(
        lambda w: f"/applications/{w.application}/proposal/logframe", FUNDRAISING),
    ("proposals.edit_logframe_row", "GET"): Expect(
        lambda w: f"/applications/{w.application}/proposal/logframe/{w.logframe_row}",
        FUNDRAISING),
    ("proposals.edit_logframe_row", "POST"): Expect(
        lambda w: f"/applications/{w.application}/proposal/logframe/{w.logframe_row}",
        FUNDRAISING),
    ("proposals.remove_logframe_row", "POST"): Expect(
        lambda w: f"/applications/{w.application}/proposal/logframe/{w.logframe_row}/remove",
        FUNDRAISING),
    ("proposals.add_activity", "POST"): Expect(
        lambda w: f"/applications/{w.application}/proposal/activities", FUNDRAISING),
    ("proposals.edit_activity", "GET"): Expect(
        lambda w: f"/applications/{w.application}/proposal/activities/{w.activity}",
        FUNDRAISING),
    ("proposals.edit_activity", "POST"): Expect(
        lambda w: f"/applications/{w.application}/proposal/activities/{w.activity}",
        FUNDRAISING),
    ("proposals.remove_activity", "POST"): Expect(
        lambda w: f"/applications/{w.application}/proposal/activities/{w.activity}/remove",
        FUNDRAISING),
    ("proposals.draft", "GET"): Expect(
        lambda w: f"/applications/{w.application}/proposal/draft.pdf?lang=ru", FUNDRAISING),
    ("proposals.finals", "GET"): Expect(
        lambda w: f"/applications/{w.application}/proposal/finals", SIGNED_IN),
    ("proposals.finals", "POST"): Expect(
        lambda w: f"/applications/{w.application}/proposal/finals", FUNDRAISING),
    # Whoever may read applications may download their kept finals.
    ("proposals.download_final", "GET"): Expect(
        lambda w: f"/applications/{w.application}/proposal/finals/1.pdf", SIGNED_IN),
    # Slow work run as a job: its page and file are for whoever started it, and admins.
    ("tasks.show", "GET"): Expect(lambda w: f"/tasks/{w.task}", frozenset({LEAD_A, ADMIN})),
    ("tasks.download", "GET"): Expect(lambda w: f"/tasks/{w.task}/download",
                                      frozenset({LEAD_A, ADMIN})),
    # forms
    ("core.suggest_slug", "GET"): Expect(at("/slug?kind=drive&title=Clean+air"), SIGNED_IN),
}


def app_routes(app: Flask) -> set[tuple[str, str]]:
    """(endpoint, method) for every rule the app serves, without HEAD and OPTIONS."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


def build_world() -> tuple[World, dict[str, int]]:
    """Two campaigns with their leads, a target and line in A, and one account of each role."""
    org = make_org(slug="eco-accord")
    campaign_a = make_campaign(lead=org, slug="campaign-a")
    campaign_b = make_campaign(lead=org, slug="campaign-b")
    target_a = make_target(campaign_a)
    line_a = make_line(target_a)
    partner = make_org(slug="eco-moldova", country="MD")
    users = {
        VIEWER: make_user(Role.VIEWER),
        LEAD_A: make_user(Role.LEAD, campaigns=[campaign_a], org=partner),
        LEAD_B: make_user(Role.LEAD, campaigns=[campaign_b]),
        FUNDRAISER: make_user(Role.FUNDRAISER),
        COORDINATOR: make_user(Role.COORDINATOR),
        ADMIN: make_user(Role.ADMIN),
    }
    invited = auth_services.invite_user(
        auth_services.UserInput(email="invited@example.org", role=Role.VIEWER),
        by=None, valid_for=timedelta(days=7),
    )
    other = make_user(Role.VIEWER, email="other@example.org")
    drive = drive_services.create_drive(campaign_a, drive_services.DriveInput(
        slug="xrf-drive", title_en="XRF team to Chelyabinsk", title_ru="", purpose_en="",
        purpose_ru="", organiser_org_id=org.id, goal=Decimal("350000"), currency="RUB",
        starts_on=date(2026, 1, 10), ends_on=None, is_public=True))
    drive_services.move_drive(drive, DriveStatus.LIVE)
    pledge = drive_services.log_pledge(drive, drive_services.PledgeInput(
        amount=Decimal("1000"), currency="RUB", pledged_on=date(2026, 3, 10),
        pledger_name="Anna Petrova"), by=None)
    payment = drive_services.record_payment(pledge, drive_services.PaymentInput(
        amount=Decimal("100"), currency="RUB", paid_on=date(2026, 3, 15)), by=None)
    donor = make_org(slug="undp", kind=OrgKind.INTERGOVERNMENTAL)
    call = application_services.create_call(donor, application_services.CallInput(
        title_en="Small grants", title_ru="", deadline=date(2027, 3, 1), currency="USD"))
    application = application_services.create_application(application_services.ApplicationInput(
        campaign_id=campaign_a.id, donor_org_id=donor.id, applicant_org_id=org.id,
        title_en="XRF testing of paint", title_ru="", requested=Decimal("50000"),
        currency="USD", project_starts_on=date(2027, 1, 1), project_ends_on=date(2027, 12, 31)))
    budget_line = application_services.add_budget_line(
        application, application_services.BudgetLineInput(
            year=1, donor_category="71600", quantity=Decimal("2"), unit_cost=Decimal("720"),
            currency="USD", description_en="Flights"))
    report = application_services.add_report(application, application_services.ReportInput(
        ReportKind.INTERIM, date(2027, 6, 1)))
    calendar_token = application_services.issue_calendar_token(users[VIEWER])
    upload = drive_imports.store_upload(
        drive, b"date,name,email,amount,currency,reference\n2026-03-11,,,5,RUB,imported-1\n",
        "pledges.csv", {}, by=users[LEAD_A])
    logframe_row = proposal_services.add_logframe_row(application, proposal_services.LogframeInput(
        LogframeLevel.OUTPUT, {"result_en": "Paint tested"}))
    activity = proposal_services.add_activity(application, proposal_services.ActivityInput(
        1, 2, "Buy paint"))
    proposal_services.keep_final(application, b"%PDF-1.7 final", language="en",
                                 template=find_template("generic"), source_sha256="0" * 64,
                                 by=None)
    message = OutboxMessage(kind="test_message", recipient="ana@example.org", language="en",
                            subject="A test message", text_body="A test message.",
                            html_body="<p>A test message.</p>")
    db.session.add(message)
    task = Task(kind=EXPORT_XLSX, owner_id=users[LEAD_A].id, status=TaskStatus.DONE,
                result_key="tasks/world/result", result_name="pledges.xlsx",
                result_type="application/octet-stream", message="")
    db.session.add(task)
    db.session.flush()
    file_storage().put("tasks/world/result", b"the export")
    grant, expenditure, transfer = _grant_world(campaign_a, donor, org, partner)
    db.session.commit()
    assert application.status is ApplicationStatus.IDEA
    world = World(org=org.slug, campaign_a=campaign_a.slug, target_a=target_a.id,
                  line_a=line_a.id, other_user=other.id, invite_token=invited.token,
                  drive=drive.slug, pledge=pledge.id, payment=payment.id, donor=donor.slug,
                  call=call.id, application=application.id, report=report.id,
                  calendar_token=calendar_token, logframe_row=logframe_row.id,
                  activity=activity.id, upload=upload.id, budget_line=budget_line.id,
                  message=message.id, task=task.id, grant=grant.id,
                  expenditure=expenditure.id, transfer=transfer.id)
    return world, {actor: user.id for actor, user in users.items()}


def _grant_world(campaign, donor, holder, partner):  # type: ignore[no-untyped-def]
    """An awarded application's grant held by the hub, one partner's expenditure, a tranche."""
    awarded = application_services.create_application(application_services.ApplicationInput(
        campaign_id=campaign.id, donor_org_id=donor.id, applicant_org_id=holder.id,
        title_en="Mercury-free", title_ru="", requested=Decimal("1000"), currency="USD",
        project_starts_on=date(2027, 1, 1), project_ends_on=date(2027, 12, 31)))
    application_services.add_budget_line(awarded, application_services.BudgetLineInput(
        year=1, donor_category="71600", quantity=Decimal("1"), unit_cost=Decimal("1000"),
        currency="USD", description_en="Travel", partner_org_id=partner.id))
    for step in (ApplicationStatus.DRAFTING, ApplicationStatus.SUBMITTED,
                 ApplicationStatus.UNDER_REVIEW):
        application_services.move(awarded, step, by=None)
    application_services.move(awarded, ApplicationStatus.AWARDED, by=None,
                              awarded=Money(Decimal("1000"), "USD"))
    grant = grant_services.open_grant(awarded, grant_services.GrantInput(
        reference="UNDP-2027-1", holder_org_id=holder.id, partner_org_ids=(partner.id,),
        starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31),
        periods=(grant_services.PeriodInput(date(2027, 1, 1), date(2027, 12, 31),
                                            date(2028, 1, 31)),)), by=None)
    expenditure = grant_services.record_expenditure(grant, grant_services.ExpenditureInput(
        line_code=grant.lines[0].code, partner_org_id=partner.id, spent_on=date(2027, 2, 1),
        amount=Money(Decimal("100"), "USD"), document_number="INV-1"), by=None,
        receipt=grant_services.ReceiptFile("receipt.pdf", b"%PDF-1.7 receipt"))
    grant_services.keep_final(grant, grant.periods[0], b"%PDF-1.7 final report",
                              language="en", report_format=grant_services.FORMATS["generic"],
                              source_sha256="0" * 64, by=None)
    transfer = grant_services.record_transfer(grant, grant_services.TransferInput(
        partner_org_id=partner.id, planned_on=date(2027, 1, 15),
        amount=Money(Decimal("500"), "USD")))
    return grant, expenditure, transfer


@pytest.fixture(scope="module")
def world(shared_app: Flask, tmp_path_factory) -> Iterator[tuple[World, dict[str, int], str]]:
    """The world, built once for the module; each test's changes to it are rolled back."""
    storage = str(tmp_path_factory.mktemp("access-proposals"))
    settings = dict(shared_app.config)
    shared_app.config["PROPOSAL_STORAGE_DIR"] = storage  # where the world's final is kept
    try:
        with shared_app.app_context(), rolled_back(db.engine):
            built, users = build_world()
            db.session.remove()
            yield built, users, storage
    finally:
        shared_app.config.clear()
        shared_app.config.update(settings)


@pytest.fixture(autouse=True)
def _world_storage(request: pytest.FixtureRequest, app: Flask) -> None:
    """Tests on the module's world read its kept final from where the world stored it."""
    if "world" in request.fixturenames:
        app.config["PROPOSAL_STORAGE_DIR"] = request.getfixturevalue("world")[2]


def request_as(client, actor: str, users: dict[str, int], method: str, path: str, **kwargs):
    if actor != ANONYMOUS:
        login(client, db.session.get(User, users[actor]))
    # Buffered, so that a streamed response (a static file) is read and closed here.
    if method == "GET":
        return client.get(path, buffered=True, **kwargs)
    return client.post(path, data={}, buffered=True, **kwargs)


def test_every_route_has_an_expected_outcome(app):
    served = app_routes(app)
    assert sorted(served - ROUTES.keys()) == [], "routes without an entry in ROUTES"
    assert sorted(ROUTES.keys() - served) == [], "entries in ROUTES for routes that are gone"


def outcome_problem(route: tuple[str, str], actor: str, response) -> str | None:
    """Why the response is not what ROUTES expects for this actor, or None."""
    endpoint, method = route
    location = response.headers.get("Location", "")
    sent_to_login = response.status_code == 302 and location.split("?")[0] == "/login"
    if actor in ROUTES[route].allowed:
        if response.status_code in {200, 302, 303, 422} and (
                not sent_to_login or endpoint == "auth.logout"):
            return None
        return f"{actor} should reach {method} {endpoint}, got {response.status_code} {location}"
    if actor == ANONYMOUS:
        # A page comes back after login (?next=); a refused POST cannot be replayed, so not.
        if sent_to_login:
            return None
        return f"anonymous {method} {endpoint} should go to log in, got {response.status_code}"
    if response.status_code == 403:
        return None
    return f"{actor} must not reach {method} {endpoint}, got {response.status_code}"


GET_ROUTES = sorted(route for route in ROUTES if route[1] == "GET")
POST_ROUTES = sorted(route for route in ROUTES if route[1] == "POST")
# RFC 8058's one-click unsubscribe is a POST from a mail program, which holds no CSRF
# token: the signed token in its link is the proof (tests/test_pledge_mail.py).
CSRF_EXEMPT = frozenset({("drives.unsubscribe", "POST")})


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda route: route[0])
def test_pages_open_only_to_those_allowed(app, world, route):
    world, users, _ = world
    app.config.update(ROUTES[route].settings)
    problems = []
    for actor in ACTORS:  # reading changes nothing, so one world serves every visitor
        client = app.test_client()
        response = request_as(client, actor, users, "GET", ROUTES[route].path(world))
        problems.append(outcome_problem(route, actor, response))
    assert [problem for problem in problems if problem] == []


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda route: route[0])
def test_actions_open_only_to_those_allowed_and_refusals_change_nothing(client, world, route,
                                                                         actor):
    world, users, _ = world
    client.application.config.update(ROUTES[route].settings)
    changes_before = count_rows(AuditEvent)

    response = request_as(client, actor, users, "POST", ROUTES[route].path(world))

    assert outcome_problem(route, actor, response) is None, outcome_problem(
        route, actor, response)
    if actor not in ROUTES[route].allowed:
        assert count_rows(AuditEvent) == changes_before


@pytest.mark.parametrize("route", [r for r in POST_ROUTES if r not in CSRF_EXEMPT],
                         ids=lambda route: route[0])
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(client, world, route):
    expected = ROUTES[route]
    world, users, _ = world
    client.application.config.update(expected.settings)
    actor = ADMIN if ADMIN in expected.allowed else next(iter(expected.allowed))
    if actor != ANONYMOUS:
        login(client, db.session.get(User, users[actor]))
    changes_before = count_rows(AuditEvent)

    response = client.post(expected.path(world), data={}, csrf=False)

    assert response.status_code == 400
    assert count_rows(AuditEvent) == changes_before
    if actor != ANONYMOUS:  # not even the session was touched: a forged logout does nothing
        assert client.get("/account").status_code == 200
