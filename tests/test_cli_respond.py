"""``cortex respond``: a population (JSON) x a Zarr image set -> a Zarr store of responses.

The oracle is the in-memory :func:`cortex.responses` on the same images; the
schedulers are real (dask's threaded one, the session's two-process
``LocalCluster`` by address, and a ``LocalCluster`` the command starts).
"""

import json
import os

import numpy as np
import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

import cortex  # noqa: E402
from cortex import scale  # noqa: E402
from cortex.cli import main, respond  # noqa: E402

FIELD = cortex.VisualField(3.0, 2.0, pixels_per_degree=12)  # 24 x 36 px


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch):
    monkeypatch.delenv("CORTEX_DEBUG", raising=False)
    monkeypatch.delenv("CORTEX_MEMORY_BUDGET", raising=False)


def population(field=FIELD):
    on = cortex.DifferenceOfGaussians(0.1, 0.3, polarity="on")
    gabor = cortex.Gabor(3.0, orientation=30.0)
    return cortex.Population([on, gabor], cortex.Mosaic.from_lattice(field, 0.2))


@pytest.fixture
def job(tmp_path):
    """A population file and a 90-image white-noise set in chunks of 20 (the last one 10)."""
    pop = population()
    cortex.save_population(pop, tmp_path / "pop.json")
    scale.write_white_noise(tmp_path / "set.zarr", FIELD, 90, chunk_images=20, seed=3)
    images = zarr.open_array(str(tmp_path / "set.zarr"), mode="r")[:]
    return {"dir": tmp_path, "population": pop, "images": images}


def argv(job, *extra, out="r.zarr"):
    d = job["dir"]
    return [
        "respond",
        "--population",
        str(d / "pop.json"),
        "--images",
        str(d / "set.zarr"),
        "--out",
        str(d / out),
        *extra,
    ]


def stored(path):
    array = zarr.open_array(str(path), mode="r")
    return array[:], dict(array.attrs["cortex"])


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.mark.parametrize("method", ["fft", "direct", "centers"])
def test_threads_equal_in_memory(job, method, capsys):
    assert main(argv(job, "--method", method, "--workers", "2")) == 0
    out = capsys.readouterr().out.splitlines()
    result, attrs = stored(job["dir"] / "r.zarr")
    expected = cortex.linear_responses(job["population"], job["images"], method=method)
    assert result.shape == (90, job["population"].n_neurons)
    if method == "centers":  # BLAS blocks by the number of images: equal to rounding
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12 * abs(expected).max())
    else:  # the same code path per image: exact
        np.testing.assert_array_equal(result, expected)
    assert out[0] == str(job["dir"] / "r.zarr")
    assert f"90 images x {job['population'].n_neurons} neurons (float64)" in out[1]
    assert "images/s on threads with 2 worker(s); peak memory" in out[2]
    assert out[-1].startswith(f"wrote {job['dir'] / 'r.zarr'} in ")
    # the store describes the job: the population rebuilds equal, the settings are there
    rebuilt = cortex.Population.from_dict(attrs["population"])
    assert rebuilt.to_dict() == job["population"].to_dict()
    assert attrs["user"]["method"] == method
    assert attrs["user"]["images"] == str(job["dir"] / "set.zarr")
    assert leftovers(job["dir"]) == []


def test_nonlinearity_and_overwrite(job, capsys):
    assert main(argv(job, "--method", "fft")) == 0
    linear, _ = stored(job["dir"] / "r.zarr")
    assert (linear < 0).any()
    # an existing store is refused, then replaced with --overwrite
    assert main(argv(job, "--nonlinearity", "rectify", "--method", "fft")) == 2
    assert "--out" in capsys.readouterr().err
    assert main(argv(job, "--nonlinearity", "rectify", "--method", "fft", "--overwrite")) == 0
    rectified, attrs = stored(job["dir"] / "r.zarr")
    expected = cortex.responses(
        job["population"], job["images"], method="fft", nonlinearity="rectify"
    )
    np.testing.assert_array_equal(rectified, expected)
    np.testing.assert_array_equal(rectified, np.maximum(linear, 0))
    assert attrs["user"]["nonlinearity"] == "rectify"
    assert leftovers(job["dir"]) == []


def test_scheduler_address(job, cluster, capsys):
    address = cluster.scheduler.address
    assert main(argv(job, "--scheduler", address, "--method", "direct")) == 0
    captured = capsys.readouterr()
    assert "dask dashboard: http" in captured.err
    assert f"on {address} with 2 worker(s); workers' peak memory" in captured.out
    result, _ = stored(job["dir"] / "r.zarr")
    np.testing.assert_array_equal(
        result, cortex.linear_responses(job["population"], job["images"], method="direct")
    )


def test_local_cluster(job, capsys):
    extra = ("--scheduler", "local", "--workers", "1", "--memory-limit", "512M")
    assert main(argv(job, *extra, "--method", "fft", "--nonlinearity", "half-square")) == 0
    captured = capsys.readouterr()
    assert "dask dashboard: http" in captured.err
    assert "on local with 1 worker(s); workers' peak memory" in captured.out
    result, _ = stored(job["dir"] / "r.zarr")
    expected = cortex.responses(
        job["population"], job["images"], method="fft", nonlinearity="half-square"
    )
    np.testing.assert_array_equal(result, expected)


def test_store_without_metadata_takes_the_population_field(job):
    # any Zarr array (N, H, W) on the population's field is an image set
    raw = job["dir"] / "raw.zarr"
    zarr.create_array(str(raw), shape=(7, *FIELD.shape), chunks=(4, *FIELD.shape), dtype="f8")[
        :
    ] = job["images"][:7]
    args = argv(job, "--method", "fft")
    args[args.index("--images") + 1] = str(raw)
    assert main(args) == 0
    result, _ = stored(job["dir"] / "r.zarr")
    np.testing.assert_array_equal(
        result, cortex.linear_responses(job["population"], job["images"][:7], method="fft")
    )


def test_progress_bar(job, monkeypatch):
    """The bar counts images as batches are written (stderr a terminal or not: the same calls)."""
    calls = []

    def record(done, total):
        calls.append((done, total))

    real = scale.write_responses

    def spy(*args, **kwargs):
        progress = kwargs["progress"]

        def both(done, total):
            record(done, total)
            progress(done, total)

        return real(*args, **{**kwargs, "progress": both, "batch_chunks": 2})

    monkeypatch.setattr(scale, "write_responses", spy)
    assert main(argv(job, "--no-progress")) == 0
    # 5 chunks (20, 20, 20, 20, 10) in batches of 2: after 40, 80 and 90 images
    assert calls == [(0, 90), (40, 90), (80, 90), (90, 90)]


def test_batch_size_keeps_workers_busy():
    assert respond._batch_chunks(5, 2) == 16
    assert respond._batch_chunks(10_000, 2) == 100
    assert respond._batch_chunks(10_000, 4) == 100
    assert respond._batch_chunks(100, 64) == 512


# -- bad input: exit 2 with one line naming the argument, nothing written ---------------------
def _write_other_field(job):
    other = cortex.VisualField(2.0, 2.0, pixels_per_degree=12)
    scale.write_white_noise(job["dir"] / "other.zarr", other, 4, seed=0)
    return str(job["dir"] / "other.zarr")


@pytest.mark.parametrize(
    "change, option",
    [
        (lambda job, a: a.__setitem__(a.index("--population") + 1, "missing.json"), "--population"),
        (lambda job, a: a.__setitem__(a.index("--images") + 1, "missing.zarr"), "--images"),
        (
            lambda job, a: a.__setitem__(a.index("--images") + 1, _write_other_field(job)),
            "--images",
        ),
        (
            lambda job, a: a.__setitem__(a.index("--population") + 1, _bad_json(job)),
            "--population",
        ),
        (lambda job, a: a.__setitem__(a.index("--out") + 1, str(job["dir"] / "set.zarr")), "--out"),
        (lambda job, a: a.__setitem__(a.index("--out") + 1, _a_file(job) + "/r.zarr"), "--out"),
        (
            lambda job, a: a.extend(["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"]),
            "--workers",
        ),
        (lambda job, a: a.extend(["--memory-limit", "1G"]), "--memory-limit"),
        (
            lambda job, a: a.extend(["--scheduler", "local", "--memory-limit", "1K"]),
            "--memory-limit",
        ),
        (
            lambda job, a: a.extend(["--scheduler", "local", "--memory-limit", "lots"]),
            "--memory-limit",
        ),
        (lambda job, a: a.extend(["--scheduler", "no such place"]), "--scheduler"),
        (lambda job, a: a.extend(["--workers", "0"]), "--workers"),
        (lambda job, a: a.extend(["--method", "fast"]), "--method"),
        (lambda job, a: a.extend(["--nonlinearity", "relu"]), "--nonlinearity"),
    ],
)
def test_bad_arguments(job, change, option, capsys):
    args = argv(job)
    change(job, args)
    before = sorted(p.name for p in job["dir"].iterdir())
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cortex respond: error: argument " + option), err
    assert "Traceback" not in err[0]
    assert sorted(p.name for p in job["dir"].iterdir()) == before  # nothing written


def _bad_json(job):
    path = job["dir"] / "bad.json"
    d = job["population"].to_dict()
    d["mosaic"]["centers"] = "everywhere"
    path.write_text(json.dumps(d))
    return str(path)


def _a_file(job):
    path = job["dir"] / "a_file"
    path.write_text("not a directory")
    return str(path)


def test_unreachable_scheduler_fails_with_one_line(job, monkeypatch, capsys):
    monkeypatch.setattr(respond, "CONNECT_TIMEOUT", 1)
    assert main(argv(job, "--scheduler", "tcp://127.0.0.1:9")) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach the dask.distributed scheduler" in err[0]
    assert not (job["dir"] / "r.zarr").exists()


def test_failure_mid_run_leaves_nothing(job, capsys):
    # a NaN in the 3rd chunk: refused when that chunk is computed, after others were written
    images = job["images"].copy()
    images[55, 3, 4] = np.nan
    raw = job["dir"] / "nan.zarr"
    zarr.create_array(str(raw), shape=images.shape, chunks=(20, *FIELD.shape), dtype="f8")[:] = (
        images
    )
    args = argv(job)
    args[args.index("--images") + 1] = str(raw)
    args += ["--workers", "1"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "NaN" in err[0] and "Traceback" not in err[0]
    assert not (job["dir"] / "r.zarr").exists()
    assert leftovers(job["dir"]) == []


def test_interrupted_run_leaves_the_old_store_whole(job, monkeypatch, capsys):
    assert main(argv(job, "--method", "fft")) == 0
    before, _ = stored(job["dir"] / "r.zarr")
    real = scale.write_responses

    def interrupted(*args, **kwargs):
        def progress(done, total):
            if done >= 40:
                raise KeyboardInterrupt

        return real(*args, **{**kwargs, "progress": progress, "batch_chunks": 2})

    monkeypatch.setattr(scale, "write_responses", interrupted)
    code = main(argv(job, "--method", "fft", "--nonlinearity", "rectify", "--overwrite"))
    assert code == 130
    assert "interrupted; nothing was written" in capsys.readouterr().err
    after, attrs = stored(job["dir"] / "r.zarr")
    np.testing.assert_array_equal(after, before)  # the old store, whole
    assert attrs["user"]["nonlinearity"] == "none"
    assert leftovers(job["dir"]) == []


def test_help_names_the_command(capsys):
    assert main(["respond", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--population", "--images", "--out", "--scheduler", "--workers"):
        assert option in text
    assert "atomically" in text


def test_address_parsing():
    assert respond.check_address("threads") == "threads"
    assert respond.check_address(" LOCAL ") == "local"
    assert respond.check_address("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    assert respond.check_address("localhost:8786") == "localhost:8786"
    for bad in ("", "local host", "tcp://", "8786", "a b:1", "http://x:1/path/more"):
        with pytest.raises(Exception, match="must be 'threads', 'local' or"):
            respond.check_address(bad)


def test_console_script_runs(job, tmp_path):
    """The installed entry point, in a fresh interpreter (the import path users take)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("CORTEX_DEBUG",)}
    done = subprocess.run(
        [sys.executable, "-m", "cortex", *argv(job, "--method", "fft")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result, _ = stored(job["dir"] / "r.zarr")
    np.testing.assert_array_equal(
        result, cortex.linear_responses(job["population"], job["images"], method="fft")
    )


def test_methods_are_the_library_methods():
    assert respond.METHODS == cortex.METHODS
