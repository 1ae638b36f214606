"""Optimisers: update a model's parameters in place from their gradients."""

from __future__ import annotations

import numpy as np

from .._validation import check_bool, check_positive
from .network import Sequential

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """Base class: holds the learning rate and per-parameter state keyed by name.

    An optimiser with state (momentum, Adam's moments) is bound to the
    parameter shapes of the model it first stepped: stepping a model whose
    parameters have other shapes is refused (use one optimiser per model).
    """

    def __init__(self, lr: float) -> None:
        self.lr = check_positive(lr, "lr")
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.steps = 0

    def step(self, model: Sequential) -> None:
        """Apply one update to every trainable parameter of ``model``.

        Parameters
        ----------
        model : Sequential
            The network; its gradients must have been computed.

        Raises
        ------
        TypeError
            If ``model`` is not a Sequential.
        ValueError
            If the optimiser holds state for a parameter of the same name but
            another shape (it was used with another model); nothing is
            updated then.
        """
        if not isinstance(model, Sequential):
            raise TypeError(f"`model` must be a Sequential, got {type(model).__name__}")
        parameters = model.parameters()
        for name, param, _ in parameters:  # check everything before changing anything
            for key, value in self.state.get(name, {}).items():
                if value.ndim and value.shape != param.shape:
                    raise ValueError(
                        f"`model` does not match this {type(self).__name__}: its parameter "
                        f"{name} has shape {param.shape}, but the optimiser's state ({key}) "
                        f"for {name} has shape {value.shape}, from the model it was used with "
                        "before; create a new optimiser for each model"
                    )
        self.steps += 1
        for name, param, grad in parameters:
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

    Raises
    ------
    TypeError
        If a number is not a real number (booleans are refused) or
        ``nesterov`` is not a bool.
    ValueError
        If ``lr`` is not > 0, ``momentum`` not in ``[0, 1)`` or
        ``weight_decay`` negative (or any of them NaN or infinite).
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
        self.nesterov = check_bool(nesterov, "nesterov")

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

    Raises
    ------
    TypeError
        If ``betas`` is not a pair, or a number is not a real number
        (booleans are refused).
    ValueError
        If ``lr`` or ``eps`` is not > 0, a beta is not in ``[0, 1)`` or
        ``weight_decay`` is negative (or any of them NaN or infinite).
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
