"""Population responses: cortex against plain scipy.signal and a sparse matmul.

A bank of 16 Gabor RFs (8 orientations x phases 0 and 90 deg, 31x31-pixel
kernels at ``n_sigma=3``) sits at every site of a hexagonal mosaic on a
1024x1024-pixel image (32 px/deg), at spacings of 1, 4 and 8 pixels.  For
each spacing the script times, in the same run and interleaved (rounds
in an order shuffled anew each round (seeded), after one warm-up call each; the
median of the rounds):

* **cortex** -- ``cortex.linear_responses(population, image)`` with
  ``method="auto"`` and with each method forced (``"fft"``, ``"separable"``,
  ``"centers"``; ``"direct"`` is left out: 16 x 31 x 31 taps over every pixel
  takes seconds, and so does ``"centers"`` at spacing 1 px);
* **(a) scipy loop** -- the reference: ``scipy.signal.correlate(image, kernel,
  mode="same")`` (its own ``method="auto"``) for each kernel, then reading
  the result at the RF centres (``mosaic.pixel_centers``);
* **(b) sparse matmul** -- ``image.reshape(1, -1) @ W.T`` with
  ``W = cortex.connectivity_matrix(population)``; building ``W`` is timed once
  and reported separately.  It is skipped (with the reason printed) when
  the matrix would exceed the memory budget (``--budget-gb``, estimated as
  ``n_neurons * 31 * 31 * 12`` bytes) or building it would not fit in the
  available memory.

Before timing, every cortex method (and the matmul) is checked equal to (a)
with ``rtol=1e-9`` and ``atol=1e-12 * max|(a)|``.  The table gives absolute
times in milliseconds and the speed-up ``t_a / t`` against (a); the targets
(spacing 8 px: cortex auto >= 100x faster than (a), issue 13; spacing 1 px:
cortex auto no slower than (a)) are printed as PASS or MISS.  The mosaics are
lattices at a whole number of pixels, so their sites lie on evenly spaced rows
and ``"separable"`` can take its line path (``cortex._lines``).

Run from the repository root::

    python benchmarks/bench_responses.py            # full run, about 2 minutes
    python benchmarks/bench_responses.py --quick    # 256x256, 1 repeat (smoke test)

Timings are wall-clock on a shared machine: other work running at the same
time inflates them (the header prints the load average).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import scipy
import scipy.signal

import cortex
from cortex.correlation import separable_factors
from cortex.stimuli import natural_image

SPACINGS_PX = (1, 4, 8)
KERNEL_SIDE = 31
N_SIGMA = 3.0
ORIENTATIONS = tuple(22.5 * i for i in range(8))
PHASES = (0.0, 90.0)
BYTES_PER_NONZERO = 12  # float64 weight + int32 column index (CSR)
BUILD_BYTES_PER_NONZERO = 24  # peak while connectivity_matrix builds (direct CSR), measured
DOG_ROUNDS = 15  # the DoG calls take milliseconds: more rounds, a steadier median
TARGET_SPARSE = (8, 100.0)  # (spacing px, minimum speed-up of cortex auto over (a))
TARGET_DENSE = (1, 1.0)
# the DoG population against plenoptic's CenterSurround (torch conv2d): centre/surround
# sigma 2/6 px, 37 px kernel; (spacing px, minimum speed-up of cortex auto, float32)
DOG_SIGMAS_PX = (2.0, 6.0)
DOG_SPACINGS_PX = (8, 1)
TARGET_DOG = {8: 50.0, 1: 3.0}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024, help="image side in pixels")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds per cell (median)")
    parser.add_argument("--quick", action="store_true", help="size 256, 1 repeat (smoke test)")
    parser.add_argument("--ppd", type=float, default=32.0, help="pixels per degree")
    parser.add_argument(
        "--image", choices=("noise", "natural"), default="noise", help="white noise or 'camera'"
    )
    parser.add_argument(
        "--budget-gb", type=float, default=4.0, help="largest connectivity matrix to build"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise image")
    parser.add_argument(
        "--dog-only", action="store_true", help="only the DoG population against plenoptic"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.repeats = 256, 1
    if args.size < 64 or args.repeats < 1:
        parser.error("--size must be >= 64 and --repeats >= 1")
    return args


def gabor_bank(ppd: float) -> list[cortex.Gabor]:
    """16 Gabors whose kernels are KERNEL_SIDE pixels wide at N_SIGMA."""
    radius = KERNEL_SIDE // 2
    sigma = radius / (N_SIGMA * ppd)  # degrees
    frequency = 0.56 / sigma  # about a 1-octave bandwidth
    bank = [
        cortex.Gabor(frequency, orientation=o, phase=p, sigma_x=sigma)
        for o in ORIENTATIONS
        for p in PHASES
    ]
    shape = bank[0].kernel(ppd, n_sigma=N_SIGMA).shape
    assert shape == (KERNEL_SIDE, KERNEL_SIDE), shape
    return bank


def available_bytes() -> float:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return float("inf")


def header(args: argparse.Namespace) -> None:
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        load = "n/a"
    print("# cortex population responses: cortex vs scipy.signal loop (a) vs sparse matmul (b)")
    print(
        f"# python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"cortex {cortex.__version__}"
    )
    print(
        f"# {platform.machine()} {platform.system()}, cpu_count {os.cpu_count()}, "
        f"load average {load}"
    )
    print(
        f"# image {args.size}x{args.size} px ({args.image}), {args.ppd:g} px/deg; "
        f"16 Gabors (8 orientations x phases 0/90), {KERNEL_SIDE}x{KERNEL_SIDE} px kernels; "
        f"hexagonal mosaics; median of {args.repeats} interleaved round(s) after a warm-up"
    )


def check_equal(name: str, actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-9) -> None:
    """float64: rtol 1e-9, atol 1e-12 of the largest value; float32: 1e-5 of it."""
    scale = float(np.max(np.abs(expected))) or 1.0
    atol = (1e-12 if rtol < 1e-6 else rtol) * scale
    np.testing.assert_allclose(
        np.ravel(actual), np.ravel(expected), rtol=rtol, atol=atol, err_msg=name
    )


def time_rounds(candidates: dict[str, Callable[[], object]], repeats: int) -> dict[str, list]:
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


def time_interleaved(candidates: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time (s) of each callable over ``repeats`` rounds, in a shuffled order."""
    rounds = time_rounds(candidates, repeats)
    return {name: statistics.median(values) for name, values in rounds.items()}


def bench_spacing(
    field: cortex.VisualField,
    bank: list[cortex.Gabor],
    image: np.ndarray,
    spacing_px: int,
    args: argparse.Namespace,
) -> dict[str, object]:
    ppd = field.pixels_per_degree
    mosaic = cortex.Mosaic.from_lattice(field, spacing=spacing_px / ppd, lattice="hexagonal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # coverage warnings are irrelevant here
        population = cortex.Population(bank, mosaic, n_sigma=N_SIGMA)
    (group,) = population.groups  # one RF size: one correlation problem
    kernels = [np.asarray(k) for k in group.kernels]
    rank = separable_factors(np.stack(kernels))[1].shape[1]
    n_columns = len(np.unique(group.cols))
    # the shape cortex weighs: the image padded by half a kernel (its zeros outside)
    padded = tuple(side + 2 * (KERNEL_SIDE // 2) for side in field.shape)
    # a lattice at a whole number of pixels puts its sites on evenly spaced rows: the
    # separable method's line path (shared vertical factors) is weighed too
    lines = (
        len(np.unique(group.rows)),
        separable_factors(np.stack(kernels).swapaxes(1, 2))[1].shape[1],
    )
    auto = cortex.choose_method(
        padded,
        kernels[0].shape,
        len(kernels),
        len(group.rows),
        rank=rank,
        n_columns=n_columns,
        lines=lines,
    )
    rows, cols = mosaic.pixel_centers

    def reference() -> np.ndarray:
        return np.concatenate(
            [scipy.signal.correlate(image, k, mode="same")[rows, cols] for k in kernels]
        )

    candidates: dict[str, Callable[[], object]] = {"(a) scipy loop": reference}
    candidates[f"cortex auto ({auto})"] = lambda: cortex.linear_responses(population, image)
    # centers at every pixel gathers 16 x 961 x 1.2M values: seconds, and its memory churn
    # slows the others; it is timed at the sparser spacings
    for method in ("fft", "separable") + (("centers",) if spacing_px > 1 else ()):
        candidates[f"cortex {method}"] = lambda m=method: cortex.linear_responses(
            population, image, method=m
        )
    image32 = image.astype(np.float32)
    auto32 = cortex.choose_method(
        padded,
        kernels[0].shape,
        len(kernels),
        len(group.rows),
        dtype=np.float32,
        rank=rank,
        n_columns=n_columns,
        lines=lines,
    )
    candidates[f"cortex auto f32 ({auto32})"] = lambda: cortex.linear_responses(population, image32)

    # -- (b): the explicit connectivity matrix, if it fits ---------------------
    nnz = population.n_neurons * KERNEL_SIDE**2
    matrix_bytes = nnz * BYTES_PER_NONZERO
    build_bytes = nnz * BUILD_BYTES_PER_NONZERO
    notes: dict[str, str] = {}
    if matrix_bytes > args.budget_gb * 1e9:
        notes["(b) sparse matmul"] = (
            f"skipped: matrix ~{matrix_bytes / 1e9:.1f} GB > budget {args.budget_gb:g} GB"
        )
    elif build_bytes > available_bytes():
        notes["(b) sparse matmul"] = (
            f"skipped: building needs ~{build_bytes / 1e9:.0f} GB, "
            f"{available_bytes() / 1e9:.0f} GB available"
        )
    else:
        start = time.perf_counter()
        matrix = cortex.connectivity_matrix(population)
        build_time = time.perf_counter() - start
        flat = image.reshape(1, -1)
        candidates["(b) sparse matmul"] = lambda: flat @ matrix.T
        actual = matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
        notes["(b) build matrix"] = (
            f"{build_time * 1e3:9.1f}   once, not timed in rounds ({matrix.nnz:,} nnz, "
            f"{actual / 1e9:.2f} GB, {matrix.indices.dtype} indices)"
        )

    # -- warm-up doubles as the correctness check ------------------------------
    expected = reference()
    for name, fn in candidates.items():
        if name != "(a) scipy loop":
            check_equal(name, fn(), expected, rtol=1e-5 if "f32" in name else 1e-9)
    times = time_interleaved(candidates, args.repeats)  # the matrix is freed on return
    return {
        "spacing": spacing_px,
        "sites": mosaic.n_neurons,
        "neurons": population.n_neurons,
        "auto": auto,
        "times": times,
        "notes": notes,
    }


def plenoptic_model(kernel: np.ndarray):
    """plenoptic's CenterSurround with ``kernel`` as its (cached) filter; None if absent."""
    try:
        import plenoptic
        import torch
        from plenoptic.models.naive import CenterSurround
    except ImportError as exc:
        return None, f"plenoptic not installed ({exc}); pip install 'cortex[bench]'"
    model = CenterSurround(kernel.shape[0], cache_filt=True)
    model._filt = torch.as_tensor(kernel, dtype=torch.float32)[None, None]
    return model, f"plenoptic {plenoptic.__version__}, torch {torch.__version__}, " + (
        f"{torch.get_num_threads()} threads"
    )


def bench_dog(
    field: cortex.VisualField, image: np.ndarray, spacing_px: int, args: argparse.Namespace
) -> dict[str, object]:
    """The DoG population at one spacing: cortex (float64 and float32) vs plenoptic."""
    ppd = field.pixels_per_degree
    centre, surround = (sigma / ppd for sigma in DOG_SIGMAS_PX)
    dog = cortex.DifferenceOfGaussians(centre, surround)
    mosaic = cortex.Mosaic.from_lattice(field, spacing=spacing_px / ppd, lattice="square")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # coverage warnings are irrelevant here
        population = cortex.Population(dog, mosaic)
    (group,) = population.groups
    kernel = np.asarray(group.kernels[0])
    rows, cols = group.rows, group.cols
    image32 = image.astype(np.float32)
    candidates: dict[str, Callable[[], object]] = {}
    model, about = plenoptic_model(kernel)
    notes = {"plenoptic": about}
    if model is not None:
        import torch

        tensor = torch.as_tensor(image32)[None, None]

        def plenoptic_map() -> np.ndarray:
            with torch.no_grad():
                return model(tensor)[0, 0].numpy()

        candidates["plenoptic CenterSurround"] = plenoptic_map
    methods = ("auto", "separable", "fft") + (("centers",) if spacing_px > 1 else ())
    for method in methods:
        candidates[f"cortex {method}"] = lambda m=method: cortex.linear_responses(
            population, image, method=m
        )
        candidates[f"cortex {method} f32"] = lambda m=method: cortex.linear_responses(
            population, image32, method=m
        )
    # correctness first: cortex against scipy.signal (float64), plenoptic inside the
    # image (its reflect padding differs from cortex's zeros within half a kernel)
    expected = scipy.signal.correlate(image, kernel, mode="same", method="fft")[rows, cols]
    for name, fn in candidates.items():
        if name.startswith("cortex"):
            check_equal(name, fn(), expected, rtol=1e-5 if "f32" in name else 1e-9)
    if model is not None:
        half = kernel.shape[0] // 2
        inside = (
            (rows >= half)
            & (rows < image.shape[0] - half)
            & (cols >= half)
            & (cols < image.shape[1] - half)
        )
        check_equal("plenoptic", plenoptic_map()[rows, cols][inside], expected[inside], rtol=1e-5)
    rounds = time_rounds(candidates, max(args.repeats, DOG_ROUNDS))
    return {
        "rounds": rounds,
        "spacing": spacing_px,
        "sites": mosaic.n_neurons,
        "neurons": population.n_neurons,
        "kernel": kernel.shape,
        "times": {name: statistics.median(values) for name, values in rounds.items()},
        "notes": notes,
    }


def print_dog(results: list[dict[str, object]]) -> bool:
    print()
    print(
        f"{'spacing':>7} {'neurons':>10}  {'method':<26} {'time [ms]':>9} {'range [ms]':>13}"
        "  vs plenoptic"
    )
    ok = True
    for res in results:
        times, rounds = res["times"], res["rounds"]
        peer = times.get("plenoptic CenterSurround")
        first = f"{res['spacing']:>5} px {res['neurons']:>10,}"
        lead = [first] + [" " * len(first)] * 20
        for i, (name, t) in enumerate(times.items()):
            ratio = f"{peer / t:6.2f}x" if peer else "   n/a"
            spread = f"{min(rounds[name]) * 1e3:.2f}-{max(rounds[name]) * 1e3:.2f}"
            print(f"{lead[i]}  {name:<26} {t * 1e3:9.2f} {spread:>13}  {ratio}")
    print()
    for res in results:
        times, spacing, rounds = res["times"], res["spacing"], res["rounds"]
        peer = times.get("plenoptic CenterSurround")
        if peer is None:
            print(f"target DoG at {spacing} px: plenoptic missing: {res['notes']['plenoptic']}")
            ok = False
            continue
        minimum = TARGET_DOG[spacing]
        pairs = zip(rounds["plenoptic CenterSurround"], rounds["cortex auto f32"], strict=True)
        per_round = [p / c for p, c in pairs]
        ratio = statistics.median(per_round)
        passed = ratio >= minimum
        ok &= passed
        print(
            f"target DoG at spacing {spacing} px: cortex auto (float32, as plenoptic) >= "
            f"{minimum:g}x plenoptic: {ratio:.1f}x  {'PASS' if passed else 'MISS'} "
            f"(median of per-round ratios; rounds {min(per_round):.1f}x-{max(per_round):.1f}x; "
            f"float64: {peer / times['cortex auto']:.1f}x)"
        )
    return ok


def print_table(results: list[dict[str, object]]) -> None:
    print()
    print(f"{'spacing':>7} {'sites':>9} {'neurons':>10}  {'method':<28} {'time [ms]':>9}  speed-up")
    for res in results:
        times = res["times"]
        t_ref = times["(a) scipy loop"]
        first = f"{res['spacing']:>5} px {res['sites']:>9,} {res['neurons']:>10,}"
        lead = [first] + [" " * len(first)] * 20
        i = 0
        for name, t in times.items():
            print(f"{lead[i]}  {name:<28} {t * 1e3:9.1f}  {t_ref / t:6.2f}x")
            i += 1
        for name, note in res["notes"].items():
            print(f"{lead[i]}  {name:<28} {note}")
            i += 1
    print()
    print("speed-up = t_(a) / t (> 1: faster than the scipy.signal loop)")


def print_targets(results: list[dict[str, object]], size: int) -> bool:
    by_spacing = {res["spacing"]: res for res in results}
    ok = True
    if size != 1024:
        print(f"(the targets are stated for --size 1024; this run used {size})")
    for (spacing, minimum), text in (
        (TARGET_SPARSE, f"cortex auto >= {TARGET_SPARSE[1]:g}x faster than (a)"),
        (TARGET_DENSE, "cortex auto no slower than (a) (speed-up >= 1.0)"),
    ):
        times = by_spacing[spacing]["times"]
        auto = next(t for name, t in times.items() if name.startswith("cortex auto"))
        ratio = times["(a) scipy loop"] / auto
        passed = ratio >= minimum
        ok &= passed
        verdict = "PASS" if passed else "MISS"
        print(f"target at spacing {spacing} px: {text}: {ratio:.2f}x  {verdict}")
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ppd = args.ppd
    field = cortex.VisualField(width=args.size / ppd, height=args.size / ppd, pixels_per_degree=ppd)
    if args.image == "natural":
        image = natural_image(field)
    else:
        image = np.random.default_rng(args.seed).standard_normal(field.shape)
    bank = gabor_bank(ppd)
    header(args)
    results = []
    for spacing in () if args.dog_only else SPACINGS_PX:
        res = bench_spacing(field, bank, image, spacing, args)
        print(
            f"spacing {spacing} px: {res['sites']:,} sites, auto chose {res['auto']!r}; "
            "results identical: yes"
        )
        results.append(res)
    if results:
        print_table(results)
        print_targets(results, args.size)
    dogs = []
    for spacing in DOG_SPACINGS_PX:
        res = bench_dog(field, image, spacing, args)
        print(
            f"DoG at spacing {spacing} px: {res['neurons']:,} neurons, kernel {res['kernel']}; "
            "results equal (cortex vs scipy.signal, plenoptic inside the image): yes"
        )
        dogs.append(res)
    print(f"# {dogs[0]['notes']['plenoptic']}")
    print_dog(dogs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
