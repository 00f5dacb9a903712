"""Forms of the dashboard: the reporting currency of the coalition totals."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from tracker.forms import CurrencySelect, coalition_currencies


class ReportingCurrencyForm(FlaskForm):
    """Which currency every figure of the dashboard is shown in (remembered for the user).

    Offered: the currencies the coalition's money and rates are in, since a figure can only
    be converted into one of them, and the user's current choice.
    """

    currency = CurrencySelect(_l("Show every figure in"))

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency.offer([*coalition_currencies(), current])
