"""PyTorch bridge: a cortex ConvNet as a ``torch.nn.Sequential`` and back (extra ``cortex[torch]``).

This is the only module of cortex that imports :mod:`torch`, and nothing in
cortex imports it at import time: :func:`cortex.nn.to_torch` and
:func:`cortex.nn.from_torch` load it on their first call.  Without PyTorch
the module still imports, and calling either function raises an
:class:`ImportError` that names the extra to install,
``pip install 'cortex[torch]'``.

Layer mapping (``to_torch`` left to right, ``from_torch`` right to left)::

    cortex.nn                     torch.nn
    ----------------------------  ------------------------------------------------------
    Conv2D                        Conv2d (stride, padding, bias; dilation 1, groups 1,
                                  padding_mode "zeros"; one stride and one padding for
                                  both axes; padding "valid", or "same" with an odd
                                  square kernel)
    LocallyConnected2D            LocallyConnected2d (this module, on F.unfold)
    Dense                         Linear
    ReLU                          ReLU (inplace or not)
    MaxPool2D                     MaxPool2d (no dilation, ceil_mode, return_indices)
    AvgPool2D                     AvgPool2d (count_include_pad=True, ceil_mode=False,
                                  divisor_override=None)
    Flatten                       Flatten (start_dim=1, end_dim=-1)
    Dropout                       Dropout (same p; the masks differ: outputs are equal
                                  in evaluation mode only)

Parameters are copied (never shared), in the same layout, so a round trip
cortex -> torch -> cortex gives bit-identical parameters.  Training mode and
frozen layers carry over: ``layer.training`` is the torch module's
``training`` flag, ``layer.trainable=False`` is ``requires_grad=False`` on
every parameter of the layer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._validation import _describe, check_memory
from .layers import (
    AvgPool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LocallyConnected2D,
    MaxPool2D,
    ReLU,
    _dtype_name,
)
from .network import Sequential

try:
    import torch
    from torch import nn
    from torch.nn import functional as F  # noqa: N812
except ImportError as _exc:  # the extra is missing: the functions say what to install
    torch = None
    _TORCH_ERROR: ImportError | None = _exc
else:
    _TORCH_ERROR = None

__all__ = ["LocallyConnected2d", "from_torch", "to_torch"]

#: What to install when PyTorch is missing.
INSTALL_HINT = "pip install 'cortex[torch]'"

_SUPPORTED_CORTEX = (
    "Conv2D, LocallyConnected2D, Dense, ReLU, MaxPool2D, AvgPool2D, Flatten, Dropout"
)
_SUPPORTED_TORCH = (
    "Conv2d, cortex.nn.torch_bridge.LocallyConnected2d, Linear, ReLU, MaxPool2d, AvgPool2d, "
    "Flatten, Dropout (and nested Sequential containers of them)"
)


def _require_torch() -> None:
    """ImportError naming the extra if PyTorch is not installed."""
    if torch is None:
        raise ImportError(
            f"the PyTorch bridge of cortex needs PyTorch, which is not installed: {INSTALL_HINT}"
        ) from _TORCH_ERROR


# -- the torch module cortex needs and PyTorch lacks ------------------------------------------
if torch is not None:

    class LocallyConnected2d(nn.Module):
        """Locally connected 2-D layer (unshared weights): cortex's LocallyConnected2D in torch.

        Every output position ``(i, j)`` has its own ``(out, in, kh, kw)`` bank
        of weights (:class:`torch.nn.Conv2d` shares one).  The parameters are
        laid out as in :class:`cortex.nn.LocallyConnected2D`, so converting
        between the two is a copy.  The forward pass is
        :func:`torch.nn.functional.unfold` followed by one batched matrix
        product over positions.

        Parameters
        ----------
        in_channels, out_channels : int
            Channel counts, >= 1.
        input_size : int or (int, int)
            ``(H, W)`` of the input (the number of positions depends on it).
        kernel_size : int or (int, int)
            RF size in pixels.
        stride : int, optional
            Spacing of the output units, in input pixels (both axes).
        padding : int, optional
            Zeros added on every side of the input.
        bias : bool, optional
            A bias per output unit.
        device, dtype : optional
            Factory arguments, as for any torch module.

        Attributes
        ----------
        weight : torch.nn.Parameter, shape (Ho, Wo, out, in, kh, kw)
            ``weight[i, j]`` is the bank of the units at output position ``(i, j)``.
        bias : torch.nn.Parameter, shape (out, Ho, Wo), or None
            Laid out like the output map.

        Raises
        ------
        TypeError
            If a size is not an integer (booleans are refused) or ``bias`` is
            not a bool.
        ValueError
            If a size is out of range or the kernel is larger than the padded
            input.

        Examples
        --------
        >>> import torch
        >>> from cortex.nn.torch_bridge import LocallyConnected2d
        >>> layer = LocallyConnected2d(1, 4, (8, 8), 3, padding=1)
        >>> tuple(layer.weight.shape), tuple(layer.bias.shape)
        ((8, 8, 4, 1, 3, 3), (4, 8, 8))
        >>> tuple(layer(torch.zeros(2, 1, 8, 8)).shape)
        (2, 4, 8, 8)
        """

        def __init__(
            self,
            in_channels: int,
            out_channels: int,
            input_size: int | tuple[int, int],
            kernel_size: int | tuple[int, int],
            stride: int = 1,
            padding: int = 0,
            bias: bool = True,
            *,
            device: Any = None,
            dtype: Any = None,
        ) -> None:
            super().__init__()
            config = LocallyConnected2D._validate_config(  # cortex's checks and messages
                {
                    "in_channels": in_channels,
                    "out_channels": out_channels,
                    "input_size": input_size,
                    "kernel_size": kernel_size,
                    "stride": stride,
                    "padding": padding,
                    "bias": bias,
                    "dtype": "float32",  # placeholder: the torch dtype is `dtype`
                }
            )
            shapes = LocallyConnected2D._param_shapes(config)
            self.in_channels = config["in_channels"]
            self.out_channels = config["out_channels"]
            self.input_size = config["input_size"]
            self.kernel_size = config["kernel_size"]
            self.stride = config["stride"]
            self.padding = config["padding"]
            self.output_size = shapes["weight"][:2]
            factory = {"device": device, "dtype": dtype}
            self.weight = nn.Parameter(torch.empty(shapes["weight"], **factory))
            if config["bias"]:
                self.bias = nn.Parameter(torch.empty(shapes["bias"], **factory))
            else:
                self.register_parameter("bias", None)
            self.reset_parameters()

        def reset_parameters(self) -> None:
            """Uniform in ``+-1/sqrt(fan_in)``, ``fan_in = in * kh * kw`` (as cortex)."""
            kh, kw = self.kernel_size
            bound = 1.0 / math.sqrt(self.in_channels * kh * kw)
            nn.init.uniform_(self.weight, -bound, bound)
            if self.bias is not None:
                nn.init.uniform_(self.bias, -bound, bound)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            """Each output unit's own weights summed over its input patch.

            Parameters
            ----------
            x : torch.Tensor, shape (N, in_channels, H, W)
                Input batch, ``(H, W) == input_size``.

            Returns
            -------
            torch.Tensor, shape (N, out_channels, Ho, Wo)

            Raises
            ------
            ValueError
                If ``x`` does not have the shape the layer was built for.
            """
            expected = (self.in_channels, *self.input_size)
            if x.dim() != 4 or tuple(x.shape[1:]) != expected:
                raise ValueError(
                    f"LocallyConnected2d expects inputs (N, {expected[0]}, {expected[1]}, "
                    f"{expected[2]}), got shape {tuple(x.shape)}"
                )
            n = x.shape[0]
            ho, wo = self.output_size
            cols = F.unfold(x, self.kernel_size, padding=self.padding, stride=self.stride)
            weight = self.weight.reshape(ho * wo, self.out_channels, -1)  # (L, out, K)
            out = torch.bmm(cols.permute(2, 0, 1), weight.transpose(1, 2))  # (L, N, out)
            out = out.permute(1, 2, 0).reshape(n, self.out_channels, ho, wo)
            if self.bias is not None:
                out = out + self.bias
            return out

        def extra_repr(self) -> str:  # noqa: D102
            return (
                f"{self.in_channels}, {self.out_channels}, input_size={self.input_size}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None}"
            )

else:

    def __getattr__(name: str) -> Any:
        """``LocallyConnected2d`` needs PyTorch: say which extra to install."""
        if name == "LocallyConnected2d":
            _require_torch()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- cortex -> torch -------------------------------------------------------------------------
def _resolve_dtype(dtype: object) -> str:
    """``"float32"`` or ``"float64"`` from a name, a numpy type or a torch dtype."""
    if isinstance(dtype, torch.dtype):
        names = {torch.float32: "float32", torch.float64: "float64"}
        if dtype not in names:
            raise TypeError(f"`dtype` must be float32 or float64, got {dtype}")
        return names[dtype]
    return _dtype_name(dtype)


def _model_dtype(model: Sequential) -> str:
    """The one dtype of the model's parameterised layers (float32 for a model without any)."""
    found: dict[str, list[int]] = {}
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Conv2D | LocallyConnected2D | Dense):
            found.setdefault(layer.dtype, []).append(i)
    if len(found) > 1:
        where = "; ".join(f"{name} in layer(s) {indices}" for name, indices in found.items())
        raise ValueError(
            f"`model` mixes parameter dtypes ({where}); pass dtype='float32' or "
            "dtype='float64' to convert them all to one"
        )
    return next(iter(found), "float32")


def _module(cls: type, *args: Any, **kwargs: Any) -> nn.Module:
    """A torch module whose parameters are about to be overwritten.

    Built as usual (``torch.nn.utils.skip_init`` goes through the meta device,
    whose first use costs half a second), with torch's global random state
    saved and restored around the initialisation, so converting a model does
    not change the random numbers the user's program draws next.
    """
    with torch.random.fork_rng(devices=[]):
        return cls(*args, **kwargs)


def _copy_in(module: nn.Module, layer: Layer, dtype: torch.dtype) -> None:
    """Copy the layer's parameters into the module's (cast to ``dtype`` on the way)."""
    with torch.no_grad():
        for key, value in layer.params.items():
            source = np.ascontiguousarray(value if value.flags.writeable else value.copy())
            getattr(module, key).copy_(torch.from_numpy(source))


def _layer_to_torch(layer: Layer, dtype: torch.dtype) -> nn.Module:
    factory = {"dtype": dtype, "device": "cpu"}
    kind = type(layer)
    if kind is Conv2D:
        module = _module(
            nn.Conv2d,
            layer.in_channels,
            layer.out_channels,
            tuple(layer.kernel_size),
            stride=layer.stride,
            padding=layer.padding,
            bias=layer.use_bias,
            **factory,
        )
    elif kind is LocallyConnected2D:
        module = _module(
            LocallyConnected2d,
            layer.in_channels,
            layer.out_channels,
            tuple(layer.input_size),
            tuple(layer.kernel_size),
            stride=layer.stride,
            padding=layer.padding,
            bias=layer.use_bias,
            **factory,
        )
    elif kind is Dense:
        module = _module(
            nn.Linear, layer.in_features, layer.out_features, bias=layer.use_bias, **factory
        )
    elif kind is ReLU:
        module = nn.ReLU()
    elif kind is MaxPool2D:
        module = nn.MaxPool2d(tuple(layer.kernel_size), stride=layer.stride, padding=layer.padding)
    elif kind is AvgPool2D:
        module = nn.AvgPool2d(
            tuple(layer.kernel_size),
            stride=layer.stride,
            padding=layer.padding,
            count_include_pad=True,
        )
    elif kind is Flatten:
        module = nn.Flatten()
    elif kind is Dropout:
        module = nn.Dropout(layer.p)
    else:  # pragma: no cover - the caller checks the type first
        raise AssertionError(kind)
    _copy_in(module, layer, dtype)
    module.train(layer.training)
    for param in module.parameters():
        param.requires_grad_(layer.trainable)
    return module


_TO_TORCH_TYPES = (
    Conv2D,
    LocallyConnected2D,
    Dense,
    ReLU,
    MaxPool2D,
    AvgPool2D,
    Flatten,
    Dropout,
)


def to_torch(model: Sequential, *, dtype: object = None) -> nn.Sequential:
    """Implementation of :func:`cortex.nn.to_torch` (see there); needs PyTorch."""
    _require_torch()
    if not isinstance(model, Sequential):
        raise TypeError(f"`model` must be a cortex.nn.Sequential, got {_describe(model)}")
    name = _model_dtype(model) if dtype is None else _resolve_dtype(dtype)
    torch_dtype = {"float32": torch.float32, "float64": torch.float64}[name]
    for i, layer in enumerate(model.layers):
        if type(layer) not in _TO_TORCH_TYPES:
            raise ValueError(
                f"layer {i} ({type(layer).__name__}) has no PyTorch counterpart: only the "
                f"cortex layer types {_SUPPORTED_CORTEX} are converted (subclasses are not)"
            )
    n_values = sum(value.size for value in model.state().values())
    check_memory(
        n_values * torch_dtype.itemsize,
        f"the PyTorch copy of the model's parameters ({n_values:.4g} {name} values)",
    )
    modules = [_layer_to_torch(layer, torch_dtype) for layer in model.layers]
    out = nn.Sequential(*modules)
    out.training = all(layer.training for layer in model.layers)
    return out


# -- torch -> cortex -------------------------------------------------------------------------
class _Refused(ValueError):
    """A torch layer (or setting) cortex cannot represent; phrased by :func:`from_torch`."""


def _check_hooks(module: nn.Module, where: str) -> None:
    kinds = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    hooks = [name for name in kinds if getattr(module, name, None)]
    if hooks:
        raise ValueError(
            f"{where} ({type(module).__name__}) has hooks ({', '.join(hooks)}) that change what "
            "it computes; cortex cannot reproduce them: remove them first"
        )


def _is_plain_sequential(module: nn.Module) -> bool:
    """A Sequential whose forward is torch's (subclasses that override it are refused)."""
    return isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward


def _leaves(module: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """``(name, module)`` of every layer, nested Sequential containers flattened."""
    for name, child in module.named_children():
        full = f"{prefix}{name}"
        if _is_plain_sequential(child):
            _check_hooks(child, f"layer {full}")
            yield from _leaves(child, f"{full}.")
        else:
            yield full, child


def _pair_of(value: object) -> tuple[int, int]:
    if isinstance(value, tuple | list):
        return tuple(int(v) for v in value)  # type: ignore[return-value]
    return int(value), int(value)  # type: ignore[call-overload]


def _one(value: object, setting: str, why: str) -> int:
    """One int for both axes, or _Refused naming ``setting=value``."""
    a, b = _pair_of(value)
    if a != b:
        raise _Refused(f"{setting}={value!r} is not supported ({why})")
    return a


def _conv_padding(module: nn.Conv2d) -> int:
    padding = module.padding
    if isinstance(padding, str):
        if padding == "valid":
            return 0
        # "same": PyTorch pads (k - 1) // 2 before and the rest after, on each axis
        pads = []
        for k in module.kernel_size:
            if (k - 1) % 2:
                raise _Refused(
                    f"padding='same' with the even kernel_size={module.kernel_size} is not "
                    "supported (it pads one side more than the other; cortex pads symmetrically)"
                )
            pads.append((k - 1) // 2)
        if pads[0] != pads[1]:
            raise _Refused(
                f"padding='same' with kernel_size={module.kernel_size} is not supported (it "
                "pads the axes differently; cortex's Conv2D takes one padding for both)"
            )
        return pads[0]
    return _one(padding, "padding", "cortex's Conv2D takes one padding for both axes")


def _check_conv(module: nn.Conv2d) -> None:
    if _pair_of(module.dilation) != (1, 1):
        raise _Refused(f"dilation={module.dilation} is not supported (cortex needs dilation 1)")
    if module.groups != 1:
        raise _Refused(f"groups={module.groups} is not supported (cortex needs groups 1)")
    if module.padding_mode != "zeros":
        raise _Refused(
            f"padding_mode={module.padding_mode!r} is not supported (cortex pads with zeros)"
        )


def _check_pool(module: nn.Module) -> tuple[tuple[int, int], int, int]:
    if module.ceil_mode:
        raise _Refused("ceil_mode=True is not supported (cortex pools floor the output size)")
    kernel = _pair_of(module.kernel_size)
    stride = _one(module.stride, "stride", "cortex pools take one stride for both axes")
    padding = _one(module.padding, "padding", "cortex pools take one padding for both axes")
    return kernel, stride, padding


def _params_dtype(module: nn.Module) -> str | None:
    """The layer's parameter dtype name (None without parameters); _Refused otherwise."""
    dtypes = {p.dtype for p in module.parameters()}
    if not dtypes:
        return None
    if len(dtypes) > 1:
        raise _Refused(f"its parameters mix dtypes {sorted(map(str, dtypes))}")
    (dtype,) = dtypes
    names = {torch.float32: "float32", torch.float64: "float64"}
    if dtype not in names:
        raise _Refused(
            f"parameters of dtype {dtype} are not supported (cortex computes in float32 or "
            "float64: convert the model with .float() or .double() first)"
        )
    return names[dtype]


def _trainable(module: nn.Module) -> bool:
    flags = {name: p.requires_grad for name, p in module.named_parameters()}
    if len(set(flags.values())) > 1:
        described = ", ".join(f"{k}.requires_grad={v}" for k, v in flags.items())
        raise _Refused(
            f"{described} is not supported (cortex freezes or trains a whole layer, `trainable`)"
        )
    return all(flags.values())


def _build(cls: type[Layer], config: dict[str, Any], module: nn.Module) -> Layer:
    """A cortex layer from its config, its parameters copied from ``module``."""
    try:
        validated = cls._validate_config({**cls._DEFAULTS, **config})
    except (TypeError, ValueError) as exc:  # e.g. Dropout(p=1.0): cortex needs p < 1
        raise _Refused(str(exc)) from None
    layer = cls._from_config(validated)  # no random draws: every parameter is overwritten
    for key in layer.params:
        value = getattr(module, key)
        if value.is_meta:
            raise _Refused(f"its {key} is a meta tensor (no data); materialise the model first")
        array = value.detach().cpu().numpy()
        if not np.all(np.isfinite(array)):
            n_bad = int(np.count_nonzero(~np.isfinite(array)))
            raise _Refused(f"its {key} holds {n_bad} NaN or infinite value(s)")
        layer.params[key][...] = array
    return layer


def _layer_from_torch(module: nn.Module) -> Layer:
    kind = type(module)
    if kind is nn.Conv2d:
        _check_conv(module)
        stride = _one(module.stride, "stride", "cortex's Conv2D takes one stride for both axes")
        padding = _conv_padding(module)
        layer = _build(
            Conv2D,
            {
                "in_channels": module.in_channels,
                "out_channels": module.out_channels,
                "kernel_size": _pair_of(module.kernel_size),
                "stride": stride,
                "padding": padding,
                "bias": module.bias is not None,
                "dtype": _params_dtype(module),
            },
            module,
        )
    elif kind is LocallyConnected2d:
        layer = _build(
            LocallyConnected2D,
            {
                "in_channels": module.in_channels,
                "out_channels": module.out_channels,
                "input_size": module.input_size,
                "kernel_size": module.kernel_size,
                "stride": module.stride,
                "padding": module.padding,
                "bias": module.bias is not None,
                "dtype": _params_dtype(module),
            },
            module,
        )
    elif kind is nn.Linear:
        layer = _build(
            Dense,
            {
                "in_features": module.in_features,
                "out_features": module.out_features,
                "bias": module.bias is not None,
                "dtype": _params_dtype(module),
            },
            module,
        )
    elif kind is nn.ReLU:
        layer = ReLU()
    elif kind is nn.MaxPool2d:
        if _pair_of(module.dilation) != (1, 1):
            raise _Refused(f"dilation={module.dilation} is not supported (cortex pools need 1)")
        if module.return_indices:
            raise _Refused("return_indices=True is not supported (cortex returns the maxima only)")
        kernel, stride, padding = _check_pool(module)
        layer = _build(
            MaxPool2D, {"kernel_size": kernel, "stride": stride, "padding": padding}, module
        )
    elif kind is nn.AvgPool2d:
        if not module.count_include_pad:
            raise _Refused(
                "count_include_pad=False is not supported (cortex's AvgPool2D counts the "
                "padding in the average)"
            )
        if module.divisor_override is not None:
            raise _Refused(f"divisor_override={module.divisor_override} is not supported")
        kernel, stride, padding = _check_pool(module)
        layer = _build(
            AvgPool2D, {"kernel_size": kernel, "stride": stride, "padding": padding}, module
        )
    elif kind is nn.Flatten:
        if (module.start_dim, module.end_dim) != (1, -1):
            raise _Refused(
                f"start_dim={module.start_dim}, end_dim={module.end_dim} is not supported "
                "(cortex's Flatten keeps the batch axis and flattens the rest: 1, -1)"
            )
        layer = Flatten()
    elif kind is nn.Dropout:
        layer = _build(Dropout, {"p": float(module.p)}, module)
    else:
        raise _Refused(
            f"its type is not supported: cortex converts {_SUPPORTED_TORCH} (exact types, not "
            "subclasses)"
        )
    layer.training = bool(module.training)
    if layer.params:
        layer.trainable = _trainable(module)
    return layer


def from_torch(module: nn.Module) -> Sequential:
    """Implementation of :func:`cortex.nn.from_torch` (see there); needs PyTorch."""
    _require_torch()
    if not isinstance(module, nn.Module):
        raise TypeError(f"`module` must be a torch.nn.Module, got {_describe(module)}")
    if not _is_plain_sequential(module):
        raise ValueError(
            f"`module` must be a torch.nn.Sequential (with torch's forward), got "
            f"{type(module).__name__}: wrap supported layers in torch.nn.Sequential"
        )
    _check_hooks(module, "`module`")
    layers = []
    for name, child in _leaves(module):
        where = f"layer {name} ({type(child).__name__})"
        try:
            _check_hooks(child, f"layer {name}")
            layers.append(_layer_from_torch(child))
        except _Refused as exc:
            raise ValueError(f"{where}: {exc}") from None
    if not layers:
        raise ValueError("`module` holds no layers: an empty Sequential has no cortex counterpart")
    return Sequential(layers)
