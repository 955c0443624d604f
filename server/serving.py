"""Autobahn (daphne's WebSocket layer) builds its debug-log text only when it writes it.

Autobahn computes the arguments of its debug log calls whether or not debug logging is on: a
pretty-printed table of its ~40 options for every new connection, and ANSI-coloured names
(``hltype``, ``hlval``) for every handshake step and every frame it sends. Profiled with py-spy
during a storm of 10,000 connects, that text was 16 % of a worker's event loop, all of it thrown
away. ``defer_log_text`` replaces those three helpers, in autobahn's two protocol modules only,
by ones that return the same text lazily: it is made if a log line is written, never otherwise.
"""

from __future__ import annotations

import functools
import importlib
import pprint
from collections.abc import Callable
from typing import Any

#: Autobahn's modules whose log calls take these helpers' results as arguments, and nothing else.
MODULES = ("autobahn.websocket.protocol", "autobahn.twisted.websocket")
HELPERS = ("pformat", "hltype", "hlval")


class LazyText:
    """A helper's text, made when the log line is formatted (``str`` or ``format``)."""

    __slots__ = ("_args", "_func", "_kwargs")

    def __init__(self, func: Callable[..., str], args: tuple[Any, ...], kwargs: dict[str, Any]):
        self._func, self._args, self._kwargs = func, args, kwargs

    def __str__(self) -> str:
        return str(self._func(*self._args, **self._kwargs))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    __repr__ = __str__


def _lazy(func: Callable[..., str]) -> Callable[..., LazyText]:
    @functools.wraps(func)
    def helper(*args: Any, **kwargs: Any) -> LazyText:
        return LazyText(func, args, kwargs)

    helper.linli_lazy = True  # type: ignore[attr-defined]
    return helper


def defer_log_text() -> None:
    """Make autobahn's log helpers lazy (idempotent; helpers a release lacks are skipped)."""
    for name in MODULES:
        module = importlib.import_module(name)
        for helper in HELPERS:
            func = getattr(module, helper, None)
            if callable(func) and not getattr(func, "linli_lazy", False):
                setattr(module, helper, _lazy(func))
    # The one use of ``pformat`` there that is not a log argument: its timings' text.
    timings = getattr(importlib.import_module(MODULES[0]), "Timings", None)
    if timings is not None:
        timings.__str__ = lambda self: pprint.pformat(self._timings)
