"""Reverse correlation in time and space-time slices: the spatiotemporal STA, x-t slices.

The analyses of this module take movies (:mod:`cortex.movies`) and the
spikes (:class:`cortex.spikes.SpikeTrains`) or firing rates they evoked, or
space-time kernels (:meth:`cortex.temporal.SeparableRF.kernel`), and return
arrays ``(..., T, H, W)`` or ``(T, W)`` over frames (or lags) and pixels.

Units: time in frames of the movie (lags counted back from the frame of a
spike), stimuli in contrast (those of the movie), rates in spikes/s, rows and
columns in pixels (row 0 the top; a movie's rows also by height ``y`` in
degrees, ``y`` up).

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
"""

from __future__ import annotations

import warnings

import numpy as np

from .._validation import (
    _describe,
    check_finite,
    check_integer,
    check_memory,
    check_values_range,
    float_array,
)
from ..movies import Movie
from ..spikes import SpikeTrains

__all__ = ["spatiotemporal_sta", "xt_slice"]


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
