"""Population receptive fields: the fMRI experiment of Dumoulin & Wandell (2008), in silico.

A "voxel" is a disc of the visual field; its signal is the summed linear
response of the neurons whose RF centres lie inside it.  Bars sweep the field
in 8 directions (:func:`bar_sweep`); the voxel's time course is fitted with the
response of a 2-D Gaussian pRF to the same stimulus apertures
(:func:`fit_prf`); :func:`prf_experiment` does both for many voxels and
:func:`prf_size_law` fits pRF size against eccentricity, ``sigma = slope * E +
intercept``, as Wandell & Winawer (2015) did across visual areas.

A voxel's pRF is the sum of its neurons' Gaussian RFs, so its size is about
``sqrt(sigma_rf**2 + rho**2 / 4)`` for neurons spread uniformly over a disc of
radius ``rho`` (the variance of a uniform disc is ``rho**2 / 4`` per axis): the
position scatter inside the voxel adds to the neurons' own size.  Every fit
reports both the pRF size and the size with that scatter removed.

References: Dumoulin SO, Wandell BA (2008). Population receptive field
estimates in human visual cortex. NeuroImage 39:647-660.  Wandell BA,
Winawer J (2015). Computational neuroimaging and population receptive fields.
Trends Cogn Sci 19:349-357.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import (
    check_finite,
    check_integer,
    check_memory,
    check_positive,
    check_range,
    float_array,
)
from ..mosaic import Mosaic
from ..population import Population, _check_population
from ..visual_field import VisualField

__all__ = ["PRFFit", "bar_sweep", "fit_prf", "prf_experiment", "prf_size_law", "voxel_response"]


def _check_field(field: object) -> VisualField:
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {type(field).__name__}")
    return field


def bar_sweep(field: VisualField, *, width: float, step: float, directions: int = 8) -> np.ndarray:
    """Bar apertures sweeping the field in ``directions`` directions (Dumoulin & Wandell 2008).

    A bar of ``width`` degrees, as long as the field's diagonal, crosses the
    field perpendicular to its direction of motion, moving by ``step``
    degrees per frame from one side of the field's circumscribed circle to
    the other; the directions are ``360 / directions`` degrees apart,
    starting rightward.

    Parameters
    ----------
    field : VisualField
        The field.
    width, step : float
        Bar width and displacement per frame, degrees, > 0 (``step`` at most
        ``width``, so no point is skipped).
    directions : int, optional
        Number of directions, >= 1 (default 8).

    Returns
    -------
    numpy.ndarray, shape (T, H, W)
        Binary apertures (1 inside the bar), float32.

    Raises
    ------
    TypeError
        If ``field`` is not a VisualField or a parameter is not a number.
    ValueError
        If ``width``/``step`` is not positive and finite, ``step > width``
        or ``directions < 1``.
    cortex.MemoryBudgetError
        If the apertures would exceed :func:`cortex.memory_budget`.

    Examples
    --------
    >>> import cortex
    >>> from cortex.analysis.prf import bar_sweep
    >>> field = cortex.VisualField(4.0, 4.0, pixels_per_degree=10)
    >>> bar_sweep(field, width=0.5, step=0.5).shape
    (96, 40, 40)
    """
    field = _check_field(field)
    width = check_range(check_positive(width, "width"), "width", 0.0, 1e6)
    step = check_range(check_positive(step, "step"), "step", 0.0, width)
    directions = check_integer(directions, "directions", minimum=1)
    radius = math.hypot(*field.limits)
    n_positions = math.floor((2 * radius + 1e-9) / step) + 1
    rows, cols = field.shape
    n_frames = directions * n_positions
    check_memory(4.0 * n_frames * rows * cols, f"{n_frames} bar apertures of {rows}x{cols} px")
    positions = -radius + step * np.arange(n_positions)
    x, y = field.grid()
    frames = np.empty((n_frames, rows, cols), dtype=np.float32)
    t = 0
    for k in range(directions):  # a loop over directions and positions, not pixels
        angle = math.radians(360.0 * k / directions)
        along = x * math.cos(angle) + y * math.sin(angle)  # position along the motion
        for position in positions:
            frames[t] = np.abs(along - position) <= width / 2
            t += 1
    return frames


def voxel_response(
    population: Population, images: np.ndarray, center: tuple[float, float], radius: float
) -> tuple[np.ndarray, int]:
    """The summed linear response of the neurons whose RF centres lie in a disc.

    Parameters
    ----------
    population : Population
        The neurons (every RF type at every site).
    images : numpy.ndarray, shape (T, H, W)
        Stimuli on the population's field.
    center : (float, float)
        Centre of the voxel, degrees.
    radius : float
        Radius of the voxel, degrees, > 0.

    Returns
    -------
    response : numpy.ndarray, shape (T,)
        The voxel's time course.
    n_neurons : int
        Neurons summed.

    Raises
    ------
    TypeError, ValueError
        For a bad population, images (see :func:`cortex.linear_responses`),
        centre or radius; ValueError if no RF centre lies in the voxel.
    """
    from .fits import _check_pair

    population = _check_population(population)
    radius = check_range(check_positive(radius, "radius"), "radius", 0.0, 1e6)
    cx, cy = _check_pair(center, "center")
    mosaic = population.mosaic
    inside = np.hypot(mosaic.centers[:, 0] - cx, mosaic.centers[:, 1] - cy) <= radius
    if not np.any(inside):
        raise ValueError(
            f"no RF centre lies in the voxel at ({cx:g}, {cy:g}) of radius {radius:g} deg"
        )
    sub = Mosaic(mosaic.field, mosaic.centers[inside], mosaic.scales[inside])
    voxel = Population(list(population.types), sub, n_sigma=population.n_sigma)
    from ..population import linear_responses

    response = linear_responses(voxel, images)
    return response.sum(axis=1).astype(np.float64), int(response.shape[1])


@dataclass(frozen=True)
class PRFFit:
    """A 2-D Gaussian pRF fitted to a voxel's time course.

    Attributes
    ----------
    x, y : float
        pRF centre, degrees.
    sigma : float
        pRF size (s.d.), degrees.
    gain : float
        Response per unit of stimulus-weighted pRF (arbitrary units).
    r2 : float
        Variance of the time course explained by the fit.
    eccentricity : float
        ``hypot(x, y)``, degrees.
    scatter : float
        Spread of the neurons' centres inside the voxel, degrees
        (``radius / 2``; 0 if unknown).
    neuron_sigma : float
        ``sqrt(sigma**2 - scatter**2)``: the size with the position scatter
        removed (nan if negative).
    """

    x: float
    y: float
    sigma: float
    gain: float
    r2: float
    scatter: float = 0.0

    def __post_init__(self) -> None:
        from .fits import _validate_fields

        _validate_fields(
            self, x="real", y="real", sigma="positive", gain="real", r2="r2", scatter="nonnegative"
        )

    @property
    def eccentricity(self) -> float:
        """Distance of the pRF centre from fixation, degrees."""
        return math.hypot(self.x, self.y)

    @property
    def neuron_sigma(self) -> float:
        """The pRF size without the scatter of neuron positions in the voxel, degrees."""
        value = self.sigma**2 - self.scatter**2
        return math.sqrt(value) if value >= 0 else math.nan


def fit_prf(
    field: VisualField,
    images: np.ndarray,
    response: np.ndarray,
    *,
    start: tuple[float, float, float] | None = None,
    scatter: float = 0.0,
) -> PRFFit:
    """Fit a 2-D Gaussian pRF to a time course (Dumoulin & Wandell 2008).

    The model's response to frame ``t`` is ``gain * sum_pixels S_t * G``
    where ``S_t`` is the stimulus and ``G`` a unit-volume circular Gaussian of
    centre ``(x, y)`` and size ``sigma`` (per pixel: ``G`` times the pixel
    area, so ``gain`` is in the response units per unit contrast).  ``gain``
    is solved linearly at each step; ``(x, y, log sigma)`` by
    :func:`scipy.optimize.least_squares` from the best of a coarse grid of
    sizes (or ``start``).

    Parameters
    ----------
    field : VisualField
        The stimuli's field.
    images : numpy.ndarray, shape (T, H, W)
        The stimuli (e.g. :func:`bar_sweep`).
    response : numpy.ndarray, shape (T,)
        The time course.
    start : (x, y, sigma), optional
        Starting point, degrees; default the response-weighted centroid of
        the stimuli and the best of sizes from 1 to 64 pixels.
    scatter : float, optional
        Spread of the neurons' centres in the voxel (deg), recorded in the
        result for :attr:`PRFFit.neuron_sigma`.

    Returns
    -------
    PRFFit

    Raises
    ------
    TypeError
        If ``field`` is not a VisualField.
    ValueError
        If the shapes disagree, values are not finite, or the response is
        constant.

    Examples
    --------
    >>> import numpy as np, cortex
    >>> from cortex.analysis.prf import bar_sweep, fit_prf
    >>> field = cortex.VisualField(4.0, 4.0, pixels_per_degree=10)
    >>> images = bar_sweep(field, width=0.4, step=0.2)
    >>> x, y = field.grid()
    >>> g = np.exp(-((x - 0.5) ** 2 + (y + 0.3) ** 2) / (2 * 0.4**2))
    >>> fit = fit_prf(field, images, images.reshape(len(images), -1) @ g.ravel())
    >>> round(fit.x, 3), round(fit.y, 3), round(fit.sigma, 3)
    (0.5, -0.3, 0.4)
    """
    from scipy.optimize import least_squares

    field = _check_field(field)
    images = float_array(images, "images", ndims=(3,))
    response = float_array(response, "response", ndims=(1,))
    if images.shape[1:] != field.shape:
        raise ValueError(
            f"`images` must be (T, {field.shape[0]}, {field.shape[1]}), got {images.shape}"
        )
    if response.shape != (images.shape[0],):
        raise ValueError(
            f"`response` must have one value per frame ({images.shape[0]}), got {response.shape}"
        )
    if np.ptp(response) == 0:
        raise ValueError("`response` is constant: no pRF to fit")
    scatter = check_range(check_positive(scatter, "scatter", allow_zero=True), "scatter", 0, 1e6)
    if start is not None:
        if isinstance(start, str) or not isinstance(start, tuple | list | np.ndarray):
            raise TypeError(f"`start` must be (x, y, sigma), got {type(start).__name__}")
        if len(start) != 3:
            raise ValueError(f"`start` must be (x, y, sigma), got {len(start)} value(s)")
        start = (
            check_finite(start[0], "start"),
            check_finite(start[1], "start"),
            check_positive(start[2], "start"),
        )
    x, y = field.grid()
    px, py = x.ravel(), y.ravel()
    stimuli = images.reshape(len(images), -1)
    pixel_area = 1.0 / field.pixels_per_degree**2

    def predicted(params: np.ndarray) -> np.ndarray:
        cx, cy, log_sigma = params
        sigma = math.exp(log_sigma)
        g = np.exp(-((px - cx) ** 2 + (py - cy) ** 2) / (2 * sigma**2))
        return stimuli @ (g * pixel_area / (2 * math.pi * sigma**2))

    def residual(params: np.ndarray) -> np.ndarray:
        p = predicted(params)
        gain = float(p @ response) / max(float(p @ p), 1e-300)
        return gain * p - response

    if start is None:
        weights = np.clip(response - response.min(), 0, None)
        coverage = stimuli.T @ weights  # where the stimulus was when the voxel responded
        cx = float(coverage @ px / coverage.sum())
        cy = float(coverage @ py / coverage.sum())
        sizes = np.geomspace(1.0, 64.0, 13) / field.pixels_per_degree
        costs = [np.sum(residual(np.array([cx, cy, math.log(s)])) ** 2) for s in sizes]
        start = (cx, cy, float(sizes[int(np.argmin(costs))]))
    params = np.array([start[0], start[1], math.log(start[2])])
    solution = least_squares(residual, params, x_scale=[0.1, 0.1, 0.1], max_nfev=400)
    cx, cy, log_sigma = solution.x
    p = predicted(solution.x)
    gain = float(p @ response) / max(float(p @ p), 1e-300)
    r2 = 1.0 - float(np.sum((gain * p - response) ** 2)) / float(
        np.sum((response - response.mean()) ** 2)
    )
    return PRFFit(float(cx), float(cy), math.exp(log_sigma), gain, r2, scatter)


def prf_experiment(
    population: Population,
    voxels: np.ndarray,
    radius: float | np.ndarray,
    *,
    bar_width: float,
    step: float | None = None,
    directions: int = 8,
) -> list[PRFFit]:
    """Measure the pRF of each voxel of a population with sweeping bars.

    Parameters
    ----------
    population : Population
        The neurons (e.g. :func:`cortex.presets.population`).
    voxels : array_like, shape (n, 2)
        Voxel centres, degrees.
    radius : float or array_like, shape (n,)
        Voxel radii, degrees.
    bar_width : float
        Bar width, degrees.
    step : float, optional
        Bar step per frame, degrees (default ``bar_width / 2``).
    directions : int, optional
        Sweep directions (default 8).

    Returns
    -------
    list of PRFFit
        One per voxel, with ``scatter = radius / 2``.

    Raises
    ------
    TypeError, ValueError
        As :func:`bar_sweep`, :func:`voxel_response` and :func:`fit_prf`.
    """
    population = _check_population(population)
    voxels = float_array(voxels, "voxels", ndims=(2,))
    if voxels.shape[1] != 2:
        raise ValueError(f"`voxels` must have shape (n, 2), got {voxels.shape}")
    radii = float_array(radius, "radius", ndims=(0, 1))
    if radii.ndim == 1 and radii.shape != (len(voxels),):
        raise ValueError(f"`radius` must be one number or one per voxel, got shape {radii.shape}")
    if np.any(radii <= 0):
        raise ValueError(f"`radius` must be > 0, got {float(radii.min()):g}")
    radii = np.broadcast_to(radii, (len(voxels),))
    bar_width = check_range(check_positive(bar_width, "bar_width"), "bar_width", 0.0, 1e6)
    if step is not None:
        step = check_range(check_positive(step, "step"), "step", 0.0, bar_width)
    step = bar_width / 2 if step is None else step
    images = bar_sweep(population.field, width=bar_width, step=step, directions=directions)
    fits = []
    for center, rho in zip(voxels, radii, strict=True):  # a loop over voxels
        response, _ = voxel_response(population, images, tuple(center), float(rho))
        fits.append(fit_prf(population.field, images, response, scatter=float(rho) / 2))
    return fits


def prf_size_law(fits: list[PRFFit], *, corrected: bool = True) -> tuple[float, float]:
    """Fit ``size = slope * eccentricity + intercept`` to pRF fits (least squares).

    Parameters
    ----------
    fits : list of PRFFit
        At least two, at different eccentricities.
    corrected : bool, optional
        Use :attr:`PRFFit.neuron_sigma` (the voxel's scatter removed;
        default) rather than :attr:`PRFFit.sigma`.

    Returns
    -------
    slope : float
        deg/deg.
    intercept : float
        deg.

    Raises
    ------
    TypeError
        If ``fits`` does not hold PRFFit objects or ``corrected`` is not a bool.
    ValueError
        With fewer than two fits or one eccentricity.
    """
    from .._validation import check_bool

    corrected = check_bool(corrected, "corrected")
    if not isinstance(fits, list | tuple) or not all(isinstance(f, PRFFit) for f in fits):
        raise TypeError("`fits` must be a list of PRFFit (from fit_prf or prf_experiment)")
    if len(fits) < 2:
        raise ValueError(f"`fits` must hold at least 2 pRF fits, got {len(fits)}")
    e = np.array([f.eccentricity for f in fits])
    s = np.array([f.neuron_sigma if corrected else f.sigma for f in fits])
    if np.ptp(e) == 0:
        raise ValueError("`fits` must span more than one eccentricity")
    keep = np.isfinite(s)
    slope, intercept = np.polyfit(e[keep], s[keep], 1)
    return float(slope), float(intercept)
