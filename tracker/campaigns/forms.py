"""Forms of the campaigns area."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from tracker.campaigns.models import Campaign, CampaignStatus, PartnerRole, Theme
from tracker.campaigns.services import CampaignInput, PartnerInput, campaign_slug_clash
from tracker.forms import CheckedForm, PlausibleDate, SlugField, both_blank
from tracker.i18n import country_choices
from tracker.orgs.forms import strip
from tracker.orgs.services import organizations_by_name

BLANK_PARTNER_ROWS = 3
MAX_PARTNER_ROWS = 100
MAX_SUMMARY_LENGTH = 20_000

# The coalition's own region, listed first so that nobody scrolls past 200 countries for them.
EECCA_COUNTRIES = frozenset(
    {"AM", "AZ", "BY", "GE", "KG", "KZ", "MD", "RU", "TJ", "TM", "UA", "UZ"}
)


def grouped_country_choices() -> dict[str, list[tuple[str, str]]]:
    """Countries for a select: the EECCA region first, then the rest, named in the language."""
    everyone = country_choices()
    return {
        _("EECCA region"): [pair for pair in everyone if pair[0] in EECCA_COUNTRIES],
        _("Other countries"): [pair for pair in everyone if pair[0] not in EECCA_COUNTRIES],
    }


class PartnerRowForm(FlaskForm):
    """One partner row: an organisation (blank rows are ignored) and its role."""

    class Meta:
        csrf = False  # the enclosing form carries the token

    organization_id = SelectField(
        _l("Partner organisation"),
        invalid_choice_message=_l("Choose an organisation from the list."),
    )
    role = SelectField(_l("Role"), invalid_choice_message=_l("Choose a role from the list."))


class CampaignForm(CheckedForm):
    """A campaign: bilingual title and summary, theme, status, dates, lead, countries, partners."""

    date_order = (("starts_on", "ends_on"),)

    slug = SlugField(
        _l("Short name"), kind="campaign", sources=("title_en", "title_ru"),
        clash=campaign_slug_clash,
        description=_l("Used in web addresses: lowercase latin letters, digits and hyphens, "
                       "e.g. lead-in-paint. Leave it empty to make it from the title."),
    )
    title_en = StringField(_l("Title in English"), filters=[strip], validators=[Length(max=200)])
    title_ru = StringField(_l("Title in Russian"), filters=[strip], validators=[Length(max=200)])
    summary_en = TextAreaField(
        _l("Summary in English"), filters=[strip], validators=[Length(max=MAX_SUMMARY_LENGTH)]
    )
    summary_ru = TextAreaField(
        _l("Summary in Russian"), filters=[strip], validators=[Length(max=MAX_SUMMARY_LENGTH)]
    )
    theme = SelectField(_l("Theme"), invalid_choice_message=_l("Choose a theme from the list."))
    status = SelectField(
        _l("Status"), invalid_choice_message=_l("Choose a status from the list.")
    )
    starts_on = PlausibleDate(_l("Starts on"), validators=[Optional()])
    ends_on = PlausibleDate(_l("Ends on"), validators=[Optional()])
    lead_org_id = SelectField(
        _l("Lead organisation"),
        validators=[InputRequired(_l("Choose the lead organisation."))],
        invalid_choice_message=_l("Choose an organisation from the list."),
    )
    countries = SelectMultipleField(
        _l("Focus countries"),
        description=_l("Hold Ctrl (⌘ on a Mac) to choose several."),
        invalid_choice_message=_l("Choose countries from the list."),
        render_kw={"size": 10},
    )
    partners = FieldList(FormField(PartnerRowForm), max_entries=MAX_PARTNER_ROWS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            # Room to add partners without a script: the existing rows plus a few blank ones.
            for _ in range(BLANK_PARTNER_ROWS):
                self.partners.append_entry()
        # Choices are built per request: labels and names follow the user's language.
        organizations = [(str(org.id), org.name) for org in organizations_by_name()]
        self.theme.choices = Theme.choices()
        self.status.choices = CampaignStatus.choices()
        self.lead_org_id.choices = [("", _l("Choose the lead organisation")), *organizations]
        self.countries.choices = grouped_country_choices()
        for row in self.partners:
            row.organization_id.choices = [("", _l("No organisation")), *organizations]
            row.role.choices = PartnerRole.choices()
            if not row.role.data:
                row.role.data = PartnerRole.PARTNER.value

    def cross_field_problems(self) -> Iterator[tuple[str, str]]:
        if both_blank(self.title_en, self.title_ru):
            yield "title_en", _("Give the title in English or Russian.")

    @property
    def has_organizations(self) -> bool:
        """False until at least one organisation exists to lead a campaign."""
        return len(self.lead_org_id.choices) > 1

    def to_input(self) -> CampaignInput:
        """The submitted values as the service's input, skipping rows without an organisation."""
        partners = tuple(
            PartnerInput(int(row.organization_id.data), PartnerRole(row.role.data))
            for row in self.partners
            if row.organization_id.data
        )
        return CampaignInput(
            slug=self.slug.data or "",
            title_en=self.title_en.data or "",
            title_ru=self.title_ru.data or "",
            summary_en=self.summary_en.data or "",
            summary_ru=self.summary_ru.data or "",
            theme=Theme(self.theme.data),
            status=CampaignStatus(self.status.data),
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            lead_org_id=int(self.lead_org_id.data),
            countries=tuple(self.countries.data or ()),
            partners=partners,
        )

    @classmethod
    def for_campaign(cls, campaign: Campaign) -> CampaignForm:
        """The form filled from a campaign (on POST, the submitted values win)."""
        form = cls(
            slug=campaign.slug,
            title_en=campaign.title_en,
            title_ru=campaign.title_ru,
            summary_en=campaign.summary_en,
            summary_ru=campaign.summary_ru,
            theme=campaign.theme.value,
            status=campaign.status.value,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            lead_org_id=str(campaign.lead_org_id),
            countries=campaign.country_codes,
            partners=[
                {"organization_id": str(partner.organization_id), "role": partner.role.value}
                for partner in campaign.partners
            ],
        )
        form.slug.current_id = campaign.id
        return form
