"""The one cross-correlation entry point of cortex, with several methods.

Every population response goes through :func:`correlate_sampled`: a bank of
kernels is cross-correlated with a batch of images (zero outside the image)
and the result is read at given pixels (the RF centres).  It validates once,
resolves ``method="auto"`` with :func:`choose_method`, and dispatches:

``"fft"``
    :func:`scipy.signal.fftconvolve` over the whole image, all kernels at
    once (the image's transform is shared by the bank), then sampling.
``"direct"``
    :func:`scipy.signal.correlate` with ``method="direct"``, kernel by kernel,
    then sampling.
``"centers"``
    Only at the sampled pixels: the image patches under the RFs are gathered
    into a matrix and multiplied by the kernel bank (one BLAS GEMM per chunk).
    When the sites are sparse relative to the kernel this is far cheaper
    than a full-image correlation.

All methods give the same result (to floating-point rounding); the tests
check each against the others and against a naive loop.
"""

from __future__ import annotations

import math
import os

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import as_float_array, check_choice, check_integer

__all__ = [
    "GRID_METHODS",
    "METHODS",
    "choose_method",
    "col2im",
    "correlate",
    "correlate_sampled",
    "from_columns",
    "grid_chunks",
    "im2col",
    "output_size",
    "to_columns",
]

#: Methods accepted by :func:`correlate_sampled` (and population responses).
METHODS = ("auto", "fft", "direct", "centers")

_WORKERS = os.cpu_count() or 1
_CHUNK_BYTES = 256 * 2**20

# Cost model of choose_method, in nanoseconds, fitted on a 2-core x86-64 machine
# (numpy 2.4 / scipy 1.17, OpenBLAS) against measured times of each method over
# images of 256-1024 px, 9x9 and 31x31 kernels, 1 and 16 kernels and hexagonal sites
# 1-16 px apart (see benchmarks/README.md); only the ratios matter.
_NS_FFT = 0.55  # per P * log2(P) of one 2-D real FFT of P padded pixels
_NS_DIRECT = 10.0  # per multiply-add of scipy's direct correlation
_NS_SITE = 110.0  # per sampled site (centers method: indexing, chunk loop)
_NS_GATHER = 0.53  # per gathered patch pixel (centers method)
_NS_GEMM = 0.07  # per multiply-add of the patch-matrix product (centers method)
_PATCH_BYTES = 256 * 2**10  # centers: patch-matrix chunk (larger chunks measured slower)
_THREADED_PIXELS = 2**18  # fft: threads pay off (~0.3 ms each call) from this many pixels


def choose_method(
    image_shape: tuple[int, int],
    kernel_shape: tuple[int, int],
    n_kernels: int,
    n_sites: int,
    n_images: int = 1,
    n_channels: int = 1,
) -> str:
    """Pick the cheapest correlation method for one problem size.

    The estimated times (nanoseconds) are:

    * ``"fft"``: ``(n_kernels + n_images * (1 + n_kernels)) * c_fft * P log2 P``
      for ``P`` padded pixels (kernel transforms are shared by the batch);
    * ``"direct"``: ``n_images * n_kernels * H * W * kh * kw * c_direct``;
    * ``"centers"``:
      ``n_images * n_sites * (c_site + kh * kw * (c_gather + n_kernels * c_gemm))``.

    The constants were measured with ``benchmarks/bench_responses.py``.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)``.
    kernel_shape : tuple of int
        ``(kh, kw)``.
    n_kernels : int
        Number of kernels in the bank.
    n_sites : int
        Number of sampled pixels per image.
    n_images : int, optional
        Batch size.
    n_channels : int, optional
        Input channels summed by each kernel (all costs scale with it).

    Returns
    -------
    str
        ``"fft"``, ``"direct"`` or ``"centers"``.
    """
    h, w = image_shape
    kh, kw = kernel_shape
    taps = kh * kw
    pad = scipy.fft.next_fast_len(h + kh - 1, real=True) * scipy.fft.next_fast_len(
        w + kw - 1, real=True
    )
    fft_size = pad * math.log2(max(pad, 2))
    costs = {
        "fft": n_channels * (n_kernels + n_images * (1 + n_kernels)) * _NS_FFT * fft_size,
        "direct": n_channels * n_images * n_kernels * h * w * taps * _NS_DIRECT,
        "centers": n_channels
        * n_images
        * n_sites
        * (_NS_SITE + taps * (_NS_GATHER + n_kernels * _NS_GEMM)),
    }
    return min(costs, key=costs.__getitem__)


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
    images : numpy.ndarray, shape (N, H, W)
        Real float32 or float64 images (validated by the caller).
    kernels : numpy.ndarray, shape (K, kh, kw)
        Real kernels with odd ``kh`` and ``kw``, same dtype as ``images``.
    rows, cols : numpy.ndarray of int, shape (n,)
        Pixel indices of the sampled sites, inside the image.
    method : {"auto", "fft", "direct", "centers"}, optional
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
    """
    check_choice(method, "method", METHODS)
    images = as_float_array(images, "images", ndims=(3,))
    kernels = as_float_array(kernels, "kernels", ndims=(3,)).astype(images.dtype, copy=False)
    _, height, width = images.shape
    if kernels.shape[1] % 2 == 0 or kernels.shape[2] % 2 == 0:
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
    return _correlate_sampled(images, kernels, sites[0], sites[1], method)


def _correlate_sampled(
    images: np.ndarray, kernels: np.ndarray, rows: np.ndarray, cols: np.ndarray, method: str
) -> np.ndarray:
    """:func:`correlate_sampled` without input checks, for callers that validated already."""
    n_images, height, width = images.shape
    n_kernels, kh, kw = kernels.shape
    if method == "auto":
        method = choose_method((height, width), (kh, kw), n_kernels, len(rows), n_images)
    if method == "fft":
        return _fft(images, kernels, rows, cols)
    if method == "direct":
        return _direct(images, kernels, rows, cols)
    if method == "centers":
        return _centers(images, kernels, rows, cols)
    raise AssertionError(f"unhandled method {method!r}")  # pragma: no cover


def _fft(images: np.ndarray, kernels: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    n_images, height, width = images.shape
    n_kernels, kh, kw = kernels.shape
    out = np.empty((n_images, n_kernels, len(rows)), dtype=images.dtype)
    flipped = kernels[np.newaxis, :, ::-1, ::-1]
    # Memory of one (image, kernel) pair: the padded real output and its half spectrum.
    per_pair = 4 * (height + kh) * (width + kw) * images.itemsize
    k_step = max(1, min(n_kernels, _CHUNK_BYTES // per_pair))
    n_step = max(1, _CHUNK_BYTES // (per_pair * k_step))
    r_full, c_full = rows + kh // 2, cols + kw // 2
    padded_pixels = (height + kh - 1) * (width + kw - 1)
    workers = _WORKERS if n_images * n_kernels * padded_pixels >= _THREADED_PIXELS else 1
    import scipy.signal  # here, not at the top: it imports scipy.optimize (slow to load)

    with scipy.fft.set_workers(workers):
        for start in range(0, n_images, n_step):
            chunk = images[start : start + n_step, np.newaxis]
            for k0 in range(0, n_kernels, k_step):
                # "full" mode and explicit offsets: the RF centre of pixel (r, c) sits at
                # (r + kh // 2, c + kw // 2) of the full convolution with the flipped kernel.
                full = scipy.signal.fftconvolve(
                    chunk, flipped[:, k0 : k0 + k_step], mode="full", axes=(-2, -1)
                )
                out[start : start + n_step, k0 : k0 + k_step] = full[:, :, r_full, c_full]
    return out


def _direct(
    images: np.ndarray, kernels: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    import scipy.signal

    out = np.empty((images.shape[0], kernels.shape[0], len(rows)), dtype=images.dtype)
    for n, image in enumerate(images):
        for k, kernel in enumerate(kernels):
            full = scipy.signal.correlate(image, kernel, mode="same", method="direct")
            out[n, k] = full[rows, cols]
    return out


def _centers(
    images: np.ndarray, kernels: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    n_images = images.shape[0]
    n_kernels, kh, kw = kernels.shape
    hh, hw = kh // 2, kw // 2
    padded = np.pad(images, ((0, 0), (hh, hh), (hw, hw)))
    windows = sliding_window_view(padded, (kh, kw), axis=(1, 2))  # (N, H, W, kh, kw)
    bank = kernels.reshape(n_kernels, kh * kw).T  # (taps, K)
    out = np.empty((n_images, n_kernels, len(rows)), dtype=images.dtype)
    step = max(1, _PATCH_BYTES // (kh * kw * images.itemsize))
    for n in range(n_images):
        for start in range(0, len(rows), step):
            sl = slice(start, start + step)
            patches = windows[n, rows[sl], cols[sl]].reshape(-1, kh * kw)
            out[n, :, sl] = (patches @ bank).T
    return out


# -- dense grids: the ConvNet's layers ------------------------------------------------
def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Number of output positions along one axis: ``(size + 2 p - k) // s + 1``."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(
    x: np.ndarray, kh: int, kw: int, stride: int, padding: int, pad_value: float = 0.0
) -> tuple[np.ndarray, int, int]:
    """Patch matrix of a batch: one row per weight, one column per output unit.

    Built tap by tap (``kh * kw`` block copies, no per-pixel loop), in the
    layout whose product with the weights is one BLAS GEMM.  The batch is the
    fastest-varying index of the columns (``(i, j, n)`` order): a kernel tap is
    then a shift of whole rows of ``Wo * N`` contiguous values, so the copies
    here and the sums in :func:`col2im` run over long contiguous blocks.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)
        Input batch (any memory layout; ``(C, H, W, N)`` memory, the layout
        the layers of :mod:`cortex.nn` produce, is read fastest).
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
    n, c, h, w = x.shape
    ho = output_size(h, kh, stride, padding)
    wo = output_size(w, kw, stride, padding)
    hp, wp = h + 2 * padding, w + 2 * padding
    xt = np.empty((c, hp, wp, n), dtype=x.dtype)  # padded copy, batch innermost
    if padding:
        xt[...] = pad_value
    xt[:, padding : padding + h, padding : padding + w] = x.transpose(1, 2, 3, 0)
    cols = np.empty((c, kh, kw, ho, wo, n), dtype=x.dtype)
    for a in range(kh):  # a loop over kernel taps, not pixels
        for b in range(kw):
            cols[:, a, b] = xt[:, a : a + stride * ho : stride, b : b + stride * wo : stride]
    return cols.reshape(c * kh * kw, ho * wo * n), ho, wo


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


#: Methods accepted by :func:`correlate` (and :class:`cortex.nn.Conv2D`).
GRID_METHODS = ("auto", "fft", "direct", "centers")
_GRID_CHUNK_BYTES = 4 * 2**20  # patch matrix per chunk: small enough to stay in cache


def grid_chunks(n: int, bytes_per_sample: int, chunk_bytes: int | None = None) -> list[tuple]:
    """Split ``n`` samples into ``(start, stop)`` chunks of at most ``chunk_bytes`` of patches."""
    limit = _GRID_CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    step = max(1, limit // max(bytes_per_sample, 1))
    return [(i, min(i + step, n)) for i in range(0, n, step)]


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
    (``w`` is ``weight``)
    where ``xp`` is ``x`` zero-padded by ``padding`` on each side.  This is a
    population of ``O`` neuron types on a square lattice of spacing ``stride``
    pixels, so it dispatches to the same methods as :func:`~cortex.correlate_sampled`.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)
        Input batch (float32 or float64).
    weight : numpy.ndarray, shape (O, C, kh, kw)
        Kernels, same dtype as ``x``.
    stride, padding : int, optional
        Lattice spacing of the output units and zero padding, in pixels.
    method : {"auto", "fft", "direct", "centers"}, optional
        ``"centers"`` is the patch-matrix GEMM (BLAS), the usual choice for
        small multi-channel kernels; ``"fft"`` and ``"direct"`` go through
        :mod:`scipy.signal`; ``"auto"`` asks :func:`~cortex.choose_method`.
    chunk_bytes : int, optional
        ``"centers"`` only: size of the patch matrix built at once (samples are
        processed in chunks so it stays in cache); default ``_GRID_CHUNK_BYTES``.

    Returns
    -------
    numpy.ndarray, shape (N, O, Ho, Wo)
        The correlation (a view of an ``(O, Ho, Wo, N)`` array for ``"centers"``).

    Raises
    ------
    ValueError
        If the channel counts differ, the kernel is larger than the padded
        input, or ``method`` is unknown.
    """
    check_choice(method, "method", GRID_METHODS)
    x = as_float_array(x, "x", ndims=(4,))
    weight = as_float_array(weight, "weight", ndims=(4,)).astype(x.dtype, copy=False)
    stride = check_integer(stride, "stride", minimum=1)
    padding = check_integer(padding, "padding", minimum=0)
    return _correlate_grid(x, weight, stride, padding, method, chunk_bytes)


def _correlate_grid(
    x: np.ndarray,
    weight: np.ndarray,
    stride: int,
    padding: int,
    method: str,
    chunk_bytes: int | None = None,
    keep: list | None = None,
) -> np.ndarray:
    """:func:`correlate` without input checks (the layers validate their input).

    If ``keep`` is a list and the ``"centers"`` method built the whole patch
    matrix in one chunk, it is appended to ``keep`` (for a backward pass).
    """
    n, c, h, w = x.shape
    o, c2, kh, kw = weight.shape
    if c != c2:
        raise ValueError(f"`x` has {c} channels but `weight` expects {c2}")
    if kh > h + 2 * padding or kw > w + 2 * padding:
        raise ValueError(
            f"the kernel ({kh}x{kw}) is larger than the padded input "
            f"({h + 2 * padding}x{w + 2 * padding})"
        )
    ho, wo = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    if method == "auto":
        method = choose_method(
            (h + 2 * padding, w + 2 * padding), (kh, kw), o, ho * wo, n, n_channels=c
        )
    if method == "centers":
        w2 = weight.reshape(o, -1)
        chunks = grid_chunks(n, c * kh * kw * ho * wo * x.itemsize, chunk_bytes)
        if len(chunks) == 1:
            patches, _, _ = im2col(x, kh, kw, stride, padding)
            if keep is not None:
                keep.append(patches)
            return from_columns(w2 @ patches, n, ho, wo)
        out = np.empty((o, ho, wo, n), dtype=np.result_type(x, weight))
        for start, stop in chunks:
            patches, _, _ = im2col(x[start:stop], kh, kw, stride, padding)
            out[..., start:stop] = (w2 @ patches).reshape(o, ho, wo, stop - start)
        out = out.transpose(3, 0, 1, 2)
    else:
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x
        out = np.zeros((n, o, ho, wo), dtype=np.result_type(x, weight))
        rows = np.arange(ho) * stride + kh // 2
        cols = np.arange(wo) * stride + kw // 2
        rr, cc = (a.ravel() for a in np.meshgrid(rows, cols, indexing="ij"))
        # Even kernels: correlate_sampled needs odd sides, so prepend a zero row/column
        # to the kernel and to the input; the sampled centres stay where they are.
        if kh % 2 == 0 or kw % 2 == 0:
            weight = np.pad(weight, ((0, 0), (0, 0), (kh % 2 == 0, 0), (kw % 2 == 0, 0)))
            xp = np.pad(xp, ((0, 0), (0, 0), (kh % 2 == 0, 0), (kw % 2 == 0, 0)))
        for ci in range(c):  # channels sum: each is a single-channel population
            out += _correlate_sampled(
                np.ascontiguousarray(xp[:, ci]), np.ascontiguousarray(weight[:, ci]), rr, cc, method
            ).reshape(n, o, ho, wo)
    return out
