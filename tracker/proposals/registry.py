"""The donor templates a proposal can be printed with, and which donor uses which.

Adding a donor's template: write templates/proposals/<name>.html (extending
proposals/document.html and overriding its blocks) and add one DonorTemplate below.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

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
    DonorTemplate("undp", _l("UNDP"), "proposals/undp.html", ("undp",)),
    DonorTemplate("unido", _l("UNIDO"), "proposals/unido.html", ("unido",)),
    DonorTemplate("special_programme", _l("UNEP Special Programme"),
                  "proposals/special_programme.html",
                  ("unep-special-programme", "unep-sp", "special-programme")),
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
