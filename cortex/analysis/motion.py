"""Analysis in time: temporal-frequency tuning with drifting gratings.

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

Direction tuning (:func:`direction_tuning`, the same steady state) lives in
:mod:`cortex.analysis.direction`, the reverse correlation in time and x-t
slices (:func:`spatiotemporal_sta`, :func:`xt_slice`) in
:mod:`cortex.analysis.spacetime`; they are re-exported here, so ``from
cortex.analysis.motion import direction_tuning`` still works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_finite, float_array
from ..mosaic import Mosaic
from ..temporal import MAX_DURATION, _check_fps
from ..visual_field import VisualField
from ._common import ANGLE_LIMIT, check_scalar_range
from ._curves import _half_height_crossings, _peak
from ._steady_state import (
    _analysed_frames,
    _check_common,
    _check_statistic,
    _check_temporal_frequencies,
    _result_arrays,
    _silent,
    _steady_state,
    _warmup_frames,
    _warn_unresponsive,
)

# moved to cortex.analysis.direction and .spacetime; re-exported so that the old import
# paths keep working (that module imports this one's helpers, not this module)
from .direction import DirectionTuning, direction_tuning  # noqa: F401
from .spacetime import spatiotemporal_sta, xt_slice  # noqa: F401

__all__ = ["TemporalFrequencyTuning", "temporal_frequency_tuning"]


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
