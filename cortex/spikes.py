"""Spike trains: Poisson and gamma-renewal spikes from firing rates, and their statistics.

A population's responses to a movie are firing rates, ``(T, n_neurons)``
spikes/s, one row per frame of ``1 / frames_per_second`` s.  This module
turns them into spikes and measures the spikes:

:func:`poisson_spikes`
    An inhomogeneous Poisson process whose rate is constant over each frame:
    the number of spikes of every (frame, neuron) bin is drawn from
    ``Poisson(rate * dt)`` and the spikes are placed uniformly within the
    frame.  Exact for piecewise-constant rates (no Bernoulli approximation:
    a frame may hold several spikes).
:func:`gamma_spikes`
    A gamma renewal process (order ``k``: interval CV ``1 / sqrt(k)``, more
    regular than Poisson for ``k > 1``, like a refractory neuron; ``k = 1``
    is Poisson) following the same rates by time rescaling.
:class:`SpikeTrains`
    The spikes of a population as two flat arrays, ``neuron`` and ``time``
    (sorted by time, then neuron), with counts in bins, the PSTH, mean rates,
    the Fano factor and the coefficient of variation of the inter-spike
    intervals.

Units: times and durations in seconds, rates in spikes/s (Hz).

The statistics follow the definitions of Elephant (``elephant.statistics``),
so that they can be compared exactly with it:

* :meth:`SpikeTrains.psth` is ``time_histogram(trains, bin_size,
  output="rate")``: spike counts summed over the chosen neurons, divided by
  their number and by the bin width.  Bins are ``[t_start + k * bin_width,
  t_start + (k + 1) * bin_width)``; when the duration is not a whole number of
  bins (to a relative tolerance of 1e-8), the last, partial bin is dropped,
  as Elephant's ``BinnedSpikeTrain`` does.
* :meth:`SpikeTrains.fano_factor` is, per neuron, ``fanofactor`` of the
  spike counts of its bins: ``counts.var() / counts.mean()``, the variance
  with ``ddof=0``; NaN when every count is 0.
* :meth:`SpikeTrains.isi_cv` is, per neuron, ``cv(isi(train))`` =
  :func:`scipy.stats.variation` of the inter-spike intervals: standard
  deviation (``ddof=0``) over mean; NaN for fewer than 3 spikes (fewer than
  2 intervals), where scipy would return 0 (one interval) or NaN with a
  warning (none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import (
    _describe,
    as_float_array,
    as_rng,
    check_finite,
    check_integer,
    check_memory,
    check_positive,
    check_range,
)

__all__ = ["ORDER_RANGE", "SpikeTrains", "gamma_spikes", "poisson_spikes"]

#: accepted gamma orders: interval CVs from 10 (very bursty) to 0.01 (almost periodic).
ORDER_RANGE = (1e-2, 1e4)
#: relative tolerance under which a duration counts as a whole number of bins.
_BIN_TOLERANCE = 1e-8
#: bytes a spike occupies while it is being made (indices, times, sort order, result).
_BYTES_PER_POISSON_SPIKE = 80.0
#: the same for a drawn gamma interval (intervals, sums, owners, search keys, times).
_BYTES_PER_GAMMA_SPIKE = 160.0


# -- validation helpers ---------------------------------------------------------------------
def _as_int_array(value: object, name: str) -> np.ndarray:
    """``value`` as a 1-D int64 array (empty allowed); booleans and floats are refused."""
    if value is None or isinstance(value, str | bytes | bool | np.bool_):
        raise TypeError(f"`{name}` must be an array of integers, got {_describe(value)}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"`{name}` must be an array of integers, got {_describe(value)}") from exc
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must hold integers, got dtype {array.dtype}")
    if array.dtype.kind == "u" and int(array.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"`{name}` must fit in int64, got maximum {int(array.max())}")
    return array.astype(np.int64, copy=False)


def _is_boolean(value: object) -> bool:
    """Whether ``value`` is a bool or an array of them (booleans are not numbers)."""
    if isinstance(value, bool | np.bool_):
        return True
    try:
        return np.asarray(value).dtype.kind == "b"
    except (TypeError, ValueError):  # ragged: as_float_array phrases it
        return False


def _neuron_indices(neurons: object, n_neurons: int, name: str = "neurons") -> np.ndarray:
    """A selection of neurons: None (all), an index, or a 1-D array of distinct indices."""
    if neurons is None:
        return np.arange(n_neurons, dtype=np.int64)
    if isinstance(neurons, int | np.integer) and not isinstance(neurons, bool | np.bool_):
        neurons = [neurons]
    index = _as_int_array(neurons, name)
    if index.size == 0:
        raise ValueError(f"`{name}` must select at least one neuron, got none")
    low, high = int(index.min()), int(index.max())
    if low < 0 or high >= n_neurons:
        bad = low if low < 0 else high
        raise ValueError(f"`{name}` must be indices in [0, {n_neurons}), got {bad}")
    unique, counts = np.unique(index, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(
            f"`{name}` must not repeat a neuron, got neuron {int(unique[counts > 1][0])} "
            f"{int(counts.max())} times"
        )
    return index


def _check_trains(trains: object) -> SpikeTrains:
    if not isinstance(trains, SpikeTrains):
        raise TypeError(f"`trains` must be a SpikeTrains, got {type(trains).__name__}")
    return trains


def _frame_edges(n_frames: int, frames_per_second: float, t_start: float) -> np.ndarray:
    """Frame boundaries ``t_start + k / fps`` (s), checked to be finite and increasing."""
    dt = 1.0 / frames_per_second
    with np.errstate(over="ignore", invalid="ignore"):
        edges = t_start + np.arange(n_frames + 1) * dt
    if not np.all(np.isfinite(edges)):
        raise ValueError(
            f"`frames_per_second` is too small: {n_frames} frames from `t_start` = {t_start:g} s "
            "end beyond the float range"
        )
    if not np.all(np.diff(edges) > 0):
        raise ValueError(
            f"`frames_per_second` = {frames_per_second:g} is too large to resolve frames at "
            f"`t_start` = {t_start:g} s in float64"
        )
    return edges


def _check_rates(
    rates: object, frames_per_second: object, t_start: object, working_copies: int
) -> tuple[np.ndarray, float, float, np.ndarray]:
    """Validate the generators' common arguments: ``(rates, dt, t_start, frame edges)``.

    The memory of ``working_copies`` float64 arrays of the rates' shape is
    checked from the shape alone, before the values are scanned.
    """
    shape = np.shape(rates) if isinstance(rates, np.ndarray) else None
    if shape is not None and len(shape) == 2:
        check_memory(
            8.0 * working_copies * shape[0] * shape[1],
            f"the working arrays of {shape[0]} frames x {shape[1]} neurons",
        )
    if _is_boolean(rates):
        raise TypeError("`rates` must hold numbers (spikes/s), got booleans")
    array = as_float_array(rates, "rates", ndims=(2,), keep_float32=False)
    if np.any(array < 0):
        raise ValueError(f"`rates` must be >= 0 spikes/s, got minimum {float(array.min()):g}")
    fps = check_positive(frames_per_second, "frames_per_second")
    t0 = check_finite(t_start, "t_start")
    edges = _frame_edges(array.shape[0], fps, t0)
    return array, 1.0 / fps, t0, edges


def _place_in_frames(frame: np.ndarray, fraction: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Times at ``fraction`` (in [0, 1)) of the way through each spike's frame, inside it."""
    start, stop = edges[frame], edges[frame + 1]
    time = start + fraction * (stop - start)
    return np.minimum(time, np.nextafter(stop, -np.inf))  # rounding never leaves the frame


# -- the spike trains ------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class SpikeTrains:
    """The spikes of ``n_neurons`` neurons between ``t_start`` and ``t_stop``.

    Stored as two flat arrays of equal length, one entry per spike: which
    neuron fired and when.  The constructor sorts the spikes by time, then
    neuron, and keeps read-only copies.  Two SpikeTrains are equal (``==``)
    when all fields are equal.

    Parameters
    ----------
    neuron : array_like of int, shape (n_spikes,)
        Index of the neuron of each spike, in ``[0, n_neurons)``.
    time : array_like of float, shape (n_spikes,)
        Time of each spike, seconds, in ``[t_start, t_stop)``.
    n_neurons : int
        Number of neurons (>= 1), silent ones included.
    t_start, t_stop : float
        Start and end of the recording, seconds (``t_start < t_stop``).

    Attributes
    ----------
    neuron : numpy.ndarray of int64, shape (n_spikes,)
        Read-only.
    time : numpy.ndarray of float64, shape (n_spikes,)
        Read-only, seconds, sorted (ties by neuron).
    n_neurons : int
    t_start, t_stop : float
        Seconds.

    Raises
    ------
    TypeError
        If ``neuron`` is not integer (booleans and floats are refused),
        ``time`` is not numeric, ``n_neurons`` is not an int or ``t_start``
        / ``t_stop`` is not a real number.
    ValueError
        If the arrays are not 1-D or differ in length, a time is NaN,
        infinite or outside ``[t_start, t_stop)``, a neuron index is outside
        ``[0, n_neurons)``, ``n_neurons < 1`` or ``t_stop <= t_start``.

    Examples
    --------
    >>> from cortex.spikes import SpikeTrains
    >>> trains = SpikeTrains([1, 0, 0], [0.5, 0.25, 0.75], n_neurons=2, t_start=0.0, t_stop=1.0)
    >>> trains.neuron, trains.time
    (array([0, 1, 0]), array([0.25, 0.5 , 0.75]))
    >>> trains.n_spikes, trains.duration
    (3, 1.0)
    """

    neuron: np.ndarray
    time: np.ndarray
    n_neurons: int
    t_start: float
    t_stop: float

    def __post_init__(self) -> None:
        neuron = _as_int_array(self.neuron, "neuron")
        if _is_boolean(self.time):
            raise TypeError("`time` must hold numbers (seconds), got booleans")
        time = as_float_array(self.time, "time", ndims=(1,), allow_empty=True, keep_float32=False)
        if neuron.shape != time.shape:
            raise ValueError(
                f"`neuron` and `time` must have the same length, got {neuron.size} and {time.size}"
            )
        n_neurons = check_integer(self.n_neurons, "n_neurons", minimum=1)
        t_start = check_finite(self.t_start, "t_start")
        t_stop = check_finite(self.t_stop, "t_stop")
        if not t_stop > t_start:
            raise ValueError(f"`t_stop` must be > `t_start` ({t_start:g} s), got {t_stop:g}")
        if time.size:
            if time.min() < t_start or time.max() >= t_stop:
                bad = float(time.min() if time.min() < t_start else time.max())
                raise ValueError(
                    f"`time` must be in [t_start, t_stop) = [{t_start:g}, {t_stop:g}) s, "
                    f"got {bad!r}"
                )
            if neuron.min() < 0 or neuron.max() >= n_neurons:
                bad = int(neuron.min() if neuron.min() < 0 else neuron.max())
                raise ValueError(f"`neuron` must be in [0, {n_neurons}), got {bad}")
        step = np.diff(time)
        if np.all((step > 0) | ((step == 0) & (np.diff(neuron) >= 0))):
            neuron, time = neuron.copy(), time.copy()  # never alias (or freeze) the caller's
        else:
            order = np.lexsort((neuron, time))
            neuron, time = neuron[order], time[order]
        neuron.flags.writeable = False
        time.flags.writeable = False
        object.__setattr__(self, "neuron", neuron)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "n_neurons", n_neurons)
        object.__setattr__(self, "t_start", t_start)
        object.__setattr__(self, "t_stop", t_stop)

    def __repr__(self) -> str:
        return (
            f"SpikeTrains(n_neurons={self.n_neurons}, n_spikes={self.n_spikes}, "
            f"t_start={self.t_start!r}, t_stop={self.t_stop!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpikeTrains):
            return NotImplemented
        return (
            self.n_neurons == other.n_neurons
            and self.t_start == other.t_start
            and self.t_stop == other.t_stop
            and np.array_equal(self.neuron, other.neuron)
            and np.array_equal(self.time, other.time)
        )

    __hash__ = None  # type: ignore[assignment]  # equal by value, mutable-looking arrays

    # -- sizes -----------------------------------------------------------------------------
    @property
    def n_spikes(self) -> int:
        """Number of spikes of all neurons."""
        return int(self.time.size)

    @property
    def duration(self) -> float:
        """``t_stop - t_start``, seconds."""
        return self.t_stop - self.t_start

    # -- binning ---------------------------------------------------------------------------
    def _edges(self, bin_width: object, arrays_per_bin: float) -> np.ndarray:
        """Bin edges (s) of width ``bin_width`` from ``t_start``, the partial last bin dropped.

        ``arrays_per_bin`` is the number of 8-byte values per bin the caller
        will hold (checked against the memory budget before anything is made).
        """
        width = check_positive(bin_width, "bin_width")
        ratio = self.duration / width
        if ratio < 1.0 - _BIN_TOLERANCE:
            raise ValueError(
                f"`bin_width` must be <= the duration ({self.duration:g} s), got {width:g}"
            )
        check_memory(
            8.0 * arrays_per_bin * (ratio + 1.0),
            f"{ratio:.3g} bins of {width:g} s for {self.n_neurons} neuron(s)",
        )
        # as elephant (round_binning_errors): a ratio within an absolute 1e-8 below a
        # whole number of bins counts as whole
        n_bins = math.floor(ratio) + int(ratio % 1.0 >= 1.0 - _BIN_TOLERANCE)
        whole = abs(ratio - n_bins) <= _BIN_TOLERANCE
        edges = self.t_start + np.arange(n_bins + 1) * width
        if whole:
            edges[-1] = self.t_stop
        if not np.all(np.diff(edges) > 0):
            raise ValueError(
                f"`bin_width` = {width:g} s is too small to resolve at `t_start` = "
                f"{self.t_start:g} s in float64"
            )
        return edges

    def _bin_index(self, edges: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
        """``(bin of each spike inside the bins, mask of those spikes)``.

        As elephant bins: ``floor((t - t_start) / bin_width)``, a position within
        an absolute 1e-8 below the next whole bin moved up into it
        (``elephant.utils.round_binning_errors``), so spike times on a time grid
        fall in the same bins as in elephant.
        """
        position = (self.time - self.t_start) * (1.0 / float(width))
        index = position.astype(np.int64)  # floor: positions are >= 0
        index += (position % 1.0 >= 1.0 - _BIN_TOLERANCE).astype(np.int64)
        inside = index < edges.size - 1  # spikes in the dropped partial bin fall outside
        return index, inside

    def counts(self, bin_width: float) -> np.ndarray:
        """Spike counts of each neuron in consecutive bins.

        Parameters
        ----------
        bin_width : float
            Bin width, seconds, > 0 and at most the duration.  Bins start at
            ``t_start``; a partial last bin is dropped (see the module notes).

        Returns
        -------
        numpy.ndarray of int64, shape (n_neurons, n_bins)
            ``counts[i, k]`` spikes of neuron ``i`` in bin ``k``, the spikes
            with ``floor((t - t_start) / bin_width) == k`` where a position
            within 1e-8 below a whole bin counts in that bin (Elephant's
            ``round_binning_errors``: spikes on a time grid fall in the bins
            Elephant gives them), with the edges of :meth:`psth`.

        Raises
        ------
        TypeError
            If ``bin_width`` is not a real number.
        ValueError
            If ``bin_width`` is not > 0, finite, at most the duration, or too
            small to resolve in float64.
        cortex.MemoryBudgetError
            If the counts would exceed :func:`cortex.memory_budget`.

        Examples
        --------
        >>> from cortex.spikes import SpikeTrains
        >>> trains = SpikeTrains([0, 0, 1], [0.1, 0.2, 0.7], 2, 0.0, 1.0)
        >>> trains.counts(0.5)
        array([[2, 0],
               [0, 1]])
        """
        edges = self._edges(bin_width, 2.0 * self.n_neurons)
        n_bins = edges.size - 1
        index, inside = self._bin_index(edges, bin_width)
        flat = self.neuron[inside] * n_bins + index[inside]
        out = np.bincount(flat, minlength=self.n_neurons * n_bins)
        return out.astype(np.int64, copy=False).reshape(self.n_neurons, n_bins)

    def psth(self, bin_width: float, neurons: object = None) -> tuple[np.ndarray, np.ndarray]:
        """Peri-stimulus time histogram: the firing rate in bins, averaged over neurons.

        Elephant's ``time_histogram(trains, bin_size, output="rate")``.

        Parameters
        ----------
        bin_width : float
            Bin width, seconds, > 0 and at most the duration.
        neurons : int or array_like of int, optional
            Distinct indices of the neurons to average over (default all).

        Returns
        -------
        rates : numpy.ndarray of float64, shape (n_bins,)
            Spikes/s: spikes of the chosen neurons in each bin, divided by the
            number of neurons and by ``bin_width``.
        edges : numpy.ndarray of float64, shape (n_bins + 1,)
            Bin edges, seconds: ``t_start + k * bin_width`` (the last edge is
            ``t_stop`` when the duration is a whole number of bins).

        Raises
        ------
        TypeError
            If ``bin_width`` is not a real number or ``neurons`` is not
            integer.
        ValueError
            As :meth:`counts`; or if ``neurons`` is empty, not 1-D, out of
            range or repeats a neuron.
        cortex.MemoryBudgetError
            If the bins would exceed :func:`cortex.memory_budget`.

        Examples
        --------
        >>> from cortex.spikes import SpikeTrains
        >>> trains = SpikeTrains([0, 0, 1], [0.1, 0.2, 0.7], 2, 0.0, 1.0)
        >>> rates, edges = trains.psth(0.5)
        >>> rates, edges
        (array([2., 1.]), array([0. , 0.5, 1. ]))
        >>> trains.psth(0.5, neurons=[1])[0]
        array([0., 2.])
        """
        chosen = _neuron_indices(neurons, self.n_neurons)
        edges = self._edges(bin_width, 3.0)
        n_bins = edges.size - 1
        index, inside = self._bin_index(edges, bin_width)
        if chosen.size < self.n_neurons:
            member = np.zeros(self.n_neurons, dtype=bool)
            member[chosen] = True
            inside &= member[self.neuron]
        counts = np.bincount(index[inside], minlength=n_bins)
        return counts / (chosen.size * float(bin_width)), edges

    def mean_rates(self) -> np.ndarray:
        """Mean firing rate of each neuron over the recording.

        Returns
        -------
        numpy.ndarray of float64, shape (n_neurons,)
            Spikes/s: spike count over ``duration`` (Elephant's
            ``mean_firing_rate``).

        Examples
        --------
        >>> from cortex.spikes import SpikeTrains
        >>> SpikeTrains([0, 0, 1], [0.1, 0.2, 0.7], 3, 0.0, 2.0).mean_rates()
        array([1. , 0.5, 0. ])
        """
        return np.bincount(self.neuron, minlength=self.n_neurons) / self.duration

    def per_neuron(self) -> list[np.ndarray]:
        """The spike times of each neuron.

        Returns
        -------
        list of numpy.ndarray of float64
            ``n_neurons`` sorted arrays of times (seconds), empty for silent
            neurons; new arrays, independent of the trains.

        Examples
        --------
        >>> from cortex.spikes import SpikeTrains
        >>> SpikeTrains([1, 0, 1], [0.1, 0.2, 0.7], 3, 0.0, 1.0).per_neuron()
        [array([0.2]), array([0.1, 0.7]), array([], dtype=float64)]
        """
        order = np.argsort(self.neuron, kind="stable")  # keeps time order within a neuron
        times = self.time[order]
        split = np.cumsum(np.bincount(self.neuron, minlength=self.n_neurons))[:-1]
        return np.split(times, split)

    def select(self, neurons: object) -> SpikeTrains:
        """The trains of some neurons, renumbered ``0 .. len(neurons) - 1`` in the order given.

        Parameters
        ----------
        neurons : int or array_like of int
            Distinct neuron indices.

        Returns
        -------
        SpikeTrains
            ``n_neurons = len(neurons)``; neuron ``j`` is ``neurons[j]`` of
            these trains; same ``t_start`` and ``t_stop``.

        Raises
        ------
        TypeError
            If ``neurons`` is not integer (booleans are refused).
        ValueError
            If ``neurons`` is empty, not 1-D, out of range or repeats a
            neuron.

        Examples
        --------
        >>> from cortex.spikes import SpikeTrains
        >>> trains = SpikeTrains([0, 1, 2], [0.1, 0.2, 0.7], 3, 0.0, 1.0)
        >>> sub = trains.select([2, 0])
        >>> sub.n_neurons, sub.neuron, sub.time
        (2, array([1, 0]), array([0.1, 0.7]))
        """
        chosen = _neuron_indices(neurons, self.n_neurons)
        renumber = np.full(self.n_neurons, -1, dtype=np.int64)
        renumber[chosen] = np.arange(chosen.size)
        new = renumber[self.neuron]
        keep = new >= 0
        return SpikeTrains(new[keep], self.time[keep], int(chosen.size), self.t_start, self.t_stop)

    # -- statistics ------------------------------------------------------------------------
    def fano_factor(self, bin_width: float) -> np.ndarray:
        """Fano factor of each neuron's spike counts in bins: variance / mean.

        The variance has ``ddof=0``, as Elephant's ``fanofactor`` applied to
        the counts of one neuron's bins (1 for a Poisson process at any rate,
        ``1 / order`` for a long-window gamma renewal process).

        Parameters
        ----------
        bin_width : float
            Bin width, seconds (as :meth:`counts`).

        Returns
        -------
        numpy.ndarray of float64, shape (n_neurons,)
            Dimensionless; NaN for a neuron without spikes in the bins.

        Raises
        ------
        TypeError, ValueError, cortex.MemoryBudgetError
            As :meth:`counts`.

        Examples
        --------
        >>> from cortex.spikes import SpikeTrains
        >>> trains = SpikeTrains([0, 0, 0, 0], [0.0, 0.1, 0.3, 0.6], 2, 0.0, 1.0)
        >>> trains.counts(0.25)[0]
        array([2, 1, 1, 0])
        >>> trains.fano_factor(0.25)
        array([0.5, nan])
        """
        self._edges(bin_width, 4.0 * self.n_neurons)  # the float copies below
        counts = self.counts(bin_width).astype(np.float64)
        mean = counts.mean(axis=1)
        var = counts.var(axis=1)  # ddof=0, as elephant.statistics.fanofactor
        out = np.full(self.n_neurons, np.nan)
        np.divide(var, mean, out=out, where=mean > 0)
        return out

    def isi_cv(self) -> np.ndarray:
        """Coefficient of variation of each neuron's inter-spike intervals.

        ``std(isi) / mean(isi)`` with ``ddof=0``: :func:`scipy.stats.variation`,
        as Elephant's ``cv(isi(train))``; 1 for a Poisson process,
        ``1 / sqrt(order)`` for a gamma renewal process.

        Returns
        -------
        numpy.ndarray of float64, shape (n_neurons,)
            Dimensionless; NaN for a neuron with fewer than 3 spikes (fewer
            than 2 intervals) or whose intervals are all 0.

        Raises
        ------
        cortex.MemoryBudgetError
            If the intervals would exceed :func:`cortex.memory_budget`.

        Examples
        --------
        >>> from cortex.spikes import SpikeTrains
        >>> trains = SpikeTrains([0, 0, 0, 0, 1], [0.0, 0.1, 0.3, 0.6, 0.5], 2, 0.0, 1.0)
        >>> cv = trains.isi_cv()  # intervals 0.1, 0.2, 0.3: std sqrt(0.02 / 3), mean 0.2
        >>> cv ** 2
        array([0.16666667,        nan])
        """
        check_memory(64.0 * self.n_spikes, f"the inter-spike intervals of {self.n_spikes} spikes")
        order = np.argsort(self.neuron, kind="stable")
        neuron, time = self.neuron[order], self.time[order]
        same = neuron[1:] == neuron[:-1]
        isi = np.diff(time)[same]
        owner = neuron[1:][same]
        n_isi = np.bincount(owner, minlength=self.n_neurons)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.bincount(owner, isi, minlength=self.n_neurons) / n_isi
            deviation = isi - mean[owner]
            var = np.bincount(owner, deviation * deviation, minlength=self.n_neurons) / n_isi
            cv = np.sqrt(var) / mean
        cv[(n_isi < 2) | ~(mean > 0)] = np.nan
        return cv


# -- generators ------------------------------------------------------------------------------
def poisson_spikes(
    rates: np.ndarray,
    frames_per_second: float,
    *,
    seed: int | np.random.Generator | None = None,
    t_start: float = 0.0,
) -> SpikeTrains:
    """Inhomogeneous Poisson spikes from firing rates that are constant over each frame.

    For every frame ``f`` (from ``t_start + f * dt`` to ``t_start + (f + 1)
    * dt``, ``dt = 1 / frames_per_second``) and neuron ``i``, the number of
    spikes is drawn from ``Poisson(rates[f, i] * dt)`` and the spikes are
    placed independently and uniformly within the frame: exactly an
    inhomogeneous Poisson process with a piecewise-constant rate (a frame may
    hold any number of spikes).  Vectorised over frames and neurons.

    Parameters
    ----------
    rates : array_like, shape (T, n_neurons)
        Firing rates, spikes/s, >= 0 and finite; row ``f`` is frame ``f``.
    frames_per_second : float
        Frame rate, Hz (> 0); the trains last ``T / frames_per_second`` s.
    seed : int, numpy.random.Generator or None, optional
        Randomness: the same int gives the same trains; a Generator is used
        (and advanced) as it is; None draws fresh entropy.
    t_start : float, optional
        Time of the start of the first frame, seconds.

    Returns
    -------
    SpikeTrains
        ``n_neurons`` trains from ``t_start`` to ``t_start + T / fps``.

    Raises
    ------
    TypeError
        If ``rates`` is not numeric (booleans are refused), or
        ``frames_per_second``, ``t_start`` or ``seed`` has the wrong type.
    ValueError
        If ``rates`` is not 2-D, is empty, or has negative, NaN or infinite
        values; ``frames_per_second`` is not > 0 and finite, or the frames
        cannot be resolved in float64 at ``t_start``; ``t_start`` is not
        finite; ``seed`` is a negative int.
    cortex.MemoryBudgetError
        If the expected number of spikes (``rates.sum() * dt``) or the
        working arrays would exceed :func:`cortex.memory_budget`.

    See Also
    --------
    gamma_spikes : more regular (or burstier) spikes with the same rates.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.spikes import poisson_spikes
    >>> rates = np.full((100, 3), 20.0)  # 3 neurons at 20 spikes/s for 100 frames
    >>> trains = poisson_spikes(rates, frames_per_second=100, seed=0)
    >>> trains.n_neurons, trains.t_stop
    (3, 1.0)
    >>> trains == poisson_spikes(rates, frames_per_second=100, seed=0)
    True
    """
    rng = as_rng(seed)
    rates, dt, t0, edges = _check_rates(rates, frames_per_second, t_start, working_copies=3)
    n_frames, n_neurons = rates.shape
    _check_spike_memory(rates.sum(axis=0) * dt, rates.shape)
    counts = rng.poisson(rates * dt)
    nonzero = np.flatnonzero(counts)
    spike_bin = np.repeat(nonzero, counts.ravel()[nonzero])
    del counts, nonzero
    frame, neuron = np.divmod(spike_bin, n_neurons)
    time = _place_in_frames(frame, rng.random(spike_bin.size), edges)
    return SpikeTrains(neuron, time, n_neurons, t0, float(edges[-1]))


def _check_spike_memory(
    per_neuron: np.ndarray, shape: tuple[int, int], order: float | None = None
) -> None:
    """Refuse a generator whose spikes would not fit in the memory budget.

    ``per_neuron`` is each neuron's expected number of spikes; gamma
    renewal spikes (``order`` given) are drawn with a margin per neuron.
    """
    expected = float(per_neuron.sum())
    if order is None:
        n_draw, per_spike = expected + 6.0 * math.sqrt(expected), _BYTES_PER_POISSON_SPIKE
    else:
        active = per_neuron[per_neuron > 0]
        n_draw = float(np.sum(active + 8.0 * np.sqrt(active / order) + 9.0))
        per_spike = _BYTES_PER_GAMMA_SPIKE
    check_memory(
        per_spike * n_draw,
        f"{expected:.3g} expected spikes ({shape[0]} frames x {shape[1]} neurons)",
    )


def gamma_spikes(
    rates: np.ndarray,
    frames_per_second: float,
    *,
    order: float = 2.0,
    seed: int | np.random.Generator | None = None,
    t_start: float = 0.0,
) -> SpikeTrains:
    """Gamma renewal spikes following time-varying firing rates (time rescaling).

    Each neuron's rate (constant over each frame, as in
    :func:`poisson_spikes`) is integrated over time,
    ``Lambda(t) = integral of rate from t_start to t``, the expected number of
    spikes by ``t``.  In this *rescaled* time the spikes form a stationary
    renewal process of unit rate whose intervals are ``Gamma(order, scale =
    1 / order)`` (mean 1, CV ``1 / sqrt(order)``); each rescaled spike time
    ``s`` is mapped back to the ``t`` with ``Lambda(t) = s`` by linear
    interpolation (exact, ``Lambda`` being piecewise linear).  ``order = 1``
    gives a Poisson process; ``order > 1`` regular, refractory-like trains
    (count Fano factor about ``1 / order`` in long windows); ``order < 1``
    bursty ones.  The process is stationary from the start: the first
    interval is drawn from the renewal process's forward-recurrence
    distribution (a uniform fraction of a size-biased, ``Gamma(order + 1,
    1 / order)``, interval), not as if a spike had just occurred at
    ``t_start``.

    Vectorised over neurons and spikes: all neurons' intervals are drawn in
    one array (with a margin of 8 standard deviations over the expected
    count), summed per neuron, and mapped back with one
    :func:`numpy.searchsorted` over every neuron's ``Lambda`` at once.  A
    neuron whose intervals fall short of the end (probability about 1e-15)
    draws more in another pass of the same vectorised step: a loop over such
    passes, never over spikes or neurons.

    Parameters
    ----------
    rates : array_like, shape (T, n_neurons)
        Firing rates, spikes/s, >= 0 and finite; row ``f`` is frame ``f``.
    frames_per_second : float
        Frame rate, Hz (> 0); the trains last ``T / frames_per_second`` s.
    order : float, optional
        Shape ``k`` of the gamma intervals, in :data:`ORDER_RANGE` = [0.01,
        1e4] (interval CV from 10 to 0.01).
    seed : int, numpy.random.Generator or None, optional
        Randomness: the same int gives the same trains; a Generator is used
        (and advanced) as it is; None draws fresh entropy.
    t_start : float, optional
        Time of the start of the first frame, seconds.

    Returns
    -------
    SpikeTrains
        ``n_neurons`` trains from ``t_start`` to ``t_start + T / fps``.

    Raises
    ------
    TypeError
        As :func:`poisson_spikes`, or if ``order`` is not a real number.
    ValueError
        As :func:`poisson_spikes`, or if ``order`` is outside
        :data:`ORDER_RANGE` (or NaN or infinite).
    cortex.MemoryBudgetError
        If the expected number of spikes (``rates.sum() * dt``) or the
        working arrays would exceed :func:`cortex.memory_budget`.

    See Also
    --------
    poisson_spikes : the ``order = 1`` case, drawn directly.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.spikes import gamma_spikes
    >>> rates = np.full((1000, 20), 50.0)  # 20 neurons at 50 spikes/s for 10 s
    >>> trains = gamma_spikes(rates, frames_per_second=100, order=4.0, seed=1)
    >>> cv = trains.isi_cv()  # about 1 / sqrt(4)
    >>> bool(abs(cv.mean() - 0.5) < 0.05)
    True
    """
    rng = as_rng(seed)
    k = check_range(order, "order", *ORDER_RANGE)
    rates, dt, t0, edges = _check_rates(rates, frames_per_second, t_start, working_copies=5)
    n_frames, n_neurons = rates.shape
    _check_spike_memory(rates.sum(axis=0) * dt, rates.shape, order=k)
    # Lambda at the frame edges, per neuron: (T + 1, n), in expected spikes.
    per_frame = rates * dt
    cumulative = np.zeros((n_frames + 1, n_neurons))
    np.cumsum(per_frame, axis=0, out=cumulative[1:])
    total = cumulative[-1]

    owners, rescaled = [], []
    active = np.flatnonzero(total > 0)
    last = np.zeros(n_neurons)  # rescaled time each interval sequence continues from
    first_pass = True
    while active.size:
        remaining = total[active] - last[active]
        n_draw = np.ceil(remaining + 8.0 * np.sqrt(remaining / k) + 8.0).astype(np.int64)
        starts = np.cumsum(n_draw) - n_draw
        intervals = rng.gamma(k, 1.0 / k, size=int(n_draw.sum()))
        if first_pass:  # stationary start: forward-recurrence time of the renewal process
            intervals[starts] = rng.random(active.size) * rng.gamma(k + 1.0, 1.0 / k, active.size)
        running = np.cumsum(intervals)
        before = np.where(starts > 0, running[starts - 1], 0.0)
        owner = np.repeat(active, n_draw)
        s = running - np.repeat(before - last[active], n_draw)  # per-neuron cumulative sums
        keep = s < total[owner]
        owners.append(owner[keep])
        rescaled.append(s[keep])
        end = s[starts + n_draw - 1]
        short = end < total[active]
        last[active] = end
        active = active[short]
        first_pass = False
    neuron = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    s = np.concatenate(rescaled) if rescaled else np.zeros(0)

    # Invert Lambda for all neurons at once: the keys (neuron + 1j * Lambda) of the edges are
    # sorted (numpy orders complex numbers by real, then imaginary part), so one searchsorted
    # finds, for each spike, its neuron's last edge with Lambda <= s, exactly.
    edge_keys = np.empty((n_neurons, n_frames + 1), dtype=np.complex128)
    edge_keys.real = np.arange(n_neurons)[:, np.newaxis]
    edge_keys.imag = cumulative.T
    edge_keys = edge_keys.ravel()
    position = np.searchsorted(edge_keys, neuron + 1j * s, side="right") - 1
    frame = np.clip(position - neuron * (n_frames + 1), 0, n_frames - 1)
    base = cumulative[frame, neuron]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = (s - base) / per_frame[frame, neuron]
    fraction = np.clip(np.nan_to_num(fraction), 0.0, np.nextafter(1.0, 0.0))
    time = _place_in_frames(frame, fraction, edges)
    return SpikeTrains(neuron, time, n_neurons, t0, float(edges[-1]))
