"""Markdown of the narrative sections to safe HTML: markdown-it renders, nh3 sanitises.

Raw HTML in the Markdown is shown as text (markdown-it with html off), and whatever
HTML comes out is cleaned by nh3 with a short allowlist: no images, no styles, no
scripts, links only to http(s) and mailto. Nothing a user types can make the PDF
renderer fetch a file or the browser run a script.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "s", "del", "sup",
    "sub", "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody",
    "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Section headings are h2 in the proposal: a writer's "# Heading" becomes h3, "##" h4...
HEADING_SHIFT = 2


@cache
def _parser() -> MarkdownIt:
    # Imported on first use: a page without a narrative, and app start, need neither library.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}
                      ).enable("table").enable("strikethrough")


def sanitize(html: str) -> str:
    """HTML cleaned down to the allowlist (tags, attributes, URL schemes)."""
    import nh3

    return nh3.clean(html, tags=set(ALLOWED_TAGS), attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer")


def render_markdown(text: str) -> Markup:
    """A narrative section's Markdown as sanitised HTML, safe to put into any page or PDF."""
    if not text or not text.strip():
        return Markup("")
    parser = _parser()
    tokens = parser.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1]) + HEADING_SHIFT)
            token.tag = f"h{level}"
    html = parser.renderer.render(tokens, parser.options, {})
    return Markup(sanitize(html))  # sanitised by nh3: safe to mark as such
