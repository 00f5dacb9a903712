"""Forms of the money area: one exchange rate, the rates filter, a CSV upload of rates."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from tracker.forms import CurrencySelect, DecimalInput, PlausibleDate
from tracker.money.services import MAX_SOURCE_LENGTH


class RateForm(FlaskForm):
    """A dated exchange rate: one unit of the base currency buys `rate` units of the quote."""

    on_date = PlausibleDate(_l("Date"), default=date.today,
                        validators=[InputRequired(_l("Give the date of the rate."))])
    base = CurrencySelect(_l("One unit of"), default="USD")
    quote = CurrencySelect(_l("Buys this many units of"), default="RUB")
    rate = DecimalInput(
        _l("Rate"),
        validators=[InputRequired(_l("Give the rate, e.g. 91.2345."))],
        description=_l("As many decimals as the source gives, e.g. 91.2345 or 0,010962."),
    )
    source = StringField(
        _l("Source"),
        validators=[InputRequired(_l("Say where the rate comes from (e.g. ECB, central bank).")),
                    Length(max=MAX_SOURCE_LENGTH)],
        description=_l("For example ECB, Central Bank of Russia, National Bank of Kazakhstan."),
    )


class RateFilterForm(FlaskForm):
    """Which rates to list: one currency (on either side) and a date range, all optional."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    currency = CurrencySelect(_l("Currency"), default="", blank=_l("Any currency"))
    date_from = PlausibleDate(_l("From"), validators=[Optional()])
    date_to = PlausibleDate(_l("To"), validators=[Optional()])

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date cannot be before the start date."))

    def valid_filters(self) -> dict[str, Any]:
        """The filters that passed validation (a bad one is shown and ignored)."""
        return {name: self[name].data for name in ("currency", "date_from", "date_to")
                if self[name].data and not self[name].errors}


class RatesImportForm(FlaskForm):
    """A CSV file of rates with the header date,base,quote,rate,source."""

    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file to upload.")),
                    FileAllowed(["csv", "txt"],
                                _l("Upload a .csv file (comma-separated values, UTF-8)."))],
    )
