"""Forms of the targets area: a funding target's period and currency, and its budget lines."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from tracker.forms import AmountInput, CheckedForm, CurrencySelect, DecimalInput, PlausibleDate
from tracker.i18n import country_name
from tracker.orgs.models import Organization
from tracker.targets.models import BudgetCategory, BudgetLine, BudgetUnit, FundingTarget
from tracker.targets.services import (
    MAX_DESCRIPTION_LENGTH,
    MAX_JUSTIFICATION_LENGTH,
    MAX_TITLE_LENGTH,
    BudgetLineInput,
    TargetInput,
)


class TargetForm(CheckedForm):
    """A funding target: the period it covers, its currency and an optional title."""

    date_order = (("starts_on", "ends_on"),)

    title_en = StringField(_l("Title in English"),
                           validators=[Optional(), Length(max=MAX_TITLE_LENGTH)],
                           description=_l("Optional: without a title the period is shown."))
    title_ru = StringField(_l("Title in Russian"),
                           validators=[Optional(), Length(max=MAX_TITLE_LENGTH)])
    starts_on = PlausibleDate(_l("Starts on"),
                          validators=[InputRequired(_l("Give the first day of the period."))])
    ends_on = PlausibleDate(_l("Ends on"),
                        validators=[InputRequired(_l("Give the last day of the period."))])
    currency = CurrencySelect(_l("Currency"), default="USD",
                              description=_l("Every budget line of the target is in this "
                                             "currency."))

    @classmethod
    def for_target(cls, target: FundingTarget) -> TargetForm:
        """The form filled with a target's current values (a POST overrides them)."""
        return cls(obj=target)

    def to_input(self) -> TargetInput:
        return TargetInput(
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            currency=self.currency.data,
            title_en=self.title_en.data or "",
            title_ru=self.title_ru.data or "",
        )


class BudgetLineForm(FlaskForm):
    """One budget line: what it pays for and why (en/ru), who spends it, quantity × unit cost."""

    category = SelectField(_l("Category"), choices=BudgetCategory.choices)
    # At least one language is required; the service says so next to the English field.
    description_en = StringField(_l("Description in English"),
                                 validators=[Optional(), Length(max=MAX_DESCRIPTION_LENGTH)])
    description_ru = StringField(_l("Description in Russian"),
                                 validators=[Optional(), Length(max=MAX_DESCRIPTION_LENGTH)])
    partner_org_id = SelectField(_l("Spent by"))
    quantity = DecimalInput(_l("Quantity"),
                            validators=[InputRequired(_l("Give the quantity, e.g. 3 or 2,5."))])
    # A closed list, so that proposals name the unit properly in English and in Russian.
    unit = SelectField(_l("Unit"), choices=BudgetUnit.choices, default=BudgetUnit.LUMP_SUM.value,
                       invalid_choice_message=_l("Choose a unit from the list."))
    unit_cost = AmountInput(_l("Unit cost"), allow_zero=True,
                            validators=[InputRequired(_l("Give the cost of one unit."))])
    justification_en = TextAreaField(_l("Justification in English"),
                                     validators=[Optional(), Length(max=MAX_JUSTIFICATION_LENGTH)])
    justification_ru = TextAreaField(_l("Justification in Russian"),
                                     validators=[Optional(), Length(max=MAX_JUSTIFICATION_LENGTH)])

    def __init__(self, *args: Any, currency: str, members: list[Organization],
                 others: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Amounts are typed in the target's currency, so its minor unit bounds the decimals.
        self.unit_cost.currency = currency
        self.unit_cost.description = _l("In %(currency)s.", currency=currency)
        choices = [SelectChoice("", str(_l("Not assigned yet")))]
        choices += [SelectChoice(str(org.id), _org_label(org), optgroup=str(_l("In the campaign")))
                    for org in members]
        choices += [SelectChoice(str(org.id), _org_label(org),
                                 optgroup=str(_l("Other organisations"))) for org in others]
        self.partner_org_id.choices = choices

    @classmethod
    def for_line(cls, line: BudgetLine, **kwargs: Any) -> BudgetLineForm:
        """The form filled with a line's current values (a POST overrides them)."""
        return cls(data={
            "category": line.category.value,
            "description_en": line.description_en,
            "description_ru": line.description_ru,
            "partner_org_id": str(line.partner_org_id or ""),
            "quantity": line.quantity.normalize(),
            "unit": line.unit.value,
            "unit_cost": line.unit_cost.amount,
            "justification_en": line.justification_en,
            "justification_ru": line.justification_ru,
        }, **kwargs)

    def to_input(self) -> BudgetLineInput:
        return BudgetLineInput(
            category=BudgetCategory(self.category.data),
            description_en=self.description_en.data or "",
            description_ru=self.description_ru.data or "",
            quantity=self.quantity.number,
            unit_cost=self.unit_cost.number,
            unit=BudgetUnit(self.unit.data),
            partner_org_id=int(self.partner_org_id.data) if self.partner_org_id.data else None,
            justification_en=self.justification_en.data or "",
            justification_ru=self.justification_ru.data or "",
        )


def _org_label(org: Organization) -> str:
    return f"{org.name} ({country_name(org.country)})"
