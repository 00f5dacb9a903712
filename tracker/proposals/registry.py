"""The donor templates a proposal can be printed with, and which donor uses which.

Adding a donor's template: write templates/proposals/<name>.html (extending
proposals/document.html and overriding its blocks) and add one DonorTemplate below.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from tracker.applications.budget_categories import SPECIAL_PROGRAMME, UNDP, UNIDO
from tracker.applications.models import Application


@dataclass(frozen=True)
class DonorTemplate:
    """A proposal layout: its name (in URLs and file names), label, file, and donors' slugs."""

    name: str
    label: object
    template: str
    donor_slugs: tuple[str, ...] = ()


GENERIC = DonorTemplate("generic", _l("Generic proposal"), "proposals/generic.html")

TEMPLATES: dict[str, DonorTemplate] = {template.name: template for template in (
    GENERIC,
    # A donor's template and its budget categories are picked by the same slugs.
    DonorTemplate("undp", _l("UNDP"), "proposals/undp.html", UNDP.donor_slugs),
    DonorTemplate("unido", _l("UNIDO"), "proposals/unido.html", UNIDO.donor_slugs),
    DonorTemplate("special_programme", _l("UNEP Special Programme"),
                  "proposals/special_programme.html", SPECIAL_PROGRAMME.donor_slugs),
)}


def find_template(name: str) -> DonorTemplate | None:
    """The template with this name, or None."""
    return TEMPLATES.get(name)


def template_for(application: Application) -> DonorTemplate:
    """The donor's own template if there is one, else the generic one."""
    slug = application.donor.slug
    for template in TEMPLATES.values():
        if slug in template.donor_slugs:
            return template
    return GENERIC


def template_choices() -> list[tuple[str, str]]:
    """(name, label) of every template, for a select."""
    return [(template.name, str(template.label)) for template in TEMPLATES.values()]
