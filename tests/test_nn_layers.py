import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cortex import Gabor, Mosaic, Population, VisualField, linear_responses
from cortex.nn import (
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
