"""Form pieces shared by every area: money amounts, dates, currencies, countries, domain errors,
and the list of a failed form's errors that its summary shows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, partial
from typing import Any, ClassVar

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import current_app, g, has_app_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import Select, and_, func, select, union
from wtforms import DateField, Field, FieldList, FormField, SelectField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from tracker.dates import EARLIEST, LATEST, date_order_problem, date_problem, latest_past_day
from tracker.db import Base
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.fragments import kept, kept_store
from tracker.i18n import country_choices, currency_name, current_language
from tracker.money.amounts import amount_problem
from tracker.money.iso4217 import MINOR_UNITS, REGIONAL
from tracker.slugs import MAX_SLUG_LENGTH, slug_problem
from tracker.versions import CURRENCIES, CURRENCY_COLUMNS, version_key

# The largest id a table holds (a 32-bit integer on PostgreSQL), and so the largest
# number a URL, a page number or a hidden field may name.
MAX_ID = 2**31 - 1
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,10}")
# The app's kept currency list: (the version it was worked out for, the codes).
KEPT_CURRENCIES = "tracker.coalition_currencies"
# The currency selects' rendered options (CurrencySelect): two languages, a few offers each.
KEPT_CURRENCY_OPTIONS = "tracker.currency_options"
KEPT_CURRENCY_OPTIONS_SIZE = 64
# How WTForms writes an option, and the selected one: its attributes in sorted order.
OPTION, SELECTED_OPTION = "<option ", "<option selected "


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


# Digits grouped by thousands with commas ("1,234,567"): how English writes a number.
COMMA_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
NO_BREAK_SPACE = "\u00a0"


def parse_decimal(text: str, language: str | None = None) -> Decimal:
    """Read a number as people write it in either language; raise ValueError otherwise.

    Spaces (plain, no-break, thin) group digits in Russian ("1 234,50"); commas group them in
    English ("1,234.50"). With both a comma and a point, the last one is the decimal mark.
    A lone comma is a decimal comma ("1,5"), except in English when it groups thousands
    ("5,000"). So whatever format_decimal_input shows is read back as the same number.
    """
    language = language or current_language()
    cleaned = "".join(text.split()).replace(NO_BREAK_SPACE, "").replace("\u202f", "")
    if "," in cleaned and "." in cleaned:
        mark = "," if cleaned.rindex(",") > cleaned.rindex(".") else "."
        group = "." if mark == "," else ","
        whole, _sep, fraction = cleaned.rpartition(mark)
        if group in fraction or mark in whole:
            raise ValueError(text)
        cleaned = whole.replace(group, "") + "." + fraction
    elif "," in cleaned:
        if COMMA_GROUPED.fullmatch(cleaned) and (language == "en" or cleaned.count(",") > 1):
            cleaned = cleaned.replace(",", "")
        elif cleaned.count(",") == 1:
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


def format_decimal_input(value: Decimal, language: str | None = None) -> str:
    """A number as the user's language writes it, for an input to show ("5 000,00", "5,000.00").

    Every decimal place the value carries is kept (an amount's cents, a rate's digits);
    parse_decimal reads the text back as the same number.
    """
    language = language or current_language()
    text = format(value, "f")
    sign = "-" if text.startswith("-") else ""
    whole, _point, fraction = text.lstrip("-").partition(".")
    group = get_group_symbol(language)
    groups: list[str] = []
    while len(whole) > 3:
        whole, tail = whole[:-3], whole[-3:]
        groups.insert(0, tail)
    grouped = group.join([whole, *groups])
    return sign + grouped + (get_decimal_symbol(language) + fraction if fraction else "")


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
        return "" if self.data is None else format_decimal_input(self.data)


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


@cache  # A constant statement: building its recursive CTE cost more than running it.
def rate_pairs() -> Select[tuple[str, str]]:
    """The distinct (base, quote) pairs of the exchange rates, read from their unique index
    one pair at a time (the next quote of the same base, else the first of the next base):
    a few hundred index probes however many years of daily rates are stored, where a
    DISTINCT over every rate took 30 ms at 43,000 rates on PostgreSQL and kept growing."""
    rates = Base.metadata.tables["exchange_rate"]

    def probe(column: str, last: Any, same_base: bool) -> Any:
        other = rates.alias()
        after = (and_(other.c.base == last.c.base, other.c.quote > last.c.quote) if same_base
                 else other.c.base > last.c.base)
        return (select(other.c[column]).where(after).order_by(other.c.base, other.c.quote)
                .limit(1).scalar_subquery())

    first = (select(rates.c.base, rates.c.quote).order_by(rates.c.base, rates.c.quote).limit(1)
             .subquery())
    pairs = select(first.c.base, first.c.quote).cte("rate_pairs", recursive=True)
    pairs = pairs.union_all(
        select(func.coalesce(probe("base", pairs, True), probe("base", pairs, False)),
               func.coalesce(probe("quote", pairs, True), probe("quote", pairs, False)))
        .where(pairs.c.base.is_not(None)))
    return select(pairs.c.base, pairs.c.quote).where(pairs.c.base.is_not(None))


def coalition_currencies() -> list[str]:
    """The currencies the coalition uses (its drives, targets, applications, grants and rates),
    the region's usual order first; the region's own list while nothing is recorded yet.

    Worked out once a process for each version of the currencies in use (tracker.versions),
    which every write that may change them bumps: a request reads that one row, once.
    """
    if has_app_context() and "coalition_currencies" in g:
        return list(g.coalition_currencies)
    # The version first, then the list: the list is then at least as new as the version.
    version = version_key(CURRENCIES)
    kept: tuple[Any, tuple[str, ...]] | None = current_app.extensions.get(KEPT_CURRENCIES)
    if version is not None and kept is not None and kept[0] == version:
        codes = kept[1]
    else:
        codes = tuple(_currencies_in_use())
        if version is not None:  # no version (none stored): worked out for this request only
            current_app.extensions[KEPT_CURRENCIES] = (version, codes)
    g.coalition_currencies = codes
    return list(codes)


def _currencies_in_use() -> list[str]:
    """The coalition's currencies as the database holds them now (a union of the currency
    columns and the rates' pairs)."""
    tables = Base.metadata.tables
    query = union(*(select(tables[table].c[column].label("code"))
                    for table, column in CURRENCY_COLUMNS))
    pairs = db.session.execute(rate_pairs()).all()
    found = [*db.session.scalars(query), *(code for pair in pairs for code in pair)]
    used = {code for code in found if code in MINOR_UNITS}
    order = {code: index for index, code in enumerate(REGIONAL)}
    return sorted(used, key=lambda code: (order.get(code, len(order)), code)) or list(REGIONAL)


def currency_label(code: str, language: str | None = None) -> str:
    """How a currency is named in a list: 'RUB — Russian Ruble', 'RUB — российский рубль'."""
    return currency_labels(language or current_language())[code]


@cache
def currency_labels(language: str) -> dict[str, str]:
    """Every ISO 4217 currency's label in a language, worked out once (Babel is slow at it)."""
    return {code: f"{code} — {currency_name(code, language)}" for code in MINOR_UNITS}


def currency_choice_list(only: Iterable[str] | None = None, *, blank: str | None = None,
                         language: str | None = None) -> list[SelectChoice]:
    """Currencies for a select: the coalition's first, then every other ISO 4217 currency
    (or only those of `only` that are known), named in the user's language; `blank` names
    an empty first choice ("Any currency")."""
    labels = currency_labels(language or current_language())
    allowed = set(MINOR_UNITS) if only is None else set(only) & set(MINOR_UNITS)
    own = [code for code in coalition_currencies() if code in allowed]
    rest = sorted(allowed - set(own))
    own_group, rest_group = str(_("Coalition currencies")), str(_("Other currencies"))
    return [
        *([SelectChoice("", str(blank))] if blank is not None else []),
        *(SelectChoice(code, labels[code], optgroup=own_group) for code in own),
        *(SelectChoice(code, labels[code], optgroup=rest_group) for code in rest),
    ]


@dataclass(frozen=True)
class _SelectTag:
    """What WTForms' Select widget reads of a field to write its tag, with no options: it
    renders "<select …></select>" exactly as it would for the field. (A WTForms that reads
    more would fail tests/test_currency_select.py, which compares with its rendering.)"""

    id: str
    name: str
    flags: Any

    def has_groups(self) -> bool:
        """No option groups (there are no options)."""
        return False

    def _iter_choices_normalized(self) -> Iterator[Any]:
        """No options."""
        return iter(())


def with_selected(options: str, value: Any) -> str:
    """The options with the one whose value is `value` marked selected as WTForms marks it;
    unchanged when no option has that value (WTForms then selects nothing either)."""
    if not isinstance(value, str):
        return options
    at = options.find(f"{OPTION}{widgets.html_params(value=value)}>")
    if at < 0:
        return options
    return options[:at] + SELECTED_OPTION + options[at + len(OPTION):]


class KeptOptionsSelect(widgets.Select):
    """WTForms' Select widget for a CurrencySelect, its options rendered once a process for
    each key the field gives (issue 15: 170 options were a quarter of a form page's time).

    The tag is WTForms' own, for this call's attributes; the options are WTForms' rendering
    kept with none selected, and the field's value is marked on them for each request.
    Values and labels are escaped in the options, so an option's tag occurs nowhere else.
    """

    def __call__(self, field: CurrencySelect, **kwargs: Any) -> Markup:
        store = kept_store(KEPT_CURRENCY_OPTIONS, KEPT_CURRENCY_OPTIONS_SIZE)
        options = kept(store, field.options_key, partial(self.unselected_options, field))
        tag = str(super().__call__(_SelectTag(field.id, field.name, field.flags), **kwargs))
        end = tag.rindex("</")
        return Markup(tag[:end] + with_selected(options, field.data) + tag[end:])

    def unselected_options(self, field: CurrencySelect) -> str:
        """The field's options as WTForms renders them, with none selected."""
        html = str(super().__call__(field))
        options = html[html.index(">") + 1:html.rindex("</")]  # no ">" in escaped attributes
        return options.replace(SELECTED_OPTION, OPTION, 1)


class CurrencySelect(SelectField):
    """An ISO 4217 currency, the coalition's own first, named in the user's language.

    `offer(codes)` narrows the list (the public pledge form offers a few); `blank` adds an
    empty first choice, which is then valid. The template adds a filter box above the list
    (templates/_forms.html, static/js/forms.js). The options are rendered once a process
    (KeptOptionsSelect).
    """

    widget = KeptOptionsSelect()

    def __init__(self, *args: Any, blank: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blank = blank
        self.offer(None)

    def offer(self, codes: Iterable[str] | None) -> None:
        """Offer only these currencies (in the usual order); None offers every one."""
        only = None if codes is None else list(codes)
        self._only = only
        # Built when the list is shown: a valid post is checked against ISO 4217 alone and
        # never asks which currencies the coalition uses (two queries, 20 ms on a write).
        self.choices = lambda: currency_choice_list(only, blank=self.blank)

    def options_key(self) -> tuple[Any, ...]:
        """Everything the options are made of, as currency_choice_list reads it: the language
        (names, group labels), the coalition's currencies (kept per stored version, so
        never stale), the currencies offered (a set: their order is the usual one anyway)
        and the blank choice's label."""
        only = None if self._only is None else tuple(sorted(set(self._only)))
        blank = None if self.blank is None else str(self.blank)
        return current_language(), tuple(coalition_currencies()), only, blank

    @property
    def offered(self) -> set[str]:
        """The values the select lists ('' too when it has a blank choice)."""
        if not self._choices_stale:
            # Type check: the stubs allow a callable; once built, the list is SelectChoices.
            return {choice.value for choice in self.choices}  # type: ignore[attr-defined]
        codes = set(MINOR_UNITS) if self._only is None else set(self._only) & set(MINOR_UNITS)
        return codes | ({""} if self.blank is not None else set())

    def pre_validate(self, form: Any) -> None:
        if self.data not in self.offered:
            raise ValidationError(_l("Choose a known currency (ISO 4217 code)."))


def cleaned_slug(value: Any) -> Any:
    """Slugs are lowercase; accept ' Eco-Accord ' as 'eco-accord'."""
    return value.strip().lower() if isinstance(value, str) else value


class SlugField(StringField):
    """A record's short name in web addresses: optional (left blank, the service makes it from
    the titles, tracker/slugs.py), checked when typed.

    `kind` names the records it must be unique among and `sources` the title fields it is
    made from; with them the page's script shows the slug the server would make as the
    person types a title (core.suggest_slug). `current_id` is the record being edited.
    `clash` is the domain's refusal of a slug another record has (its service asks the
    same), so that a taken slug is reported in the same round as the form's other errors.
    """

    def __init__(self, label: Any, *, kind: str, sources: Sequence[str],
                 clash: Callable[[str, int | None], str | None] | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("filters", [cleaned_slug])
        kwargs.setdefault("validators", [Length(max=MAX_SLUG_LENGTH)])
        super().__init__(label, **kwargs)
        self.kind = kind
        self.sources = tuple(sources)
        self.clash = clash
        self.current_id: int | None = None

    def __call__(self, **kwargs: Any) -> Any:
        prefix = self.name[:len(self.name) - len(self.short_name)]
        kwargs.setdefault("data-slug-from", " ".join(prefix + name for name in self.sources))
        kwargs.setdefault("data-slug-url", url_for("core.suggest_slug", kind=self.kind,
                                                   current=self.current_id))
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("spellcheck", "false")
        return super().__call__(**kwargs)

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        if validation_stopped or not self.data or self.errors:
            return
        problem = slug_problem(self.data)
        if problem is None and self.clash is not None:
            problem = self.clash(self.data, self.current_id)
        if problem:
            self.errors.append(problem)


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


class CheckedForm(FlaskForm):
    """A form whose checks across fields run even when other fields failed, so that a person
    sees every problem in one round.

    `date_order` names (start, end) pairs of date fields; `cross_field_problems` yields
    (field name, message) for a form's other rules, reading only fields that are valid.
    """

    date_order: ClassVar[Sequence[tuple[str, str]]] = ()

    def cross_field_problems(self) -> Iterator[tuple[str, str]]:
        """(field name, message) for each rule across fields that the values break."""
        return iter(())

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        problems = list(self.cross_field_problems())
        for start, end in self.date_order:
            first, last = self[start], self[end]
            if first.errors or last.errors:
                continue
            problem = date_order_problem(first.data, last.data)
            if problem:
                problems.append((end, problem))
        for name, message in problems:
            field = self[name]
            if message not in field.errors:
                field.errors = [*field.errors, message]
            valid = False
        return valid


def both_blank(first: Field, second: Field) -> bool:
    """True when two text fields (a title in English and in Russian) passed their own checks
    and both are empty: the rule 'give it in at least one language' is broken."""
    if first.errors or second.errors:
        return False
    return not ((first.data or "").strip() or (second.data or "").strip())


@dataclass(frozen=True)
class FormProblem:
    """One line of a failed form's error summary: the message and the field it links to."""

    message: str
    anchor: str | None = None
    label: str = ""


HIDDEN_TYPES = {"HiddenField", "CSRFTokenField", "SubmissionKeyField"}


def _field_problems(field: Field) -> Iterator[FormProblem]:
    if isinstance(field, FieldList):
        first = next(iter(field.entries), None)
        anchor = _first_input_id(first) if first is not None else None
        for error in field.errors:
            if _is_message(error):  # the list's own; its rows' errors come below
                yield FormProblem(str(error), anchor, str(field.label.text))
        for entry in field.entries:
            yield from _field_problems(entry)
        return
    if isinstance(field, FormField):
        for sub in field.form:
            yield from _field_problems(sub)
        for error in field.form.form_errors:
            yield FormProblem(str(error), _first_input_id(field), str(field.label.text))
        return
    anchor = None if field.type in HIDDEN_TYPES else field.id
    for error in field.errors:
        if _is_message(error):
            yield FormProblem(str(error), anchor, "" if anchor is None else str(field.label.text))


def _is_message(error: object) -> bool:
    """A message (a string or a lazy one), not a list or dict of a sub-form's errors."""
    return not isinstance(error, (list, dict))


def _first_input_id(field: Field) -> str | None:
    if isinstance(field, FormField):
        return next((sub.id for sub in field.form if sub.type not in HIDDEN_TYPES), None)
    if isinstance(field, FieldList):
        first = next(iter(field.entries), None)
        return _first_input_id(first) if first is not None else None
    return field.id


def form_problems(form: FlaskForm) -> list[FormProblem]:
    """Every error of a form, the form's own first, then each field's in the fields' order."""
    problems = [FormProblem(str(error)) for error in form.form_errors]
    for field in form:
        problems.extend(_field_problems(field))
    return problems
