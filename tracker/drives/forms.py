"""Forms of the drives area: a drive, a pledge, a payment, a status change, the public pledge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from tracker.drives.imports import FIELDS as IMPORT_FIELDS
from tracker.drives.inputs import MAX_PHONE_LENGTH, MAX_TELEGRAM_LENGTH
from tracker.drives.models import MAX_REMINDER_DAYS, Channel, Drive, DriveStatus, Pledge
from tracker.drives.services import (
    MAX_MESSAGE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REASON_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    DriveInput,
    PaymentInput,
    PledgeInput,
    PublicPledgeInput,
    drive_slug_clash,
    email_problem,
    today,
)
from tracker.forms import (
    AmountInput,
    CheckedForm,
    CurrencySelect,
    PlausibleDate,
    SlugField,
    both_blank,
    coalition_currencies,
    optional_whole_number,
)
from tracker.i18n import country_name, current_language
from tracker.orgs.forms import strip
from tracker.orgs.models import Organization
from tracker.submissions import SubmittedOnce

MAX_COLUMN_NAME_LENGTH = 100
# ASCII digits, short enough for the version column: another value is no version at all.
VERSION = Regexp(r"^[0-9]{1,9}$", message=_l("Reload the page and try again."))


def pledger_email(form: Any, field: Any) -> None:
    """The services' rule for a pledger's e-mail, checked with the other fields."""
    problem = email_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class DriveForm(CheckedForm):
    """A drive: bilingual title and purpose, organiser, goal and currency, dates, public flag."""

    date_order = (("starts_on", "ends_on"),)

    slug = SlugField(
        _l("Short name"), kind="drive", sources=("title_en", "title_ru"), clash=drive_slug_clash,
        description=_l("Used in the public page's address (/d/short-name): lowercase latin "
                       "letters, digits and hyphens. Leave it empty to make it from the title."),
    )
    title_en = StringField(_l("Title in English"), filters=[strip],
                           validators=[Length(max=MAX_TITLE_LENGTH)])
    title_ru = StringField(_l("Title in Russian"), filters=[strip],
                           validators=[Length(max=MAX_TITLE_LENGTH)])
    purpose_en = TextAreaField(_l("Purpose in English"), filters=[strip],
                               validators=[Length(max=MAX_TEXT_LENGTH)])
    purpose_ru = TextAreaField(_l("Purpose in Russian"), filters=[strip],
                               validators=[Length(max=MAX_TEXT_LENGTH)])
    organiser_org_id = SelectField(
        _l("Organiser"),
        invalid_choice_message=_l("Choose an organisation that takes part in the campaign."),
    )
    goal = AmountInput(_l("Goal"), currency_field="currency",
                       validators=[InputRequired(_l("Give the amount the drive aims to raise."))])
    currency = CurrencySelect(_l("Currency"), default="RUB",
                              description=_l("Pledges in other currencies are converted into "
                                             "this one at the rate of their date."))
    starts_on = PlausibleDate(_l("Starts on"), default=date.today,
                          validators=[InputRequired(_l("Give the first day of the drive."))])
    ends_on = PlausibleDate(_l("Ends on"), validators=[Optional()],
                        description=_l("Optional: leave empty for a drive without an end date."))
    is_public = BooleanField(_l("Public page: anyone may follow the drive and pledge online "
                                "while it is live"))
    payment_instructions_en = TextAreaField(
        _l("Payment instructions in English"), filters=[strip],
        validators=[Length(max=MAX_TEXT_LENGTH)],
        description=_l("Bank details, a card or a payment link: shown on the public page "
                       "and sent to each supporter whose pledge you confirm."))
    payment_instructions_ru = TextAreaField(
        _l("Payment instructions in Russian"), filters=[strip],
        validators=[Length(max=MAX_TEXT_LENGTH)])
    organiser_name_en = StringField(
        _l("Organisers' name in English"), filters=[strip],
        validators=[Length(max=MAX_TITLE_LENGTH)],
        description=_l("As the public page names them; leave empty to use the organiser "
                       "organisation's name."))
    organiser_name_ru = StringField(_l("Organisers' name in Russian"), filters=[strip],
                                    validators=[Length(max=MAX_TITLE_LENGTH)])
    contact_email = EmailField(_l("Contact e-mail"), filters=[strip],
                               validators=[Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), filters=[strip],
                                validators=[Length(max=MAX_PHONE_LENGTH)],
                                description=_l("With the country code, e.g. +7 351 200-00-00."))
    contact_telegram = StringField(_l("Telegram"), filters=[strip],
                                   validators=[Length(max=MAX_TELEGRAM_LENGTH)],
                                   description=_l("A username, e.g. @fornature."))
    reminder_days = IntegerField(
        _l("Remind of unpaid pledges after (days)"), default=0,
        validators=[Optional(), NumberRange(
            min=0, max=MAX_REMINDER_DAYS,
            message=_l("Give a number of days from 0 (no reminders) to %(max)s."))],
        description=_l("A supporter whose confirmed pledge is still unpaid this many days "
                       "later is reminded, and once more at twice as many days. 0: no "
                       "reminders."))

    def __init__(self, *args: Any, organisers: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organiser_org_id.choices = [
            (str(org.id), f"{org.name} ({country_name(org.country)})") for org in organisers
        ]

    def cross_field_problems(self) -> Iterator[tuple[str, str]]:
        if both_blank(self.title_en, self.title_ru):
            yield "title_en", _("Give the title in English or Russian.")

    @classmethod
    def for_drive(cls, drive: Drive, **kwargs: Any) -> DriveForm:
        """The form filled with a drive's current values (a POST overrides them)."""
        form = cls(data={
            "slug": drive.slug, "title_en": drive.title_en, "title_ru": drive.title_ru,
            "purpose_en": drive.purpose_en, "purpose_ru": drive.purpose_ru,
            "organiser_org_id": str(drive.organiser_org_id), "goal": drive.goal.amount,
            "currency": drive.currency, "starts_on": drive.starts_on, "ends_on": drive.ends_on,
            "is_public": drive.is_public,
            "payment_instructions_en": drive.payment_instructions_en,
            "payment_instructions_ru": drive.payment_instructions_ru,
            "reminder_days": drive.reminder_days,
            "organiser_name_en": drive.organiser_name_en,
            "organiser_name_ru": drive.organiser_name_ru,
            "contact_email": drive.contact_email, "contact_phone": drive.contact_phone,
            "contact_telegram": drive.contact_telegram,
        }, **kwargs)
        form.slug.current_id = drive.id
        return form

    def to_input(self) -> DriveInput:
        return DriveInput(
            slug=self.slug.data or "", title_en=self.title_en.data or "",
            title_ru=self.title_ru.data or "", organiser_org_id=int(self.organiser_org_id.data),
            goal=self.goal.number, currency=self.currency.data, starts_on=self.starts_on.data,
            ends_on=self.ends_on.data, purpose_en=self.purpose_en.data or "",
            purpose_ru=self.purpose_ru.data or "", is_public=bool(self.is_public.data),
            payment_instructions_en=self.payment_instructions_en.data or "",
            payment_instructions_ru=self.payment_instructions_ru.data or "",
            reminder_days=self.reminder_days.data or 0,
            organiser_name_en=self.organiser_name_en.data or "",
            organiser_name_ru=self.organiser_name_ru.data or "",
            contact_email=self.contact_email.data or "",
            contact_phone=self.contact_phone.data or "",
            contact_telegram=self.contact_telegram.data or "",
        )


class PledgeForm(SubmittedOnce):
    """A pledge as staff log it: who (or anonymous), how much in which currency, when, how."""

    pledger_name = StringField(_l("Pledger"), filters=[strip],
                               validators=[Length(max=MAX_NAME_LENGTH)],
                               description=_l("A person or an organisation; leave empty for an "
                                              "anonymous pledge."))
    is_anonymous = BooleanField(_l("Anonymous: never show the name on the public page"))
    contact_email = EmailField(_l("Contact e-mail"), filters=[strip],
                               validators=[Length(max=254), pledger_email])
    amount = AmountInput(_l("Amount"), currency_field="currency",
                         validators=[InputRequired(_l("Give the amount pledged."))])
    currency = CurrencySelect(_l("Currency"))
    pledged_on = PlausibleDate(_l("Pledged on"), default=date.today, past_only=True,
                           validators=[InputRequired(_l("Give the date of the pledge."))])
    channel = SelectField(_l("Channel"), choices=Channel.choices,
                          default=Channel.BANK_TRANSFER.value,
                          invalid_choice_message=_l("Choose a channel from the list."))
    external_reference = StringField(
        _l("External reference"), filters=[strip], validators=[Length(max=MAX_REFERENCE_LENGTH)],
        description=_l("Optional: a transfer number or a platform's id. A reference is used "
                       "once per drive, so imports skip what is already recorded."),
    )
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Length(max=MAX_TEXT_LENGTH)])
    version = HiddenField()

    @classmethod
    def for_drive(cls, drive: Drive) -> PledgeForm:
        """An empty pledge form in the drive's currency (a POST overrides it)."""
        return cls(data={"currency": drive.currency})

    @classmethod
    def for_pledge(cls, pledge: Pledge) -> PledgeForm:
        """The form filled with a pledge's current values and the version they belong to."""
        form = cls(data={
            "pledger_name": pledge.pledger_name, "is_anonymous": pledge.is_anonymous,
            "contact_email": pledge.contact_email, "amount": pledge.amount.amount,
            "currency": pledge.currency, "pledged_on": pledge.pledged_on,
            "channel": pledge.channel.value,
            "external_reference": pledge.external_reference or "", "note": pledge.note,
            "version": str(pledge.version),
        })
        form.version.validators = [InputRequired(_l("Reload the page and try again.")), VERSION]
        return form

    def to_input(self) -> PledgeInput:
        return PledgeInput(
            amount=self.amount.number, currency=self.currency.data,
            pledged_on=self.pledged_on.data, pledger_name=self.pledger_name.data or "",
            is_anonymous=bool(self.is_anonymous.data),
            contact_email=self.contact_email.data or "", channel=Channel(self.channel.data),
            external_reference=self.external_reference.data or "", note=self.note.data or "",
            version=_version(self.version.data),
        )


class PaymentForm(SubmittedOnce):
    """A payment against a pledge: amount and currency, date, method, reference."""

    amount = AmountInput(_l("Amount"), currency_field="currency",
                         validators=[InputRequired(_l("Give the amount paid."))])
    currency = CurrencySelect(_l("Currency"))
    paid_on = PlausibleDate(_l("Paid on"), default=date.today, past_only=True,
                        validators=[InputRequired(_l("Give the date of the payment."))])
    method = SelectField(_l("Method"), choices=Channel.choices,
                         default=Channel.BANK_TRANSFER.value,
                         invalid_choice_message=_l("Choose a method from the list."))
    reference = StringField(_l("Reference"), filters=[strip],
                            validators=[Length(max=MAX_REFERENCE_LENGTH)])
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Length(max=MAX_TEXT_LENGTH)])
    gave_more = BooleanField(_l("The supporter gave more than pledged: raise the pledge to "
                                "what was paid"))
    gave_more_reason = TextAreaField(
        _l("Why the supporter gave more"), filters=[strip],
        validators=[Length(max=MAX_REASON_LENGTH)],
        description=_l("Required with the box above; kept in the pledge's history."))

    @classmethod
    def for_pledge(cls, pledge: Pledge) -> PaymentForm:
        """A payment form in the pledge's currency, for the outstanding amount."""
        outstanding = pledge.outstanding
        return cls(data={
            "currency": pledge.currency,
            "amount": outstanding.amount if outstanding.amount > 0 else None,
            "paid_on": today(),
        })

    def to_input(self) -> PaymentInput:
        return PaymentInput(
            amount=self.amount.number, currency=self.currency.data, paid_on=self.paid_on.data,
            method=Channel(self.method.data), reference=self.reference.data or "",
            note=self.note.data or "", gave_more=bool(self.gave_more.data),
            gave_more_reason=self.gave_more_reason.data or "",
        )


class PledgeStatusForm(FlaskForm):
    """Confirm, reject, cancel or write off a pledge: the version seen, and a reason."""

    reason = TextAreaField(_l("Reason"), filters=[strip],
                           validators=[Length(max=MAX_REASON_LENGTH)])
    version = HiddenField(validators=[InputRequired(_l("Reload the page and try again.")),
                                      VERSION])

    @classmethod
    def for_pledge(cls, pledge: Pledge) -> PledgeStatusForm:
        return cls(data={"version": str(pledge.version)})

    @property
    def seen_version(self) -> int | None:
        return _version(self.version.data)


MAX_RECORD_ID = 2**31 - 1  # the largest id a pledge can have (an INTEGER key)


def record_ids(values: list[str] | None) -> list[int]:
    """The ids among posted values: plain numbers in a key's range; anything else is ignored."""
    ids = []
    for value in values or ():
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_RECORD_ID:
            ids.append(int(text))
    return ids


class BulkRejectForm(FlaskForm):
    """Reject several public pledges at once: those ticked, or all on the page; then confirm."""

    pledge_ids = SelectMultipleField(validate_choice=False)  # the ticked rows
    page_ids = SelectMultipleField(validate_choice=False)  # every row of the page shown
    scope = HiddenField()  # "page": all rows of the page, else the ticked ones
    confirmed = HiddenField()
    reason = TextAreaField(_l("Reason"), filters=[strip],
                           validators=[Length(max=MAX_REASON_LENGTH)],
                           description=_l("Optional; kept in each pledge's history."))

    def chosen(self) -> list[int]:
        """The pledges to reject, as the button pressed says."""
        return record_ids(self.page_ids.data if self.scope.data == "page"
                          else self.pledge_ids.data)


class RemovalForm(FlaskForm):
    """Confirm deleting a payment or a pledge, saying why (kept in the history)."""

    reason = TextAreaField(_l("Why is it deleted?"), filters=[strip],
                           validators=[Length(max=MAX_REASON_LENGTH)],
                           description=_l("Required; kept in the history."))


class DriveMoveForm(FlaskForm):
    """Move a drive to another status (the buttons on the drive page)."""

    to = SelectField(_l("New status"), choices=DriveStatus.choices,
                     invalid_choice_message=_l("Choose a status from the list."))


class PublicPledgeForm(SubmittedOnce):
    """The public page's pledge form; `website` is a honeypot that people never see."""

    pledger_name = StringField(_l("Your name"), filters=[strip],
                               validators=[Length(max=MAX_NAME_LENGTH)])
    is_anonymous = BooleanField(_l("Do not show my name on this page"))
    contact_email = EmailField(
        _l("Your e-mail"), filters=[strip],
        validators=[InputRequired(_l("Give an e-mail address so that the organisers can "
                                     "confirm your pledge.")), Length(max=254),
                    pledger_email],
        description=_l("Only the organisers see it."),
    )
    amount = AmountInput(_l("Amount"), currency_field="currency",
                         validators=[InputRequired(_l("Give the amount you pledge."))])
    currency = CurrencySelect(_l("Currency"))
    message = TextAreaField(_l("Message to the organisers (optional)"), filters=[strip],
                            validators=[Length(max=MAX_MESSAGE_LENGTH)])
    website = StringField(_l("Leave this field empty"))

    @classmethod
    def for_drive(cls, drive: Drive) -> PublicPledgeForm:
        """The form in the drive's currency, offering it and the coalition's currencies."""
        form = cls(data={"currency": drive.currency})
        form.currency.offer([drive.currency, *coalition_currencies()])
        return form

    def to_input(self) -> PublicPledgeInput:
        return PublicPledgeInput(
            amount=self.amount.number, currency=self.currency.data,
            contact_email=self.contact_email.data or "",
            pledger_name=self.pledger_name.data or "",
            is_anonymous=bool(self.is_anonymous.data), message=self.message.data or "",
            trap=self.website.data or "", language=current_language(),
        )


def _version(value: Any) -> int | None:
    """The version number a form carried, or None when it carried none."""
    number = optional_whole_number(value)
    return number if number is not None and number >= 0 else None


class PledgeImportForm(FlaskForm):
    """A pledge file (CSV or XLSX) and, for other programs' exports, which column is which."""

    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Choose a CSV or XLSX file to upload.")),
                    FileAllowed(["csv", "txt", "xlsx"],
                                _l("Upload a .csv file (UTF-8) or an Excel .xlsx workbook."))],
    )
    column_date = StringField(_l("Column of the date"), filters=[strip],
                              validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_name = StringField(_l("Column of the pledger's name"), filters=[strip],
                              validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_email = StringField(_l("Column of the e-mail"), filters=[strip],
                               validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_amount = StringField(_l("Column of the amount"), filters=[strip],
                                validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_currency = StringField(_l("Column of the currency"), filters=[strip],
                                  validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_reference = StringField(_l("Column of the reference"), filters=[strip],
                                   validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_paid_amount = StringField(_l("Column of the amount paid"), filters=[strip],
                                     validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_paid_currency = StringField(_l("Column of the payment's currency"), filters=[strip],
                                       validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_paid_on = StringField(_l("Column of the payment date"), filters=[strip],
                                 validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_paid_method = StringField(_l("Column of the payment method"), filters=[strip],
                                     validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_status = StringField(_l("Column of the status"), filters=[strip],
                                validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])
    column_anonymous = StringField(_l("Column of the anonymous flag"), filters=[strip],
                                   validators=[Length(max=MAX_COLUMN_NAME_LENGTH)])

    @property
    def column_fields(self) -> list[Any]:
        """The mapping's inputs, in the order of the standard header."""
        return [self[f"column_{name}"] for name in IMPORT_FIELDS]

    def mapping(self) -> dict[str, str]:
        """Our field -> the file's header, for the columns given."""
        return {name: self[f"column_{name}"].data for name in IMPORT_FIELDS
                if self[f"column_{name}"].data}


class ConfirmImportForm(SubmittedOnce):
    """Confirm a previewed pledge file, saying how its pledges reach the drive."""

    channel = SelectField(_l("Channel"), choices=Channel.choices, default=Channel.OTHER.value)

    def channel_value(self) -> Channel:
        return Channel(self.channel.data)
