import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracles import central_difference

import cortex.correlation as correlation
from cortex import MemoryBudgetError, VisualField
from cortex.nn import (
    AvgPool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    effective_receptive_field,
    receptive_field,
    unit_gradient,
    unit_tiling,
)


def test_alexnet_v2_golden_values():
    # conv11/s4/p0, maxpool3/s2, conv5/p2, maxpool3/s2, conv3/p1 (x3), maxpool3/s2
    net = Sequential(
        [
            Conv2D(3, 4, 11, stride=4),
            ReLU(),
            MaxPool2D(3, stride=2),
            Conv2D(4, 4, 5, padding=2),
            MaxPool2D(3, stride=2),
            Conv2D(4, 4, 3, padding=1),
            Conv2D(4, 4, 3, padding=1),
            Conv2D(4, 4, 3, padding=1),
            MaxPool2D(3, stride=2),
        ]
    )
    last = receptive_field(net, (3, 224, 224))[-1]
    assert last.size == (195, 195)
    assert last.jump == (32, 32)
    assert last.padding == (64, 64)
    # the closed form r = sum_l (k_l - 1) prod_{i<l} s_i + 1
    ks, ss = [11, 3, 5, 3, 3, 3, 3, 3], [4, 2, 1, 2, 1, 1, 1, 2]
    assert last.size[0] == sum((k - 1) * np.prod(ss[:i]) for i, k in enumerate(ks)) + 1
    assert receptive_field(net, 224)[1].size == (11, 11)  # ReLU keeps the geometry


layer_specs = st.lists(
    st.tuples(
        st.sampled_from(["conv", "avg"]), st.integers(1, 4), st.integers(1, 2), st.integers(0, 1)
    ),
    min_size=1,
    max_size=4,
)


@given(specs=layer_specs, seed=st.integers(0, 99))
def test_empirical_rf_is_exactly_the_computed_window(specs, seed):
    # with a kernel smaller than its stride the RF has holes (the arithmetic gives its
    # bounding window), so the exact-window property needs k >= s in every layer
    assume(all(k >= s for _, k, s, _ in specs))
    layers = []
    for kind, k, s, p in specs:
        p = min(p, k // 2)
        layers.append(
            Conv2D(1, 1, k, stride=s, padding=p, seed=seed, dtype="float64")
            if kind == "conv"
            else AvgPool2D(k, stride=s, padding=p)
        )
    net = Sequential(layers)
    size = 24
    try:
        geometry = receptive_field(net, size)
    except ValueError:
        assume(False)
    info = geometry[-1]
    _, ho, wo = info.output_shape
    # make every weight positive so no gradient cancels by accident (linear activations)
    for layer in net:
        if "weight" in layer.params:
            layer.params["weight"][...] = np.abs(layer.params["weight"]) + 0.1
    half = (info.size[0] - 1) / 2
    # a unit whose whole window lies on the input (windows reaching past the last pixels
    # the network reads, or into the padding, are clipped and tested elsewhere)
    inside = [
        i
        for i in range(ho)
        if info.start[0] + i * info.jump[0] - half >= 0
        and info.start[0] + i * info.jump[0] + half <= size - 1
    ]
    assume(inside)
    i = j = inside[len(inside) // 2]
    assume(j < wo)
    x = np.zeros((1, 1, size, size))
    out = net.forward(x)
    grad = np.zeros_like(out)
    grad[0, 0, i, j] = 1.0
    dx = net.backward(grad)[0, 0]
    rows, cols = np.nonzero(dx)
    lo_r, hi_r = info.start[0] + i * info.jump[0] - half, info.start[0] + i * info.jump[0] + half
    lo_c, hi_c = info.start[1] + j * info.jump[1] - half, info.start[1] + j * info.jump[1] + half
    assert (rows.min(), rows.max()) == (lo_r, hi_r)
    assert (cols.min(), cols.max()) == (lo_c, hi_c)
    assert rows.size == (hi_r - lo_r + 1) * (hi_c - lo_c + 1)  # a full rectangle


@given(n=st.integers(1, 5), k=st.sampled_from([3, 5, 7]))
def test_erf_variance_of_stacked_uniform_layers(n, k):
    layers = []
    for _ in range(n):
        conv = Conv2D(1, 1, k, padding=k // 2, bias=False, dtype="float64")
        conv.params["weight"][...] = 1.0 / k**2
        layers.append(conv)
    net = Sequential(layers)
    size = n * (k - 1) + 9
    erf = effective_receptive_field(net, (1, size, size))
    assert erf.sum() == pytest.approx(1.0)
    coords = np.arange(size) - size // 2
    for axis in (0, 1):
        marginal = erf.sum(axis=1 - axis)
        mean = (marginal * coords).sum()
        var = (marginal * (coords - mean) ** 2).sum()
        assert mean == pytest.approx(0.0, abs=1e-9)
        assert var == pytest.approx(n * (k**2 - 1) / 12)
    assert not any(np.any(g) for _, _, g in net.parameters())  # left at zero


def test_unit_tiling_over_the_visual_field():
    field = VisualField(28 / 14, 28 / 14, 14)
    net = Sequential(
        [Conv2D(1, 4, 5, padding=2), MaxPool2D(2), Conv2D(4, 4, 5, padding=2), MaxPool2D(2)]
    )
    mosaic, rf, units = unit_tiling(net, 3, field)
    assert mosaic.n_neurons == 7 * 7
    info = receptive_field(net, 28)[3]
    assert info.jump == (4, 4)
    d = np.diff(np.unique(mosaic.centers[:, 0]))
    np.testing.assert_allclose(d, 4 / 14)  # spacing = jump in degrees
    assert rf.sigma == pytest.approx(info.size[0] / 2 / 14)
    assert units.shape == (49, 2)
    with pytest.raises(ValueError, match=r"layer 0 \(Flatten\).*the model has no spatial layer"):
        unit_tiling(Sequential([Flatten(), Dense(784, 2)]), 0, field)


def test_bad_input():
    net = Sequential([Conv2D(1, 1, 5)])
    with pytest.raises(ValueError, match="larger than the padded input"):
        receptive_field(net, 3)
    with pytest.raises(ValueError, match="`input_size` must be"):
        receptive_field(net, (1, 2, 3, 4))
    with pytest.raises(TypeError, match="`model` must be a Sequential"):
        receptive_field([Conv2D(1, 1, 3)], 10)
    with pytest.raises(ValueError, match="`channel` must be < 1"):
        effective_receptive_field(net, (1, 9, 9), channel=3)


def test_erf_with_relu_and_max_pooling_is_not_empty():
    # a frozen Gabor front end (zero bias) behind a ReLU: a zero input would give a zero map
    from cortex import Gabor

    v1 = Conv2D.from_receptive_fields(
        [Gabor(2.0, o) for o in (0, 90)], 16, kernel_size=9, trainable=False
    )
    net = Sequential(
        [v1, ReLU(), MaxPool2D(2), Conv2D(2, 2, 3, padding=1, seed=0), ReLU(), MaxPool2D(2)]
    )
    erf = effective_receptive_field(net, (1, 32, 32))
    assert np.count_nonzero(erf) > 100
    # the centre of mass sits near the centre unit's RF centre
    info = receptive_field(net, 32)[-1]
    _, ho, _ = info.output_shape
    centre = info.start[0] + (ho // 2) * info.jump[0]
    weights = np.abs(erf).sum(axis=1)
    assert abs((weights * np.arange(32)).sum() / weights.sum() - centre) < 2.0
    again = effective_receptive_field(net, (1, 32, 32))
    np.testing.assert_array_equal(erf, again)  # seeded noise: reproducible


def test_layer_indices_and_sizes_are_checked():
    field = VisualField(1.0, 1.0, 28)
    net = Sequential([Conv2D(1, 2, 3, padding=1), MaxPool2D(2), Flatten(), Dense(2 * 14 * 14, 2)])
    m_last, _, _ = unit_tiling(net, -3, field)  # -3: model.layers[-3], the pooling
    m_pool, _, _ = unit_tiling(net, 1, field)
    np.testing.assert_array_equal(m_last.centers, m_pool.centers)
    with pytest.raises(ValueError, match=r"`layer` must be in \[-4, 4\) .*, got -5"):
        unit_tiling(net, -5, field)
    with pytest.raises(ValueError, match=r"`layer` -1 is layer 3 \(Dense\), which has no spatial"):
        unit_tiling(net, -1, field)
    with pytest.raises(TypeError, match="`input_size` must be an int H"):
        receptive_field(net, 28.0)
    with pytest.raises(TypeError, match="`input_size` must be an int H"):
        receptive_field(net, None)
    with pytest.raises(TypeError, match="`input_size` must be an integer"):
        receptive_field(net, ("28", 28))


# -- unit_gradient and the one meaning of `layer` ------------------------------------------
@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    seed=st.integers(0, 10_000),
    c_in=st.integers(1, 2),
    k=st.integers(1, 3),
    stride=st.integers(1, 2),
    relu=st.booleans(),
    pool=st.booleans(),
    dense=st.booleans(),
    n=st.integers(1, 2),
)
def test_unit_gradient_equals_central_differences(
    data, seed, c_in, k, stride, relu, pool, dense, n
):
    size = 8
    layers = [Conv2D(c_in, 3, k, stride=stride, padding=k // 2, seed=seed, dtype="float64")]
    layers += [ReLU()] if relu else []
    layers += [MaxPool2D(2)] if pool else []
    layers.append(Conv2D(3, 2, 3, padding=1, seed=seed + 1, dtype="float64"))
    if dense:
        flat = int(np.prod(Sequential(layers).output_shape((c_in, size, size))))
        layers += [Flatten(), Dense(flat, 3, seed=seed + 2, dtype="float64"), ReLU()]
    model = Sequential(layers)
    layer = data.draw(st.integers(-len(layers), len(layers) - 1), label="layer")
    index = layer % len(layers)
    out_shape = Sequential(layers[: index + 1]).output_shape((c_in, size, size))
    channel = data.draw(st.integers(0, out_shape[0] - 1), label="channel")
    if len(out_shape) == 3:
        rows, cols = out_shape[1:]
        position = data.draw(
            st.none() | st.tuples(st.integers(0, rows - 1), st.integers(0, cols - 1)),
            label="position",
        )
        site = (channel, *((rows // 2, cols // 2) if position is None else position))
    else:
        position, site = None, (channel,)
    x = np.random.default_rng(seed).standard_normal((n, c_in, size, size))
    grad = unit_gradient(model, layer, channel, position, x=x)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad, central_difference(layers[: index + 1], x, site), atol=1e-7)


def test_unit_gradient_of_a_blank_image_is_the_filter_in_place():
    conv = Conv2D(1, 2, 3, seed=0, dtype="float64")
    grad = unit_gradient(Sequential([conv]), 0, 1, (1, 3), input_shape=(7, 7))
    expected = np.zeros((1, 1, 7, 7))
    expected[0, 0, 1:4, 3:6] = conv.params["weight"][1, 0]  # the window of output (1, 3)
    np.testing.assert_array_equal(grad, expected)


def test_unit_gradient_behind_dropout_is_the_same_every_time_and_keeps_training_mode(rng):
    conv1 = Conv2D(1, 3, 3, padding=1, seed=0, dtype="float64")
    conv2 = Conv2D(3, 2, 3, padding=1, seed=1, dtype="float64")
    relu = ReLU()
    model = Sequential([conv1, relu, Dropout(0.5, seed=0), conv2]).train()
    twin = Sequential([conv1, ReLU(), Dropout(0.5, seed=0), conv2]).train()  # never probed
    x = rng.standard_normal((2, 1, 9, 9))
    first = unit_gradient(model, -1, 1, x=x)
    second = unit_gradient(model, 3, 1, x=x)
    np.testing.assert_array_equal(first, second)
    assert all(layer.training for layer in model)
    # dropout is off: the gradient is that of the network without it
    expected = central_difference([conv1, relu, conv2], x, (1, 4, 4))
    np.testing.assert_allclose(first, expected, atol=1e-7)
    erf = effective_receptive_field(model, (1, 9, 9), channel=1)
    np.testing.assert_array_equal(erf, effective_receptive_field(model, (1, 9, 9), channel=1))
    assert all(layer.training for layer in model)
    # the dropout masks drawn afterwards are those of a network that was never probed
    np.testing.assert_array_equal(model.forward(x), twin.forward(x))


def test_probes_keep_the_users_gradients_and_a_pending_backward(rng):
    model = Sequential(
        [
            Conv2D(1, 2, 3, padding=1, seed=0, dtype="float64"),
            ReLU(),
            MaxPool2D(2),
            Conv2D(2, 2, 3, padding=1, seed=1, dtype="float64"),
            Flatten(),
            Dense(50, 3, seed=2, dtype="float64"),
        ]
    )
    x = rng.standard_normal((4, 1, 10, 10))
    g = rng.standard_normal((4, 3))
    model.forward(x)
    dx_ref = model.backward(g)
    step = {name: grad.copy() for name, _, grad in model.parameters()}
    # the user's accumulated gradients: known non-zero arrays
    known = {name: rng.standard_normal(grad.shape) for name, _, grad in model.parameters()}
    for i, layer in enumerate(model):
        for key in layer.grads:
            layer.grads[key] = known[f"{i}.{key}"].copy()
    arrays = {name: grad for name, _, grad in model.parameters()}
    model.forward(x)  # a backward is pending: the probes must not disturb its caches
    unit_gradient(model, 3, 1, x=x[:1])
    unit_gradient(model, -1, 2, input_shape=(10, 10))
    effective_receptive_field(model, (1, 10, 10))
    effective_receptive_field(model, 10, layer=0, x=x[:2])
    for name, _, grad in model.parameters():
        assert grad is arrays[name]
        np.testing.assert_array_equal(grad, known[name])
    dx = model.backward(g)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12)
    for name, _, grad in model.parameters():
        np.testing.assert_allclose(grad, known[name] + step[name], rtol=1e-12)


def test_unit_gradient_leaves_the_model_as_found_when_a_layer_raises(monkeypatch):
    model = Sequential([Conv2D(1, 2, 3, seed=0), ReLU(), Dropout(0.3), Conv2D(2, 1, 3, seed=1)])
    model[3].trainable = False
    grads = [layer.grads for layer in model]
    arrays = [dict(g) for g in grads]
    caches = [layer._cache for layer in model]

    def boom(grad, *, input_grad=True):
        raise RuntimeError("boom")

    monkeypatch.setattr(model[1], "backward", boom)
    with pytest.raises(RuntimeError, match="boom"):
        unit_gradient(model, 3, 0, input_shape=(1, 8, 8))
    assert [layer.training for layer in model] == [True] * 4
    assert [layer.trainable for layer in model] == [True, True, True, False]
    for layer, g, a, cache in zip(model, grads, arrays, caches, strict=True):
        assert layer.grads is g and layer._cache is cache
        assert all(g[key] is a[key] and not np.any(g[key]) for key in a)


def test_layer_is_an_index_into_model_layers_everywhere():
    field = VisualField(1.0, 1.0, 16)  # 16 x 16 px
    conv1 = Conv2D(1, 2, 3, padding=1, seed=0, dtype="float64")
    conv2 = Conv2D(2, 2, 3, seed=1, dtype="float64")
    spatial = Sequential([conv1, ReLU(), MaxPool2D(2), conv2])
    last, rf_last, units_last = unit_tiling(spatial, -1, field)
    same, rf_same, units_same = unit_tiling(spatial, 3, field)
    np.testing.assert_array_equal(last.centers, same.centers)
    np.testing.assert_array_equal(units_last, units_same)
    # layer 3's RF by hand: 3 px, + 1 px by the pooling (jump 2), + 2 x 2 px by the conv
    assert rf_last.sigma == rf_same.sigma == pytest.approx(8 / 2 / 16)
    assert last.n_neurons == 6 * 6
    erfs = [effective_receptive_field(spatial, (1, 16, 16), layer=i) for i in (-1, 3, None)]
    np.testing.assert_array_equal(erfs[0], erfs[1])
    np.testing.assert_array_equal(erfs[0], erfs[2])
    # behind a dense head the default is still the last spatial layer (index 3)
    headed = Sequential([conv1, ReLU(), MaxPool2D(2), conv2, Flatten(), Dense(72, 2, seed=2)])
    erf = effective_receptive_field(headed, (1, 16, 16))
    np.testing.assert_array_equal(erf, effective_receptive_field(headed, (1, 16, 16), layer=-3))
    noise = np.random.default_rng(0).standard_normal((16, 1, 16, 16))  # the default inputs
    expected = central_difference(headed.layers[:4], noise, (0, 3, 3)).sum(axis=1).mean(axis=0)
    np.testing.assert_allclose(erf, expected, atol=1e-7)


def test_a_layer_without_a_spatial_rf_is_rejected_by_index_and_class():
    field = VisualField(1.0, 1.0, 8)
    net = Sequential([Conv2D(1, 2, 3, padding=1), MaxPool2D(2), Flatten(), Dense(32, 2), ReLU()])
    for layer, name in [(2, "Flatten"), (3, "Dense"), (-2, "Dense"), (4, "ReLU"), (-1, "ReLU")]:
        message = rf"`layer` {layer} is layer {layer % 5} \({name}\), which has no spatial"
        with pytest.raises(ValueError, match=message):
            unit_tiling(net, layer, field)
        with pytest.raises(ValueError, match=message):
            effective_receptive_field(net, (1, 8, 8), layer=layer)
    with pytest.raises(ValueError, match=r"from layer 2 \(Flatten\) on.*spatial layers are 0..1"):
        unit_tiling(net, 3, field)
    flat = Sequential([Flatten(), Dense(64, 2)])
    with pytest.raises(ValueError, match="the model has no spatial layer"):
        effective_receptive_field(flat, (1, 8, 8))
    # unit_gradient takes any layer: a Dense unit is a feature, with no position
    with pytest.raises(ValueError, match=r"layer 3 \(Dense\) has no positions"):
        unit_gradient(net, 3, 0, (0, 0), input_shape=8)
    with pytest.raises(ValueError, match=r"`channel` must be < 2 \(layer 3, Dense\)"):
        unit_gradient(net, -2, 2, input_shape=8)


def test_unit_gradient_bad_input():
    net = Sequential([Conv2D(1, 2, 3, padding=1)])
    with pytest.raises(ValueError, match="`x` or `input_shape` is required"):
        unit_gradient(net, 0, 0)
    with pytest.raises(ValueError, match=r"`x` must be a non-empty batch \(N, C, H, W\)"):
        unit_gradient(net, 0, 0, x=np.zeros((1, 8, 8)))
    with pytest.raises(TypeError, match="`x` must hold real numbers"):
        unit_gradient(net, 0, 0, x=np.zeros((1, 1, 8, 8), dtype=complex))
    with pytest.raises(ValueError, match="the network does not accept inputs of shape"):
        unit_gradient(net, 0, 0, x=np.zeros((1, 3, 8, 8)))
    with pytest.raises(ValueError, match=r"`position` must be within the 8x8 map of layer 0"):
        unit_gradient(net, 0, 0, (8, 0), input_shape=8)
    with pytest.raises(TypeError, match="`position` must be a \\(row, col\\) pair"):
        unit_gradient(net, 0, 0, 3, input_shape=8)
    with pytest.raises(TypeError, match="`model` must be a Sequential"):
        unit_gradient([net[0]], 0, 0, input_shape=8)
    with pytest.raises(ValueError, match=r"`x` must have shape \(N, 1, 9, 9\)"):
        effective_receptive_field(net, (1, 9, 9), x=np.zeros((2, 1, 8, 8)))


# -- issue 11: streamed ERF samples, the memory budget, bad inputs --------------------------
def _erf_net(dtype="float64"):
    return Sequential(
        [
            Conv2D(1, 3, 3, padding=1, seed=0, dtype=dtype),
            ReLU(),
            MaxPool2D(2),
            Conv2D(3, 2, 3, seed=1, dtype=dtype),
        ]
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_erf_streams_its_samples_and_gives_the_one_chunk_mean(monkeypatch, dtype, rng):
    net = _erf_net(dtype)
    whole = effective_receptive_field(net, (1, 12, 12), n_samples=40, seed=3)
    x = rng.standard_normal((40, 1, 12, 12))
    whole_x = effective_receptive_field(net, (1, 12, 12), x=x)
    monkeypatch.setitem(correlation.CHUNK_BYTES, "keep", 30_000)  # a few samples a chunk
    chunked = effective_receptive_field(net, (1, 12, 12), n_samples=40, seed=3)
    chunked_x = effective_receptive_field(net, (1, 12, 12), x=x)
    assert chunked.dtype == whole.dtype == np.dtype(dtype)
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(chunked, whole, rtol=rtol, atol=rtol * np.abs(whole).max())
    np.testing.assert_allclose(chunked_x, whole_x, rtol=rtol, atol=rtol * np.abs(whole).max())
    monkeypatch.setitem(correlation.CHUNK_BYTES, "keep", 1)  # one sample a chunk
    single = effective_receptive_field(net, (1, 12, 12), n_samples=40, seed=3)
    np.testing.assert_allclose(single, whole, rtol=rtol, atol=rtol * np.abs(whole).max())


def test_erf_memory_does_not_grow_with_the_number_of_samples(monkeypatch):
    net = _erf_net()
    monkeypatch.setitem(correlation.CHUNK_BYTES, "keep", 256 * 2**10)
    peaks = []
    for n_samples in (200, 4000):  # 4000 samples of noise alone: 4.6 MB
        tracemalloc.start()
        try:
            effective_receptive_field(net, (1, 12, 12), n_samples=n_samples)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0] + 2**18
    assert peaks[1] < 2 * 2**20


def test_huge_inputs_are_refused_by_the_budget_before_allocating():
    net = Sequential([Conv2D(1, 1, 3)])
    tracemalloc.start()
    try:
        with pytest.raises(MemoryBudgetError, match=r"effective_receptive_field: one sample"):
            effective_receptive_field(net, (1, 10**5, 10**5))
        with pytest.raises(MemoryBudgetError, match=r"unit_gradient on a blank image"):
            unit_gradient(net, 0, 0, input_shape=(1, 10**5, 10**5))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_erf_and_unit_gradient_bad_values():
    net = Sequential([Conv2D(1, 2, 3, padding=1)])
    with pytest.raises(TypeError, match="`n_samples` must be an integer, got True"):
        effective_receptive_field(net, (1, 8, 8), n_samples=True)
    with pytest.raises(ValueError, match="`n_samples` must be >= 1, got 0"):
        effective_receptive_field(net, (1, 8, 8), n_samples=0)
    with pytest.raises(TypeError, match="`seed` must be an integer"):
        effective_receptive_field(net, (1, 8, 8), seed="a")
    with pytest.raises(ValueError, match="`seed` must be >= 0"):
        effective_receptive_field(net, (1, 8, 8), seed=-1)
    x = np.zeros((2, 1, 8, 8))
    x[1, 0, 3, 3] = np.nan
    with pytest.raises(ValueError, match="`x` must be finite, got 1 NaN"):
        effective_receptive_field(net, (1, 8, 8), x=x)
    with pytest.raises(ValueError, match="`x` must be finite, got 1 NaN"):
        unit_gradient(Sequential([ReLU(), net[0]]), 1, 0, x=x)
    with pytest.raises(ValueError, match="`x` must be a non-empty batch"):
        effective_receptive_field(net, (1, 8, 8), x=np.zeros((0, 1, 8, 8)))
    with pytest.raises(TypeError, match="`x` must hold real numbers"):
        effective_receptive_field(net, (1, 8, 8), x=np.full((1, 1, 8, 8), "a"))
    with pytest.raises(TypeError, match="`input_size` must be an integer"):
        effective_receptive_field(net, (1, True, 8))
