"""cortex.neo_bridge: exact round trips with neo, and Elephant's statistics against cortex's.

What is compared with Elephant (1.2), on the trains ``to_neo`` makes:

* PSTH: ``elephant.statistics.time_histogram(trains, bin_size, output="rate")``
  against ``SpikeTrains.psth(bin_size)`` (and a subset of trains against
  ``psth(bin_size, neurons=...)``): equal bit for bit; the counts under it,
  ``elephant.conversion.BinnedSpikeTrain(trains, bin_size).to_array()``,
  equal ``SpikeTrains.counts(bin_size)``.
* Fano factor: Elephant's ``fanofactor(list)`` is ``var / mean`` (``ddof=0``)
  of the spike counts of the trains of the list, meant as trials of one
  neuron; cortex's ``fano_factor(bin_width)`` is, per neuron, the same ratio
  over the neuron's time bins.  So for each neuron the list given to Elephant
  is its train cut into one piece per bin (the spikes Elephant's own
  ``BinnedSpikeTrain.spike_indices`` puts in bin ``k``; each piece keeps the
  train's ``t_start``/``t_stop``, so Elephant sees equal durations): the bins
  play the trials.  Equal to rtol 1e-12 (NaN for a silent neuron on both).
* ISI CV: ``elephant.statistics.cv(elephant.statistics.isi(train))``
  (``scipy.stats.variation``, ``ddof=0``) against ``SpikeTrains.isi_cv()``:
  rtol 1e-12 for neurons with >= 3 spikes.  With 2 spikes (one interval)
  Elephant returns 0 and cortex NaN; with fewer, both NaN (Elephant with a
  SmallSampleWarning): cortex's documented choice, checked here.

The trains compared are drawn by ``poisson_spikes`` / ``gamma_spikes``
(continuous spike times); spikes lying on a bin edge (spike times on a grid,
as a simulator's time step gives) are binned as Elephant bins them, tested at
the end.
"""

import math
import subprocess
import sys
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")
pytest.importorskip("elephant")

from elephant import statistics as es  # noqa: E402
from elephant.conversion import BinnedSpikeTrain  # noqa: E402

import cortex  # noqa: E402
from cortex.neo_bridge import TIME_UNITS, from_neo, to_neo  # noqa: E402
from cortex.spikes import SpikeTrains, gamma_spikes, poisson_spikes  # noqa: E402

SEEDS = st.integers(0, 2**32 - 1)
FPS = 100.0


@contextmanager
def elephant_quietly():
    """Elephant 1.2 passes ``copy=`` to quantities >= 0.16, which warns (not about cortex)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The 'copy' argument in Quantity is deprecated")
        yield


def drawn(kind, seed, n_neurons=5, n_frames=200, t_start=0.0):
    """Seeded trains at time-varying rates (0 to ~60 spikes/s, one neuron silent)."""
    t = np.arange(n_frames)[:, None] / FPS
    base = np.linspace(0.0, 40.0, n_neurons)  # neuron 0 never fires
    rates = base * (1.0 + 0.5 * np.sin(2 * np.pi * 3.0 * t + np.arange(n_neurons)))
    if kind == "poisson":
        return poisson_spikes(rates, FPS, seed=seed, t_start=t_start)
    return gamma_spikes(rates, FPS, order=4.0, seed=seed, t_start=t_start)


def assert_same(a, b):
    """Equal SpikeTrains, field by field and bit for bit."""
    assert a == b
    assert a.n_neurons == b.n_neurons
    assert a.t_start == b.t_start and a.t_stop == b.t_stop
    np.testing.assert_array_equal(a.neuron, b.neuron)
    np.testing.assert_array_equal(a.time, b.time)
    assert a.time.dtype == np.float64 and a.neuron.dtype == np.int64


@st.composite
def spike_trains(draw):
    """Any SpikeTrains: odd windows, silent neurons, repeated times, times on a grid."""
    n_neurons = draw(st.integers(1, 6))
    t_start = draw(st.floats(-1e3, 1e3, allow_nan=False))
    duration = draw(st.floats(1e-3, 1e3))
    t_stop = t_start + duration
    fractions = draw(st.lists(st.floats(0.0, 1.0, exclude_max=True), max_size=40))
    grid = draw(st.booleans())
    times = [t_start + (round(f * 100) / 100 if grid else f) * duration for f in fractions]
    times = [x for x in times if t_start <= x < t_stop]
    neuron = draw(st.lists(st.integers(0, n_neurons - 1), min_size=len(times), max_size=len(times)))
    return SpikeTrains(np.array(neuron, dtype=np.int64), times, n_neurons, t_start, t_stop)


# -- round trip -----------------------------------------------------------------------------
@given(trains=spike_trains(), seed=SEEDS)
def test_round_trip_is_exact(trains, seed):
    converted = to_neo(trains)
    assert_same(from_neo(converted), trains)
    segment = neo.Segment()
    segment.spiketrains = converted
    assert_same(from_neo(segment), trains)
    # the `neuron` annotations, not the order, say which neuron a train is
    shuffled = [converted[i] for i in np.random.default_rng(seed).permutation(len(converted))]
    assert_same(from_neo(shuffled), trains)


@pytest.mark.parametrize("kind", ["poisson", "gamma"])
def test_round_trip_of_generated_trains(kind):
    trains = drawn(kind, seed=3, n_neurons=8, t_start=-1.25)
    assert trains.n_spikes > 100
    converted = to_neo(trains, positions=np.zeros((8, 2)), annotations={"kind": kind})
    assert_same(from_neo(converted), trains)
    assert_same(from_neo(converted, n_neurons=8), trains)


def test_to_neo_makes_one_train_per_neuron_in_seconds():
    trains = drawn("poisson", seed=1, t_start=0.5)
    converted = to_neo(trains)
    assert isinstance(converted, list) and len(converted) == trains.n_neurons
    for i, (train, times) in enumerate(zip(converted, trains.per_neuron(), strict=True)):
        assert isinstance(train, neo.SpikeTrain)
        assert train.units == pq.s and train.dtype == np.float64
        np.testing.assert_array_equal(train.magnitude, times)
        assert train.t_start.item() == trains.t_start == 0.5
        assert train.t_stop.item() == trains.t_stop == 2.5
        assert train.annotations == {"neuron": i}
        assert type(train.annotations["neuron"]) is int
    assert len(converted[0]) == 0  # a silent neuron is an empty train, not a missing one


@pytest.mark.parametrize("units", ["ms", "us"])
def test_other_units_round_trip_to_rounding(units):
    trains = drawn("gamma", seed=2, t_start=0.125)
    converted = to_neo(trains, units=units)
    scale = {"ms": 1e3, "us": 1e6}[units]
    assert converted[1].units == pq.Quantity(1.0, units)
    assert converted[1].t_stop.item() == trains.t_stop * scale
    back = from_neo(converted)
    np.testing.assert_array_equal(back.neuron, trains.neuron)
    np.testing.assert_allclose(back.time, trains.time, rtol=2e-16 * 4, atol=0)
    assert back.t_start == pytest.approx(trains.t_start, rel=1e-15)
    assert back.t_stop == pytest.approx(trains.t_stop, rel=1e-15)


def test_from_neo_rescales_each_train_to_seconds():
    trains = from_neo(
        [
            neo.SpikeTrain([250.0, 500.0], t_start=0.0, t_stop=1000.0, units="ms"),
            neo.SpikeTrain([0.125], t_start=0.0, t_stop=1.0, units="s"),
            neo.SpikeTrain([750000.0], t_start=0.0, t_stop=1e6, units="us"),
        ]
    )
    assert trains == SpikeTrains([1, 0, 0, 2], [0.125, 0.25, 0.5, 0.75], 3, 0.0, 1.0)


def test_from_neo_without_annotations_uses_the_order_and_n_neurons():
    a = neo.SpikeTrain([0.5], t_stop=1.0, units="s")
    b = neo.SpikeTrain([0.25, 0.75], t_stop=1.0, units="s")
    assert from_neo([b, a]) == SpikeTrains([0, 1, 0], [0.25, 0.5, 0.75], 2, 0.0, 1.0)
    wider = from_neo([b, a], n_neurons=4)
    assert wider.n_neurons == 4 and np.array_equal(wider.mean_rates(), [2.0, 1.0, 0.0, 0.0])
    assert from_neo(a) == SpikeTrains([0], [0.5], 1, 0.0, 1.0)  # one train is one neuron
    a.annotate(neuron=np.int32(2))  # numpy integers are indices too
    b.annotate(neuron=0)
    assert from_neo([a, b]) == SpikeTrains([0, 2, 0], [0.25, 0.5, 0.75], 3, 0.0, 1.0)


def test_from_neo_window_agreeing_up_to_rounding():
    # 700 ms read in seconds is 0.7000000000000001 s, not 0.7 s: the same window to rounding
    ms = neo.SpikeTrain([100.0, 600.0], t_start=0.0, t_stop=700.0, units="ms")
    s = neo.SpikeTrain([0.2], t_start=0.0, t_stop=0.7, units="s")
    assert ms.t_stop.rescale("s").item() == 0.7000000000000001
    trains = from_neo([s, ms])
    assert trains.t_stop == 0.7000000000000001  # the largest: every spike fits
    assert trains.time.tolist() == [0.1, 0.2, 0.6] and trains.neuron.tolist() == [1, 0, 1]


# -- annotations ----------------------------------------------------------------------------
def test_population_positions_become_annotations():
    field = cortex.VisualField(6.0, 4.0, pixels_per_degree=8)
    population = cortex.Population(
        (cortex.Gaussian(0.3), cortex.DifferenceOfGaussians(0.3, 0.6)),
        cortex.Mosaic.from_lattice(field, 0.6),
    )
    n_sites = population.n_sites
    rates = np.full((20, population.n_neurons), 30.0)
    trains = poisson_spikes(rates, FPS, seed=4)
    converted = to_neo(trains, positions=population.centers, annotations={"area": "LGN"})
    assert population.n_types == 2 and len(converted) == population.n_neurons
    np.testing.assert_array_equal(
        population.centers, np.tile(population.mosaic.centers, (population.n_types, 1))
    )
    for j, train in enumerate(converted):
        site = population.mosaic.centers[j % n_sites]  # type j // n_sites at site j % n_sites
        assert train.annotations == {
            "neuron": j,
            "x_deg": float(site[0]),
            "y_deg": float(site[1]),
            "area": "LGN",
        }
        assert type(train.annotations["x_deg"]) is float
    assert_same(from_neo(converted), trains)


def test_user_annotations_reach_every_train_and_are_copied():
    trains = SpikeTrains([0, 1], [0.1, 0.2], 2, 0.0, 1.0)
    mine = {"stimulus": "grating", "contrast": 0.8, "trial": 3}
    converted = to_neo(trains, annotations=mine)
    mine["trial"] = 4
    for i, train in enumerate(converted):
        assert train.annotations == {
            "neuron": i,
            "stimulus": "grating",
            "contrast": 0.8,
            "trial": 3,
        }


# -- Elephant's statistics on the converted trains --------------------------------------------
def elephant_pieces(train, bin_size):
    """``train`` cut into one piece per bin, by Elephant's own binning."""
    with elephant_quietly():
        binned = BinnedSpikeTrain(train, bin_size=bin_size * pq.s)
    index = binned.spike_indices[0]
    return [train[index == k] for k in range(binned.n_bins)]


@given(
    kind=st.sampled_from(["poisson", "gamma"]),
    seed=SEEDS,
    t_start=st.sampled_from([0.0, -0.37, 12.5, 1000.1]),
    frames_per_bin=st.sampled_from([1, 4, 5, 10, 25, 50]),
)
def test_elephant_psth_and_counts_equal_cortex(kind, seed, t_start, frames_per_bin):
    trains = drawn(kind, seed, n_neurons=6, n_frames=200, t_start=t_start)
    converted = to_neo(trains)
    bin_size = frames_per_bin / FPS  # the 2 s hold a whole number of bins
    rates, edges = trains.psth(bin_size)
    with elephant_quietly():
        counts = BinnedSpikeTrain(converted, bin_size=bin_size * pq.s).to_array()
        histogram = es.time_histogram(converted, bin_size * pq.s, output="rate")
        subset = es.time_histogram([converted[i] for i in (4, 1)], bin_size * pq.s, output="rate")
    np.testing.assert_array_equal(counts, trains.counts(bin_size))
    assert histogram.units == 1 / pq.s
    assert histogram.shape == (edges.size - 1, 1)
    np.testing.assert_array_equal(histogram.magnitude[:, 0], rates)
    np.testing.assert_array_equal(subset.magnitude[:, 0], trains.psth(bin_size, neurons=[4, 1])[0])
    np.testing.assert_allclose(
        histogram.times.rescale("s").magnitude, edges[:-1], rtol=1e-12, atol=1e-12
    )


@given(
    kind=st.sampled_from(["poisson", "gamma"]),
    seed=SEEDS,
    t_start=st.sampled_from([0.0, -0.37, 12.5]),
    frames_per_bin=st.sampled_from([5, 10, 20]),
)
def test_elephant_fanofactor_over_bins_equals_cortex(kind, seed, t_start, frames_per_bin):
    trains = drawn(kind, seed, n_neurons=5, n_frames=200, t_start=t_start)
    converted = to_neo(trains)
    bin_size = frames_per_bin / FPS
    expected = trains.fano_factor(bin_size)
    for i, train in enumerate(converted):
        pieces = elephant_pieces(train, bin_size)  # the bins play Elephant's trials
        assert [len(p) for p in pieces] == trains.counts(bin_size)[i].tolist()
        with elephant_quietly():
            fano = es.fanofactor(pieces)
        np.testing.assert_allclose(fano, expected[i], rtol=1e-12, atol=0, equal_nan=True)
    assert np.isnan(expected[0]) and np.all(np.isfinite(expected[1:]))  # neuron 0 is silent


@given(kind=st.sampled_from(["poisson", "gamma"]), seed=SEEDS, t_start=st.floats(-1e3, 1e3))
def test_elephant_isi_cv_equals_cortex(kind, seed, t_start):
    trains = drawn(kind, seed, n_neurons=6, n_frames=200, t_start=t_start)
    expected = trains.isi_cv()
    for i, train in enumerate(to_neo(trains)):
        if len(train) < 3:
            assert np.isnan(expected[i])
            continue
        with elephant_quietly():
            cv = float(es.cv(es.isi(train)))
        np.testing.assert_allclose(cv, expected[i], rtol=1e-12, atol=0)


def test_isi_cv_edge_cases_differ_as_documented():
    trains = SpikeTrains([1, 1, 2, 3, 3, 3], [0.1, 0.4, 0.5, 0.1, 0.3, 0.6], 4, 0.0, 1.0)
    converted = to_neo(trains)
    cortex_cv = trains.isi_cv()
    with elephant_quietly():
        two = float(es.cv(es.isi(converted[1])))  # one interval: std 0 / mean
        three = float(es.cv(es.isi(converted[3])))
        for train in converted[:1] + converted[2:3]:  # no interval
            with pytest.warns(Warning, match="too small"):
                assert math.isnan(es.cv(es.isi(train)))
    assert two == 0.0 and math.isnan(cortex_cv[1])  # cortex: NaN for < 2 intervals
    assert np.isnan(cortex_cv[[0, 2]]).all()
    assert three == pytest.approx(cortex_cv[3], rel=1e-12)


def test_partial_last_bin_is_dropped_by_both():
    trains = drawn("poisson", seed=9, n_neurons=4, n_frames=205)  # 2.05 s in 0.1 s bins
    converted = to_neo(trains)
    assert trains.time.max() >= 2.0  # spikes in the partial bin, which both drop
    with elephant_quietly(), pytest.warns(UserWarning, match="Binning discarded"):
        histogram = es.time_histogram(converted, 0.1 * pq.s, output="rate")
    np.testing.assert_array_equal(histogram.magnitude[:, 0], trains.psth(0.1)[0])


# -- the known disagreement: spikes on bin edges ------------------------------------------------
# Elephant bins a spike by floor((t - t_start) * (1 / bin_size)), moving values within 1e-8 of
# the next integer up (elephant.utils.round_binning_errors), and counts
# round_binning_errors((t_stop - t_start) / bin_size) bins; cortex compares t with the edges
# t_start + k * bin_width (and takes a duration within a relative 1e-8 of whole bins as whole).
EDGE_CASES = {
    # 3 * 0.1 = 0.30000000000000004 > 0.3: cortex bin 2; 0.3 * 10 = 3.0: Elephant bin 3
    "spike on a rounded edge": (SpikeTrains([0], [0.3], 1, 0.0, 1.0), 0.1),
    # 1e-9 bins before an edge: cortex bin 4; Elephant's tolerance moves it to bin 5
    "spike within Elephant's tolerance": (SpikeTrains([0], [0.5 - 1e-10], 1, 0.0, 1.0), 0.1),
    # spike times on a 1 ms grid (a simulator's step) in 0.1 s bins: 0.3, 0.6, 0.7 and 0.9 s move
    "a 1 ms grid": (SpikeTrains(np.zeros(1000, int), np.arange(1000) * 0.001, 1, 0.0, 1.0), 0.1),
    # 999.999995 bins: 999 (an absolute tolerance of 1e-8 bin, as Elephant)
    "number of bins": (SpikeTrains([0], [0.5], 1, 0.0, 999.999995), 1.0),
}


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_spikes_on_bin_edges_are_binned_as_elephant_does(case):
    trains, bin_size = EDGE_CASES[case]
    with elephant_quietly(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Binning discarded")
        counts = BinnedSpikeTrain(to_neo(trains), bin_size=bin_size * pq.s).to_array()
    np.testing.assert_array_equal(counts, trains.counts(bin_size))


# -- validation -----------------------------------------------------------------------------
TRAINS = SpikeTrains([0, 1, 0], [0.1, 0.2, 0.7], 2, 0.0, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"positions": np.zeros((3, 2))}, ValueError, r"`positions` must have shape .*\(2, 2\)"),
        ({"positions": np.zeros((2, 3))}, ValueError, r"`positions` must have shape"),
        ({"positions": np.zeros(4)}, ValueError, r"`positions`"),
        ({"positions": [[0.0, np.nan], [0.0, 0.0]]}, ValueError, r"`positions`"),
        ({"positions": np.zeros((2, 2), dtype=bool)}, TypeError, r"`positions`"),
        ({"positions": "centers"}, TypeError, r"`positions`"),
        ({"units": "min"}, ValueError, r"`units` must be one of \('s', 'ms', 'us'\)"),
        ({"units": 1.0}, TypeError, r"`units` must be a string"),
        ({"annotations": ["area"]}, TypeError, r"`annotations` must be a mapping"),
        ({"annotations": {1: "x"}}, TypeError, r"`annotations` keys must be strings"),
        ({"annotations": {"neuron": 5}}, ValueError, r"`annotations` must not set 'neuron'"),
        ({"annotations": {"x_deg": 0.0}}, ValueError, r"`annotations` must not set 'x_deg'"),
        ({"annotations": {"bad": object()}}, TypeError, r"`annotations`: neo refuses"),
    ],
)
def test_to_neo_refuses_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        to_neo(TRAINS, **kwargs)


@pytest.mark.parametrize("bad", [None, [0.1, 0.2], np.zeros(3), "trains", {"neuron": [0]}])
def test_to_neo_refuses_what_is_not_spike_trains(bad):
    with pytest.raises(TypeError, match=r"`trains` must be a cortex.spikes.SpikeTrains"):
        to_neo(bad)


def train(times=(0.5,), t_start=0.0, t_stop=1.0, units="s", **annotations):
    return neo.SpikeTrain(list(times), t_start=t_start, t_stop=t_stop, units=units, **annotations)


@pytest.mark.parametrize(
    ("spiketrains", "match"),
    [
        (None, r"`spiketrains` must be a list of neo.SpikeTrain or a neo.Segment, got NoneType"),
        (np.array([0.1, 0.2]), r"`spiketrains` must be a list .* got ndarray"),
        ("spikes", r"`spiketrains` must be a list .* got str"),
        ({"a": 1}, r"`spiketrains` must be a list .* got dict"),
        (TRAINS, r"`spiketrains` must be a list .* got SpikeTrains"),
        (neo.Block(), r"`spiketrains` must be a list .* got Block"),
        ([np.array([0.1])], r"`spiketrains\[0\]` must be a neo.SpikeTrain, got ndarray"),
        ([train(), [0.2]], r"`spiketrains\[1\]` must be a neo.SpikeTrain, got list"),
        ([train(neuron=True)], r"`spiketrains\[0\].annotations\['neuron'\]` must be an int"),
        ([train(neuron=1.0)], r"`spiketrains\[0\].annotations\['neuron'\]` must be an int"),
        ([train(neuron="0")], r"`spiketrains\[0\].annotations\['neuron'\]` must be an int"),
    ],
)
def test_from_neo_refuses_wrong_types(spiketrains, match):
    with pytest.raises(TypeError, match=match):
        from_neo(spiketrains)


@pytest.mark.parametrize(
    ("spiketrains", "kwargs", "match"),
    [
        ([], {}, r"`spiketrains` must hold at least one neo.SpikeTrain"),
        (neo.Segment(), {}, r"`spiketrains` must hold at least one"),
        ([train(), train(t_start=-0.5)], {}, r"`spiketrains` must share t_start, got 0.0 s"),
        ([train(), train(t_stop=2.0)], {}, r"`spiketrains` must share t_stop, .*\(train 1\)"),
        ([train(), train(t_stop=1000.0, units="us")], {}, r"must share t_stop"),
        ([train((0.2, 1.0))], {}, r"`spiketrains\[0\]` has a spike at t_stop = 1.0 s"),
        ([train(neuron=0), train()], {}, r"`spiketrains\[1\]` has no 'neuron' annotation"),
        ([train(), train(neuron=0)], {}, r"`spiketrains\[0\]` has no 'neuron' annotation"),
        ([train(neuron=1), train(neuron=1)], {}, r"must not repeat a neuron, got 'neuron' = 1"),
        ([train(neuron=-1)], {}, r"annotations\['neuron'\]` must be >= 0, got -1"),
        ([train(neuron=3)], {"n_neurons": 3}, r"`n_neurons` must be > the largest 'neuron'"),
        ([train(), train()], {"n_neurons": 1}, r"`n_neurons` must be >= the number of trains \(2"),
        ([train()], {"n_neurons": 0}, r"`n_neurons`"),
    ],
)
def test_from_neo_refuses_bad_values(spiketrains, kwargs, match):
    with pytest.raises(ValueError, match=match):
        from_neo(spiketrains, **kwargs)


@pytest.mark.parametrize("n_neurons", [2.0, True, "2"])
def test_from_neo_refuses_a_non_integer_n_neurons(n_neurons):
    with pytest.raises(TypeError, match=r"`n_neurons`"):
        from_neo([train()], n_neurons=n_neurons)


# -- the optional extra ---------------------------------------------------------------------
def test_missing_neo_names_the_extra(monkeypatch):
    for name in ("neo", "quantities"):
        monkeypatch.setitem(sys.modules, name, None)  # `import neo` -> ImportError
    message = r"cortex.neo_bridge needs neo .* install it with: pip install 'cortex\[neo\]'"
    with pytest.raises(ImportError, match=message):
        to_neo(TRAINS)
    with pytest.raises(ImportError, match=message):
        from_neo([])


def test_import_cortex_imports_no_neo():
    code = (
        "import sys, cortex, cortex.spikes, cortex.neo_bridge\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'neo', 'quantities', 'elephant'})\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_time_units_constant():
    assert TIME_UNITS == ("s", "ms", "us")
