"""cortex.dynamics: populations watching movies (separable spatiotemporal RFs)."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import cortex
from cortex.dynamics import movie_responses

movies = pytest.importorskip("cortex.movies")
temporal = pytest.importorskip("cortex.temporal")

FIELD = cortex.VisualField(2.0, 2.0, pixels_per_degree=12)


def population():
    on = cortex.DifferenceOfGaussians(0.1, 0.3)
    off = cortex.DifferenceOfGaussians(0.1, 0.3, polarity="off")
    return cortex.Population([on, off], cortex.Mosaic.from_lattice(FIELD, 0.2))


def noise_movie(fps=200.0, duration=0.3, seed=0):
    return movies.white_noise_movie(FIELD, fps, duration, seed=seed)


def oracle(pop, movie, kernels):
    """Linear rates by the explicit connectivity matrix and np.convolve, neuron by neuron type."""
    w = cortex.connectivity_matrix(pop)  # (n_neurons, pixels)
    frames = np.asarray(movie.frames, dtype=np.float64)
    drive = (w @ frames.reshape(len(frames), -1).T).T  # (T, n)
    out = np.empty_like(drive)
    n_sites = pop.n_sites
    for t, taps in enumerate(kernels):
        cols = slice(t * n_sites, (t + 1) * n_sites)
        for j in range(cols.start, cols.stop):  # a test oracle: loops are fine here
            out[:, j] = np.convolve(drive[:, j], taps)[: len(frames)]
    return out


def test_linear_rates_equal_space_then_time_by_an_independent_oracle():
    pop, movie = population(), noise_movie()
    fast = temporal.Monophasic(0.01, 3)
    slow = temporal.Biphasic(0.01, 0.03, 3, 3, 1.0)
    rates = movie_responses(pop, movie, [fast, slow], nonlinearity=None)
    kernels = [fast.kernel(movie.frames_per_second), slow.kernel(movie.frames_per_second)]
    expected = oracle(pop, movie, kernels)
    np.testing.assert_allclose(rates, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


@settings(deadline=None, max_examples=10)
@given(block=st.integers(1, 70))
def test_the_result_does_not_depend_on_the_block_size(block):
    pop, movie = population(), noise_movie(duration=0.35, seed=3)
    kernel = temporal.Biphasic(0.01, 0.03, 3, 3, 1.0)
    whole = movie_responses(pop, movie, kernel, baseline=5.0, nonlinearity=None)
    blocked = movie_responses(
        pop, movie, kernel, baseline=5.0, nonlinearity=None, block_frames=block
    )
    np.testing.assert_allclose(blocked, whole, rtol=1e-12, atol=1e-12)


def test_no_response_before_the_stimulus_starts():
    pop = population()
    movie = movies.drifting_grating(
        FIELD, 200.0, 0.4, spatial_frequency=1.0, temporal_frequency=4.0, onset=0.1
    )
    rates = movie_responses(
        pop, movie, temporal.Monophasic(0.01, 3), baseline=7.0, nonlinearity=None
    )
    before = movie.times < 0.1
    assert np.all(rates[before] == 7.0)
    assert np.abs(rates[~before] - 7.0).max() > 0.1


def test_steady_state_amplitude_is_the_product_of_the_gains():
    # a drifting grating through a linear separable neuron: the drive is a sinusoid of
    # amplitude |H_space(f)|, and time filtering multiplies it by |H_time| at the grating's
    # temporal frequency (the sampled kernel's own transfer function: exact for a FIR)
    fps, tf, sf = 500.0, 5.0, 1.0
    centre = cortex.Mosaic(FIELD, [[0.0, 0.0]])
    rf = cortex.Gaussian(0.15)
    pop = cortex.Population(rf, centre)
    movie = movies.drifting_grating(FIELD, fps, 1.0, spatial_frequency=sf, temporal_frequency=tf)
    kernel = temporal.Monophasic(0.02, 2)
    rates = movie_responses(pop, movie, kernel, nonlinearity=None)[:, 0]
    taps = kernel.kernel(fps)
    tail = rates[-int(fps / tf) * 2 :]  # two periods, after the kernel's support
    amplitude = (tail.max() - tail.min()) / 2
    h_time = abs(np.sum(taps * np.exp(-2j * np.pi * tf * np.arange(len(taps)) / fps)))
    h_space = abs(complex(rf.frequency_response(sf, 0.0)))
    assert amplitude == pytest.approx(h_space * h_time, rel=0.02)
    # and the analytic temporal response is close to the sampled one at 500 frames/s
    assert abs(kernel.frequency_response(tf)) == pytest.approx(h_time, rel=0.02)


@settings(deadline=None, max_examples=40)
@given(
    n_taps=st.integers(1, 300),
    cuts=st.lists(st.integers(1, 400), min_size=1, max_size=5),
    n_neurons=st.integers(1, 7),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
@example(n_taps=1, cuts=[1], n_neurons=1, dtype=np.float32, seed=0)  # one tap keeps float32
@example(n_taps=200, cuts=[3, 150, 1], n_neurons=2, dtype=np.float32, seed=1)
def test_the_causal_filter_equals_lfilter_whatever_the_blocks(n_taps, cuts, n_neurons, dtype, seed):
    # short kernels take the shifted sums, long ones the Toeplitz GEMMs; blocks shorter
    # than the kernel carry a history longer than themselves
    from scipy.signal import lfilter

    from cortex.dynamics import _CausalFIR

    rng = np.random.default_rng(seed)
    taps = rng.standard_normal(n_taps)
    drive = rng.standard_normal((sum(cuts), n_neurons)).astype(dtype)
    expected = lfilter(taps, [1.0], drive.astype(np.float64), axis=0)
    fir = _CausalFIR(taps)
    history = np.zeros((n_taps - 1, n_neurons), dtype=dtype)
    pieces, start = [], 0
    for cut in cuts:
        out, history = fir(drive[start : start + cut], history)
        assert out.dtype == dtype and history.shape == (n_taps - 1, n_neurons)
        pieces.append(out)
        start += cut
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    scale = np.abs(taps).sum() * np.abs(drive).max()
    np.testing.assert_allclose(np.concatenate(pieces), expected, atol=tolerance * scale, rtol=0)


def test_float32_movies_give_float32_rates_and_rectified_rates_are_nonnegative():
    pop, movie = population(), noise_movie()
    movie32 = movies.Movie(movie.frames.astype(np.float32), movie.frames_per_second, FIELD)
    kernel = temporal.Monophasic(0.01, 3)
    rates32 = movie_responses(pop, movie32, kernel, baseline=2.0)
    rates64 = movie_responses(pop, movie, kernel, baseline=2.0)
    assert rates32.dtype == np.float32 and rates64.dtype == np.float64
    assert np.all(rates64 >= 0)
    np.testing.assert_allclose(rates32, rates64, rtol=1e-4, atol=1e-4 * rates64.max())


def test_bad_inputs():
    pop, movie = population(), noise_movie(duration=0.05)
    kernel = temporal.Monophasic(0.01, 3)
    with pytest.raises(TypeError, match="`movie` must be a cortex.movies.Movie"):
        movie_responses(pop, movie.frames, kernel)
    other = movies.white_noise_movie(cortex.VisualField(1.0, 1.0, 12), 100.0, 0.05, seed=0)
    with pytest.raises(ValueError, match="`movie` is on"):
        movie_responses(pop, other, kernel)
    with pytest.raises(TypeError, match="`temporal` must hold TemporalKernel"):
        movie_responses(pop, movie, "fast")
    with pytest.raises(ValueError, match="one per RF type"):
        movie_responses(pop, movie, [kernel] * 3)
    with pytest.raises(ValueError, match="`baseline` must be finite"):
        movie_responses(pop, movie, kernel, baseline=float("nan"))
    with pytest.raises(ValueError, match="`block_frames` must be >= 1"):
        movie_responses(pop, movie, kernel, block_frames=0)
    with pytest.raises(TypeError, match="`population`"):
        movie_responses("pop", movie, kernel)


# -- populations of spatiotemporal RFs ---------------------------------------------------------
def test_spatiotemporal_responses_of_separable_rfs_equal_movie_responses():
    from cortex.dynamics import spatiotemporal_responses

    pop, movie = population(), noise_movie()
    fast = temporal.Monophasic(0.01, 3)
    slow = temporal.Biphasic(0.01, 0.03, 3, 3, 1.0)
    rfs = [temporal.SeparableRF(t, k) for t, k in zip(pop.types, (fast, slow), strict=True)]
    expected = movie_responses(pop, movie, [fast, slow], baseline=3.0)
    got = spatiotemporal_responses(rfs, pop.mosaic, movie, baseline=3.0)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_direction_selective_cells_follow_their_analytic_gain():
    # the steady-state amplitude of a linear direction-selective cell to a drifting grating
    # is |H(fx, fy, ft)| of its analytic spectrum (to the frame sampling), and the
    # preference flips with the cell's direction
    from cortex.dynamics import spatiotemporal_responses

    field = cortex.VisualField(2.0, 2.0, pixels_per_degree=16)
    centre = cortex.Mosaic(field, [[0.0, 0.0]])
    fps, sf, tf = 400.0, 2.0, 6.0
    for preferred in (0.0, 180.0):
        cell = temporal.DirectionSelectiveRF.from_gabor(sf, direction=preferred)
        amplitude = {}
        for direction in (0.0, 180.0):
            movie = movies.drifting_grating(
                field, fps, 1.0, spatial_frequency=sf, temporal_frequency=tf, direction=direction
            )
            r = spatiotemporal_responses(cell, centre, movie, nonlinearity=None)[200:, 0]
            amplitude[direction] = np.sqrt(2) * r.std()
            fx, fy = sf * np.cos(np.radians(direction)), sf * np.sin(np.radians(direction))
            h = abs(cell.frequency_response(fx, fy, tf))
            assert amplitude[direction] == pytest.approx(h, rel=0.03)
        other = (preferred + 180.0) % 360.0
        assert amplitude[preferred] > 2 * amplitude[other]


def test_spatiotemporal_responses_bad_inputs():
    from cortex.dynamics import spatiotemporal_responses

    movie = noise_movie(duration=0.05)
    mosaic = cortex.Mosaic(FIELD, [[0.0, 0.0]])
    with pytest.raises(TypeError, match="`rf` must hold SeparableRF or DirectionSelectiveRF"):
        spatiotemporal_responses(cortex.Gaussian(0.2), mosaic, movie)
    with pytest.raises(ValueError, match="`rf` must hold at least one"):
        spatiotemporal_responses([], mosaic, movie)
    rf = temporal.SeparableRF(cortex.Gaussian(0.2), temporal.Monophasic(0.01, 3))
    with pytest.raises(TypeError, match="`mosaic` must be a Mosaic"):
        spatiotemporal_responses(rf, "mosaic", movie)


# -- streaming ---------------------------------------------------------------------------------
def test_iterating_blocks_from_arrays_dask_and_generators_equals_the_whole():
    from cortex.dynamics import iter_movie_responses

    da = pytest.importorskip("dask.array")
    pop, movie = population(), noise_movie(duration=0.4, seed=5)
    kernel = temporal.Biphasic(0.01, 0.03, 3, 3, 1.0)
    whole = movie_responses(pop, movie, kernel, baseline=4.0, method="fft")
    fps = movie.frames_per_second
    frames = np.asarray(movie.frames)
    sources = {
        "movie": (movie, None),
        "array": (frames, fps),
        "dask": (da.from_array(frames, chunks=(13, -1, -1)), fps),
        "generator": ((frames[i : i + 7] for i in range(0, len(frames), 7)), fps),
        "single frames": (iter(frames), fps),
    }
    for name, (source, rate) in sources.items():
        blocks = list(
            iter_movie_responses(
                pop,
                source,
                kernel,
                frames_per_second=rate,
                baseline=4.0,
                method="fft",
                block_frames=11,
            )
        )
        assert all(len(b) <= 11 for b in blocks), name
        np.testing.assert_allclose(np.concatenate(blocks), whole, rtol=1e-12, atol=1e-12)


def test_iterating_refuses_bad_frames_before_reading():
    from cortex.dynamics import iter_movie_responses

    pop, movie = population(), noise_movie(duration=0.05)
    kernel = temporal.Monophasic(0.01, 3)
    with pytest.raises(TypeError, match="`frames_per_second` must be given"):
        iter_movie_responses(pop, np.asarray(movie.frames), kernel)
    with pytest.raises(ValueError, match="`frames` must be"):
        iter_movie_responses(pop, np.zeros((3, 5, 5)), kernel, frames_per_second=100.0)
    with pytest.raises(TypeError, match="`frames` must be a Movie"):
        iter_movie_responses(pop, "frames", kernel, frames_per_second=100.0)
    with pytest.raises(ValueError, match="`method` must be one of"):
        iter_movie_responses(pop, movie, kernel, method="gpu")  # before any frame is read
    with pytest.raises(ValueError, match="differs from the movie's"):
        iter_movie_responses(pop, movie, kernel, frames_per_second=50.0)
    with pytest.raises(ValueError, match="`frames_per_second`"):
        iter_movie_responses(pop, np.asarray(movie.frames), kernel, frames_per_second=-1.0)
