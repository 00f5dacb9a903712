"""Rules for proposals: the narrative, logframe and work plan, drafts and final versions.

A proposal is rendered from HTML built out of the live data; the HTML's SHA-256 names
it. A draft is kept in the storage under that hash, so asking again for unchanged data
is answered with the stored file. A final version is kept for good, with its number,
template, language, SHA-256, author and time; printing a final whose HTML has not
changed since an earlier final gives that earlier version back instead of a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tracker.applications.models import Application
from tracker.auth.models import User
from tracker.campaigns.models import CampaignPartner
from tracker.db import utcnow
from tracker.errors import DomainError, NotFound, found
from tracker.extensions import db
from tracker.i18n import LANGUAGES
from tracker.orgs.models import Organization
from tracker.proposals.document import (
    ProposalDocument,
    build_document,
    css_string,
    page_of_pages,
    project_quarters,
    sections_of,
)
from tracker.proposals.eligibility import Checklist, check_application
from tracker.proposals.models import (
    MAX_QUARTERS,
    LogframeLevel,
    LogframeRow,
    ProposalSection,
    ProposalVersion,
    SectionKind,
    WorkPlanActivity,
)
from tracker.proposals.registry import DonorTemplate, find_template
from tracker.proposals.render import Limits, html_to_pdf, source_hash
from tracker.proposals.storage import proposal_storage
from tracker.tasks.models import Task
from tracker.tasks.services import FINAL_PROPOSAL, TaskResult, run_task, start_task
from tracker.tasks.services import Progress as TaskProgress

MAX_SECTION_LENGTH = 20_000
MAX_FIELD_LENGTH = 2_000
MAX_TITLE_LENGTH = 300
MAX_REASON_LENGTH = 2_000
LOGFRAME_TEXTS = ("result", "indicator", "baseline", "target", "verification", "assumptions")


class ChecksNotPassed(DomainError):
    """A final was asked for while eligibility checks fail, without a reason to override them."""


# Narrative sections -------------------------------------------------------------------


def _text(value: str, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise DomainError(_("Keep this under %(limit)s characters.", limit=limit), field=field)
    return value


def save_sections(application: Application,
                  texts: Mapping[SectionKind, tuple[str, str]]) -> int:
    """Store the sections' English and Russian text; returns how many sections changed.

    A section is written only when its text changed, so the History shows real edits.
    """
    cleaned = {kind: (_text(en, MAX_SECTION_LENGTH, f"{kind.value}_en"),
                      _text(ru, MAX_SECTION_LENGTH, f"{kind.value}_ru"))
               for kind, (en, ru) in texts.items()}
    existing = sections_of(application)
    changed = 0
    for kind, (en, ru) in cleaned.items():
        section = existing.get(kind)
        if section is None:
            if not (en or ru):
                continue
            section = ProposalSection(application_id=application.id, kind=kind)
            db.session.add(section)
        elif (section.body_en, section.body_ru) == (en, ru):
            continue
        section.body_en, section.body_ru = en, ru
        changed += 1
    db.session.flush()
    return changed


@dataclass(frozen=True)
class Progress:
    """How many narrative sections are written in each language."""

    written: dict[str, int]
    total: int


def narrative_progress(application: Application) -> Progress:
    """Sections written per language, counted by the database."""
    counts = {}
    for language in LANGUAGES:
        body = getattr(ProposalSection, f"body_{language}")
        counts[language] = db.session.scalar(
            select(func.count()).select_from(ProposalSection)
            .where(ProposalSection.application_id == application.id, body != "")) or 0
    return Progress(counts, len(SectionKind))


# The logframe -------------------------------------------------------------------------


@dataclass(frozen=True)
class LogframeInput:
    """A logframe row as typed: its level, and each text in English and Russian."""

    level: LogframeLevel
    texts: Mapping[str, str]  # e.g. {"indicator_en": "...", "indicator_ru": "..."}


def _apply_logframe(row: LogframeRow, data: LogframeInput) -> None:
    try:
        row.level = LogframeLevel(data.level)
    except ValueError:
        raise DomainError(_("Choose a level from the list."), field="level") from None
    values = {}
    for name in LOGFRAME_TEXTS:
        for language in LANGUAGES:
            key = f"{name}_{language}"
            values[key] = _text(data.texts.get(key, ""), MAX_FIELD_LENGTH, key)
    if not (values["result_en"] or values["result_ru"]):
        raise DomainError(_("Say what the result is, in English or Russian."),
                          field="result_en")
    for key, value in values.items():
        setattr(row, key, value)


def add_logframe_row(application: Application, data: LogframeInput) -> LogframeRow:
    """Add a row to the application's logframe."""
    row = LogframeRow(application_id=application.id)
    _apply_logframe(row, data)
    db.session.add(row)
    db.session.flush()
    return row


def update_logframe_row(row: LogframeRow, data: LogframeInput) -> LogframeRow:
    """Change a logframe row."""
    _apply_logframe(row, data)
    db.session.flush()
    return row


def remove_logframe_row(row: LogframeRow) -> None:
    """Delete a logframe row."""
    db.session.delete(row)
    db.session.flush()


def get_logframe_row(application: Application, row_id: int) -> LogframeRow:
    """The application's logframe row with this id, or NotFound (also for another's)."""
    return found(db.session.scalar(select(LogframeRow).where(
        LogframeRow.id == row_id, LogframeRow.application_id == application.id)), "logframe row")


# The work plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityInput:
    """An activity as typed: its title in English and/or Russian and its quarters."""

    start_quarter: int
    end_quarter: int
    title_en: str = ""
    title_ru: str = ""
    responsible_org_id: int | None = None


def quarter_limit(application: Application) -> int:
    """The last quarter an activity may end in: the project's last, else MAX_QUARTERS."""
    return project_quarters(application) or MAX_QUARTERS


def _apply_activity(activity: WorkPlanActivity, application: Application,
                    data: ActivityInput) -> None:
    title_en = _text(data.title_en, MAX_TITLE_LENGTH, "title_en")
    title_ru = _text(data.title_ru, MAX_TITLE_LENGTH, "title_ru")
    if not (title_en or title_ru):
        raise DomainError(_("Name the activity in English or Russian."), field="title_en")
    last = quarter_limit(application)
    if not 1 <= data.start_quarter <= last:
        raise DomainError(_("Choose a quarter from 1 to %(last)s.", last=last),
                          field="start_quarter")
    if not data.start_quarter <= data.end_quarter <= last:
        raise DomainError(_("Choose a quarter from the first one to %(last)s.", last=last),
                          field="end_quarter")
    responsible = data.responsible_org_id
    if responsible is not None and db.session.get(Organization, responsible) is None:
        raise DomainError(_("Choose an organisation from the list."),
                          field="responsible_org_id")
    activity.title_en, activity.title_ru = title_en, title_ru
    activity.start_quarter, activity.end_quarter = data.start_quarter, data.end_quarter
    activity.responsible_org_id = responsible


def add_activity(application: Application, data: ActivityInput) -> WorkPlanActivity:
    """Add an activity to the application's work plan."""
    activity = WorkPlanActivity(application_id=application.id)
    _apply_activity(activity, application, data)
    db.session.add(activity)
    db.session.flush()
    return activity


def update_activity(activity: WorkPlanActivity, data: ActivityInput) -> WorkPlanActivity:
    """Change a work-plan activity."""
    _apply_activity(activity, activity.application, data)
    db.session.flush()
    return activity


def remove_activity(activity: WorkPlanActivity) -> None:
    """Delete a work-plan activity."""
    db.session.delete(activity)
    db.session.flush()


def get_activity(application: Application, activity_id: int) -> WorkPlanActivity:
    """The application's work-plan activity with this id, or NotFound (also for another's)."""
    return found(db.session.scalar(select(WorkPlanActivity).where(
        WorkPlanActivity.id == activity_id, WorkPlanActivity.application_id == application.id)),
        "activity")


def responsible_candidates(application: Application) -> list[Organization]:
    """Who may be responsible for an activity: the applicant, the campaign's lead and partners."""
    campaign = application.campaign
    member_ids = {application.applicant_org_id, campaign.lead_org_id, *db.session.scalars(
        select(CampaignPartner.organization_id)
        .where(CampaignPartner.campaign_id == campaign.id))}
    organizations = db.session.scalars(
        select(Organization).where(Organization.id.in_(member_ids)))
    return sorted(organizations, key=lambda org: org.name.casefold())


# Checks -------------------------------------------------------------------------------


def checklist(application: Application, language: str, today: date | None = None) -> Checklist:
    """The application's eligibility checks against its call, worded in `language`."""
    return check_application(application, language=language, today=today)


# Rendering ----------------------------------------------------------------------------


def proposal_document(application: Application, *, language: str, draft: bool,
                      today: date | None = None) -> ProposalDocument:
    """What the proposal shows, gathered in `language` (the checklist only on a draft)."""
    today = today or utcnow().date()
    with force_locale(language):
        checks = check_application(application, language=language, today=today) \
            if draft else None
        # The campaign's own money (its gap, its drives in their currencies) is not printed:
        # the donor reads the application's budget, in the currency of the request.
        return build_document(application, language=language, draft=draft, checklist=checks,
                              today=today)


def proposal_html(application: Application, *, language: str, template: DonorTemplate,
                  draft: bool, today: date | None = None) -> str:
    """The proposal as HTML for WeasyPrint, in `language`, whatever the screen's language."""
    if language not in LANGUAGES:
        raise DomainError(_("Choose English or Russian."), field="language")
    document = proposal_document(application, language=language, draft=draft, today=today)
    with force_locale(language):
        return render_template(
            template.template, doc=document, template=template,
            page_numbers=page_of_pages(),
            draft_mark=css_string(_("Draft: not for submission")) if draft else "none",
        )


def _limits() -> Limits:
    config = current_app.config
    return Limits(seconds=float(config["PROPOSAL_RENDER_SECONDS"]),
                  max_pages=int(config["PROPOSAL_MAX_PAGES"]))


def render_html(html: str) -> bytes:
    """PDF bytes of proposal HTML, with the safe fetcher and the configured limits."""
    return html_to_pdf(html, static_root=current_app.static_folder or "", limits=_limits()).data


def file_name(application: Application, *, language: str, template: DonorTemplate,
              number: int | None = None) -> str:
    """A readable file name: campaign, donor template, language, and 'draft' or the version."""
    suffix = "draft" if number is None else f"v{number}"
    return f"{application.campaign.slug}-{template.name.replace('_', '-')}-{language}-{suffix}.pdf"


@dataclass(frozen=True)
class PrintedPdf:
    """A proposal PDF, its file name, and whether the stored file was served."""

    data: bytes
    file_name: str
    from_storage: bool


def draft_pdf(application: Application, *, language: str, template: DonorTemplate,
              today: date | None = None) -> PrintedPdf:
    """A draft with its checklist; unchanged data is served from the stored draft."""
    html = proposal_html(application, language=language, template=template, draft=True,
                         today=today)
    storage = proposal_storage()
    key = f"drafts/{source_hash(html)}.pdf"
    name = file_name(application, language=language, template=template)
    stored = storage.get(key)
    if stored is not None:
        return PrintedPdf(stored, name, True)
    data = render_html(html)
    storage.put(key, data)
    return PrintedPdf(data, name, False)


@dataclass(frozen=True)
class FinalResult:
    """The final version printed (or the earlier identical one) and whether it is new."""

    version: ProposalVersion
    created: bool


def print_final(application: Application, *, language: str, template: DonorTemplate,
                by: User | None, override_reason: str = "", screen_language: str = "en",
                today: date | None = None) -> FinalResult:
    """Print and keep a final version; refused while a check fails, unless a reason is given.

    The reason and the checks it overrides are recorded with the version. If the HTML is
    the same as an earlier final's, that version is returned and nothing new is stored.
    """
    today = today or utcnow().date()
    checks, reason = _checked(application, override_reason, screen_language, today)
    html = proposal_html(application, language=language, template=template, draft=False,
                         today=today)
    source = source_hash(html)
    earlier = db.session.scalar(
        select(ProposalVersion).where(ProposalVersion.application_id == application.id,
                                      ProposalVersion.source_sha256 == source)
        .order_by(ProposalVersion.number.desc()).limit(1))
    if earlier is not None and proposal_storage().exists(earlier.storage_key):
        return FinalResult(earlier, False)
    version = keep_final(application, render_html(html), language=language, template=template,
                         source_sha256=source, by=by,
                         override_reason=reason if not checks.passed else "",
                         overridden_checks=[check.code for check in checks.not_passed])
    return FinalResult(version, True)


def _checked(application: Application, override_reason: str, screen_language: str,
             today: date) -> tuple[Checklist, str]:
    """The checklist and the override reason; ChecksNotPassed if a check fails unexplained."""
    checks = check_application(application, language=screen_language, today=today)
    reason = _text(override_reason, MAX_REASON_LENGTH, "override_reason")
    if not checks.passed and not reason:
        failed = "; ".join(check.label for check in checks.not_passed)
        raise ChecksNotPassed(_("Some eligibility checks have not passed (%(checks)s): fix "
                                "them, or give the reason for printing a final anyway.",
                                checks=failed), field="override_reason")
    return checks, reason


def start_final(application: Application, *, language: str, template: DonorTemplate,
                by: User, override_reason: str = "", screen_language: str = "en",
                back_url: str = "") -> Task | None:
    """A job printing the final, if the proposal is long enough to hold a web worker for
    long (TASK_RENDER_MIN_CHARS of HTML); None: print it in the request. The checks are
    made here too, so that a refusal is shown on the form at once."""
    today = utcnow().date()
    _checked(application, override_reason, screen_language, today)
    html = proposal_html(application, language=language, template=template, draft=False,
                         today=today)
    if len(html) < current_app.config["TASK_RENDER_MIN_CHARS"]:
        return None
    return start_task(final_task, FINAL_PROPOSAL, by, back_url=back_url, language=screen_language,
                      params={"application_id": application.id, "language": language,
                              "template": template.name, "override_reason": override_reason,
                              "screen_language": screen_language})


def final_task(task_id: int) -> None:
    """The job printing a long final proposal (tracker/tasks)."""
    run_task(task_id, _final_work)


def _final_work(task: Task, progress: TaskProgress) -> TaskResult:
    params = task.params
    application = db.session.get(Application, params["application_id"])
    template = find_template(str(params["template"]))
    owner = db.session.get(User, task.owner_id)
    if application is None or template is None or owner is None:
        raise DomainError(_("The application was removed before its final was printed."))
    progress(0, 1)
    result = print_final(application, language=str(params["language"]), template=template,
                         by=owner, override_reason=str(params["override_reason"]),
                         screen_language=str(params["screen_language"]))
    version = result.version
    message = (_("Final version %(number)s printed and kept.", number=version.number)
               if result.created else
               _("Nothing has changed since final version %(number)s: it is the one to send.",
                 number=version.number))
    name = file_name(application, language=version.language, template=template,
                     number=version.number)
    return TaskResult(None, name, "application/pdf", message, key=version.storage_key)


def keep_final(application: Application, data: bytes, *, language: str,
               template: DonorTemplate, source_sha256: str, by: User | None,
               override_reason: str = "", overridden_checks: list[str] | None = None
               ) -> ProposalVersion:
    """Store a rendered final PDF and record it as the application's next version."""
    digest = hashlib.sha256(data).hexdigest()
    key = f"finals/{application.id}/{digest}.pdf"
    proposal_storage().put(key, data)  # named by its content: a retry or a twin writes the same
    number = (db.session.scalar(select(func.max(ProposalVersion.number))
                                .where(ProposalVersion.application_id == application.id))
              or 0) + 1
    version = ProposalVersion(
        application_id=application.id, number=number, template=template.name,
        language=language, sha256=digest, size_bytes=len(data), storage_key=key,
        source_sha256=source_sha256, author_id=by.id if by is not None else None,
        created_at=utcnow(), override_reason=override_reason,
        overridden_checks=list(overridden_checks or ()),
    )
    try:
        # A savepoint: a clash undoes this version only, not the caller's other work.
        with db.session.begin_nested():
            db.session.add(version)
    except IntegrityError:
        # Another final of this application took the same number meanwhile.
        raise DomainError(_("Another final version was printed at the same moment; "
                            "print again.")) from None
    return version


def versions_of(application: Application) -> list[ProposalVersion]:
    """The application's final versions, newest first, with their authors."""
    return list(db.session.scalars(
        select(ProposalVersion).where(ProposalVersion.application_id == application.id)
        .order_by(ProposalVersion.number.desc())))


def get_version(application: Application, number: int) -> ProposalVersion:
    """The application's final version with this number, or NotFound."""
    return found(db.session.scalar(select(ProposalVersion).where(
        ProposalVersion.application_id == application.id, ProposalVersion.number == number)),
        "final version")


def version_pdf(version: ProposalVersion) -> bytes:
    """The stored PDF of a final version; NotFound if the file has gone from the storage."""
    data = proposal_storage().get(version.storage_key)
    if data is None:
        raise NotFound(_("The file of version %(number)s is missing from the storage.",
                         number=version.number))
    return data
