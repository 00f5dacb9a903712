"""The PDFs' wording: donors named in a form both languages can hold, rate sources and
format keys in the reader's language, and no English message left in a Russian PDF."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from flask_babel import force_locale

from tests.auth_support import login, make_user
from tests.catalogue_support import english_left_in, translated_english_phrases
from tests.grants_support import LINES, make_grant_world, spend
from tests.pages import switch_to_russian
from tests.proposals_support import ProposalWorld, flat, make_proposal_world, pdf_pages
from tracker.applications import services as application_services
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.grants import services as grants
from tracker.grants.report_formats import FORMATS
from tracker.money.services import add_rate
from tracker.money.sources import source_label
from tracker.proposals import services
from tracker.proposals.registry import TEMPLATES
from tracker.targets.models import BudgetUnit

DONOR = {"en": "United Nations Development Programme", "ru": "Программа развития ООН"}
DEMO_SOURCE = "Demo data (approximate)"
TYPED_SOURCE = "Halyk Bank board rate"  # a source a user typed, in English only
ENGLISH_ONLY_LINE = "Calibration of the XRF analyser"  # a line described in English only


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ").split())


@pytest.fixture
def world(app) -> ProposalWorld:
    """The proposal world, its donor under its full name, with lines converted from euros at
    the demo's rate and from roubles at a rate whose source a user typed in English."""
    world = make_proposal_world()
    donor = world.coalition.undp
    donor.name_en, donor.name_ru = DONOR["en"], DONOR["ru"]
    add_rate(date(2026, 10, 1), "EUR", "USD", Decimal("1.17"), DEMO_SOURCE)
    add_rate(date(2026, 10, 1), "USD", "RUB", Decimal("86.30"), TYPED_SOURCE)
    for currency, description_ru in (("EUR", "Калибровка анализатора"), ("RUB", "")):
        application_services.add_budget_line(
            world.application, application_services.BudgetLineInput(
                year=1, donor_category="71400", quantity=Decimal(1), unit_cost=Decimal(900),
                currency=currency, unit=BudgetUnit.LUMP_SUM, rate_date=date(2026, 10, 1),
                description_en=ENGLISH_ONLY_LINE if currency == "RUB" else "Analyser service",
                description_ru=description_ru))
    db.session.commit()
    return world


def _proposal_text(world: ProposalWorld, language: str, template: str = "generic") -> str:
    return _text(services.proposal_html(world.application, language=language,
                                        template=TEMPLATES[template], draft=False))


def test_the_proposal_names_the_donor_after_a_label_in_russian(world):
    """Russian: the donor's name stands after «Донор:» or in parentheses, never inflected."""
    text = _proposal_text(world, "ru")
    assert f"Проектное предложение · Донор: {DONOR['ru']}" in text
    assert f"Запрашивается у донора ({DONOR['ru']})" in text
    assert f"сумма, запрашиваемая у донора ({DONOR['ru']})" in text
    assert f"донора {DONOR['ru']}" not in text and f"у {DONOR['ru']}" not in text


def test_the_proposal_names_the_donor_with_its_article_in_english(world):
    """English: "the donor (…)" or "Donor: …", never "to United Nations …"."""
    text = _proposal_text(world, "en")
    assert f"Project proposal · Donor: {DONOR['en']}" in text
    assert f"Requested from the donor ({DONOR['en']})" in text
    assert f"amount requested from the donor ({DONOR['en']})" in text
    assert f"to {DONOR['en']}" not in text and f"from {DONOR['en']}" not in text


def test_the_screens_name_the_donor_the_same_way(client, world):
    """The budget screen and the call form word the donor as the PDFs do, in both languages."""
    application = world.application
    donor = world.coalition.undp
    login(client, make_user(Role.FUNDRAISER))
    for language in ("en", "ru"):
        if language == "ru":
            switch_to_russian(client)
        budget = _text(client.get(f"/applications/{application.id}/budget").text)
        call = _text(client.get(f"/donors/{donor.slug}/calls/new").text)
        if language == "en":
            assert f"in the categories of the donor ({DONOR['en']})" in budget
            assert f"one funding round of the donor ({DONOR['en']})" in call
        else:
            assert f"по бюджетным статьям донора ({DONOR['ru']})" in budget
            assert f"раунд финансирования донора ({DONOR['ru']})" in call
            assert f"донора {DONOR['ru']}" not in budget + call


def test_a_call_of_another_donor_is_refused_naming_its_donor_in_the_nominative(client, world):
    """The refusal says whose the call is as "Донор этого конкурса — …"."""
    login(client, make_user(Role.FUNDRAISER, language="ru"))
    coalition = world.coalition
    response = client.post("/applications/new", data={
        "campaign_id": str(coalition.campaign.id),
        "donor_org_id": str(coalition.special_programme.id), "call_id": str(world.call.id),
        "applicant_org_id": str(coalition.kazakh.id),
        "title_en": "Lead paint", "title_ru": "Свинцовые краски", "requested": "1000",
        "currency": "USD", "probability": "40"})
    assert response.status_code == 422
    assert f"Донор этого конкурса — {DONOR['ru']}" in _text(response.text)


def test_known_rate_sources_are_shown_in_the_readers_language_and_typed_ones_as_typed(app):
    """The demo's and the central banks' sources are translated; a user's own stays."""
    with force_locale("ru"):
        assert source_label(DEMO_SOURCE) == "Демонстрационные данные (приблизительно)"
        assert source_label(" ecb ") == "ЕЦБ"
        assert source_label("European Central Bank") == "Европейский центральный банк"
        assert source_label(TYPED_SOURCE) == TYPED_SOURCE
    with force_locale("en"):
        assert source_label("ЦБ РФ") == "CBR"
        assert source_label("Центральный банк России") == "Central Bank of Russia"
        assert source_label("Национальный банк Казахстана") == "National Bank of Kazakhstan"
        assert source_label(DEMO_SOURCE) == DEMO_SOURCE


def test_the_russian_proposal_gives_the_demo_rate_source_in_russian(world):
    """The rates note reads «Демонстрационные данные», and the typed source as typed."""
    russian, english = _proposal_text(world, "ru"), _proposal_text(world, "en")
    assert "Демонстрационные данные (приблизительно)" in russian
    assert DEMO_SOURCE not in russian and TYPED_SOURCE in russian
    assert DEMO_SOURCE in english


def test_finals_tables_show_format_labels_not_keys(client, world):
    """A final kept in the UNDP or Special Programme format is listed by its label."""
    login(client, make_user(Role.FUNDRAISER, language="ru"))
    base = f"/applications/{world.application.id}/proposal"
    kept = client.post(f"{base}/finals", data={"language": "ru", "template": "special_programme",
                                               "override_reason": "test"})
    assert kept.status_code == 302, kept.text
    page = client.get(f"{base}/finals").text
    versions = page.split('id="final-versions"')[1].split("</table>")[0]
    assert "Специальная программа ЮНЕП" in versions
    assert "special_programme" not in _text(versions)


def test_grant_report_finals_show_the_format_label_and_language_name(client, app):
    """The grant's finals read "UNDP · English", not "undp · en"."""
    world = make_grant_world()
    login(client, make_user(Role.COORDINATOR))
    grant = world.grant
    kept = client.post(f"/grants/{grant.id}/reports/1/final",
                       data={"language": "en", "report_format": "undp"})
    assert kept.status_code == 302, kept.text
    page = _text(client.get(f"/grants/{grant.id}/reports").text)
    assert "UNDP · English ·" in page
    assert "undp · en" not in page


def test_the_catalogue_has_english_phrases_to_look_for(app):
    """The check below looks for thousands of phrases, the PDFs' own among them."""
    phrases = translated_english_phrases()
    assert len(phrases) > 1000
    assert {"Requested from the donor", "Demo data (approximate)", "Interim report"} <= phrases


def test_no_russian_proposal_pdf_prints_an_english_message(world):
    """Every donor template in Russian: none of the catalogue's English in the PDF."""
    typed = (ENGLISH_ONLY_LINE, TYPED_SOURCE)
    for name, template in TEMPLATES.items():
        html = services.proposal_html(world.application, language="ru", template=template,
                                      draft=True)
        text = flat(pdf_pages(services.render_html(html)))
        assert f"Донор: {DONOR['ru']}" in text, name
        assert english_left_in(text, typed) == [], name


def test_no_russian_financial_report_prints_an_english_message(app):
    """Every report format in Russian: none of the catalogue's English in the PDF."""
    world = make_grant_world()
    grant = world.grant
    spend(grant, "2.1", "500.00", "EUR", date(2027, 2, 1), "E-1")
    spend(grant, "1.1", "1234.56", "USD", date(2027, 4, 1), "U-1")
    typed = tuple(f"Spent on {code}" for code in ("1.1", "2.1")) + tuple(
        description for *_rest, description in LINES)
    for name, report_format in FORMATS.items():
        html = grants.report_html(grant, grant.periods[0], language="ru",
                                  report_format=report_format, draft=True)
        text = flat(pdf_pages(services.render_html(html)))
        assert "ЮНИДО" in text, name
        assert english_left_in(text, typed) == [], name
