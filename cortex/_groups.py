"""The ``"separable"`` method on sites anywhere: its column groups.

With the bank factored over a shared *horizontal* basis (``horizontal``
``(kw, r)``, the ``vertical`` factors per kernel), ``"separable"`` runs in two
stages:

1. **Along the rows, at the needed columns only.**  Neighbouring columns of the
   sites are filtered together, one BLAS GEMM per group on a strided view of the
   image rows (:func:`filtered_rows`): the group's factors side by side, at their
   offsets, in one matrix (:func:`group_filters`).  Each pixel is then read
   about once, and the GEMM is wide.
2. **Down the columns, at the sites.**  Either each site's filtered ``(kh, r)``
   window is gathered through a strided view (:func:`filtered_windows`) and
   multiplied by the vertical factors, or, for sites on few rows and columns (a
   lattice at any spacing, a grid of cells over a movie), every filtered column
   is filtered down at every distinct row of the sites, one GEMM per band of
   rows (:func:`filtered_products`), and the sites are read off the result.

This module computes (:func:`correlate_groups`); :mod:`cortex.correlation`
decides, by its cost model, when to use it and which read to take.  Sites on
evenly spaced lines have a path of their own (:mod:`cortex._lines`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Needed columns filtered together by one GEMM over the image columns they span (at
#: most this many columns, and ``SPAN`` kernel widths): each pixel is then read about
#: once instead of kw / spacing times, and the GEMM is wide.  Eight columns, not
#: sixteen: the group's filters are mostly zeros (span / kw of the GEMM's multiply-adds
#: are wasted), 4-14% faster on 1024 x 1024 px images, sites 4-8 px apart (movies'
#: sites, 12-24 px apart, make groups of 3-5 columns either way).  Bands of rows
#: (:func:`filtered_products`) follow the same limits.
GROUP = 8
SPAN = 4
#: Images filtered by one GEMM per column group (about a megabyte of rows: they stay in
#: cache; measured on 120 x 240 px movie frames, bench_movies.py)
IMAGES = 4
#: Up to this rank, the filtered rows are stored column by column, so a site's window is
#: one contiguous run to gather (the 16-Gabor bank, rank 9, on 1024 x 1024 px: 8-14%
#: faster in float64, 20-28% in float32 than stored row by row)
WHOLE_RANK = 16


def correlate_groups(
    out: np.ndarray,
    x: np.ndarray,
    vertical: np.ndarray,
    horizontal: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    padding: tuple[int, int],
    chunk_bytes: int,
    site_bytes: int,
    read_products: Callable[[np.ndarray, int, int], tuple | None],
) -> None:
    """Add the sites' correlations to ``out`` ``(N, O, n_sites)``.

    ``x`` is ``(N, C, H, W)``; the bank is ``weight[o, c, a, b] = sum_m
    vertical[o, c, a, m] * horizontal[b, m]``; ``rows``/``cols`` are window
    corners in ``x`` padded by ``padding``.  The filtered rows of a chunk of
    images take about ``chunk_bytes``; gathered windows, ``site_bytes``.
    ``read_products(row_in_block, n_columns, hb)`` (the caller's cost model)
    returns ``(bands, row_index, n_rows, images)`` to read the sites off
    products (:func:`filtered_products`; ``images`` a chunk), or ``None`` to
    gather each site's window.
    """
    n, c, h, w = x.shape
    o, _, kh, r = vertical.shape
    kw = horizontal.shape[0]
    ucols, col_index = distinct(cols)
    # the padded rows the sites read, r0..r1; x's rows among them, ya..yb (x coordinates)
    r0, r1 = int(rows.min()), int(rows.max()) + kh
    hb = r1 - r0
    ya, yb = max(r0 - padding[0], 0), min(r1 - padding[0], h)
    dy = padding[0] - r0  # x's row y is row y + dy of the filtered block
    row_in_block = rows - r0
    starts = ucols - padding[1]  # window starts in x's columns (negative: in the padding)
    groups = []
    for j0, j1, span in column_groups(starts, kw):
        offsets = starts[j0:j1] - starts[j0]
        groups.append((j0, j1, int(starts[j0]), span, offsets))
    banks: dict[bytes, np.ndarray] = {}  # a lattice repeats its column offsets
    size = x.itemsize
    n_step = max(1, min(n, chunk_bytes // max(len(ucols) * hb * r * size, 1)))
    products = read_products(row_in_block, len(ucols), hb)
    if products is not None:  # the sites' distinct rows in bands; chunks in the cache
        bands, row_index, n_rows, images = products
        n_step = max(1, min(n_step, images))
    band_filters: dict[int, list[np.ndarray]] = {}  # per channel
    for n0 in range(0, n, n_step):
        ns = min(n_step, n - n0)
        for ci in range(c):
            images = x[n0 : n0 + ns, ci, ya:yb]  # the rows read: block rows ya + dy on
            filtered = filtered_rows(
                images, groups, banks, horizontal, ya + dy, hb, column_major=products is not None
            )
            coefficients = vertical[:, ci].reshape(o, kh * r).T  # (kh r, O)
            if products is not None:
                if ci not in band_filters:
                    band_filters[ci] = [
                        group_filters(offsets, coefficients, span, r) for *_, span, offsets in bands
                    ]
                # (column, image, distinct row, O): one GEMM per band of rows, then the sites
                values = filtered_products(filtered, bands, band_filters[ci], n_rows)
                out[n0 : n0 + ns] += values[col_index, :, row_index].transpose(1, 2, 0)
                continue
            # every site's (kh, r) window, gathered through the view, times the vertical factors
            windows = filtered_windows(filtered, kh, r)
            step = max(1, site_bytes // (ns * kh * r * size))
            for s in range(0, len(rows), step):
                picked = windows[:, row_in_block[s : s + step], col_index[s : s + step]]
                values = picked.reshape(-1, kh * r) @ coefficients  # (ns S', O)
                out[n0 : n0 + ns, :, s : s + step] += values.reshape(ns, -1, o).transpose(0, 2, 1)


def distinct(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(index, return_inverse=True)`` for indices >= 0, in linear time (no sort)."""
    present = np.bincount(index) > 0
    values = np.flatnonzero(present)
    position = np.cumsum(present) - 1
    return values, position[index]


def column_groups(starts: np.ndarray, kw: int) -> list[tuple[int, int, int]]:
    """Runs ``(j0, j1, span)`` of sorted window starts whose windows span <= ``SPAN`` kw.

    At most ``GROUP`` starts a run; the same runs make the bands of rows.
    """
    groups = []
    j0, n = 0, len(starts)
    limit = max(SPAN * kw, kw)
    while j0 < n:
        j1 = j0 + 1
        while j1 < n and j1 - j0 < GROUP and starts[j1] - starts[j0] + kw <= limit:
            j1 += 1
        groups.append((j0, j1, int(starts[j1 - 1] - starts[j0]) + kw))
        j0 = j1
    return groups


def group_filters(offsets: np.ndarray, factors: np.ndarray, span: int, step: int = 1) -> np.ndarray:
    """``(span step, q n)``: ``factors`` ``(k step, n)`` at ``q`` ``offsets`` in one matrix.

    Block ``jj`` (columns ``jj n`` on) holds ``factors`` from row ``offsets[jj] step``:
    the horizontal factors ``(kw, r)`` of a group of columns (``step`` 1), or the
    vertical coefficients ``(kh r, O)`` of a band of rows (``step`` r: rows hold a
    row's ``r`` factors side by side).
    """
    k, width = factors.shape
    bank = np.zeros((span * step, len(offsets) * width), dtype=factors.dtype)
    for jj, offset in enumerate(offsets):
        bank[offset * step : offset * step + k, jj * width : (jj + 1) * width] = factors
    return bank


def _group_bank(banks: dict, offsets: np.ndarray, span: int, horizontal: np.ndarray):
    """The cached :func:`group_filters` of a column group (a lattice repeats its offsets)."""
    key = offsets.tobytes() + span.to_bytes(4, "little")
    if key not in banks:
        banks[key] = group_filters(offsets, horizontal, span)
    return banks[key]


def _strip(images: np.ndarray, first: int, span: int) -> np.ndarray:
    """Columns ``first:first + span`` of ``images`` ``(n, rows, W)``, zero outside them.

    A strided view when the columns are inside the images, else a padded copy.
    """
    w = images.shape[-1]
    if first >= 0 and first + span <= w:
        return images[:, :, first : first + span]
    strip = np.zeros((*images.shape[:2], span), dtype=images.dtype)
    lo, hi = max(first, 0), min(first + span, w)
    if lo < hi:
        strip[:, :, lo - first : hi - first] = images[:, :, lo:hi]
    return strip


def filtered_rows(images, groups, banks, horizontal, top, hb, column_major) -> np.ndarray:
    """Stage one: the rows of ``images`` filtered at the needed columns.

    ``images`` ``(ns, rows, W)`` are the image rows the sites read, rows ``top`` on of
    a block of ``hb`` padded rows (zero elsewhere).  Each group of columns is one GEMM
    of the image columns it spans by its factors side by side.  Returns, for ``n``
    columns and ``r`` factors, ``(n, ns, hb, r)`` if ``column_major`` or the rank is
    at most ``WHOLE_RANK`` (the GEMMs' values transposed: a site's window is then one
    contiguous run, cheaper to gather whole than row by row), else ``(ns, hb, n r)``,
    written in place by the GEMMs (see :func:`filtered_windows`).
    """
    ns, n_rows, _ = images.shape
    r = horizontal.shape[1]
    n_columns = groups[-1][1]
    whole = column_major or r <= WHOLE_RANK
    if whole:
        filtered = np.zeros((n_columns, ns, hb, r), dtype=images.dtype)
    else:  # filtered[i, row, j * r + m], written in place (the padding rows are zero)
        filtered = np.empty((ns, hb, n_columns * r), dtype=images.dtype)
        filtered[:, :top] = 0
        filtered[:, top + n_rows :] = 0
    group_banks = [_group_bank(banks, offsets, span, horizontal) for *_, span, offsets in groups]
    for i0 in range(0, ns, IMAGES):  # a few images at a time, all groups: they stay in cache
        i1 = min(i0 + IMAGES, ns)
        for (j0, j1, first, span, _), bank in zip(groups, group_banks, strict=True):
            source = _strip(images[i0:i1], first, span)  # a view, or a padded copy
            values = (source.reshape(-1, span) @ bank).reshape(i1 - i0, n_rows, j1 - j0, r)
            if whole:
                filtered[j0:j1, i0:i1, top : top + n_rows] = values.transpose(2, 0, 1, 3)
            else:
                filtered[i0:i1, top : top + n_rows, j0 * r : j1 * r] = values.reshape(
                    i1 - i0, n_rows, -1
                )
    return filtered


def filtered_windows(filtered: np.ndarray, kh: int, r: int) -> np.ndarray:
    """A read-only view ``(ns, hb - kh + 1, n_columns, kh, r)`` of :func:`filtered_rows`.

    ``[i, row, j]`` is the window of a site whose window starts at ``row`` in column
    ``j`` of image ``i``, for ``r`` factors.
    """
    st = filtered.strides
    if filtered.ndim == 4:  # (n_columns, ns, hb, r)
        n_columns, ns, hb, _ = filtered.shape
        strides = (st[1], st[2], st[0], st[2], st[3])
    else:  # (ns, hb, n_columns r)
        ns, hb, width = filtered.shape
        n_columns = width // r
        strides = (st[0], st[1], r * filtered.itemsize, st[1], st[2])
    return np.lib.stride_tricks.as_strided(
        filtered, shape=(ns, hb - kh + 1, n_columns, kh, r), strides=strides, writeable=False
    )


def filtered_products(filtered, bands, filters, n_rows) -> np.ndarray:
    """``(n_columns, ns, n_rows, O)``: every filtered column, filtered down at every row.

    ``filtered`` ``(n_columns, ns, hb, r)`` is stage one (column-major); ``bands``
    ``(k0, k1, first, span, offsets)`` are runs of the ``n_rows`` distinct window
    rows (rows ``k0:k1``, the first at block row ``first``, spanning ``span`` rows),
    and ``filters`` their ``(span r, q O)`` vertical filters (:func:`group_filters`).
    """
    n_columns, ns, hb, r = filtered.shape
    o = filters[0].shape[1] // (bands[0][1] - bands[0][0])
    flat = filtered.reshape(n_columns * ns, hb * r)
    products = np.empty((n_columns * ns, n_rows * o), dtype=filtered.dtype)
    for (k0, k1, first, span, _), band in zip(bands, filters, strict=True):
        np.matmul(flat[:, first * r : (first + span) * r], band, out=products[:, k0 * o : k1 * o])
    return products.reshape(n_columns, ns, n_rows, o)
