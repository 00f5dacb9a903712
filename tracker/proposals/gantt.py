"""The work plan as a Gantt chart: one bar per activity over the project's quarters."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

from flask_babel import gettext as _

from tracker.applications.models import Application
from tracker.proposals.eligibility import project_months
from tracker.proposals.models import MAX_QUARTERS, WorkPlanActivity

GANTT_WIDTH = 680
GANTT_LABEL_WIDTH = 250
GANTT_ROW_HEIGHT = 30
GANTT_HEADER_HEIGHT = 24
GANTT_LINE_CHARACTERS = 36


@dataclass(frozen=True)
class GanttBar:
    title_lines: list[str]
    responsible: str
    start: int
    end: int
    x: float
    width: float
    y: float


@dataclass(frozen=True)
class Gantt:
    quarters: int
    columns: list[tuple[str, float]]  # label, x of the column's left edge
    column_width: float
    bars: list[GanttBar]
    width: int
    height: int
    label_width: int
    row_height: int
    header_height: int


def _title_lines(title: str) -> list[str]:
    lines = textwrap.wrap(title, GANTT_LINE_CHARACTERS) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), GANTT_LINE_CHARACTERS,
                                            placeholder=" …")]
    return lines


def quarter_label(number: int) -> str:
    """'Q3': the third quarter of the project."""
    return _("Q%(number)s", number=number)


def build_gantt(activities: list[WorkPlanActivity], project_quarters: int | None,
                language: str) -> Gantt | None:
    """Bars from each activity's first quarter to its last, in SVG coordinates."""
    if not activities:
        return None
    quarters = max([project_quarters or 0, *(a.end_quarter for a in activities)])
    column_width = (GANTT_WIDTH - GANTT_LABEL_WIDTH) / quarters
    columns = [(quarter_label(n), GANTT_LABEL_WIDTH + (n - 1) * column_width)
               for n in range(1, quarters + 1)]
    bars = []
    for index, activity in enumerate(activities):
        responsible = activity.responsible
        bars.append(GanttBar(
            title_lines=_title_lines(activity.localized("title", language)),
            responsible=responsible.localized("name", language) if responsible else "",
            start=activity.start_quarter, end=activity.end_quarter,
            x=GANTT_LABEL_WIDTH + (activity.start_quarter - 1) * column_width + 2,
            width=(activity.end_quarter - activity.start_quarter + 1) * column_width - 4,
            y=GANTT_HEADER_HEIGHT + index * GANTT_ROW_HEIGHT,
        ))
    height = GANTT_HEADER_HEIGHT + len(activities) * GANTT_ROW_HEIGHT + 2
    return Gantt(quarters, columns, column_width, bars, GANTT_WIDTH, height,
                 GANTT_LABEL_WIDTH, GANTT_ROW_HEIGHT, GANTT_HEADER_HEIGHT)


def project_quarters(application: Application) -> int | None:
    """How many quarters the project lasts (a started quarter counts), None without dates."""
    starts, ends = application.project_starts_on, application.project_ends_on
    if starts is None or ends is None:
        return None
    return min(math.ceil(project_months(starts, ends) / 3), MAX_QUARTERS)  # a stored typo: 9999
