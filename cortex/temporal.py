"""Neurons in time: causal temporal kernels and space-time receptive fields.

Units
-----
Time in seconds, temporal frequency in Hz (cycles/second); positions in
degrees and spatial frequencies in cycles/degree as everywhere in
:mod:`cortex`.

Temporal kernels
----------------
A :class:`TemporalKernel` is a frozen dataclass describing an impulse
response ``h(t)`` (units 1/s) that is **causal**: ``h(t) = 0`` for ``t < 0``.
The response to a signal ``s(t)`` is the convolution
``r(t) = integral_0^inf h(tau) s(t - tau) dtau``, so :attr:`~TemporalKernel.dc_gain`
(the integral of ``h``) is the response to a constant signal of 1, and
:meth:`~TemporalKernel.frequency_response` is the analytic Fourier transform
``H(f) = integral h(t) exp(-2 pi i f t) dt``.

Every model here is a weighted sum of *gamma densities* (the impulse
responses of cascades of ``n`` identical first-order low-pass stages)::

    g(t; n, tau) = t**(n - 1) exp(-t / tau) / (tau**n (n - 1)!)     (t >= 0)
    G(f; n, tau) = (1 + 2 pi i f tau)**(-n)

so impulse responses, step responses (regularised incomplete gamma
functions), spectra and sampled kernels are all closed-form.

Sampling convention (:meth:`TemporalKernel.kernel`)
    A display holds frame ``m`` of a movie during ``[m / fps, (m + 1) / fps)``.
    Tap ``k`` of the kernel (lag ``k`` frames; tap 0 is lag 0) is the **exact
    integral** of ``h`` over ``[k / fps, (k + 1) / fps)``, computed from the
    closed-form step response.  Then ``np.convolve(s, taps)[:T][n]`` is
    *exactly* the continuous response to the held frames at the end of frame
    ``n`` (time ``(n + 1) / fps``), up to the truncation of the kernel at its
    duration, and the taps sum to the DC gain.  Seen as a filter of the frame
    sequence, its gain at ``f`` Hz is ``|H(f)| * sinc(f / fps)`` (the hold)
    plus aliases of ``H`` beyond the frame rate.

Space-time receptive fields
---------------------------
A space-time RF ``w(x, y, t)`` (units 1/(deg^2 s)) responds to a movie
``s(x, y, t)`` with ``r(t) = integral w(x, y, tau) s(x, y, t - tau) dx dy dtau``:
cross-correlation in space (as the spatial RFs of
:mod:`cortex.receptive_fields`) and causal convolution in time.  Its
frequency response is
``H(fx, fy, ft) = integral w exp(-2 pi i (fx x + fy y + ft t)) dx dy dt``.

Motion and direction
    A grating ``cos(2 pi (fx x + fy y - ft t) + phi)`` with ``ft > 0`` drifts
    along ``(fx, fy)`` at ``ft / |f|`` deg/s, and the steady-state response
    of the RF to it oscillates at ``ft`` Hz with amplitude
    ``|H(fx, fy, ft)|``.  Directions are in degrees counter-clockwise from
    ``+x``: **0 = rightward, 90 = upward** (``y`` points up).  This is the
    angle of :class:`~cortex.Gabor`'s ``orientation`` (the direction along
    which its carrier varies), so a grating drifting in direction ``theta``
    has bars at orientation ``theta``, and :func:`cortex.movies.drifting_grating`
    uses the same angle.

References
----------
.. [1] Adelson, E. H. & Bergen, J. R. (1985). Spatiotemporal energy models for
   the perception of motion. *J. Opt. Soc. Am. A* 2(2), 284-299.
.. [2] Watson, A. B. & Ahumada, A. J. (1985). Model of human visual-motion
   sensing. *J. Opt. Soc. Am. A* 2(2), 322-342.
.. [3] Watson, A. B. (1986). Temporal sensitivity. In *Handbook of Perception
   and Human Performance*, Vol. 1, ch. 6. Wiley.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import special

from ._validation import (
    _describe,
    as_coordinates,
    check_finite,
    check_integer,
    check_memory,
    check_positive,
    check_range,
)
from .receptive_fields import Gabor, ReceptiveField, _frequencies

__all__ = [
    "AdelsonBergen",
    "Biphasic",
    "DirectionSelectiveRF",
    "Exponential",
    "Monophasic",
    "SeparableRF",
    "TemporalKernel",
]

# Numeric ranges (stated in the docstrings).  Far beyond any neuron (time constants of
# microseconds to hours) and display (frame rates up to a MHz), and small enough that
# every kernel, spectrum and tap count stays finite.
#: time constants, seconds.
TAU_RANGE = (1e-6, 1e4)
#: rate constants of the Adelson-Bergen kernels, 1/s (1 / TAU_RANGE).
RATE_RANGE = (1e-4, 1e6)
#: number of low-pass stages of a gamma kernel.
MAX_STAGES = 100
#: frame rates, Hz.
FPS_RANGE = (1e-6, 1e6)
#: durations (kernels, movies, onsets), seconds.
MAX_DURATION = 1e9
#: times given to impulse/step responses (s) and frequencies to spectra (Hz).
MAX_TIME = 1e12
MAX_TEMPORAL_FREQUENCY = 1e9
#: weight of the second gamma of a biphasic kernel.
MAX_WEIGHT = 100.0
#: a kernel's support: every gamma component has delivered all but this much of its area.
SUPPORT_TAIL = 1e-6
#: bytes per tap held while sampling a kernel (edges, incomplete gammas, the taps).
_BYTES_PER_TAP = 64.0


# --------------------------------------------------------------------------- checks
def _check_tau(value: object, name: str) -> float:
    """A time constant in seconds: > 0 and in ``TAU_RANGE``."""
    return check_range(check_positive(value, name), name, *TAU_RANGE, unit="s")


def _check_stages(value: object, name: str, minimum: int = 1) -> int:
    """A number of stages: an integer in ``[minimum, MAX_STAGES]``."""
    n = check_integer(value, name, minimum=minimum)
    if n > MAX_STAGES:
        raise ValueError(f"`{name}` must be <= {MAX_STAGES}, got {n}")
    return n


def _check_fps(value: object, name: str = "frames_per_second") -> float:
    """A frame rate in Hz: > 0 and in ``[1e-6, 1e6]`` (TypeError / ValueError naming it).

    Parameters
    ----------
    value : object
        The frame rate.
    name : str, optional
        Argument name used in error messages.

    Returns
    -------
    float
        The validated frame rate.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans are refused).
    ValueError
        If it is NaN, infinite, <= 0 or outside ``[1e-6, 1e6]`` Hz.
    """
    return check_range(check_positive(value, name), name, *FPS_RANGE, unit="Hz")


def _check_duration(value: object, name: str = "duration") -> float:
    """A duration in seconds: > 0 and at most ``1e9`` s (TypeError / ValueError naming it).

    Parameters
    ----------
    value : object
        The duration.
    name : str, optional
        Argument name used in error messages.

    Returns
    -------
    float
        The validated duration.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans are refused).
    ValueError
        If it is NaN, infinite, <= 0 or above ``1e9`` s.
    """
    return check_range(
        check_positive(value, name), name, 0.0, MAX_DURATION, low_open=True, unit="s"
    )


def _times(t: object) -> np.ndarray:
    return as_coordinates(t, "t", MAX_TIME, "s")


def _temporal_frequencies(f: object, name: str = "f") -> np.ndarray:
    return as_coordinates(f, name, MAX_TEMPORAL_FREQUENCY, "Hz")


def _check_broadcast(arrays: dict[str, np.ndarray]) -> None:
    try:
        np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        names = ", ".join(f"`{name}`" for name in arrays)
        shapes = ", ".join(str(a.shape) for a in arrays.values())
        raise ValueError(f"{names} must broadcast together, got shapes {shapes}") from None


# --------------------------------------------------------------------------- gammas
def _gamma_density(t: np.ndarray, n: int, tau: float) -> np.ndarray:
    """``g(t; n, tau)`` (1/s), 0 for ``t < 0`` (``h(0) = 1 / tau`` when ``n = 1``)."""
    x = np.maximum(t, 0.0) / tau
    with np.errstate(under="ignore"):
        density = np.exp(special.xlogy(n - 1, x) - x - special.gammaln(n)) / tau
    return np.where(t < 0, 0.0, density)


def _gamma_spectrum(f: np.ndarray, n: int, tau: float) -> np.ndarray:
    """``(1 + 2 pi i f tau)**(-n)`` in polar form (no overflow at any frequency)."""
    w = 2.0 * math.pi * f * tau
    with np.errstate(under="ignore"):
        magnitude = np.exp(-0.5 * n * np.log1p(w * w))
    return magnitude * np.exp(-1j * n * np.arctan(w))


def _gamma_intervals(edges: np.ndarray, n: int, tau: float) -> np.ndarray:
    """Exact integrals of ``g(.; n, tau)`` between consecutive ``edges`` (seconds, >= 0).

    Uses differences of the lower incomplete gamma before the mean ``n tau``
    and of the upper one after it, so that tail taps keep their relative
    precision.
    """
    x = edges / tau
    with np.errstate(under="ignore"):
        lower = np.diff(special.gammainc(n, x))
        upper = -np.diff(special.gammaincc(n, x))
    return np.where(x[:-1] >= n, upper, lower)


# --------------------------------------------------------------------------- kernels
class TemporalKernel:
    """Base class of the causal temporal kernels (see the module docstring).

    Subclasses are frozen dataclasses whose impulse response is a weighted sum
    of gamma densities, returned by :attr:`components`; everything else
    (impulse and step responses, spectrum, DC gain, support, sampled taps)
    follows in closed form.
    """

    @property
    def components(self) -> tuple[tuple[float, int, float], ...]:  # pragma: no cover
        """``((weight, n, tau), ...)``: ``h(t) = sum weight * g(t; n, tau)``."""
        raise NotImplementedError

    def impulse_response(self, t: object) -> np.ndarray:
        """The impulse response ``h(t)`` in 1/s, zero for ``t < 0`` (causal).

        Parameters
        ----------
        t : array_like
            Times in seconds, ``|t| <= 1e12``.

        Returns
        -------
        numpy.ndarray
            float64 array of the shape of ``t``.  At ``t = 0`` the value is the
            right limit (``1 / tau`` for a single stage, 0 for more).

        Raises
        ------
        TypeError
            If ``t`` is not numeric (None, strings, booleans).
        ValueError
            If ``t`` holds NaN, infinite or larger than ``1e12`` values.
        """
        t = _times(t)
        out = np.zeros(t.shape)
        for weight, n, tau in self.components:
            out += weight * _gamma_density(t, n, tau)
        return out

    def step_response(self, t: object) -> np.ndarray:
        """The response to a unit step at ``t = 0``: ``integral_0^t h``.

        Parameters
        ----------
        t : array_like
            Times in seconds, ``|t| <= 1e12``.

        Returns
        -------
        numpy.ndarray
            float64 array of the shape of ``t``; 0 for ``t <= 0``, tending to
            :attr:`dc_gain`.

        Raises
        ------
        TypeError, ValueError
            As :meth:`impulse_response`.
        """
        t = np.maximum(_times(t), 0.0)
        out = np.zeros(t.shape)
        for weight, n, tau in self.components:
            out += weight * special.gammainc(n, t / tau)
        return out

    def frequency_response(self, f: object) -> np.ndarray:
        """Analytic Fourier transform ``H(f) = integral h(t) exp(-2 pi i f t) dt``.

        Parameters
        ----------
        f : array_like
            Temporal frequencies in Hz, ``|f| <= 1e9``.

        Returns
        -------
        numpy.ndarray
            complex128 array of the shape of ``f`` (dimensionless gain;
            ``H(-f) = conj(H(f))``).

        Raises
        ------
        TypeError
            If ``f`` is not numeric.
        ValueError
            If ``f`` holds NaN, infinite or larger than ``1e9`` values.
        """
        f = _temporal_frequencies(f)
        out = np.zeros(f.shape, dtype=complex)
        for weight, n, tau in self.components:
            out += weight * _gamma_spectrum(f, n, tau)
        return out

    @property
    def dc_gain(self) -> float:
        """``H(0)``: the integral of ``h``, the response to a constant signal of 1."""
        return float(sum(weight for weight, _, _ in self.components))

    @property
    def support(self) -> float:
        """Duration in seconds after which every gamma component has < 1e-6 of its area left.

        So ``integral_support^inf |h| <= 1e-6 * sum |weight|``: a kernel of
        this duration sums to :attr:`dc_gain` within that bound.
        """
        return float(
            max(tau * special.gammainccinv(n, SUPPORT_TAIL) for w, n, tau in self.components if w)
        )

    def n_taps(self, frames_per_second: float, duration: float | None = None) -> int:
        """Number of taps of :meth:`kernel`: ``ceil(duration * frames_per_second)``, at least 1.

        Parameters
        ----------
        frames_per_second : float
            Frame rate in Hz, in ``[1e-6, 1e6]``.
        duration : float, optional
            Length of the kernel in seconds, in ``(0, 1e9]``; default
            :attr:`support`.

        Returns
        -------
        int
            The number of taps.

        Raises
        ------
        TypeError
            If a parameter is not a real number.
        ValueError
            If a parameter is out of its range.
        """
        fps = _check_fps(frames_per_second)
        duration = self.support if duration is None else _check_duration(duration)
        return max(1, math.ceil(duration * fps - 1e-9))

    def kernel(self, frames_per_second: float, *, duration: float | None = None) -> np.ndarray:
        """Sample the kernel at a frame rate: taps integrating ``h`` over each frame.

        Parameters
        ----------
        frames_per_second : float
            Frame rate in Hz, in ``[1e-6, 1e6]``.
        duration : float, optional
            The kernel covers lags ``[0, duration)`` seconds (rounded up to
            whole frames, see :meth:`n_taps`); in ``(0, 1e9]``.  Default:
            :attr:`support`.

        Returns
        -------
        numpy.ndarray, shape (K,)
            float64 taps; tap ``k`` is the exact integral of ``h`` over
            ``[k / fps, (k + 1) / fps)`` (lag ``k`` frames).  Convolve a frame
            sequence with it, ``np.convolve(s, taps)[:len(s)]``, for the
            response at the end of every frame (see the module docstring).

        Raises
        ------
        TypeError
            If a parameter is not a real number.
        ValueError
            If a parameter is out of its range.
        cortex.MemoryBudgetError
            If the taps and their working arrays (about 64 bytes a tap) would
            exceed :func:`cortex.memory_budget` (checked before allocating).

        Examples
        --------
        >>> from cortex.temporal import Exponential
        >>> taps = Exponential(tau=0.01).kernel(frames_per_second=100)
        >>> len(taps), round(float(taps[0]), 6), round(float(taps.sum()), 6)
        (14, 0.632121, 0.999999)
        """
        fps = _check_fps(frames_per_second)
        if duration is not None:
            duration = _check_duration(duration)
        span = self.support if duration is None else duration
        estimate = math.ceil(span * fps - 1e-9)
        check_memory(
            _BYTES_PER_TAP * (estimate + 1),
            f"the {estimate:.0f} taps of {self!r} at {fps:g} frames/s",
        )
        k = self.n_taps(fps, duration)
        edges = np.arange(k + 1) / fps
        taps = np.zeros(k)
        for weight, n, tau in self.components:
            taps += weight * _gamma_intervals(edges, n, tau)
        return taps


@dataclass(frozen=True)
class Exponential(TemporalKernel):
    """One first-order low-pass stage: ``h(t) = exp(-t / tau) / tau`` for ``t >= 0``.

    ``H(f) = 1 / (1 + 2 pi i f tau)``; unit DC gain, corner frequency
    ``1 / (2 pi tau)`` Hz.

    Parameters
    ----------
    tau : float
        Time constant in seconds, in ``[1e-6, 1e4]``.

    Raises
    ------
    TypeError
        If ``tau`` is not a real number (booleans and strings are refused).
    ValueError
        If ``tau`` is NaN, infinite, <= 0 or outside ``[1e-6, 1e4]`` s.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from cortex.temporal import Exponential
    >>> k = Exponential(tau=0.02)
    >>> float(k.impulse_response(0.0)), float(k.impulse_response(-0.001))
    (50.0, 0.0)
    >>> corner = 1 / (2 * math.pi * 0.02)  # Hz
    >>> complex(np.round(k.frequency_response(corner), 12))  # 1 / (1 + i)
    (0.5-0.5j)
    """

    tau: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "tau", _check_tau(self.tau, "tau"))

    @property
    def components(self) -> tuple[tuple[float, int, float], ...]:
        """``((1.0, 1, tau),)``."""
        return ((1.0, 1, self.tau),)


@dataclass(frozen=True)
class Monophasic(TemporalKernel):
    """A cascade of ``n`` low-pass stages: the gamma kernel (a monophasic impulse response).

    ``h(t) = t**(n - 1) exp(-t / tau) / (tau**n (n - 1)!)`` for ``t >= 0``,
    ``H(f) = (1 + 2 pi i f tau)**(-n)``: unit DC gain, peak at
    ``(n - 1) tau`` seconds, mean delay ``n tau`` (Watson 1986; see the
    module's references).

    Parameters
    ----------
    tau : float
        Time constant of each stage in seconds, in ``[1e-6, 1e4]``.
    n : int, optional
        Number of stages, in ``[1, 100]`` (1 is :class:`Exponential`).

    Raises
    ------
    TypeError
        If ``tau`` is not a real number or ``n`` not an integer (booleans
        and floats are refused).
    ValueError
        If ``tau`` is out of its range or ``n`` not in ``[1, 100]``.

    Examples
    --------
    >>> from cortex.temporal import Monophasic
    >>> k = Monophasic(tau=0.01, n=3)
    >>> k.dc_gain
    1.0
    >>> abs(complex(k.frequency_response(0.0)))
    1.0
    """

    tau: float
    n: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "tau", _check_tau(self.tau, "tau"))
        object.__setattr__(self, "n", _check_stages(self.n, "n"))

    @property
    def components(self) -> tuple[tuple[float, int, float], ...]:
        """``((1.0, n, tau),)``."""
        return ((1.0, self.n, self.tau),)


@dataclass(frozen=True)
class Biphasic(TemporalKernel):
    """A difference of two normalised gamma kernels (a biphasic impulse response).

    ``h(t) = g(t; n1, tau1) - weight * g(t; n2, tau2)`` with unit-area gamma
    densities ``g`` (see :class:`Monophasic`), so
    ``H(f) = (1 + 2 pi i f tau1)**(-n1) - weight (1 + 2 pi i f tau2)**(-n2)``
    and the DC gain is ``1 - weight``.  With ``weight = 1`` the kernel is
    **band-pass**: its positive and negative lobes have equal areas, it has
    zero DC gain and ignores steady light (as transient retinal and
    geniculate neurons; e.g. Chichilnisky & Kalmar 2002, *J. Neurosci.*
    22(7), 2737-2747).  With ``tau2 > tau1`` the positive lobe comes first.

    Parameters
    ----------
    tau1, tau2 : float
        Time constants of the two gammas in seconds, in ``[1e-6, 1e4]``.
    n1, n2 : int, optional
        Their numbers of stages, in ``[1, 100]``.
    weight : float, optional
        Area of the second (subtracted) gamma relative to the first, in
        ``[0, 100]``.

    Raises
    ------
    TypeError
        If a parameter has the wrong type (booleans are refused; ``n1`` and
        ``n2`` must be integers).
    ValueError
        If a parameter is out of its range.

    Examples
    --------
    >>> from cortex.temporal import Biphasic
    >>> k = Biphasic(tau1=0.005, tau2=0.01, n1=3, n2=3)
    >>> k.dc_gain  # weight 1: band-pass
    0.0
    >>> bool(abs(k.kernel(1000).sum()) < 1e-6)
    True
    """

    tau1: float
    tau2: float
    n1: int = 3
    n2: int = 3
    weight: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "tau1", _check_tau(self.tau1, "tau1"))
        object.__setattr__(self, "tau2", _check_tau(self.tau2, "tau2"))
        object.__setattr__(self, "n1", _check_stages(self.n1, "n1"))
        object.__setattr__(self, "n2", _check_stages(self.n2, "n2"))
        weight = check_positive(self.weight, "weight", allow_zero=True)
        object.__setattr__(self, "weight", check_range(weight, "weight", 0.0, MAX_WEIGHT))

    @property
    def components(self) -> tuple[tuple[float, int, float], ...]:
        """``((1.0, n1, tau1), (-weight, n2, tau2))``."""
        return ((1.0, self.n1, self.tau1), (-self.weight, self.n2, self.tau2))


@dataclass(frozen=True)
class AdelsonBergen(TemporalKernel):
    """Adelson & Bergen's (1985) biphasic temporal filter (see the module's references).

    The paper's filter is ``f(t) = (kt)**n exp(-kt) [1/n! - (kt)**2/(n + 2)!]``
    (dimensionless); here ``h(t) = k f(t)`` (units 1/s) so that the gain is
    dimensionless.  It is a difference of two gamma densities of rate ``k``,
    ``h = g(t; n + 1, 1/k) - g(t; n + 3, 1/k)``, hence::

        H(f) = (1 + i w)**-(n + 1) - (1 + i w)**-(n + 3),   w = 2 pi f / k

    a band-pass filter with zero DC gain.  The paper pairs a *fast* filter
    (``n = 3``) with a *slow* one (``n = 5``); for the same ``k`` the slow
    one lags the fast one by a phase of ``2 arctan(w)``, between 0 and 180
    degrees at every frequency, which is what a direction-selective RF needs
    (:class:`DirectionSelectiveRF`).

    Parameters
    ----------
    k : float, optional
        Rate constant in 1/s, in ``[1e-4, 1e6]``.  The default 100/s puts
        the fast filter's peak gain near 7 Hz
        (6 Hz for the slow one, ``n = 5``).
    n : int, optional
        Order, in ``[0, 100]``.

    Raises
    ------
    TypeError
        If ``k`` is not a real number or ``n`` not an integer (booleans are
        refused).
    ValueError
        If ``k`` or ``n`` is out of its range.

    Examples
    --------
    >>> from cortex.temporal import AdelsonBergen
    >>> fast, slow = AdelsonBergen(n=3), AdelsonBergen(n=5)
    >>> fast.dc_gain, slow.dc_gain
    (0.0, 0.0)
    >>> import math
    >>> t = 0.03
    >>> kt = 100 * t
    >>> paper = kt**3 * math.exp(-kt) * (1 / 6 - kt**2 / 120)
    >>> bool(abs(float(fast.impulse_response(t)) - 100 * paper) < 1e-12)
    True
    """

    k: float = 100.0
    n: int = 3

    def __post_init__(self) -> None:
        k = check_range(check_positive(self.k, "k"), "k", *RATE_RANGE, unit="1/s")
        object.__setattr__(self, "k", k)
        object.__setattr__(self, "n", _check_stages(self.n, "n", minimum=0))

    @property
    def components(self) -> tuple[tuple[float, int, float], ...]:
        """``((1.0, n + 1, 1/k), (-1.0, n + 3, 1/k))``."""
        tau = 1.0 / self.k
        return ((1.0, self.n + 1, tau), (-1.0, self.n + 3, tau))


# --------------------------------------------------------------------------- space-time
def _check_spatial(value: object, name: str, *, linear: bool = False) -> ReceptiveField:
    if not isinstance(value, ReceptiveField):
        raise TypeError(f"`{name}` must be a ReceptiveField (e.g. Gabor), got {_describe(value)}")
    if linear and value.is_energy:
        raise TypeError(
            f"`{name}` must be a linear RF, got the energy model {type(value).__name__}"
        )
    return value


def _check_temporal(value: object, name: str) -> TemporalKernel:
    if not isinstance(value, TemporalKernel):
        raise TypeError(
            f"`{name}` must be a TemporalKernel (e.g. Monophasic), got {_describe(value)}"
        )
    return value


def _space_time_frequencies(fx: object, fy: object, ft: object):
    fx_, fy_ = _frequencies(fx, fy)
    ft_ = _temporal_frequencies(ft, "ft")
    _check_broadcast({"fx": fx_, "fy": fy_, "ft": ft_})
    return fx_, fy_, ft_


def _check_space_time_memory(
    rf: object, side: int, n_taps: int, ppd: float, fps: float, complex_: bool
) -> None:
    """Refuse a ``(T, side, side)`` kernel whose working memory exceeds the budget."""
    per = 16.0 if complex_ else 8.0
    check_memory(
        3.0 * per * n_taps * side * side,
        f"the {n_taps} x {side}x{side} space-time kernel of {rf!r} at {ppd:g} px/deg and "
        f"{fps:g} frames/s",
    )


@dataclass(frozen=True)
class SeparableRF:
    """A space-time separable RF: ``w(x, y, t) = spatial(x, y) * temporal(t)``.

    Its spectrum is the product ``H(fx, fy, ft) = W(fx, fy) T(ft)``, so its
    response to a grating drifting at ``ft`` Hz has amplitude
    ``|W(f)| |T(ft)|``, the same whichever way it drifts: a separable RF is
    never direction selective.

    Parameters
    ----------
    spatial : ReceptiveField
        Any spatial RF of :mod:`cortex.receptive_fields` (a
        :class:`~cortex.ComplexCell` gives the complex linear stage of the
        energy model).
    temporal : TemporalKernel
        The temporal kernel.

    Raises
    ------
    TypeError
        If ``spatial`` is not a :class:`~cortex.ReceptiveField` or
        ``temporal`` not a :class:`TemporalKernel`.

    Examples
    --------
    >>> from cortex import Gaussian
    >>> from cortex.temporal import Monophasic, SeparableRF
    >>> rf = SeparableRF(Gaussian(sigma=0.2), Monophasic(tau=0.01, n=3))
    >>> rf.kernel(pixels_per_degree=10, frames_per_second=100).shape
    (20, 13, 13)
    >>> complex(rf.frequency_response(0.0, 0.0, 0.0))
    (1+0j)
    """

    spatial: ReceptiveField
    temporal: TemporalKernel

    def __post_init__(self) -> None:
        _check_spatial(self.spatial, "spatial")
        _check_temporal(self.temporal, "temporal")

    def profile(self, x: object, y: object, t: object) -> np.ndarray:
        """The RF at offsets ``(x, y)`` deg and lag ``t`` s (units 1/(deg^2 s)).

        Parameters
        ----------
        x, y : array_like
            Offsets from the RF centre in degrees, ``|.| <= 1e9``.
        t : array_like
            Lags in seconds, ``|t| <= 1e12`` (0 for ``t < 0``).

        Returns
        -------
        numpy.ndarray
            ``spatial.profile(x, y) * temporal.impulse_response(t)``,
            broadcast.

        Raises
        ------
        TypeError, ValueError
            If an argument is not numeric, holds NaN or infinite or too large
            values, or the three do not broadcast together.
        """
        t_ = _times(t)
        space = self.spatial.profile(x, y)
        _check_broadcast({"x, y": space, "t": t_})
        return space * self.temporal.impulse_response(t_)

    def kernel(
        self,
        pixels_per_degree: float,
        frames_per_second: float,
        *,
        n_sigma: float = 3.0,
        duration: float | None = None,
    ) -> np.ndarray:
        """Sample the RF: the temporal taps times the spatial kernel.

        Parameters
        ----------
        pixels_per_degree : float
            Spatial sampling density, in ``[1e-6, 1e6]`` px/deg.
        frames_per_second : float
            Frame rate in Hz, in ``[1e-6, 1e6]``.
        n_sigma : float, optional
            Spatial support in sigmas (see
            :meth:`cortex.ReceptiveField.kernel`).
        duration : float, optional
            Temporal support in seconds (see :meth:`TemporalKernel.kernel`);
            default: the temporal kernel's :attr:`~TemporalKernel.support`.

        Returns
        -------
        numpy.ndarray, shape (T, H, W)
            ``taps[:, None, None] * spatial_kernel``: tap 0 is lag 0, row 0
            the top of the RF.  float64 (complex128 for a
            :class:`~cortex.ComplexCell`).  The response of a neuron centred
            at a pixel to a movie is ``np.convolve`` over frames of the
            spatial inner products (see the module docstring).

        Raises
        ------
        TypeError, ValueError
            If a parameter is not a real number or out of its range.
        cortex.MemoryBudgetError
            If the kernel and its temporaries (24 bytes a value, 48 complex) would exceed
            :func:`cortex.memory_budget` (checked before allocating).

        Warns
        -----
        UserWarning
            As :meth:`cortex.ReceptiveField.kernel` (an undersampled RF).
        """
        side = 2 * self.spatial.kernel_radius(pixels_per_degree, n_sigma) + 1
        n_taps = self.temporal.n_taps(frames_per_second, duration)
        _check_space_time_memory(
            self, side, n_taps, pixels_per_degree, frames_per_second, self.spatial.is_energy
        )
        taps = self.temporal.kernel(frames_per_second, duration=duration)
        space = self.spatial.kernel(pixels_per_degree, n_sigma=n_sigma)
        return taps[:, np.newaxis, np.newaxis] * space[np.newaxis]

    def frequency_response(self, fx: object, fy: object, ft: object) -> np.ndarray:
        """``spatial.frequency_response(fx, fy) * temporal.frequency_response(ft)``.

        Parameters
        ----------
        fx, fy : array_like
            Spatial frequencies in cycles/degree, ``|.| <= 1e9``.
        ft : array_like
            Temporal frequencies in Hz, ``|ft| <= 1e9``.

        Returns
        -------
        numpy.ndarray
            complex128, the three arguments broadcast together.

        Raises
        ------
        TypeError
            If an argument is not numeric.
        ValueError
            If an argument holds NaN, infinite or too large values, or the
            three do not broadcast together.
        """
        fx, fy, ft = _space_time_frequencies(fx, fy, ft)
        return self.spatial.frequency_response(fx, fy) * self.temporal.frequency_response(ft)


def _pad_to(kernel: np.ndarray, side: int) -> np.ndarray:
    """Zero-pad an odd square kernel to ``side x side``, keeping its centre."""
    pad = (side - kernel.shape[0]) // 2
    return np.pad(kernel, pad) if pad else kernel


@dataclass(frozen=True)
class DirectionSelectiveRF:
    """A direction-selective linear RF: the sum of two separable products.

    ``w(x, y, t) = even(x, y) fast(t) + odd(x, y) slow(t)`` (Adelson & Bergen
    1985; Watson & Ahumada 1985: see the module's references).  With a
    quadrature pair of Gabors of orientation ``theta`` (``even`` of phase 0,
    ``odd`` of phase 90, as :meth:`from_gabor` builds) and a ``slow`` kernel
    that lags ``fast`` by a phase between 0 and 180 degrees, the RF is
    oriented in space-time and prefers motion in direction ``theta`` (0 =
    rightward, 90 = upward; see the module docstring): a bright edge crossing
    the odd Gabor's positive lobe (at ``-u``) drives the slow path, and
    reaches the even Gabor's centre just as that drive arrives.

    Exactly: for a grating of spatial frequency vector ``f`` along ``theta``
    (``|f| > 0``) at ``ft > 0`` Hz, with ``A = fast + i slow`` and
    ``B = fast - i slow`` at ``ft``, ``|H(f, ft)|**2 - |H(f, -ft)|**2`` is
    ``(E(|f| - f0)**2 - E(|f| + f0)**2) (|A|**2 - |B|**2) / 4`` (``E`` the
    Gabor's envelope spectrum), positive whenever
    ``Im(fast conj(slow)) > 0``.  :class:`AdelsonBergen` fast/slow pairs of
    equal ``k`` meet this at every frequency.  Rotating the RF by 180 degrees
    swaps the preferred and the opposite direction.

    Parameters
    ----------
    spatial_even, spatial_odd : ReceptiveField
        Linear spatial RFs (not :class:`~cortex.ComplexCell`).
    temporal_fast, temporal_slow : TemporalKernel
        The kernels that multiply ``spatial_even`` and ``spatial_odd``.

    Raises
    ------
    TypeError
        If a part has the wrong type.

    See Also
    --------
    SeparableRF : one separable product (no direction selectivity).

    Examples
    --------
    >>> from cortex.temporal import DirectionSelectiveRF
    >>> rf = DirectionSelectiveRF.from_gabor(spatial_frequency=1.0, direction=0.0)
    >>> rf.direction
    0.0
    >>> preferred = abs(complex(rf.frequency_response(1.0, 0.0, 8.0)))   # drifting right
    >>> opposite = abs(complex(rf.frequency_response(-1.0, 0.0, 8.0)))   # drifting left
    >>> bool(preferred > 2 * opposite)
    True
    """

    spatial_even: ReceptiveField
    spatial_odd: ReceptiveField
    temporal_fast: TemporalKernel
    temporal_slow: TemporalKernel

    def __post_init__(self) -> None:
        _check_spatial(self.spatial_even, "spatial_even", linear=True)
        _check_spatial(self.spatial_odd, "spatial_odd", linear=True)
        _check_temporal(self.temporal_fast, "temporal_fast")
        _check_temporal(self.temporal_slow, "temporal_slow")

    @classmethod
    def from_gabor(
        cls,
        spatial_frequency: float,
        direction: float = 0.0,
        *,
        temporal: tuple[TemporalKernel, TemporalKernel] | None = None,
        sigma_x: float | None = None,
        sigma_y: float | None = None,
        amplitude: float = 1.0,
    ) -> DirectionSelectiveRF:
        """A quadrature Gabor pair times a fast/slow pair, preferring ``direction``.

        Parameters
        ----------
        spatial_frequency : float
            Carrier frequency in cycles/degree (as :class:`~cortex.Gabor`).
        direction : float, optional
            Preferred direction of motion in degrees, counter-clockwise from
            ``+x`` (0 = rightward, 90 = upward); the Gabors' orientation.
        temporal : tuple of TemporalKernel, optional
            ``(fast, slow)``.  Default: Adelson & Bergen's pair
            ``(AdelsonBergen(k=100, n=3), AdelsonBergen(k=100, n=5))``.
        sigma_x, sigma_y, amplitude : float, optional
            As :class:`~cortex.Gabor` (default: a 1-octave bandwidth).

        Returns
        -------
        DirectionSelectiveRF
            ``even = Gabor(spatial_frequency, direction, phase=0, ...)``,
            ``odd`` the same with phase 90.

        Raises
        ------
        TypeError
            If ``direction`` is not a real number, ``temporal`` is not a pair
            of :class:`TemporalKernel`, or a Gabor parameter has the wrong
            type.
        ValueError
            If ``direction`` is not finite, ``temporal`` does not hold two
            kernels, or a Gabor parameter is out of its range.
        """
        direction = check_finite(direction, "direction")
        if temporal is None:
            temporal = (AdelsonBergen(100.0, 3), AdelsonBergen(100.0, 5))
        elif not isinstance(temporal, tuple | list):
            raise TypeError(
                f"`temporal` must be a pair (fast, slow) of TemporalKernel, got "
                f"{_describe(temporal)}"
            )
        if len(temporal) != 2:
            raise ValueError(
                f"`temporal` must be a pair (fast, slow) of TemporalKernel, got "
                f"{len(temporal)} item(s)"
            )
        fast = _check_temporal(temporal[0], "temporal[0]")
        slow = _check_temporal(temporal[1], "temporal[1]")
        even = Gabor(spatial_frequency, direction, 0.0, sigma_x, sigma_y, amplitude)
        return cls(even, replace(even, phase=90.0), fast, slow)

    @property
    def direction(self) -> float | None:
        """Preferred direction in degrees ``[0, 360)`` for a quadrature Gabor pair, else None.

        Defined when ``spatial_even`` and ``spatial_odd`` are Gabors equal
        but for their phases, which are 0 and 90 degrees (as
        :meth:`from_gabor` builds them).
        """
        even, odd = self.spatial_even, self.spatial_odd
        if not (isinstance(even, Gabor) and isinstance(odd, Gabor)):
            return None
        if (even.phase % 360.0, odd.phase % 360.0) != (0.0, 90.0) or replace(
            odd, phase=even.phase
        ) != even:
            return None
        return float(even.orientation % 360.0)

    def kernel(
        self,
        pixels_per_degree: float,
        frames_per_second: float,
        *,
        n_sigma: float = 3.0,
        duration: float | None = None,
    ) -> np.ndarray:
        """Sample the RF: ``fast[:, None, None] * even + slow[:, None, None] * odd``.

        Parameters
        ----------
        pixels_per_degree : float
            Spatial sampling density, in ``[1e-6, 1e6]`` px/deg.
        frames_per_second : float
            Frame rate in Hz, in ``[1e-6, 1e6]``.
        n_sigma : float, optional
            Spatial support in sigmas of the larger of the two spatial RFs
            (the smaller kernel is zero-padded).
        duration : float, optional
            Temporal support in seconds; default: the longer of the two
            kernels' supports.

        Returns
        -------
        numpy.ndarray, shape (T, H, W)
            float64; tap 0 is lag 0, row 0 the top of the RF.

        Raises
        ------
        TypeError, ValueError
            If a parameter is not a real number or out of its range.
        cortex.MemoryBudgetError
            If the kernel and its temporaries (24 bytes a value) would exceed
            :func:`cortex.memory_budget` (checked before allocating).

        Warns
        -----
        UserWarning
            As :meth:`cortex.ReceptiveField.kernel` (an undersampled RF).
        """
        if duration is None:
            duration = max(self.temporal_fast.support, self.temporal_slow.support)
        side = (
            2
            * max(
                self.spatial_even.kernel_radius(pixels_per_degree, n_sigma),
                self.spatial_odd.kernel_radius(pixels_per_degree, n_sigma),
            )
            + 1
        )
        n_taps = self.temporal_fast.n_taps(frames_per_second, duration)
        _check_space_time_memory(self, side, n_taps, pixels_per_degree, frames_per_second, False)
        fast = self.temporal_fast.kernel(frames_per_second, duration=duration)
        slow = self.temporal_slow.kernel(frames_per_second, duration=duration)
        even = _pad_to(self.spatial_even.kernel(pixels_per_degree, n_sigma=n_sigma), side)
        odd = _pad_to(self.spatial_odd.kernel(pixels_per_degree, n_sigma=n_sigma), side)
        out = fast[:, np.newaxis, np.newaxis] * even[np.newaxis]
        out += slow[:, np.newaxis, np.newaxis] * odd[np.newaxis]
        return out

    def frequency_response(self, fx: object, fy: object, ft: object) -> np.ndarray:
        """Analytic spectrum ``W_even(fx, fy) T_fast(ft) + W_odd(fx, fy) T_slow(ft)``.

        Parameters
        ----------
        fx, fy : array_like
            Spatial frequencies in cycles/degree, ``|.| <= 1e9``.
        ft : array_like
            Temporal frequencies in Hz, ``|ft| <= 1e9``.

        Returns
        -------
        numpy.ndarray
            complex128, the arguments broadcast together.  The response to a
            grating drifting along ``(fx, fy)`` at ``ft > 0`` Hz has amplitude
            ``|H(fx, fy, ft)|``.

        Raises
        ------
        TypeError, ValueError
            As :meth:`SeparableRF.frequency_response`.
        """
        fx, fy, ft = _space_time_frequencies(fx, fy, ft)
        even = self.spatial_even.frequency_response(fx, fy)
        odd = self.spatial_odd.frequency_response(fx, fy)
        return even * self.temporal_fast.frequency_response(
            ft
        ) + odd * self.temporal_slow.frequency_response(ft)
