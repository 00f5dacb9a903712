"""The tranche form: to which partner, how much in the grant's currency, when, what arrived."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from tracker.forms import AmountInput, CurrencySelect, PlausibleDate
from tracker.grants.models import Grant, Transfer
from tracker.grants.transfers import MAX_NOTE_LENGTH, TransferInput
from tracker.i18n import country_name
from tracker.money.value import Money
from tracker.orgs.forms import strip
from tracker.submissions import SubmittedOnce


class TransferForm(SubmittedOnce):
    """A tranche planned or sent; for a sent one, the amount received or just its currency."""

    partner_org_id = SelectField(
        _l("Partner"), invalid_choice_message=_l("Choose one of the grant's sub-grantees."))
    amount = AmountInput(_l("Amount"),
                         validators=[InputRequired(_l("Give the tranche's amount."))])
    planned_on = PlausibleDate(_l("Planned for"),
                               validators=[InputRequired(_l("Give the day it is planned for."))])
    sent_on = PlausibleDate(_l("Sent on"), validators=[Optional()],
                            description=_l("Leave empty while the tranche is only planned."))
    received = AmountInput(_l("Amount received"), currency_field="received_currency",
                           validators=[Optional()],
                           description=_l("What reached the partner, as its bank statement "
                                          "shows: the rate kept is received ÷ sent."))
    received_currency = CurrencySelect(
        _l("Currency received"), blank="—",
        description=_l("Alone, without the amount: the amount is converted by the rate of "
                       "the day it was sent."))
    note = TextAreaField(_l("Note"), filters=[strip],
                         validators=[Length(max=MAX_NOTE_LENGTH)])

    def __init__(self, *args: Any, grant: Grant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grant = grant
        self.transfer: Transfer | None = None
        self.amount.currency = grant.currency
        self.amount.description = _l("In the grant's currency, %(code)s.", code=grant.currency)
        self.partner_org_id.choices = [
            (str(partner.organization_id),
             f"{partner.organization.name} ({country_name(partner.organization.country)})")
            for partner in grant.partners]

    @classmethod
    def for_transfer(cls, transfer: Transfer, **kwargs: Any) -> TransferForm:
        """The form filled with a tranche's values (a POST overrides them).

        A tranche keeps its partner (its number counts within the partner's tranches):
        the edit form has no partner field.
        """
        form = cls(grant=transfer.grant, data={
            "amount": transfer.amount.amount, "planned_on": transfer.planned_on,
            "sent_on": transfer.sent_on,
            "received": transfer.received.amount if transfer.received else None,
            "received_currency": transfer.received_currency or "",
            "note": transfer.note,
        }, **kwargs)
        form.transfer = transfer
        del form["partner_org_id"]
        return form

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.received.data is not None and not self.received_currency.data:
            self.received_currency.errors = [
                *self.received_currency.errors,
                _l("Give the currency of the amount received.")]
            valid = False
        return valid

    def to_input(self) -> TransferInput:
        currency = self.received_currency.data or None
        received = (Money(self.received.data, currency)
                    if self.received.data is not None and currency else None)
        return TransferInput(
            partner_org_id=(self.transfer.partner_org_id if self.transfer is not None
                            else int(self.partner_org_id.data)),
            planned_on=self.planned_on.data,
            amount=Money(self.amount.number, self.grant.currency),
            sent_on=self.sent_on.data, received=received,
            received_currency=None if received is not None else currency,
            note=self.note.data or "")
