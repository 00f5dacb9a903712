"""The reminder preference on the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length


def strip(value: str | None) -> str:
    return (value or "").strip()


class ReminderDaysForm(FlaskForm):
    """Days ahead of a deadline to be reminded on; empty for none (the service checks it)."""

    days = StringField(_l("Remind me this many days ahead"), filters=[strip],
                       validators=[Length(max=60)],
                       description=_l("Days separated by commas, e.g. 14,7,1; "
                                      "leave empty for no deadline reminders."))
