import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cortex import VisualField
from cortex.nn import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    effective_receptive_field,
    receptive_field,
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
    with pytest.raises(
        ValueError, match="`layer` must index a spatial layer, but the model has none"
    ):
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
    m_last, _, _ = unit_tiling(net, -1, field)  # -1: the last spatial layer
    m_pool, _, _ = unit_tiling(net, 1, field)
    np.testing.assert_array_equal(m_last.centers, m_pool.centers)
    with pytest.raises(
        ValueError, match=r"`layer` must index one of the 2 spatial layers \(-2..1\), got -3"
    ):
        unit_tiling(net, -3, field)
    with pytest.raises(TypeError, match="`input_size` must be an int H"):
        receptive_field(net, 28.0)
    with pytest.raises(TypeError, match="`input_size` must be an int H"):
        receptive_field(net, None)
    with pytest.raises(TypeError, match="`input_size` must be an integer"):
        receptive_field(net, ("28", 28))
