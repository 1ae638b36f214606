"""Reverse correlation: mapping receptive fields with noise.

:func:`spike_triggered_average` shows white or pink noise and correlates it
with the responses (the STA, or its whitened, regression form) into an
:class:`RFEstimate`; :func:`rf_mapping_convergence` follows the estimate's
:func:`map_correlation` with the true RF as stimuli accumulate.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .. import stimuli
from .._validation import as_rng, check_choice, check_integer, check_positive
from ..visual_field import VisualField
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
        Noise images shown.
    noise : str
        ``"white"`` or ``"pink"``.
    labels : tuple of str
        The units.
    """

    maps: np.ndarray
    field: VisualField
    method: str
    n_stimuli: int
    noise: str
    labels: tuple[str, ...]


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


def map_correlation(estimate: object, reference: object) -> np.ndarray:
    """Pearson correlation between maps, per unit, over pixels.

    Parameters
    ----------
    estimate, reference : array_like, shape (n_units, H, W) or (H, W)
        E.g. ``RFEstimate.maps`` and :func:`linear_receptive_field`.

    Returns
    -------
    numpy.ndarray, shape (n_units,)
        NaN where a map is constant or NaN.
    """
    a = np.asarray(estimate, dtype=float)
    b = np.asarray(reference, dtype=float)
    if a.ndim == 2:
        a = a[np.newaxis]
    if b.ndim == 2:
        b = b[np.newaxis]
    if a.shape != b.shape:
        raise ValueError(f"`estimate` and `reference` differ in shape: {a.shape} vs {b.shape}")
    a = a.reshape(len(a), -1) - a.reshape(len(a), -1).mean(axis=1, keepdims=True)
    b = b.reshape(len(b), -1) - b.reshape(len(b), -1).mean(axis=1, keepdims=True)
    norm = np.sqrt(np.sum(a * a, axis=1) * np.sum(b * b, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, np.sum(a * b, axis=1) / norm, np.nan)


def _reverse_correlation(
    unit: Unit,
    counts: list[int],
    *,
    method: str,
    noise: str,
    contrast: float,
    alpha: float,
    batch_size: int,
    seed: object,
) -> list[np.ndarray]:
    field = unit.field
    h, w = field.shape
    p = h * w
    if method == "whitened" and p > 4096:
        raise ValueError(
            f"the whitened estimate solves a (pixels x pixels) system; {p} pixels is more than "
            "4096: use a smaller field or method='sta'"
        )
    rng = as_rng(seed)
    filt = _noise_filter(field) if noise == "pink" else None
    sum_s = np.zeros(p)
    sum_r = np.zeros(unit.n_units)
    sum_rr = np.zeros(unit.n_units)
    sum_sr = np.zeros((p, unit.n_units))
    sum_ss = np.zeros((p, p)) if method == "whitened" else None
    out: list[np.ndarray] = []
    done = 0
    for target in counts:
        while done < target:
            b = min(batch_size, target - done)
            s = _noise(field, b, noise, contrast, rng, filt)
            r = unit(s)
            s = s.reshape(b, p)
            sum_s += s.sum(axis=0)
            sum_r += r.sum(axis=0)
            sum_rr += np.sum(r * r, axis=0)
            sum_sr += s.T @ r
            if sum_ss is not None:
                sum_ss += s.T @ s
            done += b
        n = done
        mean_s, mean_r = sum_s / n, sum_r / n
        cov_sr = sum_sr / n - np.outer(mean_s, mean_r)
        var_r = sum_rr / n - mean_r**2
        if method == "sta":
            est = cov_sr / contrast**2
        else:
            cov_ss = sum_ss / n - np.outer(mean_s, mean_s)
            ridge = alpha * np.trace(cov_ss) / p
            if ridge > 0:
                est = scipy.linalg.solve(cov_ss + ridge * np.eye(p), cov_sr, assume_a="pos")
            else:
                est = scipy.linalg.lstsq(cov_ss, cov_sr, lapack_driver="gelsy")[0]
        silent = var_r <= 1e-24 * np.maximum(mean_r**2, 1e-300)
        est = est.T.reshape(unit.n_units, h, w)
        est[silent] = np.nan
        out.append(est)
    return out


def _rc_arguments(method, noise, contrast, alpha, batch_size):
    method = check_choice(method, "method", RF_METHODS)
    noise = check_choice(noise, "noise", NOISES)
    contrast = check_positive(contrast, "contrast")
    alpha = check_positive(alpha, "alpha", allow_zero=True)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    return method, noise, contrast, alpha, batch_size


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
      correlated).  Costs ``O(n_stimuli P^2)`` for ``P`` pixels (at most 4096).

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`.
    n_stimuli : int
        Number of noise images (>= 1).
    method : {"sta", "whitened"}, optional
        The estimate.
    noise : {"white", "pink"}, optional
        Stimulus statistics.
    contrast : float, optional
        Pixel standard deviation (contrast units).
    alpha : float, optional
        Ridge strength for ``"whitened"`` (relative to the mean stimulus
        variance), >= 0.
    batch_size : int, optional
        Images generated and shown at once (memory only; the result does not
        depend on it).
    seed : int or numpy.random.Generator, optional
        Noise seed.

    Returns
    -------
    RFEstimate

    Raises
    ------
    TypeError, ValueError
        For bad arguments (unknown method or noise, non-positive counts) or a
        bad target.

    Warns
    -----
    RuntimeWarning
        If a unit never responded (its map is NaN).
    """
    n_stimuli = check_integer(n_stimuli, "n_stimuli", minimum=1)
    method, noise, contrast, alpha, batch_size = _rc_arguments(
        method, noise, contrast, alpha, batch_size
    )
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    (maps,) = _reverse_correlation(
        unit,
        [n_stimuli],
        method=method,
        noise=noise,
        contrast=contrast,
        alpha=alpha,
        batch_size=batch_size,
        seed=seed,
    )
    _warn_silent(maps, unit.labels)
    return RFEstimate(maps, unit.field, method, n_stimuli, noise, unit.labels)


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

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`as_unit`.
    sample_counts : array_like of int
        Increasing stimulus counts.
    reference : array_like, shape (n_units, H, W), optional
        The true RFs; default :func:`linear_receptive_field`.
    method, noise, contrast, alpha, batch_size, seed
        As :func:`spike_triggered_average`.

    Returns
    -------
    counts : numpy.ndarray of int, shape (n_counts,)
    correlation : numpy.ndarray, shape (n_counts, n_units)
        Pearson correlation of each estimate with the reference.
    estimate : RFEstimate
        The estimate at the largest count.
    """
    counts = np.asarray(sample_counts)
    if counts.ndim != 1 or counts.size == 0 or counts.dtype.kind not in "iu":
        raise TypeError(f"`sample_counts` must be a 1-D sequence of ints, got {sample_counts!r}")
    if counts.min() < 1 or np.any(np.diff(counts) <= 0):
        raise ValueError(f"`sample_counts` must be >= 1 and increasing, got {counts.tolist()}")
    method, noise, contrast, alpha, batch_size = _rc_arguments(
        method, noise, contrast, alpha, batch_size
    )
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    ref = unit.linear_map() if reference is None else np.asarray(reference, dtype=float)
    estimates = _reverse_correlation(
        unit,
        [int(c) for c in counts],
        method=method,
        noise=noise,
        contrast=contrast,
        alpha=alpha,
        batch_size=batch_size,
        seed=seed,
    )
    corr = np.array([map_correlation(e, ref) for e in estimates])
    _warn_silent(estimates[-1], unit.labels)
    last = RFEstimate(estimates[-1], unit.field, method, int(counts[-1]), noise, unit.labels)
    return counts.astype(int), corr, last
