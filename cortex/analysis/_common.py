"""Helpers shared by the analysis modules: fits' R^2, chunk sizes, response and label checks.

The array and range checks they use are phrased in :mod:`cortex._validation`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._validation import (  # noqa: F401 - re-exported for the analysis modules
    MAX_CONTRAST,
    PPD_RANGE,
    _describe,
    budget_chunk,
    check_finite,
    check_scalar_range,
    check_values_range,
    float_array,
)
from ..correlation import CHUNK_BYTES

#: Largest magnitude of an angle (orientation, phase), degrees: far beyond any experiment,
#: and cubes of differences of such angles (a parabolic peak fit) stay finite.
ANGLE_LIMIT = 1e6
#: Smallest noise contrast for reverse correlation (the estimate divides by contrast**2).
MIN_NOISE_CONTRAST = 1e-6
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
