"""Grating sweeps streamed in chunks: the responses to any number of gratings in constant memory.

A sweep shows ``n_values`` gratings at ``n_phases`` phases each.  The images
are drawn and shown ``CHUNK_BYTES["images"]`` worth at a time (the chunks the
whole sweep would be cut into by :meth:`Unit.__call__`, so the responses are
the same numbers; smaller chunks under a tight memory budget), and only
running summaries per value and unit are kept: the peak over phases, and the
sums of the responses and of their first harmonic.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np

from .. import stimuli
from .._validation import check_memory
from ._common import (
    ANGLE_LIMIT,
    MAX_CONTRAST,
    budget_chunk,
    check_responses,
    check_values_range,
    float_array,
    images_per_chunk,
)
from .targets import Unit

#: Relative flatness below which a unit's responses count as constant (a silent unit).
SILENT_RTOL = 1e-12


class Sweep(NamedTuple):
    """Summaries of a sweep's responses, per value and unit."""

    peak: np.ndarray  # (n_values, n_units): maximum over phases
    f0: np.ndarray | None  # (n_values, n_units): mean over phases
    f1: np.ndarray | None  # (n_values, n_units): amplitude of the first harmonic over phase
    low: np.ndarray  # (n_units,): smallest response of the whole sweep
    high: np.ndarray  # (n_units,): largest response of the whole sweep

    def silent(self) -> np.ndarray:
        """Per unit: True if its responses over the whole sweep are constant (or all 0)."""
        peak = np.maximum(np.abs(self.low), np.abs(self.high))
        with np.errstate(over="ignore"):  # a range beyond float64 is not flat
            return (self.high - self.low) <= SILENT_RTOL * np.maximum(peak, 1e-300)


def grating_sweep(
    unit: Unit,
    orientation: np.ndarray,
    frequency: np.ndarray,
    contrast: np.ndarray,
    offset: np.ndarray,
    n_phases: int,
    *,
    harmonics: bool = True,
) -> Sweep:
    """Responses to gratings ``v`` (per-value arrays) at phases ``offset[v] + 360 j / n_phases``.

    Image ``k = v * n_phases + j`` of the sweep is the grating of value ``v``
    at phase index ``j``; images are drawn and shown in chunks, so memory does
    not grow with ``n_values * n_phases``.

    Raises
    ------
    MemoryBudgetError
        If one chunk and the per-value summaries exceed the memory budget
        (checked before anything is allocated).
    ValueError
        If a unit's responses are not finite.
    """
    field = unit.field
    h, w = field.shape
    n_values, n_units = orientation.size, unit.n_units
    total = n_values * n_phases
    # per image: itself and the grating's temporaries (~4 images), its responses; held
    # throughout: the coordinate grids, and the summaries (peak, and f0 and complex f1)
    per_image = 8.0 * (4 * h * w + 3 * n_units)
    fixed = 8.0 * (2 * h * w + (4 if harmonics else 1) * n_values * n_units)
    step = budget_chunk(min(images_per_chunk(h * w), total), per_image, fixed)
    check_memory(
        fixed + step * per_image,
        f"a sweep of {n_values} grating(s) x {n_phases} phase(s) on the {h}x{w} px field "
        f"for {n_units} unit(s), streamed {step} image(s) at a time",
    )
    peak = np.full((n_values, n_units), -np.inf)
    f0 = np.zeros((n_values, n_units)) if harmonics else None
    f1 = np.zeros((n_values, n_units), dtype=complex) if harmonics else None
    low = np.full(n_units, np.inf)
    high = np.full(n_units, -np.inf)
    for start in range(0, total, step):
        v, j = np.divmod(np.arange(start, min(start + step, total)), n_phases)
        phase = offset[v] + j * 360.0 / n_phases
        images = stimuli.grating(field, frequency[v], orientation[v], phase, contrast[v])
        r = check_responses(unit._chunked(images), unit.labels, "the gratings")
        del images
        np.maximum.at(peak, v, r)
        np.minimum(low, r.min(axis=0), out=low)
        np.maximum(high, r.max(axis=0), out=high)
        if harmonics:
            with np.errstate(over="ignore", invalid="ignore"):  # checked below
                np.add.at(f0, v, r)
                np.add.at(f1, v, r * np.exp(-1j * np.deg2rad(phase))[:, np.newaxis])
    if harmonics:
        with np.errstate(over="ignore", invalid="ignore"):
            f0 = f0 / n_phases
            f1 = 2 * np.abs(f1 / n_phases)
        check_responses(np.vstack([f0, f1]), unit.labels, "the gratings (summed over phase)")
    return Sweep(peak, f0, f1, low, high)


def search_range(field) -> tuple[float, float]:
    """Spatial frequencies of the coarse search: one cycle per field to half the Nyquist."""
    nyquist = field.pixels_per_degree / 2
    f_lo = 1.0 / min(field.width, field.height)
    f_hi = nyquist / 2
    if f_hi <= f_lo:
        f_hi = f_lo * 2
    f_hi = min(f_hi, nyquist)  # a field a few pixels across: no aliased grating
    return min(f_lo, f_hi), f_hi


def _score(unit: Unit, orientation: np.ndarray, frequency: np.ndarray, n_phases: int) -> Sweep:
    n = orientation.size
    return grating_sweep(
        unit, orientation, frequency, np.ones(n), np.zeros(n), n_phases, harmonics=False
    )


def preferred_grating_search(unit: Unit, n_phases: int, *, stacklevel: int) -> dict[str, float]:
    """The grating that drives the units most (see :func:`cortex.analysis.preferred_grating`).

    NaN for both parameters, with a RuntimeWarning, if every unit is silent;
    a RuntimeWarning names the silent units when only some are.
    """
    field = unit.field
    nyquist = field.pixels_per_degree / 2
    f_lo, f_hi = search_range(field)
    orientations = np.arange(0, 180, 15.0)
    freqs = np.geomspace(f_lo, f_hi, 16)
    oo, ff = (a.ravel() for a in np.meshgrid(orientations, freqs, indexing="ij"))
    coarse = _score(unit, oo, ff, n_phases)
    silent = coarse.silent()
    if silent.any():
        names = ", ".join(np.asarray(unit.labels)[silent][:5])
        if silent.all():
            warnings.warn(
                f"{int(silent.sum())} unit(s) never respond to gratings ({names}): they have "
                "no preferred grating (NaN)",
                RuntimeWarning,
                stacklevel=stacklevel,
            )
            return {"orientation": math.nan, "spatial_frequency": math.nan}
        warnings.warn(
            f"{int(silent.sum())} of {silent.size} unit(s) never respond to gratings "
            f"({names}); the preferred grating is that of the others",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
    k = int(np.argmax(coarse.peak.mean(axis=1)))
    best_o, best_f = float(oo[k]), float(ff[k])
    fine_f = np.geomspace(best_f / 2**0.5, min(best_f * 2**0.5, nyquist * 0.9), 21)
    score = _score(unit, np.full(fine_f.size, best_o), fine_f, n_phases).peak.mean(axis=1)
    best_f = float(fine_f[int(np.argmax(score))])
    fine_o = best_o + np.arange(-15.0, 15.01, 1.0)
    score = _score(unit, fine_o, np.full(fine_o.size, best_f), n_phases).peak.mean(axis=1)
    best_o = float(np.mod(fine_o[int(np.argmax(score))], 180.0))
    return {"orientation": best_o, "spatial_frequency": best_f}


def _phase_statistic(
    f0: np.ndarray, f1: np.ndarray, peak: np.ndarray, statistic: str
) -> tuple[np.ndarray, np.ndarray]:
    """The curve ``(n_values, n_units)`` from the summaries over phase, and F1/F0 per unit.

    The modulation ratio is taken at the value with the largest F0 + F1.
    """
    best = np.argmax(f0 + f1, axis=0)
    cols = np.arange(f0.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = f1[best, cols] / np.abs(f0[best, cols])
    if statistic == "max":
        return peak, ratio
    if statistic == "mean":
        return f0, ratio
    if statistic == "f1":
        return f1, ratio
    return np.where(ratio > 1, f1, f0), ratio  # auto: F1 for simple, F0 for complex cells


def check_grating_values(
    values: object, parameter: str, name: str, nyquist: float | None
) -> np.ndarray:
    """``values`` of ``parameter`` as a 1-D float64 array within the parameter's range.

    Spatial frequencies are checked against ``nyquist`` (not at all if None).
    """
    values = float_array(values, name, ndims=(1,))
    if parameter == "spatial_frequency" and nyquist is None:
        return values
    if parameter in ("orientation", "phase"):
        return check_values_range(values, name, -ANGLE_LIMIT, ANGLE_LIMIT, unit="deg")
    if parameter == "contrast":
        return check_values_range(values, name, 0.0, MAX_CONTRAST)
    return check_values_range(
        values,
        name,
        0.0,
        nyquist,
        low_open=True,
        unit="cycles/deg",
        why=NYQUIST_NOTE if math.isfinite(nyquist) else "",
    )


NYQUIST_NOTE = (
    " (spatial frequencies are > 0 and at most the field's Nyquist frequency, "
    "pixels_per_degree / 2)"
)
