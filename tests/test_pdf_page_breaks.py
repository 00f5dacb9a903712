"""Table headers never stand alone at a page's foot, in proposals and financial reports.

A block of growing height is put on a fresh page before a table, so that the table starts
lower and lower until it no longer fits: at every height, each page that prints the table's
header (or a year's or category's heading row) prints a row of figures after it.
"""

from __future__ import annotations

import re
from datetime import date

from tests.grants_support import make_grant_world, spend
from tests.proposals_support import flat, make_proposal_world, pdf_pages
from tracker.grants import services as grants
from tracker.grants.report_formats import FORMATS
from tracker.proposals import services
from tracker.proposals.registry import TEMPLATES

MONEY = re.compile(r"\d[\d,\s]*[.,]\d\d")


def _pushed_down(html: str, before: str, height_mm: int) -> str:
    """The HTML with a block `height_mm` high on a page of its own just before `before`."""
    assert before in html
    spacer = f'<div style="break-before: page; height: {height_mm}mm"></div>'
    return html.replace(before, spacer + before, 1)


def _lone_headers(data: bytes, markers: list[str]) -> list[tuple[int, str]]:
    """(page, its end) for each page whose last header marker has no figures after it."""
    lone = []
    for number, page in enumerate(pdf_pages(data), start=1):
        text = flat([page])
        last = max(text.rfind(marker) for marker in markers)
        if last >= 0 and not MONEY.search(text, last):
            lone.append((number, text[last:]))
    return lone


def test_a_proposal_budget_table_near_a_pages_foot_keeps_its_header_with_a_row(app):
    """Pushed down 5 mm at a time, the budget's header never ends a page without a line."""
    world = make_proposal_world()
    html = services.proposal_html(world.application, language="en",
                                  template=TEMPLATES["generic"], draft=False)
    markers = ["Item Total cost", "Year 1 (", "71400 Contractual services", "71600 Travel",
               "72100 Contractual services"]
    # A4 has 255 mm between its margins; the header and first rows need about 40 mm.
    for height in range(195, 235, 5):
        data = services.render_html(_pushed_down(html, '<section class="part part-budget"',
                                                 height))
        assert _lone_headers(data, markers) == [], height


def test_a_report_table_near_a_pages_foot_keeps_its_header_with_a_row(app):
    """The same for a financial report's table of totals by category, in Russian."""
    world = make_grant_world()
    grant = world.grant
    spend(grant, "1.1", "1234.56", "USD", date(2027, 4, 1), "U-1")
    report_format = FORMATS["unido"]
    html = grants.report_html(grant, grant.periods[0], language="ru",
                              report_format=report_format, draft=True)
    markers = [str(report_format.headings["category"])]
    # A4 landscape has 178 mm between its margins.
    for height in range(138, 162, 6):
        data = services.render_html(_pushed_down(html, '<section class="report-categories">',
                                                 height))
        assert _lone_headers(data, markers) == [], height
