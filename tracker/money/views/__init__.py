"""Screens of the money area: currencies, exchange rates and their CSV import."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.auth.permissions import Action, permission_required
from tracker.csvfiles import RowError, size_label
from tracker.i18n import current_language, format_day
from tracker.money import services
from tracker.money.forms import RateFilterForm, RateForm, RatesImportForm
from tracker.money.iso4217 import MINOR_UNITS, REGIONAL
from tracker.money.sources import sources_label
from tracker.money.views import kept
from tracker.views import commit, requested_page

bp = Blueprint("money", __name__)


def sample_rates_file() -> str:
    """An importable rates file, its sources named in the reader's language."""
    return ("date,base,quote,rate,source\r\n"
            f"2026-03-02,USD,RUB,91.2345,{_('Central Bank of Russia')}\r\n"
            f"2026-03-02,EUR,KZT,548.17,{_('National Bank of Kazakhstan')}\r\n")


@bp.app_template_global("stored_path")
def stored_path(base: str, quote: str, on: object, rate: Decimal | None) -> object:
    """The pivot legs behind a record's stored rate, for templates (None if direct)."""
    # Type check: a template global passes the values it holds.
    return services.stored_path(base, quote, on, rate)  # type: ignore[arg-type]


@bp.app_template_filter("rate_source")
def rate_source(value: str | None) -> str:
    """A rate's source in the reader's language when it is a known one, else as typed."""
    return sources_label(value or "")


@bp.app_template_filter("rate")
def format_rate(value: Decimal | None, places: int | None = None,
                significant: int | None = None) -> str:
    """An exchange rate in the reader's language with every stored decimal ('91,2345').

    With `places`, a derived rate (an inverse) is first rounded to that many decimals;
    with `significant`, to that many significant digits (a small cross rate such as
    KZT→EUR keeps its digits).
    """
    if value is None:
        return ""
    if significant is not None and value:
        value = value.quantize(Decimal(1).scaleb(value.adjusted() - significant + 1),
                               rounding=ROUND_HALF_UP)
    elif places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format_decimal(value.normalize(), locale=current_language(),
                          decimal_quantization=False)


@bp.get("/currencies")
def index() -> ResponseReturnValue:
    """The coalition's currencies (or every ISO 4217 one) with the latest rates to USD and EUR."""
    include_all = request.args.get("all") == "1"
    currencies = services.list_currencies(include_all=include_all)
    return render_template(
        "money/index.html",
        currencies=currencies,
        rows=kept.currency_rows(currencies, services.RATE_ANCHORS),
        include_all=include_all,
        anchors=services.RATE_ANCHORS,
        iso_count=len(MINOR_UNITS),
        regional_count=len(REGIONAL),
    )


@bp.get("/rates")
def rates() -> ResponseReturnValue:
    """Stored exchange rates, newest first, filtered by currency and dates, 50 a page."""
    form = RateFilterForm(formdata=request.args)
    form.validate()
    filters = form.valid_filters()
    page = requested_page()
    pagination = services.list_rates(page=page, **filters)
    return render_template("money/rates.html", pagination=pagination, filters=filters,
                           filters_form=kept.rate_filters(form, filters),
                           rows=kept.rate_rows(pagination.items),
                           pager_links=kept.rate_pager(pagination, filters))


@bp.route("/rates/new", methods=["GET", "POST"])
@permission_required(Action.MANAGE_RATES)
def new_rate() -> ResponseReturnValue:
    """Record one dated exchange rate."""
    form = RateForm()
    if not form.is_submitted():
        return render_template("money/rate_form.html", form=form)
    if not form.validate():
        return render_template("money/rate_form.html", form=form), 422
    outcome = commit(lambda: services.add_rate(form.on_date.data, form.base.data,
                                               form.quote.data, form.rate.number,
                                               form.source.data or ""), form)
    if outcome.refused:
        return render_template("money/rate_form.html", form=form), 422
    record = outcome.value
    assert record is not None
    flash(_("Rate recorded: 1 %(base)s = %(rate)s %(quote)s on %(date)s.", base=record.base,
            rate=format_rate(record.rate), quote=record.quote, date=format_day(record.on_date)),
          "success")
    return redirect(url_for("money.rates"))


@bp.route("/rates/import", methods=["GET", "POST"])
@permission_required(Action.MANAGE_RATES)
def import_rates() -> ResponseReturnValue:
    """Import rates from a CSV file: all of its rows, or none of them."""
    form = RatesImportForm()
    if not form.is_submitted():
        return _render_import(form)
    if not form.validate():
        return _render_import(form, status=422)
    outcome = commit(lambda: services.import_rates_csv(
        form.file.data.stream,
        max_bytes=current_app.config["RATES_CSV_MAX_BYTES"],
        max_rows=current_app.config["RATES_CSV_MAX_ROWS"],
    ), form)
    if outcome.refused:
        return _render_import(form, row_errors=getattr(outcome.error, "rows", []), status=422)
    result = outcome.value
    assert result is not None
    flash(_import_summary(result), "success")
    return redirect(url_for("money.rates"))


@bp.get("/rates/import/sample.csv")
def sample_csv() -> ResponseReturnValue:
    """A small CSV file in the expected format, to fill in."""
    return Response(sample_rates_file(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=rates-sample.csv"})


def _render_import(form: RatesImportForm, row_errors: list[RowError] | None = None,
                   status: int = 200) -> ResponseReturnValue:
    return render_template(
        "money/import.html", form=form, row_errors=row_errors or [], sample=sample_rates_file(),
        max_rows=format_decimal(current_app.config["RATES_CSV_MAX_ROWS"],
                                locale=current_language()),
        max_size=size_label(current_app.config["RATES_CSV_MAX_BYTES"]),
    ), status


def _import_summary(result: services.ImportResult) -> str:
    if result.imported == 0:
        return ngettext("Nothing new: the rate in the file was already recorded.",
                        "Nothing new: all %(num)d rates in the file were already recorded.",
                        result.already_recorded)
    if result.already_recorded == 0:
        return ngettext("%(num)d rate imported.", "%(num)d rates imported.", result.imported)
    return ngettext("%(num)d rate imported, %(skipped)d already recorded.",
                    "%(num)d rates imported, %(skipped)d already recorded.",
                    result.imported, skipped=result.already_recorded)
