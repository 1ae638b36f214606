"""Training loop: ``fit`` with a progress bar, ``evaluate`` and ``predict``."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .._validation import as_float_array, as_rng, check_bool, check_choice, check_integer
from .losses import _cross_entropy, _mse, check_labels
from .network import Sequential
from .optim import Optimizer

__all__ = ["DivergenceWarning", "History", "evaluate", "fit", "predict", "train_step"]


class DivergenceWarning(RuntimeWarning):
    """Training diverges: the loss grew far above its starting value (learning rate too high?).

    A non-finite loss is an error (:class:`FloatingPointError`); a finite loss
    that explodes is warned about once per call of :func:`fit`, with this
    category, so scripts and the command line can treat it as a failure.

    The loss *explodes* when a batch's loss exceeds both
    :data:`DIVERGENCE_RATIO` times the first batch's loss of the same
    :func:`fit` call and :data:`DIVERGENCE_LOSS` in absolute terms.
    """


#: A batch loss over this many times the first batch's loss (and over DIVERGENCE_LOSS)
#: makes :func:`fit` warn with :class:`DivergenceWarning`.
DIVERGENCE_RATIO = 1e3
#: The smallest loss that counts as diverged (so that tiny first losses do not make
#: ordinary ones look like an explosion).
DIVERGENCE_LOSS = 1e3

# the unchecked cores: the loop checks the network's outputs and the results itself
_LOSSES = {"cross_entropy": _cross_entropy, "mse": _mse}


@dataclass
class History:
    """Per-epoch record of a :func:`fit` run (lists, one entry per epoch)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[float]]:
        """The record as a JSON-able dict."""
        return {
            "loss": self.loss,
            "accuracy": self.accuracy,
            "val_loss": self.val_loss,
            "val_accuracy": self.val_accuracy,
        }


def _check_model(model: object) -> Sequential:
    if not isinstance(model, Sequential):
        raise TypeError(f"`model` must be a Sequential, got {type(model).__name__}")
    return model


def _check_data(
    model: Sequential, x: object, y: object, loss: str, name: str, y_name: str = "y"
) -> tuple:
    x = as_float_array(x, name)
    if x.ndim < 2:
        raise ValueError(f"`{name}` must be a batch (N, ...), got shape {x.shape}")
    out_shape = model.output_shape(x.shape[1:])
    if y is None:
        return x, None
    if loss == "cross_entropy":
        if len(out_shape) != 1:
            raise ValueError(
                f"cross-entropy needs (N, n_classes) outputs, the model gives {out_shape}"
            )
        y = check_labels(y, out_shape[0], x.shape[0])
    else:
        y = as_float_array(y, y_name)
        if y.shape != (x.shape[0],) + tuple(out_shape):
            raise ValueError(
                f"`{y_name}` must have shape {(x.shape[0],) + tuple(out_shape)}, got {y.shape}"
            )
    return x, y


def _accuracy(outputs: np.ndarray, y: np.ndarray, loss: str) -> float:
    if loss != "cross_entropy":
        return float("nan")
    return float(np.mean(outputs.argmax(axis=1) == y))


def _advice(optimizer: Optimizer) -> str:
    return f"lower the learning rate (lr={optimizer.lr:g}), or check the data"


def _check_finite(value: Any, what: str, optimizer: Optimizer, detail: str = "") -> None:
    if not np.all(np.isfinite(value)):
        raise FloatingPointError(
            f"{what} became NaN or infinite{detail}; training stopped before the weights were "
            "updated: " + _advice(optimizer)
        )


def _check_outputs(out: np.ndarray, what: str) -> None:
    """FloatingPointError if a model's outputs overflowed (evaluation and prediction)."""
    if not np.all(np.isfinite(out)):
        n_bad = int(np.count_nonzero(~np.isfinite(out)))
        raise FloatingPointError(
            f"{n_bad} of the network's outputs for {what} are NaN or infinite: its weights "
            "overflow the float range (did training diverge?)"
        )


def train_step(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    optimizer: Optimizer,
    *,
    loss: str = "cross_entropy",
    micro_batch: int | None = 32,
    _checked: bool = False,
) -> tuple[float, np.ndarray]:
    """One gradient update on one batch (what :func:`fit` does per batch).

    The batch is run through the network in micro-batches of at most
    ``micro_batch`` samples whose gradients add up to the whole batch's
    (gradient accumulation): the same update, with working arrays small
    enough to stay in cache.

    Parameters
    ----------
    model : Sequential
        The network (in training mode).
    x, y : numpy.ndarray
        One batch of inputs and labels (or targets).
    optimizer : Optimizer
        Applies the update.
    loss : {"cross_entropy", "mse"}, optional
        The loss.
    micro_batch : int or None, optional
        Samples per forward/backward pass; None runs the batch at once.

    Returns
    -------
    loss : float
        Mean loss over the batch (before the update).
    outputs : numpy.ndarray
        The network's outputs for the batch.

    Raises
    ------
    TypeError, ValueError
        For a wrong model, optimiser, loss name, data shape or dtype, labels
        out of range, or non-finite inputs.
    FloatingPointError
        If the network's outputs, the loss, a gradient or an updated weight is
        NaN or infinite (the message names it and advises a lower learning
        rate); the weights are restored to their values before the step.
    """
    if not _checked:
        model = _check_model(model)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"`optimizer` must be an Optimizer, got {type(optimizer).__name__}")
        check_choice(loss, "loss", tuple(_LOSSES))
        x, y = _check_data(model, x, y, loss, "x")
    loss_fn = _LOSSES[loss]
    n = x.shape[0]
    step = n if micro_batch is None else check_integer(micro_batch, "micro_batch", minimum=1)
    model.zero_grad()
    total = 0.0
    outputs = []
    # overflow is checked for explicitly below, with an error that says what to do
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for start in range(0, n, step):
            out = model.forward(x[start : start + step], check_finite=False)  # x is checked
            if not np.all(np.isfinite(out)):
                n_bad = int(np.count_nonzero(~np.isfinite(out)))
                detail = f" ({n_bad} of the network's outputs are NaN or infinite)"
                _check_finite(np.inf, f"the {loss} loss", optimizer, detail)
            value, grad = loss_fn(out, y[start : start + step])
            _check_finite(value, f"the {loss} loss", optimizer, f" ({value})")
            share = out.shape[0] / n  # the chunk's share of the batch mean
            model.backward(grad * np.asarray(share, grad.dtype), input_grad=False)
            total += value * share
            outputs.append(out)
        params = model.parameters()
        for name, _, g in params:
            _check_finite(g, f"the gradient of {name}", optimizer)
        before = [p.copy() for _, p, _ in params]
        optimizer.step(model)
        if not all(np.all(np.isfinite(p)) for _, p, _ in params):
            for (_, p, _), old in zip(params, before, strict=True):
                p[...] = old  # put back the last finite weights
            raise FloatingPointError(
                "the update made a weight NaN or infinite; the weights were restored to their "
                "values before it: " + _advice(optimizer)
            )
    return total, np.concatenate(outputs)


def fit(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    optimizer: Optimizer,
    loss: str = "cross_entropy",
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int | np.random.Generator | None = None,
    progress: bool = True,
    micro_batch: int | None = 32,
) -> History:
    """Train ``model`` with mini-batch gradient descent.

    Parameters
    ----------
    model : Sequential
        The network (updated in place).
    x : array_like, shape (N, ...)
        Inputs, e.g. ``(N, C, H, W)`` images (float32 stays float32).
    y : array_like
        Integer labels ``(N,)`` for ``loss="cross_entropy"``, or targets of the
        output's shape for ``"mse"``.
    epochs, batch_size : int
        Passes over the data and samples per update, >= 1.
    optimizer : Optimizer
        E.g. :class:`~cortex.nn.SGD` or :class:`~cortex.nn.Adam`.
    loss : {"cross_entropy", "mse"}, optional
        Softmax cross-entropy on logits, or mean squared error.
    validation_data : (x_val, y_val), optional
        Evaluated after every epoch.
    seed : None, int or numpy.random.Generator, optional
        Shuffling order; with seeded layers, the same seed gives the same
        weights bit for bit.
    progress : bool, optional
        Show a progress bar per epoch (loss and accuracy) on stderr.
    micro_batch : int or None, optional
        Samples per forward/backward pass inside a batch (see
        :func:`train_step`); the update is that of the whole batch.

    Returns
    -------
    History
        Mean training loss and accuracy per epoch (accuracy ``nan`` for MSE),
        and the validation figures when given.

    Raises
    ------
    TypeError, ValueError
        For a wrong model, optimiser, data shape or dtype, labels out of
        range, non-finite inputs, or a flag that is not a bool.
    FloatingPointError
        If the network's outputs, the loss, a gradient or an updated weight
        becomes NaN or infinite; the message names the epoch and batch and
        advises a lower learning rate.  The weights are left as they were
        before that batch (the optimiser's state, e.g. momentum, is not
        rolled back).

    Warns
    -----
    DivergenceWarning
        Once per call, when the loss explodes while staying finite: a batch's
        loss above :data:`DIVERGENCE_RATIO` (1e3) times the first batch's and
        above :data:`DIVERGENCE_LOSS` (1e3).  Training goes on; the message
        names the epoch, batch and loss and advises a lower learning rate.
    """
    model = _check_model(model)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"`optimizer` must be an Optimizer, got {type(optimizer).__name__}")
    check_choice(loss, "loss", tuple(_LOSSES))
    epochs = check_integer(epochs, "epochs", minimum=1)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    progress = check_bool(progress, "progress")
    if micro_batch is not None:
        micro_batch = check_integer(micro_batch, "micro_batch", minimum=1)
    x, y = _check_data(model, x, y, loss, "x")
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise TypeError("`validation_data` must be a pair (x_val, y_val)")
        x_val, y_val = _check_data(
            model, validation_data[0], validation_data[1], loss, "x_val", "y_val"
        )
    rng = as_rng(seed)
    history = History()
    n = x.shape[0]
    n_batches = -(-n // batch_size)
    first_loss: float | None = None
    warned = False
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(n)
        total_loss = 0.0
        correct = 0.0
        bar = tqdm(
            range(n_batches),
            desc=f"epoch {epoch + 1}/{epochs}",
            disable=not progress,
            file=sys.stderr,
            leave=True,
            unit="batch",
        )
        for b in bar:
            idx = order[b * batch_size : (b + 1) * batch_size]
            xb, yb = x[idx], y[idx]
            try:
                value, outputs = train_step(
                    model, xb, yb, optimizer, loss=loss, micro_batch=micro_batch, _checked=True
                )
            except FloatingPointError as exc:
                bar.close()
                raise FloatingPointError(f"epoch {epoch + 1}, batch {b + 1}: {exc}") from None
            if first_loss is None:
                first_loss = value
            elif not warned and value > DIVERGENCE_LOSS and value > DIVERGENCE_RATIO * first_loss:
                warned = True
                warnings.warn(
                    f"training diverges: the {loss} loss reached {value:.4g} at epoch "
                    f"{epoch + 1}, batch {b + 1}, over {DIVERGENCE_RATIO:g} times the first "
                    f"batch's {first_loss:.4g}; {_advice(optimizer)}",
                    DivergenceWarning,
                    stacklevel=2,
                )
            total_loss += value * len(idx)
            if loss == "cross_entropy":
                correct += float(np.sum(outputs.argmax(axis=1) == yb))
            seen = b * batch_size + len(idx)
            postfix = {"loss": f"{total_loss / seen:.4f}"}
            if loss == "cross_entropy":
                postfix["acc"] = f"{correct / seen:.3f}"
            bar.set_postfix(postfix, refresh=False)
        history.loss.append(total_loss / n)
        history.accuracy.append(correct / n if loss == "cross_entropy" else float("nan"))
        if validation_data is not None:
            try:
                vl, va = _evaluate(model, x_val, y_val, loss, 256, "`x_val`")
            except FloatingPointError as exc:
                bar.close()
                raise FloatingPointError(
                    f"epoch {epoch + 1}, validation: {exc}; {_advice(optimizer)}"
                ) from None
            history.val_loss.append(vl)
            history.val_accuracy.append(va)
            if progress:
                bar.write(
                    f"epoch {epoch + 1}/{epochs}: val_loss {vl:.4f}, val_acc {va:.4f}",
                    file=sys.stderr,
                )
        bar.close()
    model.eval()
    return history


def _predict(model: Sequential, x: np.ndarray, batch_size: int, what: str) -> np.ndarray:
    """Outputs of validated inputs in evaluation mode; FloatingPointError if they overflow."""
    model.eval()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        out = np.concatenate(
            [
                model.forward(x[i : i + batch_size], check_finite=False)
                for i in range(0, x.shape[0], batch_size)
            ]
        )
    _check_outputs(out, what)
    return out


def _evaluate(
    model: Sequential, x: np.ndarray, y: np.ndarray, loss: str, batch_size: int, what: str
) -> tuple[float, float]:
    outputs = _predict(model, x, batch_size, what)
    value, _ = _LOSSES[loss](outputs, y)
    if not np.isfinite(value):
        raise FloatingPointError(
            f"the {loss} loss on {what} overflows ({value}): the network's outputs are too "
            "far from the targets (did training diverge?)"
        )
    return value, _accuracy(outputs, y, loss)


def predict(model: Sequential, x: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """Model outputs (e.g. logits) in evaluation mode, batch by batch.

    Parameters
    ----------
    model : Sequential
        The network.
    x : array_like, shape (N, ...)
        Inputs.
    batch_size : int, optional
        Samples per forward pass.

    Returns
    -------
    numpy.ndarray, shape (N, ...)
        The outputs; ``argmax(axis=1)`` gives class predictions.

    Raises
    ------
    TypeError, ValueError
        For a wrong model or batch size, or inputs of the wrong shape or
        dtype or with NaN or infinite values.
    FloatingPointError
        If the outputs overflow to NaN or infinity (weights of a diverged
        training run).
    """
    model = _check_model(model)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    x, _ = _check_data(model, x, None, "mse", "x")
    return _predict(model, x, batch_size, "`x`")


def evaluate(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    loss: str = "cross_entropy",
    batch_size: int = 256,
) -> tuple[float, float]:
    """Loss and accuracy on a data set, in evaluation mode.

    Parameters
    ----------
    model : Sequential
        The network.
    x, y : array_like
        Inputs and labels (or targets), as for :func:`fit`.
    loss : {"cross_entropy", "mse"}, optional
        The loss.
    batch_size : int, optional
        Samples per forward pass.

    Returns
    -------
    loss : float
        Mean loss.
    accuracy : float
        Fraction of correct argmax predictions (``nan`` for MSE).

    Raises
    ------
    TypeError, ValueError
        As for :func:`fit`.
    FloatingPointError
        If the outputs or the loss overflow (weights of a diverged training
        run).
    """
    model = _check_model(model)
    check_choice(loss, "loss", tuple(_LOSSES))
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    x, y = _check_data(model, x, y, loss, "x")
    return _evaluate(model, x, y, loss, batch_size, "`x`")
