"""Strict conversion of a composed config mapping into frozen, typed dataclasses.

Hydra composes YAML files and command-line overrides; this module is the single gate between
that untyped tree and the code: an unknown key, a wrong type or a bad value stops the run
with one line naming the dotted key, before any work starts.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from trackbench.errors import TrackbenchError

T = TypeVar("T")


def from_mapping(cls: type[T], data: Any, path: str = "") -> T:
    """Build dataclass ``cls`` from ``data`` (a plain mapping), checking keys and types."""
    if not isinstance(data, Mapping):
        raise TrackbenchError(f"{path or 'config'}: expected a mapping, got {_describe(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise TrackbenchError(f"unknown config key {_join(path, unknown[0])!r}; allowed keys here: {allowed}")
    values = {name: _convert(hints[name], data[name], _join(path, name)) for name in data}
    return cls(**values)


def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, path)
            except TrackbenchError as exc:
                errors.append(str(exc))
        raise TrackbenchError(errors[0] if len(errors) == 1 else f"{path}: {_describe(value)} fits none of {tp}")
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise TrackbenchError(f"{path}={value!r} is not allowed; choose one of {', '.join(map(str, allowed))}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TrackbenchError(f"{path}: expected a list, got {_describe(value)}")
        (item,) = {a for a in typing.get_args(tp) if a is not Ellipsis}
        return tuple(_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_mapping(tp, value, path)
    if tp is Any:
        return value
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp in (int, str, bool) and type(value) is tp:
        return value
    raise TrackbenchError(f"{path}: expected {tp.__name__}, got {_describe(value)}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def to_flat_dict(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a dataclass tree into ``{"a.b.c": value}`` (tuples kept as values)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = _join(prefix, f.name)
        if dataclasses.is_dataclass(value):
            out.update(to_flat_dict(value, key))
        else:
            out[key] = value
    return out
