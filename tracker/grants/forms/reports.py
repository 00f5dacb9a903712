"""The form that keeps a financial report as final: its language and the donor's format."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from tracker.grants.models import Grant
from tracker.grants.services import format_choices, format_for
from tracker.i18n import LANGUAGE_NAMES, LANGUAGES, current_language


class KeepReportForm(FlaskForm):
    """Keep a final report: the language and format default to the screen's and the donor's."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST

    language = SelectField(_l("Language of the report"), validators=[Optional()],
                           invalid_choice_message=_l("Choose English or Russian."))
    report_format = SelectField(_l("Donor's format"), validators=[Optional()],
                                invalid_choice_message=_l("Choose a format from the list."))

    def __init__(self, *args: Any, grant: Grant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
        self.report_format.choices = format_choices()
        if not self.language.data:
            self.language.data = current_language()
        if not self.report_format.data:
            self.report_format.data = format_for(grant.application).name
