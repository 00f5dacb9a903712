"""The currency select's options kept per process (issue 15): every form with a currency list
renders some 170 options, the same for every request in a language. They are rendered once
for each language, coalition list, offer and blank choice, and only the current value is
marked on each request: the select must read exactly as WTForms renders it, and a currency
that joins the coalition must move into its group at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask_babel import force_locale
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired
from wtforms.widgets import Select

from tests.drive_support import DRIVE_SLUG
from tests.pages import switch_to_russian
from tests.test_forms import NEW_DRIVE, drive_form, option_groups
from tests.test_kept_public_page import as_a_new_request
from tracker.forms import CurrencySelect

PLEDGE_FORM = f"/drives/{DRIVE_SLUG}/pledges/new"
WTFORMS_SELECT = Select()


class ProbeForm(FlaskForm):
    """A currency list with a blank choice whose label must be escaped, a required flag and
    attributes of its own (none of the app's forms has them all)."""

    class Meta:
        csrf = False

    currency = CurrencySelect("Currency", blank='<Any> & "every" currency',
                              validators=[InputRequired()], render_kw={"data-note": "<a&b>"})


def currency_select(html: str, select_id: str = "currency") -> str:
    """The whole <select> of that id, as the page has it."""
    found = re.search(rf'<select[^>]*\bid="{select_id}".*?</select>', html, re.S)
    assert found, f"no select {select_id!r}"
    return found.group(0)


def selected_values(select_html: str) -> list[str]:
    """The values of the options marked selected."""
    return re.findall(r'<option selected value="([^"]*)"', select_html)


def both_renderings(field: Any, **attrs: Any) -> tuple[str, str]:
    """The field rendered twice as the app renders it (kept options), then by WTForms."""
    first, again = str(field(**attrs)), str(field(**attrs))
    assert first == again
    field.widget = WTFORMS_SELECT
    return again, str(field(**attrs))


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(("offer", "value", "selected"), [
    (None, "KZT", ["KZT"]),                     # every currency, one chosen
    (None, "", [""]),                           # the blank choice
    (None, None, []),                           # nothing chosen yet
    (None, "XYZ", []),                          # not a currency: nothing selected
    (None, '"><b>', []),                        # a hostile value posted back
    (["KZT", "RUB", "XYZ", "KZT"], "RUB", ["RUB"]),  # a few offered (XYZ is no currency)
    (["KZT", "RUB"], "USD", []),                # a currency not offered: nothing selected
])
def test_a_currency_select_reads_exactly_as_wtforms_renders_it(app, world, language, offer,
                                                              value, selected):
    """Attributes, escaping, option groups and the one selected option, in both languages."""
    with app.test_request_context(), force_locale(language):
        form = ProbeForm(data={"currency": value})
        form.currency.offer(offer)
        kept, wtforms = both_renderings(form.currency, class_="form-select",
                                        **{"aria-describedby": "currency-help"})
        assert kept == wtforms
        assert selected_values(kept) == selected
        assert "&lt;Any&gt; &amp; &#34;every&#34; currency</option>" in kept
        assert re.match(r'<select [^>]*data-note="&lt;a&amp;b&gt;"[^>]*\brequired\b', kept)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("posted", [None, "XYZ", "rub", '"><script>'])
def test_the_pledge_form_shows_the_select_wtforms_would(as_lead, drive, monkeypatch, language,
                                                        posted):
    """The staff pledge form, opened or sent back with a currency that is not offered."""
    if language == "ru":
        switch_to_russian(as_lead)

    def open_form() -> str:
        if posted is None:
            return currency_select(as_lead.get(PLEDGE_FORM).text)
        response = as_lead.post(PLEDGE_FORM, data={"amount": "100", "currency": posted,
                                                   "pledged_on": "2026-03-01"})
        assert response.status_code == 422
        return currency_select(response.text)

    open_form()
    kept = open_form()
    monkeypatch.setattr(CurrencySelect, "widget", WTFORMS_SELECT)
    assert kept == open_form()
    assert selected_values(kept) == (["RUB"] if posted is None else [])


def test_the_options_are_rendered_once_not_on_every_request(as_lead, drive, monkeypatch):
    """The second opening of the pledge form renders no currency option anew."""
    rendered: list[str] = []
    render_option = Select.render_option.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Select], choice: Any, **kwargs: Any) -> Any:
        rendered.append(choice.value)
        return render_option(cls, choice, **kwargs)

    monkeypatch.setattr(Select, "render_option", classmethod(counted))
    as_lead.get(PLEDGE_FORM)
    as_lead.get(PLEDGE_FORM)
    rendered.clear()
    page = as_lead.get(PLEDGE_FORM).text
    assert "CHF — Swiss Franc" in page
    assert not {"RUB", "CHF", "USD"} & set(rendered)


def test_a_drive_in_a_new_currency_moves_it_among_the_coalitions_at_once(as_lead, world,
                                                                         drive):
    """A drive in Swiss francs: the pledge form lists CHF with the coalition's currencies."""
    groups = option_groups(as_lead.get(PLEDGE_FORM).text, "currency")
    assert "CHF — Swiss Franc" in groups["Other currencies"]
    assert "CHF — Swiss Franc" not in groups["Coalition currencies"]

    response = as_lead.post(NEW_DRIVE, data=drive_form(world, slug="geneva-lab",
                                                       currency="CHF"))
    assert response.status_code == 302
    as_a_new_request()
    select = currency_select(as_lead.get(PLEDGE_FORM).text)
    groups = option_groups(select, "currency")
    assert "CHF — Swiss Franc" in groups["Coalition currencies"]
    assert "CHF — Swiss Franc" not in groups["Other currencies"]
    assert selected_values(select) == ["RUB"]
    switch_to_russian(as_lead)
    groups = option_groups(as_lead.get(PLEDGE_FORM).text, "currency")
    assert "CHF — швейцарский франк" in groups["Валюты коалиции"]
