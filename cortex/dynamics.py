"""Populations watching movies: spatial filtering at the RF centres, then causal filtering in time.

A neuron with a separable spatiotemporal RF, ``spatial(x, y) * temporal(t)``,
responds to a movie ``s(x, y, t)`` with

``r(t) = baseline + gain * sum_k temporal_k * <spatial, s(t - k / fps)>``

(its linear drive, a firing rate in spikes/s after a static nonlinearity).
:func:`movie_responses` computes it for every neuron of a
:class:`~cortex.Population` in two stages:

1. **space**: each frame's linear responses at the RF centres, by the
   correlation methods of :func:`cortex.linear_responses` (a block of frames
   at a time: one call, one correlation per RF size);
2. **time**: one causal FIR filter over all neurons at once, whose state
   (the last ``K - 1`` drives) is carried from block to block, so the result
   does not depend on the block size.  A kernel of a few taps is a sum of
   shifted drives; a longer one is one GEMM per 128 frames by a banded
   (Toeplitz) matrix of its taps (:func:`scipy.signal.lfilter` would make one
   ``np.convolve`` call per neuron).

Memory is the output plus one block of frames, whatever the movie's length;
:func:`iter_movie_responses` yields the rates block by block (constant memory)
from frames that need not fit in memory either: a dask array of frames, or any
iterable of frame blocks.  :func:`cortex.scale.movie_responses` is the lazy
form for a dask array of frames: one independent task per chunk of frames
(each reads the ``K - 1`` frames before it), in parallel on any dask
scheduler, its result a lazy dask array of rates.

:func:`spatiotemporal_responses` does the same for populations of
spatiotemporal RFs (:class:`~cortex.temporal.SeparableRF`, and the
direction-selective :class:`~cortex.temporal.DirectionSelectiveRF`, a sum of
two separable products): each RF is split into its separable terms, every
term's spatial RF is one type of an inner population, each type is filtered
in time by its own kernel, and the terms of each RF are summed before the
nonlinearity.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ._validation import check_choice, check_finite, check_integer, check_memory
from .correlation import METHODS
from .population import Population, _check_population, _resolve_nonlinearities

__all__ = ["iter_movie_responses", "movie_responses", "spatiotemporal_responses"]

#: Bytes of frames (and their responses) filtered at once by default.
BLOCK_BYTES = 64 * 2**20


def _check_movie(movie: object, population: Population):
    from .movies import Movie

    if not isinstance(movie, Movie):
        raise TypeError(f"`movie` must be a cortex.movies.Movie, got {type(movie).__name__}")
    if movie.field != population.field:
        raise ValueError(
            f"`movie` is on {movie.field}, not on the population's field {population.field}"
        )
    return movie


def _temporal_taps(temporal: object, n_types: int, fps: float) -> list[np.ndarray]:
    from .temporal import TemporalKernel

    if isinstance(temporal, Sequence) and not isinstance(temporal, str):
        kernels = list(temporal)
    else:
        kernels = [temporal] * n_types
    if len(kernels) != n_types:
        raise ValueError(
            f"`temporal` must be one kernel or one per RF type ({n_types}), got {len(kernels)}"
        )
    for i, kernel in enumerate(kernels):
        if not isinstance(kernel, TemporalKernel):
            raise TypeError(
                f"`temporal` must hold TemporalKernel objects, got {type(kernel).__name__} "
                f"at position {i}"
            )
    return [np.asarray(kernel.kernel(fps), dtype=np.float64) for kernel in kernels]


def movie_responses(
    population: Population,
    movie: object,
    temporal: object,
    *,
    baseline: float = 0.0,
    gain: float = 1.0,
    nonlinearity: object = "rectify",
    method: str = "auto",
    block_frames: int | None = None,
) -> np.ndarray:
    """Firing rates of a population watching a movie (separable spatiotemporal RFs).

    Parameters
    ----------
    population : Population
        The neurons: their spatial RFs and where they sit.
    movie : cortex.movies.Movie
        The stimulus, on the population's field (contrast units).
    temporal : TemporalKernel or sequence of TemporalKernel
        The temporal kernel of every RF type (one for all, or one per type,
        in the population's type order).
    baseline : float, optional
        Spontaneous rate, spikes/s, added to the filtered drive.
    gain : float, optional
        Spikes/s per unit of linear drive.
    nonlinearity : None, str, callable or sequence, optional
        Static nonlinearity applied to ``baseline + gain * drive`` (as
        :func:`cortex.responses`); default ``"rectify"``, so rates are >= 0.
    method : str, optional
        Correlation method of the spatial stage (as :func:`cortex.linear_responses`).
    block_frames : int, optional
        Frames per block (default: blocks of about 64 MiB of frames).  The
        result is the same for any block size (the filter's state carries
        over); only memory and speed change.

    Returns
    -------
    numpy.ndarray, shape (T, n_neurons)
        Rates in spikes/s at each frame's time, in the movie's dtype (float32
        stays float32), neurons in the population's order.

    Raises
    ------
    TypeError
        If ``population`` is not a Population, ``movie`` not a Movie,
        ``temporal`` not temporal kernels, or a number is not a number.
    ValueError
        If the movie is on another field, ``temporal`` has the wrong length,
        a number is not finite, or ``block_frames < 1``.
    cortex.MemoryBudgetError
        If the output would exceed :func:`cortex.memory_budget`.

    Examples
    --------
    >>> import cortex
    >>> from cortex.dynamics import movie_responses
    >>> from cortex.movies import drifting_grating
    >>> from cortex.temporal import Monophasic
    >>> field = cortex.VisualField(2.0, 2.0, pixels_per_degree=10)
    >>> pop = cortex.Population(cortex.Gaussian(0.2), cortex.Mosaic.from_lattice(field, 0.4))
    >>> movie = drifting_grating(field, 100.0, 0.5, spatial_frequency=0.5, temporal_frequency=4.0)
    >>> movie_responses(pop, movie, Monophasic(0.01, 3), baseline=10.0).shape
    (50, 23)
    """
    population = _check_population(population)
    movie = _check_movie(movie, population)
    frames = movie.frames
    n_frames, n = frames.shape[0], population.n_neurons
    dtype = np.result_type(frames.dtype, np.float32)
    check_memory(
        n_frames * n * np.dtype(dtype).itemsize, f"the rates of {n} neurons x {n_frames} frames"
    )
    out = np.empty((n_frames, n), dtype=dtype)
    start = 0
    for rates in iter_movie_responses(
        population,
        movie,
        temporal,
        baseline=baseline,
        gain=gain,
        nonlinearity=nonlinearity,
        method=method,
        block_frames=block_frames,
    ):
        out[start : start + len(rates)] = rates
        start += len(rates)
    return out


def _frame_blocks(frames: object, block_frames: int) -> Iterator[np.ndarray]:
    """Blocks of at most ``block_frames`` frames of an array, a dask array or an iterable."""
    if isinstance(frames, np.ndarray) or _is_dask_array(frames):
        for start in range(0, frames.shape[0], block_frames):
            block = frames[start : start + block_frames]
            yield np.asarray(block.compute() if _is_dask_array(block) else block)
        return
    for chunk in frames:  # an iterable of (t, H, W) blocks, e.g. frames read from disk
        chunk = np.asarray(chunk)
        if chunk.ndim == 2:
            chunk = chunk[np.newaxis]
        for start in range(0, chunk.shape[0], block_frames):
            yield chunk[start : start + block_frames]


def _is_dask_array(value: object) -> bool:
    from .scale import _is_dask_array as is_dask

    return is_dask(value)


def iter_movie_responses(
    population: Population,
    frames: object,
    temporal: object,
    *,
    frames_per_second: float | None = None,
    baseline: float = 0.0,
    gain: float = 1.0,
    nonlinearity: object = "rectify",
    method: str = "auto",
    block_frames: int | None = None,
) -> Iterator[np.ndarray]:
    """Firing rates block by block: memory stays constant however long the movie.

    The same computation as :func:`movie_responses`, yielded one block of
    frames at a time (the filter's state carries from block to block, so the
    concatenated blocks equal :func:`movie_responses`' result exactly), from
    frames that need not fit in memory: a dask array is computed block by
    block, and an iterable (a generator reading frames from disk, a camera...)
    is consumed as it comes.

    Parameters
    ----------
    population : Population
        The neurons.
    frames : Movie, numpy.ndarray, dask.array.Array or iterable of arrays
        The frames ``(T, H, W)`` on the population's field (an iterable
        yields ``(t, H, W)`` blocks or single ``(H, W)`` frames).
    temporal : TemporalKernel or sequence of TemporalKernel
        As :func:`movie_responses`.
    frames_per_second : float, optional
        The frame rate, Hz; required unless ``frames`` is a Movie (then it
        must be None or equal).
    baseline, gain, nonlinearity, method, block_frames
        As :func:`movie_responses`.

    Returns
    -------
    iterator of numpy.ndarray, shape (t, n_neurons)
        Rates in spikes/s, block by block in time order.

    Raises
    ------
    TypeError, ValueError
        As :func:`movie_responses`, checked before the first block is read
        (a block of the wrong shape or with non-finite values is refused
        when it is read).

    Examples
    --------
    >>> import numpy as np, cortex
    >>> from cortex.dynamics import iter_movie_responses, movie_responses
    >>> from cortex.movies import white_noise_movie
    >>> from cortex.temporal import Monophasic
    >>> field = cortex.VisualField(2.0, 2.0, pixels_per_degree=10)
    >>> pop = cortex.Population(cortex.Gaussian(0.2), cortex.Mosaic.from_lattice(field, 0.4))
    >>> movie = white_noise_movie(field, 100.0, 1.0, seed=0)
    >>> blocks = iter_movie_responses(pop, movie, Monophasic(0.01, 3), block_frames=30)
    >>> whole = movie_responses(pop, movie, Monophasic(0.01, 3))
    >>> bool(np.allclose(np.concatenate(list(blocks)), whole, rtol=1e-12, atol=1e-12))
    True
    """
    from .movies import Movie
    from .temporal import _check_fps

    population = _check_population(population)
    if isinstance(frames, Movie):
        frames = _check_movie(frames, population)
        if frames_per_second is not None and _check_fps(frames_per_second) != (
            frames.frames_per_second
        ):
            raise ValueError(
                f"`frames_per_second` ({frames_per_second}) differs from the movie's "
                f"({frames.frames_per_second})"
            )
        fps, source = frames.frames_per_second, frames.frames
    else:
        if frames_per_second is None:
            raise TypeError("`frames_per_second` must be given for frames that are not a Movie")
        fps = _check_fps(frames_per_second)
        source = frames
        if isinstance(source, str | bytes) or not (
            isinstance(source, np.ndarray) or _is_dask_array(source) or hasattr(source, "__iter__")
        ):
            raise TypeError(
                "`frames` must be a Movie, an array (T, H, W), a dask array or an iterable "
                f"of frame blocks, got {type(frames).__name__}"
            )
        if isinstance(source, np.ndarray) or _is_dask_array(source):
            if source.ndim != 3 or tuple(source.shape[1:]) != population.field.shape:
                raise ValueError(
                    f"`frames` must be (T, {population.field.shape[0]}, "
                    f"{population.field.shape[1]}), got shape {source.shape}"
                )
    taps = _temporal_taps(temporal, population.n_types, fps)
    baseline = check_finite(baseline, "baseline")
    gain = check_finite(gain, "gain")
    stages = _resolve_nonlinearities(nonlinearity)
    n = population.n_neurons
    if block_frames is None:
        rows, cols = population.field.shape
        block_frames = max(1, BLOCK_BYTES // max(rows * cols * 8 + n * 8, 1))
    else:
        block_frames = check_integer(block_frames, "block_frames", minimum=1)
    # a Movie's frames were checked when it was made: its blocks are not checked again
    checked = isinstance(frames, Movie)
    check_choice(method, "method", METHODS)
    return _filtered_blocks(
        population,
        _frame_blocks(source, block_frames),
        taps,
        (baseline, gain, stages),
        method,
        checked,
    )


def _filtered_blocks(population, blocks, taps, output, method, checked):
    """The loop of :func:`iter_movie_responses`: space per block, then time with state.

    ``checked``: the frames were validated already (a Movie's), so each block
    goes straight to the correlation; otherwise each block is validated as
    :func:`cortex.linear_responses` validates images.
    """
    from .population import _linear_checked, linear_responses

    baseline, gain, stages = output

    n_sites, n_types = population.n_sites, population.n_types
    n = population.n_neurons
    # one FIR filter per RF type (all its neurons at once), its state carried across blocks
    filters = [_CausalFIR(t) for t in taps]
    states = None
    for block in blocks:
        dtype = np.result_type(block.dtype, np.float32)
        if checked:
            drive = _linear_checked(population, block, method)  # (b, n), type-major
        else:
            drive = linear_responses(population, block, method=method)
        drive = np.asarray(drive, dtype=dtype).reshape(len(block), n_types, n_sites)
        if states is None:  # the drives before the movie: none
            states = [np.zeros((f.n_taps - 1, n_sites), dtype=dtype) for f in filters]
        for t, fir in enumerate(filters):
            drive[:, t], states[t] = fir(drive[:, t], states[t])
        rates = baseline + gain * drive.reshape(len(block), n)
        for stage in stages:
            rates = stage(rates)
        yield rates.astype(dtype, copy=False)


class _CausalFIR:
    """A causal FIR filter along axis 0 of ``(frames, neurons)`` drives, block by block.

    ``out[t] = sum_k taps[k] * drive[t - k]``, the drives before a block given
    as its ``history`` (the previous ``K - 1``, oldest first), so that blocks
    filtered one after the other equal the whole movie filtered at once
    (:func:`scipy.signal.lfilter` with ``zi``, to rounding).  Up to
    :attr:`SHIFTED` taps: a sum of ``K`` shifted, scaled drives.  More: the
    frames in sub-blocks of :attr:`SUB`, each one GEMM of the banded matrix
    ``(SUB, SUB + K - 1)`` of the taps by the sub-block's ``SUB + K - 1``
    drives (a strided view: nothing copied), all neurons at once.
    """

    SUB = 128
    SHIFTED = 8

    def __init__(self, taps: np.ndarray) -> None:
        self.taps = np.asarray(taps, dtype=np.float64)
        self.n_taps = k = len(self.taps)
        self._toeplitz: dict[str, np.ndarray] = {}
        if k > self.SHIFTED:
            band = np.zeros((self.SUB, self.SUB + k - 1))
            for i in range(self.SUB):
                band[i, i : i + k] = self.taps[::-1]
            self._toeplitz["float64"] = band

    def __call__(self, drive: np.ndarray, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(filtered, new history)``: ``drive`` ``(B, n)`` after ``history`` ``(K - 1, n)``."""
        k, (b, n) = self.n_taps, drive.shape
        if k == 1:
            return float(self.taps[0]) * drive, history  # a Python float keeps float32
        sub = self.SUB if k > self.SHIFTED else 0
        n_rows = k - 1 + (-(-b // sub) * sub if sub else b)
        padded = np.empty((n_rows, n), dtype=drive.dtype)
        padded[: k - 1] = history
        padded[k - 1 : k - 1 + b] = drive
        padded[k - 1 + b :] = 0.0
        if sub:
            name = drive.dtype.name
            if name not in self._toeplitz:
                self._toeplitz[name] = self._toeplitz["float64"].astype(drive.dtype)
            s0, s1 = padded.strides
            shape = ((n_rows - k + 1) // sub, sub + k - 1, n)
            windows = np.lib.stride_tricks.as_strided(
                padded, shape, (sub * s0, s0, s1), writeable=False
            )
            out = np.matmul(self._toeplitz[name], windows).reshape(-1, n)[:b]
        else:
            out = np.zeros((b, n), dtype=drive.dtype)
            for lag, tap in enumerate(self.taps):
                out += float(tap) * padded[k - 1 - lag : k - 1 - lag + b]
        return out, padded[b : b + k - 1].copy()


def _separable_terms(rf: object) -> list[tuple[object, object]]:
    """``[(spatial RF, temporal kernel), ...]`` whose products sum to ``rf``."""
    from .temporal import DirectionSelectiveRF, SeparableRF

    if isinstance(rf, SeparableRF):
        return [(rf.spatial, rf.temporal)]
    if isinstance(rf, DirectionSelectiveRF):
        return [(rf.spatial_even, rf.temporal_fast), (rf.spatial_odd, rf.temporal_slow)]
    raise TypeError(
        f"`rf` must hold SeparableRF or DirectionSelectiveRF objects, got {type(rf).__name__}"
    )


def spatiotemporal_responses(
    rf: object,
    mosaic: object,
    movie: object,
    *,
    baseline: float = 0.0,
    gain: float = 1.0,
    nonlinearity: object = "rectify",
    method: str = "auto",
    block_frames: int | None = None,
    n_sigma: float = 3.0,
) -> np.ndarray:
    """Firing rates of neurons with spatiotemporal RFs at every site of a mosaic.

    Parameters
    ----------
    rf : SeparableRF, DirectionSelectiveRF or a sequence of them
        One RF per neuron type (each neuron's RF is scaled by its site's
        ``mosaic.scales``, in space only).
    mosaic : Mosaic
        Where the neurons sit.
    movie : cortex.movies.Movie
        The stimulus, on the mosaic's field.
    baseline, gain, nonlinearity, method, block_frames
        As :func:`movie_responses`.
    n_sigma : float, optional
        Spatial kernel support (as :class:`cortex.Population`).

    Returns
    -------
    numpy.ndarray, shape (T, n_types * n_sites)
        Rates in spikes/s; neuron ``j`` is type ``j // n_sites`` at site
        ``j % n_sites`` (as a :class:`~cortex.Population`).

    Raises
    ------
    TypeError
        If an RF is not spatiotemporal, or as :func:`movie_responses`.
    ValueError
        As :func:`movie_responses`.

    Examples
    --------
    >>> import cortex
    >>> from cortex.dynamics import spatiotemporal_responses
    >>> from cortex.movies import drifting_grating
    >>> from cortex.temporal import DirectionSelectiveRF
    >>> field = cortex.VisualField(2.0, 2.0, pixels_per_degree=16)
    >>> cell = DirectionSelectiveRF.from_gabor(2.0, direction=0.0)
    >>> centre = cortex.Mosaic(field, [[0.0, 0.0]])
    >>> def mean_rate(direction):
    ...     movie = drifting_grating(field, 200.0, 1.0, spatial_frequency=2.0,
    ...                              temporal_frequency=6.0, direction=direction)
    ...     return float(spatiotemporal_responses(cell, centre, movie)[100:].mean())
    >>> mean_rate(0.0) > 2 * mean_rate(180.0)  # prefers rightward motion
    True
    """
    from .mosaic import Mosaic

    rfs = list(rf) if isinstance(rf, Sequence) and not isinstance(rf, str) else [rf]
    if not rfs:
        raise ValueError("`rf` must hold at least one spatiotemporal RF")
    if not isinstance(mosaic, Mosaic):
        raise TypeError(f"`mosaic` must be a Mosaic, got {type(mosaic).__name__}")
    terms = [_separable_terms(item) for item in rfs]
    spatial = [s for group in terms for s, _ in group]
    kernels = [k for group in terms for _, k in group]
    inner = Population(spatial, mosaic, n_sigma=n_sigma)
    drive = movie_responses(
        inner, movie, kernels, nonlinearity=None, method=method, block_frames=block_frames
    )
    baseline = check_finite(baseline, "baseline")
    gain = check_finite(gain, "gain")
    stages = _resolve_nonlinearities(nonlinearity)
    n_sites = mosaic.n_neurons
    drive = drive.reshape(len(drive), len(spatial), n_sites)
    out = np.empty((len(drive), len(rfs), n_sites), dtype=drive.dtype)
    first = 0
    for i, group in enumerate(terms):  # sum each RF's separable terms
        out[:, i] = drive[:, first : first + len(group)].sum(axis=1)
        first += len(group)
    rates = baseline + gain * out.reshape(len(drive), -1)
    for stage in stages:
        rates = stage(rates)
    return rates.astype(drive.dtype, copy=False)
