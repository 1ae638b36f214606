"""Reverse correlation: mapping receptive fields with noise.

:func:`spike_triggered_average` shows white or pink noise and correlates it
with the responses (the STA, or its whitened, regression form) into an
:class:`RFEstimate`; :func:`rf_mapping_convergence` follows the estimate's
:func:`map_correlation` with the true RF as stimuli accumulate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .. import stimuli
from .._validation import _describe, as_rng, check_choice, check_integer, check_memory
from ..visual_field import VisualField
from ._common import (
    MAX_CONTRAST,
    MIN_NOISE_CONTRAST,
    budget_chunk,
    check_labels,
    check_responses,
    check_scalar_range,
    float_array,
    images_per_chunk,
    power_of_two,
)
from .targets import Unit, as_unit

__all__ = [
    "NOISES",
    "RF_METHODS",
    "RFEstimate",
    "map_correlation",
    "rf_mapping_convergence",
    "spike_triggered_average",
]

#: Reverse-correlation estimates (see :func:`spike_triggered_average`).
RF_METHODS = ("sta", "whitened")
#: Noise stimuli for reverse correlation.
NOISES = ("white", "pink")


@dataclass(frozen=True)
class RFEstimate:
    """Receptive fields estimated by reverse correlation.

    Attributes
    ----------
    maps : numpy.ndarray, shape (n_units, H, W)
        The estimates over the field (responses per unit contrast per pixel);
        NaN for units that never responded.
    field : VisualField
        The stimulus field.
    method : str
        ``"sta"`` or ``"whitened"``.
    n_stimuli : int
        Noise images shown (>= 2).
    noise : str
        ``"white"`` or ``"pink"``.
    labels : tuple of str
        The units.

    Raises
    ------
    TypeError
        If a field has the wrong type (``maps`` not numeric, ``field`` not a
        VisualField, ``n_stimuli`` not an integer, ``labels`` not strings).
    ValueError
        If ``maps`` is not ``(n_units, H, W)`` on the field with one label per
        unit or holds infinite values, ``method`` or ``noise`` is unknown, or
        ``n_stimuli`` < 2.
    """

    maps: np.ndarray
    field: VisualField
    method: str
    n_stimuli: int
    noise: str
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.field, VisualField):
            raise TypeError(f"`field` must be a VisualField, got {_describe(self.field)}")
        maps = float_array(self.maps, "maps", ndims=(3,), allow_nan=True)
        if maps.shape[1:] != self.field.shape:
            raise ValueError(
                f"`maps` must be (n_units, H, W) on the field {self.field.shape}, got shape "
                f"{maps.shape}"
            )
        check_choice(self.method, "method", RF_METHODS)
        check_choice(self.noise, "noise", NOISES)
        n_stimuli = check_integer(self.n_stimuli, "n_stimuli", minimum=2)
        labels = check_labels(self.labels, len(maps))
        object.__setattr__(self, "maps", maps)
        object.__setattr__(self, "n_stimuli", n_stimuli)
        object.__setattr__(self, "labels", labels)


def map_correlation(estimate: object, reference: object) -> np.ndarray:
    """Pearson correlation between maps, per unit, over pixels.

    Parameters
    ----------
    estimate, reference : array_like, shape (n_units, H, W) or (H, W)
        E.g. ``RFEstimate.maps`` and :func:`linear_receptive_field`.  NaN
        marks a map that could not be estimated (a silent unit).

    Returns
    -------
    numpy.ndarray, shape (n_units,)
        In [-1, 1]; NaN where a map is constant or holds NaN (silently: a
        silent unit was reported when its map was estimated).

    Raises
    ------
    TypeError
        If a map is not numeric (booleans and strings are refused).
    ValueError
        If a map is not 2-D or 3-D, is empty or holds infinite values, or the
        two differ in shape.
    """
    a = float_array(estimate, "estimate", ndims=(2, 3), allow_nan=True)
    b = float_array(reference, "reference", ndims=(2, 3), allow_nan=True)
    if a.ndim == 2:
        a = a[np.newaxis]
    if b.ndim == 2:
        b = b[np.newaxis]
    if a.shape != b.shape:
        raise ValueError(f"`estimate` and `reference` differ in shape: {a.shape} vs {b.shape}")
    return np.array([_pearson(x.ravel(), y.ravel()) for x, y in zip(a, b, strict=True)])


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two vectors; each scaled to at most 1 first, so no sum overflows."""
    centred = []
    for x in (a, b):
        if np.isnan(x).any():
            return math.nan
        top = float(np.abs(x).max())
        if top == 0:
            return math.nan
        x = x / power_of_two(top)  # exact: distinct values stay distinct
        x = x - x.mean()
        top = float(np.abs(x).max())
        if top == 0:  # constant
            return math.nan
        centred.append(x / top)
    a, b = centred
    norm = math.sqrt(float(np.sum(a * a)) * float(np.sum(b * b)))
    return float(np.clip(np.sum(a * b) / norm, -1.0, 1.0))


def _noise_filter(field: VisualField) -> np.ndarray:
    """``1/f`` amplitude filter (zero at DC) normalised to unit mean power."""
    h, w = field.shape
    ppd = field.pixels_per_degree
    fy = np.fft.fftfreq(h, d=1 / ppd)[:, None]
    fx = np.fft.fftfreq(w, d=1 / ppd)[None, :]
    f = np.hypot(fx, fy)
    filt = np.zeros_like(f)
    filt[f > 0] = 1 / f[f > 0]
    return filt / math.sqrt(np.mean(filt**2))


def _noise(field: VisualField, n: int, kind: str, contrast: float, rng: np.random.Generator, filt):
    images = stimuli.white_noise(field, n, contrast=contrast, seed=rng)
    if kind == "pink":
        images = np.ascontiguousarray(np.fft.ifft2(np.fft.fft2(images) * filt).real)
    return images


def _reverse_correlation(
    unit: Unit,
    counts: list[int],
    *,
    method: str,
    noise: str,
    contrast: float,
    alpha: float,
    batch_size: int,
    rng: np.random.Generator,
) -> Iterator[np.ndarray]:
    """Yield the estimate ``(n_units, H, W)`` at each of ``counts`` (increasing) stimuli.

    Noise is drawn and shown in chunks of at most ``batch_size`` images and at
    most ``CHUNK_BYTES["images"]`` worth; only the sufficient statistics are
    kept (sums of stimuli, responses, their products, and ``X^T X`` for the
    whitened estimate), so memory does not grow with the number of stimuli.
    """
    field = unit.field
    h, w = field.shape
    p = h * w
    n_units = unit.n_units
    if method == "whitened" and p > 4096:
        raise ValueError(
            f"the whitened estimate solves a (pixels x pixels) system; {p} pixels is more than "
            "4096: use a smaller field or method='sta'"
        )
    # per image: the noise (pink: with its complex spectra) and its responses; held
    # throughout: the sums (P x n_units, three at the end) and, whitened, X^T X with its
    # covariance and the solve's copy
    per_image = 8.0 * ((6 if noise == "pink" else 2) * p + 3 * n_units)
    fixed = 8.0 * (2 * p + 4 * p * n_units + (4 * p * p if method == "whitened" else 0))
    step = budget_chunk(min(batch_size, images_per_chunk(p), counts[-1]), per_image, fixed)
    check_memory(
        fixed + step * per_image,
        f"reverse correlation ({method}, {noise} noise) on the {h}x{w} px field for "
        f"{n_units} unit(s), streamed {step} image(s) at a time",
    )
    filt = _noise_filter(field) if noise == "pink" else None
    sum_s = np.zeros(p)
    sum_r = np.zeros(n_units)
    sum_rr = np.zeros(n_units)
    sum_sr = np.zeros((p, n_units))
    sum_ss = np.zeros((p, p)) if method == "whitened" else None
    done = 0
    for target in counts:
        while done < target:
            b = min(step, target - done)
            s = _noise(field, b, noise, contrast, rng, filt)
            r = check_responses(unit._chunked(s), unit.labels, "the noise")
            s = s.reshape(b, p)
            with np.errstate(over="ignore", invalid="ignore"):  # overflow: refused in _estimate
                sum_s += s.sum(axis=0)
                sum_r += r.sum(axis=0)
                sum_rr += np.sum(r * r, axis=0)
                sum_sr += s.T @ r
                if sum_ss is not None:
                    sum_ss += s.T @ s
            done += b
        yield _estimate(unit, done, sum_s, sum_r, sum_rr, sum_sr, sum_ss, method, contrast, alpha)


def _estimate(unit, n, sum_s, sum_r, sum_rr, sum_sr, sum_ss, method, contrast, alpha):
    """The estimate from the sums over ``n`` stimuli; NaN maps for silent units."""
    h, w = unit.field.shape
    p = h * w
    with np.errstate(over="ignore", invalid="ignore"):  # overflow: refused below
        mean_s, mean_r = sum_s / n, sum_r / n
        cov_sr = sum_sr / n - np.outer(mean_s, mean_r)
        var_r = sum_rr / n - mean_r**2
        silent = var_r <= 1e-24 * np.maximum(mean_r**2, 1e-300)
        if np.isfinite(cov_sr).all() and np.isfinite(var_r).all():
            if method == "sta":
                est = cov_sr / contrast**2
            else:
                cov_ss = sum_ss / n
                cov_ss -= np.outer(mean_s, mean_s)
                ridge = alpha * np.trace(cov_ss) / p
                est = _solve(cov_ss, cov_sr, ridge)
            est = est.T.reshape(unit.n_units, h, w)
            bad = ~np.isfinite(est).all(axis=(1, 2)) & ~silent
        else:
            bad = ~(np.isfinite(cov_sr).all(axis=0) & np.isfinite(var_r))
    if bad.any():
        names = ", ".join(np.asarray(unit.labels)[bad][:5])
        raise ValueError(
            f"the RF estimate of {names} overflows (responses too large for float64 sums); "
            "lower `contrast`, or check the target's weights and nonlinearity"
        )
    est[silent] = np.nan
    return est


def _solve(cov_ss: np.ndarray, cov_sr: np.ndarray, ridge: float) -> np.ndarray:
    """``(C + ridge I)^-1 cov_sr``: Cholesky when well posed, else least squares (min norm)."""
    if ridge > 0:
        cov_ss.flat[:: cov_ss.shape[0] + 1] += ridge
        with warnings.catch_warnings():
            warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
            try:
                return scipy.linalg.solve(cov_ss, cov_sr, assume_a="pos")
            except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning):
                pass  # a ridge too small for the rank deficit: least squares below
    return scipy.linalg.lstsq(cov_ss, cov_sr, lapack_driver="gelsy")[0]


def _rc_arguments(method, noise, contrast, alpha, batch_size, seed):
    method = check_choice(method, "method", RF_METHODS)
    noise = check_choice(noise, "noise", NOISES)
    contrast = check_scalar_range(
        contrast,
        "contrast",
        MIN_NOISE_CONTRAST,
        MAX_CONTRAST,
        why=" (the pixel standard deviation)",
    )
    alpha = check_scalar_range(alpha, "alpha", 0.0, 1e6)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    rng = as_rng(seed, "seed")
    return {
        "method": method,
        "noise": noise,
        "contrast": contrast,
        "alpha": alpha,
        "batch_size": batch_size,
        "rng": rng,
    }


def _warn_silent(maps: np.ndarray, labels: tuple[str, ...]) -> None:
    silent = np.isnan(maps).all(axis=(1, 2))
    if silent.any():
        names = ", ".join(np.asarray(labels)[silent][:5])
        warnings.warn(
            f"{int(silent.sum())} unit(s) never responded to the noise ({names}); "
            "their RF estimate is NaN",
            RuntimeWarning,
            stacklevel=3,
        )


def spike_triggered_average(
    target: object,
    n_stimuli: int,
    *,
    field: VisualField | None = None,
    neurons: object = None,
    nonlinearity: object = "auto",
    method: str = "sta",
    noise: str = "white",
    contrast: float = 1.0,
    alpha: float = 0.0,
    batch_size: int = 500,
    seed: int | np.random.Generator | None = None,
) -> RFEstimate:
    """Map receptive fields by reverse correlation with noise.

    ``n_stimuli`` noise images (zero-mean Gaussian pixels of std ``contrast``;
    ``"pink"`` noise is white noise filtered to a ``1/f`` amplitude spectrum,
    like natural images) are shown and correlated with the responses:

    * ``"sta"``: the response-weighted average of the stimuli,
      ``cov(s, r) / contrast**2`` (the mean response is subtracted).  For a
      linear unit and white noise it converges to the unit's linear RF
      itself; for a rectified one to a multiple of it (Bussgang's theorem).
      Correlated (pink) noise blurs it by the stimulus correlations.
    * ``"whitened"``: the STA with the stimulus correlations divided out,
      ``(C_ss + alpha tr(C_ss)/P I)^-1 cov(s, r)`` (linear regression; a ridge
      ``alpha > 0`` regularises it when stimuli are few or strongly
      correlated).  Costs ``O(n_stimuli P^2)`` for ``P`` pixels (at most 4096)
      and holds a few ``P x P`` matrices.

    The noise is drawn and shown in chunks (at most ``batch_size`` images and
    ``cortex.correlation.CHUNK_BYTES["images"]`` bytes at a time) and only
    sums are kept (of the stimuli, the responses, their products and, for
    ``"whitened"``, ``X^T X``), so memory does not grow with ``n_stimuli``.

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`.
    n_stimuli : int
        Number of noise images, >= 2 (a covariance between stimuli and
        responses needs at least two).
    method : {"sta", "whitened"}, optional
        The estimate.
    noise : {"white", "pink"}, optional
        Stimulus statistics.
    contrast : float, optional
        Pixel standard deviation (contrast units), in ``[1e-6, 1e6]``.
    alpha : float, optional
        Ridge strength for ``"whitened"`` (relative to the mean stimulus
        variance), in ``[0, 1e6]``.
    batch_size : int, optional
        At most this many images are generated and shown at once (memory
        only; the result does not depend on it, up to rounding).
    seed : int or numpy.random.Generator, optional
        Noise seed.

    Returns
    -------
    RFEstimate

    Raises
    ------
    TypeError
        If an argument has the wrong type (``n_stimuli`` or ``batch_size``
        not an integer, ``contrast`` or ``alpha`` not a real number; booleans
        and strings are refused), or for a bad target.
    ValueError
        If ``n_stimuli`` < 2, ``batch_size`` < 1, ``method`` or ``noise`` is
        unknown, ``contrast`` or ``alpha`` is out of range, ``"whitened"`` is
        asked on more than 4096 pixels, the target is bad, or the responses
        (or the estimate) are not finite (the unit overflows).
    cortex.MemoryBudgetError
        If the sums (``P x n_units``, and ``P x P`` for ``"whitened"``) and one
        chunk of noise exceed the memory budget; checked before allocating.

    Warns
    -----
    RuntimeWarning
        If a unit never responded (constant responses): its map is NaN.
    """
    n_stimuli = check_integer(n_stimuli, "n_stimuli")
    if n_stimuli < 2:
        raise ValueError(
            f"`n_stimuli` must be >= 2 (reverse correlation estimates a covariance between "
            f"stimuli and responses, which needs at least two stimuli), got {n_stimuli}"
        )
    options = _rc_arguments(method, noise, contrast, alpha, batch_size, seed)
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    (maps,) = _reverse_correlation(unit, [n_stimuli], **options)
    _warn_silent(maps, unit.labels)
    return RFEstimate(maps, unit.field, options["method"], n_stimuli, options["noise"], unit.labels)


def _check_counts(sample_counts: object) -> list[int]:
    try:
        counts = np.asarray(sample_counts)
    except (TypeError, ValueError):  # ragged
        counts = np.array([None])
    if counts.ndim != 1 or counts.dtype.kind not in "iu":
        raise TypeError(
            f"`sample_counts` must be a 1-D sequence of ints, got {_describe(sample_counts)}"
        )
    if counts.size == 0:
        raise ValueError("`sample_counts` must hold at least one count, got none")
    values = [int(c) for c in counts]
    if min(values) < 2 or any(b <= a for a, b in zip(values, values[1:], strict=False)):
        shown = values if len(values) <= 8 else [*values[:8], "..."]
        raise ValueError(
            f"`sample_counts` must be >= 2 (a covariance needs two stimuli) and increasing, "
            f"got {shown}"
        )
    return values


def rf_mapping_convergence(
    target: object,
    sample_counts: object,
    *,
    field: VisualField | None = None,
    neurons: object = None,
    nonlinearity: object = "auto",
    reference: object = None,
    method: str = "sta",
    noise: str = "white",
    contrast: float = 1.0,
    alpha: float = 0.0,
    batch_size: int = 500,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, RFEstimate]:
    """How well reverse correlation recovers the RF as stimuli accumulate.

    One stream of noise is shown; at each count the estimate (as
    :func:`spike_triggered_average`, the same numbers as a separate run with
    that many stimuli and the same seed) is correlated with ``reference``.
    Memory does not grow with the counts: the noise is streamed, and only the
    estimate at the largest count is kept.

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`.
    sample_counts : array_like of int
        Increasing stimulus counts, each >= 2.
    reference : array_like, shape (n_units, H, W), optional
        The true RFs (``(H, W)`` for one unit); default
        :func:`linear_receptive_field`.
    method, noise, contrast, alpha, batch_size, seed
        As :func:`spike_triggered_average`.

    Returns
    -------
    counts : numpy.ndarray of int, shape (n_counts,)
    correlation : numpy.ndarray, shape (n_counts, n_units)
        Pearson correlation of each estimate with the reference (NaN for a
        silent unit, or where the reference map is constant).
    estimate : RFEstimate
        The estimate at the largest count.

    Raises
    ------
    TypeError
        If ``sample_counts`` is not a 1-D sequence of ints (booleans are
        refused), ``reference`` is not numeric, or as
        :func:`spike_triggered_average`.
    ValueError
        If ``sample_counts`` is empty, below 2 or not increasing,
        ``reference`` is not ``(n_units, H, W)`` on the field or holds NaN or
        infinite values, or as :func:`spike_triggered_average`.
    cortex.MemoryBudgetError
        As :func:`spike_triggered_average`.

    Warns
    -----
    RuntimeWarning
        If a unit never responded (its map is NaN).
    """
    counts = _check_counts(sample_counts)
    options = _rc_arguments(method, noise, contrast, alpha, batch_size, seed)
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    shape = (unit.n_units, *unit.field.shape)
    if reference is None:
        ref = unit.linear_map()
    else:
        ref = float_array(reference, "reference", ndims=(2, 3))
        if ref.ndim == 2:
            ref = ref[np.newaxis]
        if ref.shape != shape:
            raise ValueError(
                f"`reference` must be (n_units, H, W) = {shape}, got shape {ref.shape}"
            )
    corr = []
    for maps in _reverse_correlation(unit, counts, **options):
        corr.append(map_correlation(maps, ref))
    _warn_silent(maps, unit.labels)
    last = RFEstimate(
        maps, unit.field, options["method"], counts[-1], options["noise"], unit.labels
    )
    return np.asarray(counts, dtype=int), np.array(corr), last
