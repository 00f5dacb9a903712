"""Forms of the spending screens: an expenditure with its receipt, and returning one."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from tracker.forms import AmountInput, CurrencySelect, DecimalInput, PlausibleDate
from tracker.grants.models import Expenditure, Grant, GrantLine
from tracker.grants.receipts import ReceiptFile, max_receipt_bytes
from tracker.grants.spending import (
    MAX_DESCRIPTION_LENGTH,
    MAX_DOCUMENT_LENGTH,
    MAX_REASON_LENGTH,
    ExpenditureInput,
)
from tracker.money.value import Money
from tracker.orgs.forms import strip
from tracker.submissions import SubmittedOnce


def line_label(line: GrantLine) -> str:
    """'1.1 — Campaign officer, Moldova (Eco-Moldova)': how a line is chosen from a list."""
    return f"{line.code} — {line.description} ({line.partner.name})"


class ExpenditureForm(SubmittedOnce):
    """An expenditure against one of the grant's lines, with its receipt."""

    line_code = SelectField(_l("Budget line"),
                            validators=[InputRequired(_l("Choose a line from the list."))],
                            invalid_choice_message=_l("Choose a line from the list."))
    spent_on = PlausibleDate(_l("Date"), validators=[InputRequired(_l("Give the date."))])
    amount = AmountInput(_l("Amount"), currency_field="currency",
                         validators=[InputRequired(_l("Give the amount spent."))])
    currency = CurrencySelect(_l("Currency"))
    bank_rate = DecimalInput(
        _l("Bank's rate"),
        description=_l("Optional: units of the grant's currency per unit of the amount's "
                       "currency, as the bank converted it. Without it, the rate of the "
                       "expenditure's date is used."))
    document_number = StringField(_l("Document number"), filters=[strip],
                                  validators=[Length(max=MAX_DOCUMENT_LENGTH)],
                                  description=_l("An invoice or receipt number; used once "
                                                 "per partner in a grant."))
    description = TextAreaField(_l("Description"), filters=[strip],
                                validators=[Length(max=MAX_DESCRIPTION_LENGTH)])
    receipt = FileField(_l("Receipt or invoice"),
                        description=_l("A PDF, PNG, JPEG or WebP file."))

    def __init__(self, *args: Any, lines: list[GrantLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = {line.code: line for line in lines}
        self.line_code.choices = [("", _l("Choose a line…"))] + [
            (line.code, line_label(line)) for line in lines]

    @classmethod
    def for_grant(cls, grant: Grant, lines: list[GrantLine]) -> ExpenditureForm:
        """An empty expenditure in the grant's currency (a POST overrides it)."""
        return cls(data={"currency": grant.currency}, lines=lines)

    @classmethod
    def for_expenditure(cls, expenditure: Expenditure,
                        lines: list[GrantLine]) -> ExpenditureForm:
        """The form filled with an expenditure's current values."""
        return cls(data={
            "line_code": expenditure.line.code, "spent_on": expenditure.spent_on,
            "amount": expenditure.amount.amount, "currency": expenditure.currency,
            "bank_rate": expenditure.rate if expenditure.rate_source == "bank" else None,
            "document_number": expenditure.document_number,
            "description": expenditure.description,
        }, lines=lines)

    def to_input(self) -> ExpenditureInput:
        line = self.lines[self.line_code.data]
        return ExpenditureInput(
            line_code=line.code, partner_org_id=line.partner_org_id,
            spent_on=self.spent_on.data, amount=Money(self.amount.number, self.currency.data),
            document_number=self.document_number.data or "",
            description=self.description.data or "", bank_rate=self.bank_rate.data)

    def receipt_file(self) -> ReceiptFile | None:
        """The uploaded receipt (read up to one byte past the limit), or None."""
        upload = self.receipt.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        return ReceiptFile(upload.filename or "", upload.stream.read(max_receipt_bytes() + 1))


class ReturnForm(FlaskForm):
    """Returning an expenditure to its partner: why."""

    reason = TextAreaField(_l("Reason for returning"), filters=[strip],
                           validators=[Length(max=MAX_REASON_LENGTH)])


class DecisionForm(FlaskForm):
    """Approving or withdrawing an expenditure: nothing but the CSRF token."""
