"""cortex.analysis in bounded memory: streamed sweeps and reverse correlation.

Grating sweeps, the preferred-grating search and reverse correlation draw their
stimuli in chunks (``CHUNK_BYTES["images"]``) and keep only running summaries,
so their peak memory (measured with tracemalloc) does not grow with the number
of gratings, phases or stimuli.  The streamed results equal an unchunked oracle
computed here, in one batch, from the stimulus generators themselves.  What
cannot be streamed (the whitened estimate's pixel covariance) is refused over
the memory budget before it is allocated.
"""

import math
import tracemalloc

import numpy as np
import pytest
import scipy.linalg

import cortex
from cortex import Gabor, Mosaic, Population, VisualField, responses, stimuli
from cortex import analysis as A
from cortex.correlation import CHUNK_BYTES

BIG = VisualField(16.0, 16.0, pixels_per_degree=16)  # 256 x 256 px: 512 KiB an image
FIELD = VisualField(2.05, 2.05, pixels_per_degree=20)  # 41 x 41 px
SMALL = VisualField(1.2, 1.2, pixels_per_degree=20)  # 24 x 24 px


@pytest.fixture
def budget():
    """Set the memory budget for one test; always back to the default afterwards."""
    yield cortex.set_memory_budget
    cortex.set_memory_budget(None)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of ``n`` images of ``field`` (so that a test's sweep spans many chunks)."""

    def set_chunk(field, n):
        h, w = field.shape
        monkeypatch.setitem(CHUNK_BYTES, "images", n * h * w * 8)

    return set_chunk


def peak_bytes(fn, *args, **kwargs):
    """Result and peak traced bytes of ``fn(*args, **kwargs)``."""
    tracemalloc.start()
    try:
        out = fn(*args, **kwargs)
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def big_neuron():
    return (Gabor(2.0, orientation=30.0), Mosaic(BIG, [[0.0, 0.0]]))


def four_neurons(field=FIELD):
    """Two Gabors at two sites: four units that all respond to the gratings, differently."""
    rfs = [Gabor(3.0, orientation=20.0), Gabor(2.5, orientation=45.0, phase=90.0)]
    return Population(rfs, Mosaic(field, [[0.0, 0.0], [0.15, -0.1]]))


# -- peak memory does not grow with the sweep ------------------------------------------------
def test_a_tuning_sweep_peaks_far_below_its_whole_stimulus_array(small_chunks):
    small_chunks(BIG, 4)  # 2 MiB chunks
    h, w = BIG.shape
    peaks = {}
    for n_values in (12, 48):
        values = np.linspace(0.0, 180.0, n_values, endpoint=False)
        curve, peaks[n_values] = peak_bytes(
            A.tuning_curve, big_neuron(), "orientation", values, spatial_frequency=2.0
        )
        assert curve.preferred()[0] == pytest.approx(30.0, abs=0.5)
    whole = 48 * 8 * h * w * 8  # the n_values x n_phases x H x W float64 sweep: 192 MiB
    assert peaks[48] < 0.05 * whole
    assert peaks[48] < 1.2 * peaks[12] + 2**20  # constant, whatever the number of values


def test_the_preferred_grating_search_peaks_far_below_its_gratings(small_chunks):
    small_chunks(BIG, 4)
    h, w = BIG.shape
    best, peak = peak_bytes(A.preferred_grating, big_neuron(), n_phases=4)
    n_gratings = (12 * 16 + 21 + 31) * 4  # coarse grid, then the two refinements
    assert peak < 0.02 * n_gratings * h * w * 8
    assert best["orientation"] == pytest.approx(30.0, abs=1.5)
    assert best["spatial_frequency"] == pytest.approx(2.0, rel=0.06)


@pytest.mark.parametrize("noise", ["white", "pink"])
def test_the_sta_peaks_far_below_its_stimuli(small_chunks, noise):
    small_chunks(BIG, 4)
    h, w = BIG.shape
    peaks = {}
    for n in (100, 600):
        _, peaks[n] = peak_bytes(A.spike_triggered_average, big_neuron(), n, noise=noise, seed=0)
    assert peaks[600] < 0.1 * 600 * h * w * 8  # all the noise at once: 300 MiB
    assert peaks[600] < 1.2 * peaks[100] + 2**20


def test_batch_size_bounds_the_chunk_and_the_result_does_not_depend_on_it():
    target = (Gabor(3.5, orientation=45.0), Mosaic(SMALL, [[0.0, 0.0]]))
    one_go = A.spike_triggered_average(target, 300, seed=5)
    (_, peak_small) = peak_bytes(A.spike_triggered_average, target, 300, seed=5, batch_size=3)
    (_, peak_large) = peak_bytes(A.spike_triggered_average, target, 300, seed=5, batch_size=300)
    assert peak_small < peak_large
    bits = A.spike_triggered_average(target, 300, seed=5, batch_size=7)
    np.testing.assert_allclose(bits.maps, one_go.maps, rtol=0, atol=1e-12)


# -- over the budget: refused before allocating, or streamed in smaller chunks -----------------
def test_a_whitened_field_whose_pixel_covariance_is_over_budget_is_refused_first(budget):
    field = VisualField(3.2, 3.2, pixels_per_degree=20)  # 64 x 64 = 4096 px: P x P is 128 MiB
    target = (Gabor(3.5), Mosaic(field, [[0.0, 0.0]]))
    budget("64M")
    tracemalloc.start()
    try:
        with pytest.raises(cortex.MemoryBudgetError, match="over the memory budget of 64 MiB"):
            A.spike_triggered_average(target, 10, method="whitened")
        with pytest.raises(MemoryError, match=r"reverse correlation \(whitened"):
            A.rf_mapping_convergence(target, [10, 20], method="whitened")
        assert tracemalloc.get_traced_memory()[1] < 4 * 2**20  # nothing P x P was allocated
    finally:
        tracemalloc.stop()


def test_a_sweep_whose_single_image_is_over_budget_is_refused_first(budget):
    field = VisualField(8.0, 8.0, pixels_per_degree=16)  # 128 x 128 px: 128 KiB an image
    target = (Gabor(2.0), Mosaic(field, [[0.0, 0.0]]))
    budget("400K")  # the field's grids fit; one image with the grating's temporaries does not
    tracemalloc.start()
    try:
        with pytest.raises(cortex.MemoryBudgetError, match="a sweep of 3 grating"):
            A.tuning_curve(target, "orientation", [0, 60, 120], spatial_frequency=2.0)
        assert tracemalloc.get_traced_memory()[1] < 400 * 2**10
    finally:
        tracemalloc.stop()


def test_a_tight_budget_shrinks_the_chunks_and_keeps_the_results(budget):
    values = np.arange(0.0, 180.0, 15.0)
    free = A.tuning_curve(big_neuron(), "orientation", values, spatial_frequency=2.0)
    budget("12M")  # a 32 MiB chunk would not fit: 3 images at a time do
    tight, peak = peak_bytes(
        A.tuning_curve, big_neuron(), "orientation", values, spatial_frequency=2.0
    )
    assert peak < 12 * 2**20
    np.testing.assert_allclose(tight.responses, free.responses, rtol=1e-10, atol=1e-12)
    sta_free = A.spike_triggered_average(big_neuron(), 40, seed=1)
    sta_tight, peak = peak_bytes(A.spike_triggered_average, big_neuron(), 40, seed=1)
    assert peak < 12 * 2**20
    np.testing.assert_allclose(sta_tight.maps, sta_free.maps, rtol=0, atol=1e-12)


# -- streamed == one unchunked batch ------------------------------------------------------------
def oracle_curve(population, parameter, values, fixed, n_phases, statistic):
    """The tuning curve from all gratings in one batch (the pre-streaming algorithm)."""
    n = len(values)
    grid = {k: np.full(n, float(v)) for k, v in fixed.items()}
    grid[parameter] = np.asarray(values, dtype=float)
    phases = np.arange(n_phases) * 360.0 / n_phases
    v, j = np.repeat(np.arange(n), n_phases), np.tile(np.arange(n_phases), n)
    images = stimuli.grating(
        population.mosaic.field,
        grid["spatial_frequency"][v],
        grid["orientation"][v],
        phases[j],
        grid["contrast"][v],
    )
    r = responses(population, images, nonlinearity="rectify").reshape(n, n_phases, -1)
    f0 = r.mean(axis=1)
    f1 = 2 * np.abs(np.mean(r * np.exp(-1j * np.deg2rad(phases))[None, :, None], axis=1))
    best = np.argmax(f0 + f1, axis=0)
    cols = np.arange(r.shape[2])
    ratio = f1[best, cols] / np.abs(f0[best, cols])
    curve = {"max": r.max(axis=1), "mean": f0, "f1": f1, "auto": np.where(ratio > 1, f1, f0)}
    return curve[statistic], ratio


@pytest.mark.parametrize(
    ("parameter", "values", "statistic"),
    [
        ("orientation", np.arange(0.0, 180.0, 10.0), "auto"),
        ("spatial_frequency", np.geomspace(0.5, 8.0, 9), "f1"),
        ("contrast", [0.0, 0.1, 0.3, 1.0], "max"),
    ],
)
def test_streamed_tuning_equals_one_unchunked_batch(small_chunks, parameter, values, statistic):
    population = four_neurons()
    fixed = {"orientation": 20.0, "spatial_frequency": 3.0, "contrast": 0.8}
    small_chunks(FIELD, 5)  # chunks of 5 images straddle the values' 8 phases
    curve = A.tuning_curve(population, parameter, values, statistic=statistic, n_phases=8, **fixed)
    expected, ratio = oracle_curve(population, parameter, values, fixed, 8, statistic)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(curve.responses, expected, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(curve.modulation_ratio, ratio, rtol=1e-10)


def test_streamed_phase_tuning_equals_one_unchunked_batch(small_chunks):
    population = four_neurons()
    phases = np.arange(0.0, 360.0, 20.0)
    small_chunks(FIELD, 4)
    curve = A.tuning_curve(
        population, "phase", phases, orientation=20.0, spatial_frequency=3.0, contrast=0.5
    )
    images = stimuli.grating(FIELD, 3.0, 20.0, phases, 0.5)
    expected = responses(population, images, nonlinearity="rectify")
    np.testing.assert_allclose(curve.responses, expected, rtol=0, atol=1e-10 * expected.max())


def test_the_preferred_grating_search_does_not_depend_on_the_chunks(small_chunks):
    target = (Gabor(3.0, orientation=110.0), Mosaic(FIELD, [[0.0, 0.0]]))
    whole = A.preferred_grating(target)  # each stage of the search in one chunk
    small_chunks(FIELD, 3)
    assert A.preferred_grating(target) == whole


def pink(images, field):
    """``1/f`` filtered noise, the filter written independently of the library's."""
    h, w = field.shape
    fy = np.fft.fftfreq(h, d=1 / field.pixels_per_degree)
    fx = np.fft.fftfreq(w, d=1 / field.pixels_per_degree)
    f = np.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    filt = np.divide(1.0, f, out=np.zeros_like(f), where=f > 0)
    filt /= math.sqrt(np.mean(filt**2))
    return np.fft.ifft2(np.fft.fft2(images) * filt).real


def oracle_rf(population, n, *, seed, noise, contrast, method, alpha):
    """The reverse-correlation estimate from all the noise at once, by regression."""
    field = population.mosaic.field
    rng = np.random.default_rng(seed)
    s = stimuli.white_noise(field, n, contrast=contrast, seed=rng)  # the same stream
    if noise == "pink":
        s = pink(s, field)
    r = responses(population, s, nonlinearity="rectify")
    x = s.reshape(n, -1)
    xc, rc = x - x.mean(axis=0), r - r.mean(axis=0)
    cov_sr = xc.T @ rc / n
    if method == "sta":
        est = cov_sr / contrast**2
    else:
        cov_ss = xc.T @ xc / n
        ridge = alpha * np.trace(cov_ss) / x.shape[1]
        est = scipy.linalg.solve(cov_ss + ridge * np.eye(x.shape[1]), cov_sr, assume_a="pos")
    return est.T.reshape(r.shape[1], *field.shape)


@pytest.mark.parametrize(
    ("method", "noise", "alpha"),
    [
        ("sta", "white", 0.0),
        ("sta", "pink", 0.0),
        ("whitened", "white", 0.0),
        ("whitened", "pink", 0.05),
    ],
)
def test_streamed_reverse_correlation_equals_one_unchunked_batch(
    small_chunks, method, noise, alpha
):
    field = SMALL  # 24 x 24 = 576 px
    population = Population(Gabor(4.0, orientation=30.0), Mosaic(field, [[0.0, 0.0], [0.1, 0.1]]))
    small_chunks(field, 7)
    kw = dict(seed=11, noise=noise, contrast=0.7, method=method, alpha=alpha)
    est = A.spike_triggered_average(population, 1500, **kw)
    expected = oracle_rf(population, 1500, **kw)
    np.testing.assert_allclose(est.maps, expected, rtol=0, atol=1e-10 * np.abs(expected).max())
    # and the convergence curve's last estimate is the same numbers
    _, _, last = A.rf_mapping_convergence(population, [200, 1500], batch_size=64, **kw)
    np.testing.assert_allclose(last.maps, expected, rtol=0, atol=1e-10 * np.abs(expected).max())
