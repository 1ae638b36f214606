"""Input validation: the one place where input errors are phrased.

Every public function of :mod:`cortex` validates its arguments through these
helpers, so that a wrong type raises :class:`TypeError`, a wrong shape or value
raises :class:`ValueError`, and every message names the argument and what was
seen.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

__all__ = [
    "as_float_array",
    "as_rng",
    "check_choice",
    "check_finite",
    "check_integer",
    "check_ndim",
    "check_positive",
    "parse_name_list",
    "parse_number",
]


def _describe(value: object) -> str:
    """Return a short description of ``value`` for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} (type {type(value).__name__})"


def check_finite(value: object, name: str) -> float:
    """Return ``value`` as a finite float.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Argument name used in error messages.

    Returns
    -------
    float
        The value as a Python float.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans are rejected).
    ValueError
        If ``value`` is NaN or infinite.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {_describe(value)}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"`{name}` must be finite, got {out}")
    return out


def check_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float that is > 0 (or >= 0).

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Argument name used in error messages.
    allow_zero : bool, optional
        Accept 0 as well.

    Returns
    -------
    float
        The validated value.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, infinite, negative, or zero when not allowed.
    """
    out = check_finite(value, name)
    if allow_zero and out < 0:
        raise ValueError(f"`{name}` must be >= 0, got {out}")
    if not allow_zero and out <= 0:
        raise ValueError(f"`{name}` must be > 0, got {out}")
    return out


def check_integer(value: object, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, optionally at least ``minimum``.

    Parameters
    ----------
    value : object
        The value to check; any integral type (not bool, not float).
    name : str
        Argument name used in error messages.
    minimum : int, optional
        Smallest accepted value.

    Returns
    -------
    int
        The validated value.

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value`` is below ``minimum``.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {_describe(value)}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {out}")
    return out


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``.

    Parameters
    ----------
    value : object
        The option string to check.
    name : str
        Argument name used in error messages.
    choices : iterable of str
        The accepted values.

    Returns
    -------
    str
        ``value``.

    Raises
    ------
    TypeError
        If ``value`` is not a string.
    ValueError
        If ``value`` is not one of ``choices``; the message lists them.
    """
    choices = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a string, one of {choices}, got {_describe(value)}")
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}, got {value!r}")
    return value


def check_ndim(array: np.ndarray, name: str, ndims: Iterable[int]) -> np.ndarray:
    """Check that ``array`` has one of the accepted numbers of dimensions.

    Parameters
    ----------
    array : numpy.ndarray
        The array to check.
    name : str
        Argument name used in error messages.
    ndims : iterable of int
        Accepted numbers of dimensions.

    Returns
    -------
    numpy.ndarray
        ``array``, unchanged.

    Raises
    ------
    ValueError
        If ``array.ndim`` is not in ``ndims``.
    """
    ndims = tuple(ndims)
    if array.ndim not in ndims:
        wanted = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"`{name}` must be {wanted}, got shape {array.shape}")
    return array


def as_float_array(
    value: object,
    name: str,
    *,
    ndims: Iterable[int] | None = None,
    allow_empty: bool = False,
    allow_complex: bool = False,
    keep_float32: bool = True,
) -> np.ndarray:
    """Convert ``value`` to a finite floating-point array.

    Integer and boolean arrays become float64; float32 is kept when
    ``keep_float32`` (for speed), every other float becomes float64.

    Parameters
    ----------
    value : array_like
        The data.
    name : str
        Argument name used in error messages.
    ndims : iterable of int, optional
        Accepted numbers of dimensions.
    allow_empty : bool, optional
        Accept arrays with no elements.
    allow_complex : bool, optional
        Accept complex data (kept complex).
    keep_float32 : bool, optional
        Keep float32 input as float32.

    Returns
    -------
    numpy.ndarray
        A float32, float64 (or complex128) array.

    Raises
    ------
    TypeError
        If the data are not numeric (strings, objects) or complex when not
        allowed.
    ValueError
        If the number of dimensions is wrong, the array is empty, or it holds
        NaN or infinite values.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"`{name}` must be array-like of numbers, got {_describe(value)}") from exc
    kind = array.dtype.kind
    if kind == "c" and allow_complex:
        array = array.astype(np.complex128, copy=False)
    elif kind == "c":
        raise TypeError(f"`{name}` must be real, got dtype {array.dtype}")
    elif kind == "f" and array.dtype == np.float32 and keep_float32:
        pass
    elif kind in "biuf":
        array = array.astype(np.float64, copy=False)
    else:
        raise TypeError(f"`{name}` must hold numbers, got dtype {array.dtype}")
    if ndims is not None:
        check_ndim(array, name, ndims)
    if array.size == 0 and not allow_empty:
        raise ValueError(f"`{name}` must not be empty, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        n_bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(f"`{name}` must be finite, got {n_bad} NaN or infinite value(s)")
    return array


def as_rng(seed: object, name: str = "seed") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from a seed or a generator.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        ``None`` gives fresh OS entropy (not reproducible); an int gives a
        reproducible generator; a generator is returned as it is.
    name : str, optional
        Argument name used in error messages.

    Returns
    -------
    numpy.random.Generator
        The generator.

    Raises
    ------
    TypeError
        If ``seed`` is of another type.
    ValueError
        If ``seed`` is a negative integer.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    seed = check_integer(seed, name, minimum=0)
    return np.random.default_rng(seed)


def _number_requirement(
    integer: bool, minimum: float | None, maximum: float | None, strict: bool
) -> str:
    """Return what :func:`parse_number` accepts, e.g. ``"a finite number > 0 and <= 1"``."""
    wanted = "an integer" if integer else "a finite number"
    bounds = []
    if minimum is not None:
        bounds.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        bounds.append(f"<= {maximum:g}")
    return wanted + (" " + " and ".join(bounds) if bounds else "")


def parse_number(
    text: str,
    name: str,
    *,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
) -> int | float:
    """Parse a string (a command-line value) into a finite number within bounds.

    Parameters
    ----------
    text : str
        The string to parse, e.g. ``"2.5"``.
    name : str
        Argument name used in error messages.
    integer : bool, optional
        Parse an integer (``int(text)``: ``"1e3"`` and ``"2.5"`` are refused)
        instead of a float.
    minimum : float, optional
        Smallest accepted value.
    maximum : float, optional
        Largest accepted value.
    strict : bool, optional
        Exclude ``minimum`` itself (``> minimum`` instead of ``>= minimum``).

    Returns
    -------
    int or float
        The parsed value.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        If ``text`` is not a number (an integer when ``integer``), is NaN or
        infinite, or is out of bounds; the message states what is accepted and
        quotes ``text``: ``"`lr` must be a finite number > 0, got 'nan'"``.
    """
    if not isinstance(text, str):
        raise TypeError(f"`{name}` must be a string, got {_describe(text)}")
    wanted = _number_requirement(integer, minimum, maximum, strict)
    message = f"`{name}` must be {wanted}, got {text!r}"
    try:
        value: int | float = int(text) if integer else float(text)
    except ValueError:
        raise ValueError(message) from None
    ok = math.isfinite(value)
    if ok and minimum is not None:
        ok = value > minimum if strict else value >= minimum
    if ok and maximum is not None:
        ok = value <= maximum
    if not ok:
        raise ValueError(message)
    return value


def parse_name_list(
    text: str, name: str, choices: Iterable[str], *, item: str = "name"
) -> tuple[str, ...]:
    """Parse a comma-separated list of names, each one of ``choices``.

    Parameters
    ----------
    text : str
        The string to parse, e.g. ``"orientation, contrast"``; blanks around
        the names are ignored.
    name : str
        Argument name used in error messages.
    choices : iterable of str
        The accepted names.
    item : str, optional
        What one name is called in error messages (``"parameter"``).

    Returns
    -------
    tuple of str
        The names in the order given, repeats dropped.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        If ``text`` names nothing, or names something not in ``choices``; the
        message lists ``choices`` and quotes ``text``.
    """
    if not isinstance(text, str):
        raise TypeError(f"`{name}` must be a string, got {_describe(text)}")
    choices = tuple(choices)
    listed = ", ".join(choices)
    names = [part.strip() for part in text.split(",")]
    if not any(names):
        raise ValueError(f"`{name}` must name at least one of {listed}, got {text!r}")
    out: list[str] = []
    for part in names:
        if part not in choices:
            raise ValueError(
                f"`{name}`: unknown {item} {part!r} in {text!r}; choose from {listed} "
                "(comma-separated)"
            )
        if part not in out:
            out.append(part)
    return tuple(out)
