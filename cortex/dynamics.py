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
2. **time**: one causal FIR filter over all neurons at once
   (:func:`scipy.signal.lfilter` along the frame axis), whose state is carried
   from block to block, so the result does not depend on the block size.

Memory is the output plus one block of frames, whatever the movie's length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import check_finite, check_integer, check_memory
from .population import Population, _check_population, _resolve_nonlinearities

__all__ = ["movie_responses"]

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
    from scipy.signal import lfilter

    from .population import linear_responses

    population = _check_population(population)
    movie = _check_movie(movie, population)
    fps = movie.frames_per_second
    taps = _temporal_taps(temporal, population.n_types, fps)
    baseline = check_finite(baseline, "baseline")
    gain = check_finite(gain, "gain")
    stages = _resolve_nonlinearities(nonlinearity)
    frames = movie.frames
    n_frames, n = frames.shape[0], population.n_neurons
    dtype = np.result_type(frames.dtype, np.float32)
    check_memory(
        n_frames * n * np.dtype(dtype).itemsize, f"the rates of {n} neurons x {n_frames} frames"
    )
    if block_frames is None:
        per_frame = frames[0].nbytes + n * 8
        block_frames = max(1, BLOCK_BYTES // max(per_frame, 1))
    else:
        block_frames = check_integer(block_frames, "block_frames", minimum=1)
    n_sites = population.n_sites
    out = np.empty((n_frames, n), dtype=dtype)
    # one FIR filter per RF type (all its neurons at once), its state carried across blocks
    states = [np.zeros((len(t) - 1, n_sites)) for t in taps]
    for start in range(0, n_frames, block_frames):
        block = frames[start : start + block_frames]
        drive = linear_responses(population, block, method=method)  # (b, n), type-major
        drive = np.asarray(drive, dtype=np.float64).reshape(len(block), population.n_types, n_sites)
        for t, kernel in enumerate(taps):
            if len(kernel) > 1:
                filtered, states[t] = lfilter(kernel, [1.0], drive[:, t], axis=0, zi=states[t])
            else:
                filtered = kernel[0] * drive[:, t]
            drive[:, t] = filtered
        rates = baseline + gain * drive.reshape(len(block), n)
        for stage in stages:
            rates = stage(rates)
        out[start : start + len(block)] = rates
    return out
