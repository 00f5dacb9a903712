"""The donors' formats of a financial report: one template, each donor's own wording.

A format names the donor's scheme of categories (tracker.applications.budget_categories,
whose labels and order it uses), the report's title, the headings of its columns and
parts, and how a line is numbered: the grant's own code (`1.1`), or UNIDO's budget-line
numbering (the category's two digits and the line's place in it: `17-01`). The donors'
slugs that pick a format are the schemes' (as the proposal templates' are), so a grant
is reported in its donor's format unless another is asked for.

Adding a donor's format: add one ReportFormat below with its headings; the template
(templates/grants/report.html) and the workbook read everything from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from tracker.applications.budget_categories import (
    GENERIC,
    SPECIAL_PROGRAMME,
    UNDP,
    UNIDO,
    DonorScheme,
)
from tracker.applications.models import Application

# The columns and parts of every report, worded as a donor that asks for nothing special
# would read them; each format overrides the ones its donor words differently.
DEFAULT_HEADINGS: dict[str, object] = {
    "title": _l("Financial report"),
    "cover": _l("Report details"),
    "summary": _l("Budget against actual by budget line"),
    "code": _l("Code"),
    "description": _l("Description"),
    "category": _l("Budget category"),
    "partner": _l("Partner"),
    "country": _l("Country"),
    "approved": _l("Approved budget"),
    "in_period": _l("Spent in the period"),
    "to_date": _l("Spent to date"),
    "remaining": _l("Remaining"),
    "used": _l("Share used (%)"),
    "variance": _l("Variance"),
    "subtotal": _l("Subtotal"),
    "total": _l("Grand total"),
    "by_category": _l("Totals by budget category"),
    "by_partner": _l("Totals by partner"),
    "by_country": _l("Totals by country"),
    "expenditures": _l("Expenditures approved in the period"),
    "date": _l("Date"),
    "document": _l("Document"),
    "original": _l("Original amount"),
    "rate": _l("Rate"),
    "converted": _l("Amount in the grant's currency"),
    "flexibility": _l("Overspent beyond the flexibility"),
    "time": _l("Time and spending"),
}


@dataclass(frozen=True)
class ReportFormat:
    """A donor's financial report: its scheme, wording and numbering of lines."""

    name: str
    label: object
    scheme: DonorScheme
    headings: Mapping[str, object] = field(default_factory=dict)
    # "code": the grant's own line codes; "unido": UNIDO's budget-line numbers.
    numbering: str = "code"

    @property
    def donor_slugs(self) -> tuple[str, ...]:
        return self.scheme.donor_slugs

    def heading(self, key: str) -> str:
        """The heading in the current language: the donor's own, else the default."""
        return str(self.headings.get(key, DEFAULT_HEADINGS[key]))

    def all_headings(self) -> dict[str, str]:
        return {key: self.heading(key) for key in DEFAULT_HEADINGS}


GENERIC_FORMAT = ReportFormat("generic", _l("Generic report"), GENERIC)

FORMATS: dict[str, ReportFormat] = {report_format.name: report_format for report_format in (
    GENERIC_FORMAT,
    # Laid out like UNDP's Combined Delivery Report: Atlas accounts, budget, expenditure,
    # balance and delivery.
    ReportFormat("undp", _l("UNDP"), UNDP, {
        "title": _l("Combined Delivery Report"),
        "summary": _l("Delivery by Atlas account and budget line"),
        "category": _l("Atlas account"),
        "approved": _l("Budget"),
        "in_period": _l("Expenditure in the period"),
        "to_date": _l("Cumulative expenditure"),
        "remaining": _l("Balance"),
        "used": _l("Delivery (%)"),
        "subtotal": _l("Total for the account"),
        "by_category": _l("Delivery by Atlas account"),
    }),
    # UNIDO's statement of expenditure: budget lines numbered within their line group.
    ReportFormat("unido", _l("UNIDO"), UNIDO, {
        "title": _l("Statement of expenditure"),
        "summary": _l("Expenditure by budget line"),
        "code": _l("Budget line"),
        "category": _l("Budget line group"),
        "approved": _l("Approved allotment"),
        "in_period": _l("Disbursed in the period"),
        "to_date": _l("Cumulative disbursements"),
        "remaining": _l("Unspent balance"),
        "used": _l("Implementation rate (%)"),
        "subtotal": _l("Total for the budget line group"),
        "by_category": _l("Totals by budget line group"),
    }, numbering="unido"),
    # The Special Programme's financial report uses the UN harmonised categories.
    ReportFormat("special_programme", _l("UNEP Special Programme"), SPECIAL_PROGRAMME, {
        "title": _l("Financial report to the Special Programme"),
        "summary": _l("Expenditure by UN budget category and budget line"),
        "category": _l("UN budget category"),
        "in_period": _l("Expenditure in the reporting period"),
        "to_date": _l("Cumulative expenditure"),
        "remaining": _l("Balance"),
        "used": _l("Spent (%)"),
        "by_category": _l("Totals by UN budget category"),
    }),
)}


def find_format(name: str) -> ReportFormat | None:
    """The format with this name, or None."""
    return FORMATS.get(name)


def format_for(application: Application) -> ReportFormat:
    """The donor's own format if there is one, else the generic one."""
    slug = application.donor.slug
    for report_format in FORMATS.values():
        if report_format is not GENERIC_FORMAT and slug in report_format.donor_slugs:
            return report_format
    return GENERIC_FORMAT


def format_choices() -> list[tuple[str, str]]:
    """(name, label) of every format, for a select."""
    return [(report_format.name, str(report_format.label))
            for report_format in FORMATS.values()]
