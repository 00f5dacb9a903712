"""Forms of the auth area: login, invitations, access changes, password and language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Regexp

from tracker.auth.models import Role, User
from tracker.auth.services import EMAIL_PATTERN, MAX_EMAIL_LENGTH, AccessInput, UserInput
from tracker.campaigns.services import list_campaigns
from tracker.i18n import LANGUAGE_NAMES, current_language
from tracker.orgs.services import organizations_by_name


def strip(value: Any) -> Any:
    """Drop the spaces that come along when an address is pasted."""
    return value.strip() if isinstance(value, str) else value


def language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGE_NAMES.items())


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail address"), filters=[strip],
                       validators=[InputRequired(_l("Give your e-mail address.")),
                                   Length(max=MAX_EMAIL_LENGTH)])
    password = PasswordField(_l("Password"),
                             validators=[InputRequired(_l("Give your password."))])


class ForgotPasswordForm(FlaskForm):
    """The e-mail address of an account whose password was forgotten."""

    # DataRequired, not InputRequired: it checks what is left after stripping the spaces.
    email = EmailField(_l("E-mail address"), filters=[strip],
                       validators=[DataRequired(_l("Give your e-mail address.")),
                                   Length(max=MAX_EMAIL_LENGTH),
                                   Regexp(EMAIL_PATTERN, message=_l(
                                       "Give a valid e-mail address, e.g. name@example.org."))])


class AccessForm(FlaskForm):
    """Role, organisation and led campaigns, as an admin sets them."""

    role = SelectField(_l("Role"), invalid_choice_message=_l("Choose a role from the list."))
    organization = SelectField(_l("Organisation"),
                               invalid_choice_message=_l("Choose an organisation from the list."))
    campaigns = SelectMultipleField(
        _l("Campaigns led"), coerce=int,
        invalid_choice_message=_l("Choose campaigns from the list."),
        description=_l("For campaign leads only: the campaigns whose targets, drives, pledges "
                       "and payments this person edits."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read now, in the request's language and with today's organisations and campaigns.
        self.role.choices = Role.choices()
        self.organization.choices = [("", _l("No organisation"))] + [
            (str(org.id), org.name) for org in organizations_by_name()
        ]
        self.campaigns.choices = sorted(
            ((c.id, c.title) for c in list_campaigns()), key=lambda pair: pair[1].casefold()
        )

    def fill_from(self, user: User) -> None:
        """Show the user's current access (on GET)."""
        self.role.data = user.role.value
        self.organization.data = str(user.organization_id or "")
        self.campaigns.data = sorted(user.led_campaign_ids)

    def to_access(self) -> AccessInput:
        """The submitted access as the service's input."""
        return AccessInput(
            role=Role(self.role.data),
            organization_id=int(self.organization.data) if self.organization.data else None,
            campaign_ids=tuple(self.campaigns.data or ()),
        )


class InviteForm(AccessForm):
    """A new person: e-mail, role, organisation, campaigns and language."""

    email = EmailField(
        _l("E-mail address"), filters=[strip],
        validators=[InputRequired(_l("Give the e-mail address of the person to invite.")),
                    Length(max=MAX_EMAIL_LENGTH)],
    )
    language = SelectField(_l("Language of the screens"),
                           invalid_choice_message=_l("Choose English or Russian."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()
        if not self.is_submitted():
            self.language.data = "ru"  # the coalition's working language
            self.role.data = Role.VIEWER.value

    def to_input(self) -> UserInput:
        """The submitted values as the service's input."""
        access = self.to_access()
        return UserInput(email=self.email.data or "", role=access.role,
                         organization_id=access.organization_id,
                         campaign_ids=access.campaign_ids, language=self.language.data)


class NewPasswordFields(FlaskForm):
    """A new password typed twice."""

    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Choose a password."))],
        description=_l("At least 12 characters. A few unrelated words are easy to remember "
                       "and hard to guess."),
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[InputRequired(_l("Type the new password again.")),
                    EqualTo("new_password", _l("The two passwords differ."))],
    )


class SetPasswordForm(NewPasswordFields):
    """Set a password through a one-time link."""


class ChangePasswordForm(NewPasswordFields):
    """The current password, then the new one twice."""

    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(_l("Give your current password."))]
    )


class LanguageForm(FlaskForm):
    """The language the screens use after logging in."""

    language = SelectField(_l("Language of the screens"),
                           invalid_choice_message=_l("Choose English or Russian."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()
        if not self.is_submitted() and self.language.data is None:
            self.language.data = current_language()
