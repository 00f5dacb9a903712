"""Forms of the dashboard: the reporting currency of the coalition totals."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from tracker.forms import CurrencySelect


class ReportingCurrencyForm(FlaskForm):
    """Which currency every figure of the dashboard is shown in (remembered for the user)."""

    currency = CurrencySelect(_l("Show every figure in"))
