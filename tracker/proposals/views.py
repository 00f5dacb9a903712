"""Screens of proposals: the narrative editor, logframe, work plan, drafts and final PDFs."""

from __future__ import annotations

from io import BytesIO

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from tracker.applications.models import Application
from tracker.applications.services import get_application
from tracker.audit.services import history_for
from tracker.auth.permissions import Action, can, permission_required
from tracker.auth.rescue import rescued_formdata
from tracker.auth.sessions import current_user, login_required, signed_in_user
from tracker.errors import DomainError
from tracker.i18n import LANGUAGES, current_language
from tracker.proposals import services
from tracker.proposals.document import activities_of, logframe_rows, project_quarters, sections_of
from tracker.proposals.forms import ActivityForm, FinalForm, LogframeForm, NarrativeForm
from tracker.proposals.markup import render_markdown
from tracker.proposals.registry import TEMPLATES, find_template, template_for
from tracker.views import commit, requested_page

bp = Blueprint("proposals", __name__, url_prefix="/applications/<int:application_id>/proposal")

PDF = "application/pdf"


def _to_editor(application: Application, anchor: str | None = None):
    return redirect(url_for("proposals.edit", application_id=application.id, _anchor=anchor))


@bp.app_template_filter("proposal_markdown")
def proposal_markdown(text: str | None):
    """A narrative section's Markdown as sanitised HTML (the editor's first preview)."""
    return render_markdown(text or "")


@bp.app_template_filter("template_label")
def template_label(name: str) -> str:
    """A donor template's label in the reader's language ("undp" → "UNDP"), else its key."""
    template = find_template(name)
    return str(template.label) if template is not None else name


@bp.app_context_processor
def proposal_helpers() -> dict:
    """`proposal_panel(application)` for the application page's proposal section."""
    return {"proposal_panel": panel}


def panel(application: Application) -> dict:
    """What the application page shows about the proposal: checks, progress, finals."""
    return {
        "checklist": services.checklist(application, current_language()),
        "progress": services.narrative_progress(application),
        "versions": services.versions_of(application),
        "default_template": template_for(application),
        "templates": TEMPLATES,
        "final_form": FinalForm(formdata=None, application=application,
                                language=current_language()),
    }


# The narrative editor -----------------------------------------------------------------


def _render_editor(application: Application, *, form: NarrativeForm | None = None,
                   logframe_form: LogframeForm | None = None,
                   activity_form: ActivityForm | None = None, status: int = 200):
    return render_template(
        "proposals/editor.html",
        application=application,
        form=form or NarrativeForm.for_sections(sections_of(application)),
        # Not what is stored: a refused save, or text brought back after the session ended.
        unsaved=form is not None or rescued_formdata() is not None,
        logframe=logframe_rows(application),
        logframe_form=logframe_form or LogframeForm(formdata=None),
        activities=activities_of(application),
        activity_form=activity_form or ActivityForm(formdata=None, application=application),
        quarters=project_quarters(application),
        templates=TEMPLATES,
        default_template=template_for(application),
        history=history_for("application", application.id,
                            page=requested_page("history_page")),
    ), status


@bp.route("", methods=["GET", "POST"])
@permission_required(Action.EDIT_PROPOSALS)
def edit(application_id: int):
    """The proposal's narrative in English and Russian side by side, logframe and work plan."""
    application = get_application(application_id)
    if request.method == "GET":
        return _render_editor(application)
    form = NarrativeForm()
    if not form.validate():
        return _render_editor(application, form=form, status=422)
    outcome = commit(lambda: services.save_sections(application, form.texts()), form)
    if outcome.refused:
        return _render_editor(application, form=form, status=422)
    if outcome.value:
        flash(_("The narrative of “%(title)s” is saved.", title=application.title), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return _to_editor(application)


@bp.post("/preview")
@permission_required(Action.EDIT_PROPOSALS)
def preview(application_id: int):
    """The sanitised HTML of a section's Markdown, for the editor's live preview."""
    get_application(application_id)
    text = request.form.get("text", "")
    if len(text) > services.MAX_SECTION_LENGTH:
        return jsonify(error=_("Keep this under %(limit)s characters.",
                               limit=services.MAX_SECTION_LENGTH)), 422
    return jsonify(html=str(render_markdown(text)))


# The logframe -------------------------------------------------------------------------


@bp.post("/logframe")
@permission_required(Action.EDIT_PROPOSALS)
def add_logframe_row(application_id: int):
    """Add a row to the logframe."""
    application = get_application(application_id)
    form = LogframeForm()
    if not form.validate():
        return _render_editor(application, logframe_form=form, status=422)
    if commit(lambda: services.add_logframe_row(application, form.to_input()), form).refused:
        return _render_editor(application, logframe_form=form, status=422)
    flash(_("Logframe row added."), "success")
    return _to_editor(application, "logframe")


@bp.route("/logframe/<int:row_id>", methods=["GET", "POST"])
@permission_required(Action.EDIT_PROPOSALS)
def edit_logframe_row(application_id: int, row_id: int):
    """Change a logframe row."""
    application = get_application(application_id)
    row = services.get_logframe_row(application, row_id)
    form = LogframeForm.for_row(row) if request.method == "GET" else LogframeForm()
    if request.method == "POST":
        if form.validate() and not commit(
                lambda: services.update_logframe_row(row, form.to_input()), form).refused:
            flash(_("Logframe row saved."), "success")
            return _to_editor(application, "logframe")
        return render_template("proposals/logframe_form.html", application=application,
                               row=row, form=form), 422
    return render_template("proposals/logframe_form.html", application=application, row=row,
                           form=form)


@bp.post("/logframe/<int:row_id>/remove")
@permission_required(Action.EDIT_PROPOSALS)
def remove_logframe_row(application_id: int, row_id: int):
    """Delete a logframe row."""
    application = get_application(application_id)
    row = services.get_logframe_row(application, row_id)
    commit(lambda: services.remove_logframe_row(row))
    flash(_("Logframe row removed."), "success")
    return _to_editor(application, "logframe")


# The work plan ------------------------------------------------------------------------


@bp.post("/activities")
@permission_required(Action.EDIT_PROPOSALS)
def add_activity(application_id: int):
    """Add an activity to the work plan."""
    application = get_application(application_id)
    form = ActivityForm(application=application)
    if not form.validate():
        return _render_editor(application, activity_form=form, status=422)
    if commit(lambda: services.add_activity(application, form.to_input()), form).refused:
        return _render_editor(application, activity_form=form, status=422)
    flash(_("Activity added to the work plan."), "success")
    return _to_editor(application, "work-plan")


@bp.route("/activities/<int:activity_id>", methods=["GET", "POST"])
@permission_required(Action.EDIT_PROPOSALS)
def edit_activity(application_id: int, activity_id: int):
    """Change a work-plan activity."""
    application = get_application(application_id)
    activity = services.get_activity(application, activity_id)
    if request.method == "GET":
        return render_template("proposals/activity_form.html", application=application,
                               activity=activity, form=ActivityForm.for_activity(activity),
                               quarters=project_quarters(application))
    form = ActivityForm(application=application)
    if form.validate() and not commit(
            lambda: services.update_activity(activity, form.to_input()), form).refused:
        flash(_("Activity saved."), "success")
        return _to_editor(application, "work-plan")
    return render_template("proposals/activity_form.html", application=application,
                           activity=activity, form=form,
                           quarters=project_quarters(application)), 422


@bp.post("/activities/<int:activity_id>/remove")
@permission_required(Action.EDIT_PROPOSALS)
def remove_activity(application_id: int, activity_id: int):
    """Delete a work-plan activity."""
    application = get_application(application_id)
    activity = services.get_activity(application, activity_id)
    commit(lambda: services.remove_activity(activity))
    flash(_("Activity removed from the work plan."), "success")
    return _to_editor(application, "work-plan")


# PDFs ---------------------------------------------------------------------------------


def _pdf_response(data: bytes, file_name: str):
    return send_file(BytesIO(data), mimetype=PDF, as_attachment=True, download_name=file_name)


@bp.get("/draft.pdf")
@permission_required(Action.EDIT_PROPOSALS)
def draft(application_id: int):
    """Download a draft PDF (with the eligibility checklist) in the language asked for."""
    application = get_application(application_id)
    language = request.args.get("lang") or current_language()
    name = request.args.get("template")
    template = find_template(name) if name else template_for(application)
    if language not in LANGUAGES or template is None:
        abort(404)
    # Committed: with the database storage the draft kept for next time is a row.
    outcome = commit(lambda: services.draft_pdf(application, language=language,
                                                template=template))
    if outcome.refused:
        flash(outcome.message, "error")
        return redirect(url_for("applications.show", application_id=application.id,
                                _anchor="proposal"))
    printed = outcome.value
    return _pdf_response(printed.data, printed.file_name)


def _render_finals(application: Application, form: FinalForm, status: int = 200):
    return render_template("proposals/finals.html", application=application, form=form,
                           checklist=services.checklist(application, current_language()),
                           versions=services.versions_of(application)), status


@bp.route("/finals", methods=["GET", "POST"])
@login_required
def finals(application_id: int):
    """Final versions of the proposal; those who edit proposals print a new one here."""
    application = get_application(application_id)
    if request.method == "GET":
        return _render_finals(application, FinalForm(formdata=None, application=application,
                                                     language=current_language()))
    if not can(current_user, Action.EDIT_PROPOSALS):
        abort(403)
    form = FinalForm(application=application)
    if not form.validate():
        return _render_finals(application, form, 422)
    template = find_template(form.template.data)
    assert template is not None  # the select accepts only registered names
    # A long proposal is printed by a job: the request only checks it and starts the job.
    started = commit(lambda: services.start_final(
        application, language=form.language.data, template=template, by=signed_in_user(),
        override_reason=form.override_reason.data or "", screen_language=current_language(),
        back_url=url_for("applications.show", application_id=application.id,
                         _anchor="proposal")), form)
    if started.refused:
        return _render_finals(application, form, 422)
    if started.value is not None:
        return redirect(url_for("tasks.show", task_id=started.value.id))
    outcome = commit(lambda: services.print_final(
        application, language=form.language.data, template=template, by=signed_in_user(),
        override_reason=form.override_reason.data or "", screen_language=current_language(),
    ), form)
    if outcome.refused:
        return _render_finals(application, form, 422)
    result = outcome.value
    version = result.version
    if result.created:
        flash(_("Final version %(number)s printed and kept.", number=version.number),
              "success")
    else:
        flash(_("Nothing has changed since final version %(number)s: it is the one to send.",
                number=version.number), "info")
    return redirect(url_for("applications.show", application_id=application.id,
                            _anchor="proposal"))


@bp.get("/finals/<int:number>.pdf")
@login_required
def download_final(application_id: int, number: int):
    """Download a kept final version (anyone who may read applications may)."""
    application = get_application(application_id)
    version = services.get_version(application, number)
    try:
        data = services.version_pdf(version)
    except DomainError:
        abort(404)
    template = find_template(version.template) or template_for(application)
    return _pdf_response(data, services.file_name(application, language=version.language,
                                                  template=template, number=version.number))
