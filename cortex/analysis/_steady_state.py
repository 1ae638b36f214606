"""Shared by the experiments of :mod:`cortex.analysis.motion`: argument checks and the steady state.

The temporal-frequency and direction tuning experiments
(:func:`~cortex.analysis.temporal_frequency_tuning`,
:func:`~cortex.analysis.direction_tuning`) check their arguments, show each
drifting grating and measure the mean rate and F1 amplitude of the steady-state
response with these helpers (the measurement is described in the docstring of
:mod:`cortex.analysis.motion`), and validate the arrays of their results.

Units: time in seconds, temporal frequency in Hz, spatial frequency in
cycles/degree, directions of motion in degrees counter-clockwise from ``+x``
(0 = rightward, 90 = upward), rates in spikes/s.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._validation import (
    _describe,
    check_choice,
    check_finite,
    check_memory,
    check_values_range,
    float_array,
)
from ..dynamics import _separable_terms, spatiotemporal_responses
from ..mosaic import Mosaic
from ..movies import drifting_grating
from ..population import Population, _resolve_nonlinearities
from ..temporal import _check_duration, _check_fps
from ..visual_field import VisualField
from ._common import MAX_CONTRAST, check_scalar_range
from ._gratings import NYQUIST_NOTE

#: How a tuning curve in time summarises the rates of each condition.
_STATISTICS = ("mean", "f1")
#: Relative flatness below which a unit's curve counts as silent.
_SILENT_RTOL = 1e-12
#: Bytes per frame and unit the steady-state analysis holds (rates, the fit's copies).
_BYTES_PER_RATE = 32.0


# --------------------------------------------------------------------------- checks
def _check_rfs(rf: object) -> list[object]:
    """``rf`` as a non-empty list of spatiotemporal RFs (TypeError / ValueError naming `rf`)."""
    if isinstance(rf, list | tuple):
        rfs = list(rf)
        if not rfs:
            raise ValueError("`rf` must hold at least one spatiotemporal RF, got none")
    else:
        rfs = [rf]
    for item in rfs:
        _separable_terms(item)  # TypeError naming `rf`
    return rfs


def _check_field(field: object) -> VisualField:
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {_describe(field)}")
    return field


def _check_mosaic(mosaic: object, field: VisualField) -> Mosaic:
    """The sites: one at the field's centre by default, else a Mosaic on ``field``."""
    if mosaic is None:
        return Mosaic(field, [[0.0, 0.0]])
    if not isinstance(mosaic, Mosaic):
        raise TypeError(f"`mosaic` must be a Mosaic or None, got {_describe(mosaic)}")
    if mosaic.field != field:
        raise ValueError(f"`mosaic` is on {mosaic.field}, not on `field` {field}")
    return mosaic


def _check_spatial_frequency(value: object, field: VisualField) -> float:
    return check_scalar_range(
        value,
        "spatial_frequency",
        0.0,
        field.pixels_per_degree / 2,
        low_open=True,
        unit="cycles/deg",
        why=NYQUIST_NOTE,
    )


def _check_temporal_frequencies(values: np.ndarray, name: str, fps: float) -> np.ndarray:
    """Temporal frequencies in ``(0, fps / 2)`` Hz: a drifting grating below Nyquist."""
    nyquist = fps / 2
    bad = (values <= 0) | (values >= nyquist)
    if bad.any():
        raise ValueError(
            f"`{name}` must be in (0, {nyquist:g}) Hz (> 0 and below the Nyquist frequency "
            f"frames_per_second / 2), got {float(values[bad][0]):g}"
        )
    return values


def _check_statistic(statistic: object) -> str:
    return check_choice(statistic, "statistic", _STATISTICS)


def _warmup_frames(rfs: list[object], fps: float) -> int:
    """Frames after which every temporal kernel of ``rfs`` has seen only the stimulus."""
    kernels = [kernel for item in rfs for _, kernel in _separable_terms(item)]
    return max(len(kernel.kernel(fps)) for kernel in kernels)  # the taps movie_responses uses


def _check_common(
    rf,
    field,
    mosaic,
    spatial_frequency,
    frames_per_second,
    duration,
    baseline,
    gain,
    nonlinearity,
    contrast,
):
    """Validate the arguments both grating experiments take."""
    rfs = _check_rfs(rf)
    field = _check_field(field)
    mosaic = _check_mosaic(mosaic, field)
    # the spatial RFs on the field (as spatiotemporal_responses builds them), before any movie:
    # an RF larger than the field is refused here
    Population([s for item in rfs for s, _ in _separable_terms(item)], mosaic)
    spatial_frequency = _check_spatial_frequency(spatial_frequency, field)
    fps = _check_fps(frames_per_second)
    if duration is not None:
        duration = _check_duration(duration)
    baseline = check_finite(baseline, "baseline")
    gain = check_finite(gain, "gain")
    _resolve_nonlinearities(nonlinearity)  # TypeError / ValueError naming `nonlinearity`
    contrast = check_scalar_range(contrast, "contrast", 0.0, MAX_CONTRAST)
    return rfs, field, mosaic, spatial_frequency, fps, duration, baseline, gain, contrast


def _analysed_frames(duration: float, fps: float, frequency: float, name: str) -> int:
    """Frames of the whole number of cycles (>= 1) of ``frequency`` that fit in ``duration``."""
    n = round(duration * fps)
    cycles = math.floor(n * frequency / fps + 1e-9)
    if cycles < 1:
        raise ValueError(
            f"`duration` must cover at least one cycle of every temporal frequency: "
            f"{duration:g} s ({n} frames at {fps:g} frames/s) is less than one cycle of "
            f"{frequency:g} Hz given in `{name}`"
        )
    return max(2, round(cycles * fps / frequency))


def _steady_state(
    rfs,
    mosaic,
    field,
    fps,
    warmup,
    n_frames,
    *,
    spatial_frequency,
    temporal_frequency,
    direction,
    contrast,
    baseline,
    gain,
    nonlinearity,
):
    """Mean rate and F1 amplitude, ``(n_units,)`` each, of the steady-state response."""
    n_units = len(rfs) * mosaic.n_neurons
    check_memory(
        _BYTES_PER_RATE * (warmup + n_frames) * n_units,
        f"the rates of {n_units} unit(s) x {warmup + n_frames} frames",
    )
    movie = drifting_grating(
        field,
        fps,
        (warmup + n_frames) / fps,
        spatial_frequency=spatial_frequency,
        temporal_frequency=temporal_frequency,
        direction=direction,
        contrast=contrast,
    )
    rates = spatiotemporal_responses(
        rfs, mosaic, movie, baseline=baseline, gain=gain, nonlinearity=nonlinearity
    )
    del movie
    rates = np.asarray(rates[warmup : warmup + n_frames], dtype=np.float64)
    angle = 2.0 * math.pi * temporal_frequency * (warmup + np.arange(n_frames)) / fps
    design = np.stack([np.ones(n_frames), np.cos(angle), np.sin(angle)], axis=1)
    coef = np.linalg.lstsq(design, rates, rcond=None)[0]  # (3, n_units), all units at once
    mean = rates.mean(axis=0)
    f1 = np.hypot(coef[1], coef[2])
    if not (np.isfinite(mean).all() and np.isfinite(f1).all()):
        raise ValueError(
            "the rates are not finite (the units overflow); lower `contrast` or check the RFs"
        )
    return mean, f1


def _warn_unresponsive(mean: np.ndarray, f1: np.ndarray, what: str) -> None:
    """RuntimeWarning naming the units whose rates are the same for every stimulus."""
    flat = _silent(mean) & _silent(f1)
    if flat.any():
        names = ", ".join(str(u) for u in np.flatnonzero(flat)[:5])
        warnings.warn(
            f"{int(flat.sum())} unit(s) never respond to {what} (unit(s) {names}: the same "
            "rates for every stimulus); their preferred values are NaN",
            RuntimeWarning,
            stacklevel=3,
        )


def _silent(responses: np.ndarray) -> np.ndarray:
    """Per unit (column): True if every response is 0, or the curve (> 1 value) is flat."""
    peak = np.abs(responses).max(axis=0)
    flat = np.ptp(responses, axis=0) <= _SILENT_RTOL * np.maximum(peak, 1e-300)
    return (peak == 0) | (flat & (responses.shape[0] > 1))


def _result_arrays(obj, values_name: str, n_values: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``obj.mean`` and ``obj.f1``: ``(n_values, n_units)``, finite, ``f1 >= 0``."""
    arrays = []
    for name in ("mean", "f1"):
        array = float_array(getattr(obj, name), name, ndims=(2,))
        if array.shape[0] != n_values:
            raise ValueError(
                f"`{name}` must have one row per value of `{values_name}` ({n_values}), got "
                f"shape {array.shape}"
            )
        arrays.append(array)
    mean, f1 = arrays
    if mean.shape != f1.shape:
        raise ValueError(
            f"`mean` and `f1` must have the same shape, got {mean.shape} and {f1.shape}"
        )
    check_values_range(f1, "f1", 0.0, None, why=" (an amplitude)")
    return mean, f1
