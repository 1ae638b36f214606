"""Cross-correlation in cortex: one module, one core, several methods.

Every linear response in cortex is a cross-correlation read at some output
sites: a population's neurons at their RF centres (:mod:`cortex.population`),
a ConvNet layer's units on a strided lattice (:class:`cortex.nn.Conv2D`).
Both go through one private core, ``_correlate``, which takes

* ``x`` of shape ``(N, C, H, W)`` and ``weight`` of shape ``(O, C, kh, kw)``;
* the output sites as the **top-left corners** of the kernel windows in the
  input zero-padded by ``padding``: either two ``range`` objects (a grid,
  output ``(N, O, len(rows), len(cols))``) or two equal-length integer arrays
  (sampled sites, output ``(N, O, n)``);

and computes ``out[n, o, site] = sum_{c, a, b} weight[o, c, a, b] *
xp[n, c, row + a, col + b]`` by one of the methods in :data:`METHODS`:

``"fft"``
    Real FFTs of the images and of the kernels (:mod:`scipy.fft`); the
    product is summed over channels in the frequency domain, transformed
    back once per (image, kernel) pair and read at the sites.
``"direct"``
    :func:`scipy.signal.correlate` (``method="direct"``, ``mode="valid"``
    over the padded image), one call per image, kernel and channel, read at
    the sites.
``"centers"``
    Only at the sites: the input patches under the kernels are gathered into
    a patch matrix by :func:`gather_patches` and multiplied by the kernel bank
    (one BLAS GEMM per chunk).  Far cheaper than a full-image correlation when
    the sites are sparse or the kernels small and many-channelled.
``"separable"``
    Only at the sites, without patches: the kernel bank is decomposed into
    sums of outer products of 1-D kernels sharing one set of horizontal
    factors (:func:`separable_factors`; exact for Gaussians, differences of
    Gaussians and Gabors with a round envelope, truncated at a stated
    tolerance otherwise).  The image is filtered along its rows only at the
    columns the sites need (one BLAS GEMM per group of neighbouring columns,
    on a strided view), then along its columns only at the sites: the cost
    grows with sites x kernel side, not kernel area (:mod:`cortex._groups`).
    Sites on few rows and columns (a lattice at any spacing, a grid of cells
    over a movie's frames) are read off every needed column filtered down at
    every needed row, one GEMM per band of rows, when the cost model predicts
    that cheaper than gathering each site's filtered window.  Sites on evenly spaced
    lines (a square or hexagonal lattice at a whole number of pixels, a
    ConvNet grid) take a path with no gathering at all: each line's rows
    filtered by one GEMM, then every site by GEMMs on strided views of the
    filtered lines (:mod:`cortex._lines`).
``"auto"``
    The cheapest of the four by the cost model of :func:`choose_method`.

Two validated public entries sit on the core: :func:`correlate_sampled`
(single-channel images, kernels centred on given pixels: populations) and
:func:`correlate` (multi-channel batches on a strided grid, as
:class:`torch.nn.Conv2d`: ConvNet layers).  :func:`correlate_backward` gives a
grid correlation's gradients from the same patch matrices.  All methods give
the same result to rounding; the tests check each against the others and
against naive loops.

The sizes of the work done at once (chunks of patch matrices and FFT
outputs) are set in one place, :data:`CHUNK_BYTES`.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from . import _groups, _lines
from ._validation import (
    as_float_array,
    check_bool,
    check_choice,
    check_finite,
    check_integer,
    check_memory,
)

__all__ = [
    "CHUNK_BYTES",
    "METHODS",
    "SEPARABLE_TOL",
    "choose_method",
    "col2im",
    "correlate",
    "correlate_backward",
    "correlate_sampled",
    "from_columns",
    "gather_patches",
    "grid_chunks",
    "im2col",
    "output_size",
    "separable_factors",
    "to_columns",
]

#: Methods accepted by :func:`correlate_sampled`, :func:`correlate`, population
#: responses and :class:`cortex.nn.Conv2D`.
METHODS = ("auto", "fft", "direct", "centers", "separable")

#: Relative truncation tolerance of :func:`separable_factors` by dtype: the
#: kernels rebuilt from the factors differ from the given ones by at most this
#: fraction of their Frobenius norm (rounding aside).
SEPARABLE_TOL = {"float64": 1e-13, "float32": 1e-7}
GRID_METHODS = METHODS  # the former name of the grid methods (the same tuple)

#: Bytes of work done at once, by purpose (measured on a 2-core x86-64 machine, see
#: ``benchmarks/``); every chunked loop of cortex reads its size here.
CHUNK_BYTES = {
    # "fft": padded real outputs and their spectra of one chunk of (image, kernel) pairs
    "fft": 256 * 2**20,
    # "centers" at sampled sites: patch matrix per chunk of sites (larger measured slower)
    "sites": 256 * 2**10,
    # "centers" on a grid (ConvNet): patch matrix per chunk of samples, kept in cache
    "grid": 4 * 2**20,
    # Conv2D in training: the largest patch matrix kept from forward to backward
    "keep": 32 * 2**20,
    # cortex.analysis: images per response call of a unit under study
    "images": 32 * 2**20,
    # "separable": the row-filtered columns of one chunk of images
    "separable": 64 * 2**20,
}

_WORKERS = os.cpu_count() or 1
_THREADED_PIXELS = 2**18  # fft: threads pay off (~0.3 ms each call) from this many pixels

# Cost model of choose_method, in nanoseconds, fitted on a 2-core x86-64 machine
# (numpy 2.4 / scipy 1.17, OpenBLAS, one BLAS thread) against measured times of each
# method; only the ratios matter.  centers and separable at sampled sites: 234 problems
# per dtype (images of 120x240 to 1024x1024 px, 1-288 of them, 9x9, 19x19 and 37x37
# kernels of rank 2, square lattices 2-32 px apart; median error 10-19%, the choice
# between the two 2-3% slower than the best on average); the FFT, direct and the
# per-kernel terms: images of 256-1024 px, 31x31 kernels, 1, 2 and 16 kernels (of rank
# 1, 2 and 9) and hexagonal lattices.
_NS_FFT = 0.55  # per P * log2(P) of one 2-D real FFT of P padded pixels
_NS_DIRECT = 10.0  # per multiply-add of scipy's direct correlation
# fft and direct at sampled sites, by dtype: reading the full maps there, per site and per
# value (a site of every kernel), measured on 1M sites of 1, 4 and 16 maps of 1060x1060
# px (17.5, 29.3 and 68.6 ms in float64): at a dense lattice the read is a third of the
# FFT's time, which the per-pixel term alone left out
_NS_READ = {"float64": (13.5, 3.4), "float32": (12.6, 2.1)}
# centers at sampled sites, by dtype: for fewer than _SITE_SINGLE images (one at a time)
# and for more (in chunks): per sampled site (indexing, chunk loop), per gathered patch
# pixel, per multiply-add of the patch-matrix product, per padded pixel (the padded copy)
_NS_CENTERS = {
    "float64": ((38.4, 0.457, 0.0732, 0.951), (48.8, 0.358, 0.0732, 1.39)),
    "float32": ((49.0, 0.226, 0.0541, 0.575), (16.5, 0.298, 0.0541, 0.922)),
}
# centers on a grid (a ConvNet layer: patches by strided slices, no per-site indexing),
# fitted on four layers of 14-64 px, 1-16 channels, 3x3 to 7x7 kernels, batches of 8-32
_NS_CENTERS_GRID = {"float64": (0.0, 1.5, 0.06, 0.0), "float32": (0.0, 1.2, 0.03, 0.0)}
# separable, by dtype: per pixel, per group of columns (a GEMM call), per multiply-add of
# the row filtering (a group's span x its columns x rank), per site, per gathered value of
# a site's filtered window (kernel height x rank), per multiply-add at the sites
_NS_SEPARABLE = {
    "float64": (0.604, 6_581.0, 0.0699, 49.6, 0.185, 0.0732),
    "float32": (0.391, 7_608.0, 0.0360, 35.7, 0.091, 0.0541),
}
# separable, the sites read off products (every needed column filtered down at every
# distinct row, in bands: _row_bands), by dtype: per GEMM (a band of rows, for a chunk
# of images whose products fit in _PRODUCT_CACHE bytes), per multiply-add, per site, per
# value read at the sites; fitted, against the gathering terms of _NS_SEPARABLE, on the
# 330 (float64) and 386 (float32) of 480 problems per dtype whose products fit (images of
# 120x240 px x 64, 256x256 x 8, 512x512 and 1024x1024 x 1; 9-37 px kernels of rank 1, 2,
# 4 and 9, 1, 4 and 16 kernels; square and hexagonal lattices 1-23.4 px apart, at
# fractional spacings: not on lines): choosing by them is 0.7% (float64) and 1.3%
# (float32) slower than the better of the two on average, always gathering 10.6% and
# 8.7%, always the products 6.8% and 8.1%.  Products of one image beyond the cache
# (a dense lattice on a large image) were up to 1.8x slower than gathering: not taken
_NS_PRODUCTS = {
    "float64": (5_322.0, 0.0365, 41.2, 1.70),
    "float32": (7_604.0, 0.0198, 25.5, 2.52),
}
_PRODUCT_CACHE = 3 * 2**20
# separable on sites along lines (cortex._lines), by dtype: per stage-one GEMM (a line),
# per chunk of lines and phase (+4: the chunk's own steps), per pixel read by stage one
# (lines x their length x kh: its GEMMs have as many columns as factors, few, and cost
# what they read), per stage-two multiply-add (fixed at the column groups' per-site value:
# the two paths do the same GEMMs there), per site (planning the lines, reading them out);
# fitted on 174 (float64) and 134 (float32) problems: images of 120x240 to 1024x1024 px,
# 1-64 of them, 9-37 px kernels of rank 1, 2 and 9, 1-16 kernels, square and hexagonal
# lattices 1-32 px apart; median error 22%, and choosing between the lines and the column
# groups by the model is 5-6% slower than the best on average (always the lines: 10%)
_NS_LINES = {
    "float64": (8_207.0, 6_626.0, 0.2674, 0.0732, 4.305),
    "float32": (7_502.0, 4_597.0, 0.1327, 0.0541, 5.661),
}
# float32 against float64, measured on the same problems (medians; 0.4 for the FFT of
# 256-1024 px images, 0.55 for 18-70 px ones: the smaller images' ratio, which keeps the
# choice right where the FFT is slowest)
_FLOAT32_SPEED = {"fft": 0.55, "direct": 1.0}

#: Choices of :func:`choose_method` with ``measure=True``, per problem (this process).
_MEASURED: dict[tuple, str] = {}


def choose_method(
    image_shape: tuple[int, int],
    kernel_shape: tuple[int, int],
    n_kernels: int,
    n_sites: int,
    n_images: int = 1,
    n_channels: int = 1,
    *,
    dtype: object = np.float64,
    rank: int | None = None,
    n_columns: int | None = None,
    lines: tuple[int, int] | None = None,
    grid: bool = False,
    measure: bool = False,
    n_rows: int | None = None,
) -> str:
    """Pick the cheapest correlation method for one problem size.

    The estimated times (nanoseconds) are:

    * ``"fft"``: ``(n_kernels + n_images * (1 + n_kernels)) * c_fft * P log2 P``
      for ``P`` padded pixels (kernel transforms are shared by the batch);
    * ``"direct"``: ``n_images * n_kernels * H * W * kh * kw * c_direct``;
    * both plus, at sampled sites (not a grid), the read of their full maps
      there: ``n_images * n_sites * (c_read + n_kernels * c_value)``;
    * ``"centers"``:
      ``n_images * n_sites * (c_site + kh * kw * (c_gather + n_kernels * c_gemm))``;
    * ``"separable"`` (only when ``rank`` is given): ``ceil(n_images / 4) *
      n_groups * c_group + n_images * (c_pixel * H * W + n_groups * H * span * q *
      rank * c_row + n_sites * (c_site' + kh * rank * n_kernels * c_mac))``, the
      needed columns filtered in ``n_groups`` groups of ``q`` columns spanning
      ``span`` image columns, one GEMM per group for 4 images at a time; or,
      when the sites lie on few rows and columns (``n_rows`` given), the last
      term replaced by reading them off every column filtered down at every
      row, in bands of rows like the groups: ``chunks * n_bands * c_band +
      n_images * (n_columns * rank * n_kernels * sum(span * rows) * c_mac' +
      n_sites * (c_site'' + n_kernels * c_value))``, whichever is cheaper (the
      images in chunks whose ``n_columns * n_rows * n_kernels`` products fit
      in 3 MiB; never if one image's do not);

    each times ``n_channels``, and for float32 times a factor measured
    against float64 (``"separable"`` has constants of its own per dtype).
    The constants were fitted to times measured on a 2-core x86-64 machine
    (see ``benchmarks/bench_responses.py``).  With ``measure=True`` the
    candidates are timed instead, on random data of this size, once per
    problem size in this process (like
    :func:`scipy.signal.choose_conv_method` with ``measure=True``): those
    predicted to take more than 10 times the best prediction are not run.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)`` (padded, for a grid with padding).
    kernel_shape : tuple of int
        ``(kh, kw)``.
    n_kernels : int
        Number of kernels in the bank.
    n_sites : int
        Number of output sites per image.
    n_images : int, optional
        Batch size.
    n_channels : int, optional
        Input channels summed by each kernel.
    dtype : numpy dtype, optional
        ``float64`` (default) or ``float32``: the dtype of the images.
    rank : int, optional
        Number of shared horizontal factors of the bank
        (:func:`separable_factors`): 1 for a Gaussian, 2 for a difference of
        Gaussians or a Gabor.  ``None`` (default) leaves ``"separable"`` out.
    n_columns : int, optional
        Distinct image columns among the sites (``"separable"`` filters rows
        there); default ``min(W, n_sites, 2 * sqrt(n_sites * W / H))``, a
        hexagonal lattice's.
    n_rows : int, optional
        Distinct image rows among the sites (1 to ``n_sites``).  If
        ``n_rows * n_columns`` is at most 4 times ``n_sites`` (a lattice, or
        a grid of cells), ``"separable"`` may read its sites off every
        needed column filtered down at every such row, one GEMM per band of
        rows, instead of gathering each site's window.  Default ``None``:
        the sites are not assumed to lie on few rows.
    lines : tuple of int, optional
        ``(n_lines, line_rank)``: the sites lie on ``n_lines`` image rows,
        evenly spaced along them by one stride (a square or hexagonal
        lattice at a whole number of pixels), and the bank has
        ``line_rank`` shared vertical factors (:func:`separable_factors` of
        the transposed kernels).  ``"separable"`` then costs the cheaper of
        its column groups and its line path (each line filtered by one
        GEMM, every site read by GEMMs on views of the lines: about
        ``c_line * n_lines + n_images * (c_read * n_lines * W * kh +
        n_sites * (c_site + c_mac * kw * line_rank * n_kernels))``).
        Needs ``rank``.
    grid : bool, optional
        The sites form a regular grid (a ConvNet layer): ``"centers"``
        gathers patches by strided slices, with constants of its own.
    measure : bool, optional
        Time the candidates instead of predicting (cached per problem); the
        random problem timed must fit in :func:`cortex.memory_budget`.

    Returns
    -------
    str
        ``"fft"``, ``"direct"``, ``"centers"`` or ``"separable"``.

    Raises
    ------
    TypeError
        If ``dtype`` is not float32 or float64, a count is not an integer or
        ``measure`` is not a bool.
    ValueError
        If a size or count is below 1 (``n_sites`` below 0), ``rank`` is
        above ``kw``, or ``n_rows`` above ``n_sites``.
    cortex.MemoryBudgetError
        With ``measure=True``, if the problem to time would exceed
        :func:`cortex.memory_budget`.

    Examples
    --------
    >>> choose_method((1024, 1024), (31, 31), 16, n_sites=16_000)
    'centers'
    >>> choose_method((1024, 1024), (37, 37), 1, n_sites=16_000, rank=2)  # a DoG
    'separable'
    >>> choose_method((256, 256), (9, 9), 1, n_sites=256 * 256)
    'fft'
    """
    grid = check_bool(grid, "grid")
    work = None
    if lines is not None:
        if rank is None:
            raise ValueError("`lines` needs `rank` (the column groups' horizontal factors)")
        work = _estimated_lines(
            lines, image_shape, kernel_shape, n_kernels, n_sites, n_images, n_channels, dtype
        )
    costs = _costs(
        image_shape,
        kernel_shape,
        n_kernels,
        n_sites,
        n_images,
        n_channels,
        dtype,
        rank,
        n_columns,
        grid,
        work,
        n_rows,
    )
    if not check_bool(measure, "measure"):
        return min(costs, key=costs.__getitem__)
    key = (
        tuple(image_shape),
        tuple(kernel_shape),
        n_kernels,
        n_sites,
        n_images,
        n_channels,
        np.dtype(dtype).name,
        rank,
        n_columns,
        grid,
        n_rows,
    )
    if work is not None:
        key = (*key, tuple(lines))
    if key not in _MEASURED:
        best = min(costs.values())
        candidates = [m for m, cost in costs.items() if cost <= 10 * best]
        _MEASURED[key] = _measure(key, candidates)
    return _MEASURED[key]


def _costs(
    image_shape,
    kernel_shape,
    n_kernels,
    n_sites,
    n_images,
    n_channels,
    dtype,
    rank,
    n_columns,
    grid=False,
    lines=None,
    n_rows=None,
) -> dict[str, float]:
    """The predicted time of each method, in nanoseconds (see :func:`choose_method`).

    ``lines`` (a :class:`cortex._lines.LineWork`) adds the line path to ``"separable"``,
    which then costs the cheaper of its two paths.
    """
    if not isinstance(image_shape, tuple | list) or len(image_shape) != 2:
        raise ValueError(f"`image_shape` must be (H, W), got {image_shape!r}")
    if not isinstance(kernel_shape, tuple | list) or len(kernel_shape) != 2:
        raise ValueError(f"`kernel_shape` must be (kh, kw), got {kernel_shape!r}")
    h, w = (check_integer(v, "image_shape", minimum=1) for v in image_shape)
    kh, kw = (check_integer(v, "kernel_shape", minimum=1) for v in kernel_shape)
    n_kernels = check_integer(n_kernels, "n_kernels", minimum=1)
    n_sites = check_integer(n_sites, "n_sites", minimum=0)
    n_images = check_integer(n_images, "n_images", minimum=1)
    n_channels = check_integer(n_channels, "n_channels", minimum=1)
    if n_rows is not None:
        n_rows = check_integer(n_rows, "n_rows", minimum=min(n_sites, 1))
        if n_rows > n_sites:
            raise ValueError(
                f"`n_rows` (distinct rows of the sites) must be at most n_sites = {n_sites}, "
                f"got {n_rows}"
            )
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in ("float64", "float32"):
        raise TypeError(f"`dtype` must be float32 or float64, got {dtype!r}")
    taps = kh * kw
    pad = scipy.fft.next_fast_len(h + kh - 1, real=True) * scipy.fft.next_fast_len(
        w + kw - 1, real=True
    )
    fft_size = pad * math.log2(max(pad, 2))
    costs = {
        "fft": n_channels * (n_kernels + n_images * (1 + n_kernels)) * _NS_FFT * fft_size,
        "direct": n_channels * n_images * n_kernels * h * w * taps * _NS_DIRECT,
    }
    if name == "float32":
        costs = {method: cost * _FLOAT32_SPEED[method] for method, cost in costs.items()}
    if not grid:  # both read their full maps at the sampled sites (fancy indexing)
        per_site, per_value = _NS_READ[name]
        read = n_images * n_sites * (per_site + n_kernels * per_value)
        costs = {method: cost + read for method, cost in costs.items()}
    if grid:
        site, gather, gemm, pixel = _NS_CENTERS_GRID[name]
    else:
        site, gather, gemm, pixel = _NS_CENTERS[name][n_images >= _SITE_SINGLE]
    costs["centers"] = (
        n_channels
        * n_images
        * (n_sites * (site + taps * (gather + n_kernels * gemm)) + pixel * h * w)
    )
    if rank is not None:
        rank = check_integer(rank, "rank", minimum=1)
        if rank > kw:
            raise ValueError(f"`rank` must be at most kw = {kw}, got {rank}")
        if n_columns is None:
            n_columns = int(min(w, n_sites, 2 * math.sqrt(n_sites * w / h)))
        n_columns = check_integer(n_columns, "n_columns", minimum=0)
        pixel, group, row_mac, *_ = _NS_SEPARABLE[name]
        n_groups, q, span = _group_shape(n_columns, w, kw)
        calls = math.ceil(n_images / _groups.IMAGES)  # one GEMM per group per image chunk
        # the sites: each window gathered, or read off products of columns and rows
        if n_rows is None:
            n_rows = n_sites  # unknown: as many as the sites (no products)
        n_bands, q_rows, span_rows = _group_shape(n_rows, h, kh)
        sites = _site_costs(
            n_sites,
            n_columns,
            n_rows,
            (n_bands, n_bands * span_rows * q_rows),
            kh,
            rank,
            n_kernels,
            n_images,
            name,
        )
        costs["separable"] = n_channels * (
            calls * n_groups * group
            + n_images * (pixel * h * w + n_groups * h * span * q * rank * row_mac)
            + min(sites)
        )
    if lines is not None:
        costs["separable"] = min(costs.get("separable", math.inf), _line_cost(lines, name))
    return costs


def _line_cost(work: _lines.LineWork, dtype_name: str) -> float:
    """The predicted time of :func:`cortex._lines.correlate_lines`, in nanoseconds."""
    line, chunk, line_read, site_mac, site = _NS_LINES[dtype_name]
    return (
        line * work.line_calls
        + chunk * work.site_calls * (work.phases + 4)
        + line_read * work.line_reads
        + site_mac * work.site_macs
        + site * work.sites
    )


def _estimated_lines(
    lines, image_shape, kernel_shape, n_kernels, n_sites, n_images, n_channels, dtype
) -> _lines.LineWork:
    """The line path's work for :func:`choose_method`'s ``lines``, from counts alone."""
    if not isinstance(lines, tuple | list) or len(lines) != 2:
        raise ValueError(f"`lines` must be (n_lines, line_rank), got {lines!r}")
    n_lines = check_integer(lines[0], "lines", minimum=1)
    line_rank = check_integer(lines[1], "lines", minimum=1)
    if not isinstance(image_shape, tuple | list) or len(image_shape) != 2:
        raise ValueError(f"`image_shape` must be (H, W), got {image_shape!r}")
    if not isinstance(kernel_shape, tuple | list) or len(kernel_shape) != 2:
        raise ValueError(f"`kernel_shape` must be (kh, kw), got {kernel_shape!r}")
    w = check_integer(image_shape[1], "image_shape", minimum=1)
    kh, kw = (check_integer(v, "kernel_shape", minimum=1) for v in kernel_shape)
    if line_rank > kh:
        raise ValueError(f"`lines`' rank must be at most kh = {kh}, got {line_rank}")
    # evenly spaced sites along the lines, over the columns the windows can start at (no
    # more sites a line than those columns: more are duplicates)
    per_line = math.ceil(check_integer(n_sites, "n_sites", minimum=0) / n_lines)
    per_line = max(1, min(per_line, max(w - kw, 0) + 1))
    stride = max(1, (max(w - kw, 0) + 1) // per_line) if per_line > 1 else kw
    phases = -(-kw // stride)
    block = phases * stride
    blocks = -(-(stride * (per_line - 1) + kw) // block)
    try:
        itemsize = np.dtype(dtype).itemsize
    except TypeError:
        raise TypeError(f"`dtype` must be float32 or float64, got {dtype!r}") from None
    return _lines.line_work(
        n_lines,
        block * blocks,
        phases,
        n_lines * blocks * phases,
        n_sites,
        (kh, kw),
        line_rank,
        check_integer(n_kernels, "n_kernels", minimum=1),
        check_integer(n_images, "n_images", minimum=1),
        check_integer(n_channels, "n_channels", minimum=1),
        itemsize,
    )


def _measure(key: tuple, candidates: list[str]) -> str:
    """Time ``candidates`` on random data of the problem ``key``; the fastest."""
    import time

    problem = key[:11]  # lines=, if given, comes last: the sites timed are a lattice of their own
    (h, w), (kh, kw), n_kernels, n_sites, n_images, n_channels, dtype, rank = problem[:8]
    n_columns, n_rows = problem[8], problem[10]
    itemsize = np.dtype(dtype).itemsize
    # the random problem: images, sites, the output and one chunk of patches
    check_memory(
        n_images * n_channels * h * w * itemsize
        + n_sites * (2 * 8 + n_images * n_kernels * itemsize)
        + CHUNK_BYTES["separable"],
        f"measuring the methods on n_images={n_images}, n_sites={n_sites} "
        f"({h}x{w} px, {n_kernels} kernels)",
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n_images, n_channels, h, w)).astype(dtype)
    if rank is None:
        weight = rng.standard_normal((n_kernels, n_channels, kh, kw))
    else:  # a bank of this rank: sums of outer products of shared horizontal factors
        vertical = rng.standard_normal((n_kernels, n_channels, kh, rank))
        weight = np.einsum("ocam,bm->ocab", vertical, rng.standard_normal((kw, rank)))
    weight = weight.astype(dtype)
    # sites on a lattice over the valid window corners, with about n_columns columns
    rows_free, cols_free = h - kh + 1, w - kw + 1
    n_cols = max(1, min(cols_free, n_columns or round(math.sqrt(n_sites * cols_free / rows_free))))
    n_rows = max(1, min(rows_free, n_rows or math.ceil(n_sites / n_cols)))
    grid_rows = np.linspace(0, rows_free - 1, n_rows).round().astype(np.intp)
    grid_cols = np.linspace(0, cols_free - 1, n_cols).round().astype(np.intp)
    rows = np.resize(np.repeat(grid_rows, n_cols), n_sites)  # the lattice, again if need be
    cols = np.resize(np.tile(grid_cols, n_rows), n_sites)
    times = {}
    for method in candidates:
        _correlate(x, weight, rows, cols, (0, 0), method)  # warm-up
        best = math.inf
        for _ in range(2):
            start = time.perf_counter()
            _correlate(x, weight, rows, cols, (0, 0), method)
            best = min(best, time.perf_counter() - start)
        times[method] = best
    return min(times, key=times.__getitem__)


# -- the validated public entries ------------------------------------------------------
def correlate_sampled(
    images: np.ndarray,
    kernels: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    *,
    method: str = "auto",
) -> np.ndarray:
    """Cross-correlate images with a kernel bank and read the result at given pixels.

    ``out[n, k, i] = sum_{a, b} kernels[k, a, b] * images[n, rows[i] + a - hh, cols[i] + b - hw]``
    with ``hh = kh // 2``, ``hw = kw // 2`` and zeros outside the image: the
    ``mode="same"`` cross-correlation of :func:`scipy.signal.correlate`, i.e.
    the response of a neuron whose RF kernel is centred on pixel
    ``(rows[i], cols[i])``.

    Parameters
    ----------
    images : array_like, shape (N, H, W)
        Real float32 or float64 images (other real dtypes become float64).
    kernels : array_like, shape (K, kh, kw)
        Real kernels with odd ``kh`` and ``kw`` (cast to the images' dtype).
    rows, cols : array_like of int, shape (n,)
        Pixel indices of the sampled sites, inside the image.
    method : {"auto", "fft", "direct", "centers", "separable"}, optional
        See the module docstring; ``"auto"`` uses :func:`choose_method`.

    Returns
    -------
    numpy.ndarray, shape (N, K, n)
        The sampled correlations, in the dtype of ``images``.

    Raises
    ------
    TypeError
        If the arrays are not numeric or ``rows``/``cols`` are not integers.
    ValueError
        If ``method`` is unknown, a shape is wrong, a kernel side is even,
        values are not finite, or a site lies outside the image.

    Examples
    --------
    >>> images = np.arange(25.0).reshape(1, 5, 5)
    >>> kernels = np.ones((1, 3, 3))
    >>> correlate_sampled(images, kernels, np.array([0, 2]), np.array([0, 2]))
    array([[[ 12., 108.]]])
    """
    check_choice(method, "method", METHODS)
    images = as_float_array(images, "images", ndims=(3,))
    kernels = as_float_array(kernels, "kernels", ndims=(3,)).astype(images.dtype, copy=False)
    _, height, width = images.shape
    kh, kw = kernels.shape[1:]
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"`kernels` must have odd sides, got shape {kernels.shape}")
    sites = []
    for name, index, size in (("rows", rows, height), ("cols", cols, width)):
        index = np.asarray(index)
        if index.dtype.kind not in "iu":
            raise TypeError(f"`{name}` must hold integers, got dtype {index.dtype}")
        if index.ndim != 1:
            raise ValueError(f"`{name}` must be 1-D, got shape {index.shape}")
        if index.size and (index.min() < 0 or index.max() >= size):
            bad = index[(index < 0) | (index >= size)][0]
            raise ValueError(f"`{name}` must be in [0, {size}), got {int(bad)}")
        sites.append(index.astype(np.intp, copy=False))
    if sites[0].shape != sites[1].shape:
        raise ValueError(
            f"`rows` and `cols` must have the same length, got {sites[0].size} and {sites[1].size}"
        )
    # a kernel centred on pixel (r, c) has its top-left corner at (r, c) of the input
    # padded by half a kernel
    padding = (kh // 2, kw // 2)
    return _correlate(
        images[:, np.newaxis], kernels[:, np.newaxis], sites[0], sites[1], padding, method
    )


def correlate(
    x: np.ndarray,
    weight: np.ndarray,
    *,
    stride: int = 1,
    padding: int = 0,
    method: str = "auto",
    chunk_bytes: int | None = None,
) -> np.ndarray:
    """Multi-channel cross-correlation on a strided grid, as :class:`torch.nn.Conv2d` (no bias).

    ``out[n, o, i, j] = sum_{c, a, b} w[o, c, a, b] * xp[n, c, i * stride + a, j * stride + b]``
    (``w`` is ``weight``) where ``xp`` is ``x`` zero-padded by ``padding`` on
    each side: a population of ``O`` neuron types on a square lattice of
    spacing ``stride`` pixels.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        Input batch (float32 or float64; other real dtypes become float64).
    weight : array_like, shape (O, C, kh, kw)
        Kernels (cast to the dtype of ``x``); any sides, even ones too.
    stride, padding : int, optional
        Lattice spacing of the output units and zero padding, in pixels.
    method : {"auto", "fft", "direct", "centers", "separable"}, optional
        ``"centers"`` is the patch-matrix GEMM (BLAS), the usual choice for
        small multi-channel kernels; ``"fft"`` and ``"direct"`` go through
        :mod:`scipy.fft` / :mod:`scipy.signal`; ``"auto"`` asks
        :func:`choose_method`.
    chunk_bytes : int, optional
        ``"centers"`` only: the largest patch matrix built at once (samples
        are processed in chunks); default ``CHUNK_BYTES["grid"]``.

    Returns
    -------
    numpy.ndarray, shape (N, O, Ho, Wo)
        The correlation (a view of an ``(O, Ho, Wo, N)`` array for
        ``"centers"``), ``Ho = (H + 2 padding - kh) // stride + 1``.

    Raises
    ------
    TypeError
        If an array is not real-valued.
    ValueError
        If a shape is wrong, the channel counts differ, the kernel is larger
        than the padded input, values are not finite, or ``method`` is unknown.

    Examples
    --------
    >>> x = np.ones((1, 2, 4, 4))
    >>> correlate(x, np.ones((3, 2, 3, 3)), stride=1, padding=1)[0, 0]
    array([[ 8., 12., 12.,  8.],
           [12., 18., 18., 12.],
           [12., 18., 18., 12.],
           [ 8., 12., 12.,  8.]])
    """
    check_choice(method, "method", METHODS)
    x = as_float_array(x, "x", ndims=(4,))
    weight = as_float_array(weight, "weight", ndims=(4,)).astype(x.dtype, copy=False)
    stride = check_integer(stride, "stride", minimum=1)
    padding = check_integer(padding, "padding", minimum=0)
    if chunk_bytes is not None:
        chunk_bytes = check_integer(chunk_bytes, "chunk_bytes", minimum=1)
    return _correlate_grid(x, weight, stride, padding, method, chunk_bytes=chunk_bytes)


def correlate_backward(
    x: np.ndarray,
    weight: np.ndarray,
    grad: np.ndarray,
    *,
    stride: int = 1,
    padding: int = 0,
    input_grad: bool = True,
    weight_grad: bool = True,
    patches: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Gradients of :func:`correlate` with respect to its input and its weights.

    Both come from the patch matrices of :func:`gather_patches` (whatever the
    forward method: the gradients are exact either way):
    ``dweight = grad_cols @ patches.T`` and ``dx = col2im(weight.T @ grad_cols)``,
    with samples processed in chunks of ``CHUNK_BYTES["grid"]`` of patches.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)
        The forward input.
    weight : numpy.ndarray, shape (O, C, kh, kw)
        The kernels.
    grad : numpy.ndarray, shape (N, O, Ho, Wo)
        Gradient of the loss with respect to the correlation's output.
    stride, padding : int, optional
        As in the forward call.
    input_grad, weight_grad : bool, optional
        Which gradients to compute (the other is returned as None).
    patches : numpy.ndarray, shape (C * kh * kw, Ho * Wo * N), optional
        The whole patch matrix of ``x`` if the forward pass kept it (then it
        is not rebuilt).

    Returns
    -------
    dx : numpy.ndarray, shape (N, C, H, W), or None
        ``d loss / d x`` (a view of a ``(C, H, W, N)`` array).
    dweight : numpy.ndarray, shape (O, C, kh, kw), or None
        ``d loss / d weight``.

    Raises
    ------
    ValueError
        If ``grad`` does not have the correlation's output shape.
    """
    n, _, h, w = x.shape
    o, c, kh, kw = weight.shape
    ho, wo = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    if grad.shape != (n, o, ho, wo):
        raise ValueError(
            f"`grad` must have the output's shape {(n, o, ho, wo)}, got shape {grad.shape}"
        )
    g2 = to_columns(grad)  # (O, Ho * Wo * N), a view when grad came from the layer above
    w2 = weight.reshape(o, -1)
    dx = np.empty((*x.shape[1:], n), dtype=grad.dtype).transpose(3, 0, 1, 2) if input_grad else None
    dw = np.zeros_like(w2) if weight_grad else None
    if patches is not None:  # kept from the forward pass
        if dw is not None:
            dw += (patches @ g2.T).T  # this operand order is ~1.3x faster in OpenBLAS
        if dx is not None:
            dx = col2im(w2.T @ g2, x.shape, kh, kw, stride, padding)
        chunks = []
    else:
        # chunks of samples keep each patch matrix in cache; rebuilding them here is
        # cheaper than streaming a large one from memory
        chunks = grid_chunks(n, w2.shape[1] * ho * wo * x.itemsize)
    g4 = g2.reshape(o, ho, wo, n)
    for start, stop in chunks:
        g_chunk = g4[..., start:stop].reshape(o, -1)
        if dw is not None:
            cols, _, _ = im2col(x[start:stop], kh, kw, stride, padding)
            dw += (cols @ g_chunk.T).T
        if dx is not None:
            dx[start:stop] = col2im(
                w2.T @ g_chunk, (stop - start, *x.shape[1:]), kh, kw, stride, padding
            )
    return dx, None if dw is None else dw.reshape(weight.shape)


# -- the core: one computation, several methods ----------------------------------------
def _correlate_grid(
    x: np.ndarray,
    weight: np.ndarray,
    stride: int,
    padding: int,
    method: str,
    *,
    chunk_bytes: int | None = None,
    keep: list | None = None,
) -> np.ndarray:
    """:func:`correlate` on validated arrays (the layers validate their own input).

    If ``keep`` is a list and the ``"centers"`` method built the whole patch
    matrix in one chunk, it is appended to ``keep`` (for a backward pass).
    """
    _, c, h, w = x.shape
    _, c2, kh, kw = weight.shape
    if c != c2:
        raise ValueError(f"`x` has {c} channels but `weight` expects {c2}")
    if kh > h + 2 * padding or kw > w + 2 * padding:
        raise ValueError(
            f"the kernel ({kh}x{kw}) is larger than the padded input "
            f"({h + 2 * padding}x{w + 2 * padding})"
        )
    ho, wo = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    rows, cols = range(0, stride * ho, stride), range(0, stride * wo, stride)
    return _correlate(
        x, weight, rows, cols, (padding, padding), method, chunk_bytes=chunk_bytes, keep=keep
    )


def _correlate(
    x: np.ndarray,
    weight: np.ndarray,
    rows: range | np.ndarray,
    cols: range | np.ndarray,
    padding: tuple[int, int],
    method: str,
    *,
    chunk_bytes: int | None = None,
    keep: list | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The core (see the module docstring): resolve ``"auto"``, then dispatch.

    ``x`` is ``(N, C, H, W)``, ``weight`` ``(O, C, kh, kw)`` of the same dtype;
    ``rows``/``cols`` are window corners in the padded input, two ``range``
    objects (grid) or two equal-length integer arrays (sites), all inside.
    ``out`` (sites only, ``(N, O, n)`` of ``x``'s dtype), if given, receives the
    result (the separable method writes there directly) and is returned.
    """
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    n_sites = len(rows) * len(cols) if isinstance(rows, range) else len(rows)
    factors = None
    path = None  # the separable path, when auto has decided it
    if method == "auto":
        padded = (h + 2 * padding[0], w + 2 * padding[1])
        rank = n_columns = n_rows = None
        if c == 1 and n_sites and not isinstance(rows, range):
            # populations (sampled sites): weigh the separable method too; a ConvNet layer
            # (a grid) does not pay for the decomposition on every forward pass
            factors = _cached_factors(weight, x.dtype)
            rank = factors[1].shape[1]
            n_columns = _n_distinct(cols)
            n_rows = _product_rows(rows, n_columns, padded[0], kh, rank, o, n, x.dtype.name)
        costs = _costs(
            padded,
            (kh, kw),
            o,
            n_sites,
            n,
            c,
            x.dtype,
            rank,
            n_columns,
            isinstance(rows, range),
            n_rows=n_rows,
        )
        if rank is not None and _USE_LINES:
            # separable: the cheaper of its two paths.  Planning the lines costs a few
            # passes over the sites: only if an estimate from counts is the cheapest
            # method (sites / columns lines, a square lattice's, fewer than a hexagonal
            # one's, and no more than the rows; the rank across them as along them)
            n_lines = min(math.ceil(n_sites / max(n_columns, 1)), padded[0] - kh + 1)
            guess = _estimated_lines(
                (n_lines, min(rank, kh)), padded, (kh, kw), o, n_sites, n, c, x.dtype
            )
            path = (None, None)  # the column groups ...
            if _line_cost(guess, x.dtype.name) < min(costs.values()):
                path, cost = _choose_path(x, weight, rows, cols, factors, costs["separable"])
                costs["separable"] = min(costs["separable"], cost)  # ... or the lines
        method = min(costs, key=costs.__getitem__)
    if method == "separable":
        return _separable(x, weight, rows, cols, padding, chunk_bytes, factors, path, out)
    if method == "centers":
        result = _centers(x, weight, rows, cols, padding, chunk_bytes, keep)
    elif method == "fft":
        result = _fft(x, weight, rows, cols, padding)
    elif method == "direct":
        result = _direct(x, weight, rows, cols, padding)
    else:
        raise ValueError(f"`method` must be one of {METHODS}, got {method!r}")
    if out is None:
        return result
    out[...] = result
    return out


def _site_shape(rows: range | np.ndarray, cols: range | np.ndarray) -> tuple[int, ...]:
    return (len(rows), len(cols)) if isinstance(rows, range) else (len(rows),)


def _read(full: np.ndarray, rows, cols, offset: tuple[int, int]) -> np.ndarray:
    """Values of ``full[..., rows + dr, cols + dc]`` (grid or sites), zero where out of range."""
    r = np.asarray(rows) + offset[0]
    c = np.asarray(cols) + offset[1]
    if isinstance(rows, range):
        r, c = r[:, np.newaxis], c[np.newaxis, :]
    inside = (r >= 0) & (r < full.shape[-2]) & (c >= 0) & (c < full.shape[-1])
    values = full[..., np.clip(r, 0, full.shape[-2] - 1), np.clip(c, 0, full.shape[-1] - 1)]
    return values if inside.all() else values * inside


def _fft(x, weight, rows, cols, padding) -> np.ndarray:
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    # correlation = convolution with the flipped kernel; in the "full" convolution of the
    # unpadded input, the window with corner (r, c) of the padded input sits at
    # (r - padding + kh - 1, c - padding + kw - 1)
    offset = (kh - 1 - padding[0], kw - 1 - padding[1])
    shape = (
        scipy.fft.next_fast_len(h + kh - 1, real=True),
        scipy.fft.next_fast_len(w + kw - 1, real=True),
    )
    flipped = weight[:, :, ::-1, ::-1]
    out = np.empty((n, o, *_site_shape(rows, cols)), dtype=x.dtype)
    # one (image, kernel) pair: its padded real output and its half spectrum
    per_pair = 4 * shape[0] * shape[1] * x.itemsize
    k_step = max(1, min(o, CHUNK_BYTES["fft"] // per_pair))
    n_step = max(1, CHUNK_BYTES["fft"] // (per_pair * k_step))
    workers = _WORKERS if n * o * shape[0] * shape[1] >= _THREADED_PIXELS else 1
    with scipy.fft.set_workers(workers):
        for k0 in range(0, o, k_step):
            k_spec = scipy.fft.rfft2(flipped[k0 : k0 + k_step], s=shape)  # (o', C, F)
            for n0 in range(0, n, n_step):
                x_spec = scipy.fft.rfft2(x[n0 : n0 + n_step], s=shape)  # (n', C, F)
                if c == 1:
                    product = x_spec[:, np.newaxis, 0] * k_spec[np.newaxis, :, 0]
                else:  # channels summed in the frequency domain: one inverse per pair
                    product = np.einsum("ncij,ocij->noij", x_spec, k_spec)
                full = scipy.fft.irfft2(product, s=shape)  # (n', o', *shape)
                out[n0 : n0 + n_step, k0 : k0 + k_step] = _read(full, rows, cols, offset)
    return out


def _direct(x, weight, rows, cols, padding) -> np.ndarray:
    import scipy.signal  # here, not at the top: it imports scipy.optimize (slow to load)

    n, c = x.shape[:2]
    o = weight.shape[0]
    ph, pw = padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    out = np.zeros((n, o, *_site_shape(rows, cols)), dtype=x.dtype)
    for i in range(n):
        for k in range(o):
            for ci in range(c):
                valid = scipy.signal.correlate(xp[i, ci], weight[k, ci], "valid", method="direct")
                out[i, k] += _read(valid, rows, cols, (0, 0))
    return out


def _centers(x, weight, rows, cols, padding, chunk_bytes, keep) -> np.ndarray:
    n, c, _, _ = x.shape
    o, _, kh, kw = weight.shape
    w2 = weight.reshape(o, -1)
    if not isinstance(rows, range):  # sampled sites: chunks of images, then of sites
        limit = CHUNK_BYTES["sites"] if chunk_bytes is None else chunk_bytes
        out = np.empty((n, o, len(rows)), dtype=x.dtype)
        n_step = _site_images(n, c * kh * kw * x.itemsize, limit)
        for n0 in range(0, n, n_step):
            out[n0 : n0 + n_step] = _centers_sites(
                x[n0 : n0 + n_step], w2, (kh, kw), rows, cols, padding, limit
            )
        return out
    ho, wo = len(rows), len(cols)
    chunks = grid_chunks(n, c * kh * kw * ho * wo * x.itemsize, chunk_bytes)
    if len(chunks) == 1:
        patches = gather_patches(x, (kh, kw), rows, cols, padding)
        if keep is not None:
            keep.append(patches)
        return from_columns(w2 @ patches, n, ho, wo)
    out = np.empty((o, ho, wo, n), dtype=x.dtype)
    for start, stop in chunks:
        patches = gather_patches(x[start:stop], (kh, kw), rows, cols, padding)
        out[..., start:stop] = (w2 @ patches).reshape(o, ho, wo, stop - start)
    return out.transpose(3, 0, 1, 2)


# -- separable: row filtering at the needed columns, then column filtering at the sites ----
def separable_factors(
    kernels: np.ndarray, *, tol: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Decompose a kernel bank into 1-D factors that share their horizontal part.

    ``kernels[k] ~= vertical[k] @ horizontal.T`` for every kernel: the
    horizontal factors (columns of ``horizontal``, orthonormal) are the
    leading right singular vectors of all the kernels stacked row on row, so
    a bank of kernels that vary along the same horizontal functions (a
    Gaussian: rank 1; a difference of Gaussians: 2; a Gabor with a round
    envelope: 2; 16 Gabors at 8 orientations and 2 phases: about 9) needs
    few of them, whatever its size.

    Parameters
    ----------
    kernels : array_like, shape (K, kh, kw) or (O, C, kh, kw)
        Real kernels (a multi-channel bank shares one horizontal basis over
        its channels).
    tol : float, optional
        Relative truncation tolerance, in [0, 1): the smallest rank whose
        reconstruction error (Frobenius norm, over the whole bank) is at most
        ``tol`` times the bank's norm.  Default :data:`SEPARABLE_TOL` for
        the kernels' dtype (``1e-13`` float64, ``1e-7`` float32).

    Returns
    -------
    vertical : numpy.ndarray, shape kernels.shape[:-1] + (r,)
        The vertical factors: ``vertical[..., a, m]`` weighs horizontal
        factor ``m`` in kernel row ``a``.
    horizontal : numpy.ndarray, shape (kw, r)
        The orthonormal horizontal factors; ``r`` is the rank kept (at least
        1, at most ``kw``).

    Raises
    ------
    TypeError
        If ``kernels`` is not real-valued.
    ValueError
        If ``kernels`` is not 3-D or 4-D, is empty or not finite, or ``tol``
        is outside [0, 1).

    Examples
    --------
    >>> g = np.exp(-np.linspace(-2, 2, 5) ** 2)
    >>> vertical, horizontal = separable_factors(np.outer(g, g)[np.newaxis])
    >>> horizontal.shape
    (5, 1)
    >>> bool(np.allclose(vertical[0] @ horizontal.T, np.outer(g, g)))
    True
    """
    kernels = as_float_array(kernels, "kernels", ndims=(3, 4))
    if tol is None:
        tol = SEPARABLE_TOL.get(kernels.dtype.name, SEPARABLE_TOL["float64"])
    tol = check_finite(tol, "tol")
    if not 0.0 <= tol < 1.0:
        raise ValueError(f"`tol` must be in [0, 1), got {tol!r}")
    return _factors(kernels, tol)


def _factors(kernels: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    kw = kernels.shape[-1]
    stacked = kernels.reshape(-1, kw).astype(np.float64)  # factor in float64, use in any dtype
    _, singular, vt = np.linalg.svd(stacked, full_matrices=False)
    # tail[r] = the reconstruction error of rank r (the norm of the dropped singular values)
    tail = np.sqrt(np.cumsum((singular**2)[::-1])[::-1])
    total = tail[0] if tail.size else 0.0
    rank = int(np.count_nonzero(tail > tol * total)) if total > 0 else 1
    horizontal = vt[: max(rank, 1)].T  # (kw, r)
    vertical = (stacked @ horizontal).reshape(*kernels.shape[:-1], horizontal.shape[1])
    return vertical.astype(kernels.dtype), horizontal.astype(kernels.dtype)


def _separable(
    x,
    weight,
    rows,
    cols,
    padding,
    chunk_bytes=None,
    factors=None,
    path=None,
    out=None,
) -> np.ndarray:
    """The ``"separable"`` method (see the module docstring).

    Sites on evenly spaced lines take the line path (:mod:`cortex._lines`) when the cost
    model predicts it faster than the column groups (its factors may have a higher rank):
    ``path`` is :func:`_choose_path`'s choice if the caller made it.
    """
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    grid = (len(rows), len(cols)) if isinstance(rows, range) else None
    if grid is not None:  # a grid is the sites of its lattice
        rr, cc = np.meshgrid(np.asarray(rows), np.asarray(cols), indexing="ij")
        rows, cols = rr.ravel(), cc.ravel()
    if out is None:
        out = np.empty((n, o, len(rows)), dtype=x.dtype)
    if not (len(rows) and n):
        out[...] = 0
        return out if grid is None else out.reshape(n, o, *grid)
    if factors is None:
        factors = _cached_factors(weight, x.dtype)
    if path is None:
        padded = (h + 2 * padding[0], w + 2 * padding[1])
        rank, n_columns = factors[1].shape[1], _n_distinct(cols)
        n_rows = _product_rows(rows, n_columns, padded[0], kh, rank, o, n, x.dtype.name)
        costs = _costs(
            padded, (kh, kw), o, len(rows), n, c, x.dtype, rank, n_columns, n_rows=n_rows
        )
        path, _ = _choose_path(x, weight, rows, cols, factors, costs["separable"])
    plan, line_factors = path
    if plan is None:
        out[...] = 0  # the column groups add to it
        vertical, horizontal = factors  # (O, C, kh, r), (kw, r)
        _groups.correlate_groups(
            out,
            x,
            vertical,
            horizontal,
            rows,
            cols,
            padding,
            CHUNK_BYTES["separable"],
            CHUNK_BYTES["sites"] if chunk_bytes is None else chunk_bytes,
            functools.partial(
                _read_products, kh=kh, r=horizontal.shape[1], o=o, n_images=n, dtype=x.dtype
            ),
        )
    else:  # every site is written
        coefficients, basis = line_factors
        if plan.transposed:  # lines along columns
            x, padding = x.swapaxes(-1, -2), padding[::-1]
        _lines.correlate_lines(out, x, coefficients, basis, plan, padding)
    return out if grid is None else out.reshape(n, o, *grid)


def _choose_path(x, weight, rows, cols, factors, groups_cost):
    """The line path, if predicted cheaper than the column groups' ``groups_cost`` (ns).

    Returns ``((plan, line factors), cost)``, or ``((None, None), inf)`` when the
    sites are not on evenly spaced lines or the column groups are cheaper.  ``factors``
    are the column groups' (shared horizontal basis), reused for lines along columns.
    """
    if not _USE_LINES:
        return (None, None), math.inf
    o, c, kh, kw = weight.shape
    plan = _lines.line_plan(rows, cols, (kh, kw))
    if plan is None:
        return (None, None), math.inf
    if plan.transposed:  # the basis runs across the lines: along the kernels' rows
        line_factors, kernel_shape = factors, (kw, kh)
    else:
        line_factors, kernel_shape = _cached_factors(weight.swapaxes(-1, -2), x.dtype), (kh, kw)
    rank = line_factors[1].shape[1]
    work = plan.work(kernel_shape, rank, o, x.shape[0], c, x.itemsize)
    cost = _line_cost(work, x.dtype.name)
    if cost >= groups_cost:
        return (None, None), math.inf
    return (plan, line_factors), cost


#: Kernel banks up to this size have their factors cached (a population's bank is
#: factored again on every call otherwise: 0.3 ms for 16 Gabors of 31x31 px)
_CACHED_FACTOR_BYTES = 2**20


def _cached_factors(kernels: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_factors` at the dtype's tolerance, cached by the kernels' values."""
    tol = SEPARABLE_TOL.get(np.dtype(dtype).name, SEPARABLE_TOL["float64"])
    if kernels.nbytes > _CACHED_FACTOR_BYTES:
        return _factors(kernels, tol)
    key = np.ascontiguousarray(kernels).tobytes()
    return _factors_of(key, kernels.shape, kernels.dtype.str, tol)


@functools.lru_cache(maxsize=16)
def _factors_of(key: bytes, shape: tuple, dtype: str, tol: float):
    kernels = np.frombuffer(key, dtype=dtype).reshape(shape)
    vertical, horizontal = _factors(kernels, tol)
    vertical.flags.writeable = False
    horizontal.flags.writeable = False
    return vertical, horizontal


def _n_distinct(index: np.ndarray) -> int:
    """The number of distinct values of ``index`` (integers >= 0), in linear time."""
    return int(np.count_nonzero(np.bincount(index)))


#: ``"separable"``: sites on evenly spaced lines take the line path (off: column groups)
_USE_LINES = True
#: ``"separable"``: sites read off products of their columns and rows (see :func:`_row_bands`)
#: when predicted cheaper (off: always gathered), if the products hold at most this many
#: times the sites' values
_USE_PRODUCTS = True
_PRODUCT_FILL = 4


def _group_shape(n_columns: int, width: int, kw: int) -> tuple[int, int, int]:
    """``(groups, columns a group, span)`` of :func:`cortex._groups.column_groups` (even)."""
    spacing = width / max(n_columns, 1)
    limit = max(_groups.SPAN * kw, kw)
    q = int(min(_groups.GROUP, max(n_columns, 1), (limit - kw) // max(spacing, 1e-9) + 1))
    span = int((q - 1) * spacing) + kw
    return math.ceil(n_columns / q), q, span


def _read_products(row_in_block, n_columns, hb, *, kh, r, o, n_images, dtype):
    """The column groups' choice of read (:func:`cortex._groups.correlate_groups`).

    ``(bands, row_index, n_rows, images a chunk)`` to read the sites off products
    when the cost model predicts it cheaper than gathering each site's window,
    else ``None``.  The sites' rows are counted only if products may win.
    """
    name = np.dtype(dtype).name
    if not _may_read_products(len(row_in_block), n_columns, hb, kh, r, o, n_images, name):
        return None
    urows, row_index = _groups.distinct(row_in_block)
    bands = _row_bands(urows, n_columns, len(row_in_block), kh, r, o, n_images, dtype)
    if not bands:
        return None
    images = _product_images(n_columns, len(urows), o, np.dtype(dtype).itemsize)
    return bands, row_index, len(urows), max(images, 1)


def _row_bands(urows, n_columns, n_sites, kh, r, o, n_images, dtype) -> list[tuple]:
    """Bands ``(k0, k1, first, span, offsets)`` of the distinct window rows ``urows``, or ``[]``.

    The bands are runs of rows spanning at most ``_groups.SPAN`` kernel heights
    (as the column groups), so that a band's GEMM in
    :func:`cortex._groups.filtered_products` wastes at most that many times its
    work.  ``[]`` (gather each site's window) unless reading the sites off the
    products is predicted cheaper (:func:`_site_costs`).
    """
    bands = _groups.column_groups(urows, kh)
    work = (len(bands), sum(span * (k1 - k0) for k0, k1, span in bands))
    gather, products = _site_costs(
        n_sites, n_columns, len(urows), work, kh, r, o, n_images, np.dtype(dtype).name
    )
    if products >= gather:
        return []
    return [
        (k0, k1, int(urows[k0]), span, urows[k0:k1] - urows[k0]) for k0, k1, span in bands
    ]


def _site_costs(n_sites, n_columns, n_rows, bands, kh, r, o, n_images, name):
    """``(gather, products)``: the predicted ns of separable's stage two, one channel.

    Gathering each site's ``(kh, r)`` window costs per site (:data:`_NS_SEPARABLE`).
    Reading the sites off products (every needed column filtered down at every
    distinct row, :func:`cortex._groups.filtered_products`) costs one GEMM per band of rows
    (``bands``: their number, and the sum of span x rows over them), ``columns x
    r x O`` multiply-adds per row of that sum, and a read per site and per site
    value (:data:`_NS_PRODUCTS`), the images in chunks whose products fit in
    ``_PRODUCT_CACHE`` bytes.  ``inf`` if the products would hold more than
    ``_PRODUCT_FILL`` times the sites' values (a scatter of sites, not a
    lattice), or one image's would not fit.
    """
    _, _, _, site, site_value, site_mac = _NS_SEPARABLE[name]
    gather = n_images * n_sites * (site + kh * r * (site_value + o * site_mac))
    if not _USE_PRODUCTS or n_columns * n_rows > _PRODUCT_FILL * n_sites:
        return gather, math.inf
    per_image = _product_images(n_columns, n_rows, o, np.dtype(name).itemsize)
    if per_image == 0:  # one image's products outgrow the cache
        return gather, math.inf
    call, mac, read_site, read_value = _NS_PRODUCTS[name]
    n_bands, work = bands
    products = n_bands * call * math.ceil(n_images / per_image) + n_images * (
        n_columns * r * o * work * mac + n_sites * (read_site + o * read_value)
    )
    return gather, products


def _product_images(n_columns, n_rows, o, itemsize) -> int:
    """Images whose products fit in ``_PRODUCT_CACHE`` bytes together (0: not one)."""
    return _PRODUCT_CACHE // max(n_columns * n_rows * o * itemsize, 1)


def _product_rows(rows, n_columns, hb, kh, r, o, n_images, name) -> int | None:
    """The sites' distinct rows, counted only if products may win (else ``None``)."""
    if _may_read_products(len(rows), n_columns, hb, kh, r, o, n_images, name):
        return _n_distinct(rows)
    return None


def _may_read_products(n_sites, n_columns, hb, kh, r, o, n_images, name) -> bool:
    """Whether products may beat gathering: priced at the fewest rows the sites allow.

    ``n_sites`` sites in ``n_columns`` columns lie on at least ``n_sites /
    n_columns`` rows, and fewer rows cost less; so when even that is not cheaper,
    the sites' distinct rows need not be counted.
    """
    n_rows = max(1, math.ceil(n_sites / max(n_columns, 1)))
    n_bands, q, span = _group_shape(n_rows, hb, kh)
    gather, products = _site_costs(
        n_sites, n_columns, n_rows, (n_bands, n_bands * span * q), kh, r, o, n_images, name
    )
    return products < gather


#: Images per chunk of the sampled-site ``"centers"`` path: at least / at most.  The
#: padded, batch-innermost copy of a chunk and the patch matrix of one site then stay
#: in cache: with every image at once, 20k images of 64x64 px ran 6x slower per image
#: than chunks of 32-128 (45x45 kernels; measured, see ``benchmarks/bench_scale.py``).
_SITE_IMAGES = (32, 128)
#: ... but fewer images than this go one at a time (see :func:`_site_images`)
_SITE_SINGLE = 16


def _site_images(n: int, per_image_site: int, limit: int) -> int:
    """Images per chunk: one site's patches fill ``limit`` bytes, within ``_SITE_IMAGES``.

    Fewer than ``_SITE_SINGLE`` images go one at a time: numpy's fancy
    indexing gathers a window of one image as a few contiguous runs, but a
    window of a few images pixel by pixel, measured 4-10x slower per image for
    2-8 images of 256-1024 px (sites 4-16 px apart, 9x9 to 37x37 kernels).
    """
    lo, hi = _SITE_IMAGES
    if n < _SITE_SINGLE:
        return 1
    return max(1, min(n, hi, max(lo, limit // max(per_image_site, 1))))


def _centers_sites(x, w2, kernel_shape, rows, cols, padding, limit) -> np.ndarray:
    """``"centers"`` at sampled sites for one chunk of images: ``(n, O, S)``."""
    n, c = x.shape[:2]
    kh, kw = kernel_shape
    o = w2.shape[0]
    out = np.empty((o, len(rows), n), dtype=x.dtype)
    step = max(1, limit // (c * kh * kw * n * x.itemsize))
    xt = _batch_innermost(x, padding)  # padded once, read by every chunk of sites
    windows = _windows(xt, (kh, kw))
    for s in range(0, len(rows), step):
        patches = _gather(xt, (kh, kw), rows[s : s + step], cols[s : s + step], windows)
        out[:, s : s + step] = (w2 @ patches).reshape(o, -1, n)
    return out.transpose(2, 0, 1)


# -- patch matrices: the one gatherer ----------------------------------------------------
def gather_patches(
    x: np.ndarray,
    kernel_shape: tuple[int, int],
    rows: range | np.ndarray,
    cols: range | np.ndarray,
    padding: tuple[int, int] = (0, 0),
    pad_value: float = 0.0,
) -> np.ndarray:
    """Patch matrix: one row per kernel weight, one column per (output site, image).

    The one gatherer of cortex: populations' ``"centers"`` method,
    :class:`~cortex.nn.Conv2D`'s forward and backward passes and
    :class:`~cortex.nn.LocallyConnected2D` (through :func:`im2col`) all read
    their input patches through it (the pooling layers read strided views
    of their input instead: they need no patch matrix).  The batch is the fastest-varying index of
    the columns: a kernel tap then reads whole runs of contiguous values.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)
        Input batch (any memory layout; ``(C, H, W, N)`` memory, the layout
        the layers of :mod:`cortex.nn` produce, is read fastest).
    kernel_shape : (int, int)
        ``(kh, kw)``.
    rows, cols : range or numpy.ndarray of int
        Top-left corners of the kernel windows in the padded input.  Two
        ``range`` objects: a grid of ``len(rows) * len(cols)`` sites (built
        tap by tap from strided slices); two 1-D integer arrays of equal
        length: that many sampled sites (one gather through a window view).
        Every window must lie inside the padded input.
    padding : (int, int), optional
        Rows and columns of ``pad_value`` added on each side.
    pad_value : float, optional
        Value outside the input (``-inf`` for max pooling).

    Returns
    -------
    numpy.ndarray, shape (C * kh * kw, S * N)
        Column ``s * N + n`` holds the patch of image ``n`` under site ``s``
        (grid sites in raster order), flattened in ``(c, a, b)`` order like
        the weights, so ``weight.reshape(O, -1) @ patches`` is the correlation.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> gather_patches(x, (2, 2), np.array([0, 2]), np.array([1, 2]))
    array([[ 1., 10.],
           [ 2., 11.],
           [ 5., 14.],
           [ 6., 15.]])
    """
    return _gather(_batch_innermost(x, padding, pad_value), kernel_shape, rows, cols)


def _batch_innermost(x: np.ndarray, padding: tuple[int, int], pad_value: float = 0.0) -> np.ndarray:
    """A padded copy of ``x`` ``(N, C, H, W)`` in ``(C, H + 2 ph, W + 2 pw, N)`` layout."""
    n, c, h, w = x.shape
    ph, pw = padding
    xt = np.empty((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    if ph or pw:
        xt[...] = pad_value
    xt[:, ph : ph + h, pw : pw + w] = x.transpose(1, 2, 3, 0)
    return xt


def _windows(xt: np.ndarray, kernel_shape: tuple[int, int]) -> np.ndarray:
    """A ``(C, kh, kw, H', W', N)`` view of every kernel window of a padded input (no copy)."""
    return sliding_window_view(xt, kernel_shape, axis=(1, 2)).transpose(0, 4, 5, 1, 2, 3)


def _gather(
    xt: np.ndarray,
    kernel_shape: tuple[int, int],
    rows: range | np.ndarray,
    cols: range | np.ndarray,
    windows: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`gather_patches` from an input already padded by :func:`_batch_innermost`.

    ``windows`` (sites only) is ``_windows(xt, kernel_shape)``, made once by a
    caller that gathers many chunks of sites.
    """
    c, _, _, n = xt.shape
    kh, kw = kernel_shape
    if isinstance(rows, range):
        out = np.empty((c, kh, kw, len(rows), len(cols), n), dtype=xt.dtype)
        for a in range(kh):  # a loop over kernel taps, not pixels
            for b in range(kw):
                out[:, a, b] = xt[
                    :,
                    rows.start + a : rows.stop + a : rows.step,
                    cols.start + b : cols.stop + b : cols.step,
                ]
        return out.reshape(c * kh * kw, -1)
    # a view of every window, then one gather of the sampled ones
    if windows is None:
        windows = _windows(xt, kernel_shape)
    return windows[:, :, :, rows, cols].reshape(c * kh * kw, -1)


# -- dense grids: the ConvNet's layout ------------------------------------------------
def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Number of output positions along one axis: ``(size + 2 p - k) // s + 1``."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(
    x: np.ndarray, kh: int, kw: int, stride: int, padding: int, pad_value: float = 0.0
) -> tuple[np.ndarray, int, int]:
    """Patch matrix of a batch on a strided grid: :func:`gather_patches` for a ConvNet layer.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)
        Input batch.
    kh, kw : int
        Kernel size.
    stride, padding : int
        As in :class:`torch.nn.Conv2d`.
    pad_value : float, optional
        Value outside the input (``-inf`` for max pooling).

    Returns
    -------
    cols : numpy.ndarray, shape (C * kh * kw, Ho * Wo * N)
        Column ``(i, j, n)`` holds the input patch under output unit ``(i, j)``
        of image ``n``, flattened in ``(c, a, b)`` order like the weights, so
        ``weight.reshape(O, -1) @ cols`` is the correlation in ``(O, Ho, Wo, N)``
        (see :func:`from_columns`).
    Ho, Wo : int
        Output size.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> cols, ho, wo = im2col(x, 2, 2, 1, 0)
    >>> cols.shape, (ho, wo)
    ((4, 4), (2, 2))
    >>> cols[:, 0]  # the patch under output unit (0, 0)
    array([0., 1., 3., 4.])
    """
    _, _, h, w = x.shape
    ho = output_size(h, kh, stride, padding)
    wo = output_size(w, kw, stride, padding)
    rows, cols = range(0, stride * ho, stride), range(0, stride * wo, stride)
    return gather_patches(x, (kh, kw), rows, cols, (padding, padding), pad_value), ho, wo


def from_columns(values: np.ndarray, n: int, ho: int, wo: int) -> np.ndarray:
    """View ``(K, Ho * Wo * N)`` values in :func:`im2col`'s column order as ``(N, K, Ho, Wo)``.

    Parameters
    ----------
    values : numpy.ndarray, shape (K, Ho * Wo * N)
        E.g. ``weight.reshape(O, -1) @ cols``.
    n, ho, wo : int
        Batch size and output size.

    Returns
    -------
    numpy.ndarray, shape (N, K, Ho, Wo)
        A transposed view (no copy) of ``values``.
    """
    return values.reshape(-1, ho, wo, n).transpose(3, 0, 1, 2)


def to_columns(values: np.ndarray) -> np.ndarray:
    """Inverse of :func:`from_columns`: ``(N, K, Ho, Wo)`` -> ``(K, Ho * Wo * N)``.

    A view when ``values`` already has that memory layout, a copy otherwise.
    """
    return values.transpose(1, 2, 3, 0).reshape(values.shape[1], -1)


def col2im(
    cols: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kh: int,
    kw: int,
    stride: int,
    padding: int,
) -> np.ndarray:
    """Adjoint of :func:`im2col`: sum patch-matrix entries back onto the input grid.

    Parameters
    ----------
    cols : numpy.ndarray, shape (C * kh * kw, Ho * Wo * N)
        Values per patch entry (e.g. the gradient of the loss), in
        :func:`im2col`'s layout.
    input_shape : tuple of int
        ``(N, C, H, W)`` of the input of :func:`im2col`.
    kh, kw, stride, padding : int
        As for :func:`im2col`.

    Returns
    -------
    numpy.ndarray, shape (N, C, H, W)
        ``out[n, c, y, x] = sum`` of every patch entry that read input pixel
        ``(y, x)`` (a ``(C, H, W, N)`` array seen through a transposed view).
    """
    n, c, h, w = input_shape
    ho = output_size(h, kh, stride, padding)
    wo = output_size(w, kw, stride, padding)
    patches = cols.reshape(c, kh, kw, ho, wo, n)
    out = np.zeros((c, h + 2 * padding, w + 2 * padding, n), dtype=cols.dtype)
    for a in range(kh):  # a loop over kernel taps, not pixels
        for b in range(kw):
            out[:, a : a + stride * ho : stride, b : b + stride * wo : stride] += patches[:, a, b]
    return out[:, padding : padding + h, padding : padding + w].transpose(3, 0, 1, 2)


def grid_chunks(n: int, bytes_per_sample: int, chunk_bytes: int | None = None) -> list[tuple]:
    """Split ``n`` samples into ``(start, stop)`` chunks of at most ``chunk_bytes`` of patches.

    The default size is ``CHUNK_BYTES["grid"]`` (read at each call).
    """
    limit = CHUNK_BYTES["grid"] if chunk_bytes is None else chunk_bytes
    step = max(1, limit // max(bytes_per_sample, 1))
    return [(i, min(i + step, n)) for i in range(0, n, step)]
