"""Screens of reminders: following an application, and the days one is reminded on."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from tracker.applications.models import Application
from tracker.applications.services import get_application
from tracker.auth.models import User
from tracker.auth.permissions import Action, can, permission_required
from tracker.auth.sessions import current_user, login_required, signed_in_user
from tracker.reminders import services
from tracker.reminders.forms import ReminderDaysForm
from tracker.views import commit

bp = Blueprint("reminders", __name__)


@bp.app_template_global()
def follows(application: Application) -> bool:
    """Whether the signed-in user follows the application (for its Follow button)."""
    return bool(current_user.is_authenticated and can(current_user, Action.EDIT_APPLICATIONS)
                and services.is_following(signed_in_user(), application))


@bp.app_template_global()
def reminder_days_text(user: User) -> str:
    """The user's reminder days as the account page's field shows them ('14,7,1')."""
    return services.format_reminder_days(services.reminder_days_of(user))


@bp.post("/applications/<int:application_id>/follow")
@permission_required(Action.EDIT_APPLICATIONS)
def follow(application_id: int):
    """Follow an application: be reminded of its deadlines."""
    application = get_application(application_id)
    commit(lambda: services.follow(signed_in_user(), application))
    flash(_("You follow “%(title)s”: its deadlines will be in your reminders.",
            title=application.title), "success")
    return redirect(url_for("applications.show", application_id=application.id))


@bp.post("/applications/<int:application_id>/unfollow")
@permission_required(Action.EDIT_APPLICATIONS)
def unfollow(application_id: int):
    """Stop following an application."""
    application = get_application(application_id)
    commit(lambda: services.unfollow(signed_in_user(), application))
    flash(_("You no longer follow “%(title)s”.", title=application.title), "success")
    return redirect(url_for("applications.show", application_id=application.id))


def _render(form: ReminderDaysForm, status: int = 200):
    return render_template("reminders/preferences.html", form=form), status


@bp.get("/account/reminders")
@login_required
def preferences():
    """The days ahead of a deadline the user is reminded on."""
    return _render(ReminderDaysForm(days=reminder_days_text(signed_in_user())))


@bp.post("/account/reminders")
@login_required
def save_preferences():
    """Save the days ahead of a deadline the user is reminded on (none: no reminders)."""
    form = ReminderDaysForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    outcome = commit(lambda: services.set_reminder_days(signed_in_user(), form.days.data), form)
    if outcome.refused:
        return _render(form, 422)
    days = outcome.value
    if days:
        flash(_("You will be reminded of deadlines %(days)s days ahead.",
                days=", ".join(str(day) for day in days)), "success")
    else:
        flash(_("You will get no deadline reminders."), "success")
    return redirect(url_for("auth.account", _anchor="reminders"))
