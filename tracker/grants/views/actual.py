"""The budget against actual screen: a reporting period's figures by line, category,
partner and country, with overspent categories flagged and spending against time.

A partner's lead sees only its own lines, and totals computed from them
(services.own_share); a lead whose organisation has no part in the grant is refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_percent
from flask import render_template, request

from tracker.auth.permissions import require
from tracker.auth.sessions import current_user, login_required
from tracker.errors import NotFound
from tracker.grants import services
from tracker.grants.views import bp
from tracker.i18n import current_language


@bp.app_template_filter("fraction")
def format_fraction(value: Decimal | None) -> str:
    """A share (0.1234) as a percentage with one decimal in the reader's language."""
    if value is None:
        return "—"
    return format_percent(value, format="#,##0.0%", locale=current_language())


@bp.get("/<int:grant_id>/actual")
@login_required
def actual(grant_id: int) -> Any:
    """Budget against actual for a reporting period (the one running today by default)."""
    grant = services.get_grant(grant_id)
    visibility = services.spending_visibility(current_user, grant)
    require(visibility is not None and not visibility.nothing)
    assert visibility is not None
    number = request.args.get("period", type=int)
    period = None
    if number is not None:
        try:
            period = services.get_period(grant, number)
        except NotFound:
            period = None  # a period the grant lacks is ignored, like any unknown filter
    figures = services.budget_against_actual(grant, period)
    if visibility.only_org_id is not None:
        figures = services.own_share(figures, visibility.only_org_id)
    return render_template("grants/actual.html", grant=grant, actual=figures,
                           partial=visibility.only_org_id is not None,
                           partner_names={line.partner_org_id: line.partner.name
                                          for line in grant.lines},
                           dimensions=[
                               ("categories", figures.categories),
                               ("partners", figures.partners),
                               ("countries", figures.countries)])
