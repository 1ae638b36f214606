"""Helpers shared by the analysis modules: validation of arrays and ranges, chunk sizes."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._validation import _describe, as_float_array, check_finite, check_range, memory_budget
from ..correlation import CHUNK_BYTES

#: Largest magnitude of an angle (orientation, phase), degrees: far beyond any experiment,
#: and cubes of differences of such angles (a parabolic peak fit) stay finite.
ANGLE_LIMIT = 1e6
#: Largest grating or noise contrast (contrast units; 1 is a full-contrast grating).
MAX_CONTRAST = 1e6
#: Smallest noise contrast for reverse correlation (the estimate divides by contrast**2).
MIN_NOISE_CONTRAST = 1e-6
#: Sampling densities of maps, pixels per degree (as :class:`~cortex.VisualField`).
PPD_RANGE = (1e-6, 1e6)
#: Largest magnitude of a map, filter or response that a fit accepts (its fitted
#: amplitude, a small multiple of it, must stay finite).
MAX_MAGNITUDE = 1e300


def _r2(data: np.ndarray, fit: np.ndarray) -> float:
    """Coefficient of determination of ``fit`` to ``data`` (NaN for constant data).

    Both are scaled by a power of 2 first (exact), so no square under- or overflows.
    """
    top = float(np.max(np.abs(data)))
    if top > 0:
        scale = power_of_two(top)
        data, fit = data / scale, fit / scale
    total = float(np.sum((data - data.mean()) ** 2))
    if total == 0:
        return math.nan
    return 1.0 - float(np.sum((data - fit) ** 2)) / total


def float_array(
    value: object,
    name: str,
    *,
    ndims: Sequence[int] | None = None,
    allow_nan: bool = False,
    allow_inf: bool = False,
    allow_empty: bool = False,
) -> np.ndarray:
    """``value`` as a float64 array: booleans and strings refused, NaN/inf unless allowed.

    Raises
    ------
    TypeError
        If ``value`` holds no numbers (strings, objects, ragged sequences) or
        booleans (``True`` is not a number here), or is complex.
    ValueError
        If its number of dimensions is wrong, it is empty (unless
        ``allow_empty``), or it holds NaN or infinite values that are not allowed.
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"`{name}` must be array-like of numbers, got {_describe(value)}") from exc
    if raw.dtype.kind == "b":
        raise TypeError(f"`{name}` must hold numbers, got booleans (dtype {raw.dtype})")
    if not (allow_nan or allow_inf):
        return as_float_array(raw, name, ndims=ndims, allow_empty=allow_empty, keep_float32=False)
    bad = np.zeros(raw.shape, dtype=bool)
    if raw.dtype.kind in "fc":
        if allow_nan:
            bad |= np.isnan(raw)
        if allow_inf:
            bad |= np.isinf(raw)
    checked = np.where(bad, 0, raw) if bad.any() else raw
    as_float_array(checked, name, ndims=ndims, allow_empty=allow_empty, keep_float32=False)
    return raw.astype(np.float64, copy=False)


def check_values_range(
    values: np.ndarray,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    unit: str = "",
    why: str = "",
) -> np.ndarray:
    """Check that every element of ``values`` is in the range (phrased as :func:`check_range`).

    ``why`` is appended to the message (e.g. what the upper bound is).
    """
    if values.size == 0:
        return values
    bad = np.zeros(values.shape, dtype=bool)
    if low is not None:
        bad |= (values <= low) if low_open else (values < low)
    if high is not None:
        bad |= values > high
    if bad.any():
        worst = float(values[bad].flat[0])
        try:
            check_range(worst, name, low, high, low_open=low_open, unit=unit)
        except ValueError as exc:
            raise ValueError(f"{exc}{why}") from None
    return values


def check_scalar_range(
    value: object,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    unit: str = "",
    why: str = "",
) -> float:
    """:func:`check_range` with ``why`` appended to its message."""
    value = check_finite(value, name)
    try:
        return check_range(value, name, low, high, low_open=low_open, unit=unit)
    except ValueError as exc:
        raise ValueError(f"{exc}{why}") from None


def images_per_chunk(pixels: int) -> int:
    """Images of ``pixels`` float64 pixels per chunk: ``CHUNK_BYTES["images"]`` worth, >= 1."""
    return max(1, CHUNK_BYTES["images"] // max(8 * pixels, 1))


def check_responses(r: np.ndarray, labels: Sequence[str], stimulus: str) -> np.ndarray:
    """Refuse non-finite responses (an overflowing unit) with a clear ``ValueError``."""
    finite = np.isfinite(r)
    if not finite.all():
        units = np.flatnonzero(~finite.all(axis=0))
        names = ", ".join(str(labels[u]) for u in units[:5])
        raise ValueError(
            f"the responses of {names} to {stimulus} are not finite (the unit overflows); "
            "lower `contrast`, or check the target's weights and nonlinearity"
        )
    return r


def real_or_nan(value: object, name: str) -> float:
    """A real number, NaN allowed (an undefined R^2); booleans, strings and inf refused."""
    if isinstance(value, float | np.floating) and math.isnan(value):
        return math.nan
    return check_finite(value, name)


def check_labels(labels: object, n_units: int | None = None) -> tuple[str, ...]:
    """``labels`` as a non-empty tuple of strings, ``n_units`` of them if given."""
    if isinstance(labels, str) or not isinstance(labels, tuple | list):
        raise TypeError(f"`labels` must be a sequence of strings, got {_describe(labels)}")
    if not all(isinstance(label, str) for label in labels):
        raise TypeError(f"`labels` must hold strings, got {_describe(labels)}")
    if not labels:
        raise ValueError("`labels` must name at least one unit, got none")
    if n_units is not None and len(labels) != n_units:
        raise ValueError(f"`labels` must name the {n_units} unit(s), got {len(labels)} label(s)")
    return tuple(labels)


def power_of_two(top: float) -> float:
    """The power of 2 at or above ``top`` (> 0), capped at ``2**1023``: dividing by it is exact."""
    return math.ldexp(1.0, min(math.frexp(top)[1], 1023))


def budget_chunk(step: int, per_item: float, fixed: float) -> int:
    """The largest chunk, at most ``step`` items of ``per_item`` bytes, that fits the budget.

    ``fixed`` bytes are held whatever the chunk; the result is at least 1 (the
    caller's ``check_memory`` then refuses if even one item does not fit).
    """
    room = memory_budget() - fixed
    if room >= step * per_item:
        return step
    return max(1, min(step, int(room // per_item))) if room > 0 else 1
