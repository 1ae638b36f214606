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
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import as_rng, check_choice, check_integer, check_positive
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
    try:
        name = np.dtype(dtype).name
    except TypeError as exc:
        raise TypeError(f"`dtype` must be float32 or float64, got {dtype!r}") from exc
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


def _check_input(x: object, name: str, ndim: int, dtype: type) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"`{name}` must hold real numbers, got dtype {x.dtype}")
    if x.ndim != ndim:
        raise ValueError(f"`{name}` must be {ndim}-D, got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"`{name}` must not be an empty batch, got shape {x.shape}")
    return x.astype(dtype, copy=False)


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
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.trainable = True
        self.training = True
        self._cache: Any = None

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Output for input ``x``."""
        raise NotImplementedError

    def backward(
        self, grad: np.ndarray, *, input_grad: bool = True
    ) -> np.ndarray | None:  # pragma: no cover - abstract
        """Gradient w.r.t. the input, given the gradient w.r.t. the output.

        Layers with parameters skip the input gradient (and return None) when
        ``input_grad`` is False; the first layer of a network needs none.
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

    def _init_params(
        self,
        weight_shape: tuple[int, ...],
        bias_shape: tuple[int, ...] | None,
        fan_in: int,
        seed: int | np.random.Generator | None,
    ) -> None:
        """Uniform ``+-1/sqrt(fan_in)`` weights (and bias) in the layer's dtype."""
        rng = as_rng(seed)
        bound = 1.0 / math.sqrt(fan_in)
        dtype = _DTYPES[self.dtype]
        self.params["weight"] = rng.uniform(-bound, bound, weight_shape).astype(dtype)
        if bias_shape is not None:
            self.params["bias"] = rng.uniform(-bound, bound, bias_shape).astype(dtype)
        self.zero_grad()

    def _init_window(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int,
        padding: int,
        bias: bool,
        dtype: str,
    ) -> None:
        """Validate and store the geometry shared by Conv2D and LocallyConnected2D."""
        self.in_channels = check_integer(in_channels, "in_channels", minimum=1)
        self.out_channels = check_integer(out_channels, "out_channels", minimum=1)
        self.kernel_size = _pair(kernel_size, "kernel_size", minimum=1)
        self.stride = check_integer(stride, "stride", minimum=1)
        self.padding = check_integer(padding, "padding", minimum=0)
        self.dtype = _dtype_name(dtype)
        self.use_bias = bool(bias)

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
    method : {"auto", "fft", "direct", "centers"}, optional
        Correlation method (see :func:`cortex.correlation.correlate`).

    Attributes
    ----------
    params : dict
        ``"weight"`` of shape ``(out, in, kh, kw)`` and ``"bias"`` of shape ``(out,)``.
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
        self._init_window(in_channels, out_channels, kernel_size, stride, padding, bias, dtype)
        self.method = check_choice(method, "method", METHODS)
        kh, kw = self.kernel_size
        self._init_params(
            (self.out_channels, self.in_channels, kh, kw),
            (self.out_channels,) if self.use_bias else None,
            self.in_channels * kh * kw,
            seed,
        )

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
        """
        rf_list = [rfs] if isinstance(rfs, ReceptiveField) else list(rfs)
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
        layer.trainable = bool(trainable)
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

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Correlate ``x`` of shape ``(N, in, H, W)``; returns ``(N, out, Ho, Wo)``."""
        x = _check_input(x, "x", 4, _DTYPES[self.dtype])
        self.output_shape(x.shape[1:])
        kept: list = []
        # in training, a patch matrix up to CHUNK_BYTES["keep"] is built once and kept for
        # backward; larger ones are streamed in cache-sized chunks and rebuilt there
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
        return out

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Gradient w.r.t. the input; accumulates weight and bias gradients.

        With ``input_grad=False`` (the first layer of a network) the input
        gradient is not computed and None is returned.
        """
        x, out_shape, patches = self._cache
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
        self._init_window(in_channels, out_channels, kernel_size, stride, padding, bias, dtype)
        self.input_size = _pair(input_size, "input_size", minimum=1)
        _check_fits(self.input_size, self.kernel_size, self.padding, type(self).__name__)
        kh, kw = self.kernel_size
        ho = output_size(self.input_size[0], kh, self.stride, self.padding)
        wo = output_size(self.input_size[1], kw, self.stride, self.padding)
        self._init_params(
            (ho, wo, self.out_channels, self.in_channels, kh, kw),
            (self.out_channels, ho, wo) if self.use_bias else None,
            self.in_channels * kh * kw,
            seed,
        )

    @classmethod
    def from_conv2d(cls, conv: Conv2D, input_size: tuple[int, int]) -> LocallyConnected2D:
        """A locally connected layer whose every position holds ``conv``'s weights (tied)."""
        if not isinstance(conv, Conv2D):
            raise TypeError(f"`conv` must be a Conv2D, got {type(conv).__name__}")
        layer = cls(
            conv.in_channels,
            conv.out_channels,
            input_size,
            conv.kernel_size,
            stride=conv.stride,
            padding=conv.padding,
            bias=conv.use_bias,
            dtype=conv.dtype,
        )
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

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Each output unit's own RF weights summed over its input patch."""
        x = _check_input(x, "x", 4, _DTYPES[self.dtype])
        self.output_shape(x.shape[1:])
        n = x.shape[0]
        kh, kw = self.kernel_size
        ho, wo, o = self.params["weight"].shape[:3]
        cols, _, _ = im2col(x, kh, kw, self.stride, self.padding)  # (K, L * N)
        patches = cols.reshape(-1, ho * wo, n).transpose(1, 2, 0)  # (L, N, K)
        weight = self.params["weight"].reshape(ho * wo, o, -1)  # (L, out, K)
        out = np.matmul(patches, weight.transpose(0, 2, 1))  # (L, N, out)
        out = out.transpose(1, 2, 0).reshape(n, o, ho, wo)
        if self.use_bias:
            out = out + self.params["bias"]
        self._cache = (x, patches, out.shape)
        return out

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Gradient w.r.t. the input (None if not ``input_grad``); accumulates weight gradients."""
        x, patches, out_shape = self._cache
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
        """``max(x, 0)``."""
        x = np.asarray(x)
        mask = x > 0
        self._cache = mask
        return x * mask

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        """Pass the gradient where the input was positive."""
        mask = self._cache
        return _check_grad(grad, mask.shape, None) * mask


class _Pool2D(Layer):
    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size", minimum=1)
        self.stride = (
            self.kernel_size[0] if stride is None else check_integer(stride, "stride", minimum=1)
        )
        self.padding = check_integer(padding, "padding", minimum=0)
        if self.padding > min(self.kernel_size) // 2:
            raise ValueError(
                f"`padding` must be at most half the kernel size ({min(self.kernel_size) // 2}), "
                f"got {self.padding}"
            )

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

    Notes
    -----
    Ties go to the first maximum in raster order (as ``numpy.argmax``), so the
    gradient of each window reaches exactly one input.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Maximum over each window."""
        x = _check_input(x, "x", 4, np.result_type(np.asarray(x).dtype, np.float32))
        views = self._taps(x, -np.inf)
        best = views[0].copy(order="K")  # keeps the input's memory layout
        # index of the first tap holding the maximum: a later tap t wins only where it is
        # strictly greater, so ties go to the first in raster order; t grows, so the
        # running index is max(arg, t * greater) (no masked writes, which are slow)
        index_type = np.uint8 if len(views) <= 256 else np.uint16
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
        shape, arg = self._cache
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
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Mean over each window."""
        x = _check_input(x, "x", 4, np.result_type(np.asarray(x).dtype, np.float32))
        views = self._taps(x, 0.0)
        out = views[0].copy(order="K")
        for view in views[1:]:
            out += view
        out /= len(views)
        self._cache = (x.shape, out.shape)
        return out

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        """Spread each gradient evenly over its window."""
        shape, out_shape = self._cache
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
        """Reshape to 2-D."""
        x = np.asarray(x)
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        """Reshape back."""
        shape = self._cache
        return _check_grad(grad, (shape[0], int(np.prod(shape[1:]))), None).reshape(shape)


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
        self.in_features = check_integer(in_features, "in_features", minimum=1)
        self.out_features = check_integer(out_features, "out_features", minimum=1)
        self.dtype = _dtype_name(dtype)
        self.use_bias = bool(bias)
        self._init_params(
            (self.out_features, self.in_features),
            (self.out_features,) if self.use_bias else None,
            self.in_features,
            seed,
        )

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

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x @ weight.T + bias`` for ``x`` of shape ``(N, in_features)``."""
        x = _check_input(x, "x", 2, _DTYPES[self.dtype])
        self.output_shape(x.shape[1:])
        self._cache = x
        out = x @ self.params["weight"].T
        return out + self.params["bias"] if self.use_bias else out

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Gradient w.r.t. the input (None if not ``input_grad``); accumulates gradients."""
        x = self._cache
        grad = _check_grad(grad, (x.shape[0], self.out_features), _DTYPES[self.dtype])
        if self.trainable:
            self.grads["weight"] += grad.T @ x
            if self.use_bias:
                self.grads["bias"] += grad.sum(axis=0)
        return grad @ self.params["weight"] if input_grad else None


class Dropout(Layer):
    """Inverted dropout: zero units with probability ``p`` in training, scale others by ``1/(1-p)``.

    Parameters
    ----------
    p : float
        Drop probability in ``[0, 1)``.
    seed : None, int or numpy.random.Generator, optional
        Randomness of the masks (same seed, same masks).
    """

    def __init__(self, p: float = 0.5, *, seed: int | np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = check_positive(p, "p", allow_zero=True)
        if self.p >= 1.0:
            raise ValueError(f"`p` must be < 1, got {self.p}")
        self._rng = as_rng(seed)

    def config(self) -> dict[str, Any]:
        """Constructor arguments."""
        return {"p": self.p}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Identity in evaluation mode; random masking in training mode."""
        x = np.asarray(x)
        if not self.training or self.p == 0.0:
            self._cache = None
            return x
        keep = (self._rng.random(x.shape) >= self.p).astype(x.dtype) / (1.0 - self.p)
        self._cache = keep
        return x * keep

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        """Mask the gradient like the forward pass."""
        return grad if self._cache is None else grad * self._cache


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
