"""Forms of the orgs area."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from tracker.applications.models import DONOR_KINDS
from tracker.forms import CheckedForm, CountrySelect, DecimalInput, SlugField, both_blank
from tracker.orgs.models import OrgKind
from tracker.orgs.services import MAX_CITY_LENGTH, OrganizationInput, organisation_slug_clash


def strip(value: Any) -> Any:
    """Drop surrounding spaces, which people paste along with names and addresses."""
    return value.strip() if isinstance(value, str) else value


class OrganizationForm(CheckedForm):
    """An organisation's names and cities side by side, its country, kind and website."""

    slug = SlugField(
        _l("Short name"), kind="organisation", sources=("name_en", "name_ru"),
        clash=organisation_slug_clash,
        description=_l("Used in web addresses: lowercase latin letters, digits and hyphens, "
                       "e.g. eco-accord. Leave it empty to make it from the name."),
    )
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[Length(max=200)])
    name_ru = StringField(_l("Name in Russian"), filters=[strip], validators=[Length(max=200)])
    country = CountrySelect(
        _l("Country"), blank=_l("Choose a country"),
        validate_choice=True, invalid_choice_message=_l("Choose a country from the list."),
    )
    city_en = StringField(_l("City in English"), filters=[strip],
                          validators=[Length(max=MAX_CITY_LENGTH)])
    city_ru = StringField(_l("City in Russian"), filters=[strip],
                          validators=[Length(max=MAX_CITY_LENGTH)])
    kind = SelectField(_l("Kind"), invalid_choice_message=_l("Choose a kind from the list."))
    website = StringField(
        _l("Website"), filters=[strip], validators=[Length(max=300)],
        description=_l("Optional; the full address, e.g. https://eco-accord.org"),
    )
    budget_flexibility_percent = DecimalInput(
        _l("Budget flexibility (%)"), validators=[Optional()],
        description=_l("For donors only: the share by which a budget category of their "
                       "grants may be overspent without their approval. Empty: 10 %."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels are read now, in the request's language, not once at import time.
        self.kind.choices = OrgKind.choices()

    def cross_field_problems(self) -> Iterator[tuple[str, str]]:
        if both_blank(self.name_en, self.name_ru):
            yield "name_en", _("Give the name in English or Russian.")

    def to_input(self) -> OrganizationInput:
        """The submitted values as the service's input."""
        return OrganizationInput(
            slug=self.slug.data or "",
            name_en=self.name_en.data or "",
            name_ru=self.name_ru.data or "",
            country=self.country.data or "",
            kind=OrgKind(self.kind.data),
            city_en=self.city_en.data or "",
            city_ru=self.city_ru.data or "",
            website=self.website.data or "",
            # Only a donor has a rule for its grants; another kind keeps none.
            budget_flexibility_percent=(self.budget_flexibility_percent.data
                                        if OrgKind(self.kind.data) in DONOR_KINDS else None),
        )

