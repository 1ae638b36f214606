"""The ``"separable"`` method on sites that lie on evenly spaced lines.

A lattice of neurons (square or hexagonal, at a whole number of pixels)
puts its sites on a few image rows, evenly spaced along each row.  There the
``"separable"`` method of :mod:`cortex.correlation` runs in two stages with
no gathering at all:

1. **Down the columns, at the lines' rows only.**  With the bank factored
   over a shared *vertical* basis ``U`` (``kh x r``), every line's rows are
   filtered at once: ``V[line] = window.T @ U``, one GEMM per line on a view
   of the image (``window`` is the ``kh`` image rows under the line).  ``V``
   holds, for each column of the line, its ``r`` filtered values side by side.
2. **Along the lines, at the sites.**  The sites of a line are ``s`` columns
   apart, so the ``kw x r`` values a site needs are one contiguous run of
   ``V``, and the runs of sites ``g = ceil(kw / s)`` apart do not overlap: a
   strided view of ``V`` is a matrix with one site per row, and one GEMM by
   the kernels' coefficients (``kw r x O``) gives all of them.  ``g`` such
   views (phases) cover every site.

The multiply-adds are those of the separable decomposition (``lines x
line length x kh x r``, then ``sites x kw x r x O``) and every step is a BLAS
GEMM on a view; the lines are filtered a few at a time, so the stage-two
GEMMs read them from cache.  Lines along image columns are handled by the
same code on transposed views.

This module plans (:func:`line_plan`) and computes (:func:`correlate_lines`);
:mod:`cortex.correlation` decides when to use it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

#: Bytes of filtered lines (``V``) computed at once: they are read again by the
#: site GEMMs right after, from cache (512 KiB: 4-7 lines of a 1024 px image with 9
#: factors, the fastest of 64 KiB-8 MiB measured on the 16-Gabor bank)
LINE_BYTES = 512 * 2**10


@dataclass(frozen=True)
class LinePlan:
    """Where the sites lie, for :func:`correlate_lines`.

    All coordinates are window corners in the padded image, in the frame
    where lines run along rows (the image transposed if ``transposed``).
    """

    transposed: bool  # lines run along image columns: work on transposed views
    stride: int  # s: columns between neighbouring sites of a line
    phases: int  # g: views of V, each holding every g-th site of each line
    block: int  # g * s >= kw: columns of a line per row of a view
    blocks: int  # rows of a view per line (a line is block * blocks columns long)
    line_rows: np.ndarray  # (n_lines,) the row of each line
    line_cols: np.ndarray  # (n_lines,) the column of each line's first site
    counts: np.ndarray  # (n_lines,) places along each line (1 + the last site's index)
    n_sites: int
    # the sites in line order, each once, left to right (a lattice's own order): then
    # line j's sites are sites counts[:j].sum() on, and `line`, `index` are not needed
    ordered: bool
    line: np.ndarray | None = None  # (n_sites,) each site's line, unless ordered
    index: np.ndarray | None = None  # (n_sites,) its place along the line (0: the first)
    in_line_order: bool = True  # the sites come line by line (`line` never decreases)

    @property
    def n_lines(self) -> int:
        return len(self.line_rows)

    def multiply_adds(self, kh: int, kw: int, rank: int, n_kernels: int) -> tuple[int, int]:
        """Multiply-adds per image and channel of the two stages."""
        length = self.block * self.blocks
        return (
            self.n_lines * length * kh * rank,
            self.n_lines * self.blocks * self.phases * kw * rank * n_kernels,
        )

    def work(self, kernel_shape, rank, n_kernels, n_images, n_channels, itemsize) -> LineWork:
        """:func:`line_work` of this plan (``kernel_shape`` in the frame of the lines)."""
        return line_work(
            self.n_lines,
            self.block * self.blocks,
            self.phases,
            self.n_lines * self.blocks * self.phases,
            self.n_sites,
            kernel_shape,
            rank,
            n_kernels,
            n_images,
            n_channels,
            itemsize,
        )


@dataclass(frozen=True)
class LineWork:
    """The work of :func:`correlate_lines` on one problem, for the cost model."""

    line_calls: int  # stage-one GEMMs (a line of a chunk of images, per channel)
    site_calls: int  # chunks of lines (each: phases GEMMs and a read of its sites)
    phases: int
    line_reads: int  # stage-one pixels read (lines x length x kh), all images and channels
    site_macs: int  # stage-two multiply-adds, all images
    sites: int  # sites read, all images


def chunking(n_images: int, n_lines: int, line_bytes: int) -> tuple[int, int]:
    """Images and lines filtered at once: ``LINE_BYTES`` of filtered lines."""
    n_step = max(1, min(n_images, LINE_BYTES // max(line_bytes, 1)))
    l_step = max(1, min(n_lines, LINE_BYTES // max(n_step * line_bytes, 1)))
    return n_step, l_step


def line_work(
    n_lines: int,
    length: int,
    phases: int,
    view_rows: int,
    n_sites: int,
    kernel_shape: tuple[int, int],
    rank: int,
    n_kernels: int,
    n_images: int,
    n_channels: int,
    itemsize: int,
) -> LineWork:
    """The :class:`LineWork` of ``n_lines`` lines of ``length`` columns (per image).

    ``view_rows`` is the rows of all phase views of one image (``lines x
    blocks x phases``); ``kernel_shape`` and ``rank`` are in the frame of the
    lines (``kh`` across them, the shared basis along ``kh``).
    """
    kh, kw = kernel_shape
    cr = n_channels * rank
    n_step, l_step = chunking(n_images, n_lines, length * cr * itemsize)
    image_chunks = -(-n_images // n_step)
    return LineWork(
        line_calls=image_chunks * n_lines * n_channels,
        site_calls=image_chunks * -(-n_lines // l_step),
        phases=phases,
        line_reads=n_images * n_lines * length * kh * n_channels,
        site_macs=n_images * view_rows * kw * cr * n_kernels,
        sites=n_images * n_sites,
    )


def line_plan(rows: np.ndarray, cols: np.ndarray, kernel_shape: tuple[int, int]):
    """The :class:`LinePlan` of sampled sites, or ``None`` if they are not on lines.

    Sites are on lines when, along rows (or along columns), each line's sites
    are evenly spaced by one stride common to all lines (lines of one site
    take any stride).  Duplicate sites are allowed.  When both orientations
    qualify, the one with less stage-one work is taken.
    """
    kh, kw = kernel_shape
    best = None
    for transposed in (False, True):
        if transposed and best is not None and _columns(best[2]) >= best[2].n_lines:
            break  # lines along rows, and no fewer along columns
        r, c = (cols, rows) if transposed else (rows, cols)
        k_across, k_along = (kw, kh) if transposed else (kh, kw)
        plan = _plan(r, c, k_along)
        if plan is None:
            continue
        reads = plan.multiply_adds(k_across, k_along, 1, 1)[0]  # stage one's
        if best is None or reads < best[0]:
            best = (reads, transposed, plan)
    if best is None:
        return None
    _, transposed, plan = best
    return dataclasses.replace(plan, transposed=True) if transposed else plan


def _columns(plan: LinePlan) -> int:
    """About the number of distinct columns of a plan's sites (from its lines alone)."""
    residues = len(np.unique(plan.line_cols % plan.stride))
    last = plan.line_cols + plan.stride * (plan.counts - 1)
    span = (int(last.max()) - int(plan.line_cols.min())) // plan.stride + 1
    return min(residues * span, plan.n_sites)


def _plan(rows: np.ndarray, cols: np.ndarray, kw: int) -> LinePlan | None:
    """:func:`line_plan` for lines along rows."""
    n = len(rows)
    if n == 0:
        return None
    new_line = np.empty(n, dtype=bool)
    new_line[0] = True
    np.not_equal(rows[1:], rows[:-1], out=new_line[1:])
    step_c = np.diff(cols)
    # the common case, cheaply (no per-site arrays kept): line by line, left to right
    if bool(np.all(rows[1:] >= rows[:-1])) and bool(np.all((step_c > 0) | new_line[1:])):
        within = ~new_line[1:]
        first = int(np.argmax(within)) if n > 1 else 0  # a step inside a line, if any
        stride = int(step_c[first]) if n > 1 and within[first] else kw  # else any
        if not bool(np.all((step_c == stride) | new_line[1:])):
            return None
        starts = np.flatnonzero(new_line)
        counts = np.diff(np.append(starts, n))
        return _line_plan(rows, cols, kw, stride, starts, counts, n, ordered=True)
    order = None
    if not (bool(np.all(rows[1:] >= rows[:-1])) and bool(np.all((step_c >= 0) | new_line[1:]))):
        order = np.lexsort((cols, rows))  # sort by row, then column
        rows, cols = rows[order], cols[order]
        step_c = np.diff(cols)
        np.not_equal(rows[1:], rows[:-1], out=new_line[1:])
    # the steps between neighbours of a line, duplicates (0) aside: one stride
    along = step_c[~new_line[1:]]
    steps = along[along != 0]
    if steps.size:
        stride = int(steps[0])
        if not bool(np.all(steps == stride)):
            return None
    else:  # one site per line: any stride; one phase
        stride = kw
    starts = np.flatnonzero(new_line)
    line = np.cumsum(new_line, dtype=np.intp)
    line -= 1  # site -> its line
    index = cols - cols[starts][line]  # ... its place along the line
    if stride > 1:
        index //= stride
    counts = index[np.append(starts[1:], n) - 1] + 1  # a line's last site is its rightmost
    if order is not None:  # back to the given order
        line, index = _unsort(line, order), _unsort(index, order)
    plan = _line_plan(rows, cols, kw, stride, starts, counts, n, ordered=False)
    return dataclasses.replace(
        plan, line=line, index=index.astype(np.intp, copy=False), in_line_order=order is None
    )


def _line_plan(rows, cols, kw, stride, starts, counts, n_sites, ordered) -> LinePlan:
    """The :class:`LinePlan` of lines starting at sites ``starts`` (sorted sites)."""
    phases = -(-kw // stride)
    block = phases * stride
    # a line's sites span stride * (count - 1) + kw columns: `blocks` blocks of `block`
    blocks = -(-(stride * (int(counts.max()) - 1) + kw) // block)
    return LinePlan(
        transposed=False,
        stride=stride,
        phases=phases,
        block=block,
        blocks=blocks,
        line_rows=rows[starts].astype(np.intp),
        line_cols=cols[starts].astype(np.intp),
        counts=counts.astype(np.intp, copy=False),
        n_sites=n_sites,
        ordered=ordered,
    )


def _unsort(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    unsorted = np.empty_like(values)
    unsorted[order] = values
    return unsorted


def correlate_lines(
    out: np.ndarray,
    x: np.ndarray,
    coefficients: np.ndarray,
    basis: np.ndarray,
    plan: LinePlan,
    padding: tuple[int, int],
) -> None:
    """Write the sites' correlations into ``out`` ``(N, O, n_sites)``.

    ``x`` is ``(N, C, H, W)`` and the bank is ``weight[o, c, a, b] = sum_m
    basis[a, m] * coefficients[o, c, b, m]`` (``basis`` ``(kh, r)`` shared,
    ``coefficients`` ``(O, C, kw, r)``), both in the frame of ``plan``:
    transpose ``x``, the kernels and ``padding`` first if ``plan.transposed``.
    """
    n, c, h, w = x.shape
    o, _, kw, r = coefficients.shape
    kh = basis.shape[0]
    cr = c * r
    s, g, block, blocks = plan.stride, plan.phases, plan.block, plan.blocks
    length = block * blocks
    n_lines = plan.n_lines
    itemsize = x.itemsize
    # stage two's weights: row (b, c, m) of a site's run, column o
    weights = np.ascontiguousarray(coefficients.transpose(2, 1, 3, 0).reshape(kw * cr, o))
    n_step, l_step = chunking(n, n_lines, length * cr * itemsize)
    top = plan.line_rows - padding[0]  # image row of each line's first kernel row
    left = plan.line_cols - padding[1]  # image column of each line's first column
    line_of, index_of = plan.line, plan.index
    by_line = None if plan.in_line_order else np.argsort(line_of, kind="stable")
    if plan.ordered:  # each line's sites follow the previous line's
        line_first = np.concatenate([[0], np.cumsum(plan.counts)])
    else:
        line_first = np.searchsorted(
            line_of if by_line is None else line_of[by_line], np.arange(n_lines + 1)
        )
    counts = plan.counts.tolist()
    line_first = line_first.tolist()
    chunks = [
        (n0, min(n_step, n - n0), l0, min(l_step, n_lines - l0))
        for n0 in range(0, n, n_step)
        for l0 in range(0, n_lines, l_step)
    ]
    # filtered lines of a chunk, and one block of zeros after them: the last site
    # views of a chunk read past its last line (rows of no site)
    buffer = np.empty(n_step * l_step * length * cr + block * cr, dtype=x.dtype)
    buffer[n_step * l_step * length * cr :] = 0
    # each line's image rows and columns (ya:yb, xa:xb), where they go in the line
    # (xs:xe, zeros elsewhere) and the kernel rows they meet (u), worked out once
    ya, yb = np.clip(top, 0, h), np.clip(top + kh, 0, h)
    xa, xb = np.clip(left, 0, w), np.clip(left + length, 0, w)
    spans = [
        (y1 >= y2 or x1 >= x2, y1, y2, x1, x2, x1 - x0, x2 - x0, basis[y1 - y0 : y2 - y0])
        for y0, y1, y2, x0, x1, x2 in zip(
            *(v.tolist() for v in (top, ya, yb, left, xa, xb)), strict=True
        )
    ]
    xt = x.transpose(0, 1, 3, 2)  # a line's window, transposed: (columns, rows) views
    # a chunk's sites (and rows of no site), phase by phase: (view row, phase, O)
    sites = np.empty((n_step * l_step * blocks, g, o), dtype=x.dtype)
    for n0, ni, l0, m in chunks:
        lines = buffer[: ni * m * length * cr].reshape(ni, m, length, c, r)
        images = xt[n0 : n0 + ni]
        for j in range(m):
            empty, y1, y2, x1, x2, xs, xe, u = spans[l0 + j]
            target = lines[:, j]
            if empty:
                target[...] = 0
                continue
            if xs > 0:
                target[:, :xs] = 0
            if xe < length:
                target[:, xe:] = 0
            for ci in range(c):  # (ni, columns, rows) @ (rows, r)
                np.matmul(images[:, ci, x1:x2, y1:y2], u, out=target[:, xs:xe, ci])
        # the chunk's sites: one GEMM per phase over all its images and lines (a view
        # row per block of each line: the rows of the lines' last blocks are not sites),
        # each written to every g-th place so that a line's values come in site order
        rows = ni * m * blocks
        values = sites[:rows]
        for phase in range(g):
            view = np.ndarray(
                (rows, kw * cr),
                dtype=x.dtype,
                buffer=buffer,
                offset=phase * s * cr * itemsize,
                strides=(block * cr * itemsize, itemsize),
            )
            np.matmul(view, weights, out=values[:, phase])
        # ... read at the sites of these lines: values[i, line, place]
        places = values.reshape(ni, m, blocks * g, o)
        a, b = line_first[l0], line_first[l0 + m]
        if plan.ordered:  # the lines' sites are out[..., a:b], line by line, in place order
            few = counts[l0 : l0 + m]
            same = min(few) == max(few)
            for i in range(ni):
                if same:  # one copy for the chunk
                    part = places[i, :, : few[0]].reshape(-1, o)
                    out[n0 + i, :, a:b] = part.T
                    continue
                start = a
                for jj, count in enumerate(few):
                    out[n0 + i, :, start : start + count] = places[i, jj, :count].T
                    start += count
        else:
            chosen = slice(a, b) if by_line is None else by_line[a:b]
            local = (line_of[chosen] - l0) * (blocks * g) + index_of[chosen]
            for i in range(ni):
                out[n0 + i][:, chosen] = places[i].reshape(-1, o)[local].T
