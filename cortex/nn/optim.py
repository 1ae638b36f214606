"""Optimisers: update a model's parameters in place from their gradients."""

from __future__ import annotations

import numpy as np

from .._validation import check_positive
from .network import Sequential

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """Base class: holds the learning rate and per-parameter state keyed by name."""

    def __init__(self, lr: float) -> None:
        self.lr = check_positive(lr, "lr")
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.steps = 0

    def step(self, model: Sequential) -> None:
        """Apply one update to every trainable parameter of ``model``."""
        if not isinstance(model, Sequential):
            raise TypeError(f"`model` must be a Sequential, got {type(model).__name__}")
        self.steps += 1
        for name, param, grad in model.parameters():
            self._update(name, param, grad)

    def _update(self, name: str, param: np.ndarray, grad: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with momentum and (L2) weight decay, as :class:`torch.optim.SGD`.

    ``g = grad + weight_decay * p``; ``v = momentum * v + g``; ``p -= lr * v``
    (``p -= lr * (g + momentum * v)`` with ``nesterov``).

    Parameters
    ----------
    lr : float
        Learning rate, > 0.
    momentum : float, optional
        In ``[0, 1)``.
    weight_decay : float, optional
        L2 penalty, >= 0.
    nesterov : bool, optional
        Nesterov momentum.
    """

    def __init__(
        self,
        lr: float = 0.01,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(lr)
        self.momentum = check_positive(momentum, "momentum", allow_zero=True)
        if self.momentum >= 1:
            raise ValueError(f"`momentum` must be < 1, got {self.momentum}")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self.nesterov = bool(nesterov)

    def _update(self, name: str, param: np.ndarray, grad: np.ndarray) -> None:
        g = grad + self.weight_decay * param if self.weight_decay else grad
        if self.momentum:
            state = self.state.setdefault(name, {"velocity": np.zeros_like(param)})
            v = state["velocity"]
            v *= self.momentum
            v += g
            g = g + self.momentum * v if self.nesterov else v
        param -= (self.lr * g).astype(param.dtype, copy=False)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction and L2 weight decay, as ``torch.optim.Adam``.

    Parameters
    ----------
    lr : float, optional
        Step size.
    betas : (float, float), optional
        Decay rates of the first and second moment estimates, in ``[0, 1)``.
    eps : float, optional
        Added to the denominator.
    weight_decay : float, optional
        L2 penalty added to the gradient.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"`betas` must be a pair (beta1, beta2), got {betas!r}")
        b1, b2 = (check_positive(b, "betas", allow_zero=True) for b in betas)
        if b1 >= 1 or b2 >= 1:
            raise ValueError(f"`betas` must be in [0, 1), got {tuple(betas)}")
        self.betas = (b1, b2)
        self.eps = check_positive(eps, "eps")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)

    def _update(self, name: str, param: np.ndarray, grad: np.ndarray) -> None:
        b1, b2 = self.betas
        g = grad + self.weight_decay * param if self.weight_decay else grad
        state = self.state.setdefault(
            name, {"m": np.zeros_like(param), "v": np.zeros_like(param), "t": np.zeros(())}
        )
        state["t"] += 1
        t = float(state["t"])
        m, v = state["m"], state["v"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        param -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(param.dtype, copy=False)
