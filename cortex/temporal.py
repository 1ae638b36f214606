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
    "CosineBump",
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


# --------------------------------------------------------------------------- bmtk's cosine bumps
# bmtk's cosine-bump kernel (bmtk 1.2.0: bmtk/simulator/filternet/lgnmodel/temporalfilter.py,
# ``TemporalFilterCosineBump``, built by ``fitfuns.makeBasis_StimKernel``), in bmtk's own
# units: one sample is one millisecond.
#: bmtk samples its temporal kernels every millisecond (``t_support`` steps of 0.001 s).
_BUMP_RATE = 1000.0
#: the bumps are evaluated at ``nkt = 600`` samples (lags 1..600 samples).
_BUMP_SAMPLES = 600
#: the offset ``b`` (ms) of bmtk's log time axis, ``log(t + b)``.
_BUMP_OFFSET = 0.3
#: the bumps' width ``db`` on the log axis, from bmtk's hard-coded ``ylim = (100, 200)`` ms.
_BUMP_SPACING = math.log(200.0 + _BUMP_OFFSET) - math.log(100.0 + _BUMP_OFFSET)
#: largest |weight| (dimensionless), peak time and delay (s) of a CosineBump.
_MAX_BUMP_WEIGHT = 1e6
_MAX_BUMP_PEAK = 1e3
_MAX_BUMP_DELAY = 10.0


def _check_pair(value: object, name: str) -> tuple[float, float]:
    """Two finite real numbers (a tuple, list or 1-D array of length 2)."""
    if not isinstance(value, tuple | list | np.ndarray):
        raise TypeError(f"`{name}` must be a pair of numbers, got {_describe(value)}")
    if isinstance(value, np.ndarray) and value.ndim != 1:
        raise ValueError(f"`{name}` must be a pair of numbers, got an array of shape {value.shape}")
    if len(value) != 2:
        raise ValueError(f"`{name}` must hold 2 numbers (bmtk's two bumps), got {len(value)}")
    first, second = (check_finite(item, f"{name}[{i}]") for i, item in enumerate(value))
    return first, second


def _bump_samples(
    weights: tuple[float, float], kpeaks_ms: tuple[float, float], delays: tuple[int, int]
) -> np.ndarray:
    """The samples of bmtk's ``kernel_data``: ``600 + delays[0]``, one a ms (see CosineBump)."""
    length = _BUMP_SAMPLES + delays[0]
    lags = np.arange(1, _BUMP_SAMPLES + 1, dtype=np.float64)  # bmtk's lags 1..600 samples
    out = np.zeros(length)
    for k in range(2):
        # fitfuns.ff: (cos(clip((log(t + b) - log(kpeak)) * pi / db / 2, -pi, pi)) + 1) / 2
        x = (np.log(lags + _BUMP_OFFSET) - math.log(kpeaks_ms[k])) * math.pi / _BUMP_SPACING / 2
        bump = (np.cos(np.clip(x, -math.pi, math.pi)) + 1.0) / 2.0
        column = bump[: max(length - delays[k], 0)]  # delayed by delays[k], cut at the length
        norm = math.sqrt(float(np.sum(column * column)))
        if norm == 0.0:
            raise ValueError(
                f"`kpeaks[{k}]` = {kpeaks_ms[k] / _BUMP_RATE:g} s puts bump {k} outside bmtk's "
                f"window of {length - delays[k]} samples after its delay (it spans lags of "
                f"{kpeaks_ms[k] * math.exp(-2 * _BUMP_SPACING) - 1.3:.4g} to "
                f"{kpeaks_ms[k] * math.exp(2 * _BUMP_SPACING) - 1.3:.4g} ms): all its samples "
                "are 0"
            )
        out[delays[k] :] += weights[k] * (column / norm)
    return out


@dataclass(frozen=True)
class CosineBump(TemporalKernel):
    """bmtk's cosine-bump temporal filter (FilterNet's LGN cells), in seconds.

    The Allen Institute's Brain Modeling Toolkit (bmtk 1.2.0,
    ``bmtk.simulator.filternet``) gives each LGN cell a temporal filter
    ``TemporalFilterCosineBump(weights, kpeaks, delays)``: the weighted sum of
    two raised-cosine bumps on a logarithmic time axis.  **bmtk's units are
    milliseconds** (its filters are sampled every 1 ms: ``kpeaks`` and
    ``delays`` are in samples); **here they are seconds**, as everywhere in
    :mod:`cortex` (:meth:`from_bmtk` converts).

    bmtk's kernel is a sequence of 1 ms samples ``a_j`` (``kernel_data``,
    :attr:`samples`), built from the two bumps (``b = 0.3`` ms, bump width
    ``db = log(200.3 / 100.3)`` from bmtk's hard-coded ``ylim = (100, 200)``)::

        bump_k(s) = (1 + cos(clip((log(s + b) - log(kpeak_k)) pi / (2 db), -pi, pi))) / 2
        a_j = sum_k weights[k] * bump_k(j + 1 - delay_k) / norm_k   (j >= delay_k, else 0)

    ``s`` and ``j`` in samples (ms), ``j = 0 .. 599 + delays[0]``: bmtk
    evaluates the bumps at lags of 1 to 600 samples and uses the sample of
    lag ``s`` as the weight of lag ``s - 1`` (it keeps rows ``[-1 - nkt:-1]``
    of its flipped basis), so bump ``k`` peaks at lag
    ``kpeak_k - b - 1 + delay_k`` ms; ``norm_k`` is the Euclidean norm of
    bump ``k``'s samples in the window (each bump has unit energy).  bmtk's
    response at 1000 frames/s is ``y[n] = sum_j a_j s[n - j]``.

    **The continuous kernel** is the staircase that holds each sample for its
    millisecond (units 1/s)::

        h(t) = 1000 a_j   for j <= 1000 t < j + 1,   0 for t < 0

    constant over each millisecond, so that its integral over a millisecond is
    that millisecond's sample: cortex's taps (frame integrals, see
    :meth:`TemporalKernel.kernel`) at bmtk's 1 kHz are bmtk's samples.  So:

    * at 1000 frames/s, :meth:`kernel` returns bmtk's samples ``a_j``
      exactly, and responses equal bmtk's;
    * at ``1000 / m`` frames/s (``m`` a whole number), tap ``k`` is the
      sum ``a_{km} + ... + a_{km + m - 1}``: the response equals
      bmtk's 1 kHz response to the same movie shown at 1 kHz (each frame
      repeated ``m`` times), read at the last millisecond of each frame;
    * at other rates the taps are exact integrals of ``h`` (the held frames'
      response).  bmtk itself samples its kernel differently there (linear
      interpolation of the 1 ms samples at ``j / fps``, times ``1000 / fps``:
      point samples, which can miss a fast cell's lobes: at 30 frames/s,
      tON_TF8's taps sum to -14.6 instead of its DC gain +1.06); cortex's
      taps keep the kernel's area at every rate.

    Its spectrum is analytic (a finite sum): with ``x = f / 1000``,
    ``H(f) = exp(-i pi x) sinc(x) sum_j a_j exp(-2 pi i x j)``: the hold's
    ``sinc`` times the samples' discrete-time Fourier transform.  Impulse and
    step responses, DC gain, support and taps are exact too.  (It is not a
    sum of gamma densities: :attr:`~TemporalKernel.components` is not
    defined.)

    Parameters
    ----------
    weights : pair of float
        The two bumps' weights (dimensionless, ``|w| <= 1e6``); bmtk requires
        ``weights[0] > 0``.  ON cells in bmtk have ``weights[0] > 0`` and a
        negative ``weights[1]`` (a biphasic filter); the cell's sign is its
        spatial filter's amplitude.
    kpeaks : pair of float
        The bumps' peak parameters in **seconds** (bmtk's ``kpeaks`` / 1000),
        in ``(0, 1000]`` with ``kpeaks[0] < kpeaks[1]``; each bump must reach
        into bmtk's 600-sample window.
    delays : pair of float, optional
        The bumps' delays in **seconds**, whole milliseconds (bmtk's delays
        are sample counts), in ``[0, 10]`` with ``delays[0] <= delays[1]``.

    Raises
    ------
    TypeError
        If a parameter is not a pair of real numbers (booleans and strings
        are refused).
    ValueError
        If a value is NaN, infinite or out of its range, breaks bmtk's
        ordering (``weights[0] > 0``, ``kpeaks[0] < kpeaks[1]``,
        ``delays[0] <= delays[1]``), a delay is not whole milliseconds, or a
        bump has no sample in bmtk's window.

    See Also
    --------
    cortex.filternet : populations from bmtk's per-cell parameters.

    Examples
    --------
    bmtk's ``tON_TF8`` cell (weights 4.2185 / -2.4050, kpeaks 8.5246 /
    23.2468 ms, no delays):

    >>> import numpy as np
    >>> from cortex.temporal import CosineBump
    >>> k = CosineBump.from_bmtk([4.2185, -2.4050], [8.5246, 23.2468], [0, 0])
    >>> k.kpeaks, k.delays
    ((0.0085246, 0.0232468), (0.0, 0.0))
    >>> taps = k.kernel(frames_per_second=1000)  # bmtk's own 1 ms samples
    >>> len(taps), k.support
    (92, 0.092)
    >>> bool(np.array_equal(taps, k.samples[:92])), int(np.argmax(taps))
    (True, 6)
    >>> bool(abs(k.kernel(30).sum() - k.dc_gain) < 1e-12)  # area kept at 30 frames/s
    True
    """

    weights: tuple[float, float]
    kpeaks: tuple[float, float]
    delays: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        weights = _check_pair(self.weights, "weights")
        for i, w in enumerate(weights):
            check_range(w, f"weights[{i}]", -_MAX_BUMP_WEIGHT, _MAX_BUMP_WEIGHT)
        if weights[0] <= 0:
            raise ValueError(f"`weights[0]` must be > 0 (as bmtk requires), got {weights[0]:g}")
        kpeaks = _check_pair(self.kpeaks, "kpeaks")
        for i, kpeak in enumerate(kpeaks):
            check_range(kpeak, f"kpeaks[{i}]", 0.0, _MAX_BUMP_PEAK, low_open=True, unit="s")
        if not kpeaks[0] < kpeaks[1]:
            raise ValueError(
                f"`kpeaks` must increase (as bmtk requires: the first bump is the faster), "
                f"got {kpeaks[0]:g} and {kpeaks[1]:g} s"
            )
        delays = _check_pair(self.delays, "delays")
        samples = []
        for i, delay in enumerate(delays):
            check_range(delay, f"delays[{i}]", 0.0, _MAX_BUMP_DELAY, unit="s")
            count = round(delay * _BUMP_RATE)
            if abs(delay * _BUMP_RATE - count) > 1e-6:
                raise ValueError(
                    f"`delays[{i}]` must be whole milliseconds (bmtk delays by whole 1 ms "
                    f"samples), got {delay:g} s"
                )
            samples.append(count)
        if delays[0] > delays[1]:
            raise ValueError(
                f"`delays` must not decrease (as bmtk requires), got {delays[0]:g} and "
                f"{delays[1]:g} s"
            )
        kpeaks_ms = (kpeaks[0] * _BUMP_RATE, kpeaks[1] * _BUMP_RATE)
        values = _bump_samples(weights, kpeaks_ms, (samples[0], samples[1]))
        values.flags.writeable = False
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "kpeaks", kpeaks)
        object.__setattr__(self, "delays", (samples[0] / _BUMP_RATE, samples[1] / _BUMP_RATE))
        object.__setattr__(self, "_samples", values)
        object.__setattr__(self, "_cumulative", np.concatenate(([0.0], np.cumsum(values))))
        nonzero = np.flatnonzero(values)
        object.__setattr__(self, "_length", int(nonzero[-1]) + 1)

    @classmethod
    def from_bmtk(cls, weights: object, kpeaks: object, delays: object = (0, 0)) -> CosineBump:
        """The kernel of bmtk's ``TemporalFilterCosineBump(weights, kpeaks, delays)``.

        Parameters
        ----------
        weights : pair of float
            bmtk's ``weights``.
        kpeaks : pair of float
            bmtk's ``kpeaks``, in **milliseconds** (1 ms samples).
        delays : pair of float, optional
            bmtk's ``delays`` in milliseconds; like bmtk (``astype(int)``),
            fractions are dropped (truncated towards 0).

        Returns
        -------
        CosineBump
            ``CosineBump(weights, kpeaks / 1000, trunc(delays) / 1000)``:
            its :attr:`samples` equal bmtk's ``kernel_data`` (to rounding).

        Raises
        ------
        TypeError, ValueError
            As the constructor.
        """
        kpeaks_ = _check_pair(kpeaks, "kpeaks")
        delays_ = _check_pair(delays, "delays")
        return cls(
            weights,
            (kpeaks_[0] / _BUMP_RATE, kpeaks_[1] / _BUMP_RATE),
            (math.trunc(delays_[0]) / _BUMP_RATE, math.trunc(delays_[1]) / _BUMP_RATE),
        )

    @property
    def samples(self) -> np.ndarray:
        """The ``600 + delays[0]`` samples ``a_j`` of bmtk's ``kernel_data``, one a millisecond.

        Read-only, float64; sample ``j`` is the weight of lag ``j`` ms (the
        integral of :meth:`impulse_response` over ``[j, j + 1)`` ms).
        """
        return self._samples  # type: ignore[attr-defined]

    def impulse_response(self, t: object) -> np.ndarray:
        """The staircase ``h(t) = 1000 a_j`` for ``j <= 1000 t < j + 1`` (1/s), 0 for ``t < 0``.

        Parameters
        ----------
        t : array_like
            Times in seconds, ``|t| <= 1e12``.  A time within ``1e-12`` s
            below a millisecond boundary counts as on it (so ``j / 1000``
            reads sample ``j`` despite rounding).

        Returns
        -------
        numpy.ndarray
            float64 array of the shape of ``t``.

        Raises
        ------
        TypeError
            If ``t`` is not numeric (None, strings, booleans).
        ValueError
            If ``t`` holds NaN, infinite or larger than ``1e12`` values.
        """
        t = _times(t)
        samples = self.samples
        cell = np.floor(t * _BUMP_RATE + 1e-9)
        inside = (t >= 0) & (cell < len(samples))
        index = np.where(inside, cell, 0).astype(np.intp)
        return np.where(inside, samples[index] * _BUMP_RATE, 0.0)

    def step_response(self, t: object) -> np.ndarray:
        """The response to a unit step at ``t = 0``: piecewise linear through the samples' sums.

        Parameters
        ----------
        t : array_like
            Times in seconds, ``|t| <= 1e12``.

        Returns
        -------
        numpy.ndarray
            float64 array of the shape of ``t``: 0 for ``t <= 0``,
            ``a_0 + ... + a_{j-1}`` at ``t = j`` ms, :attr:`dc_gain` after the
            last sample.

        Raises
        ------
        TypeError, ValueError
            As :meth:`impulse_response`.
        """
        t = _times(t)
        cumulative = self._cumulative  # type: ignore[attr-defined]
        grid = np.arange(len(cumulative), dtype=np.float64)
        return np.asarray(np.interp(np.maximum(t, 0.0) * _BUMP_RATE, grid, cumulative))

    def frequency_response(self, f: object) -> np.ndarray:
        """Analytic spectrum ``H(f) = exp(-i pi x) sinc(x) sum_j a_j exp(-2 pi i x j)``, x = f/1000.

        Parameters
        ----------
        f : array_like
            Temporal frequencies in Hz, ``|f| <= 1e9``.

        Returns
        -------
        numpy.ndarray
            complex128 array of the shape of ``f`` (``H(0)`` is
            :attr:`dc_gain`, ``H(-f) = conj(H(f))``).

        Raises
        ------
        TypeError
            If ``f`` is not numeric.
        ValueError
            If ``f`` holds NaN, infinite or larger than ``1e9`` values.
        """
        f = _temporal_frequencies(f)
        x = f / _BUMP_RATE
        frac = x - np.round(x)  # exact; the phases only need x modulo 1
        z = np.exp(-2j * math.pi * frac)
        dtft = np.polynomial.polynomial.polyval(z, self.samples[: self._length])  # type: ignore[attr-defined]
        # exp(-i pi x) sin(pi x) / (pi x) = exp(-i pi frac) sin(pi frac) / (pi x)
        safe = np.where(x == 0, 1.0, x)
        hold = np.where(x == 0, 1.0, np.sin(math.pi * frac) / (math.pi * safe))
        return np.asarray(hold * np.exp(-1j * math.pi * frac) * dtft, dtype=np.complex128)

    @property
    def dc_gain(self) -> float:
        """``H(0)``: the sum of the samples (the response to a constant signal of 1)."""
        return math.fsum(self.samples)

    @property
    def support(self) -> float:
        """Seconds after which ``h`` is exactly 0: the last non-zero sample's end (ms / 1000)."""
        return self._length / _BUMP_RATE  # type: ignore[attr-defined]

    def kernel(self, frames_per_second: float, *, duration: float | None = None) -> np.ndarray:
        """Sample the kernel at a frame rate: taps integrating ``h`` over each frame.

        Parameters
        ----------
        frames_per_second : float
            Frame rate in Hz, in ``[1e-6, 1e6]``.
        duration : float, optional
            The kernel covers lags ``[0, duration)`` seconds (rounded up to
            whole frames, see :meth:`~TemporalKernel.n_taps`); in
            ``(0, 1e9]``.  Default: :attr:`support`.

        Returns
        -------
        numpy.ndarray, shape (K,)
            float64 taps: tap ``k`` is the integral of ``h`` over
            ``[k / fps, (k + 1) / fps)``.  At ``1000 / m`` frames/s (``m``
            whole) these are sums of ``m`` samples (at 1000 frames/s, bmtk's
            samples themselves, bit for bit); at other rates, differences of
            the exact step response (to rounding of the running sums).

        Raises
        ------
        TypeError
            If a parameter is not a real number.
        ValueError
            If a parameter is out of its range.
        cortex.MemoryBudgetError
            If the taps and their working arrays (about 64 bytes a tap) would
            exceed :func:`cortex.memory_budget` (checked before allocating).
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
        n = self.n_taps(fps, duration)
        samples = self.samples[: self._length]  # type: ignore[attr-defined]
        per_frame = _BUMP_RATE / fps  # samples per frame
        whole = round(per_frame)
        taps = np.zeros(n)
        if whole >= 1 and abs(per_frame - whole) <= 1e-9 * whole:
            sums = np.add.reduceat(samples, np.arange(0, len(samples), whole))
            taps[: min(n, len(sums))] = sums[:n]
        else:
            grid = np.arange(len(samples) + 1, dtype=np.float64)
            edges = np.arange(n + 1) * per_frame  # in samples
            cumulative = self._cumulative[: len(samples) + 1]  # type: ignore[attr-defined]
            taps = np.diff(np.interp(edges, grid, cumulative))
        return taps


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
