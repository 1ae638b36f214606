"""The PyTorch bridge: same parameters, outputs and gradients both ways; refusals name the layer."""

import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from cortex import Gabor  # noqa: E402
from cortex.correlation import output_size  # noqa: E402
from cortex.nn import (  # noqa: E402
    SGD,
    AvgPool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LocallyConnected2D,
    MaxPool2D,
    ReLU,
    Sequential,
    from_torch,
    softmax_cross_entropy,
    to_torch,
    train_step,
)
from cortex.nn.torch_bridge import LocallyConnected2d  # noqa: E402

#: Largest difference allowed, relative to the largest magnitude of the reference.
TOL = {np.float32: 1e-5, np.float64: 1e-10}
DTYPES = [np.float32, np.float64]
INSTALL_HINT = "pip install 'cortex[torch]'"


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny networks: one thread is fastest, and immune to other processes' load."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def rel_diff(actual, expected, scale=None):
    """``max|actual - expected|`` relative to ``max|expected|`` (or to ``max|scale|`` if larger)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    if not expected.size:
        return 0.0
    size = np.max(np.abs(expected))
    if scale is not None:
        size = max(size, np.max(np.abs(scale)))
    diff = np.max(np.abs(actual - expected))
    return diff / size if size > 0 else diff


def dtype_name(dtype):
    return np.dtype(dtype).name


def torch_dtype(dtype):
    return {np.float32: torch.float32, np.float64: torch.float64}[dtype]


# -- random networks, described once and built in either library -----------------------------
def random_spec(choose, shape, n_classes):
    """A list of layer specs that fits ``shape`` = (C, H, W); ``choose(lo, hi)`` draws an int."""
    c, h, w = shape
    spec = []
    for _ in range(choose(1, 4)):
        kind = ("conv", "lc", "max", "avg", "relu", "dropout")[choose(0, 5)]
        if kind in ("conv", "lc"):
            p = choose(0, 2)
            kh, kw = choose(1, min(4, h + 2 * p)), choose(1, min(4, w + 2 * p))
            s, out, bias = choose(1, 3), choose(1, 4), bool(choose(0, 1))
            spec.append((kind, c, out, (h, w), (kh, kw), s, p, bias))
            c, h, w = out, output_size(h, kh, s, p), output_size(w, kw, s, p)
        elif kind in ("max", "avg"):
            kh, kw = choose(1, min(3, h)), choose(1, min(3, w))
            p, s = choose(0, min(kh, kw) // 2), choose(1, 3)
            spec.append((kind, (kh, kw), s, p))
            h, w = output_size(h, kh, s, p), output_size(w, kw, s, p)
        elif kind == "relu":
            spec.append(("relu",))
        else:
            spec.append(("dropout", choose(0, 9) / 10))
    spec.append(("flatten",))
    features = c * h * w
    if choose(0, 1):
        hidden = choose(1, 6)
        spec += [("dense", features, hidden, bool(choose(0, 1))), ("relu",)]
        features = hidden
    spec.append(("dense", features, n_classes, bool(choose(0, 1))))
    return spec


def cortex_net(spec, dtype, seed):
    name = dtype_name(dtype)
    rng = np.random.default_rng(seed)
    layers = []
    for kind, *args in spec:
        if kind == "conv":
            cin, out, _, k, s, p, bias = args
            layers.append(Conv2D(cin, out, k, stride=s, padding=p, bias=bias, seed=rng, dtype=name))
        elif kind == "lc":
            cin, out, size, k, s, p, bias = args
            layers.append(
                LocallyConnected2D(
                    cin, out, size, k, stride=s, padding=p, bias=bias, seed=rng, dtype=name
                )
            )
        elif kind in ("max", "avg"):
            k, s, p = args
            layers.append((MaxPool2D if kind == "max" else AvgPool2D)(k, stride=s, padding=p))
        elif kind == "relu":
            layers.append(ReLU())
        elif kind == "dropout":
            layers.append(Dropout(args[0], seed=rng))
        elif kind == "flatten":
            layers.append(Flatten())
        else:
            fin, fout, bias = args
            layers.append(Dense(fin, fout, bias=bias, seed=rng, dtype=name))
    return Sequential(layers)


def torch_net(spec, dtype, seed):
    torch.manual_seed(seed)
    factory = {"dtype": torch_dtype(dtype)}
    modules = []
    for kind, *args in spec:
        if kind == "conv":
            cin, out, _, k, s, p, bias = args
            modules.append(nn.Conv2d(cin, out, k, stride=s, padding=p, bias=bias, **factory))
        elif kind == "lc":
            cin, out, size, k, s, p, bias = args
            modules.append(LocallyConnected2d(cin, out, size, k, s, p, bias, **factory))
        elif kind == "max":
            modules.append(nn.MaxPool2d(*args))
        elif kind == "avg":
            modules.append(nn.AvgPool2d(*args))
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "dropout":
            modules.append(nn.Dropout(args[0]))
        elif kind == "flatten":
            modules.append(nn.Flatten())
        else:
            fin, fout, bias = args
            modules.append(nn.Linear(fin, fout, bias=bias, **factory))
    return nn.Sequential(*modules)


@st.composite
def cases(draw, dtype=None):
    """(spec, x, labels, dtype, seed) for a small random network."""

    def choose(lo, hi):
        return draw(st.integers(lo, hi))

    n, c, h, w = choose(1, 3), choose(1, 3), choose(3, 9), choose(3, 9)
    n_classes = choose(2, 5)
    spec = random_spec(choose, (c, h, w), n_classes)
    dtype = draw(st.sampled_from(DTYPES)) if dtype is None else dtype
    seed = choose(0, 2**31 - 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    labels = rng.integers(0, n_classes, n)
    return spec, x, labels, dtype, seed


def cortex_grads(model, x, labels):
    """Outputs, dLoss/dx and every trainable parameter's gradient under cortex's cross-entropy."""
    model.zero_grad()
    out = model.forward(x)
    _, grad = softmax_cross_entropy(out, labels)
    dx = model.backward(grad)
    return out, dx, {name: g.copy() for name, _, g in model.parameters()}


def torch_grads(net, x, labels):
    """The same with torch's autograd and ``F.cross_entropy``."""
    net.zero_grad()
    xt = torch.tensor(x, requires_grad=True)
    out = net(xt)
    F.cross_entropy(out, torch.as_tensor(labels)).backward()
    grads = {name: p.grad.numpy() for name, p in net.named_parameters() if p.requires_grad}
    return out.detach().numpy(), xt.grad.numpy(), grads


def term_scales(model, x, labels):
    """The magnitudes of the terms each output and gradient sums (float64).

    The network run with ``|weights|`` on ``|x|`` and backpropagated from
    ``|dLoss/dOutput|``.  Rounding errors are relative to these sums of
    magnitudes; an output or a gradient that is much smaller (its terms
    cancel) carries relative errors larger by that ratio, in either library:
    small random networks have such outputs, so their float32 checks are
    relative to these scales (equal to ``max|out|`` when nothing cancels).
    """
    net = to_torch(model, dtype="float64").eval()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_().requires_grad_(True)
    xt = torch.tensor(np.abs(x).astype(np.float64), requires_grad=True)
    out = net(xt)
    _, grad = softmax_cross_entropy(out.detach().numpy(), labels)
    out.backward(torch.from_numpy(np.abs(grad)))
    grads = {name: p.grad.numpy() for name, p in net.named_parameters()}
    return out.detach().numpy(), xt.grad.numpy(), grads


def torch_out(net, x):
    with torch.no_grad():
        return net(torch.from_numpy(np.ascontiguousarray(x))).numpy()


# -- cortex -> torch: same parameters, outputs, gradients -------------------------------------
@given(case=cases())
def test_to_torch_same_outputs_and_gradients(case):
    spec, x, labels, dtype, seed = case
    model = cortex_net(spec, dtype, seed).eval()  # dropout: equal in evaluation mode only
    net = to_torch(model)
    assert isinstance(net, nn.Sequential) and len(net) == len(model)
    assert all(p.dtype == torch_dtype(dtype) for p in net.parameters())
    out, dx, grads = cortex_grads(model, x, labels)
    t_out, t_dx, t_grads = torch_grads(net, x, labels)
    s_out, s_dx, s_grads = term_scales(model, x, labels)
    tol = TOL[dtype]
    assert t_out.dtype == out.dtype == dtype
    assert rel_diff(t_out, out, s_out) <= tol
    assert rel_diff(t_dx, dx, s_dx) <= tol
    assert set(t_grads) == set(grads)
    for name, g in grads.items():
        assert rel_diff(t_grads[name], g, s_grads[name]) <= tol, name


@given(case=cases())
def test_to_torch_copies_the_parameters(case):
    spec, x, _, dtype, seed = case
    model = cortex_net(spec, dtype, seed)
    net = to_torch(model)
    state = net.state_dict()
    assert set(state) == set(model.state())
    for name, value in model.state().items():
        assert state[name].numpy().dtype == value.dtype
        np.testing.assert_array_equal(state[name].numpy(), value)
        assert not np.shares_memory(state[name].numpy(), value)
    with torch.no_grad():  # a copy: changing one leaves the other alone
        for p in net.parameters():
            p.add_(1.0)
    for name, value in model.state().items():
        assert not np.array_equal(state[name].numpy(), value)


@given(case=cases(), to=st.sampled_from(["float32", "float64", np.float64, "torch64", "torch32"]))
def test_to_torch_dtype_argument(case, to):
    spec, x, _, dtype, seed = case
    model = cortex_net(spec, dtype, seed).eval()
    target = {"torch64": torch.float64, "torch32": torch.float32}.get(to, to)
    net = to_torch(model, dtype=target)
    want = torch.float64 if to in ("float64", np.float64, "torch64") else torch.float32
    assert all(p.dtype == want for p in net.parameters())
    xt = x.astype(np.float64 if want == torch.float64 else np.float32)
    tol = max(TOL[dtype], TOL[np.float64 if want == torch.float64 else np.float32])
    scale = term_scales(model, x, np.zeros(len(x), dtype=int))[0]
    assert rel_diff(torch_out(net, xt), model.forward(x), scale) <= tol


def convnet(dtype):
    """A ConvNet of the usual size: every layer type, 28 x 28 inputs."""
    name = dtype_name(dtype)
    return Sequential(
        [
            Conv2D(1, 16, 5, padding=2, seed=0, dtype=name),
            ReLU(),
            MaxPool2D(2),
            Conv2D(16, 32, 3, padding=1, seed=1, dtype=name),
            ReLU(),
            MaxPool2D(2),
            LocallyConnected2D(32, 8, (7, 7), 3, seed=2, dtype=name),
            ReLU(),
            AvgPool2D(2, stride=1),
            Flatten(),
            Dropout(0.3, seed=3),
            Dense(8 * 4 * 4, 10, seed=4, dtype=name),
        ]
    ).eval()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("direction", ["to_torch", "from_torch"])
def test_convnet_within_tolerance_of_max_output(dtype, direction, rng):
    """The stated tolerances, relative to max|out| (and max|grad|) alone."""
    model = convnet(dtype)
    net = to_torch(model)
    if direction == "from_torch":
        with torch.no_grad():  # other weights, set in torch
            for p in net.parameters():
                p.normal_(0.0, 0.2, generator=torch.Generator().manual_seed(p.numel()))
        model = from_torch(net)
    x = rng.random((32, 1, 28, 28)).astype(dtype)
    labels = rng.integers(0, 10, 32)
    out, dx, grads = cortex_grads(model, x, labels)
    t_out, t_dx, t_grads = torch_grads(net, x, labels)
    assert rel_diff(t_out, out) <= TOL[dtype]
    assert rel_diff(t_dx, dx) <= TOL[dtype]
    assert set(grads) == set(t_grads) and len(grads) == 8
    for name, g in grads.items():
        assert rel_diff(t_grads[name], g) <= TOL[dtype], name


def test_to_torch_mode_and_frozen_layers(rng):
    gabors = [Gabor(2.0, orientation) for orientation in (0, 45, 90)]
    front = Conv2D.from_receptive_fields(gabors, 8.0, kernel_size=5, trainable=False)
    model = Sequential(
        [front, ReLU(), MaxPool2D(2), Flatten(), Dropout(0.3, seed=0), Dense(3 * 4 * 4, 3, seed=0)]
    )
    net = to_torch(model)
    assert net.training and all(m.training for m in net)
    assert [p.requires_grad for p in net[0].parameters()] == [False, False]
    assert all(p.requires_grad for p in net[5].parameters())
    net_eval = to_torch(model.eval())
    assert not net_eval.training and not any(m.training for m in net_eval)
    # frozen: no gradient for the front end in torch, none accumulated in cortex
    x = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
    labels = np.array([0, 1, 2, 0])
    out, dx, grads = cortex_grads(model, x, labels)
    t_out, t_dx, t_grads = torch_grads(net_eval, x, labels)
    assert set(grads) == set(t_grads) == {"5.weight", "5.bias"}
    assert net_eval[0].weight.grad is None
    assert rel_diff(t_dx, dx) <= TOL[np.float32]
    back = from_torch(net_eval)
    assert [layer.trainable for layer in back] == [layer.trainable for layer in model]
    assert not any(layer.training for layer in back)
    assert all(layer.training for layer in from_torch(net))


def test_conversions_leave_torch_random_state_alone():
    model = Sequential(
        [
            Conv2D(1, 2, 3, seed=0),
            LocallyConnected2D(2, 2, (6, 6), 3, seed=0),
            Flatten(),
            Dense(2 * 4 * 4, 3, seed=0),
        ]
    )
    torch.manual_seed(0)
    expected = torch.rand(5)
    torch.manual_seed(0)
    from_torch(to_torch(model))
    assert torch.equal(torch.rand(5), expected)


def test_dropout_in_training_mode_keeps_p_but_not_the_masks(rng):
    model = Sequential([Flatten(), Dropout(0.5, seed=0), Dense(16, 2, seed=0)])
    net = to_torch(model)
    assert isinstance(net[1], nn.Dropout) and net[1].p == 0.5 and net[1].training
    x = rng.standard_normal((64, 1, 4, 4)).astype(np.float32)
    assert torch_out(net, x).shape == model.forward(x).shape  # random masks: values differ
    model.eval()
    net.eval()
    assert rel_diff(torch_out(net, x), model.forward(x)) <= TOL[np.float32]


# -- torch -> cortex ---------------------------------------------------------------------------
@given(case=cases())
def test_round_trip_is_bit_identical(case):
    spec, x, _, dtype, seed = case
    model = cortex_net(spec, dtype, seed)
    if seed % 2:
        model.eval()
    back = from_torch(to_torch(model))
    assert back.architecture() == model.architecture()
    assert [layer.training for layer in back] == [layer.training for layer in model]
    for (name, value), (name_b, value_b) in zip(
        model.state().items(), back.state().items(), strict=True
    ):
        assert name == name_b and value.dtype == value_b.dtype
        np.testing.assert_array_equal(value_b, value)
    model.eval()
    back.eval()
    np.testing.assert_array_equal(back.forward(x), model.forward(x))


@given(case=cases())
def test_from_torch_matches_torch(case):
    spec, x, labels, dtype, seed = case
    net = torch_net(spec, dtype, seed).eval()
    model = from_torch(net)
    assert isinstance(model, Sequential) and len(model) == len(net)
    assert not any(layer.training for layer in model)
    out, dx, grads = cortex_grads(model, x, labels)
    t_out, t_dx, t_grads = torch_grads(net, x, labels)
    s_out, s_dx, s_grads = term_scales(model, x, labels)
    tol = TOL[dtype]
    assert out.dtype == dtype
    assert rel_diff(out, t_out, s_out) <= tol
    assert rel_diff(dx, t_dx, s_dx) <= tol
    assert set(t_grads) == set(grads)
    for name, g in t_grads.items():
        assert rel_diff(grads[name], g, s_grads[name]) <= tol, name


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_sgd_step_in_torch_then_back(dtype, rng):
    name = dtype_name(dtype)
    model = Sequential(
        [
            Conv2D(1, 4, 3, padding=1, seed=0, dtype=name),
            ReLU(),
            MaxPool2D(2),
            LocallyConnected2D(4, 3, (4, 4), 3, padding=1, seed=1, dtype=name),
            ReLU(),
            AvgPool2D(2),
            Flatten(),
            Dropout(0.25, seed=2),
            Dense(3 * 2 * 2, 5, seed=3, dtype=name),
        ]
    ).eval()
    x = rng.standard_normal((16, 1, 8, 8)).astype(dtype)
    labels = rng.integers(0, 5, 16)
    net = to_torch(model)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    optimizer.zero_grad()
    F.cross_entropy(net(torch.from_numpy(x)), torch.as_tensor(labels)).backward()
    optimizer.step()
    back = from_torch(net)
    x_new = rng.standard_normal((8, 1, 8, 8)).astype(dtype)
    assert rel_diff(back.forward(x_new), torch_out(net, x_new)) <= TOL[dtype]
    # ... and the same step taken in cortex lands on the same weights
    train_step(model, x, labels, SGD(0.5), micro_batch=None)
    for key, value in model.state().items():
        assert rel_diff(back.state()[key], value) <= 10 * TOL[dtype], key


def test_from_torch_conversions_of_settings(rng):
    net = (
        nn.Sequential(
            nn.Conv2d(2, 3, 3, stride=(2, 2), padding=(1, 1), bias=False),
            nn.ReLU(inplace=True),
            nn.Sequential(nn.Conv2d(3, 3, 5, padding="same"), nn.Conv2d(3, 2, 2, padding="valid")),
            nn.MaxPool2d((2, 1), stride=1),
            nn.AvgPool2d(3, stride=(1, 1), padding=(1, 1)),
            nn.Flatten(start_dim=1, end_dim=-1),
            nn.Dropout(0.0),
            nn.Linear(2 * 2 * 3, 4),
        )
        .double()
        .eval()
    )
    model = from_torch(net)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == [
        "Conv2D",
        "ReLU",
        "Conv2D",
        "Conv2D",
        "MaxPool2D",
        "AvgPool2D",
        "Flatten",
        "Dropout",
        "Dense",
    ]
    assert (model[0].stride, model[0].padding, model[0].use_bias) == (2, 1, False)
    assert model[2].padding == 2 and model[3].padding == 0
    assert model[4].kernel_size == (2, 1) and model[4].stride == 1
    assert all(layer.dtype == "float64" for layer in model if layer.params)
    x = rng.standard_normal((3, 2, 8, 8))
    assert rel_diff(model.forward(x), torch_out(net, x)) <= TOL[np.float64]


# -- the torch LocallyConnected2d --------------------------------------------------------------
@given(
    cin=st.integers(1, 3),
    out=st.integers(1, 3),
    size=st.integers(3, 8),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    seed=st.integers(0, 999),
)
def test_locally_connected2d_with_tied_weights_is_a_conv(cin, out, size, k, s, p, seed):
    torch.manual_seed(seed)
    conv = nn.Conv2d(cin, out, k, stride=s, padding=p, dtype=torch.float64)
    lc = LocallyConnected2d(cin, out, (size, size + 1), k, s, p, dtype=torch.float64)
    with torch.no_grad():
        lc.weight.copy_(conv.weight.expand_as(lc.weight))
        lc.bias.copy_(conv.bias[:, None, None].expand_as(lc.bias))
    x = torch.randn(2, cin, size, size + 1, dtype=torch.float64)
    with torch.no_grad():
        assert rel_diff(lc(x).numpy(), conv(x).numpy()) <= 1e-12


def test_locally_connected2d_checks():
    lc = LocallyConnected2d(2, 3, 6, 3, bias=False)
    assert tuple(lc.weight.shape) == (4, 4, 3, 2, 3, 3) and lc.bias is None
    assert "input_size=(6, 6)" in repr(lc)
    bound = 1 / math.sqrt(2 * 3 * 3)
    assert float(lc.weight.detach().abs().max()) <= bound
    with pytest.raises(
        ValueError, match=r"expects inputs \(N, 2, 6, 6\), got shape \(1, 2, 5, 6\)"
    ):
        lc(torch.zeros(1, 2, 5, 6))
    with pytest.raises(ValueError, match="`kernel_size` 7x7 is larger than the padded input"):
        LocallyConnected2d(1, 1, 6, 7)
    with pytest.raises(TypeError, match="`stride`"):
        LocallyConnected2d(1, 1, 6, 3, stride=True)


# -- refusals ----------------------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3)

    def forward(self, x):
        return self.conv(x)


class MyConv(nn.Conv2d):
    pass


class MySequential(nn.Sequential):
    def forward(self, x):
        return super().forward(x) * 2


def _hooked():
    conv = nn.Conv2d(1, 1, 3)
    conv.register_forward_hook(lambda module, args, out: out * 2)
    return conv


def _half_frozen():
    conv = nn.Conv2d(1, 1, 3)
    conv.bias.requires_grad_(False)
    return conv


def _nan_weights():
    conv = nn.Conv2d(1, 1, 3)
    with torch.no_grad():
        conv.weight[0, 0, 0, 0] = float("nan")
    return conv


UNSUPPORTED = {
    "dilation": (lambda: nn.Conv2d(1, 2, 3, dilation=2), r"Conv2d\): dilation=\(2, 2\)"),
    "groups": (lambda: nn.Conv2d(2, 2, 3, groups=2), r"Conv2d\): groups=2"),
    "same-even": (lambda: nn.Conv2d(1, 2, 4, padding="same"), r"Conv2d\): padding='same'.*even"),
    "same-rect": (lambda: nn.Conv2d(1, 2, (3, 5), padding="same"), r"Conv2d\): padding='same'"),
    "padding-pair": (lambda: nn.Conv2d(1, 2, 3, padding=(1, 2)), r"Conv2d\): padding=\(1, 2\)"),
    "stride-pair": (lambda: nn.Conv2d(1, 2, 3, stride=(1, 2)), r"Conv2d\): stride=\(1, 2\)"),
    "padding-mode": (
        lambda: nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"),
        r"Conv2d\): padding_mode='reflect'",
    ),
    "max-ceil": (lambda: nn.MaxPool2d(2, ceil_mode=True), r"MaxPool2d\): ceil_mode=True"),
    "max-dilation": (lambda: nn.MaxPool2d(2, dilation=2), r"MaxPool2d\): dilation=2"),
    "max-indices": (
        lambda: nn.MaxPool2d(2, return_indices=True),
        r"MaxPool2d\): return_indices=True",
    ),
    "max-stride": (lambda: nn.MaxPool2d(2, stride=(1, 2)), r"MaxPool2d\): stride=\(1, 2\)"),
    "avg-ceil": (lambda: nn.AvgPool2d(2, ceil_mode=True), r"AvgPool2d\): ceil_mode=True"),
    "avg-pad": (
        lambda: nn.AvgPool2d(2, padding=1, count_include_pad=False),
        r"AvgPool2d\): count_include_pad=False",
    ),
    "avg-divisor": (
        lambda: nn.AvgPool2d(2, divisor_override=3),
        r"AvgPool2d\): divisor_override=3",
    ),
    "flatten-dims": (lambda: nn.Flatten(0), r"Flatten\): start_dim=0"),
    "dropout-1": (lambda: nn.Dropout(1.0), r"Dropout\): `p` must be < 1"),
    "type": (lambda: nn.Sigmoid(), r"Sigmoid\): its type is not supported"),
    "batchnorm": (lambda: nn.BatchNorm2d(1), r"BatchNorm2d\): its type is not supported"),
    "dropout2d": (lambda: nn.Dropout2d(0.1), r"Dropout2d\): its type is not supported"),
    "subclass": (lambda: MyConv(1, 1, 3), r"MyConv\): its type is not supported"),
    "module": (Block, r"Block\): its type is not supported"),
    "half": (lambda: nn.Conv2d(1, 1, 3).half(), r"Conv2d\): parameters of dtype torch.float16"),
    "half-frozen": (_half_frozen, r"Conv2d\): weight.requires_grad=True, bias.requires_grad=False"),
    "hooks": (_hooked, r"Conv2d\) has hooks \(_forward_hooks\)"),
    "nan": (_nan_weights, r"Conv2d\): its weight holds 1 NaN or infinite"),
}


@pytest.mark.parametrize("case", UNSUPPORTED, ids=list(UNSUPPORTED))
def test_from_torch_refuses_naming_the_layer(case):
    make, pattern = UNSUPPORTED[case]
    net = nn.Sequential(nn.ReLU(), make())
    with pytest.raises(ValueError, match=r"layer 1 \(" + pattern):
        from_torch(net)


def test_from_torch_names_nested_layers():
    inner = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3, dilation=3))
    net = nn.Sequential(nn.ReLU(), inner)
    with pytest.raises(ValueError, match=r"layer 1\.1 \(Conv2d\): dilation=\(3, 3\)"):
        from_torch(net)
    named = nn.Sequential()
    named.add_module("features", nn.Sequential(nn.Conv2d(1, 1, 3)))
    named.add_module("head", nn.Tanh())
    with pytest.raises(ValueError, match=r"layer head \(Tanh\): its type is not supported"):
        from_torch(named)


@pytest.mark.parametrize(
    ("module", "error", "pattern"),
    [
        ("not a module", TypeError, r"`module` must be a torch.nn.Module, got 'not a module'"),
        (None, TypeError, "`module` must be a torch.nn.Module, got None"),
        (Sequential([ReLU()]), TypeError, "`module` must be a torch.nn.Module"),
        (nn.Conv2d(1, 1, 3), ValueError, "must be a torch.nn.Sequential .*got Conv2d"),
        (MySequential(nn.ReLU()), ValueError, "must be a torch.nn.Sequential .*got MySequential"),
        (nn.Sequential(), ValueError, "holds no layers"),
    ],
)
def test_from_torch_checks_its_argument(module, error, pattern):
    with pytest.raises(error, match=pattern):
        from_torch(module)


class Square(Layer):
    def forward(self, x):
        self._cache = x
        return x * x

    def backward(self, grad, *, input_grad=True):
        return 2 * self._cache * grad


def test_to_torch_checks_its_arguments():
    model = Sequential([Flatten(), Dense(4, 2, seed=0)])
    for bad in (None, [Flatten()], Dense(4, 2), nn.Sequential(nn.ReLU())):
        with pytest.raises(TypeError, match="`model` must be a cortex.nn.Sequential"):
            to_torch(bad)
    for dtype in ("float16", torch.float16, torch.int32, 1.0, True):
        with pytest.raises(TypeError, match="`dtype` must be"):
            to_torch(model, dtype=dtype)
    with pytest.raises(ValueError, match=r"layer 1 \(Square\) has no PyTorch counterpart"):
        to_torch(Sequential([Flatten(), Square(), Dense(4, 2)]))
    mixed = Sequential([Dense(4, 3, dtype="float64"), ReLU(), Dense(3, 2, dtype="float32")])
    with pytest.raises(ValueError, match=r"mixes parameter dtypes.*pass dtype="):
        to_torch(mixed)
    net = to_torch(mixed, dtype="float64")
    assert all(p.dtype == torch.float64 for p in net.parameters())
    assert len(to_torch(Sequential([ReLU(), Flatten()]))) == 2  # no parameters: fine


def test_to_torch_respects_the_memory_budget():
    import cortex

    model = Sequential([Flatten(), Dense(1000, 1000, seed=0, dtype="float64")])
    cortex.set_memory_budget(3_000_000)  # a copy takes 8 MB (float64) or 4 MB (float32)
    try:
        with pytest.raises(cortex.MemoryBudgetError, match="PyTorch copy of the model"):
            to_torch(model)
        with pytest.raises(cortex.MemoryBudgetError, match="PyTorch copy of the model"):
            to_torch(model, dtype="float32")
    finally:
        cortex.set_memory_budget(None)
    assert to_torch(model, dtype="float32")[1].weight.dtype == torch.float32


# -- torch stays optional ----------------------------------------------------------------------
def _run(code):
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_cortex_nn_does_not_import_torch():
    out = _run(
        """
        import sys
        import cortex, cortex.nn
        from cortex.nn import from_torch, to_torch
        assert to_torch.__doc__ and from_torch.__doc__
        print("torch" in sys.modules, any(m.startswith("torch") for m in sys.modules))
        """
    )
    assert out == "False False"


def test_without_torch_the_error_names_the_extra():
    out = _run(
        """
        import sys
        sys.modules["torch"] = None  # as if PyTorch were not installed
        import cortex.nn as cnn
        model = cnn.Sequential([cnn.ReLU()])
        for call in (lambda: cnn.to_torch(model), lambda: cnn.from_torch(object())):
            try:
                call()
            except ImportError as exc:
                print(exc)
        try:
            from cortex.nn.torch_bridge import LocallyConnected2d
        except ImportError as exc:
            print(exc)
        """
    )
    lines = out.splitlines()
    assert len(lines) == 3
    assert all(INSTALL_HINT in line for line in lines), out
