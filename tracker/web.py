"""Wires blueprints, template helpers and error pages into the app."""

from __future__ import annotations

import re
from itertools import chain
from typing import Any

from flask import Flask, Request, render_template, request
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

from tracker import i18n, navigation
from tracker.errors import NotFound
from tracker.forms import MAX_ID, form_problems, parse_whole_number
from tracker.urls import external_url

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    413: _l("The upload is too large"),
    422: _l("The data could not be processed"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is unavailable"),
}


# C0 control characters and DEL; tabs and line breaks are text (a multi-line field holds them).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IdConverter(IntegerConverter):
    """`<int:…>` in a URL: ASCII digits naming a row a table can hold, else no match (404).

    Werkzeug's own takes any Unicode digit and any size, and the database then fails on
    an id beyond its integer range (ids are 32-bit on PostgreSQL).
    """

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = 0,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, False)


class Parameters(ImmutableMultiDict):
    """Query and form values whose `get(name, type=int)` takes a plain number in range only.

    int() alone reads '١٢' and numbers no database column holds; such a value is treated
    like any other malformed one: `get` returns the default.
    """

    # One signature stands for Werkzeug's overloads, which mypy cannot match one by one.
    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]
        return super().get(key, default, parse_whole_number if type is int else type)


class TrackerRequest(Request):
    """The request, with query and form values read by `Parameters`."""

    parameter_storage_class = Parameters


class HostileInput(BadRequest):
    """A request carrying control characters (NUL and the like) no form or address holds."""

    description = _l("The request contained control characters (such as NUL) that no "
                     "field accepts. Remove them and try again.")


def refuse_control_characters() -> None:
    """Before any view: refuse NUL and other control characters in any value sent."""
    values = [*chain.from_iterable(request.args.listvalues()),
              *(request.view_args or {}).values()]
    if request.method == "POST":
        values += [*chain.from_iterable(request.form.listvalues()),
                   *(upload.filename for upload in request.files.values())]
    if any(isinstance(value, str) and CONTROL_CHARACTERS.search(value) for value in values):
        raise HostileInput()


def register_web(app: Flask) -> None:
    """Register every blueprint, the Jinja helpers, the input checks and the error pages."""
    from tracker.applications.views import bp as applications_bp
    from tracker.audit.views import bp as audit_bp
    from tracker.auth.headers import set_security_headers
    from tracker.auth.limits import too_many_requests
    from tracker.auth.views import bp as auth_bp
    from tracker.campaigns.views import bp as campaigns_bp
    from tracker.core.views import bp as core_bp
    from tracker.dashboard.views import bp as dashboard_bp
    from tracker.drives.views import bp as drives_bp
    from tracker.grants.views import bp as grants_bp
    from tracker.mail.views import bp as mail_bp
    from tracker.money.views import bp as money_bp
    from tracker.orgs.views import bp as orgs_bp
    from tracker.proposals.views import bp as proposals_bp
    from tracker.reminders.views import bp as reminders_bp
    from tracker.supporters.views import bp as supporters_bp
    from tracker.targets.views import bp as targets_bp
    from tracker.tasks.views import bp as tasks_bp

    # Before the blueprints: their rules look the converter up as they are added.
    app.url_map.converters["int"] = IdConverter
    app.request_class = TrackerRequest
    # After the CSRF and session checks (registered earlier), before any view reads a value.
    app.before_request(refuse_control_characters)
    for blueprint in (core_bp, dashboard_bp, auth_bp, orgs_bp, campaigns_bp, targets_bp,
                      money_bp, audit_bp, drives_bp, applications_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(supporters_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(tasks_bp)
    app.register_blueprint(grants_bp)
    app.after_request(set_security_headers)
    app.register_error_handler(429, too_many_requests)
    # Services' get_… functions raise NotFound for a record a URL names that does not exist.
    app.register_error_handler(NotFound, lambda _error: (render_error(404), 404))

    app.jinja_env.filters.update(
        money=i18n.format_money,
        day=i18n.format_day,
        timestamp=i18n.format_timestamp,
        country=i18n.country_name,
        number=format_decimal,  # a count in the reader's digits: '1,000', '1 000'
    )
    app.jinja_env.globals.update(
        current_language=i18n.current_language,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        external_url=external_url,  # absolute links from BASE_URL, never the request's Host
        form_problems=form_problems,  # a failed form's summary (templates/_forms.html)
        site_navigation=navigation.site_navigation,  # the header's links, kept (base.html)
        site_tools=navigation.site_tools,  # the account and language tools, kept (base.html)
    )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Show an HTTP error as a page in the user's language, never a traceback."""
        message = error.description if isinstance(error, HostileInput) else None
        return render_error(error.code or 500, message), error.code or 500

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        """Log an unexpected error and show a plain 500 page."""
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error", exc_info=error)
        return render_error(InternalServerError.code), InternalServerError.code


def render_error(code: int, message: str | None = None) -> str:
    """The error page for an HTTP status code, with what went wrong when it is known."""
    title = ERROR_TITLES.get(code, ERROR_TITLES[500])
    return render_template("errors/error.html", code=code, title=title, message=message)
