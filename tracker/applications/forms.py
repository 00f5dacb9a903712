"""Forms of the applications area: funding calls, applications, status moves and reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from tracker.applications.models import Application, FundingCall, ReportKind
from tracker.applications.services import (
    MAX_NOTE_LENGTH,
    MAX_NOTES_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    ApplicationInput,
    CallInput,
    ReportInput,
    calls_by_donor,
    has_budget,
    list_donors,
)
from tracker.campaigns.forms import grouped_country_choices
from tracker.campaigns.services import list_campaigns
from tracker.forms import AmountInput, CheckedForm, CurrencySelect, PlausibleDate, both_blank
from tracker.i18n import country_name, format_day
from tracker.money.value import Money
from tracker.orgs.forms import strip
from tracker.orgs.models import OrgKind
from tracker.orgs.services import organizations_by_name


def _date_field(label: Any, required: Any = None, **kwargs: Any) -> DateField:
    validators = [InputRequired(required)] if required else [Optional()]
    return PlausibleDate(label, validators=validators, **kwargs)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value else None


class CallForm(CheckedForm):
    """A donor's funding call: titles, dates, currency and every limit an application meets."""

    def cross_field_problems(self) -> Iterator[tuple[str, str]]:
        if both_blank(self.title_en, self.title_ru):
            yield "title_en", _("Give the title in English or Russian.")

    title_en = StringField(_l("Title in English"), filters=[strip],
                           validators=[Length(max=MAX_TITLE_LENGTH)])
    title_ru = StringField(_l("Title in Russian"), filters=[strip],
                           validators=[Length(max=MAX_TITLE_LENGTH)])
    reference = StringField(_l("Reference"), filters=[strip],
                            validators=[Length(max=MAX_REFERENCE_LENGTH)],
                            description=_l("The donor's number or code for the call, if any."))
    url = StringField(_l("Web page"), filters=[strip], validators=[Length(max=MAX_URL_LENGTH)],
                      description=_l("Optional; the full address, starting with https://"))
    opens_on = _date_field(_l("Opens on"))
    deadline = _date_field(_l("Deadline"), required=_l("Give the deadline of the call."))
    currency = CurrencySelect(_l("Currency"), default="USD")
    min_amount = AmountInput(_l("Minimum amount"), currency_field="currency",
                             validators=[Optional()])
    max_amount = AmountInput(_l("Maximum amount"), currency_field="currency",
                             validators=[Optional()])
    max_duration_months = IntegerField(
        _l("Maximum duration (months)"),
        validators=[Optional(), NumberRange(min=1, max=240,
                                            message=_l("Give a number of months from 1 to 240."))],
    )
    eligible_applicant_kinds = SelectMultipleField(
        _l("Eligible applicants"),
        description=_l("Leave empty when any kind of organisation may apply."),
        invalid_choice_message=_l("Choose kinds from the list."),
    )
    countries = SelectMultipleField(
        _l("Eligible countries"),
        description=_l("Leave empty when any country may apply. Hold Ctrl (⌘ on a Mac) to "
                       "choose several."),
        invalid_choice_message=_l("Choose countries from the list."),
        render_kw={"size": 8},
    )
    single_country = BooleanField(_l("One country per application"))
    notes = TextAreaField(_l("Notes"), filters=[strip],
                          validators=[Length(max=MAX_NOTES_LENGTH)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eligible_applicant_kinds.choices = OrgKind.choices()
        self.countries.choices = grouped_country_choices()

    @classmethod
    def for_call(cls, call: FundingCall) -> CallForm:
        """The form filled from a call (on POST, the submitted values win)."""
        return cls(data={
            "title_en": call.title_en, "title_ru": call.title_ru,
            "reference": call.reference, "url": call.url,
            "opens_on": call.opens_on, "deadline": call.deadline, "currency": call.currency,
            "min_amount": call.min_amount.amount if call.min_amount else None,
            "max_amount": call.max_amount.amount if call.max_amount else None,
            "max_duration_months": call.max_duration_months,
            "eligible_applicant_kinds": list(call.eligible_applicant_kinds or ()),
            "countries": list(call.countries or ()),
            "single_country": call.single_country, "notes": call.notes,
        })

    def to_input(self) -> CallInput:
        return CallInput(
            title_en=self.title_en.data or "", title_ru=self.title_ru.data or "",
            reference=self.reference.data or "", url=self.url.data or "",
            opens_on=self.opens_on.data, deadline=self.deadline.data,
            currency=self.currency.data,
            min_amount=self.min_amount.data, max_amount=self.max_amount.data,
            max_duration_months=self.max_duration_months.data,
            eligible_applicant_kinds=tuple(OrgKind(kind) for kind in
                                           self.eligible_applicant_kinds.data or ()),
            countries=tuple(self.countries.data or ()),
            single_country=bool(self.single_country.data),
            notes=self.notes.data or "",
        )


def _call_label(call: FundingCall) -> str:
    return str(_l("%(title)s (deadline %(date)s)", title=call.title,
                  date=format_day(call.deadline)))


class ApplicationForm(CheckedForm):
    """An application: campaign, donor, call, applicant, titles, amount, chances and dates."""

    date_order = (("project_starts_on", "project_ends_on"),)

    def cross_field_problems(self) -> Iterator[tuple[str, str]]:
        if both_blank(self.title_en, self.title_ru):
            yield "title_en", _("Give the title in English or Russian.")

    campaign_id = SelectField(_l("Campaign"),
                              validators=[InputRequired(_l("Choose a campaign."))],
                              invalid_choice_message=_l("Choose a campaign from the list."))
    donor_org_id = SelectField(_l("Donor"), validators=[InputRequired(_l("Choose a donor."))],
                               invalid_choice_message=_l("Choose a donor from the list."))
    call_id = SelectField(_l("Funding call"),
                          invalid_choice_message=_l("Choose a funding call from the list."),
                          description=_l("Optional: the donor's round this application answers."))
    applicant_org_id = SelectField(
        _l("Applicant"), validators=[InputRequired(_l("Choose the applicant organisation."))],
        invalid_choice_message=_l("Choose an organisation from the list."),
        description=_l("The organisation that signs: a member NGO, or a government agency the "
                       "NGOs support where the donor funds governments only."),
    )
    title_en = StringField(_l("Title in English"), filters=[strip],
                           validators=[Length(max=MAX_TITLE_LENGTH)])
    title_ru = StringField(_l("Title in Russian"), filters=[strip],
                           validators=[Length(max=MAX_TITLE_LENGTH)])
    requested = AmountInput(_l("Requested amount"), currency_field="currency",
                            validators=[InputRequired(_l("Give the amount requested."))])
    currency = CurrencySelect(_l("Currency"), default="USD")
    probability = IntegerField(
        _l("Probability (%)"), default=50,
        validators=[InputRequired(_l("Give the probability from 0 to 100.")),
                    NumberRange(min=0, max=100,
                                message=_l("Give the probability as a whole number from 0 "
                                           "to 100."))],
    )
    submission_deadline = _date_field(_l("Submission deadline"))
    decision_date = _date_field(_l("Decision expected on"))
    project_starts_on = _date_field(_l("Project starts on"))
    project_ends_on = _date_field(_l("Project ends on"))
    countries = SelectMultipleField(
        _l("Project countries"),
        description=_l("Hold Ctrl (⌘ on a Mac) to choose several."),
        invalid_choice_message=_l("Choose countries from the list."),
        render_kw={"size": 8},
    )
    notes = TextAreaField(_l("Notes"), filters=[strip],
                          validators=[Length(max=MAX_NOTES_LENGTH)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choices are built per request: names follow the user's language.
        campaigns = sorted(list_campaigns(), key=lambda campaign: campaign.title.casefold())
        self.campaign_id.choices = [("", _l("Choose a campaign")),
                                    *((str(c.id), c.title) for c in campaigns)]
        self.donor_org_id.choices = [("", _l("Choose a donor")),
                                     *((str(org.id), org.name) for org in list_donors())]
        calls = [SelectChoice("", str(_l("No particular call")))]
        for donor, donor_calls in calls_by_donor():
            calls += [SelectChoice(str(call.id), _call_label(call), optgroup=donor.name)
                      for call in donor_calls]
        self.call_id.choices = calls
        self.applicant_org_id.choices = [("", _l("Choose the applicant")), *(
            (str(org.id), f"{org.name} ({country_name(org.country)})")
            for org in organizations_by_name())]
        self.countries.choices = grouped_country_choices()

    @classmethod
    def for_application(cls, application: Application) -> ApplicationForm:
        """The form filled from an application (on POST, the submitted values win).

        With a budget, the requested amount is its requested column's sum: shown, not typed.
        """
        form = cls(data={
            "campaign_id": str(application.campaign_id),
            "donor_org_id": str(application.donor_org_id),
            "call_id": str(application.call_id or ""),
            "applicant_org_id": str(application.applicant_org_id),
            "title_en": application.title_en, "title_ru": application.title_ru,
            "requested": application.requested.amount, "currency": application.currency,
            "probability": application.probability,
            "submission_deadline": application.submission_deadline,
            "decision_date": application.decision_date,
            "project_starts_on": application.project_starts_on,
            "project_ends_on": application.project_ends_on,
            "countries": list(application.countries or ()),
            "notes": application.notes,
        })
        if has_budget(application):
            form.requested.data = application.requested.amount
            form.requested.render_kw = {"readonly": True}
            form.requested.description = _l("The sum of the budget's requested column: change "
                                            "it on the budget page.")
        return form

    def to_input(self) -> ApplicationInput:
        return ApplicationInput(
            campaign_id=int(self.campaign_id.data),
            donor_org_id=int(self.donor_org_id.data),
            call_id=_int_or_none(self.call_id.data),
            applicant_org_id=int(self.applicant_org_id.data),
            title_en=self.title_en.data or "", title_ru=self.title_ru.data or "",
            requested=self.requested.number, currency=self.currency.data,
            probability=self.probability.data,
            submission_deadline=self.submission_deadline.data,
            decision_date=self.decision_date.data,
            project_starts_on=self.project_starts_on.data,
            project_ends_on=self.project_ends_on.data,
            countries=tuple(self.countries.data or ()),
            notes=self.notes.data or "",
        )


class MoveForm(FlaskForm):
    """Move an application to one next status, with a note (and the award, when awarding)."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST; the forms are prefixed by status

    note = TextAreaField(_l("Note"), filters=[strip], validators=[Length(max=MAX_NOTE_LENGTH)],
                         render_kw={"rows": 2})
    awarded_amount = AmountInput(_l("Awarded amount"), validators=[Optional()])

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.awarded_amount.currency = currency
        self.awarded_amount.description = _l("In %(currency)s, the currency of the request.",
                                             currency=currency)

    def awarded(self) -> Money | None:
        """The award typed, in the request's currency, or None."""
        if self.awarded_amount.data is None:
            return None
        return Money(self.awarded_amount.data, self.awarded_amount.currency or "")


class ReportForm(FlaskForm):
    """A report the donor expects: interim or final, and by when."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST

    kind = SelectField(_l("Report"), invalid_choice_message=_l("Choose a kind of report."))
    due_on = _date_field(_l("Due on"), required=_l("Give the date the report is due."))
    note = StringField(_l("Note"), filters=[strip], validators=[Length(max=500)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="report", **kwargs)
        self.kind.choices = ReportKind.choices()

    def to_input(self) -> ReportInput:
        return ReportInput(kind=ReportKind(self.kind.data), due_on=self.due_on.data,
                           note=self.note.data or "")
