"""A pledge file's columns, and its cells read back as the export wrote them.

Reading the file (CSV or XLSX) and finding its columns is tracker.tabular's, shared with
the other imports; this module says which columns a pledge file has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.audit.export import FORMULA_STARTS
from tracker.csvfiles import FileRefused
from tracker.tabular import Columns, cell_text

PLEDGE_FIELDS = ("date", "name", "email", "amount", "currency", "reference")
# Optional: money already received (a platform's export of paid donations), the pledge's
# status (closing statuses are kept, the others follow from the payments) and whether the
# pledger stays anonymous although named. The export writes all of them.
PAYMENT_FIELDS = ("paid_amount", "paid_currency", "paid_on", "paid_method")
FIELDS = (*PLEDGE_FIELDS, *PAYMENT_FIELDS, "status", "anonymous")
REQUIRED = ("date", "amount", "currency", "reference")  # the others may be left out
STANDARD_HEADER = ",".join(PLEDGE_FIELDS)
FULL_HEADER = ",".join(FIELDS)
FIELD_NAMES = {
    "date": _l("date"),
    "name": _l("name"),
    "email": _l("e-mail"),
    "amount": _l("amount"),
    "currency": _l("currency"),
    "reference": _l("reference"),
    "paid_amount": _l("amount paid"),
    "paid_currency": _l("currency of the payment"),
    "paid_on": _l("payment date"),
    "paid_method": _l("payment method"),
    "status": _l("status"),
    "anonymous": _l("anonymous"),
}


class PledgeImportError(FileRefused):
    """A pledge file was refused as a whole; `rows` lists its bad rows (the first ones)."""


PLEDGE_COLUMNS = Columns(
    fields=FIELDS, required=REQUIRED, standard_header=STANDARD_HEADER, names=FIELD_NAMES,
    refuse=PledgeImportError,
    unknown_field=lambda field, fields: _("“%(field)s” is not a field of a pledge file; the "
                                          "fields are %(fields)s.", field=field, fields=fields))


def check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """A column mapping cleaned up: known fields only, each column used once."""
    return PLEDGE_COLUMNS.check_mapping(mapping)


def restored_text(value: Any) -> str:
    """A text cell as the export wrote it, without the quote that kept a formula inert.

    The export prefixes a quote to text a spreadsheet would run ('=...', '-5'); reading
    the file back takes it off again, so that a name or a reference round-trips.
    """
    text = cell_text(value)
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text
