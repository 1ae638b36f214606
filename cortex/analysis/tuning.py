"""Tuning curves: responses to gratings that vary in one parameter, and their summaries.

:func:`tuning_curve` shows full-field gratings (:func:`cortex.stimuli.grating`)
at several phases per value and returns a :class:`TuningCurve` (preferred value,
bandwidth, orientation selectivity, circular variance, F1/F0 modulation ratio,
Naka-Rushton contrast fits); :func:`preferred_grating` finds the grating that
drives the units most.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize

from .. import stimuli
from .._validation import as_float_array, check_choice, check_integer, check_positive
from ..visual_field import VisualField
from ._common import _r2
from .targets import Unit, as_unit

__all__ = [
    "PARAMETERS",
    "STATISTICS",
    "NakaRushtonFit",
    "TuningCurve",
    "fit_naka_rushton",
    "preferred_grating",
    "tuning_curve",
]

#: Grating parameters a tuning curve can vary.
PARAMETERS = ("orientation", "spatial_frequency", "phase", "contrast")
#: How responses over a grating's phases become one number (see :func:`tuning_curve`).
STATISTICS = ("auto", "max", "mean", "f1")

_UNITS = {
    "orientation": "deg",
    "spatial_frequency": "cycles/deg",
    "phase": "deg",
    "contrast": "contrast",
}
_PERIOD = {"orientation": 180.0, "phase": 360.0}


def _peak(x: np.ndarray, r: np.ndarray, period: float | None, log: bool) -> float:
    """Location of the maximum of ``r(x)``, refined by a parabola through its neighbours."""
    k = int(np.argmax(r))
    n = len(x)
    xs = np.log2(x) if log else x.astype(float)
    if period is not None:
        if n < 3:
            return float(x[k])
        i0, i2 = (k - 1) % n, (k + 1) % n
        x0, x1, x2 = xs[i0], xs[k], xs[i2]
        x0 = x0 - period if i0 > k else x0
        x2 = x2 + period if i2 < k else x2
    else:
        if k == 0 or k == n - 1:
            return float(x[k])
        x0, x1, x2 = xs[k - 1], xs[k], xs[k + 1]
        i0, i2 = k - 1, k + 1
    y0, y1, y2 = r[i0], r[k], r[i2]
    denom = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom
    b = (x2**2 * (y0 - y1) + x1**2 * (y2 - y0) + x0**2 * (y1 - y2)) / denom
    top = x1 if a >= 0 else -b / (2 * a)
    top = float(np.clip(top, min(x0, x2), max(x0, x2)))
    if log:
        return float(2.0**top)
    if period is None:
        return top
    top = float(np.mod(top, period))
    return 0.0 if top >= period * (1 - 1e-8) else top  # mod of a tiny negative number


def _half_height_crossings(
    x: np.ndarray, r: np.ndarray, period: float | None, log: bool
) -> tuple[float, float]:
    """Distances (in x, or octaves if ``log``) from the peak to half height on each side."""
    xs = np.log2(x) if log else x.astype(float)
    k = int(np.argmax(r))
    half = r.min() + (r.max() - r.min()) / 2
    n = len(r)
    sides = []
    for direction in (-1, 1):
        dist = math.nan
        prev_x, prev_r = xs[k], r[k]
        for step in range(1, n if period is not None else n):
            j = k + direction * step
            if period is None and not 0 <= j < n:
                break
            jj = j % n
            xj = xs[jj] + period * ((j - jj) // n) if period is not None else xs[jj]
            if r[jj] < half:
                frac = (prev_r - half) / (prev_r - r[jj])
                crossing = prev_x + frac * (xj - prev_x)
                dist = abs(crossing - xs[k])
                break
            prev_x, prev_r = xj, r[jj]
        sides.append(dist)
    return sides[0], sides[1]


@dataclass(frozen=True)
class NakaRushtonFit:
    """A Naka-Rushton fit ``R(c) = r_max c^n / (c^n + c50^n) + baseline``.

    Attributes
    ----------
    r_max, c50, exponent, baseline : float
        Fitted parameters (``c50`` in contrast units, the semi-saturation
        contrast).
    r2 : float
        Coefficient of determination of the fit.
    converged : bool
        False if the optimiser failed or a parameter ended at its bound (e.g. a
        response that never saturates: ``c50`` runs off to the largest allowed
        value).  Such a fit is reported, with a warning, never silently.
    """

    r_max: float
    c50: float
    exponent: float
    baseline: float
    r2: float
    converged: bool

    def __call__(self, contrast: object) -> np.ndarray:
        """The fitted curve at ``contrast``."""
        c = np.asarray(contrast, dtype=float)
        cn = c**self.exponent
        return self.r_max * cn / (cn + self.c50**self.exponent) + self.baseline


def fit_naka_rushton(contrast: object, response: object) -> NakaRushtonFit:
    """Fit a Naka-Rushton function to a contrast-response curve.

    Parameters
    ----------
    contrast : array_like, shape (n,)
        Contrasts (>= 0), at least 4 distinct values.
    response : array_like, shape (n,)
        Responses.

    Returns
    -------
    NakaRushtonFit

    Raises
    ------
    ValueError
        If the arrays differ in length, hold NaN, have fewer than 4 points or a
        negative contrast.

    Warns
    -----
    RuntimeWarning
        If the fit did not converge (see ``NakaRushtonFit.converged``).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.geomspace(0.01, 1, 12)
    >>> fit = fit_naka_rushton(c, 10 * c**2 / (c**2 + 0.2**2))
    >>> round(fit.c50, 4), round(fit.exponent, 4), fit.converged
    (0.2, 2.0, True)
    """
    c = as_float_array(contrast, "contrast", ndims=(1,), keep_float32=False)
    r = as_float_array(response, "response", ndims=(1,), keep_float32=False)
    if c.shape != r.shape:
        raise ValueError(f"`contrast` and `response` differ in length: {c.shape} vs {r.shape}")
    if c.size < 4 or np.unique(c).size < 4:
        raise ValueError(
            f"a Naka-Rushton fit needs >= 4 distinct contrasts, got {np.unique(c).size}"
        )
    if np.any(c < 0):
        raise ValueError(f"`contrast` must be >= 0, got {c.min()}")
    positive = c[c > 0]
    lo, hi = positive.min() / 10, c.max() * 10
    span = float(r.max() - r.min())
    base0 = float(r[np.argmin(c)])
    half = base0 + span / 2
    c50_0 = float(np.clip(c[np.argmin(np.abs(r - half))], lo * 1.01, hi / 1.01))
    scale = span if span > 0 else 1.0

    def residual(p: np.ndarray) -> np.ndarray:
        r_max, log_c50, n, base = p
        cn = c**n
        return (r_max * cn / (cn + np.exp(log_c50) ** n) + base - r) / scale

    bounds = ([0.0, math.log(lo), 0.1, -np.inf], [np.inf, math.log(hi), 10.0, np.inf])
    best = None
    for n0 in (1.0, 2.0, 4.0):
        p0 = [span * 1.2 if span > 0 else 1.0, math.log(c50_0), n0, base0]
        res = scipy.optimize.least_squares(residual, p0, bounds=bounds, x_scale="jac")
        if best is None or res.cost < best.cost:
            best = res
    r_max, log_c50, n, base = best.x
    at_bound = (
        abs(log_c50 - math.log(hi)) < 1e-3
        or abs(log_c50 - math.log(lo)) < 1e-3
        or n <= 0.1 + 1e-6
        or n >= 10 - 1e-6
    )
    fit = NakaRushtonFit(float(r_max), float(math.exp(log_c50)), float(n), float(base), 0.0, True)
    r2 = _r2(r, fit(c))
    converged = bool(best.success and not at_bound and np.isfinite(r2))
    if not converged:
        warnings.warn(
            f"the Naka-Rushton fit did not converge (c50 {fit.c50:.3g}, "
            f"exponent {fit.exponent:.3g}, "
            f"R^2 {r2:.3g}): the responses may not saturate in the tested range",
            RuntimeWarning,
            stacklevel=2,
        )
    return NakaRushtonFit(fit.r_max, fit.c50, fit.exponent, fit.baseline, float(r2), converged)


@dataclass(frozen=True)
class TuningCurve:
    """Responses of units to gratings that vary in one parameter.

    Attributes
    ----------
    parameter : str
        One of :data:`PARAMETERS`.
    values : numpy.ndarray, shape (n_values,)
        The parameter's values (degrees, cycles/degree or contrast).
    responses : numpy.ndarray, shape (n_values, n_units)
        One number per value and unit (see ``statistic``).
    grating : dict
        The grating parameters held fixed.
    statistic : str
        How the responses over a grating's phases were summarised.
    labels : tuple of str
        The units.
    modulation_ratio : numpy.ndarray, shape (n_units,) or None
        F1/F0 of each unit's responses over phase at the value that drives it
        most: > 1 for simple cells, < 1 for complex cells (Skottun et al.,
        1991).  None for a phase curve.
    """

    parameter: str
    values: np.ndarray
    responses: np.ndarray
    grating: dict[str, float]
    statistic: str
    labels: tuple[str, ...]
    modulation_ratio: np.ndarray | None = None

    @property
    def units(self) -> str:
        """Unit of ``values``."""
        return _UNITS[self.parameter]

    @property
    def silent(self) -> np.ndarray:
        """Per unit: True if it never responds (all zero) or its curve (>1 value) is flat."""
        r = self.responses
        peak = np.abs(r).max(axis=0)
        flat = np.ptp(r, axis=0) <= 1e-12 * np.maximum(peak, 1e-300)
        return (peak == 0) | (flat & (r.shape[0] > 1))

    def _per_unit(self, fn: Callable[[np.ndarray], float]) -> np.ndarray:
        silent = self.silent
        return np.array(
            [math.nan if silent[u] else fn(self.responses[:, u]) for u in range(silent.size)]
        )

    def preferred(self) -> np.ndarray:
        """The value that drives each unit most (parabolic refinement of the peak).

        Returns
        -------
        numpy.ndarray, shape (n_units,)
            In :attr:`units`; NaN for silent units.
        """
        period = _PERIOD.get(self.parameter)
        log = self.parameter == "spatial_frequency"
        order = np.argsort(self.values)
        x = self.values[order]
        return self._per_unit(lambda r: _peak(x, r[order], period, log))

    def bandwidth(self) -> np.ndarray:
        """Tuning width per unit.

        Orientation and phase: the half-width at half height in degrees (the
        mean of the distances from the peak to where the curve falls halfway
        from its maximum to its minimum, on each side).  Spatial frequency:
        the full width at half height in octaves, ``log2(f_high / f_low)``.
        Contrast: NaN (see :meth:`contrast_fit`).

        Returns
        -------
        numpy.ndarray, shape (n_units,)
            NaN for silent units and where the curve does not fall to half
            height inside the tested range.
        """
        if self.parameter == "contrast":
            return np.full(len(self.labels), math.nan)
        period = _PERIOD.get(self.parameter)
        log = self.parameter == "spatial_frequency"
        order = np.argsort(self.values)
        x = self.values[order]

        def width(r: np.ndarray) -> float:
            left, right = _half_height_crossings(x, r[order], period, log)
            return left + right if log else (left + right) / 2

        return self._per_unit(width)

    def orientation_selectivity_index(self) -> np.ndarray:
        """``(R_pref - R_orth) / (R_pref + R_orth)`` per unit (orientation curves).

        ``R_orth`` is the curve interpolated 90 degrees from the peak;
        negative responses count as 0.  NaN for silent units.
        """
        self._require("orientation", "orientation_selectivity_index")
        order = np.argsort(self.values)
        x = self.values[order]

        def osi(r: np.ndarray) -> float:
            r = np.clip(r[order], 0, None)
            k = int(np.argmax(r))
            orth = float(np.interp(x[k] + 90.0, x, r, period=180.0))
            total = r[k] + orth
            return (r[k] - orth) / total if total > 0 else math.nan

        return self._per_unit(osi)

    def circular_variance(self) -> np.ndarray:
        """``1 - |sum R e^{2 i theta}| / sum R`` per unit (orientation curves).

        0 for a unit that responds to one orientation only, 1 for an untuned
        one.  Meaningful for orientations evenly spaced over 180 degrees;
        negative responses count as 0.  NaN for silent units.
        """
        self._require("orientation", "circular_variance")
        angles = np.deg2rad(2 * self.values)

        def cv(r: np.ndarray) -> float:
            r = np.clip(r, 0, None)
            total = r.sum()
            return 1.0 - abs(np.sum(r * np.exp(1j * angles))) / total if total > 0 else math.nan

        return self._per_unit(cv)

    def contrast_fit(self) -> list[NakaRushtonFit | None]:
        """A Naka-Rushton fit per unit (contrast curves); None for silent units."""
        self._require("contrast", "contrast_fit")
        silent = self.silent
        return [
            None if silent[u] else fit_naka_rushton(self.values, self.responses[:, u])
            for u in range(silent.size)
        ]

    def _require(self, parameter: str, what: str) -> None:
        if self.parameter != parameter:
            raise ValueError(f"{what} needs a {parameter} tuning curve, got {self.parameter}")

    def summary(self) -> dict[str, Any]:
        """The numbers physiologists report, per unit, as plain Python (JSON-ready; NaN -> None)."""

        def clean(values: np.ndarray) -> list[float | None]:
            return [None if not np.isfinite(v) else float(v) for v in values]

        out: dict[str, Any] = {
            "parameter": self.parameter,
            "units": self.units,
            "statistic": self.statistic,
            "grating": dict(self.grating),
            "labels": list(self.labels),
            "values": [float(v) for v in self.values],
            "responses": [[float(v) for v in row] for row in self.responses.T],
            "silent": [bool(s) for s in self.silent],
        }
        if self.modulation_ratio is not None:
            out["modulation_ratio"] = clean(self.modulation_ratio)
        if self.parameter == "contrast":
            fits = self.contrast_fit()
            out["c50"] = [None if f is None else f.c50 for f in fits]
            out["exponent"] = [None if f is None else f.exponent for f in fits]
            out["r_max"] = [None if f is None else f.r_max for f in fits]
            out["fit_r2"] = [None if f is None else f.r2 for f in fits]
            out["fit_converged"] = [None if f is None else f.converged for f in fits]
        else:
            out["preferred"] = clean(self.preferred())
            key = "bandwidth_octaves" if self.parameter == "spatial_frequency" else "hwhh_deg"
            out[key] = clean(self.bandwidth())
        if self.parameter == "orientation":
            out["osi"] = clean(self.orientation_selectivity_index())
            out["circular_variance"] = clean(self.circular_variance())
        return out


def _phase_statistic(
    r: np.ndarray, phases: np.ndarray, statistic: str
) -> tuple[np.ndarray, np.ndarray]:
    """Summarise ``r`` of shape ``(n_values, n_phases, n_units)`` over phases.

    Returns the curve ``(n_values, n_units)`` and the F1/F0 modulation ratio
    per unit at the value with the largest F0 + F1.
    """
    f0 = r.mean(axis=1)
    harmonic = np.exp(-1j * np.deg2rad(phases))[np.newaxis, :, np.newaxis]
    f1 = 2 * np.abs(np.mean(r * harmonic, axis=1))
    best = np.argmax(f0 + f1, axis=0)
    cols = np.arange(r.shape[2])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = f1[best, cols] / np.abs(f0[best, cols])
    if statistic == "max":
        return r.max(axis=1), ratio
    if statistic == "mean":
        return f0, ratio
    if statistic == "f1":
        return f1, ratio
    return np.where(ratio > 1, f1, f0), ratio  # auto: F1 for simple, F0 for complex cells


def preferred_grating(
    target: object,
    *,
    field: VisualField | None = None,
    neurons: object = None,
    nonlinearity: object = "auto",
    n_phases: int = 8,
) -> dict[str, float]:
    """The grating (orientation, spatial frequency) that drives the units most.

    A coarse search (12 orientations x 16 log-spaced frequencies from one cycle
    per field to half the Nyquist frequency, each at ``n_phases`` phases),
    refined along frequency at the best orientation and along orientation at
    the best frequency.  The mean over the units of the peak (over phase)
    response is maximised.

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`.
    n_phases : int, optional
        Phases per grating.

    Returns
    -------
    dict
        ``{"orientation": deg, "spatial_frequency": cycles/deg}``.
    """
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    return _preferred_grating(unit, check_integer(n_phases, "n_phases", minimum=1))


def _sweep(unit: Unit, orientation, frequency, phases, contrast=1.0) -> np.ndarray:
    """Responses ``(n, n_phases, n_units)`` to gratings (parameters broadcast together)."""
    o, f, p, c = np.broadcast_arrays(
        np.asarray(orientation, float)[:, None],
        np.asarray(frequency, float)[:, None],
        np.asarray(phases, float)[None, :] if np.ndim(phases) == 1 else np.asarray(phases, float),
        np.asarray(contrast, float)[:, None] if np.ndim(contrast) else np.asarray(contrast, float),
    )
    images = stimuli.grating(unit.field, f.ravel(), o.ravel(), p.ravel(), c.ravel())
    return unit(images).reshape(*o.shape, unit.n_units)


def _preferred_grating(unit: Unit, n_phases: int) -> dict[str, float]:
    field = unit.field
    phases = np.arange(n_phases) * 360.0 / n_phases
    nyquist = field.pixels_per_degree / 2
    f_lo = 1.0 / min(field.width, field.height)
    f_hi = nyquist / 2
    if f_hi <= f_lo:
        f_hi = f_lo * 2
    orientations = np.arange(0, 180, 15.0)
    freqs = np.geomspace(f_lo, f_hi, 16)
    oo, ff = (a.ravel() for a in np.meshgrid(orientations, freqs, indexing="ij"))
    score = _sweep(unit, oo, ff, phases).max(axis=1).mean(axis=1)
    k = int(np.argmax(score))
    best_o, best_f = float(oo[k]), float(ff[k])
    fine_f = np.geomspace(best_f / 2**0.5, min(best_f * 2**0.5, nyquist * 0.9), 21)
    score = _sweep(unit, np.full(fine_f.size, best_o), fine_f, phases).max(axis=1).mean(axis=1)
    best_f = float(fine_f[int(np.argmax(score))])
    fine_o = best_o + np.arange(-15.0, 15.01, 1.0)
    score = _sweep(unit, fine_o, np.full(fine_o.size, best_f), phases).max(axis=1).mean(axis=1)
    best_o = float(np.mod(fine_o[int(np.argmax(score))], 180.0))
    return {"orientation": best_o, "spatial_frequency": best_f}


def tuning_curve(
    target: object,
    parameter: str,
    values: object,
    *,
    field: VisualField | None = None,
    neurons: object = None,
    nonlinearity: object = "auto",
    orientation: float | None = None,
    spatial_frequency: float | None = None,
    phase: float = 0.0,
    contrast: float = 1.0,
    n_phases: int = 8,
    statistic: str = "auto",
) -> TuningCurve:
    """Measure a tuning curve with full-field gratings.

    For each value of ``parameter`` a grating is shown at ``n_phases``
    evenly spaced phases (a drifting grating, one frame per phase; except for
    a phase curve), and each unit's responses over phase are summarised by
    ``statistic``: ``"mean"`` (F0, the mean response), ``"f1"`` (the
    amplitude of the first harmonic, the modulation a simple cell shows),
    ``"auto"`` (what physiologists report: F1 for units whose modulation
    ratio F1/F0 exceeds 1, simple cells, F0 otherwise, complex cells) or
    ``"max"`` (the peak over the sampled phases).

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`: a population, or a ConvNet unit with its input's
        field.
    parameter : {"orientation", "spatial_frequency", "phase", "contrast"}
        What varies.
    values : array_like, shape (n_values,)
        Its values: degrees (orientation, phase), cycles/degree (> 0), or
        contrast (>= 0).
    orientation, spatial_frequency : float, optional
        The fixed grating parameters; default: the units' preferred grating
        (:func:`preferred_grating`).
    phase : float, optional
        The grating phase (degrees) when ``n_phases == 1``; ignored otherwise.
    contrast : float, optional
        Grating contrast (for every parameter but contrast).
    n_phases : int, optional
        Phases per grating (1: only ``phase``).
    statistic : {"auto", "max", "mean", "f1"}, optional
        Summary over phases.

    Returns
    -------
    TuningCurve

    Raises
    ------
    TypeError, ValueError
        For an unknown parameter or statistic, empty or non-finite values,
        non-positive frequencies, negative contrasts, or a bad target.

    Warns
    -----
    RuntimeWarning
        If a unit never responds (a flat curve): its preferred value and
        bandwidth are NaN.
    """
    parameter = check_choice(parameter, "parameter", PARAMETERS)
    statistic = check_choice(statistic, "statistic", STATISTICS)
    n_phases = check_integer(n_phases, "n_phases", minimum=1)
    values = as_float_array(values, "values", ndims=(1,), keep_float32=False)
    if parameter == "spatial_frequency" and np.any(values <= 0):
        raise ValueError(f"spatial frequencies must be > 0, got {values.min()}")
    if parameter == "contrast" and np.any(values < 0):
        raise ValueError(f"contrasts must be >= 0, got {values.min()}")
    contrast = check_positive(contrast, "contrast", allow_zero=True)
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    needed = {"orientation": orientation, "spatial_frequency": spatial_frequency}
    needed.pop(parameter, None)  # the varied parameter needs no fixed value
    if any(v is None for v in needed.values()):
        best = _preferred_grating(unit, max(n_phases, 4))
        orientation = best["orientation"] if orientation is None else orientation
        spatial_frequency = (
            best["spatial_frequency"] if spatial_frequency is None else spatial_frequency
        )
    orientation = 0.0 if orientation is None else float(orientation)
    spatial_frequency = check_positive(
        1.0 if spatial_frequency is None else spatial_frequency, "spatial_frequency"
    )
    phases = np.array([float(phase)]) if n_phases == 1 else np.arange(n_phases) * 360.0 / n_phases
    n = values.size
    fixed = {
        "orientation": orientation,
        "spatial_frequency": spatial_frequency,
        "contrast": contrast,
    }
    if parameter == "phase":
        r = _sweep(unit, [orientation], [spatial_frequency], values[None, :], contrast)
        curve, ratio = r[0], None
        grating = fixed
    else:
        grid = {k: np.full(n, v) for k, v in fixed.items()}
        grid[parameter] = values
        r = _sweep(unit, grid["orientation"], grid["spatial_frequency"], phases, grid["contrast"])
        curve, ratio = _phase_statistic(r, phases, statistic)
        grating = {k: v for k, v in fixed.items() if k != parameter}
    result = TuningCurve(parameter, values, curve, grating, statistic, unit.labels, ratio)
    silent = result.silent
    if silent.any():
        names = ", ".join(np.asarray(unit.labels)[silent][:5])
        warnings.warn(
            f"{int(silent.sum())} unit(s) never respond to these gratings ({names}); "
            "their preferred value and bandwidth are NaN",
            RuntimeWarning,
            stacklevel=2,
        )
    return result
