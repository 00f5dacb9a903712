"""Screens of grants: opening one from an award, its budget and revisions, spending and
receipts, imports, tranches to partners, budget against actual, and donor reports.

Each concern has its own module; they share the blueprint defined here.
"""

from __future__ import annotations

from flask import Blueprint, current_app
from flask_babel import lazy_gettext as _l

bp = Blueprint("grants", __name__, url_prefix="/grants")

# The grant page's sections in the order they are shown: (endpoint, label).
SECTIONS = (
    ("grants.show", _l("Overview")),
    ("grants.budget", _l("Budget")),
    ("grants.expenditures", _l("Spending")),
    ("grants.actual", _l("Budget against actual")),
    ("grants.transfers", _l("Transfers")),
    ("grants.reports", _l("Financial reports")),
)


@bp.app_template_global()
def grant_sections() -> list[tuple[str, object]]:
    """The grant sections whose screens exist, for the tabs on every grant page.

    A template global rather than a context variable, so that imported macros see it.
    """
    return [(endpoint, label) for endpoint, label in SECTIONS
            if endpoint in current_app.view_functions]


# The screens register themselves on bp when their modules are imported.
from tracker.grants.views import (  # noqa: E402
    actual,  # noqa: F401
    imports,  # noqa: F401
    opening,  # noqa: F401
    pages,  # noqa: F401
    reports,  # noqa: F401
    spending,  # noqa: F401
    transfers,  # noqa: F401
)
