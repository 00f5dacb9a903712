"""A small proposal to print: a campaign's budget, an application to a call, its narrative,
logframe and work plan, built through the services; and reading PDFs back."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

from pypdf import PdfReader

from tests.applications_support import Coalition, make_application, make_call, make_coalition
from tests.factories import make_line, make_target
from tracker.applications import services as application_services
from tracker.applications.budget_models import CofinancingSource
from tracker.applications.models import Application, ApplicationStatus, FundingCall
from tracker.db import utcnow
from tracker.extensions import db
from tracker.proposals import services
from tracker.proposals.models import LogframeLevel, SectionKind
from tracker.targets.models import BudgetCategory, BudgetUnit, FundingTarget

# The application's budget below: the campaign's 2 × 720.00 + 10 × 95.50 = 2,395.00 taken
# whole, and a coordinator at 12 × 4,000.00 = 48,000.00 of which 395.00 are the hub's own
# funds: total cost 50,395.00 = 50,000.00 requested + 395.00 co-financing (US dollars).
BUDGET_TOTAL = {"en": "$50,395.00", "ru": "50 395,00 $"}
REQUESTED = {"en": "$50,000.00", "ru": "50 000,00 $"}
COFINANCING = {"en": "$395.00", "ru": "395,00 $"}
TITLE = {"en": "XRF testing of paint in Kazakhstan and Tajikistan",
         "ru": "Испытания красок на РФА в Казахстане и Таджикистане"}
SUMMARY = {
    "en": "Two NGOs **test paint** for lead with the region's only XRF analyser.",
    "ru": "Две НКО **проверяют краски** на свинец единственным в регионе РФА-анализатором.",
}


@dataclass
class ProposalWorld:
    coalition: Coalition
    call: FundingCall
    target: FundingTarget
    application: Application


def make_proposal_world(**application_overrides: Any) -> ProposalWorld:
    """The coalition's lead-in-paint campaign with a 2027 budget and an application to a call
    whose deadline is two months away, with some narrative, a logframe and a work plan."""
    coalition = make_coalition()
    call = make_call(coalition.undp, title_en="Chemicals small grants",
                     title_ru="Малые гранты по химической безопасности",
                     deadline=utcnow().date() + timedelta(days=60),
                     min_amount=Decimal("10000"), max_amount=Decimal("150000"),
                     max_duration_months=24)
    target = make_target(coalition.campaign, currency="USD", title_en="Paint study 2027",
                         title_ru="Исследование красок, 2027")
    make_line(target, quantity="2", unit_cost="720", description="Flights Dushanbe–Almaty",
              description_ru="Перелёты Душанбе – Алматы", partner_org_id=coalition.tajik.id,
              unit=BudgetUnit.FLIGHT, justification_en="The XRF team travels with its analyser.",
              justification_ru="Команда РФА едет со своим анализатором.")
    make_line(target, quantity="10", unit_cost="95.50", description="Lead analysis of paint",
              description_ru="Анализ красок на свинец", category=BudgetCategory.LAB_TESTING,
              unit=BudgetUnit.SAMPLE, partner_org_id=coalition.kazakh.id)
    values: dict[str, Any] = {
        "status": ApplicationStatus.DRAFTING, "call_id": call.id,
        "title_en": TITLE["en"], "title_ru": TITLE["ru"], "requested": Decimal("50000"),
        "project_starts_on": date(2027, 1, 1), "project_ends_on": date(2027, 12, 31),
        "countries": ("KZ", "TJ"),
    }
    values.update(application_overrides)
    application = make_application(coalition.campaign, coalition.undp, coalition.kazakh,
                                   **values)
    give_budget(application, coalition)
    services.save_sections(application, {
        SectionKind.EXECUTIVE_SUMMARY: (SUMMARY["en"], SUMMARY["ru"]),
        SectionKind.CONTEXT: ("Kazakhstan and Tajikistan have no limit on lead in paint; "
                              "the Stockholm and Minamata conventions frame the work.",
                              "В Казахстане и Таджикистане нет предела содержания свинца "
                              "в красках."),
    })
    services.add_logframe_row(application, services.LogframeInput(
        LogframeLevel.OBJECTIVE, {"result_en": "Lead paint is banned", "result_ru":
                                  "Свинцовые краски запрещены",
                                  "indicator_en": "A legal limit of 90 ppm",
                                  "indicator_ru": "Законный предел 90 ppm"}))
    services.add_activity(application, services.ActivityInput(
        1, 2, "Buy and test 100 paints", "Закупка и анализ 100 красок",
        responsible_org_id=coalition.kazakh.id))
    services.add_activity(application, services.ActivityInput(
        3, 4, "Publish the report", "Публикация доклада", responsible_org_id=coalition.hub.id))
    db.session.commit()
    return ProposalWorld(coalition, call, target, application)


def give_budget(application: Application, coalition: Coalition) -> None:
    """The campaign's two lines taken whole, and a coordinator the hub co-finances."""
    application_services.take_campaign_lines(
        application, [item.line.id for item in application_services.campaign_lines(application)])
    application_services.add_budget_line(application, application_services.BudgetLineInput(
        year=1, donor_category="71400", quantity=Decimal("12"), unit_cost=Decimal("4000"),
        currency="USD", description_en="Project coordinator", description_ru="Координатор проекта",
        unit=BudgetUnit.MONTH, partner_org_id=coalition.hub.id,
        shares=(application_services.ShareInput(CofinancingSource.OWN_FUNDS, Decimal("395"),
                                                partner_org_id=coalition.hub.id),)))
    db.session.commit()


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text, with no-break spaces as plain ones."""
    reader = PdfReader(BytesIO(data))
    return [_plain(page.extract_text()) for page in reader.pages]


def flat(pages: list[str]) -> str:
    """The pages' text as one line: words joined by single spaces (table cells wrap)."""
    return " ".join(" ".join(pages).split())


def pdftotext(data: bytes) -> str:
    """The text poppler's pdftotext reads, which includes text drawn in SVG figures."""
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                            check=True)
    return " ".join(_plain(result.stdout.decode()).split())


def pdf_reader(data: bytes) -> PdfReader:
    return PdfReader(BytesIO(data))


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f]", " ", text)
