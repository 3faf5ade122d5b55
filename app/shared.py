"""Things built once for every session of the server, keyed on what they are made of.

Streamlit runs every session's script in a thread of one process, so what
twelve people ask for at the same moment costs twelve times the CPU of one,
one after another (the GIL). What is the same for everyone (a sector's sheet
for the same plan, counts, filter and directory) is built once here and
shared: :func:`shared` keys it on a digest of its inputs (:func:`digest`),
so a change by anyone (a new plan version, a partner edit: a new directory
version in the key) gives a new key and the next run builds afresh.

Unlike ``st.cache_resource``, this works outside a script run too (a
download button's deferred data is built in a thread of the server).
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

import pandas as pd

T = TypeVar("T")

#: Entries kept per name (oldest used first out).
MAX_ENTRIES = 16

_LOCK = threading.Lock()
_ENTRIES: dict[str, OrderedDict] = {}
_BUILDING: dict[tuple, threading.Lock] = {}


def digest(*parts) -> str:
    """A short digest of frames, series and plain values (their content, not their identity).

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"code_insee": ["69123"], "sector": ["A"]})
    >>> digest(a, "x") == digest(a.copy(), "x") != digest(a.assign(sector="B"), "x")
    True
    """
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        if isinstance(part, (pd.DataFrame, pd.Series)):
            h.update(b"frame")
            h.update(repr(list(part.columns) if isinstance(part, pd.DataFrame) else part.name).encode())
            h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        else:
            h.update(repr(part).encode())
        h.update(b"\x00")
    return h.hexdigest()


def shared(name: str, key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` once per ``(name, key)`` for the whole process; the value is shared: do not mutate it.

    Two sessions asking for the same key at once wait for one build. An
    exception is not kept: the next call tries again.
    """
    with _LOCK:
        entries = _ENTRIES.setdefault(name, OrderedDict())
        if key in entries:
            entries.move_to_end(key)
            return entries[key]
        building = _BUILDING.setdefault((name, key), threading.Lock())
    with building:
        with _LOCK:
            if key in entries:  # built by another session while this one waited
                return entries[key]
        try:
            value = build()
        except BaseException:
            with _LOCK:
                _BUILDING.pop((name, key), None)
            raise
        with _LOCK:
            entries[key] = value
            while len(entries) > MAX_ENTRIES:
                entries.popitem(last=False)
            _BUILDING.pop((name, key), None)
        return value


def clear() -> None:
    """Forget everything built (tests)."""
    with _LOCK:
        _ENTRIES.clear()
