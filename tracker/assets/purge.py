"""Bootstrap's CSS cut down to the rules Tracker's pages can use.

    python -m tracker.assets.purge          # rewrite bootstrap.used.css
    python -m tracker.assets.purge --check  # exit 1 when it is out of date

Every word of the templates, the Python code (classes built in strings) and the scripts
counts as a class that may be used; a word ending in "-" (`alert-{{ category }}`,
f"text-bg-{tone}") keeps every class it begins. A rule is kept when one of its selectors
names only such classes and attributes (classes inside :not() need not be used). Rules
without a class (the :root variables, the reboot) stay, as do the keyframes kept rules
animate. A template using a class the file lacks fails tests/test_assets.py until this
is run again.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

import tinycss2
from tinycss2.ast import AtRule, Node, QualifiedRule

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCE = ROOT / "tracker" / "static" / "vendor" / "bootstrap" / "bootstrap.min.css"
TARGET = ROOT / "tracker" / "static" / "vendor" / "bootstrap" / "bootstrap.used.css"
# Where classes can be named: (folder, file name pattern).
SCANNED = ((ROOT / "templates", "*.html"), (ROOT / "tracker", "*.py"),
           (ROOT / "tracker" / "static" / "js", "*.js"))
COMMAND = "python -m tracker.assets.purge"
HEADER = ("/*! Bootstrap v5.3.9 (https://getbootstrap.com/), MIT licence (LICENSE beside). "
          f"The rules Tracker uses, written by `{COMMAND}`: do not edit. */\n")

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
CLASS = re.compile(r"\.(-?[A-Za-z_][A-Za-z0-9_-]*)")
ATTRIBUTE = re.compile(r"\[\s*([A-Za-z_][A-Za-z0-9_-]*)")
NOT = ":not("
# At-rules whose rules are filtered like the top level's.
GROUPING = {"media", "supports", "container", "layer"}


class Vocabulary:
    """The words Tracker's sources contain, and the prefixes its templates complete."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.words: set[str] = set()
        for text in texts:
            self.words.update(WORD.findall(text))
        self.prefixes = tuple(sorted(word for word in self.words if word.endswith("-")))

    def has(self, name: str) -> bool:
        return name in self.words or name.startswith(self.prefixes)


def source_texts() -> list[str]:
    """The text of every file a class can be named in."""
    return [path.read_text(encoding="utf-8") for folder, pattern in SCANNED
            for path in sorted(folder.rglob(pattern))]


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(prelude):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(prelude[start:index])
            start = index + 1
    parts.append(prelude[start:])
    return [part.strip() for part in parts if part.strip()]


def _without_negations(selector: str) -> str:
    """The selector with every :not(...) removed: what it excludes need not exist."""
    while (start := selector.find(NOT)) >= 0:
        depth, index = 0, start + len(NOT) - 1
        for index in range(start + len(NOT) - 1, len(selector)):
            depth += {"(": 1, ")": -1}.get(selector[index], 0)
            if depth == 0:
                break
        selector = selector[:start] + selector[index + 1:]
    return selector


def _usable(selector: str, vocabulary: Vocabulary) -> bool:
    positive = _without_negations(selector)
    return all(vocabulary.has(name) for name in CLASS.findall(positive)) and all(
        vocabulary.has(name) for name in ATTRIBUTE.findall(positive))


def _rules(nodes: Iterable[Node], vocabulary: Vocabulary) -> list[str]:
    """The kept rules of a rule list, serialized; keyframes are decided later."""
    kept: list[str] = []
    for node in nodes:
        if isinstance(node, QualifiedRule):
            selectors = [selector for selector in _split_selectors(
                tinycss2.serialize(node.prelude)) if _usable(selector, vocabulary)]
            if selectors:
                kept.append(",".join(selectors) + "{" + tinycss2.serialize(node.content) + "}")
        elif isinstance(node, AtRule):
            prelude = tinycss2.serialize(node.prelude)
            keyword = node.lower_at_keyword
            if keyword in GROUPING and node.content is not None:
                inner = _rules(tinycss2.parse_rule_list(node.content, skip_comments=True,
                                                        skip_whitespace=True), vocabulary)
                if inner:
                    kept.append(f"@{node.at_keyword}{prelude}{{{''.join(inner)}}}")
            elif keyword != "charset":
                kept.append(tinycss2.serialize([node]))
    return kept


KEYFRAMES = re.compile(r"^@(?:-webkit-)?keyframes\s+([A-Za-z0-9_-]+)")


def purge(css: str, vocabulary: Vocabulary) -> str:
    """The rules of `css` that the vocabulary can use, minified, with the header."""
    nodes = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    rules = _rules(nodes, vocabulary)
    body = "".join(rule for rule in rules if not KEYFRAMES.match(rule))
    animations = [rule for rule in rules if (match := KEYFRAMES.match(rule))
                  and re.search(rf"\b{re.escape(match.group(1))}\b", body)]
    return HEADER + body + "".join(animations) + "\n"


def expected() -> str:
    """What bootstrap.used.css must contain for the sources as they are now."""
    return purge(SOURCE.read_text(encoding="utf-8"), Vocabulary(source_texts()))


def main(argv: list[str]) -> int:
    """Write bootstrap.used.css, or with --check say whether it is current."""
    css = expected()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != css:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run {COMMAND}")
            return 1
        return 0
    TARGET.write_text(css, encoding="utf-8")
    print(f"Wrote {TARGET.relative_to(ROOT)} ({len(css):,} bytes of {SOURCE.stat().st_size:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
