import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cortex
import cortex.nn.layers as layers_module
from cortex import (
    Gabor,
    Gaussian,
    MemoryBudgetError,
    Mosaic,
    Population,
    VisualField,
    linear_responses,
)
from cortex.nn import (
    SGD,
    Adam,
    AvgPool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    LocallyConnected2D,
    MaxPool2D,
    ReLU,
    Sequential,
)


def naive_conv(x, w, b, stride, padding):
    """Independent oracle: explicit loops over output units (cross-correlation)."""
    n, c, h, ww = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho = (h + 2 * padding - kh) // stride + 1
    wo = (ww + 2 * padding - kw) // stride + 1
    out = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.einsum("ncab,ocab->no", patch, w)
    return out + (0 if b is None else b[None, :, None, None])


conv_cases = st.tuples(
    st.integers(1, 3),  # batch
    st.integers(1, 3),  # in channels
    st.integers(1, 4),  # out channels
    st.integers(4, 9),  # H
    st.integers(4, 9),  # W
    st.integers(1, 4),  # kh
    st.integers(1, 4),  # kw
    st.integers(1, 3),  # stride
    st.integers(0, 2),  # padding
)


@given(
    case=conv_cases,
    method=st.sampled_from(["auto", "centers", "fft", "direct"]),
    seed=st.integers(0, 999),
)
def test_conv2d_forward_equals_naive_loop(case, method, seed):
    n, c, o, h, w, kh, kw, s, p = case
    assume(kh <= h + 2 * p and kw <= w + 2 * p)
    layer = Conv2D(c, o, (kh, kw), stride=s, padding=p, seed=seed, dtype="float64", method=method)
    x = np.random.default_rng(seed).standard_normal((n, c, h, w))
    out = layer.forward(x)
    expected = naive_conv(x, layer.params["weight"], layer.params["bias"], s, p)
    np.testing.assert_allclose(out, expected, atol=1e-10)


@given(
    stride=st.integers(1, 3), sf=st.floats(1.0, 2.5), ori=st.floats(0, 180), seed=st.integers(0, 99)
)
def test_conv2d_is_a_population_of_shared_weight_neurons(stride, sf, ori, seed):
    ppd = 10.0
    field = VisualField(3.0, 2.6, ppd)  # 26 x 30 pixels
    rf = Gabor(sf, ori, sigma_x=0.2)
    layer = Conv2D.from_receptive_fields(rf, ppd, stride=stride, normalize=False, dtype="float64")
    image = np.random.default_rng(seed).standard_normal(field.shape)
    out = layer.forward(image[None, None])[0, 0]  # (Ho, Wo)
    # output unit (i, j) is a neuron centred on input pixel (i * stride, j * stride)
    rows, cols = np.meshgrid(
        np.arange(out.shape[0]) * stride, np.arange(out.shape[1]) * stride, indexing="ij"
    )
    x, y = field.px_to_deg(rows.ravel(), cols.ravel())
    pop = Population(rf, Mosaic(field, np.column_stack([x, y])), level=0.1)
    np.testing.assert_allclose(out.ravel(), linear_responses(pop, image), atol=1e-12)


@given(case=conv_cases, seed=st.integers(0, 999))
def test_locally_connected_with_tied_weights_equals_conv(case, seed):
    n, c, o, h, w, kh, kw, s, p = case
    assume(kh <= h + 2 * p and kw <= w + 2 * p)
    conv = Conv2D(c, o, (kh, kw), stride=s, padding=p, seed=seed, dtype="float64")
    lc = LocallyConnected2D.from_conv2d(conv, (h, w))
    x = np.random.default_rng(seed).standard_normal((n, c, h, w))
    np.testing.assert_allclose(lc.forward(x), conv.forward(x), atol=1e-12)
    g = np.random.default_rng(seed + 1).standard_normal(conv.forward(x).shape)
    np.testing.assert_allclose(lc.backward(g), conv.backward(g), atol=1e-12)
    # the LC weight gradient summed over positions is the conv weight gradient
    np.testing.assert_allclose(
        lc.grads["weight"].sum(axis=(0, 1)), conv.grads["weight"], atol=1e-10
    )


def _shift(x, d):
    out = np.zeros_like(x)
    out[..., d:, d:] = x[..., :-d, :-d]
    return out


@pytest.mark.parametrize("stride", [1, 2])
def test_translation_equivariance_holds_for_shared_weights_only(stride):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 16, 16))
    conv = Conv2D(2, 3, 3, stride=stride, padding=1, seed=1, dtype="float64")
    lc_tied = LocallyConnected2D.from_conv2d(conv, (16, 16))
    lc_free = LocallyConnected2D(
        2, 3, (16, 16), 3, stride=stride, padding=1, seed=2, dtype="float64"
    )
    shifted = _shift(x, stride)  # one lattice period
    for layer, equivariant in ((conv, True), (lc_tied, True), (lc_free, False)):
        a = layer.forward(x)[..., 1:-2, 1:-2]
        b = layer.forward(shifted)[..., 2:-1, 2:-1]
        assert np.allclose(a, b, atol=1e-12) is equivariant


# -- gradients == central finite differences (float64) --------------------------------
def _numeric_grad(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        hi = f()
        x[i] = old - eps
        lo = f()
        x[i] = old
        grad[i] = (hi - lo) / (2 * eps)
    return grad


def _check_layer_gradients(layer, x, rng):
    out = layer.forward(x)
    r = rng.standard_normal(out.shape)
    layer.zero_grad()
    layer.forward(x)
    dx = layer.backward(r)

    def loss():
        return float(np.sum(layer.forward(x) * r))

    np.testing.assert_allclose(dx, _numeric_grad(loss, x), rtol=1e-5, atol=1e-7)
    for name, param in layer.params.items():
        np.testing.assert_allclose(
            layer.grads[name], _numeric_grad(loss, param), rtol=1e-5, atol=1e-7
        )


@given(case=conv_cases, seed=st.integers(0, 999))
def test_conv2d_gradients(case, seed):
    n, c, o, h, w, kh, kw, s, p = case
    assume(kh <= h + 2 * p and kw <= w + 2 * p)
    rng = np.random.default_rng(seed)
    layer = Conv2D(c, o, (kh, kw), stride=s, padding=p, seed=seed, dtype="float64")
    _check_layer_gradients(layer, rng.standard_normal((min(n, 2), c, h, w)), rng)


@given(case=conv_cases, seed=st.integers(0, 999))
def test_locally_connected_gradients(case, seed):
    n, c, o, h, w, kh, kw, s, p = case
    assume(kh <= h + 2 * p and kw <= w + 2 * p)
    rng = np.random.default_rng(seed)
    layer = LocallyConnected2D(
        c, min(o, 2), (h, w), (kh, kw), stride=s, padding=p, seed=seed, dtype="float64"
    )
    _check_layer_gradients(layer, rng.standard_normal((min(n, 2), c, h, w)), rng)


@given(
    kind=st.sampled_from([MaxPool2D, AvgPool2D]),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    p=st.integers(0, 1),
    h=st.integers(3, 8),
    seed=st.integers(0, 999),
)
def test_pool_gradients(kind, k, s, p, h, seed):
    assume(p <= k // 2)
    rng = np.random.default_rng(seed)
    layer = kind(k, stride=s, padding=p)
    x = rng.permutation(np.arange(2 * 2 * h * (h + 1), dtype=float)).reshape(2, 2, h, h + 1) * 0.1
    _check_layer_gradients(layer, x, rng)  # distinct values: max pooling is differentiable there


@given(n=st.integers(1, 4), fin=st.integers(1, 6), fout=st.integers(1, 5), seed=st.integers(0, 999))
def test_dense_relu_flatten_gradients(n, fin, fout, seed):
    rng = np.random.default_rng(seed)
    _check_layer_gradients(
        Dense(fin, fout, seed=seed, dtype="float64"), rng.standard_normal((n, fin)), rng
    )
    x = rng.standard_normal((n, 2, 3, fin))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink
    _check_layer_gradients(ReLU(), x, rng)
    _check_layer_gradients(Flatten(), x, rng)


def test_maxpool_and_avgpool_against_reshape_oracle(rng):
    x = rng.standard_normal((2, 3, 8, 6)).astype(np.float32)
    blocks = x.reshape(2, 3, 4, 2, 3, 2)
    np.testing.assert_array_equal(MaxPool2D(2).forward(x), blocks.max(axis=(3, 5)))
    np.testing.assert_allclose(AvgPool2D(2).forward(x), blocks.mean(axis=(3, 5)), rtol=1e-6)
    assert MaxPool2D(2).forward(x).dtype == np.float32


def test_dropout():
    x = np.ones((1000, 10))
    layer = Dropout(0.3, seed=0)
    out = layer.forward(x)
    assert abs((out == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(out[out != 0], 1 / 0.7)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), out)
    layer.training = False
    np.testing.assert_array_equal(layer.forward(x), x)
    a = Dropout(0.5, seed=3).forward(x)
    b = Dropout(0.5, seed=3).forward(x)
    np.testing.assert_array_equal(a, b)


def test_float32_is_kept_end_to_end(rng):
    model = Sequential(
        [
            Conv2D(1, 4, 3, padding=1, seed=0),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(4 * 4 * 4, 3, seed=0),
        ]
    )
    x = rng.standard_normal((2, 1, 8, 8)).astype(np.float32)
    out = model.forward(x)
    assert out.dtype == np.float32
    dx = model.backward(np.ones_like(out))
    assert dx.dtype == np.float32
    assert all(g.dtype == np.float32 for _, _, g in model.parameters())


def test_from_receptive_fields():
    rfs = [Gabor(2.0, o) for o in (0, 45, 90)]
    layer = Conv2D.from_receptive_fields(rfs, 16, trainable=False)
    k = rfs[0].kernel(16)
    assert layer.params["weight"].shape == (3, 1) + k.shape
    assert layer.padding == k.shape[0] // 2
    np.testing.assert_allclose(layer.params["weight"][0, 0], k / np.linalg.norm(k), rtol=1e-6)
    assert not layer.trainable
    model = Sequential([layer])
    assert model.parameters() == []
    layer.forward(np.zeros((1, 1, 20, 20), np.float32))
    layer.backward(np.ones((1, 3, 20, 20), np.float32))
    assert not np.any(layer.grads["weight"])  # frozen: no parameter gradient
    from cortex import ComplexCell

    assert Conv2D.from_receptive_fields([ComplexCell(2.0)], 16, kernel_size=9).params[
        "weight"
    ].shape == (2, 1, 9, 9)


# -- bad input ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Conv2D(0, 4, 3), ValueError, "`in_channels` must be >= 1, got 0"),
        (lambda: Conv2D(1, 4, 2.5), TypeError, "`kernel_size` must be an integer"),
        (lambda: Conv2D(1, 4, -3), ValueError, "`kernel_size` must be >= 1"),
        (lambda: Conv2D(1, 4, 3, stride=0), ValueError, "`stride` must be >= 1"),
        (lambda: Conv2D(1, 4, 3, padding=-1), ValueError, "`padding` must be >= 0"),
        (lambda: Conv2D(1, 4, 3, method="winograd"), ValueError, "`method` must be one of"),
        (lambda: Conv2D(1, 4, 3, dtype="int8"), TypeError, "`dtype` must be float32 or float64"),
        (lambda: Dense(10, 0), ValueError, "`out_features` must be >= 1"),
        (lambda: Dropout(1.0), ValueError, "`p` must be < 1"),
        (lambda: MaxPool2D(2, padding=2), ValueError, "`padding` must be at most half"),
        (lambda: LocallyConnected2D(1, 2, (4, 4), 7), ValueError, "larger than the padded input"),
        (lambda: Sequential([]), ValueError, "at least one Layer"),
        (lambda: Sequential([ReLU(), "relu"]), TypeError, r"`layers\[1\]` must be a Layer"),
    ],
)
def test_bad_construction(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_forward_inputs():
    conv = Conv2D(3, 4, 5)
    with pytest.raises(ValueError, match=r"`x` must be 4-D, got shape \(3, 8, 8\)"):
        conv.forward(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match="expects 3 input channel"):
        conv.forward(np.zeros((1, 2, 8, 8)))
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the padded input 4x4"):
        conv.forward(np.zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match="empty batch"):
        conv.forward(np.zeros((0, 3, 8, 8)))
    with pytest.raises(TypeError, match="`x` must hold real numbers"):
        conv.forward(np.zeros((1, 3, 8, 8), dtype=complex))
    dense = Dense(4, 2)
    with pytest.raises(ValueError, match=r"Dense expects inputs of shape \(N, 4\)"):
        dense.forward(np.zeros((2, 5)))
    conv.forward(np.zeros((1, 3, 8, 8)))
    with pytest.raises(ValueError, match="`grad` must have the output's shape"):
        conv.backward(np.zeros((1, 4, 3, 3)))


def test_chunked_patch_matrices_give_the_same_results(monkeypatch, rng):
    import cortex.correlation as correlation

    x = rng.standard_normal((5, 3, 9, 8))
    layer = Conv2D(3, 4, 3, stride=2, padding=1, seed=0, dtype="float64")
    whole = layer.forward(x)
    g = rng.standard_normal(whole.shape)
    layer.zero_grad()
    dx_whole = layer.backward(g)
    dw_whole = layer.grads["weight"].copy()
    monkeypatch.setitem(correlation.CHUNK_BYTES, "grid", 1)  # one sample per chunk
    monkeypatch.setitem(correlation.CHUNK_BYTES, "keep", 1)  # training too: rebuilt in backward
    assert len(correlation.grid_chunks(5, 100)) == 5
    np.testing.assert_allclose(layer.forward(x), whole, atol=1e-12)
    assert layer._cache[2] is None  # no patch matrix kept: backward rebuilds it chunk by chunk
    np.testing.assert_allclose(
        whole, naive_conv(x, layer.params["weight"], layer.params["bias"], 2, 1), atol=1e-12
    )
    layer.zero_grad()
    np.testing.assert_allclose(layer.backward(g), dx_whole, atol=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], dw_whole, atol=1e-12)
    _check_layer_gradients(layer, x[:2], rng)
    assert layer.backward(g[:2], input_grad=False) is None


@settings(deadline=None, max_examples=25)
@given(
    seed=st.integers(0, 2**16),
    pool=st.sampled_from([(2, None, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0)]),
    zeros=st.booleans(),
)
def test_sequential_runs_relu_then_maxpool_as_pool_then_relu_with_identical_results(
    seed, pool, zeros
):
    """The swapped execution order gives the same outputs and gradients as the layers in order."""
    k, s, p = pool
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 2, 6, 7))
    if zeros:  # ties: whole windows of rectified zeros
        x[:, :, :3] = -np.abs(x[:, :, :3])
    layers = [Conv2D(2, 3, 3, padding=1, seed=seed), ReLU(), MaxPool2D(k, s, p)]
    model = Sequential(layers)
    assert [type(layer).__name__ for layer in model._order()] == ["Conv2D", "MaxPool2D", "ReLU"]
    out = model.forward(x)
    g = rng.standard_normal(out.shape)
    dx = model.backward(g)
    # oracle: the layers one by one, in the order they were given
    ref = x
    for layer in layers:
        ref = layer.forward(ref)
    ref_g = g
    for layer in reversed(layers):
        ref_g = layer.backward(ref_g)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(dx, ref_g)


def test_sequential_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before `forward`"):
        Sequential([ReLU()]).backward(np.zeros((1, 1)))


def test_column_layout_helpers_are_inverse_views_and_match_a_loop(rng):
    import cortex.correlation as correlation

    x = rng.standard_normal((3, 2, 5, 6))
    cols, ho, wo = correlation.im2col(x, 2, 3, 1, 1)
    # oracle: column (i, j, n) holds the zero-padded patch of image n under unit (i, j)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for n, i, j in [(0, 0, 0), (2, 3, 5), (1, 5, 2)]:
        col = (i * wo + j) * 3 + n
        np.testing.assert_array_equal(cols[:, col], xp[n, :, i : i + 2, j : j + 3].ravel())
    values = rng.standard_normal((4, ho * wo * 3))
    nchw = correlation.from_columns(values, 3, ho, wo)
    assert nchw.shape == (3, 4, ho, wo) and np.shares_memory(nchw, values)
    np.testing.assert_array_equal(correlation.to_columns(nchw), values)


@settings(deadline=None, max_examples=40)
@given(
    k=st.integers(1, 3),
    n=st.integers(1, 4),
    c=st.integers(1, 3),
    tiles=st.integers(1, 4),
    levels=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_max_pool_backward_is_the_same_in_every_memory_layout(k, n, c, tiles, levels, seed):
    # few distinct values: many ties, which must go to the first tap in raster order
    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, (n, c, k * tiles, k * tiles)).astype(np.float32)
    g = rng.standard_normal((n, c, tiles, tiles)).astype(np.float32)
    batch_inner = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    g_inner = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    pool = MaxPool2D(k)
    out = pool.forward(x)
    dx = pool.backward(g)  # (N, C, H, W) memory: the loop over taps
    out_inner = pool.forward(batch_inner)
    dx_inner = pool.backward(g_inner)  # (C, H, W, N) memory: the one-pass path
    np.testing.assert_array_equal(out_inner, out)
    np.testing.assert_array_equal(dx_inner, dx)
    # oracle: each window's gradient goes to its first maximum
    expected = np.zeros_like(x)
    for i in range(tiles):
        for j in range(tiles):
            window = x[:, :, i * k : (i + 1) * k, j * k : (j + 1) * k].reshape(n, c, -1)
            first = window.argmax(axis=2)
            a, b = np.divmod(first, k)
            nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
            expected[nn, cc, i * k + a, j * k + b] = g[:, :, i, j]
    np.testing.assert_array_equal(dx_inner, expected)


# -- issue 11: types, budget, non-finite input, state -------------------------------------
@pytest.fixture
def budget():
    """Set the memory budget for one test; the default is restored afterwards."""
    yield cortex.set_memory_budget
    cortex.set_memory_budget(None)


_not_numbers = [None, "3", b"3", [1, "a"], {}, object(), 1 + 2j, True, False, np.bool_(True)]
_bad = {
    # kind: (bad values, values that are only bad because they are huge: the memory budget)
    "size": (_not_numbers + [2.5, np.nan, np.inf, -1, 0, -(10**30)], [10**7, 10**30]),
    "size0": (_not_numbers + [2.5, np.nan, -1, -(10**30)], []),
    "stride": (_not_numbers + [2.5, np.nan, np.inf, -1, 0, -(10**30)], []),
    "optional_size": ([s for s in _not_numbers if s is not None] + [2.5, -1, 0], []),
    "pair": (_not_numbers + [(1, 2, 3), [0, 3], (3, "3"), (True, 3), (3, 2.0), ()], [(3, 10**9)]),
    "flag": ([None, "no", "yes", 0, 1, 1.0, [True], np.float64(1)], []),
    "dtype": ([None, "int8", "float16", "abc", 3, True, 1.5, np.int32, complex], []),
    "method": ([None, "winograd", 3, True, ["fft"]], []),
    "seed": ([-1, 2.5, "x", True, [1], np.nan], []),
    "prob": ([-0.1, 1.0, 1.5, np.nan, np.inf, True, "0.5", None, [0.5]], []),
    "positive": ([0, -1.0, np.nan, np.inf, -np.inf, True, "0.1", None, 1j], []),
    "nonneg": ([-1e-9, -1, np.nan, np.inf, True, "0", None], []),
    "betas": ([(0.9,), (1.0, 0.999), (0.9, -0.1), 0.9, "ab", (True, 0.9), (np.nan, 0.9), None], []),
}
_constructors = {
    "Conv2D": (
        Conv2D,
        {"in_channels": 2, "out_channels": 3, "kernel_size": 3},
        {
            "in_channels": "size",
            "out_channels": "size",
            "kernel_size": "pair",
            "stride": "stride",
            "padding": "size0",
            "bias": "flag",
            "dtype": "dtype",
            "method": "method",
            "seed": "seed",
        },
    ),
    "LocallyConnected2D": (
        LocallyConnected2D,
        {"in_channels": 2, "out_channels": 3, "input_size": (6, 6), "kernel_size": 3},
        {
            "in_channels": "size",
            "out_channels": "size",
            "input_size": "pair",
            "kernel_size": "pair",
            "stride": "stride",
            "padding": "size0",
            "bias": "flag",
            "dtype": "dtype",
            "seed": "seed",
        },
    ),
    "Dense": (
        Dense,
        {"in_features": 3, "out_features": 2},
        {
            "in_features": "size",
            "out_features": "size",
            "bias": "flag",
            "dtype": "dtype",
            "seed": "seed",
        },
    ),
    "MaxPool2D": (
        MaxPool2D,
        {"kernel_size": 2},
        {"kernel_size": "pair", "stride": "optional_size", "padding": "size0"},
    ),
    "AvgPool2D": (
        AvgPool2D,
        {"kernel_size": 2},
        {"kernel_size": "pair", "stride": "optional_size", "padding": "size0"},
    ),
    "Dropout": (Dropout, {}, {"p": "prob", "seed": "seed"}),
    "SGD": (
        SGD,
        {},
        {"lr": "positive", "momentum": "prob", "weight_decay": "nonneg", "nesterov": "flag"},
    ),
    "Adam": (
        Adam,
        {},
        {"lr": "positive", "eps": "positive", "weight_decay": "nonneg", "betas": "betas"},
    ),
    "from_receptive_fields": (
        lambda **kw: Conv2D.from_receptive_fields(**kw),
        {"rfs": Gaussian(0.2), "pixels_per_degree": 10.0},
        {
            "kernel_size": "optional_size",
            "trainable": "flag",
            "normalize": "flag",
            "stride": "stride",
            "dtype": "dtype",
            "method": "method",
        },
    ),
}
_cases = [
    (name, arg, value)
    for name, (_, _, args) in _constructors.items()
    for arg, kind in args.items()
    # huge sizes are refused by the memory budget; a pooling layer allocates nothing for them
    for value in _bad[kind][0] + ([] if name.endswith("Pool2D") else _bad[kind][1])
]


@pytest.mark.parametrize(("name", "arg", "value"), _cases, ids=repr)
def test_every_bad_constructor_argument_is_refused_naming_it(name, arg, value, budget):
    make, required, _ = _constructors[name]
    budget("64M")  # huge sizes: refused by the budget, before allocating
    with pytest.raises((TypeError, ValueError)) as info:
        make(**{**required, arg: value})
    message = str(info.value)
    assert f"`{arg}`" in message or f"{arg}=" in message, message
    if isinstance(info.value, MemoryBudgetError):
        assert "over the memory budget of 64 MiB" in message


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(_constructors)),
    data=st.data(),
)
def test_random_bad_arguments_are_refused_naming_them(name, data, budget):
    make, required, args = _constructors[name]
    arg = data.draw(st.sampled_from(sorted(args)))
    kind = args[arg]
    integral = kind in ("size", "size0", "stride", "optional_size", "pair", "seed")
    value = data.draw(
        st.sampled_from(_bad[kind][0])
        # strings: none is a valid value, except the names of the accepted choices
        | st.text(max_size=3).filter(lambda t: t not in ("fft", "f4", "f8", "f", "d"))
        | st.lists(st.integers(-3, 3), min_size=3, max_size=4)
        | (st.integers(max_value=-1) if integral else st.nothing())
        | (st.floats().filter(lambda v: not float(v).is_integer()) if integral else st.nothing())
        | (st.floats().filter(lambda v: not 0 <= v < 1) if kind == "prob" else st.nothing())
        | (st.floats(max_value=0) if kind == "positive" else st.nothing())
    )
    budget("64M")
    with pytest.raises((TypeError, ValueError)) as info:
        make(**{**required, arg: value})
    assert f"`{arg}`" in str(info.value) or f"{arg}=" in str(info.value)


def test_issue_examples_of_wrong_types():
    with pytest.raises(TypeError, match="`bias` must be True or False, got 'no'"):
        Conv2D(1, 1, 3, bias="no")
    with pytest.raises(TypeError, match="`dtype` must be 'float32' or 'float64'.*got None"):
        Dense(3, 2, dtype=None)
    with pytest.raises(TypeError, match="`layers` must be an iterable .* got None"):
        Sequential(None)
    with pytest.raises(TypeError, match="`layers` must be an iterable"):
        Sequential(ReLU())
    with pytest.raises(TypeError, match="`layers` must be an iterable"):
        Sequential("relu")
    for layer in (ReLU(), Flatten(), Dropout(0.5), Conv2D(1, 1, 1), Dense(1, 1), MaxPool2D(1)):
        with pytest.raises(TypeError, match="`x` must (hold real numbers|be an array)"):
            layer.forward("abc")
        with pytest.raises(TypeError, match="`x` must (hold real numbers|be an array)"):
            layer.forward([[1.0], [1.0, 2.0]])  # ragged
    with pytest.raises(ValueError, match="`x` must be a non-empty batch"):
        ReLU().forward(np.float64(3.0))
    # float and numpy names of the two dtypes are accepted
    assert Dense(2, 2, dtype=np.float64).dtype == Dense(2, 2, dtype="f8").dtype == "float64"


def test_budget_refuses_huge_layers_before_allocating():
    tracemalloc.start()
    try:
        with pytest.raises(MemoryBudgetError, match=r"Dense\(in_features=1000000, out_f"):
            Dense(10**6, 10**6)
        with pytest.raises(MemoryBudgetError, match=r"kernel_size=\(100000, 100000\)"):
            Conv2D(1, 1, 10**5)
        with pytest.raises(MemoryBudgetError, match=r"LocallyConnected2D\(.*input_size=\("):
            LocallyConnected2D(3, 64, (4000, 4000), 5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20


def test_budget_knob_sets_the_largest_layer(budget):
    budget("1M")
    Dense(100, 100)  # 40 kB of weights
    with pytest.raises(MemoryBudgetError, match=r"would need .* over the memory budget of 1 MiB"):
        Dense(1000, 1000)
    with pytest.raises(ValueError):  # a MemoryBudgetError is a ValueError too
        Conv2D(64, 64, 11)
    budget(None)
    Dense(1000, 1000)


def test_locally_connected_forward_checks_its_patch_matrix_against_the_budget(budget):
    layer = LocallyConnected2D(1, 1, (32, 32), 9, padding=4)
    budget("1M")
    with pytest.raises(MemoryBudgetError, match="patch matrix of LocallyConnected2D.forward"):
        layer.forward(np.zeros((64, 1, 32, 32)))
    assert layer.forward(np.zeros((1, 1, 32, 32))).shape == (1, 1, 32, 32)


_forward_layers = [
    lambda: Conv2D(2, 3, 3, padding=1, dtype="float64"),
    lambda: Conv2D(2, 3, 3, padding=1, method="fft"),
    lambda: LocallyConnected2D(2, 3, (6, 6), 3, dtype="float64"),
    lambda: MaxPool2D(2),
    lambda: AvgPool2D(3, stride=1, padding=1),
]


@pytest.mark.parametrize("make", _forward_layers)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_refused_naming_x(make, bad):
    x = np.ones((2, 2, 6, 6))
    x[1, 0, 2, 3] = bad
    layer = make()
    with pytest.raises(ValueError, match=r"`x` must be finite, got 1 NaN or infinite value"):
        layer.forward(x)
    with np.errstate(invalid="ignore"):
        out = layer.forward(x, check_finite=False)  # as scipy: the check can be skipped
    if not isinstance(layer, MaxPool2D):  # a max over a window with -inf can be finite
        assert not np.all(np.isfinite(out))
    dense = Dense(3, 2)
    with pytest.raises(ValueError, match="`x` must be finite"):
        dense.forward(np.array([[1.0, bad, 0.0]]))


def test_networks_check_their_input_once(monkeypatch):
    x = np.ones((1, 1, 6, 6))
    x[0, 0, 0, 0] = np.nan
    for model in (
        Sequential([Conv2D(1, 2, 3), ReLU(), Flatten(), Dense(32, 2)]),
        Sequential([ReLU(), Conv2D(1, 2, 3)]),  # a first layer without the check
    ):
        with pytest.raises(ValueError, match="`x` must be finite"):
            model.forward(x)
    seen = []
    original = layers_module._refuse_non_finite

    def spy(array, name, dtype=None):
        seen.append(array.shape)
        return original(array, name, dtype)

    monkeypatch.setattr(layers_module, "_refuse_non_finite", spy)
    Sequential([Conv2D(1, 2, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(8, 2)]).forward(
        np.ones((1, 1, 6, 6))
    )
    assert seen == [(1, 1, 6, 6)]  # the input only, not the activations


def test_values_beyond_float32_are_refused_by_float32_layers():
    with pytest.raises(ValueError, match=r"`x` holds values up to 1e\+300 .* float32 range"):
        Conv2D(1, 1, 3).forward(np.full((1, 1, 5, 5), 1e300))
    Conv2D(1, 1, 3, dtype="float64").forward(np.full((1, 1, 5, 5), 1e300))


@given(
    make=st.sampled_from(
        [
            lambda: Conv2D(2, 2, 3, padding=1, dtype="float64", seed=0),
            lambda: Conv2D(2, 2, 3, padding=1, dtype="float64", seed=0, method="fft"),
            lambda: Conv2D(2, 2, 3, seed=0),
            lambda: LocallyConnected2D(2, 2, (5, 5), 3, dtype="float64", seed=0),
            lambda: MaxPool2D(2, stride=1),
            lambda: AvgPool2D(3, stride=1, padding=1),
        ]
    ),
    scale=st.sampled_from([1.0, 1e30, 1e150, 1e300, 1.7e308]),
    seed=st.integers(0, 2**16),
)
def test_finite_inputs_give_finite_outputs_or_a_clear_error(make, scale, seed):
    layer = make()
    x = np.random.default_rng(seed).uniform(-1, 1, (2, 2, 5, 5)) * scale
    dtype = getattr(layer, "dtype", "float64")
    if dtype == "float32":
        x = np.clip(x, -3e38, 3e38).astype(np.float32)
    try:
        out = layer.forward(x)
    except ValueError as exc:  # too large for the layer: said so, naming `x`
        assert "`x`" in str(exc) and scale >= 1e150
    else:
        assert np.all(np.isfinite(out))


@given(
    values=st.lists(
        st.floats(-1.7e308, 1.7e308, allow_nan=False, allow_infinity=False),
        min_size=4,
        max_size=4,
    ),
    seed=st.integers(0, 99),
)
def test_dense_and_pooling_give_finite_outputs_for_extreme_inputs(values, seed):
    x = np.array(values).reshape(1, 1, 2, 2)
    np.testing.assert_array_equal(MaxPool2D(2).forward(x)[0, 0, 0, 0], max(values))
    mean = AvgPool2D(2).forward(x)[0, 0, 0, 0]
    assert np.isfinite(mean)
    np.testing.assert_allclose(mean, np.mean(np.array(values) / 4) * 4, rtol=1e-12, atol=1e-300)
    try:
        out = Dense(4, 3, dtype="float64", seed=seed).forward(x.reshape(1, 4))
    except ValueError as exc:
        assert "the layer's output overflows float64" in str(exc)
    else:
        assert np.all(np.isfinite(out))


@pytest.mark.parametrize(
    "layer",
    [
        Conv2D(1, 1, 1),
        LocallyConnected2D(1, 1, (2, 2), 1),
        Dense(1, 1),
        ReLU(),
        Flatten(),
        Dropout(0.5),
        MaxPool2D(1),
        AvgPool2D(1),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_backward_before_forward_says_so_for_every_layer(layer):
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=rf"{name}.backward called before forward"):
        layer.backward(np.zeros((1, 1, 2, 2)))
    x = np.ones((1, 1, 2, 2)) if name != "Dense" else np.ones((1, 1))
    out = layer.forward(x)
    assert layer.backward(np.ones_like(out)).shape == x.shape  # and after forward, it works
    if name == "Dropout":  # evaluation mode: the identity, still checked
        layer.training = False
        layer.forward(x)
        with pytest.raises(ValueError, match="`grad` must have the output's shape"):
            layer.backward(np.ones((2, 2)))


def test_an_optimiser_refuses_a_model_of_other_shapes():
    for opt in (Adam(0.01), SGD(0.1, momentum=0.9)):
        first = Sequential([Dense(3, 2, seed=0)])
        first[0].grads["weight"][...] = 1.0
        opt.step(first)
        other = Sequential([Dense(4, 2, seed=1), ReLU()])
        before = {k: v.copy() for k, v in other.state().items()}
        with pytest.raises(
            ValueError,
            match=r"parameter 0.weight has shape \(2, 4\), but the optimiser's state .* has "
            r"shape \(2, 3\).*new optimiser",
        ):
            opt.step(other)
        for key, value in other.state().items():  # nothing was updated
            np.testing.assert_array_equal(value, before[key])
        opt.step(Sequential([Dense(3, 2, seed=2)]))  # same shapes: fine (as torch)
    SGD(0.1).step(Sequential([Dense(4, 2)]))  # no state, nothing to refuse
