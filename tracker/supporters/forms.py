"""Forms of the supporters' data page: look a supporter up, erase their data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import InputRequired, Length

from tracker.auth.services import MAX_EMAIL_LENGTH
from tracker.orgs.forms import strip


class SupporterForm(FlaskForm):
    """The e-mail address a supporter gave with their pledges."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    email = StringField(_l("Supporter's e-mail address"), filters=[strip],
                        validators=[InputRequired(_l("Give the supporter's e-mail address.")),
                                    Length(max=MAX_EMAIL_LENGTH)])


class EraseForm(FlaskForm):
    """Erase a supporter's data: the address, and a tick that says this is meant."""

    email = HiddenField(filters=[strip],
                        validators=[InputRequired(_l("Give the supporter's e-mail address.")),
                                    Length(max=MAX_EMAIL_LENGTH)])
    confirm = BooleanField(
        _l("Yes: anonymise these pledges for good. Their amounts and payments stay."),
        validators=[InputRequired(_l("Tick the box to confirm the erasure."))])
