"""Forms of opening a grant, changing it, and revising its budget."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from tracker.applications.budget_categories import scheme_for
from tracker.forms import (
    AmountInput,
    CheckedForm,
    DecimalInput,
    PlausibleDate,
    optional_whole_number,
)
from tracker.grants.budget import MAX_CODE_LENGTH, MAX_REFERENCE_LENGTH
from tracker.grants.models import Grant, GrantStatus
from tracker.grants.services import (
    GrantInput,
    GrantUpdate,
    NewLineInput,
    OpeningDefaults,
    PeriodInput,
    RevisionInput,
    current_amounts,
)
from tracker.i18n import country_name
from tracker.money.value import Money
from tracker.orgs.forms import strip
from tracker.orgs.models import Organization
from tracker.orgs.services import organizations_by_name
from tracker.submissions import SubmittedOnce

NEW_LINE_ROWS = 3
EVERY_MONTHS = (1, 3, 4, 6, 12)


def _org_choices(organizations: list[Organization] | tuple[Organization, ...]
                 ) -> list[tuple[int, str]]:
    return [(org.id, f"{org.name} ({country_name(org.country)})") for org in organizations]


class OpenGrantForm(CheckedForm):
    """The agreement, its holder and sub-grantees, flexibility and reporting schedule."""

    date_order = (("starts_on", "ends_on"),)

    reference = StringField(_l("Agreement reference"), filters=[strip],
                            validators=[InputRequired(_l("Enter the agreement's reference.")),
                                        Length(max=MAX_REFERENCE_LENGTH)],
                            description=_l("As the donor's agreement names it, "
                                           "e.g. UNIDO-2027-014."))
    holder_org_id = SelectField(_l("Holder"), coerce=int,
                                invalid_choice_message=_l("Choose an organisation from the "
                                                          "list."),
                                description=_l("The organisation that signed the agreement "
                                               "and passes tranches on."))
    partner_org_ids = SelectMultipleField(
        _l("Sub-grantees"), coerce=int,
        invalid_choice_message=_l("Choose sub-grantees from the list."),
        description=_l("Partners named in the application's budget join in any case."))
    starts_on = PlausibleDate(_l("Starts on"),
                              validators=[InputRequired(_l("Give the grant's first day."))])
    ends_on = PlausibleDate(_l("Ends on"),
                            validators=[InputRequired(_l("Give the grant's last day."))])
    flexibility_percent = DecimalInput(
        _l("Budget flexibility (%)"),
        validators=[InputRequired(_l("Give the flexibility, e.g. 10."))],
        description=_l("The share by which a budget category may be overspent without the "
                       "donor's approval."))
    every_months = SelectField(_l("Reports every"), coerce=int, default=6,
                               invalid_choice_message=_l("Choose from the list."))
    due_after_days = IntegerField(
        _l("Reports due (days after each period ends)"), default=30,
        validators=[InputRequired(_l("Give a number of days, e.g. 30.")),
                    NumberRange(min=0, max=366, message=_l("From 0 to 366 days."))])

    def __init__(self, *args: Any, defaults: OpeningDefaults, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.holder_org_id.choices = _org_choices(organizations_by_name())
        self.partner_org_ids.choices = _org_choices(defaults.partner_choices)
        self.every_months.choices = [
            (months, ngettext("%(num)d month", "%(num)d months", months))
            for months in EVERY_MONTHS]

    @classmethod
    def prefilled(cls, defaults: OpeningDefaults) -> OpenGrantForm:
        """The form as the awarded application fills it (on POST, the submitted values win)."""
        return cls(defaults=defaults, data={
            "reference": "", "holder_org_id": defaults.holder_org_id,
            "partner_org_ids": list(defaults.partner_org_ids),
            "starts_on": defaults.starts_on, "ends_on": defaults.ends_on,
            "flexibility_percent": defaults.flexibility_percent.normalize(),
            "every_months": 6, "due_after_days": 30})

    def to_input(self, periods: tuple[PeriodInput, ...]) -> GrantInput:
        """The submitted values (and the schedule made from them) as the service's input."""
        return GrantInput(
            reference=self.reference.data or "", holder_org_id=self.holder_org_id.data,
            starts_on=self.starts_on.data, ends_on=self.ends_on.data,
            partner_org_ids=tuple(self.partner_org_ids.data or ()),
            flexibility_percent=self.flexibility_percent.number, periods=periods)


class EditGrantForm(FlaskForm):
    """A grant's reference, flexibility, sub-grantees and status."""

    reference = StringField(_l("Agreement reference"), filters=[strip],
                            validators=[InputRequired(_l("Enter the agreement's reference.")),
                                        Length(max=MAX_REFERENCE_LENGTH)])
    flexibility_percent = DecimalInput(
        _l("Budget flexibility (%)"),
        validators=[InputRequired(_l("Give the flexibility, e.g. 10."))])
    partner_org_ids = SelectMultipleField(
        _l("Sub-grantees"), coerce=int,
        invalid_choice_message=_l("Choose sub-grantees from the list."),
        description=_l("A sub-grantee with budget lines, expenditures or transfers cannot be "
                       "removed."))
    status = SelectField(_l("Status"), invalid_choice_message=_l("Choose from the list."))

    def __init__(self, *args: Any, grant: Grant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partner_org_ids.choices = _org_choices(
            [org for org in organizations_by_name() if org.id != grant.holder_org_id])
        self.status.choices = GrantStatus.choices()

    @classmethod
    def for_grant(cls, grant: Grant) -> EditGrantForm:
        """The form filled from the grant (on POST, the submitted values win)."""
        return cls(grant=grant, data={
            "reference": grant.reference,
            "flexibility_percent": grant.flexibility_percent.normalize(),
            "partner_org_ids": [partner.organization_id for partner in grant.partners],
            "status": grant.status.value})

    def to_input(self) -> GrantUpdate:
        return GrantUpdate(reference=self.reference.data or "",
                           flexibility_percent=self.flexibility_percent.number,
                           partner_org_ids=tuple(self.partner_org_ids.data or ()),
                           status=GrantStatus(self.status.data))


class LineAmountForm(FlaskForm):
    """A line's amount in the revised budget (a row of the revision form)."""

    class Meta:
        csrf = False  # part of the revision form, which carries the token

    code = HiddenField()
    amount = AmountInput(_l("Amount"), allow_zero=True,
                         validators=[InputRequired(_l("Give the line's amount (0 for none)."))])


class NewLineForm(FlaskForm):
    """A line the revision adds (a row of the revision form; a blank row adds nothing)."""

    class Meta:
        csrf = False

    code = StringField(_l("Code"), filters=[strip], validators=[Length(max=MAX_CODE_LENGTH)])
    donor_category = SelectField(_l("Donor category"), validate_choice=False)
    partner_org_id = SelectField(_l("Partner"), validate_choice=False)
    year = IntegerField(_l("Year"), default=1, validators=[
        Optional(), NumberRange(min=1, max=50, message=_l("From 1 to 50."))])
    description_en = StringField(_l("Description in English"), filters=[strip],
                                 validators=[Length(max=300)])
    description_ru = StringField(_l("Description in Russian"), filters=[strip],
                                 validators=[Length(max=300)])
    amount = AmountInput(_l("Amount"), allow_zero=True, validators=[Optional()])

    def is_blank(self) -> bool:
        return not (self.code.data or self.description_en.data or self.description_ru.data
                    or (self.amount.raw_data and self.amount.raw_data[0].strip()))


class ReviseBudgetForm(SubmittedOnce):
    """Every line's new amount, up to three new lines, and the donor's approval."""

    amounts = FieldList(FormField(LineAmountForm))
    new_lines = FieldList(FormField(NewLineForm), min_entries=NEW_LINE_ROWS,
                          max_entries=NEW_LINE_ROWS)
    approved_on = PlausibleDate(_l("Approved on"),
                                validators=[InputRequired(_l("Give the day the donor approved "
                                                             "the revision."))])
    donor_reference = StringField(_l("Donor's approval reference"), filters=[strip],
                                  validators=[Length(max=200)],
                                  description=_l("The donor's letter or e-mail that approved "
                                                 "it."))
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Length(max=2000)],
                         render_kw={"rows": 2})

    def __init__(self, *args: Any, grant: Grant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grant = grant
        codes = [line.code for line in grant.lines]
        # The rows follow the grant's lines, whatever was posted: a line is named by its code.
        while len(self.amounts.entries) < len(codes):
            self.amounts.append_entry()
        while len(self.amounts.entries) > len(codes):
            self.amounts.pop_entry()
        for row, code in zip(self.amounts.entries, codes, strict=True):
            row.form.code.data = code
            row.form.amount.currency = grant.currency
        categories = [("", "—"), *scheme_for(grant.application).choices()]
        names = {org.id: org for org in organizations_by_name()}
        partners = [("", "—"), *((str(org_id), f"{names[org_id].name} "
                                  f"({country_name(names[org_id].country)})")
                                 for org_id in sorted(grant.organisation_ids,
                                                      key=lambda i: names[i].name.casefold()))]
        for entry in self.new_lines.entries:
            entry.form.donor_category.choices = categories
            entry.form.partner_org_id.choices = partners
            entry.form.amount.currency = grant.currency

    @classmethod
    def for_grant(cls, grant: Grant) -> ReviseBudgetForm:
        """The form filled with the current version's amounts."""
        current = current_amounts(grant)
        return cls(grant=grant, data={"amounts": [
            {"code": line.code,
             "amount": Money.stored(current.get(line.id, 0), grant.currency).amount}
            for line in grant.lines]})

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for entry in self.new_lines.entries:
            row = entry.form
            if row.is_blank():
                continue
            for field, message in (
                    (row.code, _l("Give the new line's code, e.g. 2.3.")),
                    (row.donor_category, _l("Choose the donor's category.")),
                    (row.partner_org_id, _l("Choose who spends it.")),
                    (row.amount, _l("Give the new line's amount."))):
                if field.data in (None, "") and not field.errors:
                    field.errors = [*field.errors, message]
                    valid = False
        return valid

    def to_input(self) -> RevisionInput:
        currency = self.grant.currency
        amounts = {row.form.code.data: Money(row.form.amount.data or Decimal(0), currency).minor
                   for row in self.amounts.entries}
        new_lines = tuple(
            NewLineInput(code=row.code.data or "", donor_category=row.donor_category.data or "",
                         partner_org_id=optional_whole_number(row.partner_org_id.data) or 0,
                         amount_minor=Money(row.amount.data or Decimal(0), currency).minor,
                         description_en=row.description_en.data or "",
                         description_ru=row.description_ru.data or "",
                         year=row.year.data or 1)
            for row in (entry.form for entry in self.new_lines.entries) if not row.is_blank())
        return RevisionInput(
            approved_on=self.approved_on.data,
            amounts=amounts, new_lines=new_lines,
            donor_reference=self.donor_reference.data or "", note=self.note.data or "")
