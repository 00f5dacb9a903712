"""Proposal PDFs: read back in both languages, checked against the call, kept as finals.

The drafts and the final are printed once per database backend (module fixture `printed`)
and read back by several tests; the other tests print only when printing is the point.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import select

from tests.applications_support import make_application
from tests.auth_support import login, make_user
from tests.conftest import TEST_SECRET, Client, rolled_back
from tests.factories import count_rows
from tests.pages import plain
from tests.proposals_support import (
    BUDGET_TOTAL,
    SUMMARY,
    TITLE,
    ProposalWorld,
    flat,
    make_proposal_world,
    pdf_pages,
    pdf_reader,
    pdftotext,
)
from tracker import create_app
from tracker.applications.models import Application
from tracker.audit.models import AuditEvent
from tracker.auth.models import Role
from tracker.demo.proposals import SP_TITLE, UNDP_TITLE
from tracker.extensions import db
from tracker.money.services import add_rate
from tracker.orgs.models import OrgKind
from tracker.proposals import services
from tracker.proposals.eligibility import CheckStatus, check_application
from tracker.proposals.models import LogframeRow, ProposalVersion, SectionKind
from tracker.proposals.models import WorkPlanActivity as Activity
from tracker.proposals.registry import find_template, template_for
from tracker.proposals.storage import proposal_storage


def _text(html: str) -> str:
    return " ".join(plain(unescape(re.sub(r"<[^>]+>", " ", html))).split())


@dataclass(frozen=True)
class Printed:
    """What the module's fundraiser printed, and what the PDFs say."""

    draft_en: bytes
    draft_ru: bytes
    final_en: bytes
    draft_en_name: str
    final_name: str
    pages_en: list[str]
    pages_ru: list[str]
    final_pages: list[str]
    text_en: str
    text_ru: str
    version_sha256: str


@pytest.fixture(scope="module")
def printed(database_url: str, tmp_path_factory) -> Printed:
    """A fundraiser working in English downloads drafts in English and Russian, then a final."""
    app = create_app({"TESTING": True, "ENV": "testing", "DATABASE_URL": database_url,
                      "SECRET_KEY": TEST_SECRET,
                      "PROPOSAL_STORAGE_DIR": str(tmp_path_factory.mktemp("proposals"))})
    app.test_client_class = Client
    with app.app_context(), rolled_back(db.engine):
        world = make_proposal_world()
        client = app.test_client()
        login(client, make_user(Role.FUNDRAISER, language="en"))
        base = f"/applications/{world.application.id}/proposal"
        draft_en = client.get(f"{base}/draft.pdf?lang=en")
        draft_ru = client.get(f"{base}/draft.pdf?lang=ru")
        printed_final = client.post(f"{base}/finals", data={"language": "en",
                                                            "template": "generic"})
        assert printed_final.status_code == 302, printed_final.text
        final = client.get(f"{base}/finals/1.pdf")
        for response in (draft_en, draft_ru, final):
            assert response.status_code == 200
            assert response.mimetype == "application/pdf"
        version = db.session.scalar(select(ProposalVersion))
        pages_en, pages_ru = pdf_pages(draft_en.data), pdf_pages(draft_ru.data)
        result = Printed(
            draft_en=draft_en.data, draft_ru=draft_ru.data, final_en=final.data,
            draft_en_name=draft_en.headers["Content-Disposition"],
            final_name=final.headers["Content-Disposition"],
            pages_en=pages_en, pages_ru=pages_ru, final_pages=pdf_pages(final.data),
            version_sha256=version.sha256, text_en=flat(pages_en), text_ru=flat(pages_ru),
        )
    with app.app_context():
        db.engine.dispose()
    return result


@pytest.fixture
def world(app) -> ProposalWorld:
    return make_proposal_world()


@pytest.fixture
def fundraiser(client, world):
    user = make_user(Role.FUNDRAISER, email="fundraiser@example.org")
    login(client, user)
    return user


def _page_of(pages: list[str], heading: str) -> int:
    """The 1-based page a part's heading is printed on (after the contents page)."""
    for number, text in enumerate(pages, start=1):
        if number > 2 and heading in text:
            return number
    raise AssertionError(f"{heading!r} is on no page")


# Reading the PDFs back ---------------------------------------------------------------------


def test_the_draft_in_english_has_its_title_author_language_and_data(printed):
    reader = pdf_reader(printed.draft_en)
    assert reader.metadata.title == TITLE["en"]
    assert reader.metadata.author == "Greenwomen"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    text = printed.text_en
    assert TITLE["en"] in text
    for partner in ("Eco-Accord", "Greenwomen", "Little Earth"):
        assert partner in text
    assert "Two NGOs test paint for lead" in text  # the narrative's Markdown, rendered
    assert f"Total cost of the project {BUDGET_TOTAL['en']}" in text
    assert "Flights Dushanbe–Almaty" in text and "Lead paint is banned" in text
    assert 'filename=xrf' not in printed.draft_en_name  # named after campaign and donor
    assert "lead-in-paint-undp-en-draft.pdf" in printed.draft_en_name


def test_the_draft_in_russian_is_russian_whatever_the_screen_language(printed):
    reader = pdf_reader(printed.draft_ru)
    assert reader.metadata.title == TITLE["ru"]
    assert reader.metadata.author == "Гринвумен"
    assert reader.trailer["/Root"]["/Lang"] == "ru"
    text = printed.text_ru
    for partner in ("Эко-Согласие", "Гринвумен", "Маленькая Земля"):
        assert partner in text
    assert BUDGET_TOTAL["ru"] in text
    assert BUDGET_TOTAL["en"] not in text
    assert "Перелёты Душанбе – Алматы" in text and "Свинцовые краски запрещены" in text
    assert "Две НКО проверяют краски" in text
    assert "Казахстан" in text and "Таджикистан" in text


def test_pages_are_numbered_page_x_of_y_and_the_contents_give_the_right_pages(printed):
    pages = printed.pages_en
    total = len(pages)
    assert total >= 4
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text
    contents = pages[1]
    assert contents.startswith("Contents")
    budget_page = _page_of(pages, "6. Budget\n")
    assert re.search(rf"6\. Budget[ .]*{budget_page}\b", contents), contents
    # The running header repeats the title on every page after the cover.
    header = f"{TITLE['en']} Draft: not for submission"
    assert all(header in page for page in pages[1:])
    assert header not in pages[0]


def test_the_draft_shows_the_eligibility_checklist_on_its_first_page(printed):
    first = flat(printed.pages_en[:1])
    assert "Draft: eligibility checklist" in first
    assert "✓ Passed Amount within the call's limits" in first
    assert "$50,000.00 requested; the call allows from $10,000.00 to $150,000.00" in first
    assert "✓ Passed Deadline not passed" in first
    assert "Draft: not for submission" in first
    assert "Draft: eligibility checklist" not in "\n".join(printed.pages_en[1:])


def test_the_final_has_no_checklist_and_is_the_stored_file(printed):
    assert not any("eligibility checklist" in page for page in printed.final_pages)
    assert not any("Draft" in page for page in printed.final_pages)
    assert hashlib.sha256(printed.final_en).hexdigest() == printed.version_sha256
    assert "lead-in-paint-generic-en-v1.pdf" in printed.final_name


def test_the_work_plan_is_drawn_by_quarter(printed):
    text = pdftotext(printed.draft_en)  # pypdf does not read text drawn inside SVG
    gantt = text[text.index("5. Multi-year work plan"):]
    for label in ("Q1", "Q2", "Q3", "Q4"):
        assert label in gantt
    assert "Buy and test 100 paints" in gantt and "Q1–Q2" in gantt
    assert "Q1 begins on Jan 1, 2027" in gantt


# Rendering the same data twice -------------------------------------------------------------


def test_the_same_data_gives_the_same_pdf_and_an_unchanged_draft_comes_from_storage(world):
    application = world.application
    template = template_for(application)
    first = services.draft_pdf(application, language="en", template=template)
    second = services.draft_pdf(application, language="en", template=template)
    assert not first.from_storage and second.from_storage
    assert first.data == second.data
    # Rendered afresh (not from storage), the bytes are the same too.
    html = services.proposal_html(application, language="en", template=template, draft=True)
    assert services.render_html(html) == first.data


# Eligibility -------------------------------------------------------------------------------


def _statuses(world: ProposalWorld, today: date | None = None) -> dict[str, CheckStatus]:
    checks = check_application(world.application, language="en", today=today)
    return {check.code: check.status for check in checks.checks}


def test_every_check_passes_for_an_application_within_the_calls_rules(world):
    statuses = _statuses(world)
    assert set(statuses) == {"amount", "budget", "duration", "applicant_kind",
                             "single_country", "countries", "deadline"}
    assert set(statuses.values()) == {CheckStatus.PASSED}


@pytest.mark.parametrize(("change", "code", "expected"), [
    ({"max_amount": Decimal("40000")}, "amount",
     "$50,000.00 requested: more than the call's maximum of $40,000.00."),
    ({"min_amount": Decimal("60000"), "max_amount": None}, "amount",
     "$50,000.00 requested: less than the call's minimum of $60,000.00."),
    ({"max_duration_months": 6}, "duration",
     "12 months: longer than the call's maximum of 6 months."),
    ({"eligible_applicant_kinds": (OrgKind.GOVERNMENT,)}, "applicant_kind",
     "The call is open to: Government agency; the applicant is: NGO."),
    ({"single_country": True}, "single_country",
     "The call funds one country per application; this one names 2: Kazakhstan, Tajikistan."),
    ({"countries": ("KZ", "KG")}, "countries", "Not among the call's countries: Tajikistan."),
])
def test_a_check_fails_with_the_reason_when_the_call_forbids(world, change, code, expected):
    call = world.call
    for name, value in change.items():
        if name in ("min_amount", "max_amount"):
            setattr(call, f"{name}_minor", None if value is None else int(value * 100))
        else:
            setattr(call, name, list(value) if isinstance(value, tuple) else value)
    db.session.commit()
    checks = {check.code: check for check in check_application(world.application,
                                                                language="en").checks}
    assert checks[code].status is CheckStatus.FAILED
    assert checks[code].detail == expected
    assert [c.code for c in checks.values() if not c.passed] == [code]


def test_a_passed_deadline_fails_and_missing_dates_or_rates_cannot_be_checked(world):
    later = world.call.deadline + timedelta(days=1)
    assert _statuses(world, today=later)["deadline"] is CheckStatus.FAILED

    application = world.application
    application.project_ends_on = None
    application.currency = "EUR"
    application.requested_minor = 4_000_000
    db.session.commit()
    checks = {c.code: c for c in check_application(application, language="en").checks}
    assert checks["duration"].status is CheckStatus.UNKNOWN
    assert "Give the project's start and end dates" in checks["duration"].detail
    assert checks["amount"].status is CheckStatus.UNKNOWN
    assert checks["amount"].detail.startswith("No exchange rate from EUR to USD")

    add_rate(date(2026, 1, 5), "EUR", "USD", Decimal("1.17"), "ECB")
    db.session.commit()
    checks = {c.code: c for c in check_application(application, language="en").checks}
    assert checks["amount"].status is CheckStatus.PASSED
    assert checks["amount"].detail.startswith("€40,000.00 ($46,800.00) requested")


def test_the_application_page_shows_the_checklist_progress_and_print_buttons(client, world,
                                                                             fundraiser):
    world.call.max_duration_months = 6
    db.session.commit()
    page = client.get(f"/applications/{world.application.id}").text
    section = _text(page[page.index('id="proposal"'):page.index('id="status-history"')])
    assert "✗ Duration within the call's maximum (Failed) 12 months: longer than" in section
    assert "✓ Amount within the call's limits (Passed)" in section
    assert "Narrative sections written: 2 of 9 in English, 2 of 9 in Russian." in section
    assert "Draft in English" in section and "Draft in Русский" in section
    assert "Reason for printing although checks fail" in section
    assert "No final version printed yet." in section


def test_a_viewer_sees_the_checklist_and_finals_but_no_print_buttons(client, world):
    login(client, make_user(Role.VIEWER))
    page = client.get(f"/applications/{world.application.id}").text
    section = page[page.index('id="proposal"'):page.index('id="status-history"')]
    assert 'id="eligibility"' in section and 'id="print-final"' not in section
    assert "draft.pdf" not in section


# Final versions ----------------------------------------------------------------------------


def test_a_final_is_refused_while_a_check_fails_unless_a_reason_is_given(client, world,
                                                                          fundraiser):
    world.call.max_duration_months = 6
    db.session.commit()
    url = f"/applications/{world.application.id}/proposal/finals"
    refused = client.post(url, data={"language": "ru", "template": "undp"})
    assert refused.status_code == 422
    assert "Some eligibility checks have not passed (Duration within the call's maximum)" \
        in _text(refused.text)
    assert count_rows(ProposalVersion) == 0
    assert not (proposal_storage().root / "finals").exists()  # type: ignore[attr-defined]

    printed_anyway = client.post(url, data={"language": "ru", "template": "undp",
                                            "override_reason": "The donor agreed to 12 months "
                                                               "by e-mail on 3 March."})
    assert printed_anyway.status_code == 302
    version = db.session.scalar(select(ProposalVersion))
    assert (version.number, version.language, version.template) == (1, "ru", "undp")
    assert version.override_reason == "The donor agreed to 12 months by e-mail on 3 March."
    assert version.overridden_checks == ["duration"]
    assert version.author_id == fundraiser.id
    page = _text(client.get(f"/applications/{world.application.id}").text)
    assert "Printed although checks failed: The donor agreed to 12 months" in page
    assert "created the final proposal" in page  # the History records the version


def test_an_unchanged_final_is_the_stored_one_and_a_change_makes_a_new_version(
        client, world, fundraiser):
    url = f"/applications/{world.application.id}/proposal/finals"
    client.post(url, data={"language": "en", "template": "generic"})
    again = client.post(url, data={"language": "en", "template": "generic"},
                        follow_redirects=True)
    assert "Nothing has changed since final version 1" in _text(again.text)
    assert count_rows(ProposalVersion) == 1

    client.post(f"/applications/{world.application.id}/proposal", data={
        "executive_summary_en": "A new summary.", "executive_summary_ru": SUMMARY["ru"]})
    client.post(url, data={"language": "en", "template": "generic"})
    versions = db.session.scalars(select(ProposalVersion).order_by(ProposalVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].sha256 != versions[1].sha256
    download = client.get(f"/applications/{world.application.id}/proposal/finals/2.pdf")
    assert hashlib.sha256(download.data).hexdigest() == versions[1].sha256
    assert "A new summary." in "\n".join(pdf_pages(download.data))


def test_a_viewer_downloads_a_final_but_may_not_print_one(client, world):
    template = find_template("generic")
    services.keep_final(world.application, b"%PDF-1.7 stored", language="en",
                        template=template, source_sha256="0" * 64, by=None)
    db.session.commit()
    login(client, make_user(Role.VIEWER))
    base = f"/applications/{world.application.id}/proposal"
    assert client.get(f"{base}/finals/1.pdf").data == b"%PDF-1.7 stored"
    assert client.get(f"{base}/finals/2.pdf").status_code == 404
    assert client.post(f"{base}/finals", data={"language": "en",
                                              "template": "generic"}).status_code == 403
    assert client.get(f"{base}/draft.pdf").status_code == 403
    assert count_rows(ProposalVersion) == 1


# The narrative editor, logframe and work plan -------------------------------------------------


def test_the_narrative_is_saved_in_both_languages_and_shows_in_the_history(client, world,
                                                                          fundraiser):
    url = f"/applications/{world.application.id}/proposal"
    page = client.get(url)
    assert page.status_code == 200
    assert "Executive summary" in page.text and 'data-preview-url="' in page.text
    response = client.post(url, data={
        "executive_summary_en": SUMMARY["en"], "executive_summary_ru": SUMMARY["ru"],
        "risks_en": "Customs may hold the analyser.", "risks_ru": "Таможня может задержать "
                                                                 "анализатор.",
    }, follow_redirects=True)
    assert "The narrative of" in _text(response.text)
    sections = services.sections_of(world.application)
    assert sections[SectionKind.RISKS].body_ru == "Таможня может задержать анализатор."
    # Sections left empty in the form are emptied (context was written before).
    assert sections[SectionKind.CONTEXT].body_en == ""
    history = _text(client.get(url).text)
    assert "the proposal section" in history and "Customs may hold the analyser." in history


def test_a_section_too_long_is_refused_and_nothing_changes(client, world, fundraiser):
    url = f"/applications/{world.application.id}/proposal"
    before = count_rows(AuditEvent)
    response = client.post(url, data={"executive_summary_en": "x" * 20_001,
                                      "executive_summary_ru": "y"})
    assert response.status_code == 422
    assert "Keep this under 20000 characters." in response.text
    assert count_rows(AuditEvent) == before
    assert services.sections_of(world.application)[SectionKind.EXECUTIVE_SUMMARY].body_ru \
        == SUMMARY["ru"]


def test_the_preview_returns_sanitised_html(client, world, fundraiser):
    url = f"/applications/{world.application.id}/proposal/preview"
    token = client.csrf_token()
    response = client.post(url, csrf=False, headers={"X-CSRFToken": token}, data={
        "text": "**Bold** <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
                "[site](https://ipen.org) [bad](javascript:alert(1))"})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html and "<img" not in html and "href=\"javascript" not in html
    assert '<a href="https://ipen.org"' in html
    assert client.post(url, csrf=False, data={"text": "x"}).status_code == 400


def test_logframe_rows_are_added_edited_and_removed(client, world, fundraiser):
    base = f"/applications/{world.application.id}/proposal/logframe"
    refused = client.post(base, data={"level": "output", "indicator_en": "Reports"})
    assert refused.status_code == 422
    assert "Say what the result is, in English or Russian." in refused.text
    assert count_rows(LogframeRow) == 1

    client.post(base, data={"level": "output", "result_en": "A report on 100 paints",
                            "result_ru": "Доклад о 100 красках", "target_en": "1 report"})
    row = db.session.scalar(select(LogframeRow).where(LogframeRow.level == "output"))
    assert row.target_en == "1 report"
    assert client.get(f"{base}/{row.id}").status_code == 200
    client.post(f"{base}/{row.id}", data={"level": "outcome", "result_en": "Manufacturers "
                                                                           "reformulate"})
    db.session.expire_all()
    assert (row.level.value, row.result_en, row.result_ru) == ("outcome",
                                                               "Manufacturers reformulate", "")
    client.post(f"{base}/{row.id}/remove")
    assert count_rows(LogframeRow) == 1


def test_activities_must_fit_the_projects_quarters(client, world, fundraiser):
    base = f"/applications/{world.application.id}/proposal/activities"
    refused = client.post(base, data={"title_en": "Follow-up", "start_quarter": "4",
                                      "end_quarter": "5"})
    assert refused.status_code == 422
    assert "Choose a quarter from the first one to 4." in refused.text
    assert count_rows(Activity) == 2
    client.post(base, data={"title_ru": "Круглый стол", "start_quarter": "4",
                            "end_quarter": "4"})
    activity = db.session.scalar(select(Activity).where(Activity.title_ru == "Круглый стол"))
    client.post(f"{base}/{activity.id}", data={"title_ru": "Круглый стол в Душанбе",
                                               "start_quarter": "3", "end_quarter": "4"})
    db.session.expire_all()
    assert (activity.title_ru, activity.start_quarter) == ("Круглый стол в Душанбе", 3)
    client.post(f"{base}/{activity.id}/remove")
    assert count_rows(Activity) == 2


def test_another_applications_rows_are_not_reachable(client, world, fundraiser):
    row = db.session.scalar(select(LogframeRow))
    activity = db.session.scalar(select(Activity))
    another = make_application(world.coalition.campaign, world.coalition.undp,
                               world.coalition.hub, title_en="Another")
    base = f"/applications/{another.id}/proposal"
    assert client.get(f"{base}/logframe/{row.id}").status_code == 404
    assert client.post(f"{base}/activities/{activity.id}/remove").status_code == 404
    assert count_rows(Activity) == 2


# The command line ----------------------------------------------------------------------------


def test_render_proposal_writes_a_draft_in_the_language_asked_for(runner, world, tmp_path):
    output = tmp_path / "proposal.pdf"
    result = runner.invoke(args=["render-proposal", str(world.application.id), "--lang", "ru",
                                 "--template", "special_programme", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "template special_programme, language ru" in result.output
    pages = pdf_pages(output.read_bytes())
    assert pdf_reader(output.read_bytes()).metadata.title == TITLE["ru"]
    assert "Черновик: проверка соответствия требованиям" in pages[0]
    assert "Маленькая Земля" in flat(pages)
    # The Special Programme's template lists its endorsement letter and budget form.
    assert "Письмо об одобрении от министерства" in flat(pages)


def test_render_proposal_refuses_an_unknown_application_and_a_final_without_reason(
        runner, world, tmp_path):
    missing = runner.invoke(args=["render-proposal", "999999", "--lang", "en", "-o",
                                  str(tmp_path / "x.pdf")])
    assert missing.exit_code != 0 and "There is no application 999999." in missing.output
    world.call.max_duration_months = 6
    db.session.commit()
    refused = runner.invoke(args=["render-proposal", str(world.application.id), "--lang", "en",
                                  "--final", "-o", str(tmp_path / "final.pdf")])
    assert refused.exit_code != 0 and "Some eligibility checks have not passed" in refused.output
    assert not (tmp_path / "final.pdf").exists()
    assert count_rows(ProposalVersion) == 0
    accepted = runner.invoke(args=["render-proposal", str(world.application.id), "--lang", "en",
                                   "--final", "--override-reason", "Donor waiver",
                                   "-o", str(tmp_path / "final.pdf")])
    assert accepted.exit_code == 0, accepted.output
    assert "Final version 1 printed and kept." in accepted.output
    version = db.session.scalar(select(ProposalVersion))
    assert version.override_reason == "Donor waiver" and version.author_id is None
    assert hashlib.sha256((tmp_path / "final.pdf").read_bytes()).hexdigest() == version.sha256


# Limits --------------------------------------------------------------------------------------


def test_a_proposal_over_the_page_limit_is_stopped_with_a_clear_message(app, client, world,
                                                                         fundraiser):
    app.config["PROPOSAL_MAX_PAGES"] = 2
    response = client.get(f"/applications/{world.application.id}/proposal/draft.pdf?lang=en",
                          follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "The proposal would be longer than 2 pages and was stopped." in _text(response.text)
    assert not (proposal_storage().root / "drafts").exists()  # type: ignore[attr-defined]



# The demo -------------------------------------------------------------------------------------


def test_the_demo_prints_complete_proposals_for_the_xrf_campaign(app, runner, tmp_path):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    for title, template_name in ((UNDP_TITLE, "undp"), (SP_TITLE, "special_programme")):
        application = db.session.scalar(select(Application).where(Application.title_en == title))
        template = template_for(application)
        assert template.name == template_name
        for language in ("en", "ru"):
            html = services.proposal_html(application, language=language, template=template,
                                          draft=True)
            if title == UNDP_TITLE:  # every part written, the budget too
                assert 'class="missing"' not in html, (title, language)
            else:  # no budget yet, and the proposal says so
                assert html.count('class="missing"') == 3, (title, language)
            assert "<svg class=\"gantt\"" in html and 'class="data logframe"' in html
    # One of them printed, to the end: the Special Programme's, in Russian.
    output = tmp_path / "sp-ru.pdf"
    special = db.session.scalar(select(Application).where(Application.title_en == SP_TITLE))
    result = runner.invoke(args=["render-proposal", str(special.id), "--lang", "ru", "-o",
                                 str(output)])
    assert result.exit_code == 0, result.output
    text = flat(pdf_pages(output.read_bytes()))
    assert "Комитет по охране окружающей среды" in text
    assert "Письмо-одобрение Правительства" in text
