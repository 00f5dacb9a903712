"""The demo proposals (proposals.toml): narrative, logframe and work plan of the XRF
campaign's two applications. An application that already has a narrative, logframe or
work plan keeps it: loading twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from tracker.applications.models import Application
from tracker.demo.files import read
from tracker.extensions import db
from tracker.orgs.services import find_organization
from tracker.proposals import services
from tracker.proposals.document import sections_of
from tracker.proposals.models import LogframeLevel, LogframeRow, SectionKind, WorkPlanActivity

# A logframe row's texts, each in English and Russian, in the order of the logframe.
LOGFRAME_TEXTS = ("result", "indicator", "baseline", "target", "verification", "assumptions")


@dataclass(frozen=True)
class DemoRow:
    level: LogframeLevel
    result: tuple[str, str]
    indicator: tuple[str, str]
    baseline: tuple[str, str]
    target: tuple[str, str]
    verification: tuple[str, str]
    assumptions: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class DemoActivity:
    title: tuple[str, str]
    start: int
    end: int
    responsible: str


@dataclass(frozen=True)
class DemoProposal:
    title_en: str
    sections: dict[SectionKind, tuple[str, str]]
    logframe: tuple[DemoRow, ...]
    activities: tuple[DemoActivity, ...]


def _row(item: dict[str, Any]) -> DemoRow:
    texts = {name: (item.get(f"{name}_en", ""), item.get(f"{name}_ru", ""))
             for name in LOGFRAME_TEXTS}
    return DemoRow(LogframeLevel(item["level"]), **texts)


def _proposal(item: dict[str, Any]) -> DemoProposal:
    return DemoProposal(
        item["application"],
        {SectionKind(kind): (texts["en"], texts["ru"])
         for kind, texts in item["sections"].items()},
        tuple(_row(row) for row in item["logframe"]),
        tuple(DemoActivity((activity["title_en"], activity["title_ru"]), activity["start"],
                           activity["end"], activity["responsible"])
              for activity in item["activities"]),
    )


PROPOSALS: tuple[DemoProposal, ...] = tuple(
    _proposal(item) for item in read("proposals")["proposals"])
UNDP_TITLE, SP_TITLE = (item.title_en for item in PROPOSALS)


def _count(model: type[LogframeRow] | type[WorkPlanActivity], application: Application) -> int:
    return db.session.scalar(select(func.count()).select_from(model)
                             .where(model.application_id == application.id)) or 0


def _load(item: DemoProposal) -> bool:
    application = db.session.scalar(select(Application).where(
        Application.title_en == item.title_en))
    if application is None:
        return False
    added = False
    if not sections_of(application):
        services.save_sections(application, item.sections)
        added = True
    if not _count(LogframeRow, application):
        for row in item.logframe:
            texts = {}
            for name in LOGFRAME_TEXTS:
                texts[f"{name}_en"], texts[f"{name}_ru"] = getattr(row, name)
            services.add_logframe_row(application, services.LogframeInput(row.level, texts))
        added = True
    if not _count(WorkPlanActivity, application):
        for activity in item.activities:
            org = find_organization(activity.responsible)
            services.add_activity(application, services.ActivityInput(
                activity.start, activity.end, *activity.title,
                responsible_org_id=org.id if org else None))
        added = True
    return added


def load_proposal_demo() -> int:
    """Fill in the XRF applications' proposals where missing; how many got something."""
    return sum(_load(item) for item in PROPOSALS)
