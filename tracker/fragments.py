"""Rendered HTML kept for as long as what it shows is unchanged (issue 15).

One machinery for every kept fragment: the dashboard's rows and funding sections, the public
drive page, the campaign page's sections. A fragment is kept under a key made of everything
it shows, read from the database as stored (figures, titles, rates, the language, today),
so a change of any of it changes the key and a kept fragment can never show a stale figure;
keeping only saves rendering HTML identical to what was rendered before.

- `KeptFragments`: a bounded map from a key to HTML, least recently shown first out, in
  memory per process (each gunicorn worker has its own). A shared store (Redis) would add a
  round trip to save a few milliseconds, and the key is the content itself, so each
  worker's copy is as fresh as any.
- `kept_store(name, size)`: the application's store of that name, created on first use.
- `kept(store, key_of, render)`: the fragment from the store, or rendered and kept. What is
  rendered after the key was read is kept only if the key reads the same afterwards, so a
  write that lands while the fragment renders cannot leave newer figures under an older key.
- `kept_each(store, items, key_of, render)`: `kept` for each item of a list, its key and its
  rendering taken from the item: the rows of a list page.
- `kept_with_holes(store, key_of, render, values)`: `kept` for a fragment that shows
  per-request values, kept as `Holed` and filled in with each request's.
- `digest(*values)`: a key's bytes from the values a fragment shows (pickled, then hashed).
- `Holed`: a rendered page with its per-request values cut out (the CSRF token, a form's
  once-only submission key), so that a page the same for every visitor but for those can be
  kept and filled in for each request. The values are cut where they were rendered: they are
  fresh random strings, which no other content of the page can contain.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from threading import Lock
from typing import Any, Generic, TypeVar

from flask import current_app
from markupsafe import Markup

T = TypeVar("T")
Item = TypeVar("Item")
# A value cut out of a page must be long and random enough never to be page content, and
# plain enough to be the same escaped or not (tokens and keys are URL-safe base64).
HOLE_VALUE = re.compile(r"[A-Za-z0-9._-]{16,}")
# A fixed protocol: the digest of the same values stays the same across Python versions.
PICKLE_PROTOCOL = 5


def digest(*values: Any) -> bytes:
    """A key's 20 bytes for the values a fragment shows: equal values give equal bytes.

    Pickled, not repr()'d: a third of the time for a dashboard's 200 rows, and as faithful
    (the same values pickled another way would only miss the store, never hit a wrong key).
    """
    return hashlib.blake2b(pickle.dumps(values, PICKLE_PROTOCOL), digest_size=20).digest()


class KeptFragments(Generic[T]):
    """A bounded map from a fragment's key to what was rendered, least recently used first out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: Hashable, fragment: T) -> None:
        with self._lock:
            self._kept[key] = fragment
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)


def kept_store(name: str, size: int) -> KeptFragments[Any]:
    """The application's store called `name` (one per app, created on first use)."""
    store: KeptFragments[Any] | None = current_app.extensions.get(name)
    if store is None:
        store = current_app.extensions.setdefault(name, KeptFragments(size))
    return store


def kept(store: KeptFragments[T], key_of: Callable[[], Hashable | None],
         render: Callable[[], T]) -> T:
    """The fragment kept under the key `key_of` reads now, else `render`ed (and kept when the
    key still reads the same afterwards). A key of None means "cannot be keyed": rendered."""
    key = key_of()
    if key is not None and (found := store.get(key)) is not None:
        return found
    fragment = render()
    if key is not None and key_of() == key:
        store.put(key, fragment)
    return fragment


def kept_with_holes(store: KeptFragments[Holed], key_of: Callable[[], Hashable | None],
                    render: Callable[[], str], values: Mapping[str, str]) -> Markup:
    """`kept` for a fragment that shows per-request values (a CSRF token, a once-only key):
    rendered with this request's values, kept with them cut out, filled in with them."""
    return kept(store, key_of, lambda: Holed.cut(render(), values)).fill(values)


def kept_each(store: KeptFragments[T], items: Iterable[Item],
              key_of: Callable[[Item], Hashable | None], render: Callable[[Item], T]) -> list[T]:
    """Each item's fragment, kept under `key_of(item)` or `render(item)`ed (see `kept`)."""
    return [kept(store, partial(key_of, item), partial(render, item)) for item in items]


@dataclass(frozen=True)
class Holed:
    """A rendered page with its per-request values cut out: `pieces` of HTML, and after each
    piece but the last, the name of the value that stood there."""

    pieces: tuple[str, ...]
    holes: tuple[str, ...]

    @classmethod
    def cut(cls, html: str, values: Mapping[str, str]) -> Holed:
        """Cut every occurrence of each value out of the page, remembering which stood where."""
        _check(values)
        names = {value: name for name, value in values.items()}
        parts = re.split("(" + "|".join(map(re.escape, names)) + ")", html)
        return cls(tuple(parts[0::2]), tuple(names[value] for value in parts[1::2]))

    def fill(self, values: Mapping[str, str]) -> Markup:
        """The page with this request's values in its holes."""
        _check(values)
        out = [self.pieces[0]]
        for name, piece in zip(self.holes, self.pieces[1:], strict=True):
            out += (values[name], piece)
        return Markup("".join(out))


def _check(values: Mapping[str, str]) -> None:
    if not all(HOLE_VALUE.fullmatch(value) for value in values.values()):
        raise ValueError("a page's hole takes a long URL-safe random value")
