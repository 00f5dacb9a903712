"""Screens of the auth area: log in and out, invitations, the account page, user administration."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_timedelta, ngettext
from flask_babel import gettext as _

from tracker.audit.services import history_for
from tracker.auth import services
from tracker.auth.devices import remember_device
from tracker.auth.forms import (
    AccessForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    LanguageForm,
    LoginForm,
    SetPasswordForm,
)
from tracker.auth.limits import (
    client_address,
    count_failure,
    limit_failed_logins,
    password_check_buckets,
    password_reset_buckets,
    seconds_to_wait,
    wait_text,
)
from tracker.auth.models import SessionEnd, User
from tracker.auth.permissions import Action, permission_required
from tracker.auth.sessions import (
    begin,
    current_session,
    current_user,
    forget,
    is_local_path,
    login_required,
    public,
    signed_in_session,
    signed_in_user,
)
from tracker.i18n import format_timestamp
from tracker.views import commit, requested_page

bp = Blueprint("auth", __name__)


def _client() -> services.ClientInfo:
    return services.ClientInfo(user_agent=request.user_agent.string or "",
                               ip_address=client_address())


def _next_target() -> str:
    target = request.args.get("next", "")
    return target if is_local_path(target) else url_for("dashboard.index")


def _invite_valid_for() -> timedelta:
    return timedelta(days=current_app.config["INVITE_VALID_DAYS"])


def _reset_valid_for() -> timedelta:
    return timedelta(minutes=current_app.config["PASSWORD_RESET_VALID_MINUTES"])


# --- Logging in and out -----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@public
@limit_failed_logins
def login():
    """Log in with e-mail and password, then go where the visitor was going (on this site)."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_target())
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/login.html", form=form), status
    outcome = commit(lambda: services.log_in(form.email.data, form.password.data, _client(),
                                             replacing=current_session()), form)
    if outcome.refused:
        commit(lambda: services.note_failed_login(form.email.data, client_address()))
        return render_template("auth/login.html", form=form), 422
    result = outcome.value
    begin(result.token, result.user.language)
    if result.failed_logins is not None:
        flash(_failed_logins_notice(result.failed_logins), "warning")
    return remember_device(redirect(_next_target()), result.user.id)


def _failed_logins_notice(report: services.FailedLoginReport) -> str:
    return ngettext(
        "%(num)d failed attempt to log in to your account since your last login, on "
        "%(when)s from %(address)s. If it was not you, your password held; change it if "
        "you use it elsewhere too.",
        "%(num)d failed attempts to log in to your account since your last login, the last "
        "on %(when)s from %(address)s. If they were not you, your password held; change it "
        "if you use it elsewhere too.",
        report.count, when=format_timestamp(report.last_at),
        address=report.last_address or "?")


@bp.post("/logout")
@public
def logout():
    """End the session on the server and forget it in the browser."""
    # CSRFProtect has checked the token: another site cannot log people out.
    record = current_session()
    forget()
    if record is not None:
        commit(lambda: services.end_session(record, SessionEnd.LOGOUT))
        flash(_("You have logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str):
    """Set a password through a one-time link and start using the account."""
    return _set_password_page(token, reset=False)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Set a new password through an e-mailed link; every other session of the account ends."""
    return _set_password_page(token, reset=True)


def _set_password_page(token: str, *, reset: bool):
    # Both addresses take any set-password link; they differ in wording only.
    invite = services.find_valid_invite(token)
    if invite is None:
        return render_template("auth/invite_invalid.html", reset=reset), 404
    form = SetPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/invite_accept.html", form=form, invite=invite,
                               reset=reset), status
    outcome = commit(lambda: services.accept_invite(token, form.new_password.data, _client()),
                     form)
    if outcome.refused:
        return render_template("auth/invite_accept.html", form=form, invite=invite,
                               reset=reset), 422
    result = outcome.value
    begin(result.token, result.user.language)
    if reset:
        flash(_("Your new password is set. Any other sessions of your account have ended."),
              "success")
    else:
        flash(_("Your password is set. Welcome to Tracker!"), "success")
    return redirect(url_for("dashboard.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    """Ask for a link to set a new password; the answer is the same for any address."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/forgot_password.html", form=form), status
    # Every request counts, known address or not, so that the limit tells nothing either.
    buckets = password_reset_buckets(form.email.data, client_address())
    wait = seconds_to_wait(buckets)
    if wait:
        form.email.errors.append(_("Too many requests for a new password; please try again "
                                   "%(wait)s.", wait=wait_text(wait)))
        page = render_template("auth/forgot_password.html", form=form)
        return page, 429, {"Retry-After": str(wait)}
    count_failure(buckets)
    commit(lambda: services.request_password_reset(form.email.data))
    return render_template("auth/forgot_password_sent.html", email=form.email.data,
                           duration=format_timedelta(_reset_valid_for(), threshold=1))


# --- The account page -------------------------------------------------------------------------


def _account_page(password_form: ChangePasswordForm | None = None,
                  language_form: LanguageForm | None = None, status: int = 200):
    user = signed_in_user()
    language_form = language_form or LanguageForm(language=user.language)
    return render_template(
        "auth/account.html",
        user=user,
        password_form=password_form or ChangePasswordForm(formdata=None),
        language_form=language_form,
        sessions=services.active_sessions(user),
        this_session=current_session(),
    ), status


@bp.get("/account")
@login_required
def account():
    """The user's own account: password, language and where they are logged in."""
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password():
    """Change one's password; every other session of the account ends."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _account_page(password_form=form, status=422)
    # Guesses of the current password are limited like logins: a session left open is no
    # way to find the password out.
    buckets = password_check_buckets(signed_in_user().id)
    wait = seconds_to_wait(buckets)
    if wait:
        form.current_password.errors.append(_(
            "Too many wrong passwords; please try again %(wait)s.", wait=wait_text(wait)))
        page, status = _account_page(password_form=form, status=429)
        return page, status, {"Retry-After": str(wait)}
    outcome = commit(lambda: services.change_password(
        signed_in_user(), form.current_password.data, form.new_password.data,
        keep=signed_in_session()), form)
    if outcome.refused:
        if outcome.error is not None and outcome.error.field == "current_password":
            count_failure(buckets)
        return _account_page(password_form=form, status=422)
    flash(_("Your password has been changed. Any other sessions of your account have ended."),
          "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/language")
@login_required
def change_language():
    """Save the language the screens use for this user, and switch to it now."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return _account_page(language_form=form, status=422)
    if commit(lambda: services.set_language(signed_in_user(), form.language.data), form).refused:
        return _account_page(language_form=form, status=422)
    session["lang"] = form.language.data
    flash(_("Language saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    """Log out everywhere else, e.g. after using a shared computer."""
    ended = commit(lambda: services.end_other_sessions(signed_in_user(), signed_in_session())).value
    flash(_("Other sessions ended: %(num)d.", num=ended), "success")
    return redirect(url_for("auth.account"))


# --- User administration ----------------------------------------------------------------------


@bp.get("/admin/users")
@permission_required(Action.MANAGE_USERS)
def users():
    """List the accounts a page at a time: role, organisation, campaigns, status, last login."""
    return render_template("auth/admin_users.html",
                           listed=services.page_of_users(requested_page()))


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@permission_required(Action.MANAGE_USERS)
def invite():
    """Invite a person: create their account, e-mail them a one-time link, and show it too."""
    form = InviteForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/admin_invite.html", form=form), status
    outcome = commit(lambda: services.invite_user(form.to_input(), by=signed_in_user(),
                                                  valid_for=_invite_valid_for()), form)
    if outcome.refused:
        return render_template("auth/admin_invite.html", form=form), 422
    result = outcome.value
    # Shown in this response, not after a redirect, in case the mail does not arrive: the
    # token exists nowhere else (but in the message), and parking it in the cookie or the
    # database to survive a redirect would defeat that.
    return render_template("auth/admin_link.html", result=result, new_account=True)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@permission_required(Action.MANAGE_USERS)
def edit_user(user_id: int):
    """Change an account's role, organisation and the campaigns it leads."""
    user = services.get_user(user_id)
    form = AccessForm()
    if not form.is_submitted():
        form.fill_from(user)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _edit_page(user, form, status)
    if commit(lambda: services.update_access(user, form.to_access(), by=signed_in_user()),
              form).refused:
        return _edit_page(user, form, 422)
    flash(_("Access of %(email)s saved.", email=user.email), "success")
    return redirect(url_for("auth.users"))


def _edit_page(user: User, form: AccessForm, status: int, error: str | None = None):
    history = history_for("user_account", user.id,
                          page=requested_page("history_page"))
    return render_template("auth/admin_user.html", user=user, form=form, error=error,
                           history=history), status


def _refused_on_edit_page(user: User, message: str):
    """The account's page with its current access and a refusal above the form."""
    form = AccessForm(formdata=None)
    form.fill_from(user)
    return _edit_page(user, form, 422, error=message)


@bp.post("/admin/users/<int:user_id>/disable")
@permission_required(Action.MANAGE_USERS)
def disable_user(user_id: int):
    """Disable an account: it can no longer log in and its sessions end now."""
    return _set_active(user_id, active=False)


@bp.post("/admin/users/<int:user_id>/enable")
@permission_required(Action.MANAGE_USERS)
def enable_user(user_id: int):
    """Enable a disabled account again."""
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool):
    user = services.get_user(user_id)
    outcome = commit(lambda: services.set_active(user, active, by=signed_in_user()))
    if outcome.refused:
        return _refused_on_edit_page(user, outcome.message)
    if active:
        flash(_("The account of %(email)s is enabled.", email=user.email), "success")
    else:
        flash(_("The account of %(email)s is disabled; its sessions have ended.",
                email=user.email), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/link")
@permission_required(Action.MANAGE_USERS)
def new_link(user_id: int):
    """Make a new one-time link for the person to set a (new) password, and e-mail it to them."""
    user = services.get_user(user_id)
    outcome = commit(lambda: services.send_new_link(user, by=signed_in_user(),
                                                    valid_for=_invite_valid_for()))
    if outcome.refused:
        return _refused_on_edit_page(user, outcome.message)
    result = outcome.value
    # As with invitations, the link is shown once, in this response.
    return render_template("auth/admin_link.html", result=result, new_account=False)
