"""Scaling out: population responses over Zarr image sets, in memory, threaded and on a cluster.

An LGN-like population (ON- and OFF-centre difference-of-Gaussians RFs,
0.15/0.45 deg, on a hexagonal lattice that tiles the field at the half-max
contour) responds to seeded white-noise sets of 64x64-pixel float32 images
(4 x 4 deg at 16 px/deg) stored in Zarr (:func:`cortex.scale.write_white_noise`,
chunks of 64 images = 256 KiB).  Two sets:

* **fits**: half the total ``memory_limit`` of the two-worker cluster
  (320 MiB; 20,480 images);
* **4x**: four times that total (2.5 GiB; 163,840 images), which no
  configuration may hold in memory.

Configurations (each runs in a fresh process, so every peak-memory figure is
its own; each is warmed up on one chunk first, so imports and the first
kernels are not timed; on the fitting set the best of two timed runs counts):

* **numpy, one call**: the set loaded into memory (not timed), then one
  ``cortex.responses`` call over all of it;
* **numpy, chunk loop**: the same, one call per 64-image chunk (the work a
  dask task does, with no scheduler);
* **numpy, chunk loop reading Zarr**: the chunk loop reading each chunk from
  the store inside the timed loop (zarr's own slicing, no dask): the same work
  as dask's, without the scheduler;
* **dask threaded (1), in-memory array**: ``cortex.scale.responses`` on the
  loaded set wrapped by :func:`dask.array.from_array` in 64-image chunks, on
  dask's threaded scheduler with one thread: the numpy chunk loop's work
  through dask (its overhead, with nothing else changed);
* **dask threaded (k)**: ``cortex.scale.responses`` on ``open_images(store)``
  computed with dask's threaded scheduler and ``k`` threads (reading the Zarr
  store is part of the timed work);
* **LocalCluster (w)**: the same on a ``dask.distributed.LocalCluster`` of
  ``w`` worker processes, one thread each, ``memory_limit=320MiB`` per worker.

On the fitting set the responses are gathered into memory; on the 4x set they
are written to a Zarr store (:func:`cortex.scale.write_responses`), the
out-of-core path end to end.  Every configuration's responses are checked to
agree (the sum of their squares, to 1e-4 relative: float32).  Numeric kernels run
single-threaded everywhere (``OMP/OPENBLAS/MKL_NUM_THREADS=1``, as
dask.distributed workers set them), so the parallelism measured is dask's;
``method="centers"`` is forced (what ``"auto"`` picks here), so no FFT
threads run either.

**Worker malloc settings.**  dask.distributed starts its worker processes with
``MALLOC_TRIM_THRESHOLD_=65536`` (config ``distributed.nanny.pre-spawn-environ``),
which turns off glibc's adaptive mmap threshold: every temporary above 128 KiB
is then mapped and unmapped afresh, and the ``"centers"`` method (a few hundred
KiB of patches per RF site) runs about 5x slower in a worker than in a plain
process.  The cluster configurations therefore unset it
(``dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
None})`` before the cluster starts); one row keeps distributed's default, to show
the difference.

Peak memory: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of each worker
process (``client.run``), or of the process itself for numpy and the threaded
scheduler.  Spilling: each worker's bytes written to disk (its ``disk-write``
metrics and ``data.spilled_total``) and its log (spill, pause and
memory-warning lines); being killed: the worker processes' ids before and
after, and the number of workers.

Targets (ratios of the same run), printed as PASS or MISS:

* 2 workers >= 1.6x the images/s of 1 worker (on the 4x set, and on the
  fitting set for information);
* dask overhead <= 15 % against in-memory numpy on the fitting set, like for
  like: dask threaded with 1 thread on the loaded set (``from_array``) against
  the numpy chunk loop, and dask threaded with 1 thread reading the Zarr store
  against the numpy chunk loop reading it (the same work without a
  scheduler); the one numpy call over the whole loaded set is printed for
  information;
* the 4x set completes on 1 and on 2 workers without spilling, pausing or a
  worker being killed.

Run from the repository root::

    python benchmarks/bench_scale.py            # full run, a few minutes on 2 cores
    python benchmarks/bench_scale.py --quick    # 48x48 px, small sets: a smoke test

The sets are written to a temporary directory (``--tmpdir``), about 3 GiB for
the full run, and removed at the end.  Timings are wall-clock on a shared
machine (the header prints the load average); the sets were just written, so
they are read from the page cache.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy: single-threaded BLAS everywhere

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

MIB = 2**20
MEMORY_LIMIT = 320 * MIB  # per worker
N_WORKERS_MAX = 2
CHUNK_IMAGES = 64
METHOD = "centers"
#: dask.distributed sets MALLOC_TRIM_THRESHOLD_=65536 in its worker processes; None unsets it
TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
TIMEOUT = 1200  # seconds per configuration


def sizes(quick: bool) -> dict:
    if quick:
        return {"side_deg": 3.0, "ppd": 16, "fits": 2048, "big": 8192}
    image_bytes = 64 * 64 * 4
    total = N_WORKERS_MAX * MEMORY_LIMIT
    return {
        "side_deg": 4.0,
        "ppd": 16,
        "fits": total // 2 // image_bytes,
        "big": 4 * total // image_bytes,
    }


def population(side_deg: float, ppd: float):
    import cortex

    field = cortex.VisualField(side_deg, side_deg, pixels_per_degree=ppd)
    on = cortex.DifferenceOfGaussians(0.15, 0.45, polarity="on")
    off = cortex.DifferenceOfGaussians(0.15, 0.45, polarity="off")
    spacing = 0.95 * math.sqrt(3.0) * on.contour("half-max")[0]
    return cortex.Population([on, off], cortex.Mosaic.from_lattice(field, spacing))


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


# -- one configuration, in its own process -------------------------------------------------
def run_numpy(spec: dict) -> dict:
    import zarr

    import cortex

    pop = population(spec["side_deg"], spec["ppd"])
    stored = zarr.open_array(spec["store"], mode="r")
    # "loop from zarr" reads each chunk from the store in the timed loop, as dask does
    images = stored if spec["mode"] == "loop from zarr" else stored[...]
    cortex.responses(pop, images[:CHUNK_IMAGES], method=METHOD)  # warm-up
    times = []
    for _ in range(spec["repeat"]):
        start = time.perf_counter()
        if spec["mode"] == "one call":
            total = checksum(cortex.responses(pop, images, method=METHOD))
        else:
            total = 0.0
            for i in range(0, images.shape[0], CHUNK_IMAGES):
                total += checksum(
                    cortex.responses(pop, images[i : i + CHUNK_IMAGES], method=METHOD)
                )
        times.append(time.perf_counter() - start)
    return {
        "seconds": min(times),
        "n": images.shape[0],
        "sum": total,
        "peaks": [peak_rss()],
        "load": os.getloadavg()[0],
    }


def run_threads(spec: dict) -> dict:
    import dask

    from cortex import scale

    pop = population(spec["side_deg"], spec["ppd"])
    images, _ = scale.open_images(spec["store"])
    if spec.get("in_memory"):  # the loaded set, in the chunks of the store
        import dask.array as da

        images = da.from_array(images.compute(), chunks=images.chunks)
    with dask.config.set(scheduler="threads", num_workers=spec["threads"]):
        scale.responses(pop, images[:CHUNK_IMAGES], method=METHOD).compute()  # warm-up
        seconds, result = timed(scale, pop, images, spec)
        total = checksum(result)
    return {
        "seconds": seconds,
        "n": int(images.shape[0]),
        "sum": total,
        "peaks": [peak_rss()],
        "load": os.getloadavg()[0],
    }


def respond(scale, pop, images, out: str | None):
    """The timed work: responses gathered into memory, or written to Zarr (``out``)."""
    lazy = scale.responses(pop, images, method=METHOD)
    if out is None:
        return lazy.compute()
    return scale.write_responses(lazy, out, population=pop, overwrite=True)


def timed(scale, pop, images, spec: dict) -> tuple[float, object]:
    """The best time of ``spec["repeat"]`` runs of :func:`respond`, and its result."""
    times = []
    for _ in range(spec["repeat"]):
        start = time.perf_counter()
        result = respond(scale, pop, images, spec.get("out"))
        times.append(time.perf_counter() - start)
    return min(times), result


def checksum(result) -> float:
    """Sum of the squared responses (float64; ON and OFF responses cancel in a plain sum),
    read back from the store if they were written."""
    if isinstance(result, np.ndarray):
        return float(np.sum(np.square(result, dtype=np.float64)))
    return float((result.astype(np.float64) ** 2).sum().compute(scheduler="threads"))


def _worker_report(dask_worker) -> dict:
    digests = dask_worker.digests_total.items()
    spilled = sum(v for k, v in digests if "disk-write" in str(k) and "bytes" in str(k))
    return {
        "pid": os.getpid(),
        "trim": os.environ.get("MALLOC_TRIM_THRESHOLD_", "unset"),
        "peak": peak_rss(),
        "spilled": int(spilled) + int(dask_worker.data.spilled_total.disk),
    }


def run_cluster(spec: dict) -> dict:
    import dask
    from distributed import Client, LocalCluster

    from cortex import scale

    if not spec.get("default_malloc", False):
        dask.config.set({TRIM_KEY: None})  # see the module docstring
    pop = population(spec["side_deg"], spec["ppd"])
    images, _ = scale.open_images(spec["store"])
    with (
        LocalCluster(
            n_workers=spec["workers"],
            threads_per_worker=1,
            processes=True,
            memory_limit=MEMORY_LIMIT,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
        dask.config.set(scheduler=client),
    ):
        scale.responses(pop, images[:CHUNK_IMAGES], method=METHOD).compute()  # warm-up
        before = client.run(_worker_report)
        seconds, result = timed(scale, pop, images, spec)
        after = client.run(_worker_report)
        logs = client.get_worker_logs()
        total = checksum(result)
    flagged = [
        line
        for worker_logs in logs.values()
        for _, line in worker_logs
        if any(word in line.lower() for word in ("spill", "paus", "memory use is high", "restart"))
    ]
    killed = sorted(r["pid"] for r in before.values()) != sorted(r["pid"] for r in after.values())
    return {
        "seconds": seconds,
        "n": int(images.shape[0]),
        "sum": total,
        "peaks": [r["peak"] for r in after.values()],
        "load": os.getloadavg()[0],
        "spilled": sum(r["spilled"] for r in after.values()),
        "flagged": flagged[:5],
        "killed": killed or len(after) != spec["workers"],
        "trim": sorted({r["trim"] for r in after.values()}),
    }


RUNNERS = {"numpy": run_numpy, "threads": run_threads, "cluster": run_cluster}


def in_subprocess(spec: dict) -> dict:
    """Run one configuration in a fresh interpreter (its own peak memory)."""
    try:
        result = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--run", json.dumps(spec)],
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {TIMEOUT} s"}
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- the whole benchmark -------------------------------------------------------------------
def write_sets(tmpdir: str, size: dict) -> dict:
    import dask
    from distributed import Client, LocalCluster

    import cortex
    from cortex import scale

    field = cortex.VisualField(size["side_deg"], size["side_deg"], pixels_per_degree=size["ppd"])
    stores = {}
    with (
        dask.config.set({TRIM_KEY: None}),
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        for name in ("fits", "big"):
            path = os.path.join(tmpdir, f"{name}.zarr")
            start = time.perf_counter()
            images, _ = scale.write_white_noise(
                path, field, size[name], chunk_images=CHUNK_IMAGES, seed=2024, dtype=np.float32
            )
            seconds = time.perf_counter() - start
            stores[name] = {
                "path": path,
                "n": size[name],
                "bytes": images.nbytes,
                "write_rate": size[name] / seconds,
            }
    return stores


def row(label: str, set_name: str, result: dict) -> str:
    if "error" in result:
        return f"| {label} | {set_name} | failed: {result['error']} | | | | |"
    rate = result["n"] / result["seconds"]
    peaks = ", ".join(f"{p / MIB:.0f}" for p in result["peaks"])
    spill = "" if "spilled" not in result else f"{result['spilled'] / MIB:.1f} MiB"
    return (
        f"| {label} | {set_name} | {result['seconds']:.2f} | {rate:,.0f} | {peaks} | {spill} "
        f"| {result['load']:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small images and sets (smoke test)")
    parser.add_argument("--tmpdir", default=None, help="where to write the Zarr sets")
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)  # one configuration
    args = parser.parse_args(argv)
    if args.run is not None:
        spec = json.loads(args.run)
        print(json.dumps(RUNNERS[spec["kind"]](spec)))
        return 0

    import dask

    size = sizes(args.quick)
    pop = population(size["side_deg"], size["ppd"])
    print(f"# bench_scale{' --quick' if args.quick else ''}")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, dask {dask.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"population: {pop.n_neurons} neurons (LGN ON/OFF DoG), field "
        f"{pop.field.shape[0]}x{pop.field.shape[1]} px, float32 images, chunks of "
        f"{CHUNK_IMAGES} images, method={METHOD!r}; workers: 1 thread, memory_limit "
        f"{MEMORY_LIMIT // MIB} MiB each"
    )
    tmpdir = tempfile.mkdtemp(prefix="cortex-bench-scale-", dir=args.tmpdir)
    try:
        stores = write_sets(tmpdir, size)
        total_limit = N_WORKERS_MAX * MEMORY_LIMIT
        for name, info in stores.items():
            print(
                f"set {name!r}: {info['n']:,} images, {info['bytes'] / MIB:,.0f} MiB "
                f"({info['bytes'] / total_limit:.2f}x the 2 workers' total memory_limit), "
                f"written at {info['write_rate']:,.0f} images/s (2 workers)"
            )
        base = {"side_deg": size["side_deg"], "ppd": size["ppd"]}
        fits = {**base, "store": stores["fits"]["path"], "repeat": 2}
        big = {
            **base,
            "store": stores["big"]["path"],
            "out": os.path.join(tmpdir, "out.zarr"),
            "repeat": 1,
        }
        plan = [
            ("numpy, one call", "fits", {**fits, "kind": "numpy", "mode": "one call"}),
            ("numpy, chunk loop", "fits", {**fits, "kind": "numpy", "mode": "loop"}),
            (
                "numpy, chunk loop reading Zarr",
                "fits",
                {**fits, "kind": "numpy", "mode": "loop from zarr"},
            ),
            (
                "dask threaded (1), in-memory array",
                "fits",
                {**fits, "kind": "threads", "threads": 1, "in_memory": True},
            ),
            ("dask threaded (1)", "fits", {**fits, "kind": "threads", "threads": 1}),
            ("dask threaded (2)", "fits", {**fits, "kind": "threads", "threads": 2}),
            ("LocalCluster (1)", "fits", {**fits, "kind": "cluster", "workers": 1}),
            ("LocalCluster (2)", "fits", {**fits, "kind": "cluster", "workers": 2}),
            (
                "LocalCluster (2), default malloc",
                "fits",
                {**fits, "kind": "cluster", "workers": 2, "default_malloc": True},
            ),
            ("dask threaded (2)", "4x", {**big, "kind": "threads", "threads": 2}),
            ("LocalCluster (1)", "4x", {**big, "kind": "cluster", "workers": 1}),
            ("LocalCluster (2)", "4x", {**big, "kind": "cluster", "workers": 2}),
        ]
        results = {}
        for label, set_name, spec in plan:
            results[label, set_name] = in_subprocess(spec)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    print()
    print(
        "| configuration | set | seconds | images/s | peak RSS per process (MiB) | spilled "
        "| load average (1 min, after) |"
    )
    print("| --- | --- | ---: | ---: | --- | --- | ---: |")
    for (label, set_name), result in results.items():
        print(row(label, set_name, result))

    for (label, set_name), result in results.items():
        if "trim" in result:
            print(f"{label} on {set_name!r}: workers' MALLOC_TRIM_THRESHOLD_ {result['trim']}")

    def rate(label: str, set_name: str) -> float:
        result = results[label, set_name]
        return math.nan if "error" in result else result["n"] / result["seconds"]

    print()
    ok = True
    sums = {}
    for (_, set_name), result in results.items():
        if "error" not in result:
            sums.setdefault(set_name, []).append(result["sum"])
    for set_name, values in sums.items():
        spread = (max(values) - min(values)) / max(abs(max(values)), 1e-300)
        agree = spread <= 1e-4
        ok &= agree
        answer = "yes" if agree else "NO"
        print(f"results agree on {set_name!r}: {answer} (relative spread {spread:.1e})")

    def target(name: str, passed: bool, detail: str) -> None:
        print(f"{'PASS' if passed else 'MISS'}  {name}: {detail}")

    speedup_big = rate("LocalCluster (2)", "4x") / rate("LocalCluster (1)", "4x")
    speedup_fits = rate("LocalCluster (2)", "fits") / rate("LocalCluster (1)", "fits")
    target("2 workers >= 1.6x 1 worker (4x set)", speedup_big >= 1.6, f"{speedup_big:.2f}x")
    target("2 workers >= 1.6x 1 worker (fitting set)", speedup_fits >= 1.6, f"{speedup_fits:.2f}x")
    # dask's overhead: the same work with and without dask, like for like
    for dask_label, reference_label in (
        ("dask threaded (1), in-memory array", "numpy, chunk loop"),
        ("dask threaded (1)", "numpy, chunk loop reading Zarr"),
    ):
        threaded, reference = rate(dask_label, "fits"), rate(reference_label, "fits")
        overhead = reference / threaded - 1.0
        target(
            f"dask overhead <= 15%: {dask_label} vs {reference_label}",
            overhead <= 0.15,
            f"{100 * overhead:+.1f}% ({threaded:,.0f} vs {reference:,.0f} images/s)",
        )
    threaded = rate("dask threaded (1)", "fits")
    one_call = rate("numpy, one call", "fits")
    print(
        f"info  dask threaded (1) from Zarr vs numpy, one call over the loaded set: "
        f"{threaded / one_call:.2f}x ({threaded:,.0f} vs {one_call:,.0f} images/s)"
    )
    threads_speedup = rate("dask threaded (2)", "fits") / threaded
    print(f"info  dask threaded, 2 threads vs 1: {threads_speedup:.2f}x")
    for workers in (1, 2):
        result = results[f"LocalCluster ({workers})", "4x"]
        if "error" in result:
            target(f"4x set on {workers} worker(s) completes", False, result["error"])
            continue
        clean = result["spilled"] == 0 and not result["flagged"] and not result["killed"]
        detail = (
            f"completed, spilled {result['spilled']} bytes, killed: {result['killed']}, "
            f"peak RSS {', '.join(f'{p / MIB:.0f}' for p in result['peaks'])} MiB "
            f"of {MEMORY_LIMIT // MIB} MiB"
        )
        if result["flagged"]:
            detail += f"; worker log: {result['flagged']}"
        if args.quick:
            detail += " (--quick: the set is smaller than the limit)"
        target(f"4x set on {workers} worker(s): no spill, no kill", clean, detail)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
