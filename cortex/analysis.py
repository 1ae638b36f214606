"""Simulated neurophysiology: tuning curves, reverse correlation, RF size and Gabor fits.

The experiments a physiologist runs on a real neuron, run on a simulated one.
Every function takes a **target**, one of

* a :class:`~cortex.Population` (all its neurons, or those picked with
  ``neurons=``), or a pair ``(rf, mosaic)`` that makes one;
* a unit of a trained ConvNet, ``(model, layer, channel)``: the centre unit of
  feature map ``channel`` of ``model.layers[layer]`` (or
  ``(model, layer, channel, (row, col))`` for another position; for a
  :class:`~cortex.nn.Dense` layer, ``channel`` is the output feature).  Its
  input images live on ``field``, a :class:`~cortex.VisualField` whose pixel
  grid is the network's input, so positions and frequencies are in degrees and
  cycles/degree here too.

Stimuli are contrast images (gratings from :func:`cortex.stimuli.grating`,
white or pink noise); a unit's response is its output for each image (for a
population: :func:`cortex.responses` with a rectifying nonlinearity by
default, so responses are firing rates).

Conventions: orientation in degrees (0 = vertical bars, period 180),
spatial frequency in cycles/degree, phase in degrees, positions in degrees
with ``x`` right and ``y`` up.

Examples
--------
>>> import numpy as np
>>> from cortex import Gabor, Mosaic, VisualField
>>> from cortex.analysis import tuning_curve
>>> field = VisualField(2.0, 2.0, pixels_per_degree=16)
>>> mosaic = Mosaic(field, [[0.0, 0.0]])
>>> curve = tuning_curve((Gabor(3.0, orientation=30.0), mosaic), "orientation",
...                      np.arange(0, 180, 7.5), spatial_frequency=3.0)
>>> round(float(curve.preferred()[0]), 2)
30.0
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np
import scipy.linalg
import scipy.ndimage
import scipy.optimize

from . import stimuli
from ._validation import (
    as_float_array,
    as_rng,
    check_choice,
    check_integer,
    check_positive,
)
from .receptive_fields import Gabor, ReceptiveField
from .population import Population, connectivity_matrix, responses
from .visual_field import VisualField

__all__ = [
    "NOISES",
    "PARAMETERS",
    "RF_METHODS",
    "STATISTICS",
    "GaborFit",
    "GaussianFit",
    "HalfMaxRegion",
    "NakaRushtonFit",
    "RFEstimate",
    "TuningCurve",
    "Unit",
    "as_unit",
    "fit_gabor",
    "fit_gaussian",
    "fit_naka_rushton",
    "gabor_likeness",
    "half_max_region",
    "linear_receptive_field",
    "map_correlation",
    "preferred_grating",
    "rf_mapping_convergence",
    "spike_triggered_average",
    "tuning_curve",
]

#: Grating parameters a tuning curve can vary.
PARAMETERS = ("orientation", "spatial_frequency", "phase", "contrast")
#: How responses over a grating's phases become one number (see :func:`tuning_curve`).
STATISTICS = ("auto", "max", "mean", "f1")
#: Reverse-correlation estimates (see :func:`spike_triggered_average`).
RF_METHODS = ("sta", "whitened")
#: Noise stimuli for reverse correlation.
NOISES = ("white", "pink")

_UNITS = {
    "orientation": "deg",
    "spatial_frequency": "cycles/deg",
    "phase": "deg",
    "contrast": "contrast",
}
_PERIOD = {"orientation": 180.0, "phase": 360.0}
_CHUNK_BYTES = 32 * 2**20  # images per response call


# -- targets ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """Units under study, whatever their origin: a population or a ConvNet unit.

    Build one with :func:`as_unit`; the experiments accept a target directly.

    Attributes
    ----------
    field : VisualField
        The field the stimuli are drawn on (the images' pixel grid).
    labels : tuple of str
        One label per unit.
    respond : callable
        ``respond(images)`` maps ``(N, H, W)`` contrast images to ``(N, n_units)``
        float64 responses.
    linear_map : callable
        ``linear_map()`` returns the units' linear RFs ``(n_units, H, W)``
        (see :func:`linear_receptive_field`).
    """

    field: VisualField
    labels: tuple[str, ...]
    respond: Callable[[np.ndarray], np.ndarray] = dataclass_field(repr=False)
    linear_map: Callable[[], np.ndarray] = dataclass_field(repr=False)

    @property
    def n_units(self) -> int:
        """Number of units."""
        return len(self.labels)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Responses ``(N, n_units)`` to images ``(N, H, W)``, computed in memory-bounded chunks."""
        images = np.asarray(images, dtype=np.float64)
        if images.ndim == 2:
            images = images[np.newaxis]
        per_image = max(images[0].nbytes, 1)
        step = max(1, _CHUNK_BYTES // per_image)
        parts = [self.respond(images[i : i + step]) for i in range(0, len(images), step)]
        return np.concatenate(parts, axis=0).astype(np.float64, copy=False)


def _is_model(obj: object) -> bool:
    from .nn.network import Sequential  # local: cortex.nn imports the core, not analysis

    return isinstance(obj, Sequential)


def as_unit(
    target: object,
    *,
    field: VisualField | None = None,
    neurons: object = None,
    nonlinearity: object = "auto",
) -> Unit:
    """Normalise a target (population or ConvNet unit) into a :class:`Unit`.

    Parameters
    ----------
    target : Population, tuple
        The neurons (a population or an ``(rf, mosaic)`` pair) or a ConvNet
        unit ``(model, layer, channel)`` / ``(model, layer, channel, (row, col))``
        (see the module docstring).
    field : VisualField, optional
        Required for a ConvNet unit: the visual field of the network's input
        (its ``shape`` is the input's ``(H, W)``).  For a population it must be
        omitted or equal the mosaic's field.
    neurons : int or sequence of int, optional
        For a population: which neurons (indices into its ``n_neurons``
        responses); default all.
    nonlinearity : "auto", None, str, callable or sequence, optional
        Applied to the responses.  ``"auto"``: ``"rectify"`` for a population
        (firing rates), nothing for a ConvNet unit (its layer's output as is).
        Otherwise as the ``nonlinearity`` of :func:`cortex.responses`.

    Returns
    -------
    Unit

    Raises
    ------
    TypeError
        If ``target`` is none of the accepted forms.
    ValueError
        If a neuron index, layer, channel or position is out of range, ``field``
        is missing or does not match, or the network's input is not one channel.
    """
    if isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], ReceptiveField):
        target = Population(target[0], target[1])
    if isinstance(target, Population):
        return _population_unit(target, field, neurons, nonlinearity)
    if isinstance(target, tuple) and len(target) in (3, 4) and _is_model(target[0]):
        if neurons is not None:
            raise ValueError("`neurons` applies to populations; a ConvNet unit is one unit")
        return _convnet_unit(target, field, nonlinearity)
    raise TypeError(
        "`target` must be a Population, an (rf, mosaic) pair or a (model, layer, channel) "
        f"ConvNet unit, got {type(target).__name__}"
    )


def _population_unit(
    population: Population, field: object, neurons: object, nonlinearity: object
) -> Unit:
    if field is not None and field != population.mosaic.field:
        raise ValueError(
            f"`field` {field} differs from the population's field {population.mosaic.field}"
        )
    n = population.n_neurons
    if neurons is None:
        index = np.arange(n)
    else:
        index = np.atleast_1d(np.asarray(neurons))
        if index.dtype.kind not in "iu" or index.ndim != 1 or index.size == 0:
            raise TypeError(f"`neurons` must be an int or a 1-D sequence of ints, got {neurons!r}")
        if index.min() < 0 or index.max() >= n:
            raise ValueError(
                f"`neurons` must be in [0, {n}), got values from {index.min()} to {index.max()}"
            )
    steps = "rectify" if isinstance(nonlinearity, str) and nonlinearity == "auto" else nonlinearity
    responses(population, np.zeros((1, *population.mosaic.field.shape)), nonlinearity=steps)

    def respond(images: np.ndarray) -> np.ndarray:
        return responses(population, images, nonlinearity=steps)[:, index]

    def linear_map() -> np.ndarray:
        if any(rf.is_energy for rf in population.types):
            raise ValueError(
                "energy (complex-cell) neurons have no linear RF: their response is "
                "even**2 + odd**2"
            )
        rows = connectivity_matrix(population)[index].toarray()
        return rows.reshape(len(index), *population.mosaic.field.shape)

    labels = tuple(f"neuron {i}" for i in index)
    return Unit(population.mosaic.field, labels, respond, linear_map)


def _convnet_unit(target: tuple, field: object, nonlinearity: object) -> Unit:
    from .nn.layers import Conv2D, LocallyConnected2D
    from .population import _resolve_nonlinearities

    model, layer, channel = target[:3]
    if field is None:
        raise ValueError(
            "`field` is required for a ConvNet unit: the VisualField of the network's input"
        )
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {type(field).__name__}")
    layers = model.layers
    layer = check_integer(layer, "layer")
    if not -len(layers) <= layer < len(layers):
        raise ValueError(f"`layer` must be in [{-len(layers)}, {len(layers)}), got {layer}")
    layer %= len(layers)
    first = layers[0]
    if isinstance(first, Conv2D | LocallyConnected2D) and first.in_channels != 1:
        raise ValueError(
            f"the network's input has {first.in_channels} channels; stimuli are grey images "
            "(1 channel)"
        )
    dtype = np.float32 if getattr(first, "dtype", "float32") == "float32" else np.float64
    shape = (1, *field.shape)
    try:
        for lay in layers[: layer + 1]:
            shape = lay.output_shape(shape)
        out_shape = shape
    except ValueError as exc:
        raise ValueError(f"the network does not accept a {field.shape} input: {exc}") from exc
    channel = check_integer(channel, "channel", minimum=0)
    if channel >= out_shape[0]:
        raise ValueError(f"`channel` must be < {out_shape[0]} (layer {layer}), got {channel}")
    if len(out_shape) == 3:
        if len(target) == 4:
            row, col = (check_integer(v, "position", minimum=0) for v in target[3])
            if row >= out_shape[1] or col >= out_shape[2]:
                raise ValueError(
                    f"`position` must be within the {out_shape[1]}x{out_shape[2]} map of layer "
                    f"{layer}, got ({row}, {col})"
                )
        else:
            row, col = out_shape[1] // 2, out_shape[2] // 2
        index: tuple = (slice(None), channel, row, col)
        label = f"layer {layer} channel {channel} at ({row}, {col})"
    else:
        if len(target) == 4:
            raise ValueError(f"layer {layer} ({type(layers[layer]).__name__}) has no positions")
        index = (slice(None), channel)
        label = f"layer {layer} unit {channel}"
    steps = [] if isinstance(nonlinearity, str) and nonlinearity == "auto" else nonlinearity
    post = _resolve_nonlinearities(steps)

    def run(x: np.ndarray, *, keep: bool) -> np.ndarray:
        modes = [lay.training for lay in layers]
        try:
            for lay in layers:
                lay.training = keep
            for lay in layers[: layer + 1]:
                x = lay.forward(x)
        finally:
            for lay, mode in zip(layers, modes, strict=True):
                lay.training = mode
        return x

    def respond(images: np.ndarray) -> np.ndarray:
        out = run(images[:, np.newaxis].astype(dtype), keep=False)[index].astype(np.float64)
        out = out[:, np.newaxis]
        for step in post:
            out = step(out)
        return out

    def linear_map() -> np.ndarray:
        x = np.zeros((1, 1, *field.shape), dtype=dtype)
        out = run(x, keep=True)  # training mode: the layers keep what backward needs
        grad = np.zeros_like(out)
        grad[(0, *index[1:])] = 1
        for lay in reversed(layers[: layer + 1]):
            grad = lay.backward(grad)
        if not np.any(grad):
            warnings.warn(
                f"the linear RF of {label} is zero: the unit is silent at a blank image "
                "(e.g. rectified with no bias); use the layer before the rectification",
                RuntimeWarning,
                stacklevel=3,
            )
        return np.asarray(grad, dtype=np.float64).reshape(1, *field.shape)

    return Unit(field, (label,), respond, linear_map)


def linear_receptive_field(
    target: object, *, field: VisualField | None = None, neurons: object = None
) -> np.ndarray:
    """The units' linear RFs as maps over the field: the reference a mapping should find.

    For a population this is the explicit local connectivity
    (:func:`cortex.connectivity_matrix`): each neuron's kernel placed at its
    centre.  For a ConvNet unit it is the gradient of the unit's output with
    respect to the input at a blank (zero-contrast) image: the filter itself
    for a first-layer unit, the local linearisation deeper in the network.
    A rectified unit that is silent at a blank image has a zero gradient
    there: ask for the layer before the rectification.

    Parameters
    ----------
    target, field, neurons
        As :func:`as_unit`.

    Returns
    -------
    numpy.ndarray, shape (n_units, H, W)
        Weights per pixel (responses per unit contrast).

    Raises
    ------
    ValueError
        For energy (complex-cell) neurons, which have no linear RF.
    """
    return as_unit(target, field=field, neurons=neurons).linear_map()


# -- tuning curves ---------------------------------------------------------------------
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


def _r2(data: np.ndarray, fit: np.ndarray) -> float:
    total = float(np.sum((data - data.mean()) ** 2))
    if total == 0:
        return math.nan
    return 1.0 - float(np.sum((data - fit) ** 2)) / total


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


# -- reverse correlation ---------------------------------------------------------------
@dataclass(frozen=True)
class RFEstimate:
    """Receptive fields estimated by reverse correlation.

    Attributes
    ----------
    maps : numpy.ndarray, shape (n_units, H, W)
        The estimates over the field (responses per unit contrast per pixel);
        NaN for units that never responded.
    field : VisualField
        The stimulus field.
    method : str
        ``"sta"`` or ``"whitened"``.
    n_stimuli : int
        Noise images shown.
    noise : str
        ``"white"`` or ``"pink"``.
    labels : tuple of str
        The units.
    """

    maps: np.ndarray
    field: VisualField
    method: str
    n_stimuli: int
    noise: str
    labels: tuple[str, ...]


def _noise_filter(field: VisualField) -> np.ndarray:
    """``1/f`` amplitude filter (zero at DC) normalised to unit mean power."""
    h, w = field.shape
    ppd = field.pixels_per_degree
    fy = np.fft.fftfreq(h, d=1 / ppd)[:, None]
    fx = np.fft.fftfreq(w, d=1 / ppd)[None, :]
    f = np.hypot(fx, fy)
    filt = np.zeros_like(f)
    filt[f > 0] = 1 / f[f > 0]
    return filt / math.sqrt(np.mean(filt**2))


def _noise(field: VisualField, n: int, kind: str, contrast: float, rng: np.random.Generator, filt):
    images = stimuli.white_noise(field, n, contrast=contrast, seed=rng)
    if kind == "pink":
        images = np.ascontiguousarray(np.fft.ifft2(np.fft.fft2(images) * filt).real)
    return images


def map_correlation(estimate: object, reference: object) -> np.ndarray:
    """Pearson correlation between maps, per unit, over pixels.

    Parameters
    ----------
    estimate, reference : array_like, shape (n_units, H, W) or (H, W)
        E.g. ``RFEstimate.maps`` and :func:`linear_receptive_field`.

    Returns
    -------
    numpy.ndarray, shape (n_units,)
        NaN where a map is constant or NaN.
    """
    a = np.asarray(estimate, dtype=float)
    b = np.asarray(reference, dtype=float)
    if a.ndim == 2:
        a = a[np.newaxis]
    if b.ndim == 2:
        b = b[np.newaxis]
    if a.shape != b.shape:
        raise ValueError(f"`estimate` and `reference` differ in shape: {a.shape} vs {b.shape}")
    a = a.reshape(len(a), -1) - a.reshape(len(a), -1).mean(axis=1, keepdims=True)
    b = b.reshape(len(b), -1) - b.reshape(len(b), -1).mean(axis=1, keepdims=True)
    norm = np.sqrt(np.sum(a * a, axis=1) * np.sum(b * b, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, np.sum(a * b, axis=1) / norm, np.nan)


def _reverse_correlation(
    unit: Unit,
    counts: list[int],
    *,
    method: str,
    noise: str,
    contrast: float,
    alpha: float,
    batch_size: int,
    seed: object,
) -> list[np.ndarray]:
    field = unit.field
    h, w = field.shape
    p = h * w
    if method == "whitened" and p > 4096:
        raise ValueError(
            f"the whitened estimate solves a (pixels x pixels) system; {p} pixels is more than "
            "4096: use a smaller field or method='sta'"
        )
    rng = as_rng(seed)
    filt = _noise_filter(field) if noise == "pink" else None
    sum_s = np.zeros(p)
    sum_r = np.zeros(unit.n_units)
    sum_rr = np.zeros(unit.n_units)
    sum_sr = np.zeros((p, unit.n_units))
    sum_ss = np.zeros((p, p)) if method == "whitened" else None
    out: list[np.ndarray] = []
    done = 0
    for target in counts:
        while done < target:
            b = min(batch_size, target - done)
            s = _noise(field, b, noise, contrast, rng, filt)
            r = unit(s)
            s = s.reshape(b, p)
            sum_s += s.sum(axis=0)
            sum_r += r.sum(axis=0)
            sum_rr += np.sum(r * r, axis=0)
            sum_sr += s.T @ r
            if sum_ss is not None:
                sum_ss += s.T @ s
            done += b
        n = done
        mean_s, mean_r = sum_s / n, sum_r / n
        cov_sr = sum_sr / n - np.outer(mean_s, mean_r)
        var_r = sum_rr / n - mean_r**2
        if method == "sta":
            est = cov_sr / contrast**2
        else:
            cov_ss = sum_ss / n - np.outer(mean_s, mean_s)
            ridge = alpha * np.trace(cov_ss) / p
            if ridge > 0:
                est = scipy.linalg.solve(cov_ss + ridge * np.eye(p), cov_sr, assume_a="pos")
            else:
                est = scipy.linalg.lstsq(cov_ss, cov_sr, lapack_driver="gelsy")[0]
        silent = var_r <= 1e-24 * np.maximum(mean_r**2, 1e-300)
        est = est.T.reshape(unit.n_units, h, w)
        est[silent] = np.nan
        out.append(est)
    return out


def _rc_arguments(method, noise, contrast, alpha, batch_size):
    method = check_choice(method, "method", RF_METHODS)
    noise = check_choice(noise, "noise", NOISES)
    contrast = check_positive(contrast, "contrast")
    alpha = check_positive(alpha, "alpha", allow_zero=True)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    return method, noise, contrast, alpha, batch_size


def _warn_silent(maps: np.ndarray, labels: tuple[str, ...]) -> None:
    silent = np.isnan(maps).all(axis=(1, 2))
    if silent.any():
        names = ", ".join(np.asarray(labels)[silent][:5])
        warnings.warn(
            f"{int(silent.sum())} unit(s) never responded to the noise ({names}); "
            "their RF estimate is NaN",
            RuntimeWarning,
            stacklevel=3,
        )


def spike_triggered_average(
    target: object,
    n_stimuli: int,
    *,
    field: VisualField | None = None,
    neurons: object = None,
    nonlinearity: object = "auto",
    method: str = "sta",
    noise: str = "white",
    contrast: float = 1.0,
    alpha: float = 0.0,
    batch_size: int = 500,
    seed: int | np.random.Generator | None = None,
) -> RFEstimate:
    """Map receptive fields by reverse correlation with noise.

    ``n_stimuli`` noise images (zero-mean Gaussian pixels of std ``contrast``;
    ``"pink"`` noise is white noise filtered to a ``1/f`` amplitude spectrum,
    like natural images) are shown and correlated with the responses:

    * ``"sta"``: the response-weighted average of the stimuli,
      ``cov(s, r) / contrast**2`` (the mean response is subtracted).  For a
      linear unit and white noise it converges to the unit's linear RF
      itself; for a rectified one to a multiple of it (Bussgang's theorem).
      Correlated (pink) noise blurs it by the stimulus correlations.
    * ``"whitened"``: the STA with the stimulus correlations divided out,
      ``(C_ss + alpha tr(C_ss)/P I)^-1 cov(s, r)`` (linear regression; a ridge
      ``alpha > 0`` regularises it when stimuli are few or strongly
      correlated).  Costs ``O(n_stimuli P^2)`` for ``P`` pixels (at most 4096).

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`.
    n_stimuli : int
        Number of noise images (>= 1).
    method : {"sta", "whitened"}, optional
        The estimate.
    noise : {"white", "pink"}, optional
        Stimulus statistics.
    contrast : float, optional
        Pixel standard deviation (contrast units).
    alpha : float, optional
        Ridge strength for ``"whitened"`` (relative to the mean stimulus
        variance), >= 0.
    batch_size : int, optional
        Images generated and shown at once (memory only; the result does not
        depend on it).
    seed : int or numpy.random.Generator, optional
        Noise seed.

    Returns
    -------
    RFEstimate

    Raises
    ------
    TypeError, ValueError
        For bad arguments (unknown method or noise, non-positive counts) or a
        bad target.

    Warns
    -----
    RuntimeWarning
        If a unit never responded (its map is NaN).
    """
    n_stimuli = check_integer(n_stimuli, "n_stimuli", minimum=1)
    method, noise, contrast, alpha, batch_size = _rc_arguments(
        method, noise, contrast, alpha, batch_size
    )
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    (maps,) = _reverse_correlation(
        unit,
        [n_stimuli],
        method=method,
        noise=noise,
        contrast=contrast,
        alpha=alpha,
        batch_size=batch_size,
        seed=seed,
    )
    _warn_silent(maps, unit.labels)
    return RFEstimate(maps, unit.field, method, n_stimuli, noise, unit.labels)


def rf_mapping_convergence(
    target: object,
    sample_counts: object,
    *,
    field: VisualField | None = None,
    neurons: object = None,
    nonlinearity: object = "auto",
    reference: object = None,
    method: str = "sta",
    noise: str = "white",
    contrast: float = 1.0,
    alpha: float = 0.0,
    batch_size: int = 500,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, RFEstimate]:
    """How well reverse correlation recovers the RF as stimuli accumulate.

    One stream of noise is shown; at each count the estimate (as
    :func:`spike_triggered_average`, the same numbers as a separate run with
    that many stimuli and the same seed) is correlated with ``reference``.

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`.
    sample_counts : array_like of int
        Increasing stimulus counts.
    reference : array_like, shape (n_units, H, W), optional
        The true RFs; default :func:`linear_receptive_field`.
    method, noise, contrast, alpha, batch_size, seed
        As :func:`spike_triggered_average`.

    Returns
    -------
    counts : numpy.ndarray of int, shape (n_counts,)
    correlation : numpy.ndarray, shape (n_counts, n_units)
        Pearson correlation of each estimate with the reference.
    estimate : RFEstimate
        The estimate at the largest count.
    """
    counts = np.asarray(sample_counts)
    if counts.ndim != 1 or counts.size == 0 or counts.dtype.kind not in "iu":
        raise TypeError(f"`sample_counts` must be a 1-D sequence of ints, got {sample_counts!r}")
    if counts.min() < 1 or np.any(np.diff(counts) <= 0):
        raise ValueError(f"`sample_counts` must be >= 1 and increasing, got {counts.tolist()}")
    method, noise, contrast, alpha, batch_size = _rc_arguments(
        method, noise, contrast, alpha, batch_size
    )
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    ref = unit.linear_map() if reference is None else np.asarray(reference, dtype=float)
    estimates = _reverse_correlation(
        unit,
        [int(c) for c in counts],
        method=method,
        noise=noise,
        contrast=contrast,
        alpha=alpha,
        batch_size=batch_size,
        seed=seed,
    )
    corr = np.array([map_correlation(e, ref) for e in estimates])
    _warn_silent(estimates[-1], unit.labels)
    last = RFEstimate(estimates[-1], unit.field, method, int(counts[-1]), noise, unit.labels)
    return counts.astype(int), corr, last


# -- RF size, centre and Gabor fits ----------------------------------------------------
def _check_map(rf_map: object, name: str = "rf_map") -> np.ndarray:
    m = as_float_array(rf_map, name, ndims=(2,), keep_float32=False)
    if not np.any(m):
        raise ValueError(f"`{name}` is all zeros: there is no RF to measure")
    return m


def _pixel_coordinates(shape: tuple[int, int], ppd: float) -> tuple[np.ndarray, np.ndarray]:
    """Degrees of each pixel centre, centred on the map (x right, y up)."""
    h, w = shape
    x = (np.arange(w) - (w - 1) / 2) / ppd
    y = ((h - 1) / 2 - np.arange(h)) / ppd
    return np.meshgrid(x, y)


@dataclass(frozen=True)
class HalfMaxRegion:
    """The connected region around an RF map's peak where it exceeds half the peak.

    Attributes
    ----------
    center : tuple of float
        Response-weighted centroid ``(x, y)`` of the region, degrees.
    area : float
        Area in square degrees.
    diameter : float
        Diameter of the disc of that area, degrees.
    sign : int
        +1 if the peak is positive (ON), -1 if negative (OFF).
    """

    center: tuple[float, float]
    area: float
    diameter: float
    sign: int


def half_max_region(rf_map: object, pixels_per_degree: float = 1.0) -> HalfMaxRegion:
    """RF centre and size from the half-maximum contour of a map.

    Parameters
    ----------
    rf_map : array_like, shape (H, W)
        An RF map (e.g. a kernel, an STA); the peak of largest magnitude sets
        the sign.  Coordinates are centred on the map.
    pixels_per_degree : float, optional
        Sampling density of the map.

    Returns
    -------
    HalfMaxRegion

    Raises
    ------
    ValueError
        If the map is not 2-D, holds NaN or is all zeros.

    Examples
    --------
    >>> from cortex import Gaussian
    >>> region = half_max_region(Gaussian(0.5).kernel(40), pixels_per_degree=40)
    >>> round(region.diameter, 2)  # 2 sqrt(2 ln 2) sigma = 1.18 deg
    1.18
    """
    m = _check_map(rf_map)
    ppd = check_positive(pixels_per_degree, "pixels_per_degree")
    k = np.unravel_index(np.argmax(np.abs(m)), m.shape)
    sign = 1 if m[k] > 0 else -1
    signed = sign * m
    labels, _ = scipy.ndimage.label(signed >= signed[k] / 2)
    region = labels == labels[k]
    x, y = _pixel_coordinates(m.shape, ppd)
    weight = signed * region
    cx = float(np.sum(weight * x) / weight.sum())
    cy = float(np.sum(weight * y) / weight.sum())
    area = float(region.sum()) / ppd**2
    return HalfMaxRegion((cx, cy), area, 2 * math.sqrt(area / math.pi), sign)


@dataclass(frozen=True)
class GaussianFit:
    """A 2-D Gaussian fitted to an RF map.

    ``offset + amplitude * exp(-(u^2 / 2 sigma_major^2 + v^2 / 2 sigma_minor^2))``
    with ``u`` along ``angle``.

    Attributes
    ----------
    center : tuple of float
        ``(x, y)`` in degrees (map centred on 0).
    sigma_major, sigma_minor : float
        Sigmas in degrees (``sigma_major >= sigma_minor``).
    angle : float
        Direction of the major axis, degrees counter-clockwise from +x, [0, 180).
    amplitude, offset : float
        Peak height above the offset (negative for OFF), and the offset.
    r2 : float
        Coefficient of determination.
    converged : bool
        False if the optimiser failed (reported with a warning).
    """

    center: tuple[float, float]
    sigma_major: float
    sigma_minor: float
    angle: float
    amplitude: float
    offset: float
    r2: float
    converged: bool

    @property
    def size(self) -> float:
        """Geometric-mean sigma, degrees."""
        return math.sqrt(self.sigma_major * self.sigma_minor)


def _gaussian_model(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x0, y0, log_su, log_sv, theta, amp, off = p
    t = math.radians(theta)
    u = (x - x0) * math.cos(t) + (y - y0) * math.sin(t)
    v = -(x - x0) * math.sin(t) + (y - y0) * math.cos(t)
    return off + amp * np.exp(-0.5 * (u**2 / math.exp(2 * log_su) + v**2 / math.exp(2 * log_sv)))


def fit_gaussian(rf_map: object, pixels_per_degree: float = 1.0) -> GaussianFit:
    """Fit an elliptical 2-D Gaussian to an RF map (``scipy.optimize.least_squares``).

    Parameters
    ----------
    rf_map : array_like, shape (H, W)
        The map (coordinates centred on it, degrees).
    pixels_per_degree : float, optional
        Sampling density of the map.

    Returns
    -------
    GaussianFit

    Raises
    ------
    ValueError
        If the map is not 2-D, holds NaN or is all zeros.

    Warns
    -----
    RuntimeWarning
        If the fit did not converge.

    Examples
    --------
    >>> from cortex import Gaussian
    >>> fit = fit_gaussian(Gaussian(0.3).kernel(20), pixels_per_degree=20)
    >>> round(fit.size, 4), fit.converged
    (0.3, True)
    """
    m = _check_map(rf_map)
    ppd = check_positive(pixels_per_degree, "pixels_per_degree")
    x, y = _pixel_coordinates(m.shape, ppd)
    region = half_max_region(m, ppd)
    sign = region.sign
    weight = np.clip(sign * m, 0, None)
    cx, cy = region.center
    var = float(np.sum(weight * ((x - cx) ** 2 + (y - cy) ** 2)) / weight.sum() / 2)
    s0 = max(math.sqrt(var), 0.5 / ppd)
    peak = float(m.flat[np.argmax(np.abs(m))])
    p0 = [cx, cy, math.log(s0), math.log(s0), 0.0, peak, 0.0]
    scale = float(np.abs(m).max())

    def residual(p: np.ndarray) -> np.ndarray:
        return ((_gaussian_model(p, x, y) - m) / scale).ravel()

    lo_s, hi_s = math.log(0.1 / ppd), math.log(10 * max(m.shape) / ppd)
    bounds = (
        [x.min() - 1 / ppd, y.min() - 1 / ppd, lo_s, lo_s, -np.inf, -np.inf, -np.inf],
        [x.max() + 1 / ppd, y.max() + 1 / ppd, hi_s, hi_s, np.inf, np.inf, np.inf],
    )
    p0[2] = p0[3] = float(np.clip(p0[2], lo_s + 1e-6, hi_s - 1e-6))
    res = scipy.optimize.least_squares(residual, p0, bounds=bounds, x_scale="jac")
    x0, y0, log_su, log_sv, theta, amp, off = res.x
    su, sv = math.exp(log_su), math.exp(log_sv)
    if sv > su:
        su, sv, theta = sv, su, theta + 90.0
    r2 = _r2(m.ravel(), _gaussian_model(res.x, x, y).ravel())
    converged = bool(res.success and np.isfinite(r2))
    if not converged:
        warnings.warn(
            f"the Gaussian fit did not converge ({res.message})", RuntimeWarning, stacklevel=2
        )
    return GaussianFit(
        (float(x0), float(y0)),
        su,
        sv,
        float(np.mod(theta, 180.0)),
        float(amp),
        float(off),
        float(r2),
        converged,
    )


@dataclass(frozen=True)
class GaborFit:
    """A Gabor fitted to a 2-D filter or RF map.

    ``offset + amplitude * exp(-(u^2 / 2 sigma_x^2 + v^2 / 2 sigma_y^2)) *
    cos(2 pi f u + phase)`` with ``u`` across the bars (along ``orientation``)
    from ``center``: the convention of :class:`cortex.Gabor`.

    Attributes
    ----------
    center : tuple of float
        ``(x, y)``, degrees (map centred on 0).
    orientation : float
        Degrees in [0, 180) (0 = vertical bars).
    spatial_frequency : float
        Cycles/degree.
    phase : float
        Degrees in (-180, 180].
    sigma_x, sigma_y : float
        Envelope sigmas across and along the bars, degrees.
    amplitude, offset : float
        Peak envelope height (>= 0) and constant offset.
    r2 : float
        Coefficient of determination of the fit.
    converged : bool
        False if the optimiser failed; reported with a warning.
    """

    center: tuple[float, float]
    orientation: float
    spatial_frequency: float
    phase: float
    sigma_x: float
    sigma_y: float
    amplitude: float
    offset: float
    r2: float
    converged: bool

    def to_receptive_field(self, pixels_per_degree: float = 1.0) -> Gabor:
        """The fit as a :class:`cortex.Gabor`, whose kernel at this sampling matches the fit.

        ``center`` and ``offset`` are not part of the model (it is centred).
        """
        ppd = check_positive(pixels_per_degree, "pixels_per_degree")
        gain = self.amplitude * 2 * math.pi * self.sigma_x * self.sigma_y * ppd**2
        return Gabor(
            max(self.spatial_frequency, 1e-9),
            orientation=self.orientation,
            phase=self.phase,
            sigma_x=self.sigma_x,
            sigma_y=self.sigma_y,
            amplitude=gain if gain != 0 else 1e-300,
        )

    def evaluate(self, shape: tuple[int, int], pixels_per_degree: float = 1.0) -> np.ndarray:
        """The fitted Gabor sampled on a map of ``shape`` (as the fitted data)."""
        x, y = _pixel_coordinates(shape, check_positive(pixels_per_degree, "pixels_per_degree"))
        p = [
            *self.center,
            math.log(self.sigma_x),
            math.log(self.sigma_y),
            self.orientation,
            self.spatial_frequency,
            self.phase,
            self.amplitude,
            self.offset,
        ]
        return _gabor_model(np.asarray(p), x, y)


def _gabor_model(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x0, y0, log_sx, log_sy, theta, f, phase, amp, off = p
    t = math.radians(theta)
    u = (x - x0) * math.cos(t) + (y - y0) * math.sin(t)
    v = -(x - x0) * math.sin(t) + (y - y0) * math.cos(t)
    env = np.exp(-0.5 * (u**2 / math.exp(2 * log_sx) + v**2 / math.exp(2 * log_sy)))
    return off + amp * env * np.cos(2 * math.pi * f * u + math.radians(phase))


def fit_gabor(kernel: object, pixels_per_degree: float = 1.0, *, n_starts: int = 4) -> GaborFit:
    """Fit a Gabor to a 2-D filter (``scipy.optimize.least_squares``, several starts).

    The starting frequency and orientation come from the peak of the filter's
    zero-padded amplitude spectrum, the centre and size from its energy;
    ``n_starts`` starting phases are tried and the best fit kept.

    Parameters
    ----------
    kernel : array_like, shape (H, W)
        The filter (e.g. one ``Conv2D`` input channel), row 0 at the top.
    pixels_per_degree : float, optional
        Sampling density (1: results per pixel, i.e. cycles/pixel).
    n_starts : int, optional
        Starting phases (evenly spaced).

    Returns
    -------
    GaborFit

    Raises
    ------
    ValueError
        If the kernel is not 2-D, holds NaN, is all zeros or smaller than 3x3.

    Warns
    -----
    RuntimeWarning
        If no start converged (the best fit is returned, flagged).

    Examples
    --------
    >>> from cortex import Gabor
    >>> g = Gabor(2.0, orientation=30.0, phase=90.0)
    >>> fit = fit_gabor(g.kernel(16), pixels_per_degree=16)
    >>> round(fit.orientation, 3), round(fit.spatial_frequency, 3), round(fit.phase, 3)
    (30.0, 2.0, 90.0)
    """
    m = _check_map(kernel, "kernel")
    if min(m.shape) < 3:
        raise ValueError(f"`kernel` must be at least 3x3, got shape {m.shape}")
    ppd = check_positive(pixels_per_degree, "pixels_per_degree")
    n_starts = check_integer(n_starts, "n_starts", minimum=1)
    h, w = m.shape
    x, y = _pixel_coordinates(m.shape, ppd)
    centred = m - m.mean()
    pad = 8 * max(h, w)
    spectrum = np.abs(np.fft.fft2(centred, s=(pad, pad)))
    ky, kx = np.unravel_index(np.argmax(spectrum), spectrum.shape)
    fx = np.fft.fftfreq(pad, d=1 / ppd)[kx]
    fy = -np.fft.fftfreq(pad, d=1 / ppd)[ky]  # rows run down, y up
    f0 = float(np.hypot(fx, fy))
    theta0 = float(np.degrees(np.arctan2(fy, fx)))
    energy = centred**2
    cx = float(np.sum(energy * x) / energy.sum())
    cy = float(np.sum(energy * y) / energy.sum())
    spread = float(np.sum(energy * ((x - cx) ** 2 + (y - cy) ** 2)) / energy.sum() / 2)
    nyquist = ppd / 2
    lo_s, hi_s = math.log(0.25 / ppd), math.log(2 * max(h, w) / ppd)
    s0 = float(np.clip(math.log(max(math.sqrt(spread), 0.5 / ppd)), lo_s + 1e-6, hi_s - 1e-6))
    amp0 = float(np.abs(centred).max())
    scale = float(np.abs(m).max())
    bounds = (
        [x.min(), y.min(), lo_s, lo_s, -np.inf, 0.0, -np.inf, 0.0, -np.inf],
        [x.max(), y.max(), hi_s, hi_s, np.inf, nyquist, np.inf, np.inf, np.inf],
    )

    def residual(p: np.ndarray) -> np.ndarray:
        return ((_gabor_model(p, x, y) - m) / scale).ravel()

    best = None
    for k in range(n_starts):
        p0 = [
            cx,
            cy,
            s0,
            s0,
            theta0,
            min(f0, nyquist * 0.999),
            360.0 * k / n_starts,
            amp0,
            m.mean(),
        ]
        try:
            res = scipy.optimize.least_squares(residual, p0, bounds=bounds, x_scale="jac")
        except ValueError:  # pragma: no cover - a start outside the bounds
            continue
        if (
            best is None
            or (res.success and not best.success)
            or (res.success == best.success and res.cost < best.cost)
        ):
            best = res
    x0, y0, log_sx, log_sy, theta, f, phase, amp, off = best.x
    # canonical form: amplitude >= 0, orientation in [0, 180), phase in (-180, 180]
    if amp < 0:
        amp, phase = -amp, phase + 180.0
    theta = float(np.mod(theta, 360.0))
    if theta >= 180.0:
        theta, phase = theta - 180.0, -phase
    if theta >= 180.0 - 1e-9:  # 360 - epsilon rounded: that is orientation 0, unflipped
        theta, phase = 0.0, -phase
    phase = float(180.0 - np.mod(180.0 - phase, 360.0))
    r2 = _r2(m.ravel(), _gabor_model(best.x, x, y).ravel())
    converged = bool(best.success and np.isfinite(r2))
    if not converged:
        warnings.warn(
            f"the Gabor fit did not converge ({best.message})", RuntimeWarning, stacklevel=2
        )
    return GaborFit(
        (float(x0), float(y0)),
        theta,
        float(f),
        phase,
        math.exp(log_sx),
        math.exp(log_sy),
        float(amp),
        float(off),
        float(r2),
        converged,
    )


def gabor_likeness(
    weights: object, *, threshold: float = 0.8, pixels_per_degree: float = 1.0
) -> tuple[float, list[GaborFit]]:
    """How Gabor-like a bank of filters is: the fraction whose Gabor fit has ``R^2 >= threshold``.

    Parameters
    ----------
    weights : array_like, shape (n, kh, kw) or (out, in, kh, kw)
        Filters, e.g. ``Conv2D.params["weight"]`` (every ``(out, in)`` pair is
        one filter).
    threshold : float, optional
        ``R^2`` above which a filter counts as Gabor-like, in (0, 1].
    pixels_per_degree : float, optional
        Sampling density of the filters.

    Returns
    -------
    fraction : float
        Gabor-like filters / filters (all-zero filters count as not Gabor-like).
    fits : list of GaborFit or None
        One per filter, in order (None for an all-zero filter).

    Raises
    ------
    ValueError
        If ``weights`` is not 3-D or 4-D or ``threshold`` is not in (0, 1].
    """
    w = as_float_array(weights, "weights", ndims=(3, 4), keep_float32=False)
    threshold = check_positive(threshold, "threshold")
    if threshold > 1:
        raise ValueError(f"`threshold` must be in (0, 1], got {threshold}")
    filters = w.reshape(-1, *w.shape[-2:])
    fits: list[GaborFit | None] = []
    with warnings.catch_warnings():  # one summary warning below, not one per filter
        warnings.simplefilter("ignore", RuntimeWarning)
        for k in filters:
            fits.append(fit_gabor(k, pixels_per_degree) if np.any(k) else None)
    failed = [f for f in fits if f is not None and not f.converged]
    if failed:
        warnings.warn(
            f"{len(failed)} of {len(fits)} Gabor fits did not converge (flagged in the fits)",
            RuntimeWarning,
            stacklevel=2,
        )
    good = sum(1 for f in fits if f is not None and f.converged and f.r2 >= threshold)
    return good / len(fits), fits
