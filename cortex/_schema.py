"""Checking plain-data (JSON) descriptions before anything is built.

Helpers of the ``to_dict`` / ``from_dict`` methods of the visual field, the RF models,
mosaics, nonlinearities and populations.  ``from_dict`` checks a whole dict against its
schema (known ``"type"``, required and known keys, value types) before building anything;
every message names the key path, e.g. ``population.mosaic.centers``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ._validation import _describe


def json_object(value: object, where: str, names: Iterable[str], what: str) -> str:
    """Check that ``value`` is a dict whose ``"type"`` is one of ``names``; return the type."""
    names = tuple(names)
    if not isinstance(value, Mapping):
        raise TypeError(
            f"`{where}` must be a dict (a JSON object) describing {what}, got {_describe(value)}"
        )
    if "type" not in value:
        raise ValueError(f"`{where}.type` is missing: it must be one of {names}")
    name = value["type"]
    if not isinstance(name, str):
        raise TypeError(f"`{where}.type` must be a string, one of {names}, got {_describe(name)}")
    if name not in names:
        raise ValueError(f"`{where}.type` must be one of {names} ({what}), got {name!r}")
    return name


def json_keys(
    value: Mapping[str, Any],
    where: str,
    type_name: str,
    required: Iterable[str],
    optional: Iterable[str] = (),
    *,
    header: Iterable[str] = ("type",),
) -> None:
    """Refuse unknown and missing keys (one ValueError naming each by its key path)."""
    required, optional, header = tuple(required), tuple(optional), tuple(header)
    known = (*header, *required, *optional)
    problems = [
        f"`{where}.{key}` is not a key of a {type_name}"
        if isinstance(key, str)
        else f"`{where}` has the key {key!r}, which is not a string"
        for key in value
        if key not in known
    ]
    problems += [f"`{where}.{key}` is missing" for key in required if key not in value]
    if problems:
        listed = ", ".join(known)
        raise ValueError(f"{'; '.join(problems)} (the keys of a {type_name}: {listed})")


def json_number(value: object, path: str, *, nullable: bool = False) -> float | None:
    """A finite number (int or float, not bool) as a float; None passes when ``nullable``."""
    if value is None and nullable:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        wanted = "a number or null" if nullable else "a number"
        raise TypeError(f"`{path}` must be {wanted}, got {_describe(value)}")
    try:
        out = float(value)
    except OverflowError:  # an int past the float range
        digits = int(int(value).bit_length() * math.log10(2.0))
        raise ValueError(
            f"`{path}` must be a finite number, got an integer of about {digits} digits"
        ) from None
    if not math.isfinite(out):
        hint = " (JSON has no NaN: write null where a value may be missing)" if nullable else ""
        raise ValueError(f"`{path}` must be finite, got {out}{hint}")
    return out


def json_string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"`{path}` must be a string, got {_describe(value)}")
    return value


def json_list(value: object, path: str, what: str) -> list | tuple:
    if not isinstance(value, list | tuple):
        raise TypeError(f"`{path}` must be {what} (a JSON array), got {_describe(value)}")
    return value


def json_numbers(items: list, path: Callable[[int], str]) -> np.ndarray:
    """A flat list of finite numbers as a float64 array (the caller checked the memory).

    ``path(i)`` names item ``i`` in messages.
    """
    kinds = set(map(type, items))
    if kinds <= {float, int}:  # the usual case, checked in bulk
        try:
            array = np.array(items, dtype=np.float64)
        except OverflowError:  # a huge int: found and phrased below
            array = None
        if array is not None and array.ndim == 1:
            bad = np.flatnonzero(~np.isfinite(array))
            if bad.size == 0:
                return array
    for i, item in enumerate(items):  # find and phrase the first bad item
        json_number(item, path(i))
    return np.array([float(item) for item in items], dtype=np.float64)


def scalar_fields(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(required, optional)`` field names of a dataclass (fields with defaults are optional)."""
    required, optional = [], []
    for f in dataclasses.fields(cls):
        missing = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        (required if missing else optional).append(f.name)
    return tuple(required), tuple(optional)


def check_scalars(
    d: object,
    where: str,
    cls: type,
    names: Mapping[str, type] | Iterable[str],
    *,
    what: str = "",
    strings: Iterable[str] = (),
    nullable: Iterable[str] = (),
) -> tuple[str, dict[str, Any]]:
    """Check a dict describing a dataclass of numbers (and strings): ``(type, kwargs)``.

    ``names`` are the accepted ``"type"`` values; when a mapping, it maps each to
    its class (whose fields are then read), else every name means ``cls``.
    """
    name = json_object(d, where, names, what or f"a {cls.__name__}")
    if isinstance(names, Mapping):
        cls = names[name]
    required, optional = scalar_fields(cls)
    json_keys(d, where, name, required, optional)
    strings, nullable = set(strings), set(nullable)
    kwargs: dict[str, Any] = {}
    for key in (*required, *optional):
        if key not in d:
            continue
        path = f"{where}.{key}"
        if key in strings:
            kwargs[key] = json_string(d[key], path)
        else:
            kwargs[key] = json_number(d[key], path, nullable=key in nullable)
    return name, kwargs


def scalars_to_dict(obj: object, type_name: str) -> dict[str, Any]:
    """``{"type": type_name, field: value, ...}`` of a dataclass of numbers and strings."""
    out: dict[str, Any] = {"type": type_name}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = value if value is None or isinstance(value, str) else float(value)
    return out


LEADING_NAME = re.compile(r"`([A-Za-z_]\w*)((?:\.\w+|\[\d+\])*)`")


def rephrase(exc: Exception, where: str, keys: Iterable[str]) -> Exception:
    """``exc`` (of the same type) with its message naming the key path under ``where``.

    A message that starts with a backquoted argument which is one of ``keys``
    (```sigma` must be > 0``) gets the path (```rf.sigma` must be > 0``);
    any other is prefixed with ```where`: ``.
    """
    message = str(exc)
    match = LEADING_NAME.match(message)
    if match and match.group(1) in set(keys):
        message = f"`{where}.{match.group(1)}{match.group(2)}`{message[match.end() :]}"
    else:
        message = f"`{where}`: {message}"
    try:
        return type(exc)(message)
    except Exception:  # pragma: no cover - an exception type with another signature
        return ValueError(message)


def build(cls: Callable[..., Any], kwargs: Mapping[str, Any], where: str) -> Any:
    """``cls(**kwargs)``, a TypeError / ValueError rephrased to name the key path."""
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise rephrase(exc, where, kwargs) from None
