"""Wires blueprints, template helpers and error pages into the app."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from tracker import i18n
from tracker.errors import NotFound
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


def register_web(app: Flask) -> None:
    """Register every blueprint, the Jinja helpers and the error pages."""
    from tracker.applications.views import bp as applications_bp
    from tracker.audit.views import bp as audit_bp
    from tracker.auth.headers import set_security_headers
    from tracker.auth.limits import too_many_requests
    from tracker.auth.views import bp as auth_bp
    from tracker.campaigns.views import bp as campaigns_bp
    from tracker.core.views import bp as core_bp
    from tracker.dashboard.views import bp as dashboard_bp
    from tracker.drives.views import bp as drives_bp
    from tracker.mail.views import bp as mail_bp
    from tracker.money.views import bp as money_bp
    from tracker.orgs.views import bp as orgs_bp
    from tracker.proposals.views import bp as proposals_bp
    from tracker.supporters.views import bp as supporters_bp
    from tracker.targets.views import bp as targets_bp

    for blueprint in (core_bp, dashboard_bp, auth_bp, orgs_bp, campaigns_bp, targets_bp,
                      money_bp, audit_bp, drives_bp, applications_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(supporters_bp)
    app.register_blueprint(mail_bp)
    app.after_request(set_security_headers)
    app.register_error_handler(429, too_many_requests)
    # Services' get_… functions raise NotFound for a record a URL names that does not exist.
    app.register_error_handler(NotFound, lambda _error: (render_error(404), 404))

    app.jinja_env.filters.update(
        money=i18n.format_money,
        day=i18n.format_day,
        timestamp=i18n.format_timestamp,
        country=i18n.country_name,
    )
    app.jinja_env.globals.update(
        current_language=i18n.current_language,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        external_url=external_url,  # absolute links from BASE_URL, never the request's Host
    )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Show an HTTP error as a page in the user's language, never a traceback."""
        return render_error(error.code or 500), error.code or 500

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        """Log an unexpected error and show a plain 500 page."""
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error", exc_info=error)
        return render_error(InternalServerError.code), InternalServerError.code


def render_error(code: int) -> str:
    """The error page for an HTTP status code."""
    title = ERROR_TITLES.get(code, ERROR_TITLES[500])
    return render_template("errors/error.html", code=code, title=title)
