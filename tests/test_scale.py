"""cortex.scale: responses over dask arrays, Zarr image sets, streamed reverse correlation.

The distributed tests run on a real ``dask.distributed.LocalCluster`` (two worker
processes): the ``cluster`` fixture of ``conftest.py``, started once for the session.
"""

import pickle
import subprocess
import sys

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

import cloudpickle  # noqa: E402  (installed with distributed)

import cortex  # noqa: E402
from cortex import scale  # noqa: E402
from cortex.analysis import spike_triggered_average as sta_in_memory  # noqa: E402
from cortex.stimuli import white_noise  # noqa: E402

FIELD = cortex.VisualField(4.0, 3.0, pixels_per_degree=16)  # 48 x 64 px


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def on_cluster(cluster):
    """Run this test's dask computations on the cluster."""
    with dask.config.set(scheduler=cluster):
        yield cluster


@pytest.fixture
def threads():
    with dask.config.set(scheduler="threads"):
        yield


def lgn(field=FIELD):
    on = cortex.DifferenceOfGaussians(0.15, 0.45, polarity="on")
    off = cortex.DifferenceOfGaussians(0.15, 0.45, polarity="off")
    return cortex.Population([on, off], cortex.Mosaic.from_lattice(field, 0.25))


def energy(field=FIELD):
    types = [cortex.ComplexCell(2.0, 0.0), cortex.Gabor(2.0, 45.0)]
    return cortex.Population(types, cortex.Mosaic.from_lattice(field, 0.5))


POPULATIONS = {"lgn": lgn, "energy": energy}
NONLINEARITIES = {
    "none": None,
    "rectify": "rectify",
    "normalization": cortex.DivisiveNormalization(0.05, exponent=2.0),
}


def images(n=30, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal((n, *FIELD.shape)).astype(dtype)


def relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# -- responses ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", sorted(POPULATIONS))
@pytest.mark.parametrize("nonlinearity", sorted(NONLINEARITIES))
def test_threaded_equals_in_memory(threads, dtype, kind, nonlinearity):
    population = POPULATIONS[kind]()
    steps = NONLINEARITIES[nonlinearity]
    x = images(dtype=dtype)
    # chunked across H and W too: rechunked to whole images, chunks along N kept
    lazy_x = da.from_array(x, chunks=(7, 20, 30))
    for method in ("fft", "auto"):
        lazy = scale.responses(population, lazy_x, method=method, nonlinearity=steps)
        assert lazy.chunks[0] == (7, 7, 7, 7, 2)
        got = lazy.compute()
        want = cortex.responses(population, x, method=method, nonlinearity=steps)
        assert got.dtype == want.dtype == dtype
        assert got.shape == (30, population.n_neurons)
        if method == "fft":  # the same code path, image by image: bit for bit
            np.testing.assert_array_equal(got, want)
        else:  # "auto" picks per chunk: equal to rounding
            assert relative(got, want) <= (1e-12 if dtype == np.float64 else 1e-5)


@pytest.mark.parametrize("kind", sorted(POPULATIONS))
def test_linear_responses_threaded(threads, kind):
    population = POPULATIONS[kind]()
    x = images(20)
    got = scale.linear_responses(population, da.from_array(x, chunks=(6, -1, -1)), method="centers")
    want = cortex.linear_responses(population, x, method="centers")
    assert got.dtype == want.dtype == (np.complex128 if population.is_energy else np.float64)
    assert relative(got.compute(), want) <= 1e-12


def test_cortex_entry_points_forward_dask_arrays(threads):
    population = lgn()
    x = images(12)
    lazy = cortex.responses(
        population, da.from_array(x, chunks=(5, -1, -1)), nonlinearity="rectify"
    )
    assert isinstance(lazy, da.Array)
    want = cortex.responses(population, x, nonlinearity="rectify")
    assert relative(lazy.compute(), want) <= 1e-12
    linear = population.linear_responses(da.from_array(x, chunks=(5, -1, -1)), method="fft")
    assert isinstance(linear, da.Array)
    np.testing.assert_array_equal(
        linear.compute(), cortex.linear_responses(population, x, method="fft")
    )
    single = cortex.responses(population, da.from_array(x[0]), method="fft")
    assert single.shape == (population.n_neurons,)
    np.testing.assert_array_equal(
        single.compute(), cortex.responses(population, x[0], method="fft")
    )


def test_integer_images_become_float64(threads):
    population = lgn()
    x = np.random.default_rng(1).integers(-3, 4, size=(6, *FIELD.shape))
    got = scale.responses(population, da.from_array(x, chunks=(3, -1, -1)), method="fft")
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got.compute(), cortex.responses(population, x, method="fft"))


def test_population_enters_the_graph_once():
    population = lgn()
    population.groups  # noqa: B018 -- the kernels travel with the population
    population_bytes = len(pickle.dumps(population))
    sizes = {}
    for n_chunks in (2, 64):
        x = da.zeros((8 * n_chunks, *FIELD.shape), chunks=(8, -1, -1))
        lazy = scale.responses(population, x, nonlinearity=NONLINEARITIES["normalization"])
        graph = dict(lazy.__dask_graph__())
        tasks = {key: len(cloudpickle.dumps(task)) for key, task in graph.items()}
        # one key holds the population; the chunks' tasks only refer to it
        holders = [key for key, size in tasks.items() if size >= population_bytes]
        assert len(holders) == 1 and str(holders[0]).startswith("Population-")
        chunk_tasks = [size for key, size in tasks.items() if lazy.name in str(key)]
        assert len(chunk_tasks) == n_chunks
        assert max(chunk_tasks) < population_bytes / 20
        sizes[n_chunks] = len(cloudpickle.dumps(graph))
    # 62 more chunks cost far less than one more copy of the population
    assert sizes[64] - sizes[2] < population_bytes
    assert sizes[64] < 2 * population_bytes


def test_responses_reject_bad_input():
    population = lgn()
    x = da.zeros((4, *FIELD.shape), chunks=(2, -1, -1))
    with pytest.raises(TypeError, match="`images` must be a dask array"):
        scale.responses(population, np.zeros((4, *FIELD.shape)))
    with pytest.raises(TypeError, match="`population` must be a Population"):
        scale.responses("lgn", x)
    with pytest.raises(ValueError, match=r"`images` must have the field's shape \(48, 64\)"):
        scale.responses(population, da.zeros((4, 48, 63)))
    with pytest.raises(ValueError, match="`images` must be 2-D or 3-D"):
        scale.responses(population, da.zeros((1, 4, 48, 64)))
    with pytest.raises(TypeError, match="`images` must be real"):
        scale.responses(population, x.astype(complex))
    with pytest.raises(ValueError, match="`method` must be one of"):
        scale.responses(population, x, method="fastest")
    with pytest.raises(ValueError, match="`nonlinearity` must be one of"):
        scale.responses(population, x, nonlinearity="relu")
    with pytest.raises(ValueError, match="`images` must not be empty"):
        scale.responses(population, da.zeros((0, 48, 64)))
    bad = da.from_array(np.full((4, *FIELD.shape), np.nan), chunks=(2, -1, -1))
    with pytest.raises(ValueError, match="`images` must be finite"):
        scale.responses(population, bad).compute(scheduler="threads")


def test_distributed_equals_in_memory(on_cluster):
    x64 = images(40)
    x32 = x64.astype(np.float32)
    normalization = NONLINEARITIES["normalization"]
    cases = [
        (lgn(), x64, normalization, "fft"),
        (lgn(), x32, "rectify", "auto"),
        (energy(), x64, None, "auto"),
        (energy(), x32, normalization, "fft"),
    ]
    lazy = [
        scale.responses(pop, da.from_array(x, chunks=(9, -1, -1)), method=method, nonlinearity=nl)
        for pop, x, nl, method in cases
    ]
    with distributed.get_task_stream(on_cluster) as stream:
        computed = dask.compute(*lazy)
    # each population ran as one task (lgn() twice is one key: equal populations, one token),
    # and the chunks' tasks (5 per array) only fetched it
    keys = [str(task["key"]) for task in stream.data]
    populations = [key for key in keys if key.startswith("Population-")]
    assert len(populations) == len(set(populations)) == 2
    assert sum("cortex-responses" in key for key in keys) == 4 * 5
    for (pop, x, nl, method), got in zip(cases, computed, strict=True):
        want = cortex.responses(pop, x, method=method, nonlinearity=nl)
        assert got.dtype == want.dtype == x.dtype
        if method == "fft":
            np.testing.assert_array_equal(got, want)
        else:
            assert relative(got, want) <= (1e-12 if x.dtype == np.float64 else 1e-5)


# -- Zarr image sets ------------------------------------------------------------------------
def stores(path):
    return sorted(p.name for p in path.iterdir())


@pytest.mark.parametrize("distribution", ["gaussian", "binary", "uniform"])
def test_white_noise_set_is_seeded_whatever_the_chunking(threads, tmp_path, distribution):
    kwargs = {"contrast": 0.5, "distribution": distribution, "seed": 7}
    a, field = scale.write_white_noise(
        tmp_path / "a.zarr", FIELD, 50, chunk_images=7, batch_chunks=3, **kwargs
    )
    b, _ = scale.write_white_noise(tmp_path / "b.zarr", FIELD, 50, chunk_images=50, **kwargs)
    assert field == FIELD
    assert a.chunks[0] == (7,) * 7 + (1,) and b.chunks[0] == (50,)
    a, b = a.compute(), b.compute()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (50, *FIELD.shape) and a.dtype == np.float64
    assert abs(a.std() - 0.5) < 0.02 and abs(a.mean()) < 0.02
    # image i comes from SeedSequence(seed).spawn(n)[i]: the single-image draw
    child = np.random.SeedSequence(7).spawn(50)[13]
    one = white_noise(
        FIELD, contrast=0.5, distribution=distribution, seed=np.random.default_rng(child)
    )
    np.testing.assert_array_equal(a[13], one)
    other, _ = scale.write_white_noise(tmp_path / "c.zarr", FIELD, 50, **{**kwargs, "seed": 8})
    assert not np.array_equal(other.compute(), a)
    assert stores(tmp_path) == ["a.zarr", "b.zarr", "c.zarr"]  # no temporary directory left


def test_image_set_metadata_round_trip(threads, tmp_path):
    field = cortex.VisualField(1.7, 0.9, pixels_per_degree=23.3)
    path = tmp_path / "noise.zarr"
    images_, opened_field = scale.write_white_noise(
        path, field, 9, chunk_images=4, contrast=0.25, seed=None, dtype="float32"
    )
    assert opened_field == field
    again, again_field = scale.open_images(str(path))
    assert again_field == field and again.dtype == np.float32 and again.chunks[0] == (4, 4, 1)
    meta = zarr.open_array(str(path), mode="r").attrs["cortex"]
    assert meta["generator"] == "white_noise" and meta["contrast"] == 0.25
    assert meta["field"] == {"width": 1.7, "height": 0.9, "pixels_per_degree": 23.3}
    # seed=None: the fresh entropy is recorded, and draws the same set again
    redrawn, _ = scale.write_white_noise(
        tmp_path / "redrawn.zarr", field, 9, contrast=0.25, seed=int(meta["seed"]), dtype="float32"
    )
    np.testing.assert_array_equal(redrawn.compute(), again.compute())


def test_float32_set_is_the_float64_set_cast(threads, tmp_path):
    a, _ = scale.write_white_noise(tmp_path / "a.zarr", FIELD, 10, seed=1)
    b, _ = scale.write_white_noise(tmp_path / "b.zarr", FIELD, 10, seed=1, dtype=np.float32)
    np.testing.assert_array_equal(a.compute().astype(np.float32), b.compute())


def test_natural_patch_set(threads, tmp_path):
    names = ("camera", "coins", "text")
    a, field = scale.write_natural_patches(
        tmp_path / "a.zarr", FIELD, 24, chunk_images=5, seed=3, names=names
    )
    b, _ = scale.write_natural_patches(
        tmp_path / "b.zarr", FIELD, 24, chunk_images=24, seed=3, names=names
    )
    a = a.compute()
    np.testing.assert_array_equal(a, b.compute())
    assert field == FIELD
    np.testing.assert_allclose(a.mean(axis=(1, 2)), 0.0, atol=1e-12)  # Weber contrast
    assert np.all(a >= -1.0) and np.all(a.std(axis=(1, 2)) > 0)
    assert len({image.tobytes() for image in a}) == 24  # all different
    meta = zarr.open_array(str(tmp_path / "a.zarr"), mode="r").attrs["cortex"]
    assert meta["names"] == list(names) and meta["generator"] == "natural_patches"
    # a field larger than a source image (text is 172 x 448 px): the source is enlarged
    big = cortex.VisualField(12.0, 12.0, pixels_per_degree=16)  # 192 x 192 px
    c, _ = scale.write_natural_patches(tmp_path / "c.zarr", big, 2, seed=0, names=["text"])
    assert c.shape == (2, 192, 192) and np.all(np.isfinite(c.compute()))


def test_writers_reject_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="`field` must be a VisualField"):
        scale.write_white_noise(tmp_path / "x.zarr", (32, 48), 10)
    with pytest.raises(ValueError, match="`n_images` must be >= 1"):
        scale.write_white_noise(tmp_path / "x.zarr", FIELD, 0)
    with pytest.raises(ValueError, match="`chunk_images` must be >= 1"):
        scale.write_white_noise(tmp_path / "x.zarr", FIELD, 10, chunk_images=0)
    with pytest.raises(ValueError, match="`batch_chunks` must be >= 1"):
        scale.write_white_noise(tmp_path / "x.zarr", FIELD, 10, batch_chunks=0)
    with pytest.raises(ValueError, match="`distribution` must be one of"):
        scale.write_white_noise(tmp_path / "x.zarr", FIELD, 10, distribution="pink")
    with pytest.raises(ValueError, match="`dtype` must be float32 or float64"):
        scale.write_white_noise(tmp_path / "x.zarr", FIELD, 10, dtype=np.int16)
    with pytest.raises(ValueError, match="`seed` must be >= 0"):
        scale.write_white_noise(tmp_path / "x.zarr", FIELD, 10, seed=-1)
    with pytest.raises(ValueError, match="`names` must be one of"):
        scale.write_natural_patches(tmp_path / "x.zarr", FIELD, 10, names=["lena"])
    with pytest.raises(ValueError, match="`names` must name at least one image"):
        scale.write_natural_patches(tmp_path / "x.zarr", FIELD, 10, names=[])
    assert list(tmp_path.iterdir()) == []


def test_writes_are_atomic(threads, tmp_path, monkeypatch):
    path = tmp_path / "set.zarr"
    first, _ = scale.write_white_noise(path, FIELD, 6, seed=1)
    first = first.compute()
    with pytest.raises(FileExistsError, match="already exists; pass overwrite=True"):
        scale.write_white_noise(path, FIELD, 6, seed=2)

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(scale, "_noise_block", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        scale.write_white_noise(path, FIELD, 6, seed=2, overwrite=True)
    monkeypatch.undo()
    # the failed write left the old set whole, and no temporary directory
    assert stores(tmp_path) == ["set.zarr"]
    np.testing.assert_array_equal(scale.open_images(path)[0].compute(), first)
    second, _ = scale.write_white_noise(path, FIELD, 4, seed=2, overwrite=True)
    assert second.shape[0] == 4 and stores(tmp_path) == ["set.zarr"]


def test_non_local_store_is_written_in_place(threads):
    store = zarr.storage.MemoryStore()
    written, field = scale.write_white_noise(store, FIELD, 5, chunk_images=2, seed=4)
    assert field == FIELD
    np.testing.assert_array_equal(written.compute(), scale.open_images(store)[0].compute())


def test_memory_store_is_refused_on_the_cluster(on_cluster):
    with pytest.raises(ValueError, match="cannot write to an in-memory zarr store"):
        scale.write_white_noise(zarr.storage.MemoryStore(), FIELD, 5, seed=4)


def test_open_images_without_metadata(threads, tmp_path):
    path = str(tmp_path / "plain.zarr")
    da.to_zarr(da.zeros((3, *FIELD.shape), chunks=(2, -1, -1)), path)
    with pytest.raises(ValueError, match="records no visual field; pass `field=`"):
        scale.open_images(path)
    opened, field = scale.open_images(path, field=FIELD)
    assert field == FIELD and opened.shape == (3, 48, 64)
    with pytest.raises(ValueError, match=r"on the field \(20, 20\)"):
        scale.open_images(path, field=cortex.VisualField(1.0, 1.0, pixels_per_degree=20))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        scale.open_images(tmp_path / "missing.zarr")


def test_responses_round_trip_through_zarr(threads, tmp_path):
    population = lgn()
    noise, _ = scale.write_white_noise(tmp_path / "in.zarr", FIELD, 25, chunk_images=10, seed=5)
    lazy = scale.responses(population, noise, nonlinearity="rectify", method="fft")
    stored = scale.write_responses(
        lazy, tmp_path / "out.zarr", population=population, attrs={"run": "test"}, batch_chunks=1
    )
    want = cortex.responses(population, noise.compute(), nonlinearity="rectify", method="fft")
    np.testing.assert_array_equal(stored.compute(), want)
    again, meta = scale.open_responses(tmp_path / "out.zarr")
    assert again.chunks[0] == (10, 10, 5)
    assert meta["n_neurons"] == population.n_neurons and meta["n_sites"] == population.n_sites
    assert meta["user"] == {"run": "test"}
    assert cortex.VisualField(**meta["field"]) == FIELD
    if hasattr(cortex.Population, "from_dict"):  # plain-data populations (issue 12, point 4)
        rebuilt = cortex.Population.from_dict(meta["population"])
        np.testing.assert_array_equal(
            cortex.responses(rebuilt, noise.compute(), method="fft").clip(0), want
        )
    # irregular chunks are made regular; numpy responses are accepted too
    irregular = da.from_array(want, chunks=((3, 12, 10), (population.n_neurons,)))
    np.testing.assert_array_equal(
        scale.write_responses(irregular, tmp_path / "irr.zarr").compute(), want
    )
    np.testing.assert_array_equal(scale.write_responses(want, tmp_path / "np.zarr").compute(), want)
    with pytest.raises(ValueError, match="one column per neuron"):
        scale.write_responses(want[:, :5], tmp_path / "bad.zarr", population=population)
    with pytest.raises(ValueError, match="must be 2-D"):
        scale.write_responses(want[0], tmp_path / "bad.zarr")
    assert "bad.zarr" not in stores(tmp_path)


def test_zarr_on_the_cluster(on_cluster, tmp_path):
    population = lgn()
    noise, field = scale.write_white_noise(tmp_path / "in.zarr", FIELD, 30, chunk_images=8, seed=9)
    with dask.config.set(scheduler="threads"):
        local, _ = scale.write_white_noise(
            tmp_path / "local.zarr", FIELD, 30, chunk_images=30, seed=9
        )
        local = local.compute()
    np.testing.assert_array_equal(noise.compute(), local)  # same set, other chunking and scheduler
    lazy = scale.responses(
        population, noise, nonlinearity=NONLINEARITIES["normalization"], method="fft"
    )
    stored = scale.write_responses(lazy, tmp_path / "out.zarr", population=population)
    want = cortex.responses(
        population, local, nonlinearity=NONLINEARITIES["normalization"], method="fft"
    )
    np.testing.assert_array_equal(stored.compute(), want)
    assert stores(tmp_path) == ["in.zarr", "local.zarr", "out.zarr"]


# -- reverse correlation --------------------------------------------------------------------
STA_FIELD = cortex.VisualField(2.0, 2.0, pixels_per_degree=12)  # 24 x 24 px


def sta_population():
    rf = cortex.DifferenceOfGaussians(0.15, 0.3)
    return cortex.Population(rf, cortex.Mosaic.from_lattice(STA_FIELD, 0.2, "square"))


@pytest.mark.parametrize("method", ["sta", "whitened"])
def test_streamed_sta_equals_in_memory(threads, method):
    population = sta_population()
    n = 600
    noise = white_noise(STA_FIELD, n, contrast=0.5, seed=11)  # the in-memory function's stream
    want = sta_in_memory(population, n, contrast=0.5, seed=11, method=method, alpha=0.01)
    got = scale.spike_triggered_average(
        population,
        da.from_array(noise, chunks=(64, 12, 24)),
        contrast=0.5,
        method=method,
        alpha=0.01,
        split_every=3,
    )
    assert isinstance(got, cortex.analysis.RFEstimate)
    assert (got.n_stimuli, got.method, got.labels, got.field) == (n, method, want.labels, STA_FIELD)
    assert relative(got.maps, want.maps) <= 1e-12


def test_streamed_sta_on_the_cluster(on_cluster, tmp_path):
    population = sta_population()
    n = 400
    want = sta_in_memory(population, n, seed=2, neurons=[0, 7, 12])
    noise = da.from_array(white_noise(STA_FIELD, n, seed=2), chunks=50)
    got = scale.spike_triggered_average(population, noise, neurons=[0, 7, 12])
    assert relative(got.maps, want.maps) <= 1e-12
    # from a Zarr noise set: the sums of the chunks, whatever the chunking
    stored, field = scale.write_white_noise(
        tmp_path / "noise.zarr", STA_FIELD, 300, chunk_images=64, seed=5
    )
    a = scale.spike_triggered_average(population, stored)
    b = scale.spike_triggered_average(population, stored.rechunk(300))
    assert relative(a.maps, b.maps) <= 1e-12


def test_streamed_sta_rejects_bad_noise(threads):
    population = sta_population()
    with pytest.raises(TypeError, match="`noise` must be a dask array"):
        scale.spike_triggered_average(population, np.zeros((10, 24, 24)))
    with pytest.raises(ValueError, match=r"`noise` must be \(N, H, W\) on the target's field"):
        scale.spike_triggered_average(population, da.zeros((10, 24, 23)))
    with pytest.raises(ValueError, match="at least 2 images"):
        scale.spike_triggered_average(population, da.zeros((1, 24, 24)))
    with pytest.raises(ValueError, match="`method` must be one of"):
        scale.spike_triggered_average(population, da.zeros((10, 24, 24)), method="lasso")
    big = cortex.VisualField(6.0, 6.0, pixels_per_degree=12)  # 5184 px
    pop = cortex.Population(cortex.Gaussian(0.2), cortex.Mosaic.from_lattice(big, 0.3))
    with pytest.raises(ValueError, match="4096"):
        scale.spike_triggered_average(pop, da.zeros((10, 72, 72)), method="whitened")


# -- movies -----------------------------------------------------------------------------
def movie_setup(dtype=np.float64):
    from cortex.movies import Movie, white_noise_movie
    from cortex.temporal import Biphasic, Monophasic

    frames = white_noise_movie(FIELD, 200.0, 0.5, seed=2).frames.astype(dtype)  # 100 frames
    # kernels of different lengths (the longer sets how far back a chunk reads)
    temporal = [Monophasic(0.005, 2), Biphasic(0.01, 0.03, 3, 3, 1.0)]
    return lgn(), Movie(frames, 200.0, FIELD), temporal


@pytest.mark.parametrize("chunk", [1, 7, 40, 300])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lazy_movie_rates_equal_in_memory_whatever_the_chunks(threads, chunk, dtype):
    from cortex.dynamics import _temporal_taps
    from cortex.dynamics import movie_responses as in_memory

    pop, movie, temporal = movie_setup(dtype)
    assert max(len(t) for t in _temporal_taps(temporal, 2, 200.0)) > 7  # chunks reach back
    frames = da.from_array(movie.frames, chunks=(chunk, -1, -1))
    lazy = scale.movie_responses(pop, frames, temporal, 200.0, baseline=3.0, gain=2.0)
    assert isinstance(lazy, da.Array) and lazy.chunks[0] == frames.chunks[0]
    expected = in_memory(pop, movie, temporal, baseline=3.0, gain=2.0)
    rates = lazy.compute()
    assert rates.dtype == expected.dtype == dtype and rates.shape == expected.shape
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(rates, expected, rtol=0, atol=tolerance * expected.max())


def test_lazy_movie_rates_on_the_cluster(on_cluster):
    from cortex.dynamics import movie_responses as in_memory

    pop, movie, temporal = movie_setup()
    frames = da.from_array(movie.frames, chunks=(30, -1, -1))
    lazy = scale.movie_responses(pop, frames, temporal, 200.0, nonlinearity=None)
    expected = in_memory(pop, movie, temporal, nonlinearity=None)
    np.testing.assert_allclose(lazy.compute(), expected, rtol=0, atol=1e-12 * abs(expected).max())


def test_lazy_movie_rates_refuse_bad_input_before_scheduling(threads):
    pop, movie, temporal = movie_setup()
    frames = da.from_array(movie.frames, chunks=(25, -1, -1))
    call = scale.movie_responses
    with pytest.raises(TypeError, match="`frames` must be a dask array"):
        call(pop, movie.frames, temporal, 200.0)
    with pytest.raises(TypeError, match="`frames` must be real"):
        call(pop, frames.astype(np.complex128), temporal, 200.0)
    with pytest.raises(ValueError, match="`frames` must be 3-D"):
        call(pop, frames[0], temporal, 200.0)
    with pytest.raises(ValueError, match="field's shape"):
        call(pop, frames[:, :-1], temporal, 200.0)
    with pytest.raises(ValueError, match="must not be empty"):
        call(pop, frames[:0], temporal, 200.0)
    for fps in (0.0, -5.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="frames_per_second"):
            call(pop, frames, temporal, fps)
    with pytest.raises(ValueError, match="temporal"):
        call(pop, frames, temporal * 2, 200.0)
    with pytest.raises(ValueError, match="method"):
        call(pop, frames, temporal, 200.0, method="fastest")
    with pytest.raises(ValueError, match="baseline"):
        call(pop, frames, temporal, 200.0, baseline=float("nan"))
    with pytest.raises(ValueError):
        call(pop, frames, temporal, 200.0, nonlinearity="sigmoidal-ish")
    with pytest.raises(TypeError):
        call("not a population", frames, temporal, 200.0)
    bad = frames.copy()
    bad[10, 3, 3] = np.nan
    lazy = call(pop, bad, temporal, 200.0)  # values are checked when computed
    with pytest.raises(ValueError, match="NaN|finite"):
        lazy.compute()


# -- the optional extra ---------------------------------------------------------------------
def test_import_cortex_imports_neither_dask_nor_zarr():
    code = (
        "import sys, cortex, cortex.scale, cortex.stimuli, cortex.population\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed', 'zarr'})\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_missing_extra_names_it(monkeypatch, tmp_path):
    for name in ("dask", "dask.array", "zarr"):
        monkeypatch.setitem(sys.modules, name, None)  # import dask -> ImportError
    message = r"pip install 'cortex\[dask\]'"
    with pytest.raises(ImportError, match=message):
        scale.responses(lgn(), object())
    with pytest.raises(ImportError, match=message):
        scale.write_white_noise(tmp_path / "x.zarr", FIELD, 3)
    with pytest.raises(ImportError, match=message):
        scale.open_images(tmp_path / "x.zarr")
    with pytest.raises(ImportError, match=message):
        scale.spike_triggered_average(sta_population(), object())
