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
import scipy.signal
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import check_choice

__all__ = ["METHODS", "choose_method", "correlate_sampled"]

#: Methods accepted by :func:`correlate_sampled` (and population responses).
METHODS = ("auto", "fft", "direct", "centers")

_WORKERS = os.cpu_count() or 1
_CHUNK_BYTES = 256 * 2**20

# Cost model of choose_method, in nanoseconds, fitted on a 2-core x86-64 machine
# with benchmarks/bench_responses.py (only the ratios between methods matter).
_NS_FFT = 0.3  # per P * log2(P) of one 2-D real FFT of P padded pixels
_NS_DIRECT = 0.6  # per multiply-add of scipy's direct correlation
_NS_GATHER = 1.2  # per gathered patch pixel (centers method)
_NS_GEMM = 0.06  # per multiply-add of the patch-matrix product (centers method)


def choose_method(
    image_shape: tuple[int, int],
    kernel_shape: tuple[int, int],
    n_kernels: int,
    n_sites: int,
    n_images: int = 1,
) -> str:
    """Pick the cheapest correlation method for one problem size.

    The estimated times (nanoseconds) are:

    * ``"fft"``: ``(n_kernels + n_images * (1 + n_kernels)) * c_fft * P log2 P``
      for ``P`` padded pixels (kernel transforms are shared by the batch);
    * ``"direct"``: ``n_images * n_kernels * H * W * kh * kw * c_direct``;
    * ``"centers"``: ``n_images * n_sites * kh * kw * (c_gather + n_kernels * c_gemm)``.

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
    costs = {
        "fft": (n_kernels + n_images * (1 + n_kernels)) * _NS_FFT * pad * math.log2(max(pad, 2)),
        "direct": n_images * n_kernels * h * w * taps * _NS_DIRECT,
        "centers": n_images * n_sites * taps * (_NS_GATHER + n_kernels * _NS_GEMM),
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
    ValueError
        If ``method`` is unknown or a kernel side is even.
    """
    check_choice(method, "method", METHODS)
    n_images, height, width = images.shape
    n_kernels, kh, kw = kernels.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"`kernels` must have odd sides, got shape {kernels.shape}")
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
    with scipy.fft.set_workers(_WORKERS):
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
    step = max(1, (_CHUNK_BYTES // 16) // (kh * kw * images.itemsize))
    for n in range(n_images):
        for start in range(0, len(rows), step):
            sl = slice(start, start + step)
            patches = windows[n, rows[sl], cols[sl]].reshape(-1, kh * kw)
            out[n, :, sl] = (patches @ bank).T
    return out
