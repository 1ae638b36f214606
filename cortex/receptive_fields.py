"""Receptive-field (RF) models with analytic spectra.

Each model is a small frozen dataclass describing one neuron type's RF
weighting function ``w(x, y)`` in degrees of visual angle (offsets from the RF
centre, ``x`` right, ``y`` up).  ``w`` is a density (units 1/deg^2): the linear
response of a neuron centred at ``c`` to an image ``I`` is the integral
``sum w(p - c) I(p) dA``, which on a pixel grid is the cross-correlation of the
image with :meth:`ReceptiveField.kernel` (the profile sampled at pixel
centres and multiplied by the pixel area ``1 / pixels_per_degree**2``).  So
responses do not change with the sampling density, and
:meth:`ReceptiveField.frequency_response` (the continuous Fourier transform
``W(fx, fy) = integral w(x, y) exp(-2 pi i (fx x + fy y)) dx dy``, frequencies in
cycles/degree) matches the discrete Fourier transform of the kernel.

Orientation convention: ``orientation = 0`` is a vertical bar / grating whose
luminance varies along ``x``; angles grow counter-clockwise (``90`` is
horizontal).  Phase ``0`` is an even (cosine) RF with an ON centre.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from ._schema import build, check_scalars, scalars_to_dict
from ._validation import (
    MAX_FREQUENCY,
    SIGMA_RANGE,
    as_coordinates,
    check_broadcast,
    check_choice,
    check_finite,
    check_memory,
    check_positive,
    check_ppd,
    check_range,
)

__all__ = [
    "ComplexCell",
    "DifferenceOfGaussians",
    "Gabor",
    "Gaussian",
    "ReceptiveField",
    "contour_radius",
    "dog_kernel",
    "gabor_kernel",
    "gaussian_kernel",
]

_HALF_MAX = math.sqrt(2.0 * math.log(2.0))
_TWO_PI2 = 2.0 * math.pi**2

# Numeric ranges (private; stated in the docstrings).  Each is far beyond any RF measured
# in primate vision (sigmas of arc minutes to tens of degrees, carriers up to ~60
# cycles/deg) and keeps every kernel, profile and spectrum finite and free of
# overflow: with sigmas >= 1e-6 deg and offsets <= 1e9 deg, (x / sigma)**2 <= 1e30.
#: the largest |amplitude| (a gain in arbitrary response units).
_MAX_AMPLITUDE = 1e100
#: DoG surround volume relative to the centre's (measured: about 0.3 to 1.2).
_MAX_SURROUND_WEIGHT = 100.0
#: kernel support in sigmas: past ~38.6 sigmas a Gaussian underflows to exactly 0.
_MAX_N_SIGMA = 100.0
#: contour levels in sigmas.
_LEVEL_RANGE = (1e-3, 100.0)
#: offsets given to ``profile`` (degrees) and frequencies to ``frequency_response``
#: (cycles/degree).
_MAX_OFFSET = 1e9
_MAX_QUERY_FREQUENCY = 1e9
#: bytes per kernel pixel that sampling an RF holds at once (the kernel and the
#: temporaries of the profile), real and complex kernels; measured with tracemalloc.
_KERNEL_BYTES_PER_PIXEL = {False: 48, True: 64}


def _check_length(value: object, name: str) -> float:
    """A sigma in degrees: > 0 and in ``SIGMA_RANGE``."""
    return check_range(check_positive(value, name), name, *SIGMA_RANGE, unit="deg")


def _check_n_sigma(value: object) -> float:
    """``n_sigma``: > 0 and at most ``_MAX_N_SIGMA``."""
    n_sigma = check_positive(value, "n_sigma")
    return check_range(n_sigma, "n_sigma", 0.0, _MAX_N_SIGMA, low_open=True, unit="sigmas")


def _offsets(x: object, y: object, names: tuple[str, str], limit: float, unit: str):
    """Validated coordinate arrays ``x, y`` (finite, ``|.| <= limit``, broadcastable)."""
    x = as_coordinates(x, names[0], limit, unit)
    y = as_coordinates(y, names[1], limit, unit)
    check_broadcast(x, y, *names)
    return x, y


def _positions(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    return _offsets(x, y, ("x", "y"), _MAX_OFFSET, "deg")


def _frequencies(fx: object, fy: object) -> tuple[np.ndarray, np.ndarray]:
    return _offsets(fx, fy, ("fx", "fy"), _MAX_QUERY_FREQUENCY, "cycles/deg")


def _rescaled(rf: ReceptiveField, factor: float, **changes: float) -> ReceptiveField:
    """``replace(rf, **changes)``, an out-of-range result blamed on ``factor``."""
    try:
        return replace(rf, **changes)
    except ValueError as exc:
        raise ValueError(f"`factor` {factor:g} takes the RF out of range: {exc}") from None


def contour_radius(level: str | float) -> float:
    """Radius of an RF contour in units of the envelope's sigma.

    Parameters
    ----------
    level : {"sigma", "half-max"} or float
        ``"sigma"`` is the 1-sigma contour (radius 1), ``"half-max"`` the
        contour at half the envelope's peak (radius ``sqrt(2 ln 2)``, about
        1.177); a positive number is a radius in sigmas.

    Returns
    -------
    float
        The radius in sigmas.

    Raises
    ------
    TypeError
        If ``level`` is neither a string nor a number (booleans are refused).
    ValueError
        If ``level`` is an unknown string, or a number not in ``[0.001, 100]``
        sigmas (past ~39 sigmas a Gaussian is exactly 0; below 0.001 the
        contour is a point).
    """
    if isinstance(level, str):
        check_choice(level, "level", ("sigma", "half-max"))
        return 1.0 if level == "sigma" else _HALF_MAX
    return check_range(check_positive(level, "level"), "level", *_LEVEL_RANGE, unit="sigmas")


def _gauss_density(x: np.ndarray, y: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """Unit-volume Gaussian density with sigmas ``sx`` (along x) and ``sy``."""
    return np.exp(-0.5 * ((x / sx) ** 2 + (y / sy) ** 2)) / (2.0 * math.pi * sx * sy)


def _rotate(x: np.ndarray, y: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates along (``u``) and across (``v``) the direction ``degrees``."""
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    return x * c + y * s, -x * s + y * c


class ReceptiveField:
    """Base class of RF models (see the module docstring for conventions).

    Subclasses are frozen dataclasses that implement :meth:`profile`,
    :meth:`frequency_response`, :meth:`scaled` and the envelope properties.
    """

    #: Whether the neuron squares and sums a quadrature pair (energy model).
    is_energy: ClassVar[bool] = False

    # -- to implement --------------------------------------------------------
    def profile(self, x: object, y: object) -> np.ndarray:  # pragma: no cover - abstract
        """RF weighting function at offsets ``(x, y)`` deg (units 1/deg^2)."""
        raise NotImplementedError

    def frequency_response(self, fx: object, fy: object) -> np.ndarray:  # pragma: no cover
        """Continuous Fourier transform of :meth:`profile` (complex)."""
        raise NotImplementedError

    def scaled(self, factor: float) -> ReceptiveField:  # pragma: no cover - abstract
        """The same RF with every length multiplied by ``factor``."""
        raise NotImplementedError

    @property
    def envelope(self) -> tuple[float, float, float]:  # pragma: no cover - abstract
        """``(sigma_u, sigma_v, angle)``: envelope sigmas (deg) and axis angle (deg)."""
        raise NotImplementedError

    @property
    def support_sigma(self) -> float:  # pragma: no cover - abstract
        """The largest Gaussian sigma of the model (deg); sets the kernel size."""
        raise NotImplementedError

    # -- plain data ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The RF model as plain data: ``{"type": "Gabor", "spatial_frequency": 2.0, ...}``.

        Returns
        -------
        dict
            JSON-compatible: ``"type"`` (the class name) and every parameter
            of the constructor (defaults included, Gabor sigmas resolved to
            numbers).  :meth:`from_dict` rebuilds an equal model, every float
            bit for bit, also through :func:`json.dumps` / :func:`json.loads`.

        Raises
        ------
        TypeError
            If the model is not one of cortex's (:class:`Gaussian`,
            :class:`DifferenceOfGaussians`, :class:`Gabor`,
            :class:`ComplexCell`; subclasses included, whose own parameters
            would be lost).

        Examples
        --------
        >>> from cortex import Gaussian
        >>> Gaussian(sigma=0.5).to_dict()
        {'type': 'Gaussian', 'sigma': 0.5, 'amplitude': 1.0}
        """
        name = next((n for n, c in _MODELS.items() if type(self) is c), None)
        if name is None:
            raise TypeError(
                f"{type(self).__name__} cannot be written as plain data: only the RF models "
                f"{', '.join(_MODELS)} can (a subclass's own parameters would be lost)"
            )
        return scalars_to_dict(self, name)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReceptiveField:
        """Rebuild an RF model from :meth:`to_dict`'s plain data.

        ``ReceptiveField.from_dict`` builds whichever model ``d["type"]``
        names; ``Gabor.from_dict`` (etc.) accepts only its own type.

        Parameters
        ----------
        d : dict
            ``{"type": name, parameter: value, ...}``: the constructor's
            parameters (those with defaults may be left out; a Gabor's
            ``sigma_x`` and ``sigma_y`` may be null), numbers as ints or
            floats, ``polarity`` a string.

        Returns
        -------
        ReceptiveField
            The model.

        Raises
        ------
        TypeError
            If ``d`` is not a dict or a value has the wrong type (booleans and
            strings are not numbers); the message names the key, e.g.
            ``rf.sigma``.
        ValueError
            If ``"type"`` is unknown, a key is missing or unknown, a number is
            NaN or infinite, or the constructor refuses a value (the message
            names the key).

        Examples
        --------
        >>> from cortex import Gabor, ReceptiveField
        >>> g = Gabor(spatial_frequency=2.0, orientation=30.0)
        >>> ReceptiveField.from_dict(g.to_dict()) == g
        True
        """
        model, kwargs = _check_rf_dict(d, "rf", cls)
        return build(model, kwargs, "rf")

    # -- shared --------------------------------------------------------------
    @property
    def size(self) -> float:
        """Characteristic RF size in degrees: the geometric mean of the envelope sigmas."""
        su, sv, _ = self.envelope
        return math.sqrt(su * sv)

    def contour(self, level: str | float = "half-max") -> tuple[float, float, float]:
        """Semi-axes and angle of the RF's envelope contour.

        Parameters
        ----------
        level : {"sigma", "half-max"} or float, optional
            Which contour (see :func:`contour_radius`).  For a
            difference of Gaussians it is the contour of the centre.

        Returns
        -------
        a, b : float
            Semi-axes in degrees along and across ``angle``.
        angle : float
            Orientation of the ``a`` axis, degrees counter-clockwise from +x.

        Raises
        ------
        TypeError, ValueError
            If ``level`` is invalid (see :func:`contour_radius`).
        """
        r = contour_radius(level)
        su, sv, angle = self.envelope
        return r * su, r * sv, angle

    def kernel_radius(self, pixels_per_degree: float, n_sigma: float = 3.0) -> int:
        """Half-width ``h`` in pixels of :meth:`kernel` (the kernel is ``2h + 1`` wide).

        Parameters
        ----------
        pixels_per_degree : float
            Sampling density, in ``[1e-6, 1e6]`` px/deg.
        n_sigma : float, optional
            Support in sigmas, in ``(0, 100]``.

        Returns
        -------
        int
            ``ceil(n_sigma * support_sigma * pixels_per_degree)``.

        Raises
        ------
        TypeError
            If a parameter is not a real number.
        ValueError
            If a parameter is out of its range.
        """
        ppd = check_ppd(pixels_per_degree)
        n_sigma = _check_n_sigma(n_sigma)
        return int(math.ceil(n_sigma * self.support_sigma * ppd - 1e-9))

    def _check_kernel_memory(self, side: int, ppd: float) -> None:
        """Refuse sampling a ``side x side`` kernel whose working memory exceeds the budget."""
        per_pixel = _KERNEL_BYTES_PER_PIXEL[self.is_energy]
        check_memory(
            float(per_pixel) * side * side,
            f"the {side}x{side} px kernel of {self!r} at {ppd:g} px/deg",
        )

    def kernel(self, pixels_per_degree: float, *, n_sigma: float = 3.0) -> np.ndarray:
        """Sample the RF on a pixel grid.

        Parameters
        ----------
        pixels_per_degree : float
            Sampling density.
        n_sigma : float, optional
            The kernel covers the RF out to ``n_sigma`` times its largest sigma
            (:attr:`support_sigma`) from the centre.

        Returns
        -------
        numpy.ndarray, shape (2h + 1, 2h + 1)
            ``profile(dx, dy) / pixels_per_degree**2`` at pixel offsets from the
            centre pixel (row 0 is the top, so ``dy`` decreases down the rows).
            Real float64, complex128 for a quadrature pair
            (:class:`ComplexCell`).  Its side is always odd, so the RF centre is
            a pixel.

        Raises
        ------
        TypeError
            If ``pixels_per_degree`` or ``n_sigma`` is not a real number.
        ValueError
            If ``pixels_per_degree`` is not in ``[1e-6, 1e6]`` px/deg or
            ``n_sigma`` not in ``(0, 100]``.
        cortex.MemoryBudgetError
            If the kernel and its working arrays would exceed
            :func:`cortex.memory_budget` (checked before allocating).

        Warns
        -----
        UserWarning
            If the RF's envelope is smaller than a pixel, or a carrier
            frequency exceeds the Nyquist frequency (the kernel aliases).
        """
        ppd = check_ppd(pixels_per_degree)
        h = self.kernel_radius(ppd, n_sigma)
        self._check_kernel_memory(2 * h + 1, ppd)
        if min(self.envelope[:2]) * ppd < 0.5:
            warnings.warn(
                f"the RF's envelope sigma {min(self.envelope[:2]):.4g} deg is under half a pixel "
                f"at {ppd:g} px/deg; the kernel is badly sampled",
                UserWarning,
                stacklevel=2,
            )
        frequency = getattr(self, "spatial_frequency", 0.0)
        if frequency > ppd / 2:
            warnings.warn(
                f"`spatial_frequency` {frequency:g} cyc/deg exceeds the Nyquist frequency "
                f"{ppd / 2:g} cyc/deg at {ppd:g} px/deg; the kernel aliases",
                UserWarning,
                stacklevel=2,
            )
        offsets = np.arange(-h, h + 1) / ppd
        x = offsets[np.newaxis, :]
        y = -offsets[:, np.newaxis]
        return self.profile(x, y) / ppd**2


def _check_amplitude(value: object) -> float:
    amplitude = check_finite(value, "amplitude")
    if amplitude == 0:
        raise ValueError("`amplitude` must be non-zero, got 0.0")
    return check_range(amplitude, "amplitude", -_MAX_AMPLITUDE, _MAX_AMPLITUDE)


@dataclass(frozen=True)
class Gaussian(ReceptiveField):
    """Isotropic Gaussian RF (a blob: e.g. an RGC centre alone).

    ``w(x, y) = amplitude / (2 pi sigma^2) * exp(-(x^2 + y^2) / (2 sigma^2))``
    integrates to ``amplitude``, so the response to a uniform field of value 1
    is ``amplitude``.

    Parameters
    ----------
    sigma : float
        Standard deviation in degrees, in ``[1e-6, 1e6]``.
    amplitude : float, optional
        Integral of the weighting function (non-zero; negative for an OFF
        blob), ``|amplitude| <= 1e100``.

    Raises
    ------
    TypeError
        If a parameter is not a real number (booleans and strings are refused).
    ValueError
        If ``sigma`` is not in ``[1e-6, 1e6]`` deg (a finite, overflow-free
        kernel and spectrum; any real RF is well inside), or ``amplitude`` is 0
        or larger than ``1e100`` in magnitude.

    Examples
    --------
    >>> from cortex import Gaussian
    >>> Gaussian(sigma=0.5).kernel(pixels_per_degree=10).shape
    (31, 31)
    """

    sigma: float
    amplitude: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", _check_length(self.sigma, "sigma"))
        object.__setattr__(self, "amplitude", _check_amplitude(self.amplitude))

    def profile(self, x: object, y: object) -> np.ndarray:
        """RF weighting function at offsets ``(x, y)`` deg (1/deg^2).

        Parameters
        ----------
        x, y : array_like
            Offsets from the RF centre in degrees, ``|.| <= 1e9`` (broadcast
            together).

        Returns
        -------
        numpy.ndarray
            The weights (float64).

        Raises
        ------
        TypeError
            If ``x`` or ``y`` is not numeric (None, strings, booleans).
        ValueError
            If they hold NaN, infinite or larger than ``1e9`` values, or do
            not broadcast together.
        """
        x, y = _positions(x, y)
        return self.amplitude * _gauss_density(x, y, self.sigma, self.sigma)

    def frequency_response(self, fx: object, fy: object) -> np.ndarray:
        """Fourier transform at ``(fx, fy)`` cycles/degree: ``A exp(-2 pi^2 sigma^2 f^2)``.

        Raises
        ------
        TypeError, ValueError
            As :meth:`profile`, for ``fx`` and ``fy`` (``|.| <= 1e9``
            cycles/deg).
        """
        fx, fy = _frequencies(fx, fy)
        f2 = fx**2 + fy**2
        return (self.amplitude * np.exp(-_TWO_PI2 * self.sigma**2 * f2)).astype(complex)

    def scaled(self, factor: float) -> Gaussian:
        """The same RF with ``sigma`` multiplied by ``factor``.

        Raises
        ------
        TypeError, ValueError
            If ``factor`` is not a finite number > 0, or the scaled sigma
            leaves ``[1e-6, 1e6]`` deg.
        """
        factor = check_positive(factor, "factor")
        return _rescaled(self, factor, sigma=self.sigma * factor)

    @property
    def envelope(self) -> tuple[float, float, float]:
        """``(sigma, sigma, 0)``."""
        return self.sigma, self.sigma, 0.0

    @property
    def support_sigma(self) -> float:
        """``sigma``."""
        return self.sigma


@dataclass(frozen=True)
class DifferenceOfGaussians(ReceptiveField):
    """Centre-surround RF: a difference of two concentric Gaussians.

    ``w = sign * amplitude * (G(sigma_center) - surround_weight * G(sigma_surround))``
    with unit-volume Gaussians ``G`` and ``sign = +1`` for an ON centre, ``-1``
    for OFF.  With ``surround_weight = 1`` the RF is *balanced*: it integrates
    to zero and ignores a uniform field.

    Parameters
    ----------
    sigma_center : float
        Centre sigma in degrees, in ``[1e-6, 1e6]``.
    sigma_surround : float
        Surround sigma in degrees, > ``sigma_center`` and in ``[1e-6, 1e6]``.
    surround_weight : float, optional
        Volume of the surround relative to the centre, in ``[0, 100]``
        (measured surrounds are about 0.3 to 1.2 times the centre).
    polarity : {"on", "off"}, optional
        ON-centre (excited by light in the centre) or OFF-centre.
    amplitude : float, optional
        Volume of the centre Gaussian, in ``(0, 1e100]``.

    Raises
    ------
    TypeError
        If a parameter has the wrong type (booleans are not numbers;
        ``polarity`` must be a string).
    ValueError
        If a parameter is out of its range, ``sigma_surround <=
        sigma_center``, or ``polarity`` is unknown.

    Examples
    --------
    >>> from cortex import DifferenceOfGaussians
    >>> dog = DifferenceOfGaussians(0.1, 0.3)
    >>> float(abs(dog.frequency_response(0.0, 0.0)))  # balanced: no DC
    0.0
    """

    sigma_center: float
    sigma_surround: float
    surround_weight: float = 1.0
    polarity: str = "on"
    amplitude: float = 1.0

    def __post_init__(self) -> None:
        sc = _check_length(self.sigma_center, "sigma_center")
        ss = _check_length(self.sigma_surround, "sigma_surround")
        if ss <= sc:
            raise ValueError(
                f"`sigma_surround` must be > `sigma_center`, got sigma_surround={ss} "
                f"<= sigma_center={sc}"
            )
        object.__setattr__(self, "sigma_center", sc)
        object.__setattr__(self, "sigma_surround", ss)
        object.__setattr__(
            self,
            "surround_weight",
            check_range(
                check_positive(self.surround_weight, "surround_weight", allow_zero=True),
                "surround_weight",
                0.0,
                _MAX_SURROUND_WEIGHT,
            ),
        )
        check_choice(self.polarity, "polarity", ("on", "off"))
        amplitude = check_positive(self.amplitude, "amplitude")
        amplitude = check_range(amplitude, "amplitude", 0.0, _MAX_AMPLITUDE, low_open=True)
        object.__setattr__(self, "amplitude", amplitude)

    @property
    def balanced(self) -> bool:
        """Whether centre and surround have equal volume (no response to uniform light)."""
        return self.surround_weight == 1.0

    def kernel(self, pixels_per_degree: float, *, n_sigma: float = 3.0) -> np.ndarray:
        """Sample the RF on a pixel grid, its surround renormalised to the truncation.

        As :meth:`ReceptiveField.kernel`, except that the sampled surround is
        rescaled so that its sum is exactly ``surround_weight`` times the sum of
        the sampled centre (as plenoptic's ``CenterSurround`` normalises each
        Gaussian): cutting the surround at ``n_sigma`` would otherwise lose
        part of its volume (0.3% of the kernel's L1 norm at 3 sigma, 1.4% at
        2.5), and a balanced DoG would leak a response to uniform light.  A
        balanced DoG's kernel therefore sums to zero (to rounding) at any
        ``n_sigma``; inside the support the weights differ from
        ``profile / pixels_per_degree**2`` by that small surround factor.

        Parameters
        ----------
        pixels_per_degree : float
            Sampling density.
        n_sigma : float, optional
            The kernel covers the RF out to ``n_sigma`` surround sigmas.

        Returns
        -------
        numpy.ndarray, shape (2h + 1, 2h + 1)
            The kernel (float64).

        Raises
        ------
        TypeError, ValueError, cortex.MemoryBudgetError
            As :meth:`ReceptiveField.kernel`.

        Examples
        --------
        >>> k = DifferenceOfGaussians(0.1, 0.3).kernel(20, n_sigma=2.0)
        >>> bool(abs(k.sum()) < 1e-15 * abs(k).sum())
        True
        """
        centre = replace(self, surround_weight=0.0)
        c = ReceptiveField.kernel(centre, pixels_per_degree, n_sigma=n_sigma)
        if self.surround_weight == 0.0:
            return c
        ppd = check_ppd(pixels_per_degree)
        h = self.kernel_radius(ppd, n_sigma)
        offsets = np.arange(-h, h + 1) / ppd
        x, y = offsets[np.newaxis, :], -offsets[:, np.newaxis]
        surround = _gauss_density(x, y, self.sigma_surround, self.sigma_surround)
        # the centre's sampled volume (in units of the gain) over the surround's
        surround *= (c.sum() / self._gain) / surround.sum()
        return c - self._gain * self.surround_weight * surround

    @property
    def _gain(self) -> float:
        return self.amplitude if self.polarity == "on" else -self.amplitude

    def profile(self, x: object, y: object) -> np.ndarray:
        """RF weighting function at offsets ``(x, y)`` deg (1/deg^2).

        Raises
        ------
        TypeError, ValueError
            As :meth:`Gaussian.profile`.
        """
        x, y = _positions(x, y)
        centre = _gauss_density(x, y, self.sigma_center, self.sigma_center)
        surround = _gauss_density(x, y, self.sigma_surround, self.sigma_surround)
        return self._gain * (centre - self.surround_weight * surround)

    def frequency_response(self, fx: object, fy: object) -> np.ndarray:
        """Fourier transform at ``(fx, fy)`` cycles/degree (real, band-pass when balanced).

        Raises
        ------
        TypeError, ValueError
            As :meth:`Gaussian.frequency_response`.
        """
        fx, fy = _frequencies(fx, fy)
        f2 = fx**2 + fy**2
        centre = np.exp(-_TWO_PI2 * self.sigma_center**2 * f2)
        surround = np.exp(-_TWO_PI2 * self.sigma_surround**2 * f2)
        return (self._gain * (centre - self.surround_weight * surround)).astype(complex)

    def scaled(self, factor: float) -> DifferenceOfGaussians:
        """The same RF with both sigmas multiplied by ``factor``.

        Raises
        ------
        TypeError, ValueError
            If ``factor`` is not a finite number > 0, or a scaled sigma leaves
            ``[1e-6, 1e6]`` deg.
        """
        factor = check_positive(factor, "factor")
        return _rescaled(
            self,
            factor,
            sigma_center=self.sigma_center * factor,
            sigma_surround=self.sigma_surround * factor,
        )

    @property
    def envelope(self) -> tuple[float, float, float]:
        """The centre: ``(sigma_center, sigma_center, 0)``."""
        return self.sigma_center, self.sigma_center, 0.0

    @property
    def support_sigma(self) -> float:
        """``sigma_surround``."""
        return self.sigma_surround


def _bandwidth_sigma(spatial_frequency: float, octaves: float = 1.0) -> float:
    """Envelope sigma (deg) of a Gabor with the given bandwidth in octaves."""
    ratio = (2.0**octaves + 1.0) / (2.0**octaves - 1.0)
    return math.sqrt(math.log(2.0) / 2.0) * ratio / (math.pi * spatial_frequency)


def _gabor_spectrum(
    fx: object,
    fy: object,
    frequency: float,
    orientation: float,
    sigma_x: float,
    sigma_y: float,
    phase: float,
) -> np.ndarray:
    """Fourier transform of a unit-volume-envelope Gabor (see :class:`Gabor`)."""
    fx, fy = _frequencies(fx, fy)
    u, v = _rotate(fx, fy, orientation)
    env = lambda du: np.exp(-_TWO_PI2 * (sigma_x**2 * du**2 + sigma_y**2 * v**2))  # noqa: E731
    p = math.radians(phase)
    return 0.5 * (np.exp(1j * p) * env(u - frequency) + np.exp(-1j * p) * env(u + frequency))


@dataclass(frozen=True)
class Gabor(ReceptiveField):
    """Gabor RF: a Gaussian envelope times a sinusoidal carrier (a V1 simple cell).

    With ``u = x cos(theta) + y sin(theta)`` (across the bars) and
    ``v = -x sin(theta) + y cos(theta)`` (along the bars)::

        w(x, y) = amplitude * G(u, v) * cos(2 pi f u + phase)

    where ``G`` is a unit-volume Gaussian with sigmas ``sigma_x`` along ``u``
    and ``sigma_y`` along ``v``.

    Parameters
    ----------
    spatial_frequency : float
        Carrier frequency ``f`` in cycles/degree, in ``(0, 1e5]`` (1,700
        times the human acuity limit); without ``sigma_x``, at least
        ``5.6e-7`` so that the default sigma stays within ``1e6`` deg.
    orientation : float, optional
        ``theta`` in degrees; 0 = vertical bars (luminance varies along x).
    phase : float, optional
        Carrier phase in degrees; 0 = even (cosine) with an ON centre, 90 = odd.
    sigma_x : float, optional
        Envelope sigma across the bars, degrees, in ``[1e-6, 1e6]``.
        Default: the value that gives a 1-octave spatial-frequency bandwidth
        (about ``0.56 / f``).
    sigma_y : float, optional
        Envelope sigma along the bars, degrees, in ``[1e-6, 1e6]``.  Default:
        ``sigma_x``.
    amplitude : float, optional
        Gain (non-zero, ``|amplitude| <= 1e100``).

    Raises
    ------
    TypeError
        If a parameter is not a real number (booleans and strings are
        refused; ``sigma_x`` and ``sigma_y`` may be None).
    ValueError
        If a parameter is not finite or out of its range (a default sigma out
        of range is blamed on ``spatial_frequency``).

    Examples
    --------
    >>> from cortex import Gabor
    >>> g = Gabor(spatial_frequency=2.0, orientation=45.0)
    >>> round(g.bandwidth, 6)
    1.0
    """

    spatial_frequency: float
    orientation: float = 0.0
    phase: float = 0.0
    sigma_x: float | None = None
    sigma_y: float | None = None
    amplitude: float = 1.0

    def __post_init__(self) -> None:
        f = check_positive(self.spatial_frequency, "spatial_frequency")
        f = check_range(
            f, "spatial_frequency", 0.0, MAX_FREQUENCY, low_open=True, unit="cycles/deg"
        )
        object.__setattr__(self, "spatial_frequency", f)
        object.__setattr__(self, "orientation", check_finite(self.orientation, "orientation"))
        object.__setattr__(self, "phase", check_finite(self.phase, "phase"))
        if self.sigma_x is None:
            sx = _bandwidth_sigma(f)
            if sx > SIGMA_RANGE[1]:
                lowest = _bandwidth_sigma(1.0) / SIGMA_RANGE[1]
                raise ValueError(
                    f"`spatial_frequency` must be >= {lowest:.3g} cycles/deg without `sigma_x` "
                    f"(the default sigma_x = 0.56 / spatial_frequency must be <= "
                    f"{SIGMA_RANGE[1]:g} deg), got {f:g}"
                )
        else:
            sx = _check_length(self.sigma_x, "sigma_x")
        sy = sx if self.sigma_y is None else _check_length(self.sigma_y, "sigma_y")
        object.__setattr__(self, "sigma_x", sx)
        object.__setattr__(self, "sigma_y", sy)
        object.__setattr__(self, "amplitude", _check_amplitude(self.amplitude))

    @property
    def aspect_ratio(self) -> float:
        """``sigma_y / sigma_x`` (> 1: elongated along the bars)."""
        return self.sigma_y / self.sigma_x

    @property
    def bandwidth(self) -> float:
        """Half-amplitude spatial-frequency bandwidth in octaves (``inf`` if unbounded)."""
        a = math.pi * self.spatial_frequency * self.sigma_x
        k = math.sqrt(math.log(2.0) / 2.0)
        return math.inf if a <= k else math.log2((a + k) / (a - k))

    def profile(self, x: object, y: object) -> np.ndarray:
        """RF weighting function at offsets ``(x, y)`` deg (1/deg^2).

        Raises
        ------
        TypeError, ValueError
            As :meth:`Gaussian.profile`.
        """
        x, y = _positions(x, y)
        u, v = _rotate(x, y, self.orientation)
        carrier = np.cos(2.0 * math.pi * self.spatial_frequency * u + math.radians(self.phase))
        return self.amplitude * _gauss_density(u, v, self.sigma_x, self.sigma_y) * carrier

    def frequency_response(self, fx: object, fy: object) -> np.ndarray:
        """Fourier transform at ``(fx, fy)`` cycles/degree (complex unless even).

        Raises
        ------
        TypeError, ValueError
            As :meth:`Gaussian.frequency_response`.
        """
        return self.amplitude * _gabor_spectrum(
            fx,
            fy,
            self.spatial_frequency,
            self.orientation,
            self.sigma_x,
            self.sigma_y,
            self.phase,
        )

    def scaled(self, factor: float) -> Gabor:
        """The same RF with sigmas multiplied and the frequency divided by ``factor``.

        Raises
        ------
        TypeError, ValueError
            If ``factor`` is not a finite number > 0, or the scaled sigmas or
            frequency leave their ranges.
        """
        factor = check_positive(factor, "factor")
        return _rescaled(
            self,
            factor,
            spatial_frequency=self.spatial_frequency / factor,
            sigma_x=self.sigma_x * factor,
            sigma_y=self.sigma_y * factor,
        )

    @property
    def envelope(self) -> tuple[float, float, float]:
        """``(sigma_x, sigma_y, orientation)``."""
        return self.sigma_x, self.sigma_y, self.orientation

    @property
    def support_sigma(self) -> float:
        """``max(sigma_x, sigma_y)``."""
        return max(self.sigma_x, self.sigma_y)


@dataclass(frozen=True)
class ComplexCell(ReceptiveField):
    """Energy-model complex cell: the squared sum of a quadrature Gabor pair.

    The neuron's linear stage is the complex RF ``w_even + i w_odd`` (the
    :class:`Gabor` with phase 0 and the one with phase 90); its response is
    the energy ``|sum (w_even + i w_odd) I|^2 = even^2 + odd^2``, which is
    nearly independent of the stimulus phase.

    Parameters
    ----------
    spatial_frequency, orientation, sigma_x, sigma_y, amplitude
        As for :class:`Gabor`.

    Raises
    ------
    TypeError, ValueError
        As :class:`Gabor`.

    Examples
    --------
    >>> from cortex import ComplexCell
    >>> ComplexCell(spatial_frequency=2.0).kernel(20).dtype
    dtype('complex128')
    """

    is_energy: ClassVar[bool] = True

    spatial_frequency: float
    orientation: float = 0.0
    sigma_x: float | None = None
    sigma_y: float | None = None
    amplitude: float = 1.0

    def __post_init__(self) -> None:
        even = Gabor(
            self.spatial_frequency,
            self.orientation,
            0.0,
            self.sigma_x,
            self.sigma_y,
            self.amplitude,
        )
        for name in ("spatial_frequency", "orientation", "sigma_x", "sigma_y", "amplitude"):
            object.__setattr__(self, name, getattr(even, name))

    def quadrature_pair(self) -> tuple[Gabor, Gabor]:
        """The even (phase 0) and odd (phase 90) Gabors of the pair."""
        even = Gabor(
            self.spatial_frequency,
            self.orientation,
            0.0,
            self.sigma_x,
            self.sigma_y,
            self.amplitude,
        )
        return even, replace(even, phase=90.0)

    def profile(self, x: object, y: object) -> np.ndarray:
        """Complex weighting function ``w_even + i w_odd`` at ``(x, y)`` deg (1/deg^2).

        Raises
        ------
        TypeError, ValueError
            As :meth:`Gaussian.profile`.
        """
        even, odd = self.quadrature_pair()
        return even.profile(x, y) + 1j * odd.profile(x, y)

    def frequency_response(self, fx: object, fy: object) -> np.ndarray:
        """Fourier transform of the complex RF: ``W_even + i W_odd``.

        Raises
        ------
        TypeError, ValueError
            As :meth:`Gaussian.frequency_response`.
        """
        even, odd = self.quadrature_pair()
        return even.frequency_response(fx, fy) + 1j * odd.frequency_response(fx, fy)

    def scaled(self, factor: float) -> ComplexCell:
        """The same RF with sigmas multiplied and the frequency divided by ``factor``.

        Raises
        ------
        TypeError, ValueError
            As :meth:`Gabor.scaled`.
        """
        g = self.quadrature_pair()[0].scaled(factor)
        return replace(
            self, spatial_frequency=g.spatial_frequency, sigma_x=g.sigma_x, sigma_y=g.sigma_y
        )

    @property
    def envelope(self) -> tuple[float, float, float]:
        """``(sigma_x, sigma_y, orientation)``."""
        return self.sigma_x, self.sigma_y, self.orientation

    @property
    def support_sigma(self) -> float:
        """``max(sigma_x, sigma_y)``."""
        return max(self.sigma_x, self.sigma_y)


#: The RF models that :meth:`ReceptiveField.to_dict` writes, by their ``"type"`` name.
_MODELS: dict[str, type[ReceptiveField]] = {
    "Gaussian": Gaussian,
    "DifferenceOfGaussians": DifferenceOfGaussians,
    "Gabor": Gabor,
    "ComplexCell": ComplexCell,
}


def _check_rf_dict(
    d: object, where: str, base: type = ReceptiveField
) -> tuple[type[ReceptiveField], dict[str, Any]]:
    """Check an RF model's plain data against its schema (nothing built): ``(class, kwargs)``.

    Accepted types: the models that are ``base`` or a subclass of it.
    """
    models = {name: model for name, model in _MODELS.items() if issubclass(model, base)}
    what = "an RF model" if base is ReceptiveField else f"a {base.__name__}"
    name, kwargs = check_scalars(
        d, where, base, models, what=what, strings=("polarity",), nullable=("sigma_x", "sigma_y")
    )
    return models[name], kwargs


def gaussian_kernel(
    sigma: float, pixels_per_degree: float, *, amplitude: float = 1.0, n_sigma: float = 3.0
) -> np.ndarray:
    """Sampled Gaussian RF (see :class:`Gaussian` and :meth:`ReceptiveField.kernel`).

    Parameters
    ----------
    sigma : float
        Standard deviation in degrees.
    pixels_per_degree : float
        Sampling density.
    amplitude : float, optional
        Integral of the RF.
    n_sigma : float, optional
        Half-width of the kernel in sigmas.

    Returns
    -------
    numpy.ndarray, shape (2h + 1, 2h + 1)
        The kernel, summing to about ``amplitude``.

    Raises
    ------
    TypeError, ValueError
        As :class:`Gaussian` and :meth:`ReceptiveField.kernel`.
    cortex.MemoryBudgetError
        If the kernel would exceed :func:`cortex.memory_budget`.
    """
    return Gaussian(sigma, amplitude).kernel(pixels_per_degree, n_sigma=n_sigma)


def dog_kernel(
    sigma_center: float,
    sigma_surround: float,
    pixels_per_degree: float,
    *,
    surround_weight: float = 1.0,
    polarity: str = "on",
    amplitude: float = 1.0,
    n_sigma: float = 3.0,
) -> np.ndarray:
    """Sampled centre-surround RF (see :class:`DifferenceOfGaussians`).

    Parameters
    ----------
    sigma_center, sigma_surround : float
        Sigmas in degrees (``sigma_surround > sigma_center``).
    pixels_per_degree : float
        Sampling density.
    surround_weight : float, optional
        Relative surround volume; 1 is balanced.
    polarity : {"on", "off"}, optional
        Centre polarity.
    amplitude : float, optional
        Centre volume.
    n_sigma : float, optional
        Half-width of the kernel in surround sigmas.

    Returns
    -------
    numpy.ndarray, shape (2h + 1, 2h + 1)
        The kernel.

    Raises
    ------
    TypeError, ValueError
        As :class:`DifferenceOfGaussians` and :meth:`ReceptiveField.kernel`.
    cortex.MemoryBudgetError
        If the kernel would exceed :func:`cortex.memory_budget`.
    """
    rf = DifferenceOfGaussians(sigma_center, sigma_surround, surround_weight, polarity, amplitude)
    return rf.kernel(pixels_per_degree, n_sigma=n_sigma)


def gabor_kernel(
    spatial_frequency: float,
    pixels_per_degree: float,
    *,
    orientation: float = 0.0,
    phase: float = 0.0,
    sigma_x: float | None = None,
    sigma_y: float | None = None,
    amplitude: float = 1.0,
    n_sigma: float = 3.0,
) -> np.ndarray:
    """Sampled Gabor RF (see :class:`Gabor`).

    Parameters
    ----------
    spatial_frequency : float
        Carrier frequency in cycles/degree.
    pixels_per_degree : float
        Sampling density.
    orientation, phase : float, optional
        Degrees; 0 = vertical bars, even (cosine) phase.
    sigma_x, sigma_y : float, optional
        Envelope sigmas (deg) across and along the bars.
    amplitude : float, optional
        Gain.
    n_sigma : float, optional
        Half-width of the kernel in the largest sigma.

    Returns
    -------
    numpy.ndarray, shape (2h + 1, 2h + 1)
        The kernel.

    Raises
    ------
    TypeError, ValueError
        As :class:`Gabor` and :meth:`ReceptiveField.kernel`.
    cortex.MemoryBudgetError
        If the kernel would exceed :func:`cortex.memory_budget`.
    """
    rf = Gabor(spatial_frequency, orientation, phase, sigma_x, sigma_y, amplitude)
    return rf.kernel(pixels_per_degree, n_sigma=n_sigma)
