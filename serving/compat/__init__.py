"""Every reach into a serving library's private internals, one module per library.

Linli's serving speed-ups read and replace things daphne, Twisted, autobahn and channels-redis
do not promise to keep: Twisted's write buffer, daphne's timeout checker, autobahn's log helpers,
channels-redis' shard connections. They are named here and only here, for the exact versions
pinned in ``constraints.txt``. Each module lists what it relies on (``needs``); at start-up
``require`` — run by a Django system check (``linli.E010``) and by ``server.asgi`` before it
changes anything — fails naming every attribute a release no longer has, instead of a speed-up
or a guard quietly switching itself off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Need:
    """An attribute Linli reads or replaces on a library's module, class or fresh instance."""

    owner: str  #: dotted name of the module or class, for the message
    attribute: str
    find: Callable[[], object]  #: the object to look on (a module, a class, a fresh instance)

    @property
    def name(self) -> str:
        return f"{self.owner}.{self.attribute}"

    def met(self) -> bool:
        return hasattr(self.find(), self.attribute)


@dataclass(frozen=True)
class Fact:
    """A behaviour Linli relies on that no attribute shows (checked by running the library)."""

    name: str
    holds: Callable[[], bool]

    def met(self) -> bool:
        return self.holds()


def on(owner: object, *attributes: str, name: str | None = None) -> list[Need]:
    """Needs of ``attributes`` on a module or class."""
    label = name or f"{owner.__module__}.{owner.__qualname__}"  # type: ignore[attr-defined]
    return [Need(label, attribute, lambda: owner) for attribute in attributes]


def modules() -> Iterable[object]:
    """The compatibility modules (imported when asked for: each imports its library)."""
    from serving.compat import autobahn, channels_redis, daphne, twisted

    return (twisted, daphne, autobahn, channels_redis)


def missing() -> list[str]:
    """Every needed attribute the installed libraries lack, by dotted name."""
    return [need.name for module in modules() for need in module.needs() if not need.met()]


def require() -> None:
    """Fail at start-up if an installed library lacks anything Linli reaches for."""
    gone = missing()
    if gone:
        raise ImproperlyConfigured(message(gone))


def message(gone: list[str]) -> str:
    return (
        "The installed serving libraries lack what Linli's serving layer reaches into: "
        + ", ".join(gone)
        + ". Install the versions pinned in constraints.txt (pip install -e . -c constraints.txt)"
        " or adapt serving/compat/ to the new release."
    )
