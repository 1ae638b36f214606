"""Losses: each returns ``(loss, dLoss/dPrediction)`` for a batch.

The public functions validate their inputs (finite numbers of the right
shapes) and never return NaN or infinity for finite input: the softmax
cross-entropy is computed in float64 with every log-probability floored at
``-LOG_PROB_FLOOR`` (so any finite logits, however large, give a finite loss
and gradient), and a mean squared error whose value overflows float64 is an
error.  The training loop calls the unchecked cores ``_cross_entropy`` and
``_mse`` on the network's outputs and checks the results itself.
"""

from __future__ import annotations

import numpy as np

from .layers import _as_numeric, _refuse_non_finite

__all__ = ["mse", "softmax", "softmax_cross_entropy"]

#: Log-probabilities below ``-LOG_PROB_FLOOR`` are raised to it: one example's
#: cross-entropy is at most 1e300, so a mean over any batch stays finite.
LOG_PROB_FLOOR = 1e300


def _check_logits(logits: object) -> np.ndarray:
    logits = _as_numeric(logits, "logits")
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(
            f"`logits` must be 2-D (N, n_classes) with N >= 1 and n_classes >= 1, got shape "
            f"{logits.shape}"
        )
    _refuse_non_finite(logits, "logits")
    return logits


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float64, floored at ``-LOG_PROB_FLOOR`` (finite for finite input)."""
    z = logits.astype(np.float64)  # a copy: float32 logits near their limit do not overflow
    with np.errstate(over="ignore", invalid="ignore"):
        z -= z.max(axis=1, keepdims=True)  # float64 logits 1e308 apart overflow to -inf: fine
        np.maximum(z, -LOG_PROB_FLOOR, out=z)
        z -= np.log(np.exp(z).sum(axis=1, keepdims=True))  # the sum is >= 1 (max term is 1)
        np.maximum(z, -LOG_PROB_FLOOR, out=z)
    return z


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, K)`` logits (numerically stable).

    Parameters
    ----------
    logits : array_like, shape (N, K)
        Finite class scores, of any magnitude.

    Returns
    -------
    numpy.ndarray, shape (N, K)
        Probabilities (each row sums to 1), in the logits' float dtype
        (float64 for integer logits).

    Raises
    ------
    TypeError
        If ``logits`` does not hold real numbers.
    ValueError
        If ``logits`` is not a non-empty 2-D array or holds NaN or infinite
        values.
    """
    logits = _check_logits(logits)
    dtype = logits.dtype if logits.dtype.kind == "f" else np.float64
    with np.errstate(under="ignore"):
        return np.exp(_log_softmax(logits)).astype(dtype, copy=False)


def check_labels(labels: object, n_classes: int, n: int | None = None) -> np.ndarray:
    """Validate integer class labels in ``[0, n_classes)``.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        Class indices.
    n_classes : int
        Number of classes.
    n : int, optional
        Expected number of labels.

    Returns
    -------
    numpy.ndarray of intp
        The labels.

    Raises
    ------
    TypeError
        If the labels are not integers.
    ValueError
        If the shape is wrong or a label is out of range.
    """
    try:
        labels = np.asarray(labels)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"`labels` must be an array of integers, got {labels!r:.60}") from exc
    if labels.dtype.kind not in "iu":
        if (
            labels.dtype.kind == "f"
            and labels.size
            and np.all(np.isfinite(labels))
            and np.all(np.mod(labels, 1) == 0)
        ):
            labels = labels.astype(np.intp)
        else:
            raise TypeError(f"`labels` must be integers, got dtype {labels.dtype}")
    if labels.ndim != 1 or (n is not None and labels.shape[0] != n):
        raise ValueError(
            f"`labels` must have shape ({n if n is not None else 'N'},), got {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)][0]
        raise ValueError(f"`labels` must be in [0, {n_classes}), got {int(bad)}")
    return labels.astype(np.intp, copy=False)


def _cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The unchecked core of :func:`softmax_cross_entropy` (inf/NaN logits give inf/NaN)."""
    n = logits.shape[0]
    rows = np.arange(n)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        log_p = _log_softmax(logits)
        loss = float(-log_p[rows, labels].mean())
        grad = np.exp(log_p)
        grad[rows, labels] -= 1.0
        grad /= n
    dtype = logits.dtype if logits.dtype.kind == "f" else np.float64
    return loss, grad.astype(dtype, copy=False)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels.

    Parameters
    ----------
    logits : numpy.ndarray, shape (N, K)
        Unnormalised class scores: finite, of any magnitude.
    labels : array_like of int, shape (N,)
        Class indices in ``[0, K)``.

    Returns
    -------
    loss : float
        ``-mean(log softmax(logits)[n, labels[n]])``, finite (each
        log-probability is floored at ``-1e300``, see :data:`LOG_PROB_FLOOR`).
    grad : numpy.ndarray, shape (N, K)
        ``(softmax(logits) - onehot(labels)) / N``, in the logits' dtype.

    Raises
    ------
    TypeError
        If the logits are not real numbers or the labels not integers.
    ValueError
        If the shapes disagree, a label is out of range, or the logits hold
        NaN or infinite values.
    """
    logits = _check_logits(logits)
    n, k = logits.shape
    labels = check_labels(labels, k, n)
    return _cross_entropy(logits, labels)


def _mse(prediction: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """The unchecked core of :func:`mse` (may return inf on overflow)."""
    dtype = prediction.dtype if prediction.dtype.kind == "f" else np.float64
    with np.errstate(over="ignore", invalid="ignore"):
        diff = prediction.astype(np.float64) - target
        loss = float(np.mean(diff**2))
        grad = (2.0 * diff / diff.size).astype(dtype, copy=False)
    return loss, grad


def mse(prediction: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over all elements.

    Parameters
    ----------
    prediction, target : numpy.ndarray
        Same shape, finite real numbers.

    Returns
    -------
    loss : float
        ``mean((prediction - target)**2)``.
    grad : numpy.ndarray
        ``2 (prediction - target) / size``, in the prediction's float dtype.

    Raises
    ------
    TypeError
        If an argument does not hold real numbers.
    ValueError
        If the shapes differ, an argument is empty or holds NaN or infinite
        values, or the differences are so large that the loss (or the
        gradient in the prediction's dtype) overflows.
    """
    prediction = _as_numeric(prediction, "prediction")
    target = _as_numeric(target, "target")
    if prediction.shape != target.shape:
        raise ValueError(
            f"`target` must have the prediction's shape {prediction.shape}, got {target.shape}"
        )
    if prediction.size == 0:
        raise ValueError(f"`prediction` must not be empty, got shape {prediction.shape}")
    _refuse_non_finite(prediction, "prediction")
    _refuse_non_finite(target, "target")
    loss, grad = _mse(prediction, target)
    if not (np.isfinite(loss) and np.all(np.isfinite(grad))):
        with np.errstate(over="ignore"):
            largest = float(np.max(np.abs(prediction.astype(np.float64) - target)))
        raise ValueError(
            f"`prediction` - `target` is too large: the squared error overflows "
            f"(largest |difference| {largest:g}; squares must stay below {np.finfo(float).max:g})"
        )
    return loss, grad
