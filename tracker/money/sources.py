"""Where an exchange rate comes from, in the reader's language.

A rate's source is stored as the text it came with (typed on the form, a CSV column, the
demo's file). The sources the app itself writes or suggests (the demo's made-up rates, the
central banks the form names as examples) are known here in both languages, by any of
their usual spellings, so a Russian PDF says «Демонстрационные данные (приблизительно)»
where the record says "Demo data (approximate)", and an English one says "CBR" where a
user typed «ЦБ РФ» (an abbreviation stays one, a full name stays full). Any other source
is a user's own words and is shown as typed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Each known source: its label (translated when shown) and the spellings it is stored
# under, in either language, compared without case and surrounding spaces.
KNOWN_SOURCES: tuple[tuple[object, tuple[str, ...]], ...] = (
    (_l("Demo data (approximate)"),
     ("Demo data (approximate)", "Демонстрационные данные (приблизительно)")),
    (_l("ECB"), ("ECB", "ЕЦБ")),
    (_l("European Central Bank"), ("European Central Bank", "Европейский центральный банк")),
    (_l("CBR"), ("CBR", "ЦБ РФ")),
    (_l("Bank of Russia"), ("Bank of Russia", "Банк России")),
    (_l("Central Bank of Russia"),
     ("Central Bank of Russia", "Central Bank of the Russian Federation",
      "Центральный банк России", "Центральный банк Российской Федерации")),
    (_l("NBK"), ("NBK", "НБК", "НБРК")),
    (_l("National Bank of Kazakhstan"),
     ("National Bank of Kazakhstan", "National Bank of the Republic of Kazakhstan",
      "Национальный банк Казахстана", "Национальный банк Республики Казахстан")),
    (_l("Central bank"), ("Central bank", "Центральный банк")),
)

_BY_SPELLING: dict[str, object] = {
    spelling.casefold(): label for label, spellings in KNOWN_SOURCES for spelling in spellings}


def source_label(source: str) -> str:
    """A stored rate source in the current language if it is a known one, else as typed."""
    label = _BY_SPELLING.get(source.strip().casefold())
    return str(label) if label is not None else source


def sources_label(sources: str, separator: str = "; ") -> str:
    """Several sources joined by `separator` (a pivot's legs), each in the current language."""
    return separator.join(source_label(source) for source in sources.split(separator))
