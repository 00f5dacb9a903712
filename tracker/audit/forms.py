"""The audit screen's filters: user, record type, UTC date range (a GET form, no CSRF)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField
from wtforms.validators import Optional, ValidationError

from tracker.audit import services
from tracker.audit.services import EventFilter
from tracker.forms import PlausibleDate, optional_whole_number

NO_USER = "system"


class AuditFilterForm(FlaskForm):
    """Narrow the trail down; every field is optional and kept in the page's address."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    actor = SelectField(_l("User"), default="", validate_choice=True,
                        invalid_choice_message=_l("Choose a user from the list."))
    record_type = SelectField(_l("Record type"), default="", validate_choice=True,
                              invalid_choice_message=_l("Choose a record type from the list."))
    date_from = PlausibleDate(_l("From"), validators=[Optional()])
    date_to = PlausibleDate(_l("To"), validators=[Optional()])
    record_id = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choices are read per request (in one statement): labels in the user's language,
        # users as recorded.
        actors, record_types = services.filter_choices()
        self.actor.choices = [
            ("", _l("Everyone")),
            (NO_USER, _l("System and command line")),
            *[(str(actor_id), label) for actor_id, label in actors],
        ]
        self.record_type.choices = [("", _l("All record types")), *record_types]

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date cannot be before the start date."))

    def to_filter(self) -> EventFilter:
        """The valid form's choices as the services' filter."""
        actor = self.actor.data or ""
        record_type = self.record_type.data or None
        return EventFilter(
            actor_id=optional_whole_number(actor),
            without_user=actor == NO_USER,
            record_type=record_type,
            record_id=(self.record_id.data or None) if record_type else None,
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )
