"""LGN cells watching a movie: cortex against bmtk's FilterNet and a plain numpy reference.

The setting of issue 17: bmtk 1.2.0's FilterNet LGN model, N ON cells on a
square grid (sqrt(N) rows x sqrt(N) columns of pixel centres, 9 px or more
from the edges, so every cell's kernel is whole and all are one kernel,
shifted) over a 120 x 240 px drifting grating (bmtk's ``GratingMovie``, 1 s
at 1000 frames/s: 1001 frames, 0.04 cycles/deg, 4 Hz, contrast 0.8, bmtk's
default orientation 45 deg, 1 deg per px), each cell a Gaussian of sigma
2 deg (bmtk's ``GaussianSpatialFilter``: a 19 x 19 px kernel) times bmtk's
cosine-bump temporal filter ``tON_TF8`` (weights 4.2185 / -2.4050, kpeaks
8.5246 / 23.2468 ms, delays 0 / 0), rate = max(0, linear + 2.6 spikes/s).
For N = 100, 400 and 1,600 it times, interleaved (rounds in an order
shuffled anew each round, seeded; after a first call of each that checks
its result):

* **bmtk separable** -- bmtk's fastest path, what ``FilterSimulator.run``
  does per cell with ``evaluation_options: {"separable": true}``:
  ``cell.evaluate(movie, separable=True)`` for each ``OnUnit`` (its spatial
  kernel built on the movie's grid, a dot product per frame over the
  kernel's window, ``scipy.signal.convolve`` in time, the transfer function
  per sample).  The cells are made by bmtk's own cell loader
  (``default_cell_loader``) from ``tON_TF8`` nodes (``spatial_size`` 6 deg:
  sigma 2; ``spont_fr`` 2.6), as ``FilterNetwork`` makes them.
* **reference** -- plain numpy/scipy: the frames ``(T, pixels)`` times one
  ``scipy.sparse`` matrix of all cells' spatial kernels (bmtk's, built once,
  not timed), then one causal ``scipy.signal.lfilter`` along time, then the
  rectifier.
* **cortex auto** -- ``cortex.dynamics.movie_responses(population, movie,
  CosineBump, baseline=2.6)`` with the kernels exported from bmtk's objects
  (``cortex.filternet.export_bmtk_kernel`` -> ``SampledRF``; the
  ``CosineBump``'s taps at 1 kHz are bmtk's samples): like for like.  Also
  with ``method="separable"`` forced, and on the float32 movie.

Before anything is timed, every result is checked equal to bmtk's rates to
1e-8 of each cell's peak rate (float32: 1e-5).  The table gives the median
and the range (min-max) of the rounds in milliseconds and the speed-ups
against bmtk and against the reference; the targets (cortex auto >= 20x
bmtk's separable path at 400 cells, >= 5x at 100) use the median of the
per-round ratios (adjacent runs share the machine's state).

Memory: the peak of numpy's allocations (``tracemalloc``) during cortex's
call, in a fresh subprocess, for a 1,000-frame and a 10,000-frame movie read
from a memory-mapped file (opened before tracing: the movie itself is not
counted), 400 cells: ``movie_responses`` in one call (its output, frames x
cells, grows with the movie) and streamed: ``iter_movie_responses`` (blocks
of frames, the filter's state carried; a cortex without it: consecutive
segments of 1,000 frames through ``movie_responses``, each with the 91
frames before it, exact for a causal FIR filter of 92 taps), the consumer
keeping a running sum.  Target: the streamed 10,000-frame peak within 1.2x
of the 1,000-frame one.

Without bmtk (``pip install 'cortex[bench]'``) the script says so, draws the
same grating with bmtk's formula, checks cortex against the reference and
prints cortex's figures.

Run from the repository root::

    python benchmarks/bench_movies.py            # full run, 3-4 minutes
    python benchmarks/bench_movies.py --quick    # 100 cells, 1 round, small memory test
    python benchmarks/bench_movies.py --profile 400   # where cortex's time goes

Timings are wall-clock on a shared machine: the header and the footer print
the load average.
"""

# ruff: noqa: E402  (the BLAS threads are set before numpy is imported)
from __future__ import annotations

import os

# One BLAS thread (as the fits of cortex's cost model, and bmtk's evaluation): on a shared
# 2-core machine a second OpenBLAS thread that finds its core busy spins and slows every
# GEMM several-fold.  Set OPENBLAS_NUM_THREADS (etc.) before running to change it.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse
import json
import math
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable

import numpy as np
import scipy
import scipy.signal
import scipy.sparse

import cortex
from cortex.dynamics import movie_responses
from cortex.filternet import SampledRF, export_bmtk_kernel
from cortex.movies import Movie
from cortex.temporal import CosineBump

ROWS, COLS = 120, 240  # pixels (bmtk: row_size 120, col_size 240 deg at 1 deg per px)
FPS = 1000.0
DURATION = 1.0  # s: bmtk's GratingMovie makes round(fps * duration) + 1 = 1001 frames
GRATING = {"cpd": 0.04, "temporal_f": 4.0, "contrast": 0.8, "theta": 45.0}  # bmtk's default theta
SIGMA = 2.0  # deg
TON_TF8 = ((4.2185, -2.4050), (8.5246, 23.2468), (0, 0))  # weights, kpeaks (ms), delays (ms)
SPONT = 2.6  # spikes/s
MARGIN = 9  # px: whole 19 x 19 kernels (bmtk renormalises kernels cut by the movie's edge)
CELLS = (100, 400, 1600)
TARGETS = {400: 20.0, 100: 5.0}  # cortex auto >= this many times bmtk's separable path
TOLERANCE = {"float64": 1e-8, "float32": 1e-5}  # of each cell's peak rate
MEMORY_FRAMES = (1000, 10000)
MEMORY_CELLS = 400
MEMORY_TARGET = 1.2
SEGMENT = 1000  # frames per streamed segment


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, nargs="+", default=list(CELLS), help="N (squares)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--quick", action="store_true", help="100 cells, 1 round, small memory")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument("--no-bmtk", action="store_true", help="leave bmtk out (as if missing)")
    parser.add_argument(
        "--profile", type=int, metavar="N", help="profile cortex's paths at N cells"
    )
    parser.add_argument("--memory-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.cells, args.repeats = [100], 1
    for n in args.cells:
        if n < 1 or math.isqrt(n) ** 2 != n:
            parser.error(f"--cells must be square numbers (a square grid), got {n}")
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


# --------------------------------------------------------------------------- bmtk
def import_bmtk(disabled: bool):
    """bmtk's FilterNet LGN classes, or None and the reason."""
    if disabled:
        return None, "left out (--no-bmtk)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import bmtk
            from bmtk.simulator.filternet.default_setters.cell_loaders import (
                default_cell_loader,
            )
            from bmtk.simulator.filternet.lgnmodel import movie
    except ImportError as exc:
        return None, f"not installed ({exc}); pip install 'cortex[bench]' (bmtk==1.2.0)"
    return {
        "version": bmtk.__version__,
        "GratingMovie": movie.GratingMovie,
        "default_cell_loader": default_cell_loader,
    }, f"bmtk {bmtk.__version__}"


def grating_frames(bmtk) -> tuple[np.ndarray, object]:
    """The movie's frames (T, 120, 240) and bmtk's Movie (None without bmtk)."""
    if bmtk is not None:
        maker = bmtk["GratingMovie"](ROWS, COLS, frame_rate=FPS)
        movie = maker.create_movie(t_min=0.0, t_max=DURATION, degrees_per_pixel=1.0, **GRATING)
        return movie.data, movie
    # bmtk's formula (lgnmodel/movie.py, GratingMovie.create_movie, y_dir "down")
    t = np.linspace(0, DURATION, int(round(FPS * DURATION)) + 1)
    y = np.linspace(0, ROWS, ROWS)
    x = np.linspace(0, COLS, COLS)
    tt, yy, xx = np.meshgrid(t, y, x, indexing="ij")
    theta = np.deg2rad(-GRATING["theta"])
    xy = xx * np.cos(theta) + yy * np.sin(theta)
    phase = 2 * np.pi * (GRATING["cpd"] * xy - GRATING["temporal_f"] * tt)
    return GRATING["contrast"] * np.sin(phase), None


def grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel rows and columns of a sqrt(n) x sqrt(n) grid, MARGIN px from the edges."""
    side = math.isqrt(n)
    rows = np.linspace(MARGIN, ROWS - 1 - MARGIN, side).round().astype(int)
    cols = np.linspace(MARGIN, COLS - 1 - MARGIN, side).round().astype(int)
    r, c = np.meshgrid(rows, cols, indexing="ij")
    return r.ravel(), c.ravel()


class _Node(dict):
    """A FilterNet node as bmtk's cell loader reads it: ``node[key]`` and attributes."""

    weights = kpeaks = delays = None  # None: the model's dynamics parameters
    predefined_jitter = False
    jitter = (1.0, 1.0)


def bmtk_cells(bmtk, movie, rows, cols) -> list:
    """The cells FilterNet builds for tON_TF8 nodes: bmtk's own ``default_cell_loader``.

    Each node sits on a pixel (bmtk's ``x``, ``y`` in degrees from the movie's
    first pixel) with ``spatial_size`` 6 deg (the loader's sigma is a third of
    it: 2 deg) and ``spont_fr`` 2.6; the model ``tON_TF8``'s dynamics
    parameters are the issue's weights, kpeaks and delays.  The loader makes
    an ``OnUnit``: ``GaussianSpatialFilter`` x ``TemporalFilterCosineBump``,
    amplitude +1, transfer function ``Heaviside(s+2.6)*(s+2.6)``.
    """
    weights, kpeaks, delays = TON_TF8
    dynamics = {"opt_wts": list(weights), "opt_kpeaks": list(kpeaks), "opt_delays": list(delays)}
    cells = []
    for r, c in zip(rows, cols, strict=True):
        node = _Node(
            x=movie.col_range[c], y=movie.row_range[r], spatial_size=3 * SIGMA, spont_fr=SPONT
        )
        cells.append(bmtk["default_cell_loader"](node, ("lgnmodel", "tON_TF8"), dynamics))
    return cells


def bmtk_rates(cells, movie) -> np.ndarray:
    """bmtk's fastest path: each cell's separable evaluation, (T, N)."""
    return np.stack([np.asarray(cell.evaluate(movie, separable=True)[1]) for cell in cells], 1)


# --------------------------------------------------------------------------- kernels
def exported_kernels(bmtk, cells, movie, rows, cols) -> tuple[np.ndarray, CosineBump]:
    """bmtk's spatial kernel (one for every whole cell) and its temporal kernel, checked."""
    temporal = CosineBump.from_bmtk(*TON_TF8)
    if bmtk is None:  # bmtk's kernel for a cell on a pixel of an even-sized movie: rebuilt
        return bmtk_like_kernel(), temporal
    theirs = cells[0].linear_filter.temporal_filter.kernel_data
    scale = np.max(np.abs(theirs))
    assert np.max(np.abs(temporal.samples - theirs)) <= 1e-14 * scale, "temporal kernel"
    kernel = None
    for i in sorted({0, len(cells) // 2, len(cells) - 1}):
        spatial = cells[i].linear_filter.spatial_filter
        weights, center = export_bmtk_kernel(spatial, movie.row_range, movie.col_range)
        assert center == (rows[i], cols[i]) and weights.shape == (19, 19), (center, weights.shape)
        if kernel is None:
            kernel = weights
        assert np.max(np.abs(weights - kernel)) <= 1e-15, "cells' kernels differ"
    # the kernel rebuilt without bmtk (for runs without it, and the memory test) is bmtk's
    assert np.max(np.abs(bmtk_like_kernel() - kernel)) <= 1e-12 * kernel.max(), "rebuilt kernel"
    return kernel, temporal


def bmtk_like_kernel() -> np.ndarray:
    """bmtk's GaussianSpatialFilter kernel for a cell on a pixel, rebuilt without bmtk.

    ``scipy.ndimage.gaussian_filter`` of the 2 x 2 point at the centre of the
    even-sized movie (sigma in pixels: 2 deg over bmtk's pitch, ``size / (n - 1)``
    deg), shifted half a pixel by bilinear interpolation (the average of 2 x 2
    neighbours), cut to the 19 x 19 window, normalised to sum 1.  Equal to
    bmtk's to rounding (checked when bmtk is installed).
    """
    from scipy import ndimage

    image = np.zeros((ROWS, COLS))
    image[ROWS // 2 - 1 : ROWS // 2 + 1, COLS // 2 - 1 : COLS // 2 + 1] = 0.25
    pitch_x, pitch_y = COLS / (COLS - 1), ROWS / (ROWS - 1)
    blurred = ndimage.gaussian_filter(image, (SIGMA / pitch_y, SIGMA / pitch_x), mode="nearest")
    shifted = (blurred[:-1, :-1] + blurred[1:, :-1] + blurred[:-1, 1:] + blurred[1:, 1:]) / 4
    r, c = ROWS // 2 - 1, COLS // 2 - 1
    kernel = shifted[r - 9 : r + 10, c - 9 : c + 10]
    return kernel / kernel.sum()


def sparse_matrix(bmtk, cells, movie, kernel, rows, cols) -> scipy.sparse.csr_array:
    """All cells' spatial kernels, one row per cell over the flattened frame (bmtk's own)."""
    data, indices, indptr = [], [], [0]
    if bmtk is not None:
        for cell in cells:
            full = cell.linear_filter.spatial_filter.get_kernel(
                movie.row_range, movie.col_range, threshold=-1
            ).full()
            where = np.flatnonzero(full)
            data.append(full.ravel()[where])
            indices.append(where)
            indptr.append(indptr[-1] + len(where))
        return scipy.sparse.csr_array(
            (np.concatenate(data), np.concatenate(indices), np.array(indptr)),
            shape=(len(cells), ROWS * COLS),
        )
    dr, dc = np.meshgrid(np.arange(-9, 10), np.arange(-9, 10), indexing="ij")
    for r, c in zip(rows, cols, strict=True):
        data.append(kernel.ravel())
        indices.append(((r + dr) * COLS + (c + dc)).ravel())
        indptr.append(indptr[-1] + kernel.size)
    return scipy.sparse.csr_array(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)),
        shape=(len(rows), ROWS * COLS),
    )


# --------------------------------------------------------------------------- one N
def cortex_setup(kernel: np.ndarray, rows, cols):
    field = cortex.VisualField(COLS, ROWS, pixels_per_degree=1.0)  # one cortex px per bmtk px
    x, y = field.px_to_deg(rows, cols)
    population = cortex.Population(SampledRF(kernel, 1.0), cortex.Mosaic(field, np.c_[x, y]))
    _ = population.groups  # the kernels, once
    return field, population


def check(name: str, actual: np.ndarray, expected: np.ndarray, tolerance: float) -> float:
    """The largest error relative to each cell's peak rate; raises above ``tolerance``."""
    peak = np.max(np.abs(expected), axis=0)
    error = float(np.max(np.abs(np.asarray(actual, np.float64) - expected) / peak))
    if not error <= tolerance:
        raise AssertionError(f"{name}: error {error:.3g} of a cell's peak > {tolerance:g}")
    return error


def time_interleaved(candidates: dict[str, Callable[[], object]], repeats: int) -> dict:
    """Wall times (s) of each callable over ``repeats`` rounds, in a shuffled order."""
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    names = list(candidates)
    order = np.random.default_rng(0)  # the same orders on every run
    for _ in range(repeats):
        # a new order each round: no candidate always runs right after the same one (a
        # call right after another's large allocations pays page faults, +25% measured;
        # right after torch, its threads still spinning)
        for name in order.permutation(names):
            start = time.perf_counter()
            candidates[name]()
            samples[name].append(time.perf_counter() - start)
    return samples


def bench_cells(n: int, frames: np.ndarray, bmtk, bmtk_movie, args) -> dict:
    rows, cols = grid(n)
    cells = bmtk_cells(bmtk, bmtk_movie, rows, cols) if bmtk is not None else None
    kernel, temporal = exported_kernels(bmtk, cells, bmtk_movie, rows, cols)
    taps = temporal.kernel(FPS)
    field, population = cortex_setup(kernel, rows, cols)
    movie = Movie(frames, FPS, field)
    movie32 = Movie(frames.astype(np.float32), FPS, field)
    # (pixels, cells) in CSR: of scipy's products of the frames and the kernels, measured
    # the fastest here (the frames, (T, pixels), are read row by row)
    matrix = sparse_matrix(bmtk, cells, bmtk_movie, kernel, rows, cols).T.tocsr()
    flat = frames.reshape(len(frames), -1)

    def reference() -> np.ndarray:
        drive = flat @ matrix
        return np.maximum(scipy.signal.lfilter(taps, [1.0], drive, axis=0) + SPONT, 0.0)

    candidates: dict[str, Callable[[], np.ndarray]] = {}
    if bmtk is not None:
        candidates["bmtk separable"] = lambda: bmtk_rates(cells, bmtk_movie)
    candidates["reference"] = reference
    candidates["cortex auto"] = lambda: movie_responses(population, movie, temporal, baseline=SPONT)
    candidates["cortex separable"] = lambda: movie_responses(
        population, movie, temporal, baseline=SPONT, method="separable"
    )
    candidates["cortex auto f32"] = lambda: movie_responses(
        population, movie32, temporal, baseline=SPONT
    )
    # -- correctness first (the first call of each is its warm-up) -----------------
    expected = candidates["bmtk separable" if bmtk is not None else "reference"]()
    errors = {}
    for name, fn in candidates.items():
        dtype = "float32" if name.endswith("f32") else "float64"
        errors[name] = check(name, fn(), expected, TOLERANCE[dtype])
    # the streamed path of the memory test equals one call
    segments = streamed(population, movie, temporal, segment=250, keep=True)
    errors["cortex streamed"] = check("cortex streamed", segments, expected, TOLERANCE["float64"])
    samples = time_interleaved(candidates, args.repeats)
    return {"n": n, "samples": samples, "errors": errors, "columns": len(np.unique(cols))}


# --------------------------------------------------------------------------- memory
def stream_label() -> str:
    if hasattr(cortex.dynamics, "iter_movie_responses"):
        return "iter_movie_responses"
    return f"segments of {SEGMENT:,}"


def streamed(population, movie, temporal, *, segment=SEGMENT, keep=False):
    """cortex's rates block by block: the streamed path.

    With :func:`cortex.dynamics.iter_movie_responses` (the filter's state
    carried from block to block, default blocks), else ``movie_responses``
    over consecutive segments of ``segment`` frames, each with the ``K - 1``
    frames before it (a causal FIR filter of ``K`` taps needs no more, so the
    segments' rates are exact).  Returns the rates (``keep``) or their sum
    over time (what a consumer that does not keep them holds).
    """
    iterate = getattr(cortex.dynamics, "iter_movie_responses", None)
    if iterate is not None:
        blocks = iterate(population, movie, temporal, baseline=SPONT)
    else:
        blocks = _segments(population, movie, temporal, segment)
    total, kept = 0.0, []
    for rates in blocks:
        if keep:
            kept.append(rates)
        else:
            total = total + rates.sum(axis=0)
    return np.concatenate(kept) if keep else total


def _segments(population, movie, temporal, segment):
    k = len(temporal.kernel(movie.frames_per_second))
    for start in range(0, movie.n_frames, segment):
        lead = min(start, k - 1)
        piece = Movie(
            movie.frames[start - lead : start + segment], movie.frames_per_second, movie.field
        )
        yield movie_responses(population, piece, temporal, baseline=SPONT)[lead:]


def memory_child(path: str, n_frames: int, n_cells: int, mode: str, segment: int) -> None:
    """In a fresh process: the traced peak of one cortex call on a memory-mapped movie."""
    frames = np.load(path, mmap_mode="r")[:n_frames]
    rows, cols = grid(n_cells)
    field, population = cortex_setup(bmtk_like_kernel(), rows, cols)
    movie = Movie(frames, FPS, field)  # validated here, before tracing
    temporal = CosineBump.from_bmtk(*TON_TF8)
    tracemalloc.start()
    start = time.perf_counter()
    if mode == "single":
        result = movie_responses(population, movie, temporal, baseline=SPONT)
        output = result.nbytes
    else:
        result = streamed(population, movie, temporal, segment=segment)
        output = result.nbytes
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"peak": peak, "output": output, "seconds": elapsed}))


def write_movie(frames: np.ndarray, n_frames: int, directory: str) -> str:
    """A .npy file of ``n_frames`` frames: the 1 s grating repeated (period 250 frames)."""
    path = os.path.join(directory, "grating.npy")
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n_frames, ROWS, COLS))
    period = 250  # 4 Hz at 1000 frames/s
    for start in range(0, n_frames, 1000):
        stop = min(start + 1000, n_frames)
        out[start:stop] = frames[np.arange(start, stop) % period]
    out.flush()
    del out
    return path


def bench_memory(frames: np.ndarray, frame_counts, n_cells: int) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        path = write_movie(frames, max(frame_counts), directory)
        for mode in ("single", "streamed"):
            for n_frames in frame_counts:
                command = [sys.executable, os.path.abspath(__file__), "--memory-child", path]
                command += [str(n_frames), str(n_cells), mode, str(min(frame_counts))]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                results[mode, n_frames] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


# --------------------------------------------------------------------------- report
def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


def header(about_bmtk: str, args) -> None:
    print("# LGN cells on a drifting grating: bmtk FilterNet vs a numpy reference vs cortex")
    print(
        f"# python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"cortex {cortex.__version__}, {about_bmtk}"
    )
    print(
        f"# {platform.machine()} {platform.system()}, cpu_count {os.cpu_count()}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, load average {load()}"
    )
    print(
        f"# movie {ROWS}x{COLS} px, {int(round(FPS * DURATION)) + 1} frames at {FPS:g} frames/s "
        f"({GRATING['cpd']} cpd, {GRATING['temporal_f']:g} Hz, contrast {GRATING['contrast']}, "
        f"theta {GRATING['theta']:g}); ON cells: sigma {SIGMA:g} deg (19x19 px) x tON_TF8, "
        f"rate = max(0, linear + {SPONT}); median and range of {args.repeats} interleaved round(s)"
    )


def print_table(results: list[dict]) -> None:
    print()
    print(
        f"{'cells':>6}  {'candidate':<18} {'median [ms]':>11} {'range [ms]':>17}  "
        f"{'vs bmtk':>8}  {'vs reference':>12}  max error / peak"
    )
    for res in results:
        samples = res["samples"]
        medians = {name: statistics.median(v) for name, v in samples.items()}
        bmtk = medians.get("bmtk separable")
        first = True
        for name, values in samples.items():
            t = medians[name]
            span = f"{min(values) * 1e3:7.1f}-{max(values) * 1e3:.1f}"
            ratio = f"{bmtk / t:7.1f}x" if bmtk else "     n/a"
            error = res["errors"].get(name)
            shown = "(the oracle)" if name == "bmtk separable" else f"{error:.1e}"
            if error == 0.0 and name == "reference" and bmtk is None:
                shown = "(the oracle)"
            lead = f"{res['n']:>6,}" if first else " " * 6
            print(
                f"{lead}  {name:<18} {t * 1e3:11.1f} {span:>17}  {ratio}  "
                f"{medians['reference'] / t:11.2f}x  {shown}"
            )
            first = False
    print()
    print("vs bmtk = t_bmtk / t (ratio of medians); vs reference = t_reference / t")


def print_targets(results: list[dict]) -> bool:
    ok = True
    by_n = {res["n"]: res for res in results}
    for n, minimum in sorted(TARGETS.items(), reverse=True):
        if n not in by_n:
            print(f"target at {n} cells: not run (--cells)")
            continue
        samples = by_n[n]["samples"]
        if "bmtk separable" not in samples:
            print(f"target at {n} cells: cortex auto >= {minimum:g}x bmtk: bmtk missing  MISS")
            ok = False
            continue
        for name in ("cortex auto", "cortex separable", "cortex auto f32"):
            per_round = [
                b / c for b, c in zip(samples["bmtk separable"], samples[name], strict=True)
            ]
            ratio = statistics.median(per_round)
            passed = ratio >= minimum
            if name == "cortex auto":
                ok &= passed
                label = f"target at {n} cells: cortex auto >= {minimum:g}x bmtk's separable path"
            else:
                label = f"    (not the target) {name:<16} at {n} cells"
            print(
                f"{label}: {ratio:.1f}x  {'PASS' if passed else 'MISS'}  (median of per-round "
                f"ratios; rounds {min(per_round):.1f}x-{max(per_round):.1f}x)"
            )
    return ok


def print_memory(results: dict, frame_counts) -> bool:
    small, large = frame_counts
    print()
    print(f"peak traced memory of cortex, {MEMORY_CELLS} cells (movie memory-mapped, not counted):")
    print(f"{'path':<32} {'frames':>7} {'peak [MiB]':>11} {'output [MiB]':>13} {'time [s]':>9}")
    for (mode, n_frames), res in results.items():
        label = "movie_responses, one call" if mode == "single" else f"streamed ({stream_label()})"
        print(
            f"{label:<32} {n_frames:>7,} {res['peak'] / 2**20:11.1f} "
            f"{res['output'] / 2**20:13.2f} {res['seconds']:9.2f}"
        )
    ok = True
    for mode in ("streamed", "single"):
        ratio = results[mode, large]["peak"] / results[mode, small]["peak"]
        passed = ratio <= MEMORY_TARGET
        if mode == "streamed":
            ok = passed
            print(
                f"target memory: streamed peak at {large:,} frames <= {MEMORY_TARGET:g}x at "
                f"{small:,}: {ratio:.2f}x  {'PASS' if passed else 'MISS'}"
            )
        else:
            grow = (results[mode, large]["output"] - results[mode, small]["output"]) / 2**20
            print(
                f"    (not the target) one call: {ratio:.2f}x  {'PASS' if passed else 'MISS'}: "
                f"its output, frames x cells x 8 bytes, grows by {grow:.1f} MiB"
            )
    return ok


def profile(n: int, frames: np.ndarray) -> None:
    """Where the time goes: cProfile of one call of each cortex path (bmtk's kernels rebuilt)."""
    import cProfile
    import pstats

    rows, cols = grid(n)
    kernel = bmtk_like_kernel()
    temporal = CosineBump.from_bmtk(*TON_TF8)
    field, population = cortex_setup(kernel, rows, cols)
    movie = Movie(frames, FPS, field)
    paths = {
        "cortex auto": lambda: movie_responses(population, movie, temporal, baseline=SPONT),
        "cortex separable": lambda: movie_responses(
            population, movie, temporal, baseline=SPONT, method="separable"
        ),
    }
    for name, fn in paths.items():
        fn()  # warm-up
        profiler = cProfile.Profile()
        profiler.enable()
        fn()
        profiler.disable()
        print(f"\n## {name}, {n} cells: the functions that take the time (one call)")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(10)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.profile:
        if math.isqrt(args.profile) ** 2 != args.profile:
            raise SystemExit("--profile takes a square number of cells")
        profile(args.profile, grating_frames(None)[0])
        return 0
    if args.memory_child:
        path, n_frames, n_cells, mode, segment = args.memory_child
        memory_child(path, int(n_frames), int(n_cells), mode, int(segment))
        return 0
    bmtk, about = import_bmtk(args.no_bmtk)
    header(about, args)
    if bmtk is None:
        print(f"# bmtk: {about}: cortex is checked against the reference; no bmtk column")
    frames, bmtk_movie = grating_frames(bmtk)
    results = []
    for n in args.cells:
        res = bench_cells(n, frames, bmtk, bmtk_movie, args)
        oracle = "bmtk's rates" if bmtk is not None else "the reference"
        print(
            f"{n:,} cells ({res['columns']} grid columns): every result (and cortex streamed) "
            f"equals {oracle} "
            f"(<= {TOLERANCE['float64']:g} of each cell's peak; float32 {TOLERANCE['float32']:g})"
        )
        results.append(res)
    print_table(results)
    print()
    print_targets(results)
    if not args.no_memory:
        counts = (200, 2000) if args.quick else MEMORY_FRAMES
        print_memory(bench_memory(frames, counts, MEMORY_CELLS), counts)
    print(f"# load average at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
