"""Screens of donors, funding calls and applications: pipeline, deadlines and the feed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_percent
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from tracker.applications import services
from tracker.applications.forms import ApplicationForm, CallForm, MoveForm, ReportForm
from tracker.applications.models import MACHINE, Application, ApplicationStatus, FundingCall
from tracker.applications.rows import deadline_rows, donor_rows, pipeline_rows
from tracker.audit.services import history_for
from tracker.auth.permissions import Action, can, permission_required
from tracker.auth.sessions import login_required, public, signed_in_user
from tracker.campaigns.services import campaign_choices, find_campaign
from tracker.db import utcnow
from tracker.forms import apply_domain_error
from tracker.grants.services import grant_of_application
from tracker.i18n import LANGUAGES, current_language
from tracker.options import versioned_option_list
from tracker.orgs.services import find_organization
from tracker.status import TransitionNotAllowed
from tracker.urls import external_url
from tracker.versions import CHOICES, version_now
from tracker.views import commit, requested_page

bp = Blueprint("applications", __name__)


@bp.app_template_filter("percent")
def format_whole_percent(value: int | None) -> str:
    """A whole percentage in the reader's language ('40%', '40 %')."""
    if value is None:
        return ""
    return _whole_percent(value, current_language())


# A list shows a few distinct probabilities (0 to 100): Babel formats each once a process.
@lru_cache(maxsize=1_024)
def _whole_percent(value: int, language: str) -> str:
    return format_percent(Decimal(value) / 100, locale=language)


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _status_or_none(value: str) -> ApplicationStatus | None:
    try:
        return ApplicationStatus(value)
    except ValueError:
        return None


# The pipeline ----------------------------------------------------------------------


@bp.get("/applications/")
@login_required
def index():
    """The pipeline as a paged list or a board, filtered by campaign, donor, status."""
    # An empty filter looks nothing up (two statements fewer on every unfiltered view).
    campaign_slug, donor_slug = request.args.get("campaign", ""), request.args.get("donor", "")
    campaign = find_campaign(campaign_slug) if campaign_slug else None
    donor = find_organization(donor_slug) if donor_slug else None
    donor = donor if services.is_donor(donor) else None
    filters = services.PipelineFilter(
        campaign_id=campaign.id if campaign else None,
        donor_org_id=donor.id if donor else None,
        status=_status_or_none(request.args.get("status", "")),
        deadline_from=_iso_date(request.args.get("deadline_from", "")),
        deadline_to=_iso_date(request.args.get("deadline_to", "")),
    )
    today = utcnow().date()
    on_board = request.args.get("view") == "board"
    columns = services.board(filters) if on_board else []
    listed = None if on_board else services.page_of_pipeline_rows(filters, requested_page())
    shown = [a.id for column in columns for a in column.applications] if listed is None \
        else [row.id for row in listed.items]
    colliding = services.colliding_ids(among=shown)
    # The filter's choices stand for their version (one read): read only when they change.
    choices = version_now(CHOICES)
    return render_template(
        "applications/index.html",
        listed=listed,
        # The list's rows, each kept while what it shows holds; the board's cards as they are.
        rows=pipeline_rows(listed.items, colliding, today) if listed is not None else [],
        columns=columns,
        any_shown=bool(shown),
        overdue={a.id for column in columns for a in column.applications
                 if services.is_overdue(a, today)},
        filters=filters,
        campaign=campaign,
        donor=donor,
        board=on_board,
        # Every campaign and donor, their options written once a version of them.
        campaign_options=versioned_option_list(
            "campaigns", CHOICES, choices,
            lambda: [(item.slug, item.title) for item in campaign_choices()],
            selected=campaign.slug if campaign else None),
        donor_options=versioned_option_list(
            "donors", CHOICES, choices, services.donor_choices,
            selected=donor.slug if donor else None),
        statuses=ApplicationStatus,
        colliding=colliding,
        filtered=any((campaign, donor, filters.status, filters.deadline_from,
                      filters.deadline_to)),
    )


def _render_form(form: ApplicationForm, application: Application | None, status: int = 200):
    return render_template("applications/form.html", form=form,
                           application=application), status


@bp.route("/applications/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_APPLICATIONS)
def new():
    """Add an application to a donor for a campaign; it starts as an idea."""
    form = ApplicationForm()
    if not form.is_submitted():
        campaign = find_campaign(request.args.get("campaign", ""))
        if campaign is not None:
            form.campaign_id.data = str(campaign.id)
        return _render_form(form, None)
    if not form.validate():
        return _render_form(form, None, 422)
    outcome = commit(lambda: services.create_application(form.to_input()), form)
    if outcome.refused:
        return _render_form(form, None, 422)
    application = outcome.value
    flash(_("Application “%(title)s” added as an idea.", title=application.title), "success")
    return redirect(url_for("applications.show", application_id=application.id))


def _render_show(application: Application, *, move_forms: dict | None = None,
                 report_form: ReportForm | None = None, move_error: str | None = None,
                 status: int = 200):
    forms = {to: MoveForm(formdata=None, prefix=to.value, currency=application.currency)
             for to in MACHINE.allowed(application.status)}
    for to, form in (move_forms or {}).items():
        if to in forms:
            forms[to] = form
        else:  # a refused form for a move that is not offered: say why it is not
            move_error = move_error or TransitionNotAllowed(MACHINE, application.status,
                                                            to).message
    return render_template(
        "applications/show.html",
        application=application,
        machine=MACHINE,
        move_forms=forms,
        move_error=move_error,
        report_form=report_form or ReportForm(formdata=None),
        changes=services.status_history(application),
        collisions=services.collisions_for(application),
        overdue=services.is_overdue(application),
        grant=(grant_of_application(application.id)
               if application.status is ApplicationStatus.AWARDED else None),
        today=utcnow().date(),
        history=history_for("application", application.id,
                            page=requested_page("history_page")),
    ), status


@bp.get("/applications/<int:application_id>")
@login_required
def show(application_id: int):
    """One application: its details, next steps, status history, reports and collisions."""
    return _render_show(services.get_application(application_id))


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_APPLICATIONS)
def edit(application_id: int):
    """Change an application's details (not its status, which moves on the application page)."""
    application = services.get_application(application_id)
    form = ApplicationForm.for_application(application)
    if not form.is_submitted():
        return _render_form(form, application)
    if not form.validate():
        return _render_form(form, application, 422)
    if commit(lambda: services.update_application(application, form.to_input()), form).refused:
        return _render_form(form, application, 422)
    flash(_("Changes to “%(title)s” saved.", title=application.title), "success")
    return redirect(url_for("applications.show", application_id=application.id))


@bp.post("/applications/<int:application_id>/move/<status>")
@permission_required(Action.EDIT_APPLICATIONS)
def move(application_id: int, status: str):
    """Move an application to another status, with a note; the machine says which are allowed."""
    application = services.get_application(application_id)
    to = _status_or_none(status)
    if to is None:
        abort(404)
    form = MoveForm(prefix=to.value, currency=application.currency)
    if not form.validate():
        return _render_show(application, move_forms={to: form}, status=422)
    outcome = commit(lambda: services.move(application, to, by=signed_in_user(),
                                           note=form.note.data or "", awarded=form.awarded()))
    if isinstance(outcome.error, TransitionNotAllowed):
        return _render_show(application, move_error=outcome.message, status=422)
    if outcome.error is not None:
        apply_domain_error(form, outcome.error)
        return _render_show(application, move_forms={to: form}, status=422)
    flash(_("“%(title)s” is now “%(status)s”.", title=application.title, status=to.label),
          "success")
    return redirect(url_for("applications.show", application_id=application.id))


@bp.post("/applications/<int:application_id>/reports")
@permission_required(Action.EDIT_APPLICATIONS)
def add_report(application_id: int):
    """Add a report the donor expects (interim or final) with its due date."""
    application = services.get_application(application_id)
    form = ReportForm()
    if not form.validate():
        return _render_show(application, report_form=form, status=422)
    outcome = commit(lambda: services.add_report(application, form.to_input()), form)
    if outcome.refused:
        return _render_show(application, report_form=form, status=422)
    report = outcome.value
    flash(_("%(report)s added.", report=report.kind.label), "success")
    return redirect(url_for("applications.show", application_id=application.id,
                            _anchor="reports"))


@bp.post("/applications/<int:application_id>/reports/<int:report_id>/done")
@permission_required(Action.EDIT_APPLICATIONS)
def report_done(application_id: int, report_id: int):
    """Mark a report as sent to the donor today."""
    application = services.get_application(application_id)
    report = services.get_report(application, report_id)
    commit(lambda: services.mark_report_done(report))
    flash(_("%(report)s marked as done.", report=report.kind.label), "success")
    return redirect(url_for("applications.show", application_id=application.id,
                            _anchor="reports"))


# Donors and funding calls -----------------------------------------------------------


@bp.get("/donors/")
@login_required
def donors():
    """Donors (organisations that fund others) a page at a time, with their open calls and
    limits, the closed calls folded."""
    listed = services.page_of_donors(requested_page())
    return render_template(
        "applications/donors.html", listed=listed,
        # Each donor's section kept while what it shows holds: its calls open today, the
        # reader's right to add one.
        sections=donor_rows(listed.items, utcnow().date(),
                            may_add_calls=can(signed_in_user(), Action.EDIT_DONORS)))


def _render_call_form(form: CallForm, donor, call: FundingCall | None, status: int = 200):
    return render_template("applications/call_form.html", form=form, donor=donor,
                           call=call), status


@bp.route("/donors/<slug>/calls/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_DONORS)
def new_call(slug: str):
    """Add a funding call to a donor, with its deadline and limits."""
    donor = services.get_donor(slug)
    form = CallForm()
    if not form.is_submitted():
        return _render_call_form(form, donor, None)
    if not form.validate():
        return _render_call_form(form, donor, None, 422)
    outcome = commit(lambda: services.create_call(donor, form.to_input()), form)
    if outcome.refused:
        return _render_call_form(form, donor, None, 422)
    call = outcome.value
    flash(_("Funding call “%(title)s” added.", title=call.title), "success")
    return redirect(url_for("applications.show_call", call_id=call.id))


@bp.get("/calls/<int:call_id>")
@login_required
def show_call(call_id: int):
    """A funding call: its limits, the applications to it, and its history."""
    call = services.get_call(call_id)
    applications = services.call_applications(call)
    competing = [a for a in applications if a.status in services.COMPETING]
    return render_template(
        "applications/call.html", call=call, applications=applications,
        contested=len({a.applicant_org_id for a in competing}) > 1,
        history=history_for("funding_call", call.id,
                            page=requested_page("history_page")),
    )


@bp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_DONORS)
def edit_call(call_id: int):
    """Change a funding call's dates and limits."""
    call = services.get_call(call_id)
    form = CallForm.for_call(call)
    if not form.is_submitted():
        return _render_call_form(form, call.donor, call)
    if not form.validate():
        return _render_call_form(form, call.donor, call, 422)
    if commit(lambda: services.update_call(call, form.to_input()), form).refused:
        return _render_call_form(form, call.donor, call, 422)
    flash(_("Funding call “%(title)s” saved.", title=call.title), "success")
    return redirect(url_for("applications.show_call", call_id=call.id))


# Deadlines and the calendar feed ----------------------------------------------------


def _render_deadlines(new_link: str | None = None):
    today = utcnow().date()
    listed = services.page_of_upcoming_deadline_rows(requested_page(), today=today)
    return render_template(
        "applications/deadlines.html",
        deadlines=listed,
        rows=deadline_rows(listed.items, today),  # kept while what each shows holds
        days=services.DEADLINE_WINDOW_DAYS,
        token=services.calendar_token_of(signed_in_user()),
        new_link=new_link,
    )


@bp.get("/deadlines")
@login_required
def deadlines():
    """Submission deadlines, expected decisions and reports due in the next 60 days."""
    return _render_deadlines()


@bp.post("/deadlines/calendar-link")
@login_required
def calendar_link():
    """Make the user's secret link to the deadlines feed (the previous one stops working)."""
    token = commit(lambda: services.issue_calendar_token(signed_in_user())).value
    # Shown in this response only: the database keeps the token's hash, nothing else.
    link = external_url("applications.calendar_feed", token=token, lang=current_language())
    return _render_deadlines(new_link=link)


@bp.post("/deadlines/calendar-link/revoke")
@login_required
def revoke_calendar_link():
    """Stop the user's link to the deadlines feed."""
    if commit(lambda: services.revoke_calendar_token(signed_in_user())).value:
        flash(_("Your calendar link no longer works."), "success")
    return redirect(url_for("applications.deadlines"))


@bp.get("/deadlines/<token>.ics")
@public
def calendar_feed(token: str):
    """The deadlines as an iCalendar feed; the secret token in the address stands for a login."""
    user = services.user_for_calendar_token(token)
    if user is None:
        abort(404)
    language = request.args.get("lang", "")
    if language not in LANGUAGES:
        language = user.language if user.language in LANGUAGES else "en"
    body = services.deadlines_calendar(
        services.deadline_lines(utcnow().date()), language=language,
        link=lambda a: external_url("applications.show", application_id=a.id),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="tracker-deadlines.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# The budget's screens register themselves on this blueprint.
from tracker.applications import budget_views  # noqa: E402, F401
