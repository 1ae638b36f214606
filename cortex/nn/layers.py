"""ConvNet layers: small classes with ``forward``, ``backward``, ``params`` and ``grads``.

A :class:`Conv2D` layer is a population of ``out_channels`` neuron types whose
RFs (``kernel_size`` pixels wide, over all input channels) sit on a square
lattice of spacing ``stride`` pixels and share their weights across
positions; :class:`LocallyConnected2D` has the same geometry with one RF per
position (no sharing), the literal biological layer.  Tensors are
``(N, C, H, W)``, weights ``(out, in, kh, kw)``, and the operation is
cross-correlation as in :class:`torch.nn.Conv2d`.

Each layer's ``forward`` caches only what its ``backward`` needs;
``backward(grad)`` takes dLoss/dOutput, *accumulates* dLoss/dParam into
``grads`` (clear them with :meth:`Layer.zero_grad`) and returns dLoss/dInput.
Float32 input stays float32 end to end; float64 works too (layers cast their
input to their own ``dtype``).

Bad input is refused with the argument named: constructor arguments are
checked by :mod:`cortex._validation` (booleans are not sizes, strings are not
flags); a layer's parameters are estimated first and refused over the memory
budget (:func:`cortex.memory_budget`) before anything is allocated;
``forward`` refuses NaN or infinite input (``check_finite=True``, one ``min``
and one ``max``; a network checks its input once); ``backward`` before
``forward`` is a :class:`RuntimeError`.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._validation import (
    _describe,
    as_rng,
    check_bool,
    check_choice,
    check_integer,
    check_memory,
    check_positive,
)
from ..correlation import (
    CHUNK_BYTES,
    METHODS,
    _correlate_grid,
    col2im,
    correlate_backward,
    im2col,
    output_size,
    to_columns,
)
from ..receptive_fields import ReceptiveField

__all__ = [
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "LocallyConnected2D",
    "MaxPool2D",
    "ReLU",
]

_DTYPES = {"float32": np.float32, "float64": np.float64}


def _dtype_name(dtype: object) -> str:
    """``"float32"`` or ``"float64"`` from a name, a numpy dtype or a scalar type."""
    message = f"`dtype` must be 'float32' or 'float64' (or the numpy type), got {_describe(dtype)}"
    if dtype is None or isinstance(dtype, bool | np.bool_ | int | float):
        raise TypeError(message)  # np.dtype(None) would be float64, np.dtype(1.0) an error
    try:
        name = np.dtype(dtype).name  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise TypeError(message) from exc
    if name not in _DTYPES:
        raise TypeError(f"`dtype` must be float32 or float64, got {name}")
    return name


def _pair(value: object, name: str, *, minimum: int) -> tuple[int, int]:
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(f"`{name}` must be an int or a pair of ints, got {value!r}")
        return (
            check_integer(value[0], name, minimum=minimum),
            check_integer(value[1], name, minimum=minimum),
        )
    v = check_integer(value, name, minimum=minimum)
    return v, v


def _as_numeric(x: object, name: str) -> np.ndarray:
    """``x`` as an array of real numbers (bool, int or float), else TypeError."""
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except (TypeError, ValueError) as exc:  # ragged nested sequences
            raise TypeError(
                f"`{name}` must be an array of real numbers, got {_describe(x)}"
            ) from exc
    if x.dtype.kind not in "fiub":
        raise TypeError(f"`{name}` must hold real numbers, got dtype {x.dtype}")
    return x


def _refuse_non_finite(x: np.ndarray, name: str, dtype: object = None) -> float:
    """Refuse NaN or infinite values in ``x``, and values beyond the range of ``dtype``.

    Cheap: one ``min`` and one ``max`` (both propagate NaN); the bad values are
    counted only to phrase the error.  Returns the largest magnitude in ``x``
    (0 for integers and booleans, whose magnitudes never matter here).
    """
    if x.dtype.kind != "f" or x.size == 0:
        return 0.0  # integers and booleans are finite
    lo, hi = np.min(x), np.max(x)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        n_bad = int(np.count_nonzero(~np.isfinite(x)))
        raise ValueError(f"`{name}` must be finite, got {n_bad} NaN or infinite value(s)")
    if dtype is not None and np.dtype(dtype).itemsize < x.dtype.itemsize:
        limit = float(np.finfo(dtype).max)
        largest = max(-float(lo), float(hi))
        if largest > limit:
            raise ValueError(
                f"`{name}` holds values up to {largest:g} in magnitude, beyond the "
                f"{np.dtype(dtype).name} range of the layer (|x| <= {limit:g})"
            )
    return max(-float(lo), float(hi))


def _check_input(
    x: object, name: str, ndim: int, dtype: type, check_finite: bool = True
) -> tuple[np.ndarray, float]:
    """``x`` checked and cast to ``dtype``, and its largest magnitude (0 if not checked)."""
    x = _as_numeric(x, name)
    if x.ndim != ndim:
        raise ValueError(f"`{name}` must be {ndim}-D, got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"`{name}` must not be an empty batch, got shape {x.shape}")
    largest = _refuse_non_finite(x, name, dtype) if check_finite else 0.0
    return x.astype(dtype, copy=False), largest


class _OverflowGuard:
    """Refuse a layer output that overflowed because the input was huge (yet finite).

    Inactive (no cost) unless the input's largest magnitude exceeds the
    square root of the dtype's maximum, the only inputs for which ordinary
    weights can overflow the output; then the pass runs with overflow
    warnings off and a non-finite output is a ValueError naming ``x``.
    """

    def __init__(self, largest: float, dtype: object) -> None:
        self.dtype = np.dtype(dtype)
        self.largest = largest
        self.active = largest > math.sqrt(float(np.finfo(self.dtype).max))
        self._errstate = np.errstate(over="ignore", invalid="ignore")

    def __enter__(self) -> _OverflowGuard:
        if self.active:
            self._errstate.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            self._errstate.__exit__(*exc)

    def check(self, out: np.ndarray) -> np.ndarray:
        if self.active and not np.all(np.isfinite(out)):
            raise ValueError(
                f"`x` holds values up to {self.largest:g} in magnitude: the layer's output "
                f"overflows {self.dtype.name}; scale the input down"
            )
        return out


def _as_batch(x: object, name: str = "x") -> np.ndarray:
    """Input of a pointwise layer: a non-empty batch ``(N, ...)`` of real numbers."""
    x = _as_numeric(x, name)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"`{name}` must be a non-empty batch (N, ...), got shape {x.shape}")
    return x


@functools.cache
def _takes_check_finite(cls: type) -> bool:
    """Whether ``cls.forward`` accepts the ``check_finite`` keyword (ours do; a user's may not)."""
    try:
        return "check_finite" in inspect.signature(cls.forward).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False


def _forward(layer: Layer, x: object, check_finite: bool) -> np.ndarray:
    """``layer.forward(x)``, checking ``x`` for NaN/inf only if ``check_finite``.

    Networks check their input once and pass ``check_finite=False`` to the
    layers behind the first (their inputs are activations, not user data).
    """
    if _takes_check_finite(type(layer)):
        return layer.forward(x, check_finite=check_finite)  # type: ignore[call-arg]
    if check_finite:
        x = _as_numeric(x, "x")
        _refuse_non_finite(x, "x")
    return layer.forward(x)


def _check_param_memory(
    layer: str, config: dict[str, Any], shapes: dict[str, tuple[int, ...]], extra: int
) -> None:
    """Refuse parameters (and their gradients) over the memory budget, before allocating.

    ``extra`` bytes per scalar are added for temporaries (8: the float64
    random draws of an initialisation).
    """
    n = sum(math.prod(shape) for shape in shapes.values())
    dtype = config["dtype"]
    itemsize = np.dtype(dtype).itemsize
    n_bytes = n * (2 * itemsize + extra)  # parameters + gradients (+ temporaries)
    described = ", ".join(f"{k} {'x'.join(map(str, v))}" for k, v in shapes.items())
    arguments = ", ".join(f"{k}={v!r}" for k, v in config.items())
    check_memory(
        min(n_bytes, 1e300),  # a float that never overflows the message
        f"the parameters of {layer}({arguments}) ({described}: {n:.4g} {dtype} values, "
        "with their gradients)",
    )


class Layer:
    """Base class: a layer with parameters ``params`` and their gradients ``grads``.

    Attributes
    ----------
    params : dict of str to numpy.ndarray
        Trainable arrays, updated in place by the optimisers.
    grads : dict of str to numpy.ndarray
        Accumulated gradients, same keys and shapes.
    trainable : bool
        Frozen layers (False) still pass gradients to their input but
        compute none for their parameters, and optimisers skip them.
    training : bool
        Training mode (dropout active); set by ``Sequential.train()`` /
        ``eval()``.

    Notes
    -----
    Subclasses describe their constructor arguments once: ``_REQUIRED`` (the
    arguments without defaults) and ``_DEFAULTS`` (the others, as saved by
    :meth:`config`), ``_validate_config`` (every value checked, none
    allocated), ``_param_shapes`` and ``_configure``.  The constructor and
    :func:`cortex.nn.load_model` share them, so a model file is checked
    exactly as a constructor call would be, before any weight is allocated.
    """

    _REQUIRED: tuple[str, ...] = ()
    _DEFAULTS: dict[str, Any] = {}

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.trainable = True
        self.training = True
        self._cache: Any = None  # None: forward has not run

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Output for input ``x``."""
        raise NotImplementedError

    def backward(
        self, grad: np.ndarray, *, input_grad: bool = True
    ) -> np.ndarray | None:  # pragma: no cover - abstract
        """Gradient w.r.t. the input, given the gradient w.r.t. the output.

        Layers with parameters skip the input gradient (and return None) when
        ``input_grad`` is False; the first layer of a network needs none.

        Raises
        ------
        RuntimeError
            If ``forward`` has not run yet (``backward`` uses what it caches).
        """
        raise NotImplementedError

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one sample's output, given one sample's input shape."""
        return tuple(input_shape)

    def config(self) -> dict[str, Any]:
        """JSON-able constructor arguments (for saving the architecture)."""
        return {}

    @property
    def kernel_geometry(self) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None:
        """``((kh, kw), (sh, sw), (ph, pw))`` for conv/pool layers, else None."""
        if not hasattr(self, "kernel_size"):
            return None
        return self.kernel_size, (self.stride,) * 2, (self.padding,) * 2

    # -- one description of the constructor arguments, shared with load_model -----------
    @classmethod
    def _validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Every constructor argument checked and normalised; nothing allocated.

        ``config`` holds every key of ``_REQUIRED`` and ``_DEFAULTS``.

        Raises
        ------
        TypeError, ValueError
            As the constructor would, naming the argument.
        """
        return {}

    @classmethod
    def _param_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        """Shapes of the parameters for a validated ``config`` (none for most layers)."""
        return {}

    @classmethod
    def _fan_in(cls, config: dict[str, Any]) -> int:
        """Inputs per output unit: the initialisation is uniform in ``+-1/sqrt(fan_in)``."""
        return 1

    def _configure(self, config: dict[str, Any]) -> None:
        """Set the attributes of a validated ``config``."""

    @classmethod
    def _from_config(cls, config: dict[str, Any]) -> Layer:
        """Build from a validated config without random initialisation (parameters zero).

        The zeros are allocated lazily by the system (``calloc``), so a loader
        that replaces them with the file's arrays pays for those only.
        """
        layer = cls.__new__(cls)
        Layer.__init__(layer)
        layer._configure(config)
        layer._init_params(config, None)
        return layer

    def _init_params(self, config: dict[str, Any], rng: np.random.Generator | None) -> None:
        """Allocate the parameters: uniform ``+-1/sqrt(fan_in)``, or zeros if ``rng`` is None.

        Raises
        ------
        MemoryBudgetError
            If the parameters and their gradients would exceed the memory
            budget (checked before anything is allocated).
        """
        shapes = self._param_shapes(config)
        if not shapes:
            return
        dtype = self.dtype
        _check_param_memory(type(self).__name__, config, shapes, 0 if rng is None else 8)
        bound = 1.0 / math.sqrt(self._fan_in(config))
        for key, shape in shapes.items():
            if rng is None:
                self.params[key] = np.zeros(shape, dtype=_DTYPES[dtype])
            else:
                self.params[key] = rng.uniform(-bound, bound, shape).astype(_DTYPES[dtype])
        self.zero_grad()

    def _cached(self) -> Any:
        """What ``forward`` cached for ``backward``; RuntimeError if it has not run."""
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward: run forward(x) first "
                "(backward uses what forward caches)"
            )
        return self._cache

    def zero_grad(self) -> None:
        """Set every gradient to zero."""
        for key, value in self.params.items():
            self.grads[key] = np.zeros_like(value)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"

    def _grad_add(self, name: str, value: np.ndarray) -> None:
        if self.trainable:
            self.grads[name] += value


def _window_config(config: dict[str, Any]) -> dict[str, Any]:
    """Validate the geometry shared by Conv2D and LocallyConnected2D."""
    return {
        "in_channels": check_integer(config["in_channels"], "in_channels", minimum=1),
        "out_channels": check_integer(config["out_channels"], "out_channels", minimum=1),
        "kernel_size": _pair(config["kernel_size"], "kernel_size", minimum=1),
        "stride": check_integer(config["stride"], "stride", minimum=1),
        "padding": check_integer(config["padding"], "padding", minimum=0),
        "bias": check_bool(config["bias"], "bias"),
        "dtype": _dtype_name(config["dtype"]),
    }


def _configure_window(layer: Layer, config: dict[str, Any]) -> None:
    layer.in_channels = config["in_channels"]
    layer.out_channels = config["out_channels"]
    layer.kernel_size = config["kernel_size"]
    layer.stride = config["stride"]
    layer.padding = config["padding"]
    layer.dtype = config["dtype"]
    layer.use_bias = config["bias"]


class Conv2D(Layer):
    """2-D convolution layer (cross-correlation), as :class:`torch.nn.Conv2d`.

    Biologically: ``out_channels`` neuron types with RFs ``kernel_size``
    pixels wide over all ``in_channels``, centred on a square lattice of
    spacing ``stride`` pixels, sharing their weights across positions.

    Parameters
    ----------
    in_channels, out_channels : int
        Channel counts, >= 1.
    kernel_size : int or (int, int)
        RF size in pixels.
    stride : int, optional
        Lattice spacing of the output units, in input pixels.
    padding : int, optional
        Zeros added on every side of the input.
    bias : bool, optional
        Learn a bias per output channel.
    seed : None, int or numpy.random.Generator, optional
        Initialisation: uniform in ``+-1/sqrt(fan_in)`` (fan_in = in * kh * kw).
    dtype : {"float32", "float64"}, optional
        Parameter and computation dtype.
    method : {"auto", "fft", "direct", "centers", "separable"}, optional
        Correlation method (see :func:`cortex.correlation.correlate`).

    Attributes
    ----------
    params : dict
        ``"weight"`` of shape ``(out, in, kh, kw)`` and ``"bias"`` of shape ``(out,)``.

    Raises
    ------
    TypeError
        If a size is not an integer (booleans and strings are refused),
        ``bias`` is not a bool, ``dtype`` is not float32/float64 or ``seed``
        is not a seed.
    ValueError
        If a size is out of range or ``method`` is unknown.
    MemoryBudgetError
        If the weights and their gradients would exceed the memory budget
        (:func:`cortex.memory_budget`); refused before allocating.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        *,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        seed: int | np.random.Generator | None = None,
        dtype: str = "float32",
        method: str = "auto",
    ) -> None:
        super().__init__()
        config = self._validate_config(
            {
                "in_channels": in_channels,
                "out_channels": out_channels,
                "kernel_size": kernel_size,
                "stride": stride,
                "padding": padding,
                "bias": bias,
                "dtype": dtype,
                "method": method,
            }
        )
        rng = as_rng(seed)
        self._configure(config)
        self._init_params(config, rng)

    _REQUIRED = ("in_channels", "out_channels", "kernel_size")
    _DEFAULTS = {"stride": 1, "padding": 0, "bias": True, "dtype": "float32", "method": "auto"}

    @classmethod
    def _validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        out = _window_config(config)
        out["method"] = check_choice(config["method"], "method", METHODS)
        return out

    @classmethod
    def _param_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        kh, kw = config["kernel_size"]
        shapes = {"weight": (config["out_channels"], config["in_channels"], kh, kw)}
        if config["bias"]:
            shapes["bias"] = (config["out_channels"],)
        return shapes

    @classmethod
    def _fan_in(cls, config: dict[str, Any]) -> int:
        kh, kw = config["kernel_size"]
        return config["in_channels"] * kh * kw

    def _configure(self, config: dict[str, Any]) -> None:
        _configure_window(self, config)
        self.method = config["method"]

    @classmethod
    def from_receptive_fields(
        cls,
        rfs: ReceptiveField | list[ReceptiveField],
        pixels_per_degree: float,
        *,
        kernel_size: int | None = None,
        n_sigma: float = 3.0,
        trainable: bool = True,
        normalize: bool = True,
        stride: int = 1,
        padding: int | str = "same",
        dtype: str = "float32",
        method: str = "auto",
    ) -> Conv2D:
        """A single-input-channel Conv2D whose kernels are cortex RF models.

        Parameters
        ----------
        rfs : ReceptiveField or list of ReceptiveField
            One output channel per RF (a complex cell gives two channels: its
            even and odd parts).
        pixels_per_degree : float
            Sampling density of the input images.
        kernel_size : int, optional
            Odd kernel side in pixels; default: the largest RF's
            ``2 * kernel_radius + 1`` at ``n_sigma``.  Smaller RFs are
            zero-padded, larger ones cropped.
        n_sigma : float, optional
            Kernel support in sigmas (when ``kernel_size`` is None).
        trainable : bool, optional
            False freezes the layer (a fixed V1-like front end).
        normalize : bool, optional
            Scale each kernel to unit L2 norm (its shape is the RF's), the
            order of magnitude of a random ``1/sqrt(fan_in)`` initialisation,
            so a trainable front end starts with sensible gradients.  False
            keeps the RF's physical units (see
            :meth:`~cortex.ReceptiveField.kernel`).
        stride : int, optional
            Output lattice spacing.
        padding : int or "same", optional
            ``"same"`` pads ``kernel_size // 2`` (output as large as input).
        dtype, method : str, optional
            As for :class:`Conv2D`.

        Returns
        -------
        Conv2D
            The layer (bias zero).

        Raises
        ------
        TypeError
            If ``rfs`` is not a ReceptiveField or a list of them, a flag is
            not a bool, or a size is not an integer.
        ValueError
            If ``rfs`` is empty, ``kernel_size`` is even or ``padding`` is
            neither ``"same"`` nor an integer >= 0.
        MemoryBudgetError
            If the kernel bank would exceed the memory budget.
        """
        trainable = check_bool(trainable, "trainable")
        normalize = check_bool(normalize, "normalize")
        if isinstance(padding, str):
            check_choice(padding, "padding", ("same",))
        if isinstance(rfs, ReceptiveField):
            rf_list = [rfs]
        elif isinstance(rfs, Iterable) and not isinstance(rfs, str | bytes):
            rf_list = list(rfs)
        else:
            raise TypeError(
                f"`rfs` must be a ReceptiveField or a list of them, got {_describe(rfs)}"
            )
        if not rf_list:
            raise ValueError("`rfs` must hold at least one ReceptiveField, got an empty list")
        kernels = []
        for i, rf in enumerate(rf_list):
            if not isinstance(rf, ReceptiveField):
                raise TypeError(f"`rfs[{i}]` must be a ReceptiveField, got {type(rf).__name__}")
            k = rf.kernel(pixels_per_degree, n_sigma=n_sigma)
            kernels.extend([k.real, k.imag] if np.iscomplexobj(k) else [k])
        if kernel_size is None:
            size = max(k.shape[0] for k in kernels)
        else:
            size = check_integer(kernel_size, "kernel_size", minimum=1)
            if size % 2 == 0:
                raise ValueError(f"`kernel_size` must be odd for RF kernels, got {size}")
        check_memory(
            min(2.0 * len(kernels) * size * size * 8, 1e300),
            f"the kernel bank of Conv2D.from_receptive_fields ({len(kernels)} kernels of "
            f"{size}x{size} px)",
        )
        bank = np.zeros((len(kernels), 1, size, size))
        for i, k in enumerate(kernels):
            h, m = k.shape[0] // 2, size // 2
            if h <= m:
                bank[i, 0, m - h : m + h + 1, m - h : m + h + 1] = k
            else:
                bank[i, 0] = k[h - m : h + m + 1, h - m : h + m + 1]
        if normalize:
            norms = np.sqrt((bank**2).sum(axis=(1, 2, 3), keepdims=True))
            bank = bank / np.where(norms > 0, norms, 1.0)
        if padding == "same":
            padding = size // 2
        layer = cls(
            1, len(kernels), size, stride=stride, padding=padding, dtype=dtype, method=method
        )
        layer.params["weight"][...] = bank
        layer.params["bias"][...] = 0.0
        layer.trainable = trainable
        return layer

    def config(self) -> dict[str, Any]:
        """Constructor arguments."""
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": self.stride,
            "padding": self.padding,
            "bias": self.use_bias,
            "dtype": self.dtype,
            "method": self.method,
        }

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(out_channels, Ho, Wo)`` for an input ``(in_channels, H, W)``."""
        c, h, w = _check_chw(input_shape, self.in_channels, type(self).__name__)
        kh, kw = self.kernel_size
        _check_fits((h, w), self.kernel_size, self.padding, type(self).__name__)
        return (
            self.out_channels,
            output_size(h, kh, self.stride, self.padding),
            output_size(w, kw, self.stride, self.padding),
        )

    def forward(self, x: np.ndarray, *, check_finite: bool = True) -> np.ndarray:
        """Correlate ``x`` of shape ``(N, in, H, W)``; returns ``(N, out, Ho, Wo)``.

        Parameters
        ----------
        x : array_like, shape (N, in, H, W)
            Input batch.
        check_finite : bool, optional
            Refuse NaN or infinite values in ``x`` (and values beyond the
            layer's float32 range), at the cost of one ``min`` and one
            ``max`` over ``x``.  Networks check their input once and skip the
            check for the layers behind the first.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If ``x`` has the wrong shape, or (with ``check_finite``) holds NaN
            or infinite values, or values so large that the output overflows.
        """
        x, largest = _check_input(x, "x", 4, _DTYPES[self.dtype], check_finite)
        self.output_shape(x.shape[1:])
        kept: list = []
        # in training, a patch matrix up to CHUNK_BYTES["keep"] is built once and kept for
        # backward; larger ones are streamed in cache-sized chunks and rebuilt there
        with _OverflowGuard(largest, self.dtype) as guard:
            out = _correlate_grid(
                x,
                self.params["weight"],
                self.stride,
                self.padding,
                self.method,
                chunk_bytes=CHUNK_BYTES["keep"] if self.training else None,
                keep=kept if self.training else None,
            )
            if self.use_bias:
                out += self.params["bias"][:, None, None]  # `out` is a fresh array
        self._cache = (x, out.shape, kept[0] if kept else None)
        return guard.check(out)

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Gradient w.r.t. the input; accumulates weight and bias gradients.

        With ``input_grad=False`` (the first layer of a network) the input
        gradient is not computed and None is returned.
        """
        x, out_shape, patches = self._cached()
        grad = _check_grad(grad, out_shape, _DTYPES[self.dtype])
        if self.trainable and self.use_bias:
            self.grads["bias"] += to_columns(grad).sum(axis=1)  # contiguous rows
        if not (self.trainable or input_grad):
            return None
        dx, dw = correlate_backward(
            x,
            self.params["weight"],
            grad,
            stride=self.stride,
            padding=self.padding,
            input_grad=input_grad,
            weight_grad=self.trainable,
            patches=patches,
        )
        if dw is not None:
            self.grads["weight"] += dw
        return dx


class LocallyConnected2D(Layer):
    """Like :class:`Conv2D` but with **unshared** weights: one RF per output position.

    This is the literal biological layer: every neuron has its own RF
    weights at its own location (PyTorch never shipped it; Keras 3 removed
    it).  With all positions' weights tied it equals a :class:`Conv2D`.

    Parameters
    ----------
    in_channels, out_channels : int
        Channel counts.
    input_size : (int, int)
        ``(H, W)`` of the input (the number of positions depends on it).
    kernel_size : int or (int, int)
        RF size in pixels.
    stride, padding : int, optional
        As for :class:`Conv2D`.
    bias : bool, optional
        A bias per output unit.
    seed : None, int or numpy.random.Generator, optional
        Initialisation, uniform in ``+-1/sqrt(fan_in)``.
    dtype : {"float32", "float64"}, optional
        Parameter dtype.

    Attributes
    ----------
    params : dict
        ``"weight"`` of shape ``(Ho, Wo, out, in, kh, kw)`` and ``"bias"`` of
        shape ``(out, Ho, Wo)``.

    Raises
    ------
    TypeError
        If a size is not an integer (booleans and strings are refused),
        ``bias`` is not a bool, ``dtype`` is not float32/float64 or ``seed``
        is not a seed.
    ValueError
        If a size is out of range or the kernel does not fit the
        padded input.
    MemoryBudgetError
        If the weights and their gradients would exceed the memory budget
        (:func:`cortex.memory_budget`); refused before allocating.

    Notes
    -----
    The two parameters are laid out differently on purpose.  The weight puts
    positions first, ``(Ho, Wo, out, in, kh, kw)``: ``weight[i, j]`` is the
    ``(out, in, kh, kw)`` bank of the neurons at output position ``(i, j)``,
    exactly a :class:`Conv2D` weight, so tying all positions to one Conv2D
    is ``weight[...] = conv_weight`` (:meth:`from_conv2d`) and the forward
    pass is one batched GEMM over positions.  The bias is laid out like the
    layer's output map, ``(out, Ho, Wo)``, so it broadcasts onto the
    ``(N, out, Ho, Wo)`` output as is and ``bias[o]`` is channel ``o``'s bias
    map; tying it to a Conv2D's bias is ``bias[...] = conv_bias[:, None, None]``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        input_size: tuple[int, int],
        kernel_size: int | tuple[int, int],
        *,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        seed: int | np.random.Generator | None = None,
        dtype: str = "float32",
    ) -> None:
        super().__init__()
        config = self._validate_config(
            {
                "in_channels": in_channels,
                "out_channels": out_channels,
                "input_size": input_size,
                "kernel_size": kernel_size,
                "stride": stride,
                "padding": padding,
                "bias": bias,
                "dtype": dtype,
            }
        )
        rng = as_rng(seed)
        self._configure(config)
        self._init_params(config, rng)

    _REQUIRED = ("in_channels", "out_channels", "input_size", "kernel_size")
    _DEFAULTS = {"stride": 1, "padding": 0, "bias": True, "dtype": "float32"}

    @classmethod
    def _validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        out = _window_config(config)
        out["input_size"] = _pair(config["input_size"], "input_size", minimum=1)
        (h, w), (kh, kw), p = out["input_size"], out["kernel_size"], out["padding"]
        if kh > h + 2 * p or kw > w + 2 * p:
            raise ValueError(
                f"`kernel_size` {kh}x{kw} is larger than the padded input {h + 2 * p}x"
                f"{w + 2 * p} (`input_size` {h}x{w}, `padding` {p})"
            )
        return out

    @classmethod
    def _param_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        (kh, kw), s, p = config["kernel_size"], config["stride"], config["padding"]
        ho = output_size(config["input_size"][0], kh, s, p)
        wo = output_size(config["input_size"][1], kw, s, p)
        o, c = config["out_channels"], config["in_channels"]
        shapes = {"weight": (ho, wo, o, c, kh, kw)}
        if config["bias"]:
            shapes["bias"] = (o, ho, wo)
        return shapes

    @classmethod
    def _fan_in(cls, config: dict[str, Any]) -> int:
        kh, kw = config["kernel_size"]
        return config["in_channels"] * kh * kw

    def _configure(self, config: dict[str, Any]) -> None:
        _configure_window(self, config)
        self.input_size = config["input_size"]

    @classmethod
    def from_conv2d(cls, conv: Conv2D, input_size: tuple[int, int]) -> LocallyConnected2D:
        """A locally connected layer whose every position holds ``conv``'s weights (tied)."""
        if not isinstance(conv, Conv2D):
            raise TypeError(f"`conv` must be a Conv2D, got {type(conv).__name__}")
        config = cls._validate_config({**conv.config(), "input_size": input_size})
        layer = cls._from_config(config)  # no random draws: every weight is overwritten
        layer.params["weight"][...] = conv.params["weight"][None, None]
        if conv.use_bias:
            layer.params["bias"][...] = conv.params["bias"][:, None, None]
        return layer

    def config(self) -> dict[str, Any]:
        """Constructor arguments."""
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "input_size": list(self.input_size),
            "kernel_size": list(self.kernel_size),
            "stride": self.stride,
            "padding": self.padding,
            "bias": self.use_bias,
            "dtype": self.dtype,
        }

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(out_channels, Ho, Wo)``; the input must be ``(in_channels, *input_size)``."""
        c, h, w = _check_chw(input_shape, self.in_channels, type(self).__name__)
        if (h, w) != self.input_size:
            raise ValueError(
                f"LocallyConnected2D was built for inputs of size {self.input_size}, got {(h, w)}"
            )
        return (self.out_channels,) + self.params["weight"].shape[:2]

    def forward(self, x: np.ndarray, *, check_finite: bool = True) -> np.ndarray:
        """Each output unit's own RF weights summed over its input patch.

        Parameters
        ----------
        x : array_like, shape (N, in, H, W)
            Input batch.
        check_finite : bool, optional
            Refuse NaN or infinite values in ``x`` (and values beyond the
            layer's float32 range), at the cost of one ``min`` and one
            ``max`` over ``x``.  Networks check their input once and skip the
            check for the layers behind the first.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If ``x`` has the wrong shape, or (with ``check_finite``) holds NaN
            or infinite values, or values so large that the output overflows.
        MemoryBudgetError
            If the patch matrix (kept for ``backward``) would exceed the
            memory budget.
        """
        x, largest = _check_input(x, "x", 4, _DTYPES[self.dtype], check_finite)
        self.output_shape(x.shape[1:])
        n = x.shape[0]
        kh, kw = self.kernel_size
        ho, wo, o = self.params["weight"].shape[:3]
        k = self.in_channels * kh * kw
        check_memory(
            2.0 * k * ho * wo * n * x.itemsize,
            f"the patch matrix of LocallyConnected2D.forward ({n} samples x {ho * wo} "
            f"positions x {k} inputs, and its transposed copy)",
        )
        cols, _, _ = im2col(x, kh, kw, self.stride, self.padding)  # (K, L * N)
        patches = cols.reshape(-1, ho * wo, n).transpose(1, 2, 0)  # (L, N, K)
        weight = self.params["weight"].reshape(ho * wo, o, -1)  # (L, out, K)
        with _OverflowGuard(largest, self.dtype) as guard:
            out = np.matmul(patches, weight.transpose(0, 2, 1))  # (L, N, out)
            out = out.transpose(1, 2, 0).reshape(n, o, ho, wo)
            if self.use_bias:
                out = out + self.params["bias"]
        self._cache = (x, patches, out.shape)
        return guard.check(out)

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Gradient w.r.t. the input (None if not ``input_grad``); accumulates weight gradients."""
        x, patches, out_shape = self._cached()
        grad = _check_grad(grad, out_shape, _DTYPES[self.dtype])
        n, o, ho, wo = out_shape
        kh, kw = self.kernel_size
        g = grad.reshape(n, o, ho * wo).transpose(2, 0, 1)  # (L, N, out)
        if self.trainable:
            dw = np.matmul(g.transpose(0, 2, 1), patches)  # (L, out, K)
            self.grads["weight"] += dw.reshape(self.params["weight"].shape)
            if self.use_bias:
                self.grads["bias"] += grad.sum(axis=0)
        if not input_grad:
            return None
        weight = self.params["weight"].reshape(ho * wo, o, -1)
        dpatches = np.matmul(g, weight)  # (L, N, K)
        dcols = dpatches.transpose(2, 0, 1).reshape(-1, ho * wo * n)
        return col2im(dcols, x.shape, kh, kw, self.stride, self.padding)


class ReLU(Layer):
    """Rectified linear unit: ``max(x, 0)``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``max(x, 0)`` for a batch ``x`` of shape ``(N, ...)``.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If ``x`` is not a non-empty batch.
        """
        x = _as_batch(x)
        mask = x > 0
        self._cache = mask
        return x * mask

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        """Pass the gradient where the input was positive."""
        mask = self._cached()
        return _check_grad(grad, mask.shape, None) * mask


class _Pool2D(Layer):
    _REQUIRED = ("kernel_size",)
    _DEFAULTS = {"stride": None, "padding": 0}

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0) -> None:
        super().__init__()
        config = self._validate_config(
            {"kernel_size": kernel_size, "stride": stride, "padding": padding}
        )
        self._configure(config)

    @classmethod
    def _validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        kernel_size = _pair(config["kernel_size"], "kernel_size", minimum=1)
        stride = config["stride"]
        stride = kernel_size[0] if stride is None else check_integer(stride, "stride", minimum=1)
        padding = check_integer(config["padding"], "padding", minimum=0)
        if padding > min(kernel_size) // 2:
            raise ValueError(
                f"`padding` must be at most half the kernel size ({min(kernel_size) // 2}), "
                f"got {padding}"
            )
        return {"kernel_size": kernel_size, "stride": stride, "padding": padding}

    def _configure(self, config: dict[str, Any]) -> None:
        self.kernel_size = config["kernel_size"]
        self.stride = config["stride"]
        self.padding = config["padding"]

    def config(self) -> dict[str, Any]:
        """Constructor arguments."""
        return {
            "kernel_size": list(self.kernel_size),
            "stride": self.stride,
            "padding": self.padding,
        }

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(C, Ho, Wo)``."""
        c, h, w = _check_chw(input_shape, None, type(self).__name__)
        _check_fits((h, w), self.kernel_size, self.padding, type(self).__name__)
        kh, kw = self.kernel_size
        return (
            c,
            output_size(h, kh, self.stride, self.padding),
            output_size(w, kw, self.stride, self.padding),
        )

    def _taps(self, x: np.ndarray, pad_value: float) -> list[np.ndarray]:
        """Per window tap, the strided view of the padded input it contributes."""
        kh, kw = self.kernel_size
        s, p = self.stride, self.padding
        _, ho, wo = self.output_shape(x.shape[1:])
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad_value)
        views = [
            x[:, :, a : a + s * ho : s, b : b + s * wo : s] for a in range(kh) for b in range(kw)
        ]
        return views

    def _grad_buffer(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Padded input gradient, ``(C, H, W, N)`` memory seen as ``(N, C, H, W)``.

        Zeroed, unless the windows tile the input exactly (every pixel is
        written by exactly one tap).
        """
        n, c, h, w = shape
        p = self.padding
        (kh, kw), s = self.kernel_size, self.stride
        tiled = p == 0 and kh == kw == s and h % s == 0 and w % s == 0
        make = np.empty if tiled else np.zeros
        return make((c, h + 2 * p, w + 2 * p, n), dtype=dtype).transpose(3, 0, 1, 2)

    def _tap_views(self, dx: np.ndarray, out_shape: tuple[int, ...]) -> list[np.ndarray]:
        """The views of the padded gradient buffer ``dx`` that each window tap reads."""
        kh, kw = self.kernel_size
        s = self.stride
        ho, wo = out_shape[2:]
        return [
            dx[:, :, a : a + s * ho : s, b : b + s * wo : s] for a in range(kh) for b in range(kw)
        ]

    def _unpad(self, dx: np.ndarray) -> np.ndarray:
        p = self.padding
        return dx[:, :, p : dx.shape[2] - p, p : dx.shape[3] - p]

    @property
    def _disjoint(self) -> bool:
        """Windows do not overlap: each input pixel belongs to at most one window."""
        return self.stride >= self.kernel_size[0] and self.stride >= self.kernel_size[1]


class MaxPool2D(_Pool2D):
    """Max pooling over ``kernel_size`` windows (stride defaults to the kernel size).

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window size.
    stride : int, optional
        Window spacing (default: ``kernel_size``).
    padding : int, optional
        ``-inf`` padding on each side, at most half the window.

    Raises
    ------
    TypeError
        If a size is not an integer (booleans and strings are refused).
    ValueError
        If a size is out of range or ``padding`` exceeds half the window.

    Notes
    -----
    Ties go to the first maximum in raster order (as ``numpy.argmax``), so the
    gradient of each window reaches exactly one input.
    """

    def forward(self, x: np.ndarray, *, check_finite: bool = True) -> np.ndarray:
        """Maximum over each window.

        Parameters
        ----------
        x : array_like, shape (N, C, H, W)
            Input batch.
        check_finite : bool, optional
            Refuse NaN or infinite values in ``x`` (and values beyond the
            layer's float32 range), at the cost of one ``min`` and one
            ``max`` over ``x``.  Networks check their input once and skip the
            check for the layers behind the first.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If ``x`` has the wrong shape, or (with ``check_finite``) holds NaN
            or infinite values, or values so large that the output overflows.
        """
        x = _as_numeric(x, "x")
        x, _ = _check_input(x, "x", 4, np.result_type(x.dtype, np.float32), check_finite)
        views = self._taps(x, -np.inf)
        best = views[0].copy(order="K")  # keeps the input's memory layout
        # index of the first tap holding the maximum: a later tap t wins only where it is
        # strictly greater, so ties go to the first in raster order; t grows, so the
        # running index is max(arg, t * greater) (no masked writes, which are slow)
        index_type = np.min_scalar_type(len(views) - 1).type  # uint8 up to 256 taps
        arg = np.zeros_like(best, dtype=index_type)
        greater = np.empty_like(best, dtype=bool)
        tap = np.empty_like(arg)
        for t, view in enumerate(views[1:], start=1):  # a loop over window taps, not pixels
            np.greater(view, best, out=greater)
            np.maximum(best, view, out=best)  # propagates NaN, as torch does
            np.multiply(greater, index_type(t), out=tap)
            np.maximum(arg, tap, out=arg)
        self._cache = (x.shape, arg)
        return best

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        """Route each gradient to its window's maximum."""
        shape, arg = self._cached()
        grad = _check_grad(grad, arg.shape, None)
        tiled = _tiled_layout(shape, self.kernel_size, self.stride, self.padding, arg, grad)
        if tiled is not None:
            return tiled
        dx = self._grad_buffer(shape, grad.dtype)
        hit = np.empty_like(arg, dtype=bool)
        for t, view in enumerate(self._tap_views(dx, arg.shape)):  # taps, not pixels
            np.equal(arg, t, out=hit)
            if self._disjoint:  # each input pixel is under one tap: write, no read-back
                np.multiply(grad, hit, out=view)
            else:
                view += grad * hit
        return self._unpad(dx)


def _tiled_layout(
    shape: tuple[int, ...],
    kernel_size: tuple[int, int],
    stride: int,
    padding: int,
    arg: np.ndarray,
    grad: np.ndarray,
) -> np.ndarray | None:
    """Max-pool backward in one vectorised pass when the windows tile the input.

    With ``(C, H, W, N)`` memory (the layout the layers produce), an input
    tiled by ``kh x kw`` windows is a ``(C, Ho, kh, Wo, kw, N)`` array, so the
    gradient of every tap is written by one broadcast comparison of the
    argmax with the tap index.  Returns None (the caller loops over taps)
    when the windows do not tile the input or the layouts differ.
    """
    n, c, h, w = shape
    (kh, kw), s = kernel_size, stride
    ho, wo = arg.shape[2:]
    if padding or kh != s or kw != s or h != ho * kh or w != wo * kw:
        return None
    arg_m, grad_m = arg.transpose(1, 2, 3, 0), grad.transpose(1, 2, 3, 0)
    if not (arg_m.flags.c_contiguous and grad_m.flags.c_contiguous):
        return None
    dx = np.empty((c, h, w, n), dtype=grad.dtype)
    taps = np.arange(kh * kw, dtype=arg.dtype).reshape(1, 1, kh, 1, kw, 1)
    np.multiply(
        grad_m[:, :, np.newaxis, :, np.newaxis],
        arg_m[:, :, np.newaxis, :, np.newaxis] == taps,
        out=dx.reshape(c, ho, kh, wo, kw, n),
    )
    return dx.transpose(3, 0, 1, 2)


class AvgPool2D(_Pool2D):
    """Average pooling (zero padding counts in the average, as PyTorch's default).

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window size.
    stride : int, optional
        Window spacing (default: ``kernel_size``).
    padding : int, optional
        Zero padding on each side, at most half the window.

    Raises
    ------
    TypeError
        If a size is not an integer (booleans and strings are refused).
    ValueError
        If a size is out of range or ``padding`` exceeds half the window.
    """

    def forward(self, x: np.ndarray, *, check_finite: bool = True) -> np.ndarray:
        """Mean over each window.

        Parameters
        ----------
        x : array_like, shape (N, C, H, W)
            Input batch.
        check_finite : bool, optional
            Refuse NaN or infinite values in ``x`` (and values beyond the
            layer's float32 range), at the cost of one ``min`` and one
            ``max`` over ``x``.  Networks check their input once and skip the
            check for the layers behind the first.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If ``x`` has the wrong shape, or (with ``check_finite``) holds NaN
            or infinite values, or values so large that the output overflows.
        """
        x = _as_numeric(x, "x")
        x, largest = _check_input(x, "x", 4, np.result_type(x.dtype, np.float32), check_finite)
        views = self._taps(x, 0.0)
        n_taps = len(views)
        if largest * n_taps <= float(np.finfo(x.dtype).max):
            out = views[0].copy(order="K")
            for view in views[1:]:
                out += view
            out /= n_taps
        else:  # the window sums would overflow: average scaled values (finite input, finite mean)
            out = views[0] / n_taps
            for view in views[1:]:
                out += view / n_taps
        self._cache = (x.shape, out.shape)
        return out

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        """Spread each gradient evenly over its window."""
        shape, out_shape = self._cached()
        grad = _check_grad(grad, out_shape, None)
        dx = self._grad_buffer(shape, grad.dtype)
        views = self._tap_views(dx, out_shape)
        part = grad / len(views)
        for view in views:  # taps, not pixels
            if self._disjoint:
                view[...] = part
            else:
                view += part
        return self._unpad(dx)


class Flatten(Layer):
    """Flatten ``(N, C, H, W)`` to ``(N, C * H * W)`` (C-order, as ``torch.flatten``)."""

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(prod(input_shape),)``."""
        return (int(np.prod(input_shape)),)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Reshape a batch ``(N, ...)`` to 2-D.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If ``x`` is not a non-empty batch.
        """
        x = _as_batch(x)
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        """Reshape back."""
        shape = self._cached()
        grad = _check_grad(grad, (shape[0], math.prod(shape[1:])), None)
        if grad.ndim == 2 and grad.T.flags.c_contiguous and not grad.flags.c_contiguous:
            # a (features, N) array seen as (N, features) (what Dense.backward returns):
            # reshaped without a copy into (C, H, W, N) memory, the layout the spatial
            # layers' backward passes read fastest
            return np.moveaxis(grad.T.reshape(*shape[1:], shape[0]), -1, 0)
        return grad.reshape(shape)


class Dense(Layer):
    """Fully connected layer: ``y = x @ weight.T + bias`` (as :class:`torch.nn.Linear`).

    Parameters
    ----------
    in_features, out_features : int
        Sizes, >= 1.
    bias : bool, optional
        Learn a bias.
    seed : None, int or numpy.random.Generator, optional
        Initialisation, uniform in ``+-1/sqrt(in_features)``.
    dtype : {"float32", "float64"}, optional
        Parameter dtype.

    Attributes
    ----------
    params : dict
        ``"weight"`` of shape ``(out, in)`` and ``"bias"`` of shape ``(out,)``.

    Raises
    ------
    TypeError
        If a size is not an integer (booleans and strings are refused),
        ``bias`` is not a bool, ``dtype`` is not float32/float64 or ``seed``
        is not a seed.
    ValueError
        If a size is out of range.
    MemoryBudgetError
        If the weights and their gradients would exceed the memory budget
        (:func:`cortex.memory_budget`); refused before allocating.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        bias: bool = True,
        seed: int | np.random.Generator | None = None,
        dtype: str = "float32",
    ) -> None:
        super().__init__()
        config = self._validate_config(
            {"in_features": in_features, "out_features": out_features, "bias": bias, "dtype": dtype}
        )
        rng = as_rng(seed)
        self._configure(config)
        self._init_params(config, rng)

    _REQUIRED = ("in_features", "out_features")
    _DEFAULTS = {"bias": True, "dtype": "float32"}

    @classmethod
    def _validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        return {
            "in_features": check_integer(config["in_features"], "in_features", minimum=1),
            "out_features": check_integer(config["out_features"], "out_features", minimum=1),
            "bias": check_bool(config["bias"], "bias"),
            "dtype": _dtype_name(config["dtype"]),
        }

    @classmethod
    def _param_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        shapes = {"weight": (config["out_features"], config["in_features"])}
        if config["bias"]:
            shapes["bias"] = (config["out_features"],)
        return shapes

    @classmethod
    def _fan_in(cls, config: dict[str, Any]) -> int:
        return config["in_features"]

    def _configure(self, config: dict[str, Any]) -> None:
        self.in_features = config["in_features"]
        self.out_features = config["out_features"]
        self.dtype = config["dtype"]
        self.use_bias = config["bias"]

    def config(self) -> dict[str, Any]:
        """Constructor arguments."""
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.use_bias,
            "dtype": self.dtype,
        }

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(out_features,)``."""
        if tuple(input_shape) != (self.in_features,):
            raise ValueError(
                f"Dense expects inputs of shape (N, {self.in_features}), got per-sample shape "
                f"{tuple(input_shape)}"
            )
        return (self.out_features,)

    def forward(self, x: np.ndarray, *, check_finite: bool = True) -> np.ndarray:
        """``x @ weight.T + bias`` for ``x`` of shape ``(N, in_features)``.

        Parameters
        ----------
        x : array_like, shape (N, in_features)
            Input batch.
        check_finite : bool, optional
            Refuse NaN or infinite values in ``x`` (and values beyond the
            layer's float32 range), at the cost of one ``min`` and one
            ``max`` over ``x``.  Networks check their input once and skip the
            check for the layers behind the first.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If ``x`` has the wrong shape, or (with ``check_finite``) holds NaN
            or infinite values, or values so large that the output overflows.
        """
        x, largest = _check_input(x, "x", 2, _DTYPES[self.dtype], check_finite)
        self.output_shape(x.shape[1:])
        self._cache = x
        with _OverflowGuard(largest, self.dtype) as guard:
            out = x @ self.params["weight"].T
            if self.use_bias:
                out = out + self.params["bias"]
        return guard.check(out)

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Gradient w.r.t. the input (None if not ``input_grad``); accumulates gradients."""
        x = self._cached()
        grad = _check_grad(grad, (x.shape[0], self.out_features), _DTYPES[self.dtype])
        if self.trainable:
            self.grads["weight"] += grad.T @ x
            if self.use_bias:
                self.grads["bias"] += grad.sum(axis=0)
        if not input_grad:
            return None
        # computed as (in, N) and returned as its (N, in) view: Flatten then hands the layers
        # below a batch-innermost gradient without a copy
        return (self.params["weight"].T @ grad.T).T


class Dropout(Layer):
    """Inverted dropout: zero units with probability ``p`` in training, scale others by ``1/(1-p)``.

    Parameters
    ----------
    p : float
        Drop probability in ``[0, 1)``.
    seed : None, int or numpy.random.Generator, optional
        Randomness of the masks (same seed, same masks).

    Raises
    ------
    TypeError
        If ``p`` is not a real number (booleans are refused) or ``seed`` is
        not a seed.
    ValueError
        If ``p`` is not in ``[0, 1)``.
    """

    _DEFAULTS = {"p": 0.5}

    def __init__(self, p: float = 0.5, *, seed: int | np.random.Generator | None = None) -> None:
        super().__init__()
        config = self._validate_config({"p": p})
        rng = as_rng(seed)
        self._configure(config)
        self._rng = rng

    @classmethod
    def _validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        p = check_positive(config["p"], "p", allow_zero=True)
        if p >= 1.0:
            raise ValueError(f"`p` must be < 1, got {p}")
        return {"p": p}

    def _configure(self, config: dict[str, Any]) -> None:
        self.p = config["p"]
        self._rng = as_rng(None)

    def config(self) -> dict[str, Any]:
        """Constructor arguments."""
        return {"p": self.p}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Identity in evaluation mode; random masking in training mode.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If ``x`` is not a non-empty batch.
        """
        x = _as_batch(x)
        if not self.training or self.p == 0.0:
            self._cache = (x.shape, None)
            return x
        keep = (self._rng.random(x.shape) >= self.p).astype(x.dtype) / (1.0 - self.p)
        self._cache = (x.shape, keep)
        return x * keep

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        """Mask the gradient like the forward pass."""
        shape, keep = self._cached()
        grad = _check_grad(grad, shape, None)
        return grad if keep is None else grad * keep


# -- helpers -----------------------------------------------------------------------
def _check_chw(shape: tuple[int, ...], channels: int | None, layer: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(
            f"{layer} expects inputs (N, C, H, W), got per-sample shape {tuple(shape)}"
        )
    c, h, w = shape
    if channels is not None and c != channels:
        raise ValueError(f"{layer} expects {channels} input channel(s), got {c}")
    return c, h, w


def _check_fits(size: tuple[int, int], kernel: tuple[int, int], padding: int, layer: str) -> None:
    h, w = size
    kh, kw = kernel
    if kh > h + 2 * padding or kw > w + 2 * padding:
        raise ValueError(
            f"{layer}: kernel {kh}x{kw} is larger than the padded input "
            f"{h + 2 * padding}x{w + 2 * padding}"
        )


def _check_grad(grad: object, shape: tuple[int, ...], dtype: type | None) -> np.ndarray:
    grad = np.asarray(grad)
    if grad.shape != tuple(shape):
        raise ValueError(f"`grad` must have the output's shape {tuple(shape)}, got {grad.shape}")
    return grad if dtype is None else grad.astype(dtype, copy=False)
