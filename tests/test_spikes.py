"""Tests of cortex.spikes: spike statistics against theory, oracles on small trains, errors."""

import dataclasses
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.stats  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.patches import StepPatch  # noqa: E402
from strategies import budget, refused_cheaply  # noqa: E402

from cortex.plotting import plot_psth, plot_raster  # noqa: E402
from cortex.spikes import ORDER_RANGE, SpikeTrains, gamma_spikes, poisson_spikes  # noqa: E402

GENERATORS = {
    "poisson": lambda rates, fps, **kw: poisson_spikes(rates, fps, **kw),
    "gamma": lambda rates, fps, **kw: gamma_spikes(rates, fps, order=3.0, **kw),
}
SEEDS = st.integers(0, 2**32 - 1)


# -- oracles -------------------------------------------------------------------------------
def naive_counts(neuron, time, n_neurons, edges):
    """Spikes of each neuron in each bin, one spike at a time, by Elephant's rule.

    Bin ``floor((t - t_start) / width)``, a position within 1e-8 below the next
    whole bin counted in it (``elephant.utils.round_binning_errors``).
    """
    width = edges[1] - edges[0]
    out = np.zeros((n_neurons, len(edges) - 1), dtype=np.int64)
    for i, t in zip(neuron, time, strict=True):
        position = (t - edges[0]) * (1.0 / width)
        k = math.floor(position)
        if position - k >= 1.0 - 1e-8:
            k += 1
        if k < len(edges) - 1:
            out[i, k] += 1
    return out


def naive_per_neuron(neuron, time, n_neurons):
    return [
        sorted(t for i, t in zip(neuron, time, strict=True) if i == j) for j in range(n_neurons)
    ]


def renewal_fano(order, mean_count):
    """Fano factor of the counts of a stationary gamma renewal process in a window.

    Var N(t) = t / k + 1/6 - 1 / (6 k^2) for intervals of mean 1 and order k (Cox 1962:
    sigma^2 t / mu^3 + 1/6 + sigma^4 / (2 mu^4) - mu_3 / (3 mu^3), mu_3 the third central
    moment 2 / k^2), exact up to terms that vanish exponentially with t; 1 for Poisson.
    """
    return 1.0 / order + (1.0 - 1.0 / order**2) / (6.0 * mean_count)


def cv_variance(order):
    """N * Var(sample CV) of gamma(order) intervals for large N (delta method)."""
    return 1.0 / (2.0 * order) + 1.0 / (2.0 * order**2)


@st.composite
def small_trains(draw, max_spikes=25):
    """``(neuron, time, n_neurons, t_start, t_stop)`` of a few spikes in a random window."""
    n_neurons = draw(st.integers(1, 4))
    t_start = draw(st.floats(-10.0, 10.0))
    duration = draw(st.floats(0.1, 10.0))
    t_stop = t_start + duration
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n_neurons - 1), st.floats(0.0, 1.0, exclude_max=True)),
            max_size=max_spikes,
        )
    )
    neuron = [i for i, _ in pairs]
    time = [min(t_start + f * duration, math.nextafter(t_stop, -math.inf)) for _, f in pairs]
    return neuron, time, n_neurons, t_start, t_stop


def _check_valid(trains, n_neurons, t_start, t_stop):
    assert trains.n_neurons == n_neurons
    assert (trains.t_start, trains.t_stop) == (t_start, t_stop)
    assert trains.neuron.dtype == np.int64 and trains.time.dtype == np.float64
    assert not trains.neuron.flags.writeable and not trains.time.flags.writeable
    if trains.n_spikes:
        assert trains.time.min() >= t_start and trains.time.max() < t_stop
        assert trains.neuron.min() >= 0 and trains.neuron.max() < n_neurons
        step = np.diff(trains.time)
        assert np.all((step > 0) | ((step == 0) & (np.diff(trains.neuron) >= 0)))


# -- the SpikeTrains container -------------------------------------------------------------
def test_constructor_sorts_copies_and_freezes():
    neuron = np.array([2, 0, 1, 0])
    time = np.array([0.5, 0.5, 0.1, 0.9])
    trains = SpikeTrains(neuron, time, 3, 0.0, 1.0)
    np.testing.assert_array_equal(trains.time, [0.1, 0.5, 0.5, 0.9])
    np.testing.assert_array_equal(trains.neuron, [1, 0, 2, 0])  # ties: by neuron
    assert neuron.flags.writeable and time.flags.writeable  # the caller's arrays untouched
    np.testing.assert_array_equal(neuron, [2, 0, 1, 0])
    with pytest.raises(ValueError, match="read-only"):
        trains.time[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        trains.n_neurons = 4
    sorted_input = np.array([0.1, 0.2])
    copy = SpikeTrains([0, 0], sorted_input, 1, 0.0, 1.0)
    assert not np.shares_memory(copy.time, sorted_input)
    assert trains == SpikeTrains([0, 1, 0, 2], [0.9, 0.1, 0.5, 0.5], 3, 0.0, 1.0)
    assert trains != SpikeTrains([0, 1, 0, 2], [0.9, 0.1, 0.5, 0.5], 4, 0.0, 1.0)
    assert trains != "trains"
    assert repr(trains) == "SpikeTrains(n_neurons=3, n_spikes=4, t_start=0.0, t_stop=1.0)"
    assert (trains.n_spikes, trains.duration) == (4, 1.0)
    empty = SpikeTrains([], [], 2, -1.0, 1.0)
    assert empty.n_spikes == 0 and empty.neuron.dtype == np.int64
    np.testing.assert_array_equal(empty.mean_rates(), [0.0, 0.0])
    assert [t.size for t in empty.per_neuron()] == [0, 0]


@given(data=small_trains())
def test_constructor_keeps_every_spike_in_time_order(data):
    neuron, time, n_neurons, t_start, t_stop = data
    trains = SpikeTrains(neuron, time, n_neurons, t_start, t_stop)
    _check_valid(trains, n_neurons, t_start, t_stop)
    assert sorted(zip(trains.time, trains.neuron, strict=True)) == sorted(
        zip(time, neuron, strict=True)
    )


@given(data=small_trains(), fraction=st.floats(0.05, 1.0), subset=st.data())
def test_counts_psth_rates_and_per_neuron_match_naive_loops(data, fraction, subset):
    neuron, time, n_neurons, t_start, t_stop = data
    trains = SpikeTrains(neuron, time, n_neurons, t_start, t_stop)
    bin_width = fraction * (t_stop - t_start)
    rates, edges = trains.psth(bin_width)
    # Edges: t_start + k * bin_width, the partial last bin dropped.
    n_bins = len(edges) - 1
    assert n_bins >= 1
    np.testing.assert_allclose(edges, t_start + np.arange(n_bins + 1) * bin_width, atol=1e-12)
    assert edges[-1] <= t_stop and t_stop - edges[-1] < bin_width * (1 - 1e-9)
    counts = trains.counts(bin_width)
    assert counts.dtype == np.int64 and counts.shape == (n_neurons, n_bins)
    np.testing.assert_array_equal(counts, naive_counts(neuron, time, n_neurons, edges))
    np.testing.assert_allclose(rates, counts.sum(axis=0) / (n_neurons * bin_width))
    chosen = subset.draw(
        st.lists(st.integers(0, n_neurons - 1), min_size=1, max_size=n_neurons, unique=True)
    )
    chosen_rates, chosen_edges = trains.psth(bin_width, neurons=chosen)
    np.testing.assert_array_equal(chosen_edges, edges)
    np.testing.assert_allclose(chosen_rates, counts[chosen].sum(axis=0) / (len(chosen) * bin_width))
    expected_times = naive_per_neuron(neuron, time, n_neurons)
    per_neuron = trains.per_neuron()
    assert len(per_neuron) == n_neurons
    for got, want in zip(per_neuron, expected_times, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(
        trains.mean_rates(), [len(t) / (t_stop - t_start) for t in expected_times]
    )
    sub = trains.select(chosen)
    assert sub.n_neurons == len(chosen)
    for j, i in enumerate(chosen):
        np.testing.assert_array_equal(sub.per_neuron()[j], expected_times[i])


@given(data=small_trains(max_spikes=40), fraction=st.floats(0.05, 1.0))
def test_statistics_follow_the_elephant_definitions(data, fraction):
    """Fano factor: np.var (ddof=0) / mean of the bin counts; CV: scipy.stats.variation of the ISIs."""
    neuron, time, n_neurons, t_start, t_stop = data
    trains = SpikeTrains(neuron, time, n_neurons, t_start, t_stop)
    bin_width = fraction * (t_stop - t_start)
    _, edges = trains.psth(bin_width)
    counts = naive_counts(neuron, time, n_neurons, edges)
    fano, cv = trains.fano_factor(bin_width), trains.isi_cv()
    for i, times in enumerate(naive_per_neuron(neuron, time, n_neurons)):
        if counts[i].sum() == 0:
            assert math.isnan(fano[i])
        else:
            assert fano[i] == pytest.approx(np.var(counts[i]) / np.mean(counts[i]), rel=1e-12)
        intervals = np.diff(times)
        if len(intervals) < 2 or not intervals.mean() > 0:
            assert math.isnan(cv[i])
        else:
            assert cv[i] == pytest.approx(scipy.stats.variation(intervals), rel=1e-9, abs=1e-12)


def test_statistics_of_a_tiny_train_by_hand():
    # neuron 0: spikes at 0, 0.1, 0.3, 0.6 -> intervals 0.1, 0.2, 0.3 (mean 0.2, var 0.02 / 3);
    # bins of 0.25 s: counts 2, 1, 1, 0 (mean 1, var 0.5).  Neuron 1: two spikes; neuron 2: none.
    trains = SpikeTrains([0, 0, 0, 0, 1, 1], [0.0, 0.1, 0.3, 0.6, 0.2, 0.7], 3, 0.0, 1.0)
    np.testing.assert_array_equal(trains.counts(0.25), [[2, 1, 1, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(trains.fano_factor(0.25), [0.5, 0.5, np.nan])
    np.testing.assert_allclose(trains.isi_cv(), [1 / math.sqrt(6.0), np.nan, np.nan])
    np.testing.assert_allclose(trains.mean_rates(), [4.0, 2.0, 0.0])
    rates, edges = trains.psth(0.25)
    np.testing.assert_allclose(edges, [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(rates, np.array([3, 1, 2, 0]) / (3 * 0.25))
    np.testing.assert_allclose(trains.psth(0.5, neurons=1)[0], [2.0, 2.0])
    # one bin: no variance -> 0, as elephant's fanofactor of a single count
    np.testing.assert_allclose(trains.fano_factor(1.0), [0.0, 0.0, np.nan])
    # equal spike times: zero intervals have no CV
    assert math.isnan(SpikeTrains([0, 0, 0], [0.5, 0.5, 0.5], 1, 0.0, 1.0).isi_cv()[0])


def test_partial_last_bins_are_dropped_and_whole_ones_kept():
    trains = SpikeTrains([0, 0, 0], [0.05, 0.85, 0.95], 1, 0.0, 1.0)
    rates, edges = trains.psth(0.3)  # bins [0, .3), [.3, .6), [.6, .9): 0.95 falls out
    np.testing.assert_allclose(edges, [0.0, 0.3, 0.6, 0.9])
    np.testing.assert_array_equal(trains.counts(0.3), [[1, 0, 1]])
    # 0.3 / 0.1 = 2.9999999999999996 in float64: still 3 bins, the last ending at t_stop;
    # a spike just below 0.3 is within 1e-8 bin of the 4th (dropped) bin: out, as in Elephant
    near = SpikeTrains([0], [math.nextafter(0.3, 0.0)], 1, 0.0, 0.3)
    _, edges = near.psth(0.1)
    assert len(edges) == 4 and edges[-1] == 0.3
    np.testing.assert_array_equal(near.counts(0.1), [[0, 0, 0]])


# -- Poisson spikes ------------------------------------------------------------------------
@given(
    rate=st.floats(1.0, 100.0),
    n_frames=st.integers(5, 40),
    fps=st.floats(10.0, 200.0),
    seed=SEEDS,
)
def test_poisson_counts_have_mean_and_variance_rate_times_duration(rate, n_frames, fps, seed):
    n = 400
    trains = poisson_spikes(np.full((n_frames, n), rate), fps, seed=seed)
    expected = rate * n_frames / fps  # rate x duration
    counts = np.bincount(trains.neuron, minlength=n)
    # sample mean: sd sqrt(lambda / n); sample variance: sd ~ sqrt((lambda + 2 lambda^2) / n)
    assert abs(counts.mean() - expected) <= 6 * math.sqrt(expected / n)
    assert abs(counts.var(ddof=1) - expected) <= 6 * math.sqrt((expected + 2 * expected**2) / n)


def test_poisson_frames_hold_any_number_of_spikes(rng):
    # 5 expected spikes per frame: a Bernoulli-per-frame scheme would give at most 1
    n_frames, n = 200, 100
    trains = poisson_spikes(np.full((n_frames, n), 500.0), 100, seed=rng)
    per_frame = trains.counts(0.01).ravel()
    size = per_frame.size
    assert abs(per_frame.mean() - 5.0) <= 6 * math.sqrt(5.0 / size)
    # P(0 spikes) = exp(-5) and P(10 or more) = 1 - cdf: a Poisson law, not a cap at one
    for observed, p in [
        (np.mean(per_frame == 0), math.exp(-5.0)),
        (np.mean(per_frame >= 10), scipy.stats.poisson.sf(9, 5.0)),
    ]:
        assert abs(observed - p) <= 6 * math.sqrt(p * (1 - p) / size)


# -- both generators: statistics against theory ---------------------------------------------
STATIONARY = [("poisson", 1.0), ("gamma", 1.0), ("gamma", 2.0), ("gamma", 4.0), ("gamma", 0.5)]


@pytest.mark.parametrize(("kind", "order"), STATIONARY, ids=[f"{k}-{o}" for k, o in STATIONARY])
def test_fano_factor_and_isi_cv_at_a_constant_rate(kind, order):
    rate, fps, n_frames, n = 50.0, 10.0, 1000, 40  # 100 s, ~5000 spikes per neuron
    rates = np.full((n_frames, n), rate)
    if kind == "poisson":
        trains = poisson_spikes(rates, fps, seed=7)
    else:
        trains = gamma_spikes(rates, fps, order=order, seed=7)
    bin_width = 1.0
    m = int(round(n_frames / fps / bin_width))  # bins per neuron
    fano = trains.fano_factor(bin_width)
    # var with ddof=0 has mean (m - 1) / m of the variance; sd of var / mean ~ F sqrt(2 / (m - 1))
    expected_fano = renewal_fano(order, rate * bin_width) * (m - 1) / m
    sd_fano = expected_fano * math.sqrt(2.0 / (m - 1)) / math.sqrt(n)
    assert abs(fano.mean() - expected_fano) <= 5 * sd_fano, (fano.mean(), expected_fano)
    cv = trains.isi_cv()
    n_isi = rate * n_frames / fps - 1
    sd_cv = math.sqrt(cv_variance(order) / n_isi) / math.sqrt(n)
    assert abs(cv.mean() - 1 / math.sqrt(order)) <= 5 * sd_cv, (cv.mean(), 1 / math.sqrt(order))
    rate_sd = math.sqrt(rate / order / (n_frames / fps)) / math.sqrt(n)  # of the mean rate
    assert abs(trains.mean_rates().mean() - rate) <= 5 * rate_sd


def test_gamma_process_is_stationary_from_t_start():
    # As if it had been running before t_start: 20 ms bins hold rate x 20 ms spikes on
    # average from the very first.  (Started with a spike at t_start, order 4 at 50 Hz would
    # give P(Gamma(4, 1) < 4) + P(Gamma(8, 1) < 4) + ... = 0.62 spikes instead of 1.)
    n = 2000
    trains = gamma_spikes(np.full((10, n), 50.0), 100, order=4.0, seed=3, t_start=-0.05)
    first = trains.counts(0.02)[:, 0]
    variance = renewal_fano(4.0, 1.0) * 1.0
    assert abs(first.mean() - 1.0) <= 6 * math.sqrt(variance / n)


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_a_time_varying_rate_is_followed(kind):
    fps, n_frames, n = 100.0, 200, 500
    t = (np.arange(n_frames) + 0.5) / fps
    profile = 40.0 + 30.0 * np.sin(2 * np.pi * 2.0 * t)  # spikes/s, 2 Hz over 2 s
    trains = GENERATORS[kind](np.tile(profile[:, np.newaxis], (1, n)), fps, seed=11)
    bin_width = 0.05  # 5 frames
    rates, edges = trains.psth(bin_width)
    expected = profile.reshape(-1, 5).mean(axis=1)
    assert rates.shape == expected.shape
    np.testing.assert_allclose(edges, np.arange(len(expected) + 1) * bin_width, atol=1e-12)
    # spike counts of a bin: variance <= its mean (+ 1/6 for a renewal process), over n neurons
    per_neuron = expected * bin_width
    sd = np.sqrt(n * (per_neuron + 1.0 / 6.0)) / (n * bin_width)
    assert np.all(np.abs(rates - expected) <= 5 * sd), np.max(np.abs(rates - expected) / sd)
    assert np.corrcoef(rates, expected)[0, 1] > 0.97


@pytest.mark.parametrize("kind", sorted(GENERATORS))
@given(
    rates=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(1, 5)),
        elements=st.sampled_from([0.0, 0.0, 0.0, 5.0, 80.0, 900.0]),
    ),
    fps=st.sampled_from([10.0, 30.0, 60.0]),
    t_start=st.floats(-100.0, 100.0),
    seed=SEEDS,
)
def test_spikes_only_where_the_rate_is_positive(kind, rates, fps, t_start, seed):
    trains = GENERATORS[kind](rates, fps, seed=seed, t_start=t_start)
    n_frames, n = rates.shape
    edges = t_start + np.arange(n_frames + 1) * (1.0 / fps)
    _check_valid(trains, n, t_start, float(edges[-1]))
    frame = np.searchsorted(edges, trains.time, side="right") - 1
    assert np.all(rates[frame, trains.neuron] > 0)
    if not rates.any():
        assert trains.n_spikes == 0


@pytest.mark.parametrize("kind", sorted(GENERATORS))
@given(seed=SEEDS, n=st.integers(1, 6))
def test_the_same_seed_gives_the_same_trains(kind, seed, n):
    rates = np.linspace(0.0, 200.0, 20 * n).reshape(20, n)
    make = GENERATORS[kind]
    first = make(rates, 50, seed=seed)
    assert first == make(rates, 50, seed=seed)
    assert first == make(rates, 50, seed=np.random.default_rng(seed))
    generator = np.random.default_rng(seed)
    assert make(rates, 50, seed=generator) != make(rates, 50, seed=generator)  # advanced
    assert first != make(rates, 50, seed=seed + 1)
    shifted = make(rates, 50, seed=seed, t_start=5.0)  # same draws, moved by 5 s
    np.testing.assert_array_equal(shifted.neuron, first.neuron)
    np.testing.assert_allclose(shifted.time - 5.0, first.time, atol=1e-12)


def test_gamma_of_order_one_and_poisson_agree_on_the_rate_law(rng):
    rates = np.full((400, 200), 25.0)
    counts = [
        gen(rates, 100, seed=rng).counts(1.0).ravel()
        for gen in (poisson_spikes, lambda r, f, seed: gamma_spikes(r, f, order=1.0, seed=seed))
    ]
    # two samples of 800 Poisson(25) counts: same mean and variance within sampling error
    sd_mean = math.sqrt(2 * 25.0 / 800)
    sd_var = math.sqrt(2 * (25.0 + 2 * 25.0**2) / 800)
    assert abs(counts[0].mean() - counts[1].mean()) <= 5 * sd_mean
    assert abs(counts[0].var() - counts[1].var()) <= 5 * sd_var


# -- bad input -----------------------------------------------------------------------------
GOOD = np.full((4, 2), 10.0)
BAD_GENERATOR_CALLS = [
    (dict(rates=[[1.0, -1.0]]), ValueError, r"`rates` must be >= 0 spikes/s, got minimum -1"),
    (dict(rates=[[1.0, np.nan]]), ValueError, "`rates` must be finite, got 1 NaN"),
    (dict(rates=[[np.inf, 1.0]]), ValueError, "`rates` must be finite"),
    (dict(rates=[1.0, 2.0]), ValueError, r"`rates` must be 2-D, got shape \(2,\)"),
    (dict(rates=np.ones((2, 2, 2))), ValueError, "`rates` must be 2-D"),
    (dict(rates=np.ones((0, 3))), ValueError, "`rates` must not be empty"),
    (dict(rates=np.ones((2, 2), bool)), TypeError, "`rates` must hold numbers"),
    (dict(rates=[["a", "b"]]), TypeError, "`rates` must hold numbers"),
    (dict(rates=None), TypeError, "`rates` must hold numbers"),
    (dict(rates=[[1.0], [1.0, 2.0]]), TypeError, "`rates` must be array-like"),
    (dict(frames_per_second=0.0), ValueError, "`frames_per_second` must be > 0, got 0.0"),
    (dict(frames_per_second=-30), ValueError, "`frames_per_second` must be > 0"),
    (dict(frames_per_second=np.nan), ValueError, "`frames_per_second` must be finite"),
    (dict(frames_per_second=np.inf), ValueError, "`frames_per_second` must be finite"),
    (dict(frames_per_second=True), TypeError, "`frames_per_second` must be a real number"),
    (dict(frames_per_second="30"), TypeError, "`frames_per_second` must be a real number"),
    (dict(frames_per_second=1e-310), ValueError, "`frames_per_second` is too small"),
    (dict(frames_per_second=1e300, t_start=1e6), ValueError, "too large to resolve frames"),
    (dict(t_start=np.nan), ValueError, "`t_start` must be finite"),
    (dict(t_start="0"), TypeError, "`t_start` must be a real number"),
    (dict(seed=-1), ValueError, "`seed` must be >= 0"),
    (dict(seed=1.5), TypeError, "`seed` must be an integer"),
    (dict(seed="a"), TypeError, "`seed` must be an integer"),
]
BAD_ORDERS = [
    (0.0, ValueError, r"`order` must be in \[0.01, 10000\], got 0"),
    (-1.0, ValueError, r"`order` must be in \[0.01, 10000\]"),
    (1e5, ValueError, r"`order` must be in \[0.01, 10000\], got 100000"),
    (np.nan, ValueError, "`order` must be finite"),
    (np.inf, ValueError, "`order` must be finite"),
    (True, TypeError, "`order` must be a real number"),
    ("2", TypeError, "`order` must be a real number"),
]


@pytest.mark.parametrize("kind", sorted(GENERATORS))
@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    BAD_GENERATOR_CALLS,
    ids=[f"{next(iter(o))}-{i}" for i, (o, _, _) in enumerate(BAD_GENERATOR_CALLS)],
)
def test_generators_refuse_bad_input_naming_it(kind, overrides, error, match):
    args = {"rates": GOOD, "frames_per_second": 30.0, **overrides}
    generator = poisson_spikes if kind == "poisson" else gamma_spikes
    rates, fps = args.pop("rates"), args.pop("frames_per_second")
    with pytest.raises(error, match=match):
        generator(rates, fps, **args)


@pytest.mark.parametrize(("order", "error", "match"), BAD_ORDERS)
def test_gamma_refuses_bad_orders(order, error, match):
    with pytest.raises(error, match=match):
        gamma_spikes(GOOD, 30.0, order=order)
    assert ORDER_RANGE == (1e-2, 1e4)
    gamma_spikes(GOOD, 30.0, order=ORDER_RANGE[0], seed=0)  # the ends are accepted
    gamma_spikes(GOOD, 30.0, order=ORDER_RANGE[1], seed=0)


BAD_TRAINS = [
    (dict(neuron=[0.0]), TypeError, "`neuron` must hold integers, got dtype float64"),
    (dict(neuron=[True]), TypeError, "`neuron` must hold integers, got dtype bool"),
    (dict(neuron="0"), TypeError, "`neuron` must be an array of integers"),
    (dict(neuron=[[0]]), ValueError, r"`neuron` must be 1-D, got shape \(1, 1\)"),
    (dict(neuron=[3]), ValueError, r"`neuron` must be in \[0, 3\), got 3"),
    (dict(neuron=[-1]), ValueError, r"`neuron` must be in \[0, 3\), got -1"),
    (dict(time=[1.0]), ValueError, r"`time` must be in \[t_start, t_stop\) = \[0, 1\) s, got 1.0"),
    (dict(time=[-0.5]), ValueError, r"`time` must be in \[t_start, t_stop\)"),
    (dict(time=[np.nan]), ValueError, "`time` must be finite"),
    (dict(time=[True]), TypeError, "`time` must hold numbers"),
    (dict(time=["0.5"]), TypeError, "`time` must hold numbers"),
    (
        dict(time=[0.1, 0.2]),
        ValueError,
        "`neuron` and `time` must have the same length, got 1 and 2",
    ),
    (dict(n_neurons=0), ValueError, "`n_neurons` must be >= 1, got 0"),
    (dict(n_neurons=True), TypeError, "`n_neurons` must be an integer"),
    (dict(n_neurons=3.0), TypeError, "`n_neurons` must be an integer"),
    (dict(t_stop=0.0), ValueError, r"`t_stop` must be > `t_start` \(0 s\), got 0"),
    (dict(t_start=np.inf), ValueError, "`t_start` must be finite"),
    (dict(t_stop="1"), TypeError, "`t_stop` must be a real number"),
]


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    BAD_TRAINS,
    ids=[f"{next(iter(o))}-{i}" for i, (o, _, _) in enumerate(BAD_TRAINS)],
)
def test_spike_trains_refuse_bad_fields_naming_them(overrides, error, match):
    fields = {"neuron": [1], "time": [0.5], "n_neurons": 3, "t_start": 0.0, "t_stop": 1.0}
    with pytest.raises(error, match=match):
        SpikeTrains(**{**fields, **overrides})


TRAINS = SpikeTrains([0, 1, 2, 0], [0.1, 0.2, 0.4, 0.8], 3, 0.0, 1.0)
BAD_BIN_WIDTHS = [
    (0.0, ValueError, "`bin_width` must be > 0"),
    (-0.1, ValueError, "`bin_width` must be > 0"),
    (np.nan, ValueError, "`bin_width` must be finite"),
    (True, TypeError, "`bin_width` must be a real number"),
    ("0.1", TypeError, "`bin_width` must be a real number"),
    (2.0, ValueError, r"`bin_width` must be <= the duration \(1 s\), got 2"),
]
BAD_NEURONS = [
    ([3], ValueError, r"`neurons` must be indices in \[0, 3\), got 3"),
    ([-1, 0], ValueError, r"`neurons` must be indices in \[0, 3\), got -1"),
    ([0, 2, 0], ValueError, "`neurons` must not repeat a neuron, got neuron 0 2 times"),
    ([], ValueError, "`neurons` must select at least one neuron"),
    ([[0, 1]], ValueError, "`neurons` must be 1-D"),
    ([True, False, True], TypeError, "`neurons` must hold integers, got dtype bool"),
    (True, TypeError, "`neurons` must be an array of integers"),
    ([0.0], TypeError, "`neurons` must hold integers"),
    ("0", TypeError, "`neurons` must be an array of integers"),
]


@pytest.mark.parametrize(("bin_width", "error", "match"), BAD_BIN_WIDTHS)
@pytest.mark.parametrize(
    "method",
    [TRAINS.counts, TRAINS.psth, TRAINS.fano_factor, lambda w: plot_psth(TRAINS, w)],
    ids=["counts", "psth", "fano_factor", "plot_psth"],
)
def test_bin_widths_are_validated(method, bin_width, error, match):
    with pytest.raises(error, match=match):
        method(bin_width)


@pytest.mark.parametrize(("neurons", "error", "match"), BAD_NEURONS)
@pytest.mark.parametrize(
    "method",
    [
        TRAINS.select,
        lambda n: TRAINS.psth(0.1, neurons=n),
        lambda n: plot_raster(TRAINS, neurons=n),
        lambda n: plot_psth(TRAINS, 0.1, neurons=n),
    ],
    ids=["select", "psth", "plot_raster", "plot_psth"],
)
def test_neuron_selections_are_validated(method, neurons, error, match):
    with pytest.raises(error, match=match):
        method(neurons)


def test_bins_too_fine_for_float64_are_refused():
    far = SpikeTrains([0], [1e12 + 0.5], 1, 1e12, 1e12 + 1.0)  # float64 spacing here: 1.2e-4 s
    with pytest.raises(ValueError, match="`bin_width` = 0.0001 s is too small to resolve"):
        far.counts(1e-4)


def test_oversized_requests_are_refused_cheaply(small_budget):
    huge = np.full((10, 10), 1e12)  # 1e12 expected spikes
    refused_cheaply(lambda: poisson_spikes(huge, 1.0), match="expected spikes")
    refused_cheaply(lambda: gamma_spikes(huge, 1.0), match="expected spikes")
    wide = np.broadcast_to(0.0, (10**6, 10**5))  # a view: 800 GB if it were materialised
    refused_cheaply(lambda: poisson_spikes(wide, 30.0), match="1000000 frames x 100000 neurons")
    refused_cheaply(lambda: gamma_spikes(wide, 30.0), match="working arrays")
    refused_cheaply(lambda: TRAINS.counts(1e-12), match="bins of 1e-12 s")
    refused_cheaply(lambda: TRAINS.psth(1e-12), match="bins")
    refused_cheaply(lambda: TRAINS.fano_factor(1e-12), match="bins")
    refused_cheaply(lambda: plot_psth(TRAINS, 1e-12), match="bins")
    many = poisson_spikes(np.full((10, 10), 2000.0), 10.0, seed=0)  # ~20,000 spikes
    with budget("1M"):
        refused_cheaply(lambda: plot_raster(many), match="a raster of")
        refused_cheaply(lambda: many.isi_cv(), match="inter-spike intervals")


# -- plots ---------------------------------------------------------------------------------
def test_raster_is_one_collection_of_ticks_at_the_spike_times():
    trains = poisson_spikes(np.full((20, 5), 40.0), 20.0, seed=2, t_start=1.0)
    ax = plt.figure().add_subplot()
    out = plot_raster(trains, ax, color="C1", linewidth=2)
    assert out is ax
    (ticks,) = ax.collections
    assert isinstance(ticks, LineCollection)
    segments = ticks.get_segments()
    assert len(segments) == trains.n_spikes
    x = np.array([s[:, 0] for s in segments])
    y = np.array([s[:, 1] for s in segments])
    np.testing.assert_allclose(x[:, 0], trains.time)
    np.testing.assert_allclose(x[:, 1], trains.time)
    np.testing.assert_allclose(y.mean(axis=1), trains.neuron)  # row = neuron
    np.testing.assert_allclose(y[:, 1] - y[:, 0], 0.8)
    assert ticks.get_linewidths()[0] == 2
    assert ax.get_xlim() == (1.0, 2.0)
    assert ax.get_ylim() == (-0.5, 4.5)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (s)", "neuron")


def test_raster_of_chosen_neurons_labels_their_rows():
    trains = SpikeTrains([0, 1, 2, 3], [0.1, 0.2, 0.3, 0.4], 4, 0.0, 1.0)
    plt.figure()
    ax = plot_raster(trains, neurons=[3, 1])
    assert ax is plt.gca()
    (ticks,) = ax.collections
    rows = [s[:, 1].mean() for s in ticks.get_segments()]
    times = [s[0, 0] for s in ticks.get_segments()]
    assert sorted(zip(times, rows, strict=True)) == [(0.2, 1.0), (0.4, 0.0)]
    ax.figure.canvas.draw()
    labels = {t.get_text() for t in ax.get_yticklabels()} - {""}
    assert labels == {"3", "1"}
    assert ax.get_ylim() == (-0.5, 1.5)
    empty = plot_raster(SpikeTrains([], [], 2, 0.0, 1.0), ax=plt.figure().add_subplot())
    assert len(empty.collections[0].get_segments()) == 0


def test_psth_is_one_step_patch_of_the_rates():
    trains = poisson_spikes(np.full((40, 6), 30.0), 20.0, seed=4)
    ax = plt.figure().add_subplot()
    out = plot_psth(trains, 0.25, ax, neurons=[0, 1, 2], color="C2")
    assert out is ax
    (steps,) = ax.patches
    assert isinstance(steps, StepPatch)
    rates, edges = trains.psth(0.25, neurons=[0, 1, 2])
    data = steps.get_data()
    np.testing.assert_allclose(data.values, rates)
    np.testing.assert_allclose(data.edges, edges)
    assert ax.get_ylabel() == "rate (spikes/s)" and ax.get_xlabel() == "time (s)"
    assert ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] >= rates.max()
    silent = plot_psth(SpikeTrains([], [], 1, 0.0, 1.0), 0.5, ax=plt.figure().add_subplot())
    assert silent.get_ylim() == (0.0, 1.0)


@pytest.mark.parametrize("plot", [plot_raster, lambda trains, **kw: plot_psth(trains, 0.1, **kw)])
def test_plots_refuse_what_is_not_spike_trains(plot):
    for bad in [None, np.zeros((3, 2)), [[0, 0.1]]]:
        with pytest.raises(TypeError, match="`trains` must be a SpikeTrains, got"):
            plot(bad)
    with pytest.raises(TypeError, match="`ax` must be a matplotlib Axes or None"):
        plot(TRAINS, ax="left")
