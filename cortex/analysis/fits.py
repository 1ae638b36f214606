"""RF size, centre and shape: half-maximum regions, Gaussian and Gabor fits.

Maps and filters are 2-D arrays with row 0 at the top; coordinates are in
degrees, centred on the map, ``x`` right and ``y`` up (``pixels_per_degree=1``
gives pixels).  Fits use ``scipy.optimize.least_squares`` and report, with a
warning, when they did not converge.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.ndimage
import scipy.optimize

from .._validation import (
    _describe,
    check_bool,
    check_finite,
    check_integer,
    check_memory,
)
from ..receptive_fields import Gabor
from ._common import (
    MAX_MAGNITUDE,
    PPD_RANGE,
    _r2,
    check_scalar_range,
    float_array,
    power_of_two,
    real_or_nan,
)

__all__ = [
    "GaborFit",
    "GaussianFit",
    "HalfMaxRegion",
    "fit_gabor",
    "fit_gaussian",
    "gabor_likeness",
    "half_max_region",
]


def _check_map(rf_map: object, name: str = "rf_map", *, fit: bool = False) -> np.ndarray:
    """The map as float64, scaled by a power of 2 (exactly) to a largest magnitude in (0.5, 1].

    Returns the scaled map and the scale.  A fit (``fit=True``) also refuses
    constant maps (nothing to fit) and magnitudes beyond ``MAX_MAGNITUDE``.
    """
    m = float_array(rf_map, name, ndims=(2,))
    top = float(np.abs(m).max())
    if top == 0:
        raise ValueError(f"`{name}` is all zeros: there is no RF to measure")
    if fit and top > MAX_MAGNITUDE:
        raise ValueError(f"`{name}` must be at most {MAX_MAGNITUDE:g} in magnitude, got {top:g}")
    if fit and np.ptp(m) <= 1e-12 * top:
        raise ValueError(
            f"`{name}` is constant ({m.flat[0]:g} everywhere, to 1e-12): there is no RF shape "
            "to fit"
        )
    scale = power_of_two(top)  # m / scale is exact
    return m / scale, scale


def _check_ppd(value: object) -> float:
    return check_scalar_range(value, "pixels_per_degree", *PPD_RANGE, unit="px/deg")


def _check_pair(value: object, name: str) -> tuple[float, float]:
    if isinstance(value, str) or not isinstance(value, tuple | list | np.ndarray):
        raise TypeError(f"`{name}` must be a pair of numbers, got {_describe(value)}")
    if len(value) != 2:
        raise ValueError(f"`{name}` must be a pair of numbers, got {len(value)} value(s)")
    return check_finite(value[0], name), check_finite(value[1], name)


def _validate_fields(obj: object, **kinds: str) -> None:
    """Validate and normalise a frozen result's fields; kinds: real, positive, r2, bool, pair."""
    for name, kind in kinds.items():
        value = getattr(obj, name)
        if kind == "pair":
            value = _check_pair(value, name)
        elif kind == "bool":
            value = check_bool(value, name)
        elif kind == "r2":
            value = real_or_nan(value, name)
        elif kind == "positive":
            value = check_scalar_range(value, name, 0.0, None, low_open=True)
        elif kind == "nonnegative":
            value = check_scalar_range(value, name, 0.0, None)
        else:
            value = check_finite(value, name)
        object.__setattr__(obj, name, value)


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

    Raises
    ------
    TypeError
        If a field has the wrong type (booleans and strings are refused).
    ValueError
        If a number is not finite, ``area`` or ``diameter`` is negative, or
        ``sign`` is not +1 or -1.
    """

    center: tuple[float, float]
    area: float
    diameter: float
    sign: int

    def __post_init__(self) -> None:
        _validate_fields(self, center="pair", area="nonnegative", diameter="nonnegative")
        sign = check_integer(self.sign, "sign")
        if sign not in (1, -1):
            raise ValueError(f"`sign` must be +1 or -1, got {sign}")
        object.__setattr__(self, "sign", sign)


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
    TypeError
        If ``rf_map`` is not numeric (booleans and strings are refused) or
        ``pixels_per_degree`` is not a real number.
    ValueError
        If the map is not 2-D, is empty, holds NaN or infinite values or is
        all zeros, or ``pixels_per_degree`` is not in ``[1e-6, 1e6]``.

    Examples
    --------
    >>> from cortex import Gaussian
    >>> region = half_max_region(Gaussian(0.5).kernel(40), pixels_per_degree=40)
    >>> round(region.diameter, 2)  # 2 sqrt(2 ln 2) sigma = 1.18 deg
    1.18
    """
    m, _ = _check_map(rf_map)
    ppd = _check_ppd(pixels_per_degree)
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

    Raises
    ------
    TypeError
        If a field has the wrong type (booleans and strings are refused;
        ``converged`` must be a bool).
    ValueError
        If a number is not finite (``r2`` may be NaN) or a sigma is not > 0.
    """

    center: tuple[float, float]
    sigma_major: float
    sigma_minor: float
    angle: float
    amplitude: float
    offset: float
    r2: float
    converged: bool

    def __post_init__(self) -> None:
        _validate_fields(
            self,
            center="pair",
            sigma_major="positive",
            sigma_minor="positive",
            angle="real",
            amplitude="real",
            offset="real",
            r2="r2",
            converged="bool",
        )

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
    TypeError
        If ``rf_map`` is not numeric (booleans and strings are refused) or
        ``pixels_per_degree`` is not a real number.
    ValueError
        If the map is not 2-D, is empty, holds NaN or infinite values, is all
        zeros or constant (degenerate: there is no shape to fit), exceeds
        ``1e300`` in magnitude, or ``pixels_per_degree`` is not in
        ``[1e-6, 1e6]``.

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
    m, unit = _check_map(rf_map, fit=True)
    ppd = _check_ppd(pixels_per_degree)
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
        float(amp) * unit,
        float(off) * unit,
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

    def __post_init__(self) -> None:
        _validate_fields(
            self,
            center="pair",
            orientation="real",
            spatial_frequency="nonnegative",
            phase="real",
            sigma_x="positive",
            sigma_y="positive",
            amplitude="nonnegative",
            offset="real",
            r2="r2",
            converged="bool",
        )

    def to_receptive_field(self, pixels_per_degree: float = 1.0) -> Gabor:
        """The fit as a :class:`cortex.Gabor`, whose kernel at this sampling matches the fit.

        ``center`` and ``offset`` are not part of the model (it is centred).

        Raises
        ------
        TypeError, ValueError
            If ``pixels_per_degree`` is not a real number in ``[1e-6, 1e6]``,
            or the Gabor refuses the fitted parameters (see :class:`cortex.Gabor`).
        """
        ppd = _check_ppd(pixels_per_degree)
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
        """The fitted Gabor sampled on a map of ``shape`` (as the fitted data).

        Raises
        ------
        TypeError
            If ``shape`` is not a pair of ints or ``pixels_per_degree`` not a
            real number (booleans and strings are refused).
        ValueError
            If ``shape`` is not positive or ``pixels_per_degree`` not in
            ``[1e-6, 1e6]``.
        cortex.MemoryBudgetError
            If the map and its temporaries exceed the memory budget.
        """
        if isinstance(shape, str) or not isinstance(shape, tuple | list) or len(shape) != 2:
            raise TypeError(f"`shape` must be a (rows, cols) pair of ints, got {_describe(shape)}")
        h, w = (check_integer(n, "shape", minimum=1) for n in shape)
        ppd = _check_ppd(pixels_per_degree)
        check_memory(8.0 * 6 * h * w, f"a fitted Gabor on a {h}x{w} map")
        x, y = _pixel_coordinates((h, w), ppd)
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
    TypeError
        If ``kernel`` is not numeric (booleans and strings are refused),
        ``pixels_per_degree`` is not a real number or ``n_starts`` not an
        integer.
    ValueError
        If the kernel is not 2-D, holds NaN or infinite values, is all zeros
        or constant (degenerate: there is no Gabor to fit), exceeds ``1e300``
        in magnitude or is smaller than 3x3, ``pixels_per_degree`` is not in
        ``[1e-6, 1e6]`` or ``n_starts`` < 1.
    cortex.MemoryBudgetError
        If the zero-padded spectrum (``(8 max(H, W))**2`` complex values)
        exceeds the memory budget.

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
    raw = float_array(kernel, "kernel", ndims=(2,))
    if min(raw.shape) < 3:
        raise ValueError(f"`kernel` must be at least 3x3, got shape {raw.shape}")
    m, unit = _check_map(raw, "kernel", fit=True)
    ppd = _check_ppd(pixels_per_degree)
    n_starts = check_integer(n_starts, "n_starts", minimum=1)
    h, w = m.shape
    pad = 8 * max(h, w)
    check_memory(
        16.0 * 2 * pad * pad, f"the zero-padded spectrum ({pad}x{pad}) of a {h}x{w} kernel"
    )
    x, y = _pixel_coordinates(m.shape, ppd)
    centred = m - m.mean()
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
    if best is None:  # pragma: no cover - every start outside the bounds
        raise ValueError("`kernel`: no start of the Gabor fit is feasible")
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
        float(amp) * unit,
        float(off) * unit,
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
        one filter), at least 3x3.
    threshold : float, optional
        ``R^2`` above which a filter counts as Gabor-like, in (0, 1].
    pixels_per_degree : float, optional
        Sampling density of the filters, in ``[1e-6, 1e6]``.

    Returns
    -------
    fraction : float
        Gabor-like filters / filters (constant filters, all-zero ones
        included, count as not Gabor-like).
    fits : list of GaborFit or None
        One per filter, in order (None for a constant filter: there is no
        Gabor to fit, see :func:`fit_gabor`).

    Raises
    ------
    TypeError
        If ``weights`` is not numeric (booleans and strings are refused), or
        ``threshold`` or ``pixels_per_degree`` is not a real number.
    ValueError
        If ``weights`` is not 3-D or 4-D, is empty, holds NaN or infinite
        values or magnitudes beyond ``1e300``, its filters are smaller than
        3x3, ``threshold`` is not in (0, 1] or ``pixels_per_degree`` not in
        ``[1e-6, 1e6]``.
    cortex.MemoryBudgetError
        As :func:`fit_gabor`, for one filter.

    Warns
    -----
    RuntimeWarning
        If some fits did not converge, or some filters are constant (counted
        as not Gabor-like).
    """
    w = float_array(weights, "weights", ndims=(3, 4))
    threshold = check_scalar_range(threshold, "threshold", 0.0, 1.0, low_open=True)
    ppd = _check_ppd(pixels_per_degree)
    if min(w.shape[-2:]) < 3:
        raise ValueError(f"`weights` filters must be at least 3x3, got shape {w.shape}")
    top = float(np.abs(w).max())
    if top > MAX_MAGNITUDE:
        raise ValueError(f"`weights` must be at most {MAX_MAGNITUDE:g} in magnitude, got {top:g}")
    filters = w.reshape(-1, *w.shape[-2:])
    fits: list[GaborFit | None] = []
    n_constant = 0
    with warnings.catch_warnings():  # one summary warning below, not one per filter
        warnings.simplefilter("ignore", RuntimeWarning)
        for k in filters:
            peak = np.abs(k).max()
            if np.ptp(k) <= 1e-12 * peak:  # all zero, or constant: nothing to fit
                n_constant += 1
                fits.append(None)
            else:
                fits.append(fit_gabor(k, ppd))
    failed = [f for f in fits if f is not None and not f.converged]
    if failed:
        warnings.warn(
            f"{len(failed)} of {len(fits)} Gabor fits did not converge (flagged in the fits)",
            RuntimeWarning,
            stacklevel=2,
        )
    if n_constant:
        warnings.warn(
            f"{n_constant} of {len(fits)} filters are constant (e.g. all zero): no Gabor to fit "
            "(None), counted as not Gabor-like",
            RuntimeWarning,
            stacklevel=2,
        )
    good = sum(1 for f in fits if f is not None and f.converged and f.r2 >= threshold)
    return good / len(fits), fits
