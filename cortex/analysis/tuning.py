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

from .._validation import _describe, check_bool, check_choice, check_finite, check_integer
from ..visual_field import VisualField
from ._common import (
    ANGLE_LIMIT,
    MAX_CONTRAST,
    _r2,
    check_labels,
    check_scalar_range,
    check_values_range,
    float_array,
    power_of_two,
    real_or_nan,
)
from ._curves import _half_height_crossings, _peak
from ._gratings import (
    NYQUIST_NOTE,
    _phase_statistic,
    check_grating_values,
    grating_sweep,
    preferred_grating_search,
    search_range,
)
from .targets import as_unit

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


@dataclass(frozen=True)
class NakaRushtonFit:
    """A Naka-Rushton fit ``R(c) = r_max c^n / (c^n + c50^n) + baseline``.

    Attributes
    ----------
    r_max, c50, exponent, baseline : float
        Fitted parameters (``c50`` in contrast units, the semi-saturation
        contrast; ``c50`` and ``exponent`` > 0).
    r2 : float
        Coefficient of determination of the fit.
    converged : bool
        False if the optimiser failed or a parameter ended at its bound (e.g. a
        response that never saturates: ``c50`` runs off to the largest allowed
        value).  Such a fit is reported, with a warning, never silently.

    Raises
    ------
    TypeError
        If a parameter is not a real number (booleans and strings are
        refused) or ``converged`` is not a bool.
    ValueError
        If a parameter is NaN or infinite (``r2`` may be NaN), or ``c50`` or
        ``exponent`` is not > 0.
    """

    r_max: float
    c50: float
    exponent: float
    baseline: float
    r2: float
    converged: bool

    def __post_init__(self) -> None:
        for name in ("r_max", "baseline"):
            object.__setattr__(self, name, check_finite(getattr(self, name), name))
        for name in ("c50", "exponent"):
            value = check_scalar_range(getattr(self, name), name, 0.0, None, low_open=True)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "r2", real_or_nan(self.r2, "r2"))
        object.__setattr__(self, "converged", check_bool(self.converged, "converged"))

    def __call__(self, contrast: object) -> np.ndarray:
        """The fitted curve at ``contrast`` (array_like of contrasts >= 0).

        Raises
        ------
        TypeError
            If ``contrast`` is not numeric (booleans and strings are refused).
        ValueError
            If ``contrast`` is empty, NaN, infinite or negative.
        """
        c = float_array(contrast, "contrast")
        check_values_range(c, "contrast", 0.0, None)
        n = self.exponent
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            cn = c**n
            c50n = np.power(self.c50, n)
            if np.isfinite(cn).all() and np.isfinite(c50n) and c50n > 0:
                frac = cn / (cn + c50n)
            else:  # the same ratio, written so that no power overflows
                frac = 1.0 / (1.0 + (self.c50 / np.where(c > 0, c, 1.0)) ** n)
                frac = np.where(c > 0, frac, 0.0)
        return self.r_max * frac + self.baseline


#: Largest contrast a Naka-Rushton fit accepts: it raises 10 times the largest
#: contrast to exponents up to 10, which must stay finite.
_MAX_FIT_CONTRAST = 1e20
#: Largest response magnitude of a Naka-Rushton fit (its r_max may be ~1e10 times larger).
_MAX_FIT_RESPONSE = 1e200


def fit_naka_rushton(contrast: object, response: object) -> NakaRushtonFit:
    """Fit a Naka-Rushton function to a contrast-response curve.

    Parameters
    ----------
    contrast : array_like, shape (n,)
        Contrasts in ``[0, 1e20]``, at least 4 distinct values.
    response : array_like, shape (n,)
        Responses, not all equal, of magnitude at most ``1e200``.

    Returns
    -------
    NakaRushtonFit

    Raises
    ------
    TypeError
        If ``contrast`` or ``response`` is not numeric (booleans and strings
        are refused).
    ValueError
        If the arrays are not 1-D, differ in length, hold NaN or infinite
        values, have fewer than 4 distinct contrasts, a contrast outside
        ``[0, 1e20]``, a response beyond ``1e200`` in magnitude, or
        constant responses (degenerate data: there is no curve to fit).

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
    c = float_array(contrast, "contrast", ndims=(1,))
    r = float_array(response, "response", ndims=(1,))
    if c.shape != r.shape:
        raise ValueError(f"`contrast` and `response` differ in length: {c.shape} vs {r.shape}")
    distinct = np.unique(c).size
    if distinct < 4:
        raise ValueError(
            f"`contrast` must hold >= 4 distinct values for a Naka-Rushton fit, got {distinct}"
        )
    check_values_range(c, "contrast", 0.0, _MAX_FIT_CONTRAST)
    check_values_range(np.abs(r), "response", None, _MAX_FIT_RESPONSE, why=" in magnitude")
    if np.ptp(r) == 0:
        raise ValueError(
            f"`response` is constant ({r[0]:g} at every contrast): degenerate data, there is "
            "no contrast-response curve to fit"
        )
    # fit responses in units of a power of 2 (exact): the numbers are those of a fit of r
    # itself, but no product of the fit overflows
    unit = power_of_two(float(np.max(np.abs(r))))
    r = r / unit
    positive = c[c > 0]
    lo, hi = max(positive.min() / 10, 1e-30), c.max() * 10  # (1e-30)**10 stays normal
    span = float(r.max() - r.min())
    base0 = float(r[np.argmin(c)])
    half = base0 + span / 2
    c50_0 = float(np.clip(c[np.argmin(np.abs(r - half))], lo * 1.01, hi / 1.01))
    scale = span

    def residual(p: np.ndarray) -> np.ndarray:
        r_max, log_c50, n, base = p
        cn = c**n
        return (r_max * cn / (cn + np.exp(log_c50) ** n) + base - r) / scale

    bounds = ([0.0, math.log(lo), 0.1, -np.inf], [np.inf, math.log(hi), 10.0, np.inf])
    best = None
    for n0 in (1.0, 2.0, 4.0):
        p0 = [span * 1.2, math.log(c50_0), n0, base0]
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
    fit = NakaRushtonFit(
        float(r_max) * unit, float(math.exp(log_c50)), float(n), float(base) * unit, 0.0, True
    )
    r2 = _r2(r * unit, fit(c))
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
        1991); ``inf`` for a unit whose mean response (F0) is exactly 0 while it
        modulates, NaN for a silent unit.  None for a phase curve.

    Raises
    ------
    TypeError
        If a field has the wrong type: ``values`` or ``responses`` not numeric
        (booleans and strings are refused), ``grating`` not a dict of numbers,
        ``labels`` not a sequence of strings.
    ValueError
        If ``parameter`` or ``statistic`` is unknown, ``values`` is not 1-D or
        out of the parameter's range (see :func:`tuning_curve`), ``responses``
        is not ``(n_values, n_units)`` with one label per unit, an array holds
        NaN or infinite values, or ``modulation_ratio`` has the wrong shape.
    """

    parameter: str
    values: np.ndarray
    responses: np.ndarray
    grating: dict[str, float]
    statistic: str
    labels: tuple[str, ...]
    modulation_ratio: np.ndarray | None = None

    def __post_init__(self) -> None:
        parameter = check_choice(self.parameter, "parameter", PARAMETERS)
        check_choice(self.statistic, "statistic", STATISTICS)
        values = check_grating_values(self.values, parameter, "values", math.inf)
        responses = float_array(self.responses, "responses", ndims=(2,))
        if responses.shape[0] != values.size:
            raise ValueError(
                f"`responses` must have one row per value ({values.size}), got shape "
                f"{responses.shape}"
            )
        labels = check_labels(self.labels, responses.shape[1])
        if not isinstance(self.grating, dict):
            raise TypeError(f"`grating` must be a dict, got {_describe(self.grating)}")
        grating = {}
        for key, value in self.grating.items():
            check_choice(key, "grating", PARAMETERS)
            try:
                grating[key] = check_finite(value, "grating")
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{exc} (its {key!r} entry)") from None
        ratio = self.modulation_ratio
        if ratio is not None:
            ratio = float_array(
                ratio, "modulation_ratio", ndims=(1,), allow_nan=True, allow_inf=True
            )
            if ratio.shape != (responses.shape[1],):
                raise ValueError(
                    f"`modulation_ratio` must have one value per unit ({responses.shape[1]}), "
                    f"got shape {ratio.shape}"
                )
        for name, value in (
            ("values", values),
            ("responses", responses),
            ("labels", labels),
            ("grating", grating),
            ("modulation_ratio", ratio),
        ):
            object.__setattr__(self, name, value)

    @property
    def units(self) -> str:
        """Unit of ``values``."""
        return _UNITS[self.parameter]

    @property
    def silent(self) -> np.ndarray:
        """Per unit: True if it never responds (all zero) or its curve (>1 value) is flat."""
        r = self.responses
        peak = np.abs(r).max(axis=0)
        with np.errstate(over="ignore"):  # a range beyond float64 is not flat
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
    response is maximised.  The gratings are drawn and shown in chunks
    (``cortex.correlation.CHUNK_BYTES["images"]``), so memory does not grow
    with the number of gratings or phases.

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`.
    n_phases : int, optional
        Phases per grating (>= 1).

    Returns
    -------
    dict
        ``{"orientation": deg, "spatial_frequency": cycles/deg}``; both NaN if
        no unit responds to any grating of the search.

    Raises
    ------
    TypeError, ValueError
        For a bad target (see :func:`as_unit`) or ``n_phases`` (not an
        integer >= 1; booleans are refused); ValueError if a unit's responses
        are not finite (it overflows).
    cortex.MemoryBudgetError
        If one chunk of gratings on the field exceeds the memory budget.

    Warns
    -----
    RuntimeWarning
        If some units never respond to the gratings (constant responses): the
        result is the preference of the others; if none responds, it is NaN.
    """
    n_phases = check_integer(n_phases, "n_phases", minimum=1)
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    return preferred_grating_search(unit, n_phases, stacklevel=3)


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

    The gratings are drawn and shown in chunks
    (``cortex.correlation.CHUNK_BYTES["images"]``) and only the summaries
    over phase are kept, so memory does not grow with ``n_values * n_phases``.

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`: a population, or a ConvNet unit with its input's
        field.
    parameter : {"orientation", "spatial_frequency", "phase", "contrast"}
        What varies.
    values : array_like, shape (n_values,)
        Its values: degrees (orientation, phase; within +-1e6), cycles/degree
        (> 0 and at most the field's Nyquist frequency
        ``pixels_per_degree / 2``), or contrast (in ``[0, 1e6]``).
    orientation, spatial_frequency : float, optional
        The fixed grating parameters (same ranges as ``values``); default: the
        units' preferred grating (:func:`preferred_grating`).  If no unit
        responds to the search's gratings, orientation 0 and the middle
        frequency of the search are held fixed instead (with a warning).
    phase : float, optional
        The grating phase (degrees) when ``n_phases == 1``; ignored otherwise.
    contrast : float, optional
        Grating contrast in ``[0, 1e6]`` (for every parameter but contrast).
    n_phases : int, optional
        Phases per grating (1: only ``phase``).
    statistic : {"auto", "max", "mean", "f1"}, optional
        Summary over phases.

    Returns
    -------
    TuningCurve

    Raises
    ------
    TypeError
        If an argument has the wrong type: ``parameter`` or ``statistic`` not
        a string, ``values`` not numeric (booleans and strings are refused),
        ``orientation``, ``spatial_frequency``, ``phase`` or ``contrast`` not a
        real number (a list where a number is expected, a boolean), or
        ``n_phases`` not an integer; or for a bad target (see :func:`as_unit`).
    ValueError
        For an unknown parameter or statistic, empty, non-finite or
        out-of-range values or grating parameters (the message names the
        argument and its range, e.g. a spatial frequency above the field's
        Nyquist frequency), ``n_phases`` < 1, a bad target, or responses that
        are not finite (the unit overflows).
    cortex.MemoryBudgetError
        If one chunk of gratings on the field exceeds the memory budget.

    Warns
    -----
    RuntimeWarning
        If a unit never responds (a flat curve): its preferred value and
        bandwidth are NaN; or if no unit responds to the preferred-grating
        search.
    """
    parameter = check_choice(parameter, "parameter", PARAMETERS)
    statistic = check_choice(statistic, "statistic", STATISTICS)
    n_phases = check_integer(n_phases, "n_phases", minimum=1)
    values = check_grating_values(values, parameter, "values", None)
    angle = {"low": -ANGLE_LIMIT, "high": ANGLE_LIMIT, "unit": "deg"}
    if orientation is not None:
        orientation = check_scalar_range(orientation, "orientation", **angle)
    if spatial_frequency is not None:  # its range (the Nyquist frequency) once the field is known
        spatial_frequency = check_finite(spatial_frequency, "spatial_frequency")
    phase = check_scalar_range(phase, "phase", **angle)
    contrast = check_scalar_range(contrast, "contrast", 0.0, MAX_CONTRAST)
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    nyquist = unit.field.pixels_per_degree / 2
    if parameter == "spatial_frequency":
        check_grating_values(values, parameter, "values", nyquist)
    if spatial_frequency is not None:
        check_scalar_range(
            spatial_frequency,
            "spatial_frequency",
            0.0,
            nyquist,
            low_open=True,
            unit="cycles/deg",
            why=NYQUIST_NOTE,
        )
    needed = {"orientation": orientation, "spatial_frequency": spatial_frequency}
    needed.pop(parameter, None)  # the varied parameter needs no fixed value
    if any(v is None for v in needed.values()):
        best = preferred_grating_search(unit, max(n_phases, 4), stacklevel=3)
        if math.isnan(best["orientation"]):  # no unit responds: any grating will do
            f_lo, f_hi = search_range(unit.field)
            best = {"orientation": 0.0, "spatial_frequency": math.sqrt(f_lo * f_hi)}
        orientation = best["orientation"] if orientation is None else orientation
        spatial_frequency = (
            best["spatial_frequency"] if spatial_frequency is None else spatial_frequency
        )
    orientation = 0.0 if orientation is None else orientation
    spatial_frequency = 1.0 if spatial_frequency is None else spatial_frequency
    n = values.size
    fixed = {
        "orientation": orientation,
        "spatial_frequency": spatial_frequency,
        "contrast": contrast,
    }
    if parameter == "phase":
        one = np.ones(n)
        sweep = grating_sweep(
            unit,
            orientation * one,
            spatial_frequency * one,
            contrast * one,
            values,
            1,
            harmonics=False,
        )
        curve, ratio = sweep.peak, None
        grating = fixed
    else:
        grid = {k: np.full(n, v) for k, v in fixed.items()}
        grid[parameter] = values
        offset = np.full(n, phase if n_phases == 1 else 0.0)
        sweep = grating_sweep(
            unit,
            grid["orientation"],
            grid["spatial_frequency"],
            grid["contrast"],
            offset,
            n_phases,
        )
        curve, ratio = _phase_statistic(sweep.f0, sweep.f1, sweep.peak, statistic)
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
