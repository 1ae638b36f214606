"""Losses: each returns ``(loss, dLoss/dPrediction)`` for a batch."""

from __future__ import annotations

import numpy as np

__all__ = ["mse", "softmax", "softmax_cross_entropy"]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, K)`` logits (numerically stable)."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _check_logits(logits: object) -> np.ndarray:
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise ValueError(
            f"`logits` must be 2-D (N, n_classes) with N >= 1, got shape {logits.shape}"
        )
    return logits


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
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and labels.size and np.all(np.mod(labels, 1) == 0):
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


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels.

    Parameters
    ----------
    logits : numpy.ndarray, shape (N, K)
        Unnormalised class scores.
    labels : array_like of int, shape (N,)
        Class indices in ``[0, K)``.

    Returns
    -------
    loss : float
        ``-mean(log softmax(logits)[n, labels[n]])``.
    grad : numpy.ndarray, shape (N, K)
        ``(softmax(logits) - onehot(labels)) / N``, in the logits' dtype.

    Raises
    ------
    ValueError
        If the shapes disagree or a label is out of range.
    """
    logits = _check_logits(logits)
    n, k = logits.shape
    labels = check_labels(labels, k, n)
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = float(-log_p[np.arange(n), labels].mean())
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return loss, (grad / n).astype(logits.dtype, copy=False)


def mse(prediction: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over all elements.

    Parameters
    ----------
    prediction, target : numpy.ndarray
        Same shape.

    Returns
    -------
    loss : float
        ``mean((prediction - target)**2)``.
    grad : numpy.ndarray
        ``2 (prediction - target) / size``.

    Raises
    ------
    ValueError
        If the shapes differ.
    """
    prediction = np.asarray(prediction)
    target = np.asarray(target)
    if prediction.shape != target.shape:
        raise ValueError(
            f"`target` must have the prediction's shape {prediction.shape}, got {target.shape}"
        )
    diff = prediction - target.astype(prediction.dtype, copy=False)
    return float(np.mean(diff**2)), (2.0 * diff / diff.size).astype(prediction.dtype, copy=False)
