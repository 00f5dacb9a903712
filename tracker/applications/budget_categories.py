"""Each donor's budget categories, and where the campaign's own categories go in them.

A donor scheme is the list a donor's budget form uses (UNDP's Atlas accounts, UNIDO's
budget lines, the UN harmonised categories of the Special Programme's form), with a
default mapping from the campaign's categories (tracker.targets.models.BudgetCategory),
used when lines are taken from the campaign's funding targets; the user may re-file a
line. The generic scheme is the campaign's own list. The donors' slugs that pick a
scheme live here too; the proposal templates (tracker.proposals.registry) read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from tracker.applications.models import Application
from tracker.targets.models import BudgetCategory

C = BudgetCategory


@dataclass(frozen=True)
class DonorScheme:
    """A donor's budget categories in its form's order, and the default mapping into them."""

    name: str
    categories: dict[str, object]  # code → lazy label, in the form's order
    mapping: dict[BudgetCategory, str]
    donor_slugs: tuple[str, ...] = field(default=())

    def label(self, code: str) -> str:
        """The category's label, or the code itself if the scheme no longer has it."""
        label = self.categories.get(code)
        return str(label) if label is not None else code

    def choices(self) -> list[tuple[str, str]]:
        return [(code, str(label)) for code, label in self.categories.items()]

    def order(self, code: str) -> int:
        codes = list(self.categories)
        return codes.index(code) if code in codes else len(codes)


GENERIC = DonorScheme(
    "generic",
    {category.value: category.labels()[category] for category in BudgetCategory},
    {category: category.value for category in BudgetCategory},
)

# UNDP's budget by Atlas account, as its project documents and CSO grant forms list it.
UNDP = DonorScheme("undp", {
    "71200": _l("71200 International consultants"),
    "71300": _l("71300 Local consultants"),
    "71400": _l("71400 Contractual services – individuals"),
    "71600": _l("71600 Travel"),
    "72100": _l("72100 Contractual services – companies"),
    "72200": _l("72200 Equipment and furniture"),
    "72300": _l("72300 Materials and goods"),
    "72600": _l("72600 Grants"),
    "74100": _l("74100 Professional services (audit)"),
    "74200": _l("74200 Audio-visual and print production"),
    "74500": _l("74500 General operating expenses"),
    "75700": _l("75700 Training, workshops and conferences"),
}, {
    C.STAFF: "71400", C.CONSULTANTS: "71300", C.TRAVEL: "71600", C.MEETINGS: "75700",
    C.EQUIPMENT: "72200", C.LAB_TESTING: "72100", C.PUBLICATIONS: "74200",
    C.COMMUNICATIONS: "74200", C.MONITORING: "72100", C.AUDIT: "74100",
    C.OVERHEAD: "74500",
}, ("undp",))

# UNIDO's budget lines (project document budget codes).
UNIDO = DonorScheme("unido", {
    "11-00": _l("11-00 International experts"),
    "15-00": _l("15-00 Project travel"),
    "17-00": _l("17-00 National experts"),
    "21-00": _l("21-00 Subcontracts"),
    "32-00": _l("32-00 Group training and meetings"),
    "45-00": _l("45-00 Equipment"),
    "51-00": _l("51-00 Miscellaneous"),
}, {
    C.STAFF: "17-00", C.CONSULTANTS: "17-00", C.TRAVEL: "15-00", C.MEETINGS: "32-00",
    C.EQUIPMENT: "45-00", C.LAB_TESTING: "21-00", C.PUBLICATIONS: "51-00",
    C.COMMUNICATIONS: "51-00", C.MONITORING: "21-00", C.AUDIT: "51-00", C.OVERHEAD: "51-00",
}, ("unido",))

# The UN harmonised budget categories, which the Special Programme's budget form uses.
SPECIAL_PROGRAMME = DonorScheme("special_programme", {
    "1": _l("1. Staff and other personnel costs"),
    "2": _l("2. Supplies, commodities, materials"),
    "3": _l("3. Equipment, vehicles and furniture"),
    "4": _l("4. Contractual services"),
    "5": _l("5. Travel"),
    "6": _l("6. Transfers and grants to counterparts"),
    "7": _l("7. General operating and other direct costs"),
}, {
    C.STAFF: "1", C.CONSULTANTS: "1", C.TRAVEL: "5", C.MEETINGS: "7", C.EQUIPMENT: "3",
    C.LAB_TESTING: "4", C.PUBLICATIONS: "4", C.COMMUNICATIONS: "4", C.MONITORING: "4",
    C.AUDIT: "4", C.OVERHEAD: "7",
}, ("unep-special-programme", "unep-sp", "special-programme"))

SCHEMES: dict[str, DonorScheme] = {scheme.name: scheme for scheme in (
    GENERIC, UNDP, UNIDO, SPECIAL_PROGRAMME)}


def scheme_for(application: Application) -> DonorScheme:
    """The donor's own scheme if it has one, else the campaign's categories."""
    slug = application.donor.slug
    for scheme in SCHEMES.values():
        if slug in scheme.donor_slugs:
            return scheme
    return GENERIC
