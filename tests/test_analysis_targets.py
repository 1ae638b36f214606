"""Tests of cortex.analysis.targets: population and ConvNet units, linear RFs."""

import numpy as np
import pytest
from oracles import central_difference

from cortex import (
    Gabor,
    Mosaic,
    Population,
    VisualField,
)
from cortex import analysis as A
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
    unit_gradient,
)

# an odd number of pixels: (0, 0) deg is a pixel centre, so the RF sits exactly there
FIELD = VisualField(2.05, 2.05, pixels_per_degree=20)  # 41 x 41 px
SMALL = VisualField(1.2, 1.2, pixels_per_degree=20)  # 24 x 24 px = 576 pixels


def one_neuron(rf, field=FIELD):
    return (rf, Mosaic(field, [[0.0, 0.0]]))


def headed_convnet():
    """Conv, ReLU, pool, conv, flatten, dense in float64, smooth at a blank image.

    The first bias is positive, so the ReLUs pass at a blank image; average (not
    max) pooling, so no tie of equal inputs makes the gradient one-sided there.
    """
    conv = Conv2D(1, 2, 3, padding=1, seed=0, dtype="float64")
    conv.params["bias"][...] = 0.1
    return Sequential(
        [
            conv,
            ReLU(),
            AvgPool2D(2),
            Conv2D(2, 2, 3, padding=1, seed=1, dtype="float64"),
            Flatten(),
            Dense(2 * 6 * 6, 3, seed=2, dtype="float64"),
        ]
    )


def gabor_convnet(rfs, ppd=20):
    conv = Conv2D.from_receptive_fields(
        rfs, pixels_per_degree=ppd, dtype="float64", normalize=False
    )
    return Sequential([conv, ReLU(), MaxPool2D(2), Flatten()])


def test_convnet_unit_tuning_equals_the_population_neuron_with_the_same_rf():
    g = Gabor(3.0, orientation=40.0)
    model = gabor_convnet([g, Gabor(3.0, orientation=130.0)])
    field = VisualField(2.0, 2.0, pixels_per_degree=20)  # 40 x 40 px
    values = np.arange(0, 180, 10.0)
    unit_curve = A.tuning_curve(
        (model, 0, 0, (20, 20)),
        "orientation",
        values,
        field=field,
        spatial_frequency=3.0,
        orientation=0.0,
        nonlinearity=None,
    )
    # the unit at output (20, 20) is centred on input pixel (20, 20) ('same' padding)
    x, y = field.px_to_deg(20, 20)
    pop_curve = A.tuning_curve(
        (g, Mosaic(field, [[x, y]])),
        "orientation",
        values,
        spatial_frequency=3.0,
        orientation=0.0,
        nonlinearity=None,
    )
    np.testing.assert_allclose(unit_curve.responses, pop_curve.responses, rtol=1e-9, atol=1e-12)
    assert unit_curve.preferred()[0] == pytest.approx(40.0, abs=1.0)
    deeper = A.tuning_curve(
        (model, 2, 1), "orientation", values, field=field, spatial_frequency=3.0, orientation=0.0
    )
    assert deeper.preferred()[0] == pytest.approx(130.0, abs=2.0)


def test_linear_rf_of_a_first_layer_unit_is_its_filter_in_place():
    model = gabor_convnet([Gabor(3.0, orientation=70.0)])
    field = VisualField(2.0, 2.0, pixels_per_degree=20)
    rf = A.linear_receptive_field((model, 0, 0, (12, 25)), field=field)[0]
    w = model[0].params["weight"][0, 0]
    k = w.shape[0] // 2
    expected = np.zeros(field.shape)
    padded = np.zeros((field.shape[0] + 2 * k, field.shape[1] + 2 * k))
    padded[12 : 12 + w.shape[0], 25 : 25 + w.shape[1]] = w  # window of output (12, 25)
    expected = padded[k:-k, k:-k]
    np.testing.assert_allclose(rf, expected, atol=1e-12)


def test_population_linear_rf_is_the_kernel_placed_at_the_centre():
    g = Gabor(3.0, orientation=15.0)
    rf = A.linear_receptive_field(one_neuron(g))[0]
    kernel = g.kernel(FIELD.pixels_per_degree)
    h = kernel.shape[0] // 2
    c = FIELD.shape[0] // 2
    expected = np.zeros(FIELD.shape)
    expected[c - h : c + h + 1, c - h : c + h + 1] = kernel
    np.testing.assert_allclose(rf, expected, atol=1e-12)


def test_zero_linear_rf_of_a_silent_rectified_unit_is_reported():
    model = gabor_convnet([Gabor(3.5)])  # no bias: the ReLU is silent at a blank image
    with pytest.warns(RuntimeWarning, match="linear RF of layer 1 .* is zero"):
        rf = A.linear_receptive_field((model, 1, 0), field=SMALL)
    assert not rf.any()


def test_bad_targets_get_clear_errors():
    values = np.arange(0, 180, 30.0)
    with pytest.raises(TypeError, match="`target` must be"):
        A.tuning_curve("V1", "orientation", values)
    pop = Population(Gabor(2.0), Mosaic(FIELD, [[0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"`neurons` must be in \[0, 1\)"):
        A.tuning_curve(pop, "orientation", values, neurons=[3])
    with pytest.raises(ValueError, match="differs from the population's field"):
        A.as_unit(pop, field=SMALL)
    model = gabor_convnet([Gabor(3.0)])
    with pytest.raises(ValueError, match="`field` is required"):
        A.as_unit((model, 0, 0))
    with pytest.raises(ValueError, match="`channel` must be < 1"):
        A.as_unit((model, 0, 5), field=SMALL)
    with pytest.raises(ValueError, match=r"`layer` must be in \[-4, 4\)"):
        A.as_unit((model, 9, 0), field=SMALL)
    with pytest.raises(ValueError, match=r"`layer` must be in \[-4, 4\)"):
        A.as_unit((model, -5, 0), field=SMALL)
    with pytest.raises(ValueError, match="`position` must be within"):
        A.as_unit((model, 0, 0, (99, 0)), field=SMALL)
    with pytest.raises(ValueError, match=r"layer 3 \(Flatten\) has no positions"):
        A.as_unit((model, 3, 0, (0, 0)), field=SMALL)
    rgb = Sequential([Conv2D(3, 2, 3)])
    with pytest.raises(ValueError, match="3 channels"):
        A.as_unit((rgb, 0, 0), field=SMALL)


# -- ConvNet units are probed without changing the model ------------------------------------
TINY = VisualField(0.6, 0.6, pixels_per_degree=20)  # 12 x 12 px


def test_linear_rf_behind_dropout_is_the_same_twice_and_keeps_training_mode():
    conv1 = Conv2D(1, 2, 5, padding=2, seed=0, dtype="float64")
    conv2 = Conv2D(2, 1, 3, padding=1, seed=1, dtype="float64")
    model = Sequential([conv1, Dropout(0.5, seed=0), conv2]).train()
    first = A.linear_receptive_field((model, -1, 0), field=TINY)
    second = A.linear_receptive_field((model, 2, 0), field=TINY)
    np.testing.assert_array_equal(first, second)
    assert all(layer.training for layer in model)
    # dropout off: the gradient at a blank image of the network without it
    expected = central_difference([conv1, conv2], np.zeros((1, 1, 12, 12)), (0, 6, 6))
    np.testing.assert_allclose(first, expected[0], atol=1e-7)
    assert all(not np.any(g) for _, _, g in model.parameters())  # no bias gradient left behind


def test_probes_keep_the_users_gradients_and_a_pending_backward(rng):
    model = headed_convnet()
    x = rng.standard_normal((3, 1, 12, 12))
    g = rng.standard_normal((3, 3))
    model.forward(x)
    dx_ref = model.backward(g)
    step = {name: grad.copy() for name, _, grad in model.parameters()}
    known = {name: rng.standard_normal(grad.shape) for name, _, grad in model.parameters()}
    for i, layer in enumerate(model):
        for key in layer.grads:
            layer.grads[key] = known[f"{i}.{key}"].copy()
    arrays = {name: grad for name, _, grad in model.parameters()}
    model.forward(x)  # a backward is pending: the probes must not disturb its caches
    A.linear_receptive_field((model, 3, 1), field=TINY)
    A.linear_receptive_field((model, -1, 2), field=TINY)
    A.as_unit((model, -1, 0), field=TINY)(rng.standard_normal((5, 12, 12)))
    unit_gradient(model, 0, 0, x=x)
    effective_receptive_field(model, (1, 12, 12))
    for name, _, grad in model.parameters():
        assert grad is arrays[name]
        np.testing.assert_array_equal(grad, known[name])
    np.testing.assert_allclose(model.backward(g), dx_ref, rtol=1e-12)
    for name, _, grad in model.parameters():
        np.testing.assert_allclose(grad, known[name] + step[name], rtol=1e-12)


def test_layer_indexes_model_layers_with_negatives_counting_from_the_end():
    model = headed_convnet()
    last = A.as_unit((model, -1, 1), field=TINY)
    assert last.labels == A.as_unit((model, 5, 1), field=TINY).labels == ("layer 5 unit 1",)
    conv = A.as_unit((model, -3, 0), field=TINY)
    assert conv.labels == ("layer 3 channel 0 at (3, 3)",)  # the centre of its 6 x 6 map
    # responses and linear RF against independent computations with the layers' forward
    images = np.random.default_rng(0).standard_normal((4, 12, 12))
    out = images[:, None]
    for layer in model:
        out = layer.forward(out)
    np.testing.assert_allclose(last(images), out[:, [1]], rtol=1e-12)
    blank = np.zeros((1, 1, 12, 12))
    rf = A.linear_receptive_field((model, -1, 1), field=TINY)
    np.testing.assert_allclose(rf, central_difference(model.layers, blank, (1,))[0], atol=1e-7)
    np.testing.assert_array_equal(rf, A.linear_receptive_field((model, 5, 1), field=TINY))
