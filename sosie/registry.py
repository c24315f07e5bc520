"""One registry for engines and backends, found by name.

Built-ins are registered exactly like third-party plug-ins: as entry points of the installed
distribution, in the groups ``sosie.engines`` and ``sosie.backends`` (see ``pyproject.toml``).
A plug-in package adds its own in its ``pyproject.toml``::

    [project.entry-points."sosie.engines"]
    mine = "my_package.engine:MyEngine"

Each class declares its options as a dataclass ``Options``; an unknown option is refused with
the list of valid ones instead of being silently swallowed.

>>> sorted(names("backend"))
['llama-cpp-python', 'llamacpp', 'openai', 'transformers']
"""

from __future__ import annotations

import dataclasses
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from sosie.errors import SosieError

GROUPS = {"engine": "sosie.engines", "backend": "sosie.backends"}


_ADDED: dict[str, dict[str, type]] = {kind: {} for kind in GROUPS}  # register() at run time
_LOADED: dict[tuple[str, str], type] = {}


@cache
def _entry_points(kind: str) -> dict[str, EntryPoint]:
    found = {ep.name: ep for ep in entry_points(group=GROUPS[kind])}
    if not found:
        raise SosieError(f"no {kind}s are registered; reinstall sosie (pip install -e .)")
    return found


def names(kind: str) -> list[str]:
    """Every registered name of this kind: built-in and plug-in alike."""
    return sorted({*_entry_points(kind), *_ADDED[kind]})


def register(kind: str, name: str, cls: type) -> type:
    """Add a class at run time (a notebook's own engine, a test's); entry points are the way
    for packages."""
    _ADDED[kind][name] = cls
    return cls


def unregister(kind: str, name: str) -> None:
    _ADDED[kind].pop(name, None)


def load(kind: str, name: str) -> type:
    if name in _ADDED[kind]:
        return _ADDED[kind][name]
    points = _entry_points(kind)
    if name not in points:
        raise SosieError(f"unknown {kind} {name!r}; available: {', '.join(names(kind))}")
    if (kind, name) not in _LOADED:
        _LOADED[kind, name] = points[name].load()
    return _LOADED[kind, name]


def option_names(cls: type) -> list[str]:
    options = getattr(cls, "Options", None)
    return [f.name for f in dataclasses.fields(options)] if options else []


def check_options(kind: str, name: str, cls: type, options: dict) -> dict:
    """``options`` if the class declares every key; else one line naming the valid ones."""
    valid = option_names(cls)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise SosieError(f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for "
                         f"{kind} {name!r}; valid: {', '.join(valid) or 'none'}")
    return options


def make(kind: str, name: str, *args: object, **options: object) -> object:
    """An instance of the class registered as ``name``; ``None`` options mean "the default"."""
    cls = load(kind, name)
    given = {k: v for k, v in options.items() if v is not None}
    return cls(*args, **check_options(kind, name, cls, given))
