"""The public pages of a drive: progress and the pledge form, thanks, the embeddable widget."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response

from tracker.auth.headers import frameable
from tracker.auth.limits import take_one
from tracker.auth.sessions import public
from tracker.drives import services
from tracker.drives.forms import PublicPledgeForm
from tracker.drives.models import Drive
from tracker.drives.sharing import preview_of, progress_png
from tracker.drives.views import bp
from tracker.forms import coalition_currencies
from tracker.fragments import digest, kept_store, kept_with_holes
from tracker.i18n import LANGUAGES, current_language
from tracker.money.value import Money, MoneyError
from tracker.submissions import commit_once, new_key
from tracker.urls import external_url

THANKS_KEY = "drive_thanks"
KEPT_PAGES = "tracker.drives.public_pages"
# A drive's page in two languages, with room for a few query strings; about 30 KB each.
PAGES_KEPT = 512


KEPT_FORMS = "tracker.drives.public_forms"
# A drive's form in two languages, with room for the next version of the currencies.
FORMS_KEPT = 512
FORM_TEMPLATE = "drives/_public_pledge_form.html"


def _render_public(drive: Drive, form: PublicPledgeForm, status: int = 200,
                   kept_form: Markup | None = None) -> Any:
    figures = services.drive_figures(drive)
    return render_template(
        "drives/public.html",
        drive=drive,
        figures=figures,
        preview=preview_of(drive, figures),
        supporters=services.public_supporters(drive),
        form=form,
        kept_form=kept_form,
        share_url=external_url("drives.public_page", slug=drive.slug),
    ), status


def _kept_public_form(drive: Drive, form: PublicPledgeForm, values: dict[str, str]) -> Markup:
    """The page's empty pledge form, kept apart from the page with its CSRF token and
    once-only key cut out, while the language, the drive's address and currency and the
    coalition's currencies (its choices) read the same: every pledge changes the page's
    figures, and its seven fields were most of rendering the page anew."""
    def key() -> bytes:
        return digest("public-pledge-form", current_language(), request.script_root,
                      drive.slug, drive.currency, tuple(coalition_currencies()))

    def render() -> str:
        return render_template(FORM_TEMPLATE, drive=drive, form=form)

    return kept_with_holes(kept_store(KEPT_FORMS, FORMS_KEPT), key, render, values)


def _public_page_key(slug: str) -> bytes | None:
    """A digest of everything the public page shows: the drive, its roll-up, organiser,
    campaign and the supporters it names as stored (one statement), the versions of the
    coalition's currencies (the form's choices) and rates (tracker.versions, read in the same
    statement), the language, today (days left), the page's own address and query (the
    language switch comes back to it) and the share link. None (rendered, not kept) when the
    public may not see the drive, then rendering answers 404, or when no version is stored."""
    state = services.public_page_state(slug)
    if state is None or state.versions is None:
        return None
    seen = (current_language(), services.today(), request.script_root, request.full_path,
            external_url("drives.public_page", slug=slug), state.shown, state.versions)
    return digest(*seen)


def _kept_public_page(slug: str) -> Markup:
    """The public page, the same for every visitor in one language but for the CSRF token
    and the form's once-only key: kept with those cut out (tracker.fragments), filled in
    with this request's. A kept page is served without loading the drive."""
    values = {"csrf": generate_csrf(), "submission": new_key()}

    def render() -> str:
        drive = services.get_public_drive(slug)  # loaded after the key was read, or 404
        form = PublicPledgeForm.for_drive(drive)
        form.submission_key.data = values["submission"]
        kept_form = (_kept_public_form(drive, form, values) if drive.accepts_public_pledges
                     else None)
        html, _status = _render_public(drive, form, kept_form=kept_form)
        return str(html)

    return kept_with_holes(kept_store(KEPT_PAGES, PAGES_KEPT), lambda: _public_page_key(slug),
                           render, values)


def _public_pledge_wait() -> int:
    """Count this submission against the client address; 0, or seconds until allowed.

    The limit (PUBLIC_PLEDGE_LIMIT) is high enough for many people behind one address;
    the per-drive ceiling of unconfirmed pledges (submit_public_pledge) stops a flood.
    """
    return take_one(current_app.config["PUBLIC_PLEDGE_LIMIT"],
                    f"public-pledges/address/{request.remote_addr or 'unknown'}")


@bp.get("/d/<slug>")
@public
def public_page(slug: str):
    """The public page of a drive: progress, supporters, a share link and the pledge form."""
    if session.get("_flashes"):  # a message for this visitor alone: rendered for them
        drive = services.get_public_drive(slug)
        return _render_public(drive, PublicPledgeForm.for_drive(drive))
    return _kept_public_page(slug)


@bp.post("/d/<slug>")
@public
def public_pledge(slug: str):
    """A pledge from the public page: rate limited, CSRF protected, confirmed later by a lead."""
    drive = services.get_public_drive(slug)
    retry_after = _public_pledge_wait()
    if retry_after:
        response = make_response(render_template("drives/too_many_pledges.html", drive=drive,
                                                 retry_after=retry_after), 429)
        response.headers["Retry-After"] = str(retry_after)
        return response
    form = PublicPledgeForm.for_drive(drive)
    if not form.validate():
        return _render_public(drive, form, status=422)
    ceiling = current_app.config["PUBLIC_PLEDGE_DRIVE_HOURLY"]
    done = commit_once(form, "public_pledge",
                       lambda: services.submit_public_pledge(drive, form.to_input(),
                                                             hourly_ceiling=ceiling),
                       lambda _pledge: url_for("drives.thanks", slug=slug))
    if done.repeated:
        return done.redirect()
    if isinstance(done.error, services.TooManyAwaiting):
        return render_template("drives/too_many_pledges.html", drive=drive,
                               message=done.message, retry_after=None), 429
    if done.refused:
        return _render_public(services.get_public_drive(slug), form, status=422)
    session[THANKS_KEY] = {"slug": slug, "amount": str(form.amount.data),
                           "currency": form.currency.data}
    return redirect(url_for("drives.thanks", slug=slug))


def _thanked_amount(slug: str) -> Money | None:
    """The amount of the visitor's last pledge to this drive, kept in their session."""
    thanks = session.get(THANKS_KEY)
    if not isinstance(thanks, dict) or thanks.get("slug") != slug:
        return None
    try:
        return Money(Decimal(str(thanks.get("amount"))), str(thanks.get("currency")))
    except (MoneyError, InvalidOperation, ValueError):
        return None


@bp.get("/d/<slug>/thanks")
@public
def thanks(slug: str):
    """The thank-you page after a public pledge."""
    drive = services.get_public_drive(slug)
    return render_template("drives/thanks.html", drive=drive, amount=_thanked_amount(slug))


@bp.get("/d/<slug>/widget")
@public
@frameable
def widget(slug: str) -> Response | Any:
    """A small embeddable view of a drive's progress: the one page other sites may frame."""
    drive = services.get_public_drive(slug)
    return render_template("drives/widget.html", drive=drive,
                           figures=services.drive_figures(drive))


@bp.get("/d/<slug>/preview.png")
@public
def preview_image(slug: str) -> Response:
    """The drive's progress as a PNG, for the previews of shared links (og:image)."""
    drive = services.get_public_drive(slug)
    language = request.args.get("lang", "")
    with force_locale(language if language in LANGUAGES else "en"):
        png = progress_png(drive, services.drive_figures(drive))
    response = make_response(png)
    response.mimetype = "image/png"
    # Its address changes with the progress (og:image carries it): caches may keep it a while.
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
