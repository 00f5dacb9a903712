"""The forms of an expenditure import: the file with its column mapping, and the confirmation.

The app keeps nothing between requests, and an expenditure file is small (at most
EXPENDITURE_IMPORT_MAX_BYTES), so the previewed file travels back with the confirmation:
signed with the app's secret key (and compressed), so that what is confirmed is exactly
the file that was previewed, for this grant, with this mapping. The import checks it
again in full before it writes anything.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from itsdangerous import BadData, URLSafeSerializer
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from tracker.grants.imports import FIELDS
from tracker.orgs.forms import strip
from tracker.submissions import SubmittedOnce

MAX_COLUMN_NAME_LENGTH = 100
KEPT_SALT = "grants.import-expenditures"


def _column(label: Any) -> StringField:
    return StringField(label, filters=[strip], validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])


class ExpenditureImportForm(FlaskForm):
    """A file of expenditures (CSV or XLSX) and, for other programs' exports, its columns."""

    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Choose a CSV or XLSX file to upload.")),
                    FileAllowed(["csv", "txt", "xlsx"],
                                _l("Upload a .csv file (UTF-8) or an Excel .xlsx workbook."))],
    )
    column_date = _column(_l("Column of the date"))
    column_line = _column(_l("Column of the budget line's code"))
    column_partner = _column(_l("Column of the partner's short name"))
    column_amount = _column(_l("Column of the amount"))
    column_currency = _column(_l("Column of the currency"))
    column_document = _column(_l("Column of the document number"))
    column_description = _column(_l("Column of the description"))

    @property
    def column_fields(self) -> list[Any]:
        """The mapping's inputs, in the order of the standard header."""
        return [self[f"column_{name}"] for name in FIELDS]

    def mapping(self) -> dict[str, str]:
        """Our field -> the file's header, for the columns given."""
        return {name: self[f"column_{name}"].data for name in FIELDS
                if self[f"column_{name}"].data}


@dataclass(frozen=True)
class KeptFile:
    """The previewed file as the confirmation carries it back."""

    filename: str
    content: bytes
    mapping: dict[str, str]


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=KEPT_SALT)


class ConfirmExpenditureImportForm(SubmittedOnce):
    """Confirm a previewed file: its signed copy comes back in `kept`."""

    kept = HiddenField()

    def keep(self, grant_id: int, kept: KeptFile) -> None:
        """Put the previewed file in the form, signed for this grant."""
        self.kept.data = _signer().dumps({
            "grant": grant_id, "name": kept.filename, "mapping": kept.mapping,
            "content": base64.b64encode(kept.content).decode("ascii")})

    def kept_file(self, grant_id: int) -> KeptFile | None:
        """The file this form carries back for this grant, or None (missing or altered)."""
        try:
            value = _signer().loads(self.kept.data or "")
        except BadData:
            return None
        if not isinstance(value, dict) or value.get("grant") != grant_id:
            return None
        return KeptFile(str(value["name"]), base64.b64decode(value["content"]),
                        dict(value["mapping"]))
