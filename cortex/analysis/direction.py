"""Analysis in time: direction tuning with drifting gratings.

:func:`direction_tuning` shows a grating drifting in each of several
directions to neurons with spatiotemporal receptive fields
(:class:`~cortex.temporal.SeparableRF`,
:class:`~cortex.temporal.DirectionSelectiveRF`) and measures their rates in
the steady state, as :func:`cortex.analysis.temporal_frequency_tuning` does
(the warm-up, the analysed whole cycles, the mean rate and the F1 amplitude
are described in :mod:`cortex.analysis.motion`).  :class:`DirectionTuning`
holds the responses and derives the preferred direction, the direction
selectivity index and the circular variance (Mazurek et al. 2014 [1]_).

Units: temporal frequency in Hz, spatial frequency in cycles/degree,
directions of motion in degrees counter-clockwise from ``+x`` (**0 =
rightward, 90 = upward**; :mod:`cortex.temporal`'s convention), rates in
spikes/s.

References
----------
.. [1] Mazurek, M., Kager, M. & Van Hooser, S. D. (2014). Robust quantification
   of orientation selectivity and direction selectivity. *Front. Neural
   Circuits* 8, 92.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_finite, check_values_range, float_array
from ..mosaic import Mosaic
from ..visual_field import VisualField
from ._common import ANGLE_LIMIT, check_scalar_range
from ._steady_state import (
    _SILENT_RTOL,
    _analysed_frames,
    _check_common,
    _check_statistic,
    _check_temporal_frequencies,
    _result_arrays,
    _steady_state,
    _warmup_frames,
    _warn_unresponsive,
)

__all__ = ["DirectionTuning", "direction_tuning"]


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
    are analysed in the steady state (see :mod:`cortex.analysis.motion`): the mean rate
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
