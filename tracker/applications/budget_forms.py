"""Forms of an application's budget: a line with its split, and lines taken from the campaign."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from tracker.applications.budget_models import ApplicationBudgetLine, CofinancingSource
from tracker.applications.models import Application
from tracker.applications.services import (
    BudgetLineInput,
    CampaignLine,
    ShareInput,
    campaign_drives,
    other_applications,
    project_years,
    scheme_for,
)
from tracker.forms import AmountInput, CurrencySelect, DecimalInput, optional_whole_number
from tracker.i18n import country_name
from tracker.orgs.forms import strip
from tracker.orgs.services import organizations_by_name
from tracker.targets.models import BudgetUnit

SHARE_ROWS = 3


def _id_or_none(value: str | None) -> int | None:
    # The lists are not validated (a partner may have left since), so anything may come
    # back: what is not an id names nothing.
    return optional_whole_number(value)


class ShareForm(FlaskForm):
    """One source of a line's co-financing (a row of the line form)."""

    class Meta:
        csrf = False  # part of the line form, which carries the token

    source = SelectField(_l("Source"), choices=[], validate_choice=False)
    amount = DecimalInput(_l("Amount"), validators=[Optional()])
    drive_id = SelectField(_l("Crowdfunding drive"), choices=[], validate_choice=False)
    grant_id = SelectField(_l("Grant"), choices=[], validate_choice=False)
    partner_org_id = SelectField(_l("Partner"), choices=[], validate_choice=False)
    note = StringField(_l("Note"), filters=[strip], validators=[Length(max=200)])


class BudgetLineForm(FlaskForm):
    """A budget line: what, when, in which category, its costing and who pays what."""

    year = SelectField(_l("Project year"), validators=[InputRequired(_l("Choose a year."))])
    donor_category = SelectField(_l("Donor's budget category"),
                                 validators=[InputRequired(_l("Choose a category."))],
                                 invalid_choice_message=_l("Choose a category from the list."))
    description_en = StringField(_l("Description in English"), filters=[strip],
                                 validators=[Length(max=300)])
    description_ru = StringField(_l("Description in Russian"), filters=[strip],
                                 validators=[Length(max=300)])
    partner_org_id = SelectField(_l("Partner that spends it"), validate_choice=False)
    quantity = DecimalInput(_l("Quantity"), validators=[InputRequired(_l("Give the quantity."))])
    unit = SelectField(_l("Unit"), invalid_choice_message=_l("Choose a unit from the list."))
    unit_cost = AmountInput(_l("Unit cost"), currency_field="currency",
                            validators=[InputRequired(_l("Give the unit cost."))])
    currency = CurrencySelect(_l("Currency of the costing"))
    rate_date = DateField(_l("Convert at the rate of"), validators=[Optional()],
                          format="%Y-%m-%d",
                          description=_l("Only for a line in another currency than the "
                                         "application's; empty: today."))
    requested = AmountInput(_l("Requested from the donor"), validators=[Optional()],
                            description=_l("Empty: the total cost less the co-financing."))
    shares = FieldList(FormField(ShareForm), min_entries=SHARE_ROWS, max_entries=SHARE_ROWS)
    justification_en = TextAreaField(_l("Justification in English"), filters=[strip],
                                     validators=[Length(max=5000)], render_kw={"rows": 2})
    justification_ru = TextAreaField(_l("Justification in Russian"), filters=[strip],
                                     validators=[Length(max=5000)], render_kw={"rows": 2})

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        self.year.choices = [(str(year), str(year))
                             for year in range(1, project_years(application) + 1)]
        self.donor_category.choices = scheme_for(application).choices()
        partners = [("", _l("Nobody in particular")), *(
            (str(org.id), f"{org.name} ({country_name(org.country)})")
            for org in organizations_by_name())]
        self.partner_org_id.choices = partners
        self.unit.choices = BudgetUnit.choices()
        self.requested.currency = application.currency
        if not self.currency.data:
            self.currency.data = application.currency
        drives = [("", "—"), *((str(d.id), d.title) for d in campaign_drives(application))]
        grants = [("", "—"), *((str(a.id), f"{a.donor.name}: {a.title}")
                               for a in other_applications(application))]
        for row in self.shares:
            row.source.choices = [("", "—"), *CofinancingSource.choices()]
            row.amount.description = application.currency
            row.drive_id.choices = drives
            row.grant_id.choices = grants
            row.partner_org_id.choices = partners

    @classmethod
    def for_line(cls, line: ApplicationBudgetLine, application: Application) -> BudgetLineForm:
        """The form filled from a line (on POST, the submitted values win)."""
        shares = [{"source": share.source.value, "amount": share.amount.amount,
                   "drive_id": str(share.drive_id or ""), "grant_id": str(share.grant_id or ""),
                   "partner_org_id": str(share.partner_org_id or ""), "note": share.note}
                  for share in line.shares]
        return cls(application=application, data={
            "year": str(line.year), "donor_category": line.donor_category,
            "description_en": line.description_en, "description_ru": line.description_ru,
            "partner_org_id": str(line.partner_org_id or ""), "quantity": line.quantity,
            "unit": line.unit.value, "unit_cost": line.unit_cost.amount,
            "currency": line.currency, "rate_date": line.rate_on,
            # Left empty: the requested part follows the co-financing typed, unless given.
            "requested": None, "shares": shares,
            "justification_en": line.justification_en,
            "justification_ru": line.justification_ru,
        })

    def to_input(self, today: date | None = None) -> BudgetLineInput:
        shares = []
        for row in self.shares:
            if not row.source.data and row.amount.data is None:
                continue
            shares.append(ShareInput(
                # Type check: the form validated the amount as required.
                source=row.source.data or "", amount=row.amount.data,  # type: ignore[arg-type]
                drive_id=_id_or_none(row.drive_id.data), grant_id=_id_or_none(row.grant_id.data),
                partner_org_id=_id_or_none(row.partner_org_id.data), note=row.note.data or ""))
        return BudgetLineInput(
            year=int(self.year.data), donor_category=self.donor_category.data,
            quantity=self.quantity.data or Decimal(0),
            unit_cost=self.unit_cost.number,
            currency=self.currency.data, description_en=self.description_en.data or "",
            description_ru=self.description_ru.data or "", unit=BudgetUnit(self.unit.data),
            partner_org_id=_id_or_none(self.partner_org_id.data),
            justification_en=self.justification_en.data or "",
            justification_ru=self.justification_ru.data or "",
            requested=self.requested.data, shares=tuple(shares), rate_date=self.rate_date.data)


class TakeLinesForm(FlaskForm):
    """Which of the campaign's lines to copy into the budget."""

    lines = SelectMultipleField(_l("Lines"), coerce=int,
                                invalid_choice_message=_l("Choose lines from the list."))

    def __init__(self, *args: Any, offered: list[CampaignLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines.choices = [(item.line.id, item.line.description) for item in offered
                              if not item.taken]
