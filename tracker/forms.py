"""Form pieces shared by every area: money amounts, dates, currencies, countries, domain errors."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, SelectField, StringField
from wtforms.validators import ValidationError

from tracker.dates import EARLIEST, LATEST, date_problem, latest_past_day
from tracker.errors import DomainError
from tracker.i18n import country_choices, currency_choices
from tracker.money.amounts import amount_problem

# The largest id a table holds (a 32-bit integer on PostgreSQL), and so the largest
# number a URL, a page number or a hidden field may name.
MAX_ID = 2**31 - 1
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,10}")


def parse_whole_number(text: str) -> int:
    """A plain integer ('12', '-3') within ±MAX_ID; raise ValueError otherwise.

    Stricter than int(), which takes any Unicode digit ('١٢'), spaces, underscores and
    numbers no column holds; isdigit() even passes '²', which int() then refuses.
    """
    if not isinstance(text, str) or not WHOLE_NUMBER.fullmatch(text):
        raise ValueError(text)
    number = int(text)
    if abs(number) > MAX_ID:
        raise ValueError(text)
    return number


def optional_whole_number(value: Any) -> int | None:
    """A plain integer a form carried (see parse_whole_number), or None for anything else."""
    try:
        return parse_whole_number(str(value or "").strip())
    except ValueError:
        return None


def parse_decimal(text: str) -> Decimal:
    """Read '1 234,50', '1234.50' or '1\u00a0234,5' as a Decimal; raise ValueError otherwise."""
    cleaned = "".join(text.split()).replace("\u00a0", "").replace("\u202f", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if not cleaned or cleaned.count(".") > 1 or not all(ch in "0123456789.-+" for ch in cleaned):
        raise ValueError(text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


class DecimalInput(StringField):
    """A decimal typed the way people type it in either language ('1 234,50' or '1234.50')."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if valuelist and valuelist[0].strip():
            self.raw_text = valuelist[0]
            try:
                self.data = parse_decimal(valuelist[0])
            except ValueError:
                self.data = None
                raise ValueError(_l("Enter a number, e.g. 1500 or 1 500,50.")) from None

    @property
    def number(self) -> Decimal:
        """The number typed, for a required field of a form that has validated."""
        if self.data is None:
            raise ValueError(f"{self.name} holds no number; validate the form first")
        return self.data

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(self.data, "f")


class AmountInput(DecimalInput):
    """A money amount: positive (or zero where allowed), not absurd, not finer than the currency.

    The currency comes from a sibling field named by `currency_field`, or is fixed.
    """

    def __init__(self, *args: Any, currency_field: str | None = None,
                 currency: str | None = None, allow_zero: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency_field = currency_field
        self.currency = currency
        self.allow_zero = allow_zero

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        if validation_stopped or self.data is None or self.errors:
            return
        code = self.currency or (form[self.currency_field].data if self.currency_field else None)
        problem = amount_problem(self.data, code, allow_zero=self.allow_zero)
        if problem:
            self.errors.append(problem)


class PlausibleDate(DateField):
    """A date in the plausible range (tracker/dates.py); `past_only` for what already happened.

    The browser's date picker gets the same bounds; the server checks them in any case.
    """

    def __init__(self, *args: Any, past_only: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(*args, **kwargs)
        self.past_only = past_only

    def __call__(self, **kwargs: Any) -> Any:
        kwargs.setdefault("min", EARLIEST.isoformat())
        latest = latest_past_day() if self.past_only else LATEST
        kwargs.setdefault("max", latest.isoformat())
        return super().__call__(**kwargs)

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        if validation_stopped or self.data is None or self.errors:
            return
        problem = date_problem(self.data, past_only=self.past_only)
        if problem:
            self.errors.append(problem)


class CurrencySelect(SelectField):
    """Any ISO 4217 currency, the coalition's own first, named in the user's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = currency_choices()

    def pre_validate(self, form: Any) -> None:
        if self.data not in dict(currency_choices()):
            raise ValidationError(_l("Choose a known currency (ISO 4217 code)."))


class CountrySelect(SelectField):
    """An ISO 3166 country, named in the user's language; optional when `blank` is given."""

    def __init__(self, *args: Any, blank: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = ([("", blank)] if blank is not None else []) + country_choices()


def apply_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    field: Field | None = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
