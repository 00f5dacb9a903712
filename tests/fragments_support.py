"""What the kept-fragment tests share (issue 15): the templates a block of requests
rendered, to show that an unchanged fragment is taken from its store, not rendered again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, template_rendered


@contextmanager
def rendered_templates(app: Flask) -> Iterator[list[str]]:
    """The names of the templates rendered inside the block, in order, one per rendering."""
    names: list[str] = []

    def record(_sender: Any, template: Any, context: Any, **_extra: Any) -> None:
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)
