"""Analysis in time: temporal-frequency and direction tuning, the spatiotemporal STA, x-t slices.

The experiments of this module show movies (:mod:`cortex.movies`) to neurons
with spatiotemporal receptive fields (:class:`~cortex.temporal.SeparableRF`,
:class:`~cortex.temporal.DirectionSelectiveRF`) and measure their firing
rates with :func:`cortex.dynamics.spatiotemporal_responses`.

Units: time in seconds, temporal frequency in Hz, spatial frequency in
cycles/degree, directions of motion in degrees counter-clockwise from ``+x``
(**0 = rightward, 90 = upward**; :mod:`cortex.temporal`'s convention), rates
in spikes/s.

Drifting gratings and the steady state
--------------------------------------
:func:`temporal_frequency_tuning` and :func:`direction_tuning` show full-field
gratings drifting at ``temporal_frequency`` Hz
(:func:`cortex.movies.drifting_grating`).  Every movie starts with a warm-up
as long as the longest temporal kernel (its
:attr:`~cortex.temporal.TemporalKernel.support`, in whole frames), which is
discarded: after it the response is exactly periodic.  The next ``duration``
seconds are analysed, cut down to a whole number of cycles of the drift (at
least one), ``N`` frames at times ``t_n = n / fps`` (``n`` counted from the
start of the movie):

* the **mean rate** (F0) is the average of the ``N`` rates;
* the **F1 amplitude** is that of the least-squares fit of
  ``a + b cos(2 pi f t_n) + c sin(2 pi f t_n)`` to them, ``sqrt(b**2 + c**2)``
  (the amplitude of the first harmonic; for a linear neuron, exactly the
  amplitude of its sinusoidal response).

A linear neuron's F1 amplitude is the gain of its RF at the grating,
``|H(fx, fy, ft)|`` (:meth:`~cortex.temporal.SeparableRF.frequency_response`),
times ``sinc(ft / fps)`` for the frames being held (see
:meth:`cortex.temporal.TemporalKernel.kernel`), up to the sampling of the RF
in pixels and frames.

Spike-triggered averages in time
--------------------------------
:func:`spatiotemporal_sta` averages the frames of a (white-noise) movie that
precede each spike: lag 0 is the frame in which the spike occurs, lag ``k``
the frame ``k`` frames before it.  This is the sampling of
:meth:`cortex.temporal.SeparableRF.kernel`, whose tap ``k`` is lag ``k``: for
a linear-nonlinear-Poisson neuron and Gaussian white noise the STA converges
to a multiple of that kernel, placed at the neuron's site (Chichilnisky 2001,
A simple white noise analysis of neuronal light responses, *Network* 12,
199-213).

Space-time slices
-----------------
:func:`xt_slice` cuts a movie or a space-time kernel ``(T, H, W)`` through
one row: ``x`` against time, where motion is orientation (Adelson & Bergen
1985); :func:`cortex.plotting.plot_xt` draws it in degrees and seconds.

References
----------
.. [1] Adelson, E. H. & Bergen, J. R. (1985). Spatiotemporal energy models for
   the perception of motion. *J. Opt. Soc. Am. A* 2(2), 284-299.
.. [2] Mazurek, M., Kager, M. & Van Hooser, S. D. (2014). Robust quantification
   of orientation selectivity and direction selectivity. *Front. Neural
   Circuits* 8, 92.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .._validation import (
    _describe,
    check_choice,
    check_finite,
    check_integer,
    check_memory,
    check_values_range,
    float_array,
)
from ..dynamics import _separable_terms, spatiotemporal_responses
from ..mosaic import Mosaic
from ..movies import Movie, drifting_grating
from ..population import Population, _resolve_nonlinearities
from ..spikes import SpikeTrains
from ..temporal import MAX_DURATION, _check_duration, _check_fps
from ..visual_field import VisualField
from ._common import ANGLE_LIMIT, MAX_CONTRAST, check_scalar_range
from ._curves import _half_height_crossings, _peak
from ._gratings import NYQUIST_NOTE

__all__ = [
    "DirectionTuning",
    "TemporalFrequencyTuning",
    "direction_tuning",
    "spatiotemporal_sta",
    "temporal_frequency_tuning",
    "xt_slice",
]

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


# --------------------------------------------------------------------------- temporal frequency
@dataclass(frozen=True)
class TemporalFrequencyTuning:
    """Responses of units to gratings drifting at several temporal frequencies.

    Attributes
    ----------
    frequencies : numpy.ndarray, shape (n_frequencies,)
        Temporal frequencies in Hz, each in ``(0, frames_per_second / 2)``.
    mean : numpy.ndarray, shape (n_frequencies, n_units)
        Mean rate (F0) over the steady state, spikes/s.
    f1 : numpy.ndarray, shape (n_frequencies, n_units)
        Amplitude of the first harmonic (F1) of the rates, spikes/s, >= 0.
    spatial_frequency : float
        Of the gratings, cycles/degree (> 0).
    direction : float
        Direction of the drift, degrees (0 = rightward, 90 = upward).
    frames_per_second : float
        Frame rate of the movies, Hz.

    Raises
    ------
    TypeError
        If a field has the wrong type (arrays not numeric, booleans and
        strings refused; numbers not real numbers).
    ValueError
        If ``frequencies`` is not 1-D, empty, not finite or out of
        ``(0, frames_per_second / 2)``; ``mean`` or ``f1`` is not
        ``(n_frequencies, n_units)`` or not finite, or ``f1`` is negative;
        ``spatial_frequency`` is not > 0; ``direction`` is not finite; or
        ``frames_per_second`` is out of ``[1e-6, 1e6]``.

    See Also
    --------
    temporal_frequency_tuning : measures it.
    """

    frequencies: np.ndarray
    mean: np.ndarray
    f1: np.ndarray
    spatial_frequency: float
    direction: float
    frames_per_second: float

    def __post_init__(self) -> None:
        fps = _check_fps(self.frames_per_second)
        frequencies = float_array(self.frequencies, "frequencies", ndims=(1,))
        _check_temporal_frequencies(frequencies, "frequencies", fps)
        mean, f1 = _result_arrays(self, "frequencies", frequencies.size)
        spatial_frequency = check_scalar_range(
            self.spatial_frequency, "spatial_frequency", 0.0, None, low_open=True
        )
        direction = check_finite(self.direction, "direction")
        for name, value in (
            ("frequencies", frequencies),
            ("mean", mean),
            ("f1", f1),
            ("spatial_frequency", spatial_frequency),
            ("direction", direction),
            ("frames_per_second", fps),
        ):
            object.__setattr__(self, name, value)

    @property
    def n_units(self) -> int:
        """Number of units (columns of :attr:`mean` and :attr:`f1`)."""
        return int(self.f1.shape[1])

    def responses(self, statistic: str = "f1") -> np.ndarray:
        """:attr:`f1` or :attr:`mean`, ``(n_frequencies, n_units)``.

        Raises
        ------
        TypeError, ValueError
            If ``statistic`` is not ``"mean"`` or ``"f1"``.
        """
        return self.f1 if _check_statistic(statistic) == "f1" else self.mean

    def preferred_frequency(self, statistic: str = "f1") -> np.ndarray:
        """The temporal frequency that drives each unit most, Hz.

        The peak of the curve, refined by a parabola through it and its
        neighbours on a log-frequency axis (the sampled peak when it is at an
        end of the range).

        Parameters
        ----------
        statistic : {"f1", "mean"}, optional
            Which response: the F1 amplitude (the modulation a linear or
            simple cell shows) or the mean rate.

        Returns
        -------
        numpy.ndarray, shape (n_units,)
            Hz; NaN for a unit whose curve is flat (a silent unit).

        Raises
        ------
        TypeError, ValueError
            If ``statistic`` is not ``"mean"`` or ``"f1"``.
        """
        r = self.responses(statistic)
        order = np.argsort(self.frequencies)
        x = self.frequencies[order]
        silent = _silent(r)
        return np.array(
            [
                math.nan if silent[u] else _peak(x, r[order, u], None, True)
                for u in range(self.n_units)
            ]
        )

    def bandwidth(self, statistic: str = "f1") -> np.ndarray:
        """Full width of each unit's curve at half height, in octaves.

        ``log2(f_high / f_low)`` between the frequencies where the curve has
        fallen halfway from its maximum to its minimum, interpolated on a
        log-frequency axis.

        Parameters
        ----------
        statistic : {"f1", "mean"}, optional
            As :meth:`preferred_frequency`.

        Returns
        -------
        numpy.ndarray, shape (n_units,)
            Octaves; NaN for silent units and where the curve does not fall
            to half height inside the tested range on both sides.

        Raises
        ------
        TypeError, ValueError
            If ``statistic`` is not ``"mean"`` or ``"f1"``.
        """
        r = self.responses(statistic)
        order = np.argsort(self.frequencies)
        x = self.frequencies[order]
        silent = _silent(r)
        out = np.full(self.n_units, math.nan)
        for u in range(self.n_units):  # a loop over units of a small result, not pixels
            if not silent[u]:
                out[u] = sum(_half_height_crossings(x, r[order, u], None, True))
        return out


def temporal_frequency_tuning(
    rf: object,
    field: VisualField,
    frequencies: object,
    *,
    spatial_frequency: float,
    direction: float = 0.0,
    frames_per_second: float = 100.0,
    duration: float | None = None,
    mosaic: Mosaic | None = None,
    baseline: float = 0.0,
    gain: float = 1.0,
    nonlinearity: object = None,
    contrast: float = 1.0,
) -> TemporalFrequencyTuning:
    """Temporal-frequency tuning: F1 and mean rate for gratings drifting at each frequency.

    For each temporal frequency a full-field grating of ``spatial_frequency``
    drifts in ``direction`` (:func:`cortex.movies.drifting_grating`); the
    rates of the neurons (:func:`cortex.dynamics.spatiotemporal_responses`)
    are analysed in the steady state (see the module docstring): the mean rate
    and the amplitude of the first harmonic at the drift frequency.  With the
    default ``nonlinearity=None`` the response is linear, and for a
    :class:`~cortex.temporal.SeparableRF` the F1 amplitude is
    ``|W(fx, fy)| |T(ft)|``, the RF's spatial gain times its temporal gain
    (times ``sinc(ft / frames_per_second)`` for the held frames): a band-pass
    temporal kernel gives a band-pass curve.

    Parameters
    ----------
    rf : SeparableRF, DirectionSelectiveRF or sequence of them
        One RF per neuron type (as :func:`~cortex.dynamics.spatiotemporal_responses`).
    field : VisualField
        The field the gratings cover.
    frequencies : array_like, shape (n_frequencies,)
        Temporal frequencies in Hz, each in ``(0, frames_per_second / 2)``.
    spatial_frequency : float
        Of the gratings, cycles/degree, in ``(0, pixels_per_degree / 2]``.
    direction : float, optional
        Direction of the drift, degrees (0 = rightward, 90 = upward), within
        ``+-1e6``.
    frames_per_second : float, optional
        Frame rate of the movies, Hz, in ``[1e-6, 1e6]``.
    duration : float, optional
        Seconds of steady state to analyse (after the warm-up), in
        ``(0, 1e9]``; cut down to whole cycles of each frequency, and it must
        hold at least one cycle of the lowest.  Default: ``max(1, 2 / f_min)``
        s (two cycles of the lowest frequency, at least 1 s).
    mosaic : Mosaic, optional
        Where the neurons sit (on ``field``); default one site at ``(0, 0)``.
    baseline : float, optional
        Spontaneous rate added to the drive, spikes/s.
    gain : float, optional
        Spikes/s per unit of linear drive (as
        :func:`~cortex.dynamics.spatiotemporal_responses`).
    nonlinearity : None, str, callable or sequence, optional
        Static nonlinearity of the rates (as :func:`cortex.responses`);
        default None, the linear response.
    contrast : float, optional
        Of the gratings, in ``[0, 1e6]``.

    Returns
    -------
    TemporalFrequencyTuning
        ``mean`` and ``f1`` of shape ``(n_frequencies, n_types * n_sites)``
        (neuron ``j`` is type ``j // n_sites`` at site ``j % n_sites``).

    Raises
    ------
    TypeError
        If ``rf`` is not spatiotemporal RFs, ``field`` not a VisualField,
        ``mosaic`` not a Mosaic, ``frequencies`` not numeric (booleans and
        strings are refused), a number not a real number, or ``nonlinearity``
        not a nonlinearity.
    ValueError
        If ``rf`` is empty, ``mosaic`` is on another field, ``frequencies`` is
        not 1-D, empty, not finite or out of ``(0, fps / 2)``,
        ``spatial_frequency`` is out of ``(0, pixels_per_degree / 2]``, a
        number is out of its range, ``duration`` holds less than one cycle of
        the lowest frequency, ``nonlinearity`` is unknown, or the rates are not
        finite.
    cortex.MemoryBudgetError
        If one movie, or the rates, would exceed :func:`cortex.memory_budget`
        (checked before allocating).

    Warns
    -----
    RuntimeWarning
        If a unit's rates are the same for every stimulus (a silent unit, or
        one whose drive never crosses its nonlinearity's threshold).

    See Also
    --------
    direction_tuning : the same gratings in several directions.

    Examples
    --------
    >>> import numpy as np
    >>> import cortex
    >>> from cortex.analysis import temporal_frequency_tuning
    >>> from cortex.temporal import Biphasic, SeparableRF
    >>> field = cortex.VisualField(2.0, 2.0, pixels_per_degree=16)
    >>> rf = SeparableRF(cortex.Gabor(2.0), Biphasic(tau1=0.005, tau2=0.01))
    >>> tuning = temporal_frequency_tuning(rf, field, [1.0, 4.0, 16.0], spatial_frequency=2.0)
    >>> tuning.f1.shape
    (3, 1)
    >>> bool(tuning.f1[1, 0] > tuning.f1[0, 0])  # band-pass: 4 Hz beats 1 Hz
    True
    >>> gain = abs(rf.frequency_response(2.0, 0.0, 4.0)) * np.sinc(4.0 / 100)
    >>> bool(abs(tuning.f1[1, 0] / gain - 1) < 0.01)
    True
    """
    rfs, field, mosaic, spatial_frequency, fps, duration, baseline, gain, contrast = _check_common(
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
    )
    frequencies = float_array(frequencies, "frequencies", ndims=(1,))
    _check_temporal_frequencies(frequencies, "frequencies", fps)
    direction = check_scalar_range(direction, "direction", -ANGLE_LIMIT, ANGLE_LIMIT, unit="deg")
    if duration is None:
        duration = min(max(1.0, 2.0 / float(frequencies.min())), MAX_DURATION)
    n_analysed = [_analysed_frames(duration, fps, f, "frequencies") for f in frequencies]
    warmup = _warmup_frames(rfs, fps)
    mean, f1 = [], []
    for frequency, n_frames in zip(frequencies, n_analysed, strict=True):  # conditions
        m, a = _steady_state(
            rfs,
            mosaic,
            field,
            fps,
            warmup,
            n_frames,
            spatial_frequency=spatial_frequency,
            temporal_frequency=float(frequency),
            direction=direction,
            contrast=contrast,
            baseline=baseline,
            gain=gain,
            nonlinearity=nonlinearity,
        )
        mean.append(m)
        f1.append(a)
    mean, f1 = np.array(mean), np.array(f1)
    _warn_unresponsive(mean, f1, "these drifting gratings")
    return TemporalFrequencyTuning(frequencies, mean, f1, spatial_frequency, direction, fps)


# --------------------------------------------------------------------------- direction
@dataclass(frozen=True)
class DirectionTuning:
    """Responses of units to a grating drifting in several directions.

    Attributes
    ----------
    directions : numpy.ndarray, shape (n_directions,)
        Directions of motion in degrees (0 = rightward, 90 = upward), within
        ``+-1e6``.
    mean : numpy.ndarray, shape (n_directions, n_units)
        Mean rate (F0) over the steady state, spikes/s.
    f1 : numpy.ndarray, shape (n_directions, n_units)
        Amplitude of the first harmonic (F1) at the drift frequency,
        spikes/s, >= 0.
    spatial_frequency : float
        Of the grating, cycles/degree (> 0).
    temporal_frequency : float
        Of the drift, Hz (> 0).

    Raises
    ------
    TypeError
        If a field has the wrong type (arrays not numeric, booleans and
        strings refused; numbers not real numbers).
    ValueError
        If ``directions`` is not 1-D, empty, not finite or beyond ``+-1e6``;
        ``mean`` or ``f1`` is not ``(n_directions, n_units)`` or not finite,
        or ``f1`` is negative; or a frequency is not > 0 and finite.

    Notes
    -----
    The summaries (:meth:`preferred_direction`,
    :meth:`direction_selectivity_index`, :meth:`circular_variance`) count
    negative responses as 0, and are meant for directions evenly spaced over
    360 degrees.  A spontaneous rate (``baseline``) adds to the response in
    every direction and so lowers the DSI; subtract it first if the
    stimulus-driven selectivity is wanted.

    See Also
    --------
    direction_tuning : measures it.
    """

    directions: np.ndarray
    mean: np.ndarray
    f1: np.ndarray
    spatial_frequency: float
    temporal_frequency: float

    def __post_init__(self) -> None:
        directions = float_array(self.directions, "directions", ndims=(1,))
        check_values_range(directions, "directions", -ANGLE_LIMIT, ANGLE_LIMIT, unit="deg")
        mean, f1 = _result_arrays(self, "directions", directions.size)
        frequencies = {
            name: check_scalar_range(getattr(self, name), name, 0.0, None, low_open=True)
            for name in ("spatial_frequency", "temporal_frequency")
        }
        for name, value in (
            ("directions", directions),
            ("mean", mean),
            ("f1", f1),
            *frequencies.items(),
        ):
            object.__setattr__(self, name, value)

    @property
    def n_units(self) -> int:
        """Number of units (columns of :attr:`mean` and :attr:`f1`)."""
        return int(self.mean.shape[1])

    def responses(self, statistic: str = "mean") -> np.ndarray:
        """:attr:`mean` or :attr:`f1`, ``(n_directions, n_units)``.

        Raises
        ------
        TypeError, ValueError
            If ``statistic`` is not ``"mean"`` or ``"f1"``.
        """
        return self.mean if _check_statistic(statistic) == "mean" else self.f1

    def _vector_sum(self, statistic: str) -> tuple[np.ndarray, np.ndarray]:
        """``(sum_d R e^{i theta_d}, sum_d R)`` per unit, responses clipped at 0."""
        r = np.clip(self.responses(statistic), 0.0, None)
        phases = np.exp(1j * np.deg2rad(self.directions))
        return phases @ r, r.sum(axis=0)

    def preferred_direction(self, statistic: str = "mean") -> np.ndarray:
        """Each unit's preferred direction: the angle of the vector average, degrees.

        ``angle(sum_d R_d exp(i theta_d))`` in ``[0, 360)``.

        Parameters
        ----------
        statistic : {"mean", "f1"}, optional
            Which response: the mean rate or the F1 amplitude.

        Returns
        -------
        numpy.ndarray, shape (n_units,)
            Degrees in ``[0, 360)``; NaN for a unit that never responds
            (all responses <= 0), or whose vector sum is 0 to rounding (no
            preferred direction, e.g. the same response in every direction).

        Raises
        ------
        TypeError, ValueError
            If ``statistic`` is not ``"mean"`` or ``"f1"``.
        """
        vector, total = self._vector_sum(statistic)
        silent = (total <= 0) | (np.abs(vector) <= _SILENT_RTOL * total)
        angle = np.mod(np.rad2deg(np.angle(vector)), 360.0)
        angle = np.where(angle >= 360.0 * (1 - 1e-12), 0.0, angle)  # mod of a tiny negative
        return np.where(silent, math.nan, angle)

    def direction_selectivity_index(self, statistic: str = "mean") -> np.ndarray:
        """``DSI = (R_pref - R_null) / (R_pref + R_null)`` per unit.

        ``R_pref`` is the largest response, at the direction ``theta_pref``
        where it was measured; ``R_null`` the response at
        ``theta_pref + 180``, interpolated linearly around the circle when
        that direction was not measured.  Negative responses count as 0, so
        the DSI is in ``[0, 1]``: 0 for a unit that responds equally to both
        directions of motion, 1 for one silent in the null direction.

        Parameters
        ----------
        statistic : {"mean", "f1"}, optional
            Which response.

        Returns
        -------
        numpy.ndarray, shape (n_units,)
            NaN for a unit that never responds (all responses <= 0); 0 for
            one that responds the same in every direction.

        Raises
        ------
        TypeError, ValueError
            If ``statistic`` is not ``"mean"`` or ``"f1"``.
        """
        r = np.clip(self.responses(statistic), 0.0, None)
        theta = np.mod(self.directions, 360.0)
        order = np.argsort(theta)
        x, r_sorted = theta[order], r[order]
        best = np.argmax(r_sorted, axis=0)
        out = np.full(self.n_units, math.nan)
        for u in range(self.n_units):  # a loop over units of a small result, not pixels
            pref = r_sorted[best[u], u]
            null = float(np.interp(x[best[u]] + 180.0, x, r_sorted[:, u], period=360.0))
            if pref > 0:
                out[u] = (pref - null) / (pref + null)
        return out

    def circular_variance(self, statistic: str = "mean") -> np.ndarray:
        """``1 - |sum_d R_d exp(i theta_d)| / sum_d R_d`` per unit (direction space).

        0 for a unit that responds to one direction only, 1 for one that
        responds equally to all (or, e.g., equally to two opposite ones).
        Negative responses count as 0.

        Parameters
        ----------
        statistic : {"mean", "f1"}, optional
            Which response.

        Returns
        -------
        numpy.ndarray, shape (n_units,)
            In ``[0, 1]``; NaN for a unit that never responds (all
            responses <= 0).

        Raises
        ------
        TypeError, ValueError
            If ``statistic`` is not ``"mean"`` or ``"f1"``.
        """
        vector, total = self._vector_sum(statistic)
        silent = total <= 0
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = 1.0 - np.abs(vector) / total
        return np.where(silent, math.nan, np.clip(cv, 0.0, 1.0))


def direction_tuning(
    rf: object,
    field: VisualField,
    directions: object,
    *,
    spatial_frequency: float,
    temporal_frequency: float,
    frames_per_second: float = 100.0,
    duration: float | None = None,
    nonlinearity: object = "rectify",
    baseline: float = 0.0,
    gain: float = 1.0,
    mosaic: Mosaic | None = None,
    contrast: float = 1.0,
) -> DirectionTuning:
    """Direction tuning: the responses to a grating drifting in each direction.

    For each direction a full-field grating (``spatial_frequency``,
    ``temporal_frequency``) drifts that way
    (:func:`cortex.movies.drifting_grating`); the rates
    (:func:`cortex.dynamics.spatiotemporal_responses`, rectified by default)
    are analysed in the steady state (see the module docstring): the mean rate
    and the F1 amplitude.  A :class:`~cortex.temporal.DirectionSelectiveRF`
    built with ``direction=d`` prefers ``d``; a
    :class:`~cortex.temporal.SeparableRF` responds equally to ``d`` and
    ``d + 180`` (DSI 0).

    Parameters
    ----------
    rf : SeparableRF, DirectionSelectiveRF or sequence of them
        One RF per neuron type (as :func:`~cortex.dynamics.spatiotemporal_responses`).
    field : VisualField
        The field the grating covers.
    directions : array_like, shape (n_directions,)
        Directions of motion, degrees (0 = rightward, 90 = upward), within
        ``+-1e6``; evenly spaced over 360 degrees for the summaries of
        :class:`DirectionTuning`.
    spatial_frequency : float
        Cycles/degree, in ``(0, pixels_per_degree / 2]``.
    temporal_frequency : float
        Hz, in ``(0, frames_per_second / 2)``.
    frames_per_second : float, optional
        Frame rate of the movies, Hz, in ``[1e-6, 1e6]``.
    duration : float, optional
        Seconds of steady state to analyse (after the warm-up), in
        ``(0, 1e9]``, cut down to whole cycles (at least one).  Default:
        ``max(1, 2 / temporal_frequency)`` s.
    nonlinearity : None, str, callable or sequence, optional
        Static nonlinearity of the rates (as :func:`cortex.responses`);
        default ``"rectify"``.
    baseline : float, optional
        Spontaneous rate added to the drive before the nonlinearity, spikes/s.
    gain : float, optional
        Spikes/s per unit of linear drive (as
        :func:`~cortex.dynamics.spatiotemporal_responses`).
    mosaic : Mosaic, optional
        Where the neurons sit (on ``field``); default one site at ``(0, 0)``.
    contrast : float, optional
        Of the grating, in ``[0, 1e6]``.

    Returns
    -------
    DirectionTuning
        ``mean`` and ``f1`` of shape ``(n_directions, n_types * n_sites)``.

    Raises
    ------
    TypeError
        If ``rf`` is not spatiotemporal RFs, ``field`` not a VisualField,
        ``mosaic`` not a Mosaic, ``directions`` not numeric (booleans and
        strings are refused), a number not a real number, or ``nonlinearity``
        not a nonlinearity.
    ValueError
        If ``rf`` is empty, ``mosaic`` is on another field, ``directions`` is
        not 1-D, empty, not finite or beyond ``+-1e6``, a frequency is out of
        its range, a number is out of its range, ``duration`` holds less than
        one cycle, ``nonlinearity`` is unknown, or the rates are not finite.
    cortex.MemoryBudgetError
        If one movie, or the rates, would exceed :func:`cortex.memory_budget`
        (checked before allocating).

    Warns
    -----
    RuntimeWarning
        If a unit's rates are the same for every stimulus (a silent unit, or
        one whose drive never crosses its nonlinearity's threshold).

    See Also
    --------
    temporal_frequency_tuning : the same grating at several drift frequencies.

    Examples
    --------
    >>> import numpy as np
    >>> import cortex
    >>> from cortex.analysis import direction_tuning
    >>> from cortex.temporal import DirectionSelectiveRF
    >>> field = cortex.VisualField(2.0, 2.0, pixels_per_degree=16)
    >>> cell = DirectionSelectiveRF.from_gabor(2.0, direction=90.0)
    >>> tuning = direction_tuning(cell, field, np.arange(0, 360, 45.0),
    ...                           spatial_frequency=2.0, temporal_frequency=6.0)
    >>> round(float(tuning.preferred_direction()[0]))
    90
    >>> bool(tuning.direction_selectivity_index()[0] > 0.3)
    True
    """
    rfs, field, mosaic, spatial_frequency, fps, duration, baseline, gain, contrast = _check_common(
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
    )
    directions = float_array(directions, "directions", ndims=(1,))
    check_values_range(directions, "directions", -ANGLE_LIMIT, ANGLE_LIMIT, unit="deg")
    temporal_frequency = check_finite(temporal_frequency, "temporal_frequency")
    _check_temporal_frequencies(np.array([temporal_frequency]), "temporal_frequency", fps)
    if duration is None:
        duration = max(1.0, 2.0 / temporal_frequency)
    n_frames = _analysed_frames(duration, fps, temporal_frequency, "temporal_frequency")
    warmup = _warmup_frames(rfs, fps)
    mean, f1 = [], []
    for direction in directions:  # a loop over stimulus conditions
        m, a = _steady_state(
            rfs,
            mosaic,
            field,
            fps,
            warmup,
            n_frames,
            spatial_frequency=spatial_frequency,
            temporal_frequency=temporal_frequency,
            direction=float(direction),
            contrast=contrast,
            baseline=baseline,
            gain=gain,
            nonlinearity=nonlinearity,
        )
        mean.append(m)
        f1.append(a)
    mean, f1 = np.array(mean), np.array(f1)
    _warn_unresponsive(mean, f1, "this drifting grating")
    return DirectionTuning(directions, mean, f1, spatial_frequency, temporal_frequency)


# --------------------------------------------------------------------------- STA in time
def _spike_weights(spikes_or_rates: object, movie: Movie) -> np.ndarray:
    """Weights ``(T, n_neurons)`` of the frames: spike counts per frame, or the rates."""
    name = "spikes_or_rates"
    n_frames, fps = movie.n_frames, movie.frames_per_second
    if isinstance(spikes_or_rates, SpikeTrains):
        trains = spikes_or_rates
        if abs(trains.duration - movie.duration) > 0.5 / fps:
            raise ValueError(
                f"`{name}` must span the movie: its {trains.duration:g} s differ from the "
                f"movie's {movie.duration:g} s ({n_frames} frames at {fps:g} frames/s)"
            )
        check_memory(
            8.0 * n_frames * trains.n_neurons + 24.0 * trains.n_spikes,
            f"the spike counts of {trains.n_neurons} neuron(s) in {n_frames} frames",
        )
        frame = np.floor((trains.time - trains.t_start) * fps).astype(np.int64)
        np.clip(frame, 0, n_frames - 1, out=frame)
        counts = np.bincount(
            frame * trains.n_neurons + trains.neuron, minlength=n_frames * trains.n_neurons
        )
        return counts.reshape(n_frames, trains.n_neurons).astype(np.float64)
    if isinstance(spikes_or_rates, np.ndarray) and spikes_or_rates.ndim == 2:
        check_memory(
            8.0 * spikes_or_rates.size, f"the rates of {spikes_or_rates.shape[1]} neuron(s)"
        )
    rates = float_array(spikes_or_rates, name, ndims=(2,))
    if rates.shape[0] != n_frames:
        raise ValueError(
            f"`{name}` must have one row per frame of the movie ({n_frames}), got shape "
            f"{rates.shape}"
        )
    check_values_range(rates, name, 0.0, None, unit="spikes/s", why=" (firing rates)")
    return rates


def spatiotemporal_sta(spikes_or_rates: object, movie: Movie, n_lags: int) -> np.ndarray:
    """Spike-triggered average over time lags: the frames that precede each spike, averaged.

    ``sta[i, k]`` is the average of frame ``n - k`` over the spikes of neuron
    ``i``, ``n`` being the frame in which a spike occurs (lag 0 is that frame,
    lag ``k`` the frame ``k`` frames before).  Given rates instead of spikes,
    it is the rate-weighted average of the frames, the expectation of the STA
    of the spikes those rates would make.  Only spikes (or rates) from frame
    ``n_lags - 1`` on count, so that every lag averages the same spikes.

    For a linear-nonlinear neuron and white noise, the STA converges to a
    multiple of its space-time kernel
    (:meth:`cortex.temporal.SeparableRF.kernel`, tap ``k`` = lag ``k``)
    placed at its site: ``sta[i, k, r0:r0 + h, c0:c0 + w]`` against
    ``kernel[k]``.

    Computed as one matrix product per lag, ``(n_neurons, T') x (T', H * W)``
    (BLAS), with ``T' = T - n_lags + 1``.

    Parameters
    ----------
    spikes_or_rates : cortex.spikes.SpikeTrains or array_like, shape (T, n_neurons)
        The spikes (each assigned to the frame that contains it,
        ``floor((time - t_start) * fps)``; the trains must last as long as
        the movie, to half a frame), or firing rates per frame, spikes/s,
        finite and >= 0.
    movie : cortex.movies.Movie
        The stimulus, ``T`` frames (e.g.
        :func:`cortex.movies.white_noise_movie`), contrast units.
    n_lags : int
        Number of lags, in ``[1, T]``.

    Returns
    -------
    numpy.ndarray, shape (n_neurons, n_lags, H, W)
        float64, in the movie's units (contrast); NaN for a neuron without
        spikes (or with zero rates) from frame ``n_lags - 1`` on.

    Raises
    ------
    TypeError
        If ``spikes_or_rates`` is neither SpikeTrains nor numeric (booleans
        and strings are refused), ``movie`` is not a Movie, or ``n_lags`` is
        not an integer.
    ValueError
        If the rates are not 2-D with one row per frame, hold negative, NaN or
        infinite values; the trains do not span the movie; or ``n_lags`` is
        not in ``[1, T]``.
    cortex.MemoryBudgetError
        If the STA (``8 n_neurons n_lags H W`` bytes) and its working arrays
        would exceed :func:`cortex.memory_budget` (checked before allocating).

    Warns
    -----
    RuntimeWarning
        If a neuron has no spikes (zero weight): its STA is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> import cortex
    >>> from cortex.analysis import spatiotemporal_sta
    >>> from cortex.movies import Movie
    >>> field = cortex.VisualField(0.5, 0.5, pixels_per_degree=4)  # 2 x 2 px
    >>> frames = np.arange(5 * 4.0).reshape(5, 2, 2)
    >>> movie = Movie(frames, frames_per_second=10, field=field)
    >>> rates = np.array([[0.0], [0.0], [1.0], [0.0], [0.0]])  # one "spike", in frame 2
    >>> sta = spatiotemporal_sta(rates, movie, n_lags=2)
    >>> sta.shape
    (1, 2, 2, 2)
    >>> sta[0, 0].tolist(), sta[0, 1].tolist()  # frame 2, then frame 1
    ([[8.0, 9.0], [10.0, 11.0]], [[4.0, 5.0], [6.0, 7.0]])
    """
    if not isinstance(movie, Movie):
        raise TypeError(f"`movie` must be a cortex.movies.Movie, got {_describe(movie)}")
    if not isinstance(spikes_or_rates, SpikeTrains | np.ndarray | list | tuple):
        raise TypeError(
            "`spikes_or_rates` must be a SpikeTrains or an array of rates (T, n_neurons), got "
            f"{_describe(spikes_or_rates)}"
        )
    n_frames = movie.n_frames
    n_lags = check_integer(n_lags, "n_lags", minimum=1)
    if n_lags > n_frames:
        raise ValueError(f"`n_lags` must be <= the movie's {n_frames} frames, got {n_lags}")
    weights = _spike_weights(spikes_or_rates, movie)
    n_neurons = weights.shape[1]
    rows, cols = movie.field.shape
    pixels = rows * cols
    used = n_frames - n_lags + 1
    check_memory(
        8.0 * (n_neurons * n_lags * pixels + n_neurons * pixels + n_neurons * used)
        + (8.0 * n_frames * pixels if movie.frames.dtype != np.float64 else 0.0),
        f"the spatiotemporal STA of {n_neurons} neuron(s) x {n_lags} lags x {rows}x{cols} px",
    )
    frames = np.asarray(movie.frames, dtype=np.float64).reshape(n_frames, pixels)
    w = np.ascontiguousarray(weights[n_lags - 1 :].T)  # (n_neurons, T')
    total = w.sum(axis=1)
    out = np.empty((n_neurons, n_lags, pixels))
    for k in range(n_lags):  # one (n_neurons, T') x (T', P) product per lag
        np.matmul(w, frames[n_lags - 1 - k : n_frames - k], out=out[:, k])
    silent = total <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out /= np.where(silent, 1.0, total)[:, np.newaxis, np.newaxis]
    if silent.any():
        out[silent] = np.nan
        names = ", ".join(str(i) for i in np.flatnonzero(silent)[:5])
        warnings.warn(
            f"{int(silent.sum())} neuron(s) have no spikes from frame {n_lags - 1} on "
            f"(neuron(s) {names}): their STA is NaN",
            RuntimeWarning,
            stacklevel=2,
        )
    return out.reshape(n_neurons, n_lags, rows, cols)


# --------------------------------------------------------------------------- x-t slices
def xt_slice(data: object, *, row: int | None = None, y: float | None = None) -> np.ndarray:
    """The space-time (x-t) slice of a movie or a space-time kernel through one row.

    A grating or bar moving horizontally traces oblique stripes in this
    slice, of slope ``dx/dt`` = its speed; a direction-selective RF's kernel
    is oriented in it (Adelson & Bergen 1985).  Because a kernel's rows are
    lags (time before the response), a kernel's stripes lean the opposite way
    to those of the movie it prefers.

    Parameters
    ----------
    data : cortex.movies.Movie or array_like, shape (T, H, W)
        A movie, its frames, or a space-time kernel such as
        :meth:`cortex.temporal.SeparableRF.kernel` (tap ``k`` = lag ``k``,
        row 0 the top); real or complex.
    row : int, optional
        The row, in ``[0, H)`` (0 is the top).  Default: the centre row,
        ``H // 2`` (the row of a kernel's centre).
    y : float, optional
        For a :class:`~cortex.movies.Movie` only, instead of ``row``: the
        height in degrees (``y`` up) whose nearest row is taken.

    Returns
    -------
    numpy.ndarray, shape (T, W)
        A copy of ``data[:, row, :]``: time (or lag) down the rows, ``x``
        (left to right) along the columns; float64 (complex128 if complex).

    Raises
    ------
    TypeError
        If ``data`` is not a Movie nor numeric (booleans and strings are
        refused), ``row`` is not an integer, ``y`` not a real number, or ``y``
        is given for an array.
    ValueError
        If the array is not 3-D, is empty or not finite, both ``row`` and
        ``y`` are given, ``row`` is not in ``[0, H)``, or ``y`` is beyond the
        field.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.analysis import xt_slice
    >>> kernel = np.arange(2 * 3 * 4.0).reshape(2, 3, 4)  # (T, H, W)
    >>> xt_slice(kernel).tolist()  # the centre row of both frames
    [[4.0, 5.0, 6.0, 7.0], [16.0, 17.0, 18.0, 19.0]]
    >>> xt_slice(kernel, row=0).shape
    (2, 4)
    """
    if isinstance(data, Movie):
        array = data.frames
    else:
        if y is not None:
            raise TypeError(
                "`y` (degrees) needs a Movie, whose field gives the rows their heights; "
                f"`data` is {_describe(data)}: give `row` instead"
            )
        try:
            kind = np.asarray(data).dtype.kind
        except (TypeError, ValueError):  # ragged: float_array phrases it
            kind = ""
        if kind == "c":
            array = np.asarray(data)
            float_array(np.abs(array), "data", ndims=(3,))  # shape and finiteness
        else:
            array = float_array(data, "data", ndims=(3,))
    n_rows = array.shape[1]
    if row is not None and y is not None:
        raise ValueError("give `row` or `y`, not both")
    if y is not None:
        y = check_finite(y, "y")
        field = data.field
        half = field.height / 2
        if abs(y) > half:
            raise ValueError(f"`y` must be in [-{half:g}, {half:g}] deg (the field), got {y:g}")
        row = int(np.clip(np.round((n_rows - 1) / 2 - y * field.pixels_per_degree), 0, n_rows - 1))
    elif row is None:
        row = n_rows // 2
    else:
        row = check_integer(row, "row")
        if not 0 <= row < n_rows:
            raise ValueError(f"`row` must be in [0, {n_rows}), got {row}")
    out = np.array(array[:, row, :])
    return out.astype(np.complex128 if np.iscomplexobj(out) else np.float64, copy=False)
